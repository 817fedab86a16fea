"""Extra contributions to B -> K(*) + invisible beyond nu nu (dark-matter pairs, two-body X).

A contribution is an object with two pure functions; a physics module's ``register(catalogue)``
hands its contributions to the catalogue (``catalogue.add_invisible``), and the
``+invisible`` observables of that catalogue sum over ``catalogue.invisible``:

* ``diff(mode, q2, coeffs, par)``  -> dBR/dq2 contribution (0 where it does not apply);
* ``bin(mode, q2min, q2max, coeffs, par, n=None)`` -> BR integrated over [q2min, q2max]
  (``n``: quadrature points per bin suggested by ``points_for_bins``; None = its default).

Optionally ``bins(mode, q2min, q2max, coeffs, par, n=None)`` -> BR in each bin of arrays of
edges at once (the pair families answer it from the mass tables of ``invisible_bins``); the
``<BR>(...+invisible)`` observables use it where present, else ``bin`` bin by bin.

``mode`` is one of 'B+->K', 'B0->K', 'B+->K*', 'B0->K*'.  Contributions add incoherently to
the nu nu rate (different final states).  Each must return exactly 0 when its coefficients
are absent from ``coeffs``.
"""
from __future__ import annotations


# Gauss-Legendre points per bin for vectors of narrow bins (the Belle II likelihood's 100
# bins of 0.23 GeV^2): with the endpoint substitution of common.integrate_endpoint, 6 points
# agree with 48 to < 1e-5 per bin for every invisible family, mass and threshold position
# (tests/test_invisible.py::test_narrow_bin_quadrature); wider or traced bins keep 48.
NARROW_BIN_GEV2 = 0.5
NARROW_BIN_POINTS = 6


def points_for_bins(q2min, q2max) -> int:
    """Quadrature points per bin: NARROW_BIN_POINTS if every bin is at most NARROW_BIN_GEV2 wide,
    else 48 (also 48 when the edges are traced and their widths unknown)."""
    import numpy as np
    try:
        w = np.max(np.asarray(q2max, dtype=float) - np.asarray(q2min, dtype=float))
    except Exception:  # noqa: BLE001  (traced edges)
        return 48
    return NARROW_BIN_POINTS if w <= NARROW_BIN_GEV2 else 48
