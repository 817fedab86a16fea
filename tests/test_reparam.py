"""asinh sampling coordinates ([sampler] asinh_scale, bkfit/inference/reparam.py): the prior
and the posterior stay what they were; only the coordinates NUTS moves in change."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

import bkfit  # noqa: F401  (float64)
import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from bkfit.inference.reparam import AsinhPullback, strip_internal


@pytest.mark.parametrize("base,scale", [(dist.Uniform(-2.0, 2.0), 0.03),
                                        (dist.Uniform(0.0, 0.01), 0.002),
                                        (dist.Normal(0.5, 1.0), 0.2)])
def test_pullback_is_the_prior_in_other_coordinates(base, scale):
    """p_w(w) = p_x(s sinh w) s cosh w: it integrates to 1 over its support (scipy quad), its
    CDF at w equals the prior's CDF at s sinh w, and its draws mapped back by s sinh are
    distributed as the prior (KS test)."""
    pb = AsinhPullback(base, scale)
    sup = pb.support
    lo = float(getattr(sup, "lower_bound", -30.0))
    hi = float(getattr(sup, "upper_bound", 30.0))

    def pdf(w):
        return float(jnp.exp(pb.log_prob(jnp.asarray(w))))
    total, _ = integrate.quad(pdf, lo, hi, limit=400, points=[0.0] if lo < 0 < hi else None)
    assert abs(total - 1.0) < 1e-7
    w1 = lo + 0.37 * (hi - lo)
    part, _ = integrate.quad(pdf, lo, w1, limit=400)
    ref = stats.uniform(float(base.low), float(base.high - base.low)) \
        if isinstance(base, dist.Uniform) else stats.norm(float(base.loc), float(base.scale))
    assert abs(part - ref.cdf(scale * math.sinh(w1))) < 1e-7
    w = pb.sample(jax.random.PRNGKey(4), (4000,))
    assert float(stats.kstest(np.asarray(scale * jnp.sinh(w)), ref.cdf).pvalue) > 1e-3


def _fit(scales, tmp_path):
    from bkfit.inference.nuts import SamplerSettings, run_nuts

    def model():
        x = numpyro.sample("x", dist.Uniform(-2.0, 2.0))
        numpyro.factor("lik", -0.5 * ((x - 0.3) / 0.1) ** 2)     # truncated-normal posterior
    s = SamplerSettings(chains=1, num_warmup=500, num_samples=3000, seed=11,
                        chain_method="sequential", asinh_scale=scales)
    samples, extra, _ = run_nuts(model, s, tmp_path, log=lambda m: None)
    return samples, extra


def test_nuts_in_asinh_coordinates_samples_the_same_posterior(tmp_path):
    """A N(0.3, 0.1) likelihood on a U(-2, 2) prior: sampled in asinh coordinates (scale 0.05,
    so the posterior lies mostly in the logarithmic part) the draws of x have the mean and
    the width of the exact posterior, and the results hold x only (no internal w)."""
    samples, extra = _fit({"x": 0.05}, tmp_path)
    assert set(samples) == {"x"}
    x = np.asarray(samples["x"]).ravel()
    assert int(np.sum(extra["diverging"])) == 0
    exact = stats.truncnorm((-2 - 0.3) / 0.1, (2 - 0.3) / 0.1, loc=0.3, scale=0.1)
    assert abs(x.mean() - exact.mean()) < 0.01         # ~ 5 x the MC error at ESS ~ 1000
    assert abs(x.std() - exact.std()) < 0.01
    assert float(stats.kstest(x[::3], exact.cdf).pvalue) > 1e-3


def test_strip_internal_keeps_model_sites():
    d = {"x": 1, "x__asinh": 2, "nuis::ff_BK": 3}
    assert strip_internal(d) == {"x": 1, "nuis::ff_BK": 3}


def test_dense_block_names_are_mapped_to_the_sampled_site():
    """A dense-mass group naming a parameter in asinh coordinates gets the internal site (else
    numpyro would silently ignore the name)."""
    from bkfit.inference.nuts import SamplerSettings, build_kernel, init_states

    def model():
        numpyro.sample("x", dist.Uniform(-2.0, 2.0))
        numpyro.sample("y", dist.Normal(0.0, 1.0))
    s = SamplerSettings(chains=1, num_warmup=5, num_samples=5, chain_method="sequential",
                        dense_mass=[["x", "y"]], asinh_scale={"x": 0.5})
    k = build_kernel(model, s)
    assert k._dense_mass == [("x__asinh", "y")]
    st = init_states(k, s, "sequential")
    # the inverse mass matrix has one dense 2 x 2 block over both sites
    blocks = st.adapt_state.inverse_mass_matrix
    assert list(blocks) == [("x__asinh", "y")] and blocks[("x__asinh", "y")].shape[-2:] == (2, 2)
