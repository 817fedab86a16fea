"""Simple likelihood terms: Gaussian, asymmetric Gaussian, multivariate Gaussian, upper limit.

Upper limits.  A published limit ``BR < L`` at confidence level CL is turned into a
half-Gaussian centred at zero, log L = -x^2 / (2 sigma^2) for the predicted x >= 0, with
sigma fixed by P(x < L) = CL, i.e. sigma = L / (sqrt(2) erfinv(CL)) (sigma = L/1.645 for 90 %
CL).  This is the usual treatment of limits in global fits (e.g. smelli); it is exact for
a Gaussian measurement with central value 0 and is conservative otherwise.

Asymmetric errors use a Gaussian whose width is sigma_up above the central value and
sigma_down below (the "split normal"), continuous in value and derivative at the centre.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from annotated_types import Interval
from scipy.special import erfinv

from .base import Term

POSITIVE = Interval(gt=0)


@dataclass
class GaussianTerm(Term):
    """Gaussian measurement of one observable, optionally with a theory error proportional to
    the prediction (``relative_error``)."""
    observable: str = ""
    args: dict = field(default_factory=dict)
    value: float = 0.0
    error: float = 1.0
    # theory error proportional to the prediction x: sigma^2 = error^2 + (relative_error x)^2.
    # The normalisation -ln(sigma/error) is kept (sigma depends on the parameters), so that
    # ln L stays bounded by -1/(2 r^2) - ln(r x/error) for x -> infinity (a prediction many
    # times off is penalised, but without the 1e15-sized cliffs of a fixed error)
    relative_error: float = 0.0
    arg_constraints: ClassVar[dict] = {"error": POSITIVE,
                                       "relative_error": Interval(ge=0, lt=1)}

    def requests(self):
        """The one observable the term constrains."""
        return [(self.observable, self.args)]

    def log_likelihood(self, preds, nuis):
        """``-(x - value)^2 / (2 sigma^2)`` (plus ``-ln(sigma/error)`` when sigma grows with x)."""
        x = preds[0]
        if not self.relative_error:
            return -0.5 * ((x - self.value) / self.error) ** 2
        var = self.error ** 2 + (self.relative_error * x) ** 2
        return -0.5 * (x - self.value) ** 2 / var - 0.5 * jnp.log(var / self.error ** 2)

    def observed(self):
        """The measured central value, as a length-1 array (ArviZ ``observed_data``)."""
        return np.array([self.value])

    def replicate(self, key, preds, nuis):
        """A replicated measurement: a normal draw around the prediction with the term's
        total error (absolute and relative parts in quadrature)."""
        x = jnp.asarray(preds[0])
        sd = jnp.sqrt(self.error ** 2 + (self.relative_error * x) ** 2)
        return jnp.atleast_1d(x + sd * jax.random.normal(key))


@dataclass
class AsymmetricGaussianTerm(Term):
    """Measurement with asymmetric errors: a Gaussian of width ``error_up`` above the value and
    ``error_down`` below it."""
    observable: str = ""
    args: dict = field(default_factory=dict)
    value: float = 0.0
    error_up: float = 1.0
    error_down: float = 1.0
    arg_constraints: ClassVar[dict] = {"error_up": POSITIVE, "error_down": POSITIVE}

    def requests(self):
        """The one observable the term constrains."""
        return [(self.observable, self.args)]

    def log_likelihood(self, preds, nuis):
        """Gaussian ln L with the width of the side of the value the prediction lies on."""
        x = preds[0]
        s = jnp.where(x >= self.value, self.error_up, self.error_down)
        return -0.5 * ((x - self.value) / s) ** 2

    def observed(self):
        """The measured central value, as a length-1 array (ArviZ ``observed_data``)."""
        return np.array([self.value])

    def replicate(self, key, preds, nuis):
        """A draw of the split normal centred on the prediction (up side with probability
        error_up / (error_up + error_down))."""
        k1, k2 = jax.random.split(key)
        u = jnp.abs(jax.random.normal(k1))
        up = jax.random.uniform(k2) < self.error_up / (self.error_up + self.error_down)
        x = jnp.asarray(preds[0])
        return jnp.atleast_1d(jnp.where(up, x + self.error_up * u, x - self.error_down * u))


@dataclass
class UpperLimitTerm(Term):
    """Upper limit at confidence level ``cl``, as a half-Gaussian centred at 0 whose width puts
    the limit at that CL."""
    observable: str = ""
    args: dict = field(default_factory=dict)
    limit: float = 1.0
    cl: float = 0.9
    arg_constraints: ClassVar[dict] = {"limit": POSITIVE, "cl": Interval(gt=0, lt=1)}

    @property
    def sigma(self) -> float:
        """Width of the half-Gaussian: ``limit / (sqrt(2) erfinv(cl))``."""
        return float(self.limit / (np.sqrt(2.0) * erfinv(self.cl)))

    def requests(self):
        """The one observable the term constrains."""
        return [(self.observable, self.args)]

    def log_likelihood(self, preds, nuis):
        """``-x^2 / (2 sigma^2)`` for the prediction clipped at 0."""
        x = jnp.maximum(preds[0], 0.0)
        return -0.5 * (x / self.sigma) ** 2


@dataclass
class MultivariateGaussianTerm(Term):
    """Correlated Gaussian measurement of several observables with a covariance matrix."""
    observables: list = field(default_factory=list)   # [(name, args)]
    values: np.ndarray = None
    covariance: np.ndarray = None

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=float)
        self.covariance = np.asarray(self.covariance, dtype=float)
        n = len(self.observables)
        if self.values.shape != (n,) or self.covariance.shape != (n, n):
            raise ValueError(f"likelihood term '{self.name}': {n} observables need {n} values "
                             f"and an {n}x{n} covariance")
        try:
            np.linalg.cholesky(self.covariance)
        except np.linalg.LinAlgError:
            raise ValueError(f"likelihood term '{self.name}': covariance is not positive "
                             "definite") from None
        self._prec = np.linalg.inv(self.covariance)

    def requests(self):
        """The term's observables, in the order of ``values``."""
        return list(self.observables)

    def log_likelihood(self, preds, nuis):
        """``-d^T C^-1 d / 2`` with d the predictions minus the measured values."""
        x = jnp.stack([jnp.asarray(p) for p in preds])
        d = x - self.values
        return -0.5 * d @ (self._prec @ d)

    def observed(self):
        """The measured central values (ArviZ ``observed_data``)."""
        return np.asarray(self.values)

    def replicate(self, key, preds, nuis):
        """Replicated measurements: a multivariate normal draw around the predictions
        with the term's covariance."""
        x = jnp.stack([jnp.asarray(p) for p in preds])
        chol = jnp.asarray(np.linalg.cholesky(self.covariance))
        return x + chol @ jax.random.normal(key, (len(self.values),))
