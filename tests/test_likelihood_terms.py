"""Value tests of the simple likelihood term types against scipy.stats or a closed form.

Every term is built the way a run builds it: a YAML file written to ``tmp_path`` and read by
``bkfit.likelihood.loader.load_file`` (field validation, errors -> quadrature,
correlation -> covariance, unit conversion of limit curves), then evaluated with
``term.log_likelihood(preds, {})`` at random predictions drawn from seeded generators.

Convention checked here (bkfit/likelihood/terms.py): a term's ln L is the log density of the
measurement minus its x-independent normalisation, i.e. ln L = ln p(x) - ln p(mode), so
ln L = 0 where the prediction x sits at the peak (chi^2 = -2 ln L).  The dropped constant
(-ln(sigma sqrt(2 pi)) for a Gaussian, ln(2 / (sqrt(2 pi) (s_up + s_down))) for the split
normal, ...) does not depend on the parameters, so it cancels in posteriors and in Bayes
factors between runs on the same terms.  The tests compare both the values with that constant
put back and differences between random points (which do not depend on the constant at all).
The one term whose normalisation depends on the parameters, the Gaussian with
``relative_theory_error`` (sigma^2 = e^2 + (r x)^2), keeps it: ln L = ln N(value | x, sigma(x))
+ ln(e sqrt(2 pi)) exactly, and for every x, exp(ln L) / (e sqrt(2 pi)) is a normalised density
of the measured value.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml
from scipy import constants, integrate, stats

import bkfit  # noqa: F401  (float64 JAX)
from bkfit.likelihood.loader import load_file

REF = {"citation": "arXiv:0000.00000", "where": "test"}
SQRT2PI = np.sqrt(2 * np.pi)


def _load(tmp_path, *entries, name="terms.yaml"):
    """Terms built by the real loader from a YAML file holding ``entries``."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"source": "test", "entries": [
        dict(e, reference=REF) for e in entries]}, sort_keys=False))
    return load_file(path)


def _ll(term, *preds):
    return float(term.log_likelihood(list(preds), {}))


def _check_diffs(lls, refs, rtol=1e-9, atol=1e-10):
    """ln L(x_i) - ln L(x_0) against the reference differences (constant-free)."""
    lls, refs = np.asarray(lls), np.asarray(refs)
    np.testing.assert_allclose(lls - lls[0], refs - refs[0], rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- gaussian
def test_gaussian_single_error_matches_scipy_norm(tmp_path):
    """`gaussian` with `error`: ln L(x) = norm.logpdf(x; value, error) + ln(error sqrt(2 pi)),
    i.e. the x-independent constant is dropped (ln L = 0 at x = value); the differences between
    random predictions equal scipy's without any constant."""
    rng = np.random.default_rng(11)
    v, e = 2.3e-5, 0.6e-5
    [t] = _load(tmp_path, dict(name="g", type="gaussian", observable="BR(B+->Knunu)",
                               value=v, error=e))
    xs = v + e * rng.uniform(-4, 4, size=8)
    lls = [_ll(t, x) for x in xs]
    refs = stats.norm(v, e).logpdf(xs)
    _check_diffs(lls, refs)
    np.testing.assert_allclose(lls, refs + np.log(e * SQRT2PI), rtol=1e-10, atol=1e-12)
    assert _ll(t, v) == 0.0


def test_gaussian_errors_list_is_added_in_quadrature(tmp_path):
    """`gaussian` with `errors: [e1, e2, e3]`: a Gaussian of width sqrt(e1^2 + e2^2 + e3^2)
    (scipy.stats.norm); a linear sum of the errors (or using only the first) fails."""
    rng = np.random.default_rng(12)
    v = 17.757
    errs = [0.021, 0.78, 0.35]              # quadrature 0.8550, linear sum 1.151
    sig = np.sqrt(sum(x * x for x in errs))
    [t] = _load(tmp_path, dict(name="g2", type="gaussian", observable="DeltaM_s",
                               value=v, errors=errs))
    xs = v + sig * rng.uniform(-4, 4, size=8)
    lls = [_ll(t, x) for x in xs]
    refs = stats.norm(v, sig).logpdf(xs)
    _check_diffs(lls, refs)
    np.testing.assert_allclose(lls, refs + np.log(sig * SQRT2PI), rtol=1e-10, atol=1e-12)


def test_gaussian_relative_theory_error_keeps_its_normalisation(tmp_path):
    """`relative_theory_error: r`: sigma(x)^2 = error^2 + (r x)^2 depends on the prediction x,
    so the normalisation is kept: ln L(x) = norm(value, sigma(x)).logpdf(x) + ln(error sqrt(2 pi))
    exactly (only the parameter-independent ln(error sqrt(2 pi)) is dropped), at random x from
    the measured value to far off.  Evidence-relevant: for each fixed prediction x,
    exp(ln L) / (error sqrt(2 pi)) is a normalised density of the measured value (quadrature
    over the value, the loaded term with its `value` replaced)."""
    rng = np.random.default_rng(13)
    v, e, r = 0.120, 0.001, 0.10
    [t] = _load(tmp_path, dict(name="relic", type="gaussian", observable="Omega_h2(phi)",
                               value=v, error=e, relative_theory_error=r))
    xs = np.concatenate([v + 0.05 * rng.uniform(-1, 1, size=6), 10 ** rng.uniform(0, 3, size=3)])
    lls = np.array([_ll(t, x) for x in xs])
    sig = np.hypot(e, r * xs)
    refs = stats.norm(v, sig).logpdf(xs)
    np.testing.assert_allclose(lls, refs + np.log(e * SQRT2PI), rtol=1e-10, atol=1e-12)
    for x in xs[:3]:
        s = np.hypot(e, r * x)

        def dens(val):
            return np.exp(_ll(dataclasses.replace(t, value=val), x)) / (e * SQRT2PI)
        tot, _ = integrate.quad(dens, x - 12 * s, x + 12 * s, points=[x], limit=200)
        assert tot == pytest.approx(1.0, rel=1e-7), (x, tot)


# -------------------------------------------------------------------- asymmetric gaussian
def _split_normal_logpdf(x, mode, s_up, s_down):
    """Split normal: two half-Gaussians joined at the mode, width s_up above it and s_down
    below, with the common normalisation 2 / (sqrt(2 pi) (s_up + s_down))."""
    x = np.asarray(x, float)
    width = np.where(x > mode, s_up, s_down)
    return np.log(2.0 / (SQRT2PI * (s_up + s_down))) - 0.5 * ((x - mode) / width) ** 2


def test_asymmetric_gaussian_is_the_split_normal(tmp_path):
    """`asymmetric_gaussian` with error_up = 2 error_down: ln L equals the split-normal log density
    minus its (x-independent) value at the mode, at random points on both sides; the mass above
    the central value is error_up / (error_up + error_down) = 2/3 (quadrature).  Swapping
    error_up and error_down fails both checks."""
    rng = np.random.default_rng(14)
    v, up, down = 2.3e-5, 0.8e-5, 0.4e-5
    [t] = _load(tmp_path, dict(name="a", type="asymmetric_gaussian",
                               observable="BR(B+->K+invisible)", value=v,
                               error_up=up, error_down=down))
    xs = np.concatenate([v + up * rng.uniform(0.05, 3.5, size=4),
                         v - down * rng.uniform(0.05, 3.5, size=4)])
    lls = [_ll(t, x) for x in xs]
    refs = _split_normal_logpdf(xs, v, up, down)
    _check_diffs(lls, refs)
    np.testing.assert_allclose(lls, refs - _split_normal_logpdf(v, v, up, down),
                               rtol=1e-10, atol=1e-12)
    # normalisation constant and the asymmetric mass split (scaled to units of 1e-5)
    f = lambda u: np.exp(_ll(t, u * 1e-5))     # noqa: E731
    above, _ = integrate.quad(f, v * 1e5, v * 1e5 + 12 * up * 1e5)
    below, _ = integrate.quad(f, v * 1e5 - 12 * down * 1e5, v * 1e5)
    assert (above + below) * 1e-5 == pytest.approx(SQRT2PI * (up + down) / 2, rel=1e-8)
    assert above / (above + below) == pytest.approx(up / (up + down), rel=1e-8)


# ---------------------------------------------------------------------------- upper limit
@pytest.mark.parametrize("cl", [0.90, 0.95])
def test_upper_limit_is_a_half_gaussian_with_the_cl_quantile(tmp_path, cl):
    """`upper_limit` L at CL: half-Gaussian at zero with P(x < L) = CL, so
    sigma = L / halfnorm.ppf(CL) (= L/1.645 at 90 %); ln L(x) = halfnorm.logpdf(x; sigma) -
    halfnorm.logpdf(0; sigma) at random x >= 0 (x < 0 counts as 0); quadrature of exp(ln L)
    gives P(x < L) = CL.  Dropping the sqrt(2) in sigma = L / (sqrt(2) erfinv(CL)) fails."""
    rng = np.random.default_rng(int(cl * 100))
    lim = 1.6e-5
    [t] = _load(tmp_path, dict(name="ul", type="upper_limit", observable="BR(B+->Knunu)",
                               limit=lim, cl=cl))
    sig = lim / stats.halfnorm.ppf(cl)
    assert t.sigma == pytest.approx(sig, rel=1e-12)
    xs = lim * rng.uniform(0.0, 3.0, size=8)
    lls = [_ll(t, x) for x in xs]
    refs = stats.halfnorm(scale=sig).logpdf(xs)
    _check_diffs(lls, refs)
    np.testing.assert_allclose(lls, refs - stats.halfnorm(scale=sig).logpdf(0.0),
                               rtol=1e-10, atol=1e-12)
    assert _ll(t, lim) == pytest.approx(-0.5 * stats.norm.ppf((1 + cl) / 2) ** 2, rel=1e-10)
    assert _ll(t, -0.7 * lim) == 0.0
    f = lambda u: np.exp(_ll(t, u * lim))     # noqa: E731  (x in units of the limit)
    inside, _ = integrate.quad(f, 0.0, 1.0)
    total, _ = integrate.quad(f, 0.0, 20.0)
    assert inside / total == pytest.approx(cl, rel=1e-9)
    assert total * lim == pytest.approx(sig * SQRT2PI / 2, rel=1e-9)


# -------------------------------------------------------------------- multivariate gaussian
MV_OBS = [{"observable": "mu_gg(h->gammagamma)"}, {"observable": "mu_gg(h->ZZ)"},
          {"observable": "mu_gg(h->WW)"}]


def _mv_points(rng, values, sd, n=8):
    return values + 2.5 * sd * rng.standard_normal((n, len(values)))


def test_multivariate_gaussian_from_errors_and_correlation_matches_scipy(tmp_path):
    """`multivariate_gaussian` with `errors` + `correlation`: covariance = D C D with
    D = diag(errors); ln L(x) = multivariate_normal.logpdf(x) - multivariate_normal.logpdf(values)
    at random 3-vectors (differences and values).  Errors of different sizes and a non-trivial
    correlation, so using the correlation matrix as the covariance, or one error factor only,
    fails."""
    rng = np.random.default_rng(15)
    values = np.array([0.96, 1.04, 1.08])
    errs = np.array([0.14, 0.35, 0.06])
    corr = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.25], [-0.3, 0.25, 1.0]])
    [t] = _load(tmp_path, dict(name="mv", type="multivariate_gaussian", observables=MV_OBS,
                               values=values.tolist(), errors=errs.tolist(),
                               correlation=corr.tolist()))
    assert t.requests() == [(o["observable"], {}) for o in MV_OBS]
    cov = np.diag(errs) @ corr @ np.diag(errs)
    mvn = stats.multivariate_normal(values, cov)
    xs = _mv_points(rng, values, errs)
    lls = [_ll(t, *x) for x in xs]
    refs = mvn.logpdf(xs)
    _check_diffs(lls, refs)
    np.testing.assert_allclose(lls, refs - mvn.logpdf(values), rtol=1e-10, atol=1e-12)


def test_multivariate_gaussian_from_covariance_matches_scipy(tmp_path):
    """`multivariate_gaussian` with a full `covariance` (random symmetric positive definite):
    ln L = multivariate_normal.logpdf(x) - multivariate_normal.logpdf(values) at random x."""
    rng = np.random.default_rng(16)
    values = np.array([1.16, 1.22, 1.35])
    a = rng.standard_normal((3, 3)) * np.array([0.2, 0.1, 0.3])
    cov = a @ a.T + np.diag([0.01, 0.02, 0.005])
    [t] = _load(tmp_path, dict(name="mvc", type="multivariate_gaussian", observables=MV_OBS,
                               values=values.tolist(), covariance=cov.tolist()))
    mvn = stats.multivariate_normal(values, cov)
    xs = _mv_points(rng, values, np.sqrt(np.diag(cov)))
    lls = [_ll(t, *x) for x in xs]
    refs = mvn.logpdf(xs)
    _check_diffs(lls, refs)
    np.testing.assert_allclose(lls, refs - mvn.logpdf(values), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------- interpolated upper limit
CURVE_M = np.array([0.08, 0.15, 0.4, 1.0, 2.5, 6.0])                 # GeV
CURVE_L = np.array([3.0e2, 4.0e0, 6.0e-2, 2.0e-3, 9.0e-4, 1.5e-3])   # in limit_unit


def _curve_entry(tmp_path, unit, d):
    rows = "\n".join(f"{m:.17g},{lv:.17g}" for m, lv in zip(CURVE_M, CURVE_L))
    (tmp_path / "curve.csv").write_text(f"# test curve\nmass_GeV,limit\n{rows}\n")
    return dict(name="dd", type="interpolated_upper_limit", observable="sigma_SI_N(phi)",
                args={"Z": 54, "A": 131.293}, mass_observable="m(phi)", file="curve.csv",
                mass_column="mass_GeV", limit_column="limit", limit_unit=unit,
                observable_unit="cm2", cl=0.9, digitisation_uncertainty=d)


@pytest.mark.parametrize("unit, factor, d", [
    ("pb", 1e-36, 0.2),
    ("GeV-2", (constants.hbar * constants.c / constants.e * 1e-9 * 1e2) ** 2, 0.0),
])
def test_interpolated_upper_limit_matches_loglog_interpolation(tmp_path, unit, factor, d):
    """`interpolated_upper_limit`: at random masses inside the curve (and at its nodes) the limit
    is the log-log linear interpolation (numpy) of the CSV, converted to cm^2 (pb = 1e-36 cm^2,
    GeV^-2 via hbar c from scipy.constants); ln L = -x^2 / (2 sigma^2) with
    sigma = L(m) sqrt(1 + d^2) / halfnorm.ppf(cl) (x < 0 counts as 0), so with d = 0,
    ln L(L(m)) = -halfnorm.ppf(cl)^2 / 2, i.e. P(x < L(m)) = cl; outside the mass range
    ln L = 0."""
    rng = np.random.default_rng(17 if d else 18)
    [t] = _load(tmp_path, _curve_entry(tmp_path, unit, d))
    assert t.requests() == [("sigma_SI_N(phi)", {"Z": 54, "A": 131.293}), ("m(phi)", {})]
    ms = np.concatenate([np.exp(rng.uniform(np.log(CURVE_M[0]), np.log(CURVE_M[-1]), 8)),
                         CURVE_M[[0, 2, -1]]])
    lim = np.exp(np.interp(np.log(ms), np.log(CURVE_M), np.log(CURVE_L))) * factor
    sig = lim * np.sqrt(1 + d * d) / stats.halfnorm.ppf(0.9)
    xs = lim * rng.uniform(0.0, 3.0, size=ms.size)
    lls = np.array([_ll(t, x, m) for x, m in zip(xs, ms)])
    refs = stats.halfnorm(scale=sig).logpdf(xs) - stats.halfnorm(scale=sig).logpdf(0.0)
    # rtol 1e-8: cosmology.yaml rounds hbar c to 10 digits (1.973269804e-14 GeV cm)
    np.testing.assert_allclose(lls, refs, rtol=1e-8, atol=1e-12)
    for m, lv in zip(ms[:3], lim[:3]):
        assert _ll(t, lv, m) == pytest.approx(
            -0.5 * (stats.halfnorm.ppf(0.9) / np.sqrt(1 + d * d)) ** 2, rel=1e-8)
        assert _ll(t, -lv, m) == 0.0
    for m in (0.5 * CURVE_M[0], 0.999 * CURVE_M[0], 1.001 * CURVE_M[-1], 40.0):
        assert _ll(t, 5 * CURVE_L[0] * factor, m) == 0.0


@pytest.mark.parametrize("entry,field,term_kw", [
    ({"type": "gaussian", "value": 1.0}, "error", "error"),
    ({"type": "gaussian", "value": 1.0, "error": 1.0}, "relative_theory_error",
     "relative_error"),
    ({"type": "asymmetric_gaussian", "value": 1.0, "error_down": 1.0}, "error_up", "error_up"),
    ({"type": "asymmetric_gaussian", "value": 1.0, "error_up": 1.0}, "error_down",
     "error_down"),
    ({"type": "upper_limit", "cl": 0.9}, "limit", "limit"),
    ({"type": "upper_limit", "limit": 1.0}, "cl", "cl"),
])
def test_term_constraints_are_declared_once(entry, field, term_kw):
    """The likelihood-file schema and the term constructor accept exactly the same values of
    each constrained field (both read Term.arg_constraints), at and around the bounds."""
    from pydantic import ValidationError
    from bkfit.likelihood import loader, terms
    schema = loader.SIMPLE[entry["type"]]
    cls = {"gaussian": terms.GaussianTerm, "asymmetric_gaussian": terms.AsymmetricGaussianTerm,
           "upper_limit": terms.UpperLimitTerm}[entry["type"]]
    base = {k: v for k, v in entry.items() if k != "type"}
    kw = {"error": "error", "error_up": "error_up", "error_down": "error_down",
          "limit": "limit", "cl": "cl", "value": "value"}
    for v in (-1.0, -1e-300, 0.0, 1e-300, 0.5, 1.0 - 1e-16, 1.0, 2.0, float("inf")):
        try:
            schema.model_validate(dict(entry, name="t", reference=REF, observable="o",
                                       **{field: v}))
            by_schema = True
        except ValidationError:
            by_schema = False
        args = {kw[k]: x for k, x in base.items()}
        try:
            cls(name="t", observable="o", **dict(args, **{term_kw: v}))
            by_term = True
        except ValueError as e:
            assert f"'t': {term_kw} must be" in str(e)
            by_term = False
        assert by_schema == by_term, (field, v)
