"""bkfit: Bayesian global fits of new physics in b -> s + invisible transitions.

Data flow (one direction only):
inputs & form factors -> physics (pure JAX observables) -> models (parameters -> Wilson
coefficients) -> likelihood assembly -> inference -> CLI / plots.
"""
import jax

# Flavour physics needs double precision (branching ratios ~1e-6, CKM ~1e-2).
jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
