"""bkfit: Bayesian global fits of new physics in b -> s + invisible transitions.

Data flow (one direction only):
inputs & form factors -> physics (pure JAX observables) -> models (parameters -> Wilson
coefficients) -> likelihood assembly -> inference -> CLI / plots.

The Python API (bkfit/api.py) is available from here: ``bkfit.predict``, ``bkfit.fit``,
``bkfit.load``, ``bkfit.log_likelihood``, ``bkfit.evidence``, ``bkfit.compare``,
``bkfit.export``, ``bkfit.shipped_runs``, ``bkfit.belle2_predictive``; bkfit's errors as ``bkfit.BkfitError``
and ``bkfit.InputError``.  They are loaded on first use, so ``import bkfit`` stays cheap and
the package root imports nothing of its own at load time.
"""
import importlib

import jax

# Flavour physics needs double precision (branching ratios ~1e-6, CKM ~1e-2).
jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

_API = ("predict", "fit", "load", "log_likelihood", "LogLikelihood", "evidence", "compare",
        "export", "shipped_runs", "belle2_predictive")
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
