"""bkfit: Bayesian global fits of new physics in b -> s + invisible transitions.

Data flow (one direction only):
inputs & form factors -> physics (pure JAX observables) -> models (parameters -> Wilson
coefficients) -> likelihood assembly -> inference -> CLI / plots.

The Python API (bkfit/api.py) is available from here: ``bkfit.predict``, ``bkfit.fit``,
``bkfit.load``, ``bkfit.log_likelihood``, ``bkfit.evidence``, ``bkfit.compare``,
``bkfit.export``, ``bkfit.shipped_runs``, ``bkfit.belle2_predictive``, ``bkfit.forecast``; bkfit's errors as ``bkfit.BkfitError``
and ``bkfit.InputError``.  They are loaded on first use, so ``import bkfit`` stays cheap and
the package root imports nothing of its own at load time.
"""
import importlib
import os

import jax

# Flavour physics needs double precision (branching ratios ~1e-6, CKM ~1e-2).
jax.config.update("jax_enable_x64", True)


def _enable_compilation_cache() -> str | None:
    """Keep JAX's compiled programs on disk, so that a second fit, prediction or test of the
    same run reuses them instead of compiling again (compiling the joint likelihood and the
    sampling loop is most of a short fit's wall time).  The folder is ``$BKFIT_JAX_CACHE``,
    else ``$XDG_CACHE_HOME/bkfit/jax`` (``~/.cache/bkfit/jax``); ``BKFIT_JAX_CACHE=0``
    switches it off, and a cache folder the user configured in JAX is left alone.  Returns
    the folder in use, or None."""
    setting = os.environ.get("BKFIT_JAX_CACHE", "").strip()
    if setting.lower() in ("0", "off", "no", "false"):
        return None
    if jax.config.jax_compilation_cache_dir:
        return jax.config.jax_compilation_cache_dir
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = setting or os.path.join(base, "bkfit", "jax")
    jax.config.update("jax_compilation_cache_dir", path)
    # every program, also the many small ones that loading a run compiles (eager jnp
    # operations on the inputs): together they are seconds of a short fit's start-up
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


COMPILATION_CACHE = _enable_compilation_cache()

__version__ = "0.1.0"

_API = ("predict", "fit", "load", "log_likelihood", "LogLikelihood", "evidence", "compare",
        "export", "shipped_runs", "belle2_predictive", "forecast")
_ERRORS = ("BkfitError", "InputError", "ModelError", "RunFailed", "RunInterrupted")
__all__ = list(_API + _ERRORS)


def __getattr__(name):
    if name in _API:
        return getattr(importlib.import_module(".api", __name__), name)
    if name in _ERRORS:
        return getattr(importlib.import_module(".errors", __name__), name)
    raise AttributeError(f"module 'bkfit' has no attribute '{name}'")


def __dir__():
    return sorted(list(globals()) + __all__)
