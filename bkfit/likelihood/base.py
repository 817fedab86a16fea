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
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reference:
    citation: str            # arXiv id or DOI
    where: str = ""          # table / figure / equation
    notes: str = ""


@dataclass
class Term:
    name: str
    reference: Reference | None = None
    source_file: str = ""
    notes: str = ""
    options: dict = field(default_factory=dict)

    def requests(self) -> list[tuple[str, dict]]:
        raise NotImplementedError

    def nuisance_priors(self) -> dict:
        return {}

    def log_likelihood(self, preds: list, nuis: dict):
        raise NotImplementedError

    def describe(self) -> str:
        return self.name
