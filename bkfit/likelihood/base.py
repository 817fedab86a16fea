"""The interface every likelihood term implements.

A term

* ``requests()``: the observables it needs, as a list of ``(name, args)`` with ``args`` a
  dict of kinematic arguments (numbers or numpy arrays; arrays give vector predictions);
* ``nuisance_priors()``: its own nuisance parameters, ``name -> numpyro distribution``
  (sampled by the inference layer together with the model parameters; may be empty);
* ``log_likelihood(preds, nuis)``: a JAX scalar, where ``preds`` is the list of predictions
  in the order of ``requests()`` and ``nuis`` the dict of its nuisance values.

``log_likelihood + sum(prior.log_prob(nuis))`` is the term's full log-likelihood (for a pyhf
workspace: pyhf's ``logpdf`` with main and auxiliary data).

For ArviZ (posterior.nc) a term also gives ``pointwise`` (its ln L split into independent
pieces, one per measurement or bin, summing to ``log_likelihood``; one piece by default),
``point_labels`` (a name per piece), ``observed`` (the measured central values, or None for
a term without one, e.g. a limit) and ``replicate`` (a draw of replicated data of the shape
of ``observed``, for posterior-predictive checks).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reference:
    """Where a measurement comes from: citation (arXiv id or DOI), table/figure, notes."""
    citation: str            # arXiv id or DOI
    where: str = ""          # table / figure / equation
    notes: str = ""


@dataclass
class Term:
    """Base class of likelihood terms: a term requests observable predictions and turns them
    (and its own nuisance parameters, if any) into a log-likelihood."""
    name: str
    reference: Reference | None = None
    source_file: str = ""
    notes: str = ""
    options: dict = field(default_factory=dict)

    def requests(self) -> list[tuple[str, dict]]:
        """The ``(observable name, arguments)`` pairs whose predictions ``log_likelihood`` receives,
        in that order."""
        raise NotImplementedError

    def nuisance_priors(self) -> dict:
        """numpyro distributions of the term's own nuisance sites, by site name (none by default)."""
        return {}

    def log_likelihood(self, preds: list, nuis: dict):
        """ln L of the term given the predictions ``preds`` (order of :meth:`requests`) and the
        values ``nuis`` of its nuisance sites."""
        raise NotImplementedError

    def pointwise(self, preds: list, nuis: dict):
        """ln L as a 1-d array of independent pieces (sum = ``log_likelihood``)."""
        import jax.numpy as jnp
        return jnp.atleast_1d(self.log_likelihood(preds, nuis))

    def point_labels(self) -> list[str]:
        """One label per entry of :meth:`pointwise`."""
        return [self.name]

    def observed(self):
        """Measured central values as a 1-d numpy array, or None (no measured value)."""
        return None

    def replicate(self, key, preds: list, nuis: dict):
        """Replicated data (shape of :meth:`observed`) drawn with the JAX key ``key``."""
        return None

    def describe(self) -> str:
        """One-line description for reports."""
        return self.name
