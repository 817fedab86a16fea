"""The interface every likelihood term implements.

A term

* ``requests()``: the observables it needs, as a list of ``(name, args)`` with ``args`` a
  dict of kinematic arguments (numbers or numpy arrays; arrays give vector predictions);
* ``nuisance_priors()``: its own nuisance parameters, ``name -> numpyro distribution``
  (sampled by the inference layer together with the model parameters; may be empty), and
  ``nuisance_sites()`` their names;
* ``log_likelihood(preds, nuis)``: a JAX scalar, where ``preds`` is the list of predictions
  in the order of ``requests()`` and ``nuis`` the dict of its nuisance values.

``log_likelihood + sum(prior.log_prob(nuis))`` is the term's full log-likelihood (for a pyhf
workspace: pyhf's ``logpdf`` with main and auxiliary data).

For ArviZ (posterior.nc) a term also gives ``pointwise`` (its ln L split into independent
pieces, one per measurement or bin, summing to ``log_likelihood``; one piece by default),
``point_labels`` (a name per piece), ``observed`` (the measured central values, or None for
a term without one, e.g. a limit) and ``replicate`` (a draw of replicated data of the shape
of ``observed``, for posterior-predictive checks).

Constraints on a term's numeric fields are declared once, in the class attribute
``arg_constraints`` (field -> ``annotated_types.Interval``, as numpyro's distributions declare
theirs): the constructor checks them with :meth:`Term.check_args`, and the likelihood-file
schemas (bkfit.likelihood.loader) put the same objects into their pydantic fields, so a file
gets pydantic's field-level message from the same declaration.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import ClassVar

from annotated_types import Interval
from pydantic import Field

from ..errors import StrictModel


def interval_text(c: Interval) -> str:
    """``c`` as text: ``> 0``, ``>= 0``, ``in (0, 1)``, ``in [0, 1)`` ..."""
    lo = (f"({c.gt}" if c.gt is not None else f"[{c.ge}" if c.ge is not None else None)
    hi = (f"{c.lt})" if c.lt is not None else f"{c.le}]" if c.le is not None else None)
    if lo and hi:
        return f"in {lo}, {hi}"
    if lo:
        return (f"> {c.gt}" if c.gt is not None else f">= {c.ge}")
    return (f"< {c.lt}" if c.lt is not None else f"<= {c.le}") if hi else "any number"


def satisfies(c: Interval, v) -> bool:
    """Whether ``v`` is a finite real number (not a bool or a string) inside ``c``."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        return False
    return ((c.gt is None or v > c.gt) and (c.ge is None or v >= c.ge)
            and (c.lt is None or v < c.lt) and (c.le is None or v <= c.le))


class RefModel(StrictModel):
    """Schema of an entry's ``reference`` field."""
    citation: str = Field(min_length=3, description="arXiv id or DOI")
    where: str = ""
    notes: str = ""


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
    # field -> annotated_types.Interval (see the module docstring); checked by check_args
    arg_constraints: ClassVar[dict] = {}

    def __post_init__(self):
        self.check_args()

    def check_args(self) -> None:
        """ValueError naming the term and the field if a field of ``arg_constraints`` is not a
        finite number inside its interval (called by the constructors of the term types)."""
        for k, c in self.arg_constraints.items():
            v = getattr(self, k)
            if not satisfies(c, v):
                raise ValueError(f"likelihood term '{self.name}': {k} must be a finite number "
                                 f"{interval_text(c)}, got {v!r}")

    def requests(self) -> list[tuple[str, dict]]:
        """The ``(observable name, arguments)`` pairs whose predictions ``log_likelihood`` receives,
        in that order."""
        raise NotImplementedError

    def nuisance_priors(self) -> dict:
        """numpyro distributions of the term's own nuisance sites, by site name (none by default)."""
        return {}

    def nuisance_sites(self) -> list[str]:
        """The names of the term's own nuisance sites (the keys of :meth:`nuisance_priors`);
        terms whose distributions cost eager JAX operations to build override it, so that
        bookkeeping outside the compiled model builds none."""
        return list(self.nuisance_priors())

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
