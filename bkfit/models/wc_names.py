"""Known low-energy coefficient names: the WCxf ``WET``/``flavio`` basis (read from the
``wilson`` package once) plus bkfit's documented extensions."""
from __future__ import annotations

import functools

from ..physics.bsnunu import ALL_WC as BSNUNU_WC
from ..physics.bsnunu_wet import ALL_NAMES as BSNUNU_WET_NAMES


@functools.lru_cache(maxsize=1)
def wcxf_flavio_names() -> frozenset:
    """All coefficient names of the WCxf WET basis 'flavio' (needs the wilson package)."""
    from wilson import wcxf
    basis = wcxf.Basis["WET", "flavio"]
    return frozenset(k for sector in basis.sectors.values() for k in sector)


def known_coefficients() -> frozenset:
    """Coefficient names a model may set: the WCxf flavio basis plus bkfit's b -> s nu nu names
    (right-handed vector, scalar and tensor operators, sterile-neutrino masses ``m_nuR_*``)."""
    return wcxf_flavio_names() | frozenset(BSNUNU_WC) | frozenset(BSNUNU_WET_NAMES)
