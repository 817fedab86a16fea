"""The Belle II pyhf likelihood inside bkfit: agreement with pyhf's numpy backend, the
reweighting identities (null spectrum <-> mu), gradients."""
import copy
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bkfit  # noqa: F401
from bkfit.likelihood.pyhf_term import PyhfTerm

pyhf = pytest.importorskip("pyhf")
ROOT = Path(__file__).resolve().parents[1]
D = ROOT / "likelihoods" / "belle2_kpnunu_2023"
ENTRY = {
    "name": "b2", "type": "pyhf", "workspace": "combined_likelihood.json",
    "maps": {
        "A__Bsig_H_reconstructed_q2_vs_BDT2_Bplus2Kplus_v42_signal_inefficiency_zoomSR_Y4S/signal": "number_density_ita_regA.csv",
        "B__Bsig_H_reconstructed_q2_vs_BDT2_Bplus2Kplus_v42_signal_inefficiency_zoomCR_Y4S/signal": "number_density_ita_regB.csv",
        "sgn1_had/sgn_1_had": "number_density_hta.csv"},
    "null_spectrum": "null_spectrum.yaml", "reference": {"citation": "arXiv:2311.14647"},
}


@pytest.fixture(scope="module")
def numpy_model():
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(json.loads((D / "combined_likelihood.json").read_text()))
    m = ws.model()
    return m, np.asarray(ws.data(m))


def _random_pars(model, rng, scale=0.5):
    p = np.asarray(model.config.suggested_init(), float)
    for name in model.config.par_order:
        sl = model.config.par_slice(name)
        ps = model.config.param_set(name)
        if name == "mu":
            p[sl] = rng.uniform(0, 8)
        elif dict(model.config.modifiers).get(name) == "staterror":
            p[sl] = 1 + scale * rng.normal(0, 1, sl.stop - sl.start) * np.asarray(ps.sigmas)
        else:
            p[sl] = scale * rng.normal(0, 1, sl.stop - sl.start)
    return p


def test_untouched_workspace_matches_pyhf_numpy(numpy_model):
    m_np, data = numpy_model
    rng = np.random.default_rng(1)
    pts = [_random_pars(m_np, rng) for _ in range(20)]
    pyhf.set_backend("numpy")
    ref = [float(m_np.logpdf(p, data)[0]) for p in pts]
    term = PyhfTerm.from_entry({**ENTRY, "mode": "mu"}, D)
    assert term.model.config.par_order == m_np.config.par_order
    f = jax.jit(term.full_logpdf)
    for p, r in zip(pts, ref):
        assert float(f(jnp.asarray(p))) == pytest.approx(r, rel=1e-8)
    # gradient against central finite differences in a few directions
    g = np.asarray(jax.grad(term.full_logpdf)(jnp.asarray(pts[0])))
    for i in [0, 5, 40, 100, 200]:
        h = 1e-5
        e = np.zeros_like(pts[0]); e[i] = h
        fd = (float(f(jnp.asarray(pts[0] + e))) - float(f(jnp.asarray(pts[0] - e)))) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-6)


def test_null_spectrum_reweighting_equals_mu(numpy_model):
    m_np, data = numpy_model
    orig = PyhfTerm.from_entry({**ENTRY, "mode": "mu"}, D)
    rw = PyhfTerm.from_entry({**ENTRY, "drop_ff_systematics": False}, D)
    rng = np.random.default_rng(2)
    cfg_o, cfg_r = orig.model.config, rw.model.config
    for k in [1.0, 2.7, 4.6]:
        for _ in range(5):
            po = _random_pars(m_np, rng)
            po[cfg_o.par_slice("mu")] = k
            # the same nuisance values by name in the reweighted model
            pr = np.asarray(cfg_r.suggested_init(), float)
            for name in cfg_r.par_order:
                if name.startswith("rw_"):
                    continue
                pr[cfg_r.par_slice(name)] = po[cfg_o.par_slice(name)]
            ratios = rw.ratios(jnp.asarray(k * rw.null_bins))
            for nm_idx, r in zip(rw._sf_idx, ratios):
                pr[nm_idx] = np.asarray(r)
            a = float(orig.full_logpdf(jnp.asarray(po)))
            assert np.isfinite(a)
            b = float(rw.full_logpdf(jnp.asarray(pr)))
            assert b == pytest.approx(a, rel=1e-8)


def test_sm_spectrum_ratios_and_gradient(par):
    from bkfit import observables as obsreg
    [term] = __import__("bkfit.likelihood.loader", fromlist=["x"]).load_file(
        ROOT / "likelihoods" / "belle2_kpnunu_2023.yaml")
    bins = obsreg.predict("<BR>(B+->K+invisible)", {}, par, q2min=term.edges[:-1],
                          q2max=term.edges[1:])
    for r in term.ratios(bins):
        # bkfit's SM (flavio BSZ form factors) vs Belle II's null spectrum (HPQCD): a few %
        assert np.all(np.abs(np.asarray(r) - 1) < 0.08)
    nuis = {f"{term.name}::alpha": jnp.zeros(len(term._alpha_idx)),
            f"{term.name}::gamma": jnp.ones(len(term._gamma_idx))}
    f = lambda k: term.log_likelihood([k * bins], nuis)  # noqa: E731
    for k in [0.0, 1.0, 4.0]:
        g = float(jax.grad(f)(k))
        fd = (float(f(k + 1e-5)) - float(f(k - 1e-5 if k > 0 else k))) / (2e-5 if k > 0 else 1e-5)
        assert np.isfinite(g) and g == pytest.approx(fd, rel=1e-3, abs=1e-3)


def test_mu_mle_reproduces_belle2():
    """Profile the full workspace in JAX (scipy L-BFGS on our jitted logpdf): mu-hat = 4.6."""
    from scipy.optimize import minimize
    term = PyhfTerm.from_entry({**ENTRY, "mode": "mu"}, D)
    nll = jax.jit(lambda p: -term.full_logpdf(p))
    vg = jax.jit(jax.value_and_grad(lambda p: -term.full_logpdf(p)))
    x0 = np.asarray(term.model.config.suggested_init(), float)
    bounds = [tuple(b) for b in term.model.config.suggested_bounds()]
    res = minimize(lambda x: tuple(np.asarray(v, float) for v in vg(jnp.asarray(x))), x0,
                   jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 5000})
    mu = res.x[term.model.config.poi_index]
    assert mu == pytest.approx(4.6, abs=0.1)
    del nll
