"""Known low-energy coefficient names: the WCxf ``WET``/``flavio`` basis (read from the
``wilson`` package once) plus bkfit's documented extensions."""
from __future__ import annotations

import functools

from ..physics.bsnunu import ALL_WC as BSNUNU_WC
from ..physics.bsnunu_wet import ALL_NAMES as BSNUNU_WET_NAMES
from ..physics.leptoquark_highpt import ALL_COUPLING_KEYS as LQ_HIGHPT_KEYS


@functools.lru_cache(maxsize=1)
def wcxf_flavio_names() -> frozenset:
    """All coefficient names of the WCxf WET basis 'flavio' (needs the wilson package; the
    list is kept in bkfit's disk cache per wilson version, which saves importing wilson,
    ~0.5 s, in every later command)."""
    from importlib.metadata import version

    from ..inputs import disk_cache

    def read():
        from wilson import wcxf
        basis = wcxf.Basis["WET", "flavio"]
        return frozenset(k for sector in basis.sectors.values() for k in sector)
    return disk_cache.cached("wcxf_flavio_names", ("wilson", version("wilson")), read)


def known_coefficients() -> frozenset:
    """Coefficient names a model may set: the WCxf flavio basis plus bkfit's b -> s nu nu names
    (right-handed vector, scalar and tensor operators, sterile-neutrino masses ``m_nuR_*``)
    and the leptoquark couplings the high-pT observables read (``lam_23_<model>``,
    ``lam_33_<model>``, bkfit.physics.leptoquark_highpt)."""
    return (wcxf_flavio_names() | frozenset(BSNUNU_WC) | frozenset(BSNUNU_WET_NAMES)
            | frozenset(LQ_HIGHPT_KEYS))
