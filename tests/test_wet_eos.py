"""Belle II's WET parametrisation of B+ -> K+ nu nu (model ``wet_eos``, run
``runs/wet_belle2.toml``) and the fast bin integrals of the massless scalar/tensor rates.

Independent checks: the model's map against a hand computation of the intended coefficients;
its B -> K nu nu rate against a numpy transcription of EOS's rate formula
(eos/rare-b-decays/b-to-psd-nu-nu.cc, the code Belle II used: dGamma/dq^2 = 3 N [lambda/24 f+^2
|C_VL + C_VR|^2 + q^2 ((m_B^2 - m_K^2)/(m_b - m_s))^2/8 f0^2 |C_SL + C_SR|^2 + q^2 (2/3) lambda
/(m_B + m_K)^2 fT^2 |C_TL|^2], N = (4 G_F alpha_e/(2 pi))^2/2 |V_tb V_ts^*|^2 sqrt(lambda)/(4 pi
m_B)^3) with bkfit's inputs; the fast bin integrals against the quadrature (fast paths off) and
finite differences; the marginal-mode summary against closed-form densities.
"""
from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bkfit.config import load_run
from bkfit.errors import ModelError
from bkfit.inference.modes import marginal_mode, mode_and_hdi
from bkfit.inputs import load_db
from bkfit.models import make_model
from bkfit.observables import default_catalogue
from bkfit.physics import bsnunu as b
from bkfit.physics import bsnunu_wet as w
from bkfit.physics import common
from bkfit.physics.ckm import xi
from bkfit.physics.formfactors import ff_BK
from bkfit.priors import PriorSet

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "runs" / "wet_belle2.toml"


@pytest.fixture(scope="module")
def par():
    return load_db().central


def test_run_file_loads_and_maps_to_the_intended_coefficients():
    cfg = load_run(RUN)
    opts = dict(cfg.model)
    model = make_model(opts.pop("name"), opts)
    assert model.parameters() == ["CVL_eos", "CSL_eos", "CTL_eos"]
    assert [t.strip() for t in cfg.likelihood.files] == ["likelihoods/belle2_kpnunu_2023.yaml"]
    c = model.coefficients({"CVL_eos": 7.5, "CSL_eos": 2.0, "CTL_eos": 3.0})
    # by hand: C_L (total, SM part off) = -C_VL^EOS; C_S,T = 2 sqrt(2) C^EOS, per flavour
    want = {"nunu_signal_strength": 0.0}
    for f in ("e", "mu", "tau"):
        want[f"CL_bsnu{f}nu{f}"] = -7.5
        want[f"CSL_bsnu{f}nu{f}"] = 2.0 * math.sqrt(8.0)
        want[f"CTL_bsnu{f}nu{f}"] = 3.0 * math.sqrt(8.0)
    assert c.keys() == want.keys()
    for k, v in want.items():
        assert float(c[k]) == pytest.approx(v, rel=1e-15), k
    # priors: flat on [0, 20] for each magnitude (Belle II's bounds)
    priors = PriorSet.from_file(ROOT / cfg.priors.file)
    for p in model.parameters():
        spec = priors.spec_for(p)
        assert (spec.dist, spec.low, spec.high) == ("uniform", 0.0, 20.0)


def _eos_dbr(q2, cvl, csl, ctl, par):
    """EOS's B+ -> K+ nu nu dBR/dq^2 (three diagonal flavours), numpy, bkfit's inputs."""
    mB, mK = par["m_B+"], par["m_K+"]
    f = {k: float(v) for k, v in ff_BK(q2, par).items()}
    lam = mB ** 4 + mK ** 4 + q2 ** 2 - 2 * (mB ** 2 * mK ** 2 + mB ** 2 * q2 + mK ** 2 * q2)
    alpha = par["alpha_e"] * par["alpha_e(mb)/alpha_e(MZ)"]
    lt2 = abs(complex(xi(par, "t", "b", "s"))) ** 2
    norm = (4 * par["GF"] * alpha / (2 * np.pi)) ** 2 / 2 * lt2 * np.sqrt(lam) / (4 * np.pi * mB) ** 3
    vec = lam / 24 * f["f+"] ** 2 * cvl ** 2
    sca = q2 * ((mB ** 2 - mK ** 2) / (par["m_b"] - par["m_s"])) ** 2 / 8 * f["f0"] ** 2 * csl ** 2
    ten = q2 * 2 / 3 * lam / (mB + mK) ** 2 * f["fT"] ** 2 * ctl ** 2
    return 3 * norm * (vec + sca + ten) * par["tau_B+"]


@pytest.mark.parametrize("point", [(9.0, 0.0, 0.0), (0.0, 4.0, 0.0), (0.0, 0.0, 5.0),
                                   (11.3, 2.5, 8.2)])
def test_rate_equals_eos_formula(point, par):
    """The factors -1 and 2 sqrt2 of the map reproduce EOS's rate, operator by operator."""
    model = make_model("wet_eos", {})
    c = model.coefficients(dict(zip(model.parameters(), point)))
    cat = default_catalogue()
    for q2 in (0.3, 4.0, 11.0, 18.5, 22.0):
        got = float(cat.predict("dBR/dq2(B+->Knunu)", c, par, q2=q2))
        assert got == pytest.approx(_eos_dbr(q2, *point, par), rel=1e-10), q2


def test_sm_value_of_the_vector_coefficient_gives_the_sm(par):
    model = make_model("wet_eos", {})
    c = model.coefficients({"CVL_eos": abs(float(b.CL_SM(par))), "CSL_eos": 0.0, "CTL_eos": 0.0})
    cat = default_catalogue()
    # compiled: the scalar/tensor branch evaluated op by op takes tens of seconds
    br = jax.jit(lambda wc: cat.predict("BR(B+->Knunu)", wc, par))
    assert float(br(c)) == pytest.approx(float(br({})), rel=1e-12)


def test_free_subset_keeps_the_rest_at_the_sm():
    model = make_model("wet_eos", {"free": ["CTL_eos"]})
    assert model.parameters() == ["CTL_eos"]
    c = model.coefficients({"CTL_eos": 1.0})
    assert "nunu_signal_strength" not in c and "CL_bsnuenue" not in c and "CSL_bsnuenue" not in c
    assert float(c["CTL_bsnutaunutau"]) == pytest.approx(math.sqrt(8.0))


@pytest.mark.parametrize("free, msg", [(["CVL"], "Did you mean 'CVL_eos'"),
                                       ("CVL_eos", "must be a list"),
                                       ([], "at least one"),
                                       (["CSL_eos", "CSL_eos"], "each listed once")])
def test_bad_free_option(free, msg):
    with pytest.raises(ModelError, match=msg):
        make_model("wet_eos", {"free": free})


# ---------------------------------------------------------------- fast bin integrals
EDGES = np.linspace(0.0, 22.885, 101)
FF = list(b.FF_NAMES["P"])


def _bins(mode, names, edges, par, longitudinal=False):
    """jitted (couplings re/im, form-factor values) -> BR in the bins of ``edges``."""
    def f(z, p):
        wc = {n: z[2 * k] + 1j * z[2 * k + 1] for k, n in enumerate(names)}
        pp = {**par, **dict(zip(b.FF_NAMES[b.MODES[mode][2]], p))}
        return w.BR_bin(mode, edges[:-1], edges[1:], wc, pp, n=16, longitudinal=longitudinal)
    return f


CASES = [("B+->K", ["CSL_bsnuenue", "CTL_bsnuenue"], False),
         ("B+->K", ["CSL_bsnumunutau", "CSR_bsnumunutau", "CTL_bsnumunutau",
                    "CSRprime_bsnutaunue", "CTRprime_bsnutaunue"], False),
         ("B0->K*", ["CSR_bsnutaunutau", "CTL_bsnutaunutau", "CRprime_bsnuenue"], True)]


@pytest.mark.parametrize("mode, names, longitudinal", CASES)
def test_fast_bins_equal_the_quadrature(mode, names, longitudinal, par):
    """Traced coefficients and form factors: the polynomial tables (fast paths on) against the
    quadrature (fast paths off), values and gradients, and the gradient against finite
    differences."""
    # the Belle II binning for the first case, 10 bins up to the endpoint for the others
    edges = EDGES if len(names) == 2 else np.linspace(0.0, float(b.q2max(mode, par)), 11)
    rng = np.random.default_rng(3)
    z = jnp.asarray(rng.normal(scale=3.0, size=2 * len(names)))
    ffn = b.FF_NAMES[b.MODES[mode][2]]
    p0 = np.array([par[k] for k in ffn])
    p = jnp.asarray(p0 * (1 + 0.05 * rng.normal(size=p0.size)))
    f = _bins(mode, names, edges, par, longitudinal)
    loss = jax.jit(lambda z, p: jnp.sum(f(z, p) * jnp.arange(1.0, len(edges))))
    fast = jax.jit(f)(z, p)
    gz, gp = jax.jit(jax.grad(loss, argnums=(0, 1)))(z, p)
    with common.fast_paths(False):
        slow = jax.jit(_bins(mode, names, edges, par, longitudinal))(z, p)
        fs = _bins(mode, names, edges, par, longitudinal)
        gz2, gp2 = jax.jit(jax.grad(lambda z, p: jnp.sum(fs(z, p) * jnp.arange(1.0, len(edges))),
                                    argnums=(0, 1)))(z, p)
    assert np.all(np.asarray(slow) > 0)
    np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=0)
    np.testing.assert_allclose(gz, gz2, rtol=1e-6, atol=1e-6 * np.max(np.abs(gz2)))
    np.testing.assert_allclose(gp, gp2, rtol=1e-6, atol=1e-6 * np.max(np.abs(gp2)))
    # finite differences of the fast path (central, one direction each)
    h = 1e-4
    for k in range(len(z)):
        e = jnp.zeros_like(z).at[k].set(h)
        fd = (loss(z + e, p) - loss(z - e, p)) / (2 * h)
        assert float(gz[k]) == pytest.approx(float(fd), rel=1e-6, abs=1e-9 * float(jnp.max(jnp.abs(gz))))
    for k in range(len(p)):
        e = jnp.zeros_like(p).at[k].set(h * abs(float(p[k])))
        fd = (loss(z, p + e) - loss(z, p - e)) / (2 * h * abs(float(p[k])))
        assert float(gp[k]) == pytest.approx(float(fd), rel=1e-5, abs=1e-9 * float(jnp.max(jnp.abs(gp))))


def test_massive_sterile_pair_keeps_the_quadrature(par):
    """A (sampled) sterile mass: no polynomial table, the quadrature, bin by bin."""
    def f(m, c):
        return w.BR_bin("B+->K", EDGES[:-1], EDGES[1:], {"CSL_bsnuenue": c, "m_nuR_e": m},
                        par, n=16)
    fast = jax.jit(f)(0.7, 2.0)
    with common.fast_paths(False):
        slow = jax.jit(f)(0.7, 2.0)
    np.testing.assert_allclose(fast, slow, rtol=1e-12)
    assert float(fast[0]) == 0.0 and float(jnp.sum(fast)) > 0     # below the threshold 0.49


# ---------------------------------------------------------------- marginal modes
def test_marginal_mode_and_hdi_against_closed_forms():
    rng = np.random.default_rng(0)
    # Gaussian: mode mu (a kernel estimate's mode scatters by ~0.1 sigma here), 95 % HDI
    # mu -+ 1.96 sigma
    x = rng.normal(3.0, 1.0, size=40000)
    m, lo, hi = mode_and_hdi(x, 0.95)
    assert m == pytest.approx(3.0, abs=0.35)
    assert (lo, hi) == (pytest.approx(3.0 - 1.96, abs=0.05), pytest.approx(3.0 + 1.96, abs=0.05))
    # exponential on [0, inf): mode at the bound 0, 95 % HDI [0, ln 20]
    y = rng.exponential(1.0, size=40000)
    m, lo, hi = mode_and_hdi(y, 0.95, bounds=(0.0, None))
    assert m == 0.0
    assert lo == pytest.approx(0.0, abs=1e-3) and hi == pytest.approx(np.log(20.0), abs=0.05)
    # without the reflection a kernel estimate pulls that mode inside
    assert marginal_mode(y) > 0.05
    # mirror image at an upper bound
    assert marginal_mode(10.0 - y, bounds=(None, 10.0)) == 10.0
    with pytest.raises(ValueError, match="empty"):
        marginal_mode(y, bounds=(1.0, 1.0))


# ---------------------------------------------------------------- joint posterior mode
def _toy_run(tmp_path, model, prior, value, error):
    (tmp_path / "l.yaml").write_text(
        "source: toy\nentries:\n  - name: toy_gauss\n    type: gaussian\n"
        f"    observable: 'BR(B+->Knunu)'\n    value: {value!r}\n    error: {error!r}\n"
        "    reference: {citation: 'toy', where: 'test'}\n")
    import bkfit
    return bkfit.log_likelihood({
        "run": {"name": "toy", "seed": 1}, "model": model,
        "priors": {"file": str(ROOT / "priors" / prior)},
        "likelihood": {"files": [str(tmp_path / "l.yaml")]}, "nuisances": {"sets": []}})


def test_posterior_mode_interior(tmp_path, par):
    """C_L^tautau free (flat prior), one Gaussian measurement BR = 2 BR_SM, no nuisances: with
    BR = BR_SM (2 + (1 + C/C_SM)^2)/3 the mode is the root C = C_SM (1 - 2) ... nearest the
    start: C = C_SM (start -3) or C = -3 C_SM (start 15)."""
    import bkfit
    br_sm = float(bkfit.predict("BR(B+->Knunu)")["BR(B+->Knunu)"])
    ll = _toy_run(tmp_path, {"name": "left", "free": ["CL_bsnutaunutau"]}, "left.yaml",
                  2.0 * br_sm, 0.3 * br_sm)
    csm = float(b.CL_SM(par))
    for start, want in ((-3.0, csm), (15.0, -3.0 * csm)):
        x, val = ll.posterior_mode({"CL_bsnutaunutau": start})
        assert float(x["CL_bsnutaunutau"]) == pytest.approx(want, rel=1e-6)
        assert val == pytest.approx(float(ll(x) + ll.log_prior(x)), rel=1e-12)


def test_posterior_mode_at_a_prior_bound(tmp_path):
    """Signal strength mu (flat on [0, 15]) and a measurement below zero: the mode is mu = 0."""
    import bkfit
    br_sm = float(bkfit.predict("BR(B+->Knunu)")["BR(B+->Knunu)"])
    ll = _toy_run(tmp_path, {"name": "sm_mu"}, "sm_mu.yaml", -1.0 * br_sm, 0.3 * br_sm)
    x, _ = ll.posterior_mode({"mu": 6.0})
    assert float(x["mu"]) == 0.0


@pytest.mark.parametrize("model, theta", [("wet_eos", {"CVL_eos": 11.3, "CSL_eos": 0.5,
                                                        "CTL_eos": 8.2}),
                                          ("sm_mu", {"mu": 2.3})])
def test_folded_signal_strength_keeps_the_predictions(model, theta, par):
    """WCxf export folds the SM switch-off / rescaling into new-physics C_L^ii: same physics."""
    c = make_model(model, {}).coefficients(theta)
    folded = b.fold_signal_strength(c, par)
    assert "nunu_signal_strength" not in folded
    cat = default_catalogue()
    for obs in ("BR(B+->Knunu)", "BR(B0->K*nunu)", "FLtot(B0->K*nunu)"):
        assert float(cat.predict(obs, folded, par)) == pytest.approx(
            float(cat.predict(obs, c, par)), rel=1e-12), obs
