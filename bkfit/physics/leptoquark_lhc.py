"""Leptoquark mass observables for the LHC bounds of likelihoods/lq_lhc.yaml (JAX).

The leptoquark models (bkfit/models/leptoquarks.py) pass their mass as ``M_LQ_TeV`` with the
coefficients.  ``invM2_LQ`` = (1 TeV / M)^2 is the quantity a published lower mass limit
M > M_lim is written on as an upper limit, invM2_LQ < (1 TeV / M_lim)^2 (a half-Gaussian
in 1/M^2, the usual treatment of limits in bkfit.likelihood.terms); without a leptoquark
(no ``M_LQ_TeV``: the SM, or M -> infinity) it is 0.
"""
from __future__ import annotations

import jax.numpy as jnp


def inv_m2(coeffs, par):
    """(1 TeV / M_LQ)^2, 0 without a leptoquark mass in ``coeffs``."""
    if "M_LQ_TeV" not in coeffs:
        return jnp.asarray(0.0)
    return 1.0 / jnp.asarray(coeffs["M_LQ_TeV"], dtype=float) ** 2


def register(catalogue) -> None:
    """Add ``M_LQ`` (TeV) and ``invM2_LQ`` (TeV^-2) to ``catalogue``."""
    add = catalogue.register
    add("M_LQ", extension=True, description="leptoquark mass M [TeV] (0 without a leptoquark)",
        tex=r"M_{LQ}")(lambda coeffs, par: jnp.asarray(coeffs.get("M_LQ_TeV", 0.0), dtype=float))
    add("invM2_LQ", extension=True,
        description="(1 TeV/M_LQ)^2 [TeV^-2], 0 without a leptoquark: LHC mass limits",
        tex=r"(1\,\mathrm{TeV}/M_{LQ})^2")(inv_m2)
