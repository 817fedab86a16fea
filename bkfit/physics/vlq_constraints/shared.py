"""What the VLQ constraint modules share: the data file, coefficient access and a
per-parameter-point cache of SM pieces."""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ...inputs.data_files import read_values

PI = math.pi


@functools.lru_cache(maxsize=1)
def data() -> dict:
    """vlq_constraints.yaml as {section: {name: value}}."""
    return read_values("vlq_constraints.yaml")


def coeff(coeffs, k):
    """Coefficient ``k`` of ``coeffs`` as a complex number (0 if absent)."""
    return jnp.asarray(coeffs.get(k, 0.0), dtype=complex)


RUN_KEYS = ("alpha_s", "m_Z", "m_b", "m_s", "m_d", "m_t", "m_W", "GF", "Vus", "Vub", "Vcb",
            "gamma")


def par_cached(*keys):
    """Memoise a function of ``par`` (and hashable extra arguments) that depends on the listed
    parameters only (plus RUN_KEYS), when none of them is a JAX tracer: the SM pieces
    (QCD running, M12^SM, matrix elements) are then computed once per parameter point instead
    of being re-traced in every jitted likelihood or gradient.  With traced parameters
    (nuisances) the function is evaluated normally."""
    allkeys = tuple(dict.fromkeys(RUN_KEYS + keys))

    def deco(fn):
        cache = {}

        @functools.wraps(fn)
        def wrapper(par, *args):
            vals = [par[k] for k in allkeys]
            if any(isinstance(x, jax.core.Tracer) for x in vals):
                return fn(par, *args)
            key = (tuple(float(x) for x in vals), args)
            if key not in cache:
                with jax.ensure_compile_time_eval():       # concrete even inside a jit trace
                    cache[key] = jax.tree_util.tree_map(np.asarray,
                                                        jax.device_get(fn(par, *args)))
            return cache[key]
        return wrapper
    return deco
