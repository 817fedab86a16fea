"""The staterror prior (bkfit/likelihood/positive_normal.py): the density of a Normal truncated
at 0 (against scipy), a sampling map that is a bijection with the right Jacobian (against
autodiff), Gaussian sampling coordinates where numpyro's default map is skewed, and NUTS
draws distributed as the prior (against scipy's moments)."""
import numpy as np
import pytest
from scipy import stats

import bkfit  # noqa: F401  (float64)
import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import transforms as T

from bkfit.likelihood.positive_normal import PositiveNormal, PositiveSoftplus

SIGMAS = np.array([0.03, 0.1, 0.3, 0.7, 1.0, 1.5])


def test_density_is_the_truncated_normal():
    """log_prob = scipy.stats.truncnorm.logpdf (loc 1, truncated at 0), and -inf below 0."""
    d = PositiveNormal(np.ones(len(SIGMAS)), SIGMAS)
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = rng.uniform(1e-3, 4.0, len(SIGMAS))
        ref = stats.truncnorm.logpdf(x, a=-1.0 / SIGMAS, b=np.inf, loc=1.0, scale=SIGMAS)
        np.testing.assert_allclose(np.asarray(d.log_prob(jnp.asarray(x))), ref, rtol=1e-12)
    assert isinstance(d.support, PositiveSoftplus)
    assert not bool(jnp.any(d.support(jnp.asarray([-0.1, 0.0]))))


def test_sampling_map_is_a_bijection_with_the_autodiff_jacobian():
    """biject_to(support): real line -> (0, inf), inverse to rounding, and its log |Jacobian|
    equals log of the derivative that jax.grad takes of the forward map."""
    s = 0.3
    t = T.biject_to(PositiveSoftplus(jnp.asarray(s)))
    u = jnp.linspace(-8.0, 8.0, 161)
    x = t(u)
    assert bool(jnp.all(x > 0))
    np.testing.assert_allclose(np.asarray(t.inv(x)), np.asarray(u), atol=1e-9)
    dxdu = jax.vmap(jax.grad(lambda v: t(v)))(u)
    np.testing.assert_allclose(np.asarray(t.log_abs_det_jacobian(u, x)),
                               np.log(np.asarray(dxdu)), atol=1e-10)
    # identity up to s exp(-x/s) where x >> s
    big = u > 5 * s
    assert float(jnp.max(jnp.abs(x - u)[big] / (s * jnp.exp(-u[big] / s)))) < 1.01


@pytest.mark.parametrize("sigma", [0.3, 0.6, 1.0])
def test_sampling_coordinate_is_gaussian_where_the_log_map_is_not(sigma):
    """Prior draws pulled back to the unconstrained coordinate: excess kurtosis ~0 with the
    softplus map, against a clearly skewed, heavy-tailed coordinate under numpyro's default
    map for gamma > 0 (the log)."""
    d = PositiveNormal(1.0, sigma)
    x = d.sample(jax.random.PRNGKey(0), (200_000,))
    u_soft = T.biject_to(d.support).inv(x)
    u_log = T.biject_to(dist.constraints.positive).inv(x)
    ks, kl = stats.kurtosis(np.asarray(u_soft)), stats.kurtosis(np.asarray(u_log))
    assert abs(ks) < 0.25 and abs(stats.skew(np.asarray(u_soft))) < 0.25
    assert kl > 5 and stats.skew(np.asarray(u_log)) < -1.5


def test_nuts_draws_follow_the_prior():
    """NUTS on the prior alone (sigma = 1: the truncation matters): sample mean and standard
    deviation equal scipy's truncated-normal moments within 5 Monte Carlo errors."""
    sig = np.array([0.3, 1.0])

    def model():
        numpyro.sample("g", PositiveNormal(np.ones(2), sig).to_event(1))
    mcmc = numpyro.infer.MCMC(numpyro.infer.NUTS(model), num_warmup=500, num_samples=4000,
                              progress_bar=False)
    mcmc.run(jax.random.PRNGKey(2))
    g = np.asarray(mcmc.get_samples()["g"])
    ref = stats.truncnorm(a=-1.0 / sig, b=np.inf, loc=1.0, scale=sig)
    ess = np.asarray(numpyro.diagnostics.effective_sample_size(g[None]))
    for i in range(2):
        assert abs(g[:, i].mean() - ref.mean()[i]) < 5 * ref.std()[i] / np.sqrt(ess[i])
        assert abs(g[:, i].std() - ref.std()[i]) < 5 * ref.std()[i] / np.sqrt(2 * ess[i]) + 0.01
    assert g.min() > 0
