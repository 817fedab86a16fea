"""ln Z by jaxns 3 nested sampling on the unit hypercube; error: jaxns' ``log_Z_uncert``
(docs/evidence.md)."""
from __future__ import annotations

import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .result import EvidenceResult

_JAXNS_CACHE: dict = {}


def nested_sampling(loglike_unit: Callable, dim: int, args: tuple = (), seed: int = 0,
                    num_live: int | None = None, max_samples: int | None = None,
                    dlogz: float = 1e-3, cache_key=None, progress=None) -> EvidenceResult:
    """ln Z of ``integral_0^1 exp(loglike_unit(u, *args)) d^D u`` with jaxns.

    ``num_live``: jaxns ``root_allocation_degree`` (independent root chains; default
    max(30 D, 150), jaxns' own default is 30 D); ``dlogz``: stop when the remaining evidence is below ln(1 + dlogz).
    ``cache_key``: reuse the compiled sampler for repeated calls with new ``args``.
    ``progress``: a callable receiving jaxns' progress lines (samples so far, largest ln L,
    elapsed time) after every goal iteration."""
    if dim == 0:
        raise ValueError("nested_sampling needs dim >= 1")
    from jaxns.core import NestedSampler
    from jaxns.depth_condition import DepthCondition
    from jaxns.model import Model
    from jaxns.priors import Prior
    from tensorflow_probability.substrates import jax as tfp
    tfpd = tfp.distributions

    key = ((cache_key, dim, num_live, max_samples, dlogz, progress is not None)
           if cache_key is not None else None)
    if key is not None and key in _JAXNS_CACHE:
        sampler = _JAXNS_CACHE[key]
    else:
        def prior_model(*a):
            u = Prior(tfpd.Uniform(low=jnp.zeros(dim), high=jnp.ones(dim)), name="u").realise()
            return loglike_unit(u, *a)

        num_live = num_live or max(30 * dim, 150)
        sampler = NestedSampler(model=Model(prior_model=prior_model),
                                root_allocation_degree=num_live, max_samples=max_samples,
                                depth_condition=DepthCondition(dlogZ=jnp.log1p(dlogz)),
                                verbose=progress is not None)
        if key is not None:
            _JAXNS_CACHE[key] = sampler
    t0 = time.time()
    handler = None
    if progress is not None:
        import logging

        from jaxns.logging import jaxns_logger

        class _Forward(logging.Handler):
            def emit(self, record):
                progress(f"nested: {record.getMessage()}")
        handler = _Forward(level=logging.INFO)
        old = (jaxns_logger.handlers[:], jaxns_logger.level, jaxns_logger.propagate)
        jaxns_logger.handlers = [handler]          # ours only (no duplicate lines)
        jaxns_logger.setLevel(logging.INFO)
        jaxns_logger.propagate = False
    try:
        state = sampler.run(key=jax.random.PRNGKey(seed), args=tuple(args))
    finally:
        if handler is not None:
            jaxns_logger.handlers, _, jaxns_logger.propagate = old
            jaxns_logger.setLevel(old[1])
    res = state.to_result().trim()
    dt = time.time() - t0
    info = {"termination": str(getattr(res, "termination_reason", "")),
            "information_H": float(res.H_mean), "max_lnL": float(res.log_L_supremum)
            if np.ndim(res.log_L_supremum) == 0 else float(np.max(res.log_L_supremum)),
            "posterior_ess": float(res.ess)}
    settings = {"library": "jaxns 3", "num_live (root_allocation_degree)":
                sampler.root_allocation_degree, "dlogZ": dlogz, "seed": seed,
                "error": "jaxns log_Z_uncert (prior-volume shrinkage statistics)"}
    return EvidenceResult("nested", float(res.log_Z_mean), float(res.log_Z_uncert),
                          int(res.total_num_likelihood_evaluations), dt, settings, info)
