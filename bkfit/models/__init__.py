"""Models: named parameters + a map to low-energy coefficients.

A model never knows about likelihoods or samplers.  ``MODELS`` maps the name used in run
files to the class; each class documents its options (the run file's ``[model]`` table).
"""
from __future__ import annotations

import importlib

from ..errors import did_you_mean
from .base import Model, ModelError  # noqa: F401

# name -> "module:Class"; modules are imported lazily
MODELS: dict[str, str] = {
    "sm": "bkfit.models.left:SM",
    "left": "bkfit.models.left:LEFT",
    "sm_mu": "bkfit.models.left:SMmu",
    "wet_eos": "bkfit.models.left:WETEOS",
    # leptoquarks (seed notation; aliases: Dorsner et al. 1603.04993 names) -- see
    # bkfit/models/leptoquarks.py and docs/leptoquarks.md
    "lq_S0": "bkfit.models.leptoquarks:LQ_S0",
    "lq_S1singlet": "bkfit.models.leptoquarks:LQ_S0",
    "lq_Stilde_half": "bkfit.models.leptoquarks:LQ_Stilde_half",
    "lq_S1tilde_half": "bkfit.models.leptoquarks:LQ_Stilde_half",
    "lq_R2tilde": "bkfit.models.leptoquarks:LQ_Stilde_half",
    "lq_S1": "bkfit.models.leptoquarks:LQ_S1",
    "lq_S3": "bkfit.models.leptoquarks:LQ_S1",
    "lq_V_half": "bkfit.models.leptoquarks:LQ_V_half",
    "lq_V1half": "bkfit.models.leptoquarks:LQ_V_half",
    "lq_V2": "bkfit.models.leptoquarks:LQ_V_half",
    "lq_V1": "bkfit.models.leptoquarks:LQ_V1",
    "lq_U3": "bkfit.models.leptoquarks:LQ_V1",
    # light invisible particles (bkfit/models/dark_matter.py, docs/invisible.md)
    "dm_scalar": "bkfit.models.dark_matter:DMScalar",
    "dm_fermion": "bkfit.models.dark_matter:DMFermion",
    "dm_vector": "bkfit.models.dark_matter:DMVector",
    "two_body": "bkfit.models.dark_matter:TwoBody",
    "vlq_scalar_dm": "bkfit.models.vlq:VLQScalarDM",
}


def get_model_class(name: str):
    """The model class registered under ``name``; ModelError (with close names) if there is none."""
    if name not in MODELS:
        raise ModelError(f"unknown model '{name}'.{did_you_mean(name, MODELS)} "
                         f"Known: {', '.join(sorted(MODELS))}", field="name")
    mod, cls = MODELS[name].split(":")
    return getattr(importlib.import_module(mod), cls)


def make_model(name: str, options: dict | None = None):
    """Instantiate model ``name`` with the options of the run file's [model] table."""
    return get_model_class(name)(options or {})
