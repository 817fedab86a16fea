"""Extra contributions to B -> K(*) + invisible beyond nu nu (dark-matter pairs, two-body X).

Physics modules append objects with two pure functions to ``CONTRIBUTIONS``:

* ``diff(mode, q2, coeffs, par)``  -> dBR/dq2 contribution (0 where it does not apply);
* ``bin(mode, q2min, q2max, coeffs, par)`` -> BR integrated over [q2min, q2max].

``mode`` is one of 'B+->K', 'B0->K', 'B+->K*', 'B0->K*'.  Contributions add incoherently to
the nu nu rate (different final states).  Each must return exactly 0 when its coefficients
are absent from ``coeffs``.
"""
from __future__ import annotations

CONTRIBUTIONS: list = []
