"""The fast light-invisible spectra (tabulated dark Gram matrices, bkfit/physics/invisible_gram.py)
against the explicit amplitudes they replace on the likelihood path
(``_PairFamily._dbr_reference``: spinors, polarisation vectors and the direction average
of docs/invisible.md, itself checked against the independent numpy phase-space
integration of tests/invisible_reference.py in test_invisible.py).

Acceptance of the speed issue: agreement within 0.1 % at random points of every family,
operator and field type, masses near zero and near threshold included; gradients against
finite differences.  Measured agreement: ~1e-8 relative (the Chebyshev series terminate).
"""
import numpy as np
import pytest

import jax
import jax.numpy as jnp

import bkfit  # noqa: F401
from bkfit.physics import invisible as inv
from bkfit.physics import invisible_gram

TOL = 1e-3

FAMILIES = [
    (inv.SCALAR, "phi_real", list(inv.SCALAR_KEYS)),
    (inv.FERMION, "chi_majorana", list(inv.FERMION_OPS)),
    (inv.VECTOR, "X_real", [inv.vector_keys(op)[1] for op in inv.VECTOR_OPS]
     + [inv.vector_keys(op)[0] for op in inv.VECTOR_OPS]),
]
MODES = ["B+->K", "B0->K*"]


def _random_points(rng, par, mode, n):
    """(m, q2) with m log-uniform down to 1e-5 GeV, plus points 1e-6 above threshold."""
    top = inv.q2max(mode, par)
    out = []
    for i in range(n):
        m = 10 ** rng.uniform(-5, np.log10(0.5 * np.sqrt(top)))
        thr = 4 * m * m
        q2 = thr * (1 + 1e-6) + 1e-7 if i % 4 == 0 else rng.uniform(thr, top)
        out.append((m, q2))
    return out


def _compare(fam, coeffs, mode, par, pts):
    """Largest |fast - reference| relative to the largest reference value over pts, and
    pointwise relative deviations where the rate is not negligible."""
    m, q2 = (jnp.asarray(v) for v in zip(*pts))

    def rate(f):                     # one vmapped (eager) call per path
        return np.asarray(jax.vmap(
            lambda mm, qq: f(mode, qq, {**coeffs, fam.mass_key: mm}, par))(m, q2))
    fast, ref = rate(fam._dbr), rate(fam._dbr_reference)
    scale = np.max(np.abs(ref))
    if scale == 0:                  # e.g. P or A currents in B -> K: no matrix element
        assert np.all(fast == 0)
        return 0.0, 0.0
    big = np.abs(ref) > 1e-6 * scale
    pointwise = np.max(np.abs(fast[big] - ref[big]) / np.abs(ref[big]))
    return np.max(np.abs(fast - ref)) / scale, pointwise


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fam,flag,keys", FAMILIES, ids=["scalar", "fermion", "vector"])
def test_single_operators_match_explicit_amplitudes(fam, flag, keys, mode, par):
    rng = np.random.default_rng(abs(hash((fam.tag, mode))) % 2**32)
    for real in (False, True):
        tab = invisible_gram.table(fam, (real,))
        for key in keys:
            c = {key: 1e-8 * np.exp(1j * rng.uniform(0, 2 * np.pi)), flag: real}
            pts = _random_points(rng, par, mode, 6)
            if not set(fam.couplings({**c, fam.mass_key: 1.0}, 1.0)) & set(tab.keys):
                # vanishing for this field type: both must give exactly zero
                for m, q2 in pts[:2]:
                    cm = {**c, fam.mass_key: m}
                    assert float(fam._dbr_reference(mode, q2, cm, par)) == 0
                    assert float(fam._dbr(mode, q2, cm, par)) == 0
                continue
            glob, point = _compare(fam, c, mode, par, pts)
            assert glob < TOL and point < TOL, (key, real, glob, point)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fam,flag,keys", FAMILIES, ids=["scalar", "fermion", "vector"])
def test_all_operators_interfering_match_explicit_amplitudes(fam, flag, keys, mode, par):
    """Every operator of the family at once with random complex couplings (all interference
    terms), both field types."""
    rng = np.random.default_rng(7)
    for real in (False, True):
        c = {k: 1e-8 * (rng.normal() + 1j * rng.normal()) for k in keys}
        c[flag] = real
        glob, point = _compare(fam, c, mode, par, _random_points(rng, par, mode, 10))
        assert glob < TOL and point < TOL, (real, glob, point)


def test_binned_rates_match_explicit_amplitudes(par):
    """Belle II-like narrow bins and the total rate, bin edges across the threshold."""
    fam = inv.FERMION
    c = {"CVV_bschichi": 2e-8, "CSS_bschichi": 1e-8j, "m_chi": 0.731}
    edges = np.linspace(1.5, 3.0, 8)
    f = lambda lo, hi, ref: inv.integrate_endpoint(  # noqa: E731
        jax.vmap(lambda x: (fam._dbr_reference if ref else fam._dbr)("B+->K", x, c, par)),
        max(lo, 4 * 0.731 ** 2), max(hi, 4 * 0.731 ** 2), n=6)
    for lo, hi in zip(edges[:-1], edges[1:]):
        a, b = float(f(lo, hi, False)), float(f(lo, hi, True))
        assert abs(a - b) <= TOL * abs(b) + 1e-30, (lo, hi, a, b)


def test_gradients_against_finite_differences(par):
    """d rate / d(mass, coupling, form-factor parameter) of the fast path vs central
    differences, for each family, near threshold and near m = 0 too."""
    cases = [(inv.SCALAR, {"CV_bsphiphi": 1e-8, "CS_bsphiphi": 3e-9}),
             (inv.FERMION, {"CVV_bschichi": 1e-8, "CTT_bschichi": 4e-9}),
             (inv.VECTOR, {"CV2hat_bsXX": 1e-8, "CV3hat_bsXX": 5e-9})]
    ffkey = "B->K BSZ a1_f+"
    for fam, c in cases:
        for m, q2 in [(0.4, 3.0), (1e-4, 0.7), (0.9, 4 * 0.81 * 1.01)]:
            @jax.jit
            def f(x):
                mm, cc, a1 = x
                p = {**par, ffkey: a1}
                coeffs = {**{k: v * cc for k, v in c.items()}, fam.mass_key: mm}
                return fam._dbr("B+->K", q2, coeffs, p)
            x0 = jnp.array([m, 1.0, par[ffkey]])
            g = np.asarray(jax.grad(f)(x0))
            for i in range(3):
                h = 1e-6 * max(abs(float(x0[i])), 1e-3)
                e = np.zeros(3)
                e[i] = h
                fd = (float(f(x0 + e)) - float(f(x0 - e))) / (2 * h)
                assert np.isfinite(g[i])
                assert abs(g[i] - fd) <= 1e-5 * max(abs(fd), abs(g[i])) + 1e-12 * abs(
                    float(f(x0))) / h, (fam.tag, m, q2, i, g[i], fd)


def test_gradient_finite_at_zero_mass_and_below_threshold(par):
    fam = inv.VECTOR
    for m, q2 in [(0.0, 2.0), (1.0, 3.0), (1.0, 4.0)]:
        g = jax.grad(lambda mm: fam._dbr("B+->K", q2, {"CV3hat_bsXX": 1e-8,
                                                         "m_X": mm}, par))(m)
        assert np.isfinite(float(g))
