"""PSIS-LOO of a run (bkfit.inference.results.psis_loo / loo_summary, compare's LOO column):
points whose log-likelihood is the same in every draw are exact, not "unreliable"."""
import warnings

import arviz as az
import numpy as np
import xarray as xr
from scipy.special import logsumexp

from bkfit.inference.compare import _loo
from bkfit.inference.results import loo_summary, psis_loo


def _idata(values):
    c, d, n = values.shape
    ll = xr.DataArray(values, dims=("chain", "draw", "measurement"),
                      coords={"chain": np.arange(c), "draw": np.arange(d),
                              "measurement": [f"m{i}" for i in range(n)]})
    post = xr.Dataset({"x": (("chain", "draw"), np.zeros((c, d)))})
    return az.InferenceData(posterior=post,
                            log_likelihood=xr.Dataset({"total_pointwise": ll}))


def test_constant_points_are_exact_and_do_not_raise_the_warning():
    rng = np.random.default_rng(3)
    c, d = 2, 1000
    # five points a Gaussian posterior moves a little (smooth, well-behaved importance
    # ratios) and three it cannot move (constant log-likelihood, e.g. an LFV limit)
    mu = rng.normal(0.0, 0.1, size=(c, d, 1))
    y = rng.normal(0.0, 1.0, size=5)
    varying = -0.5 * (y - mu) ** 2 - 0.5 * np.log(2 * np.pi)
    consts = np.array([-0.3, 0.0, -2.1])
    constant = np.broadcast_to(consts, (c, d, 3))
    values = np.concatenate([varying, constant], axis=-1)
    idata = _idata(values)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = az.loo(idata, var_name="total_pointwise", pointwise=True)
    k_raw = np.asarray(raw["pareto_k"])
    r, k, n_const = psis_loo(idata)
    assert n_const == 3
    assert np.all(k[5:] == 0.0)
    np.testing.assert_array_equal(k[:5], k_raw[:5])          # the others untouched
    assert np.all(k[:5] < 0.7)

    # exact leave-one-out for a constant point: p(y_i | y_-i) = L_i; for the others, the
    # harmonic-mean identity 1/p(y_i|y_-i) = E_post[1/L_i] (plain importance sampling, fine
    # for these light-tailed ratios) -- computed here without ArviZ
    s = values.reshape(c * d, -1)
    exact_i = -(logsumexp(-s, axis=0) - np.log(s.shape[0]))
    np.testing.assert_allclose(np.asarray(r["loo_i"])[5:], consts, atol=1e-12)
    np.testing.assert_allclose(float(r["elpd_loo"]), exact_i.sum(), atol=0.02)

    summ = loo_summary(idata)
    assert summ["pareto_k_above_0.7"] == 0 and summ["n_constant_points"] == 3
    assert np.isfinite(summ["pareto_k_max"])
    assert _loo(idata)["warning"] is False


def test_a_heavy_tailed_point_still_raises_the_warning():
    rng = np.random.default_rng(5)
    c, d = 2, 1000
    good = rng.normal(0.0, 0.1, size=(c, d, 3))
    # log-likelihood with a Cauchy-like left tail: 1/L has an infinite-variance tail
    bad = -np.abs(rng.standard_cauchy(size=(c, d, 1))) * 5.0
    idata = _idata(np.concatenate([good, bad], axis=-1))
    _, k, n_const = psis_loo(idata)
    assert n_const == 0
    assert k[3] > 0.7
    assert loo_summary(idata)["pareto_k_above_0.7"] >= 1
    assert _loo(idata)["warning"] is True
