"""Sampling coordinates for NUTS that leave the prior and the posterior unchanged.

``[sampler] asinh_scale = {yq_d = 0.03}`` makes NUTS sample the model parameter ``yq_d``
through the coordinate ``w = asinh(yq_d / 0.03)`` (site ``yq_d__asinh``; ``yq_d`` itself
becomes a deterministic site with the same name and values as before).  The density of
``w`` is the prior of ``yq_d`` pulled back, ``p(s sinh w) s cosh w``, so the joint
distribution is exactly the same; only the geometry NUTS sees changes: linear within
``|yq_d| <~ s``, logarithmic beyond.

What it is for: a parameter whose posterior has a narrow core and long arms -- a product
constraint ``|x y| < eps`` (a cross in the (x, y) plane, arms narrowing like 1/|x|) or a
quartic wall.  Where the arms narrow, the step size adapted to the core is too large and
NUTS diverges; in asinh coordinates the hyperbolae ``x y = eps`` become straight lines
``w_x + w_y = const`` and the arms keep their width (docs/vlq.md, ``runs/vlq_free.toml``).

Only the NUTS fits use these coordinates; the evidence estimators, prior draws and the
posterior-predictive draws use the model as written.  ``s`` should be of the order of the
parameter's posterior width at the core.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer.reparam import Reparam

SUFFIX = "__asinh"


class AsinhPullback(dist.Distribution):
    """The distribution of ``w = asinh(x / scale)`` for ``x ~ base`` (a univariate
    distribution with support an interval or the real line)."""
    arg_constraints = {"scale": constraints.positive}
    reparametrized_params = []

    def __init__(self, base, scale, validate_args=None):
        if base.event_shape != () or base.batch_shape != ():
            raise ValueError("asinh coordinates need a scalar parameter")
        self.base, self.scale = base, scale
        sup = base.support
        if sup is constraints.real:
            self._support = constraints.real
        elif hasattr(sup, "lower_bound") and hasattr(sup, "upper_bound"):
            self._support = constraints.interval(jnp.arcsinh(sup.lower_bound / scale),
                                                 jnp.arcsinh(sup.upper_bound / scale))
        else:
            raise ValueError(f"asinh coordinates need a prior on an interval or the real "
                             f"line, not on {sup}")
        super().__init__(batch_shape=(), event_shape=(), validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        """asinh of the base support's bounds (the real line for an unbounded base)."""
        return self._support

    def sample(self, key, sample_shape=()):
        """Draws of the base distribution mapped by asinh(x / scale)."""
        return jnp.arcsinh(self.base.sample(key, sample_shape) / self.scale)

    def log_prob(self, value):
        """ln p_base(scale sinh w) + ln(scale cosh w)."""
        x = self.scale * jnp.sinh(value)
        # log(scale cosh w) = log(scale) + |w| + log1p(exp(-2|w|)) - log 2 (stable)
        log_jac = (jnp.log(self.scale) + jnp.abs(value) + jnp.log1p(jnp.exp(-2 * jnp.abs(value)))
                   - jnp.log(2.0))
        return self.base.log_prob(x) + log_jac


class AsinhReparam(Reparam):
    """numpyro reparametrisation: the site ``name`` is sampled as ``name__asinh`` (an
    :class:`AsinhPullback` of its prior) and recorded as the deterministic
    ``scale * sinh(name__asinh)``."""

    def __init__(self, scale: float):
        self.scale = float(scale)

    def __call__(self, name, fn, obs):
        if obs is not None:
            raise ValueError(f"asinh coordinates for observed site '{name}'")
        w = numpyro.sample(name + SUFFIX, AsinhPullback(fn, self.scale))
        return None, self.scale * jnp.sinh(w)


def reparametrised(model_fn, scales: dict):
    """``model_fn`` with every site in ``scales`` (name -> s) sampled in asinh coordinates
    (unchanged when ``scales`` is empty)."""
    if not scales:
        return model_fn
    return numpyro.handlers.reparam(model_fn, config={k: AsinhReparam(s)
                                                      for k, s in scales.items()})


def sampled_site(name: str, scales: dict) -> str:
    """The site NUTS samples for the model site ``name`` (for dense-mass groups)."""
    return name + SUFFIX if name in scales else name


def strip_internal(samples: dict) -> dict:
    """Drop the internal ``__asinh`` coordinates from a dict of draws (the posterior keeps
    the model's own parameters, recorded as deterministic sites)."""
    return {k: v for k, v in samples.items() if not k.endswith(SUFFIX)}
