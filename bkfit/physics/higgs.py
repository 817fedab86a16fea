r"""Gluon-fusion Higgs signal strengths from modified loop-induced couplings (pure JAX).

A model that changes only the effective h g g and h gamma gamma couplings (kappa_g, kappa_gamma,
e.g. the vector-like quarks of bkfit.physics.vlq through ``rG_hgg``, ``rGt_hgg``) changes the
gluon-fusion rate by kappa_g^2 (heavy-loop limit: the same factor for production and for
Gamma(h -> g g)), Gamma(h -> gamma gamma) by kappa_gamma^2 and the total width by
1 + BR_gg^SM (kappa_g^2 - 1) (the h -> gamma gamma share, 0.2 %, is neglected in the width):

    mu_gg(h -> X) = kappa_g^2 kappa_X^2 / (1 + BR_gg^SM (kappa_g^2 - 1)),
    kappa_ZZ = kappa_WW = 1,  kappa_gammagamma = kappa_gamma.

Names follow flavio (``mu_gg(h->ZZ)`` = sigma(gg -> h) BR(h -> ZZ) / SM).  BR_gg^SM comes from
bkfit/inputs/data/higgs.yaml (LHC Higgs XS WG via flavio).  Checked against flavio's SMEFT
signal strengths in tests/test_higgs.py.
"""
from __future__ import annotations

import functools

from ..inputs.data_files import read_values


DECAYS = ("gammagamma", "ZZ", "WW")


@functools.lru_cache(maxsize=1)
def data() -> dict:
    """higgs.yaml as {section: {name: value}}."""
    return read_values("higgs.yaml")


def mu_gg(decay: str, coeffs, par):
    """sigma(gg -> h) BR(h -> decay) relative to the SM, decay in DECAYS."""
    from .vlq import kappa_g
    from .vlq_constraints import kappa_gamma
    kg2 = kappa_g(coeffs, par) ** 2
    kx2 = kappa_gamma(coeffs, par) ** 2 if decay == "gammagamma" else 1.0
    width = 1.0 + data()["sm"]["BR_gg"] * (kg2 - 1.0)
    return kg2 * kx2 / width


def register(catalogue) -> None:
    """Add the gluon-fusion Higgs signal strengths mu_gg(h->X) to ``catalogue``."""
    for d in DECAYS:
        catalogue.register(f"mu_gg(h->{d})",
                 description=f"gluon-fusion h -> {d} signal strength (modified h g g and "
                             "h gamma gamma couplings: rG_hgg, rGt_hgg; flavio name)")(
            lambda coeffs, par, d=d: mu_gg(d, coeffs, par))

