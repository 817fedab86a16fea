"""Physics inputs: parameter values, uncertainties and correlations."""
from .parameters import ParameterDB, load_db, NUISANCE_SETS  # noqa: F401
