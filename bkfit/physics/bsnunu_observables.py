"""The B -> K(*) nu nu and B -> K(*) + invisible observables (flavio names + documented
extensions), added to a catalogue by :func:`register`.

The nu nu observables hold every b -> s nu nu operator: the vector ones of ``bsnunu`` plus
the scalar, tensor and massive right-handed ones of ``bsnunu_wet`` (which add exactly 0.0
when their coefficients are absent, so vector-only values are those of ``bsnunu``).

The ``+invisible`` observables add to nu nu every contribution in ``catalogue.invisible``
(read when the observable is evaluated, so the order of registration does not matter)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import bsnunu as b
from . import bsnunu_wet as w
from .common import is_concrete
from .invisible_hooks import points_for_bins

_TEX = {"B+->K": r"B^+\to K^+", "B0->K": r"B^0\to K^0", "B+->K*": r"B^+\to K^{*+}",
        "B0->K*": r"B^0\to K^{*0}"}


def _sm_coeffs():
    return {}


def _nunu(catalogue, mode):
    """Add the nu nu observables of ``mode``."""
    register = catalogue.register

    @register(f"BR({mode}nunu)", description=f"total BR of {mode} nu nu (sum over the 9 "
              "neutrino pairs and both neutrino chiralities; vector, scalar and tensor "
              "operators, massive sterile neutrinos)", tex=_TEX[mode])
    def _br(coeffs, par):
        return b.BR(mode, coeffs, par) + w.BR(mode, coeffs, par)

    @register(f"dBR/dq2({mode}nunu)", args=("q2",), description="differential BR")
    def _dbr(coeffs, par, q2):
        return b.dBR_dq2(mode, q2, coeffs, par) + w.dBR_dq2(mode, q2, coeffs, par)

    @register(f"<dBR/dq2>({mode}nunu)", args=("q2min", "q2max"),
              description="binned differential BR (BR in the bin / bin width)")
    def _dbr_bin(coeffs, par, q2min, q2max):
        return (b.BR_bin(mode, q2min, q2max, coeffs, par)
                + w.BR_bin(mode, q2min, q2max, coeffs, par)) / (q2max - q2min)

    @register(f"<BR>({mode}nunu)", args=("q2min", "q2max"), extension=True,
              description="BR integrated over the bin (not divided by its width)")
    def _br_bin(coeffs, par, q2min, q2max):
        return b.BR_bin(mode, q2min, q2max, coeffs, par) + w.BR_bin(mode, q2min, q2max, coeffs, par)

    @register(f"Rnunu({mode})", extension=True,
              description="R^nunu = BR / BR_SM at the same parameters (seed's R_K, R_K*)")
    def _r(coeffs, par):
        return (b.BR(mode, coeffs, par) + w.BR(mode, coeffs, par)) / b.BR(mode, _sm_coeffs(), par)

    if b.MODES[mode][2] == "V":
        @register(f"FL({mode}nunu)", args=("q2",),
                  description="longitudinal K* polarisation fraction at q2")
        def _fl(coeffs, par, q2):
            return w.FL(mode, q2, coeffs, par)

        @register(f"<FL>({mode}nunu)", args=("q2min", "q2max"),
                  description="q2-integrated F_L in a bin")
        def _flb(coeffs, par, q2min, q2max):
            return w.FL_bin(mode, q2min, q2max, coeffs, par)

        @register(f"FLtot({mode}nunu)", extension=True,
                  description="F_L integrated over the full q2 range")
        def _flt(coeffs, par):
            return w.FL_bin(mode, 0.0, b.q2max(mode, par), coeffs, par)


def _inv(catalogue, mode):
    """Add the + invisible observables of ``mode`` (summing over ``catalogue.invisible``)."""
    register = catalogue.register

    @register(f"BR({mode}+invisible)", extension=True,
              description="total BR of B -> K(*) + invisible: nu nu (SM + NP) plus every "
              "light-invisible contribution (dark-matter pairs, two-body X)")
    def _tot(coeffs, par):
        out = b.BR(mode, coeffs, par) + w.BR(mode, coeffs, par)
        for c in catalogue.invisible:
            out = out + c.bin(mode, 0.0, b.q2max(mode, par), coeffs, par)
        return out

    @register(f"dBR/dq2({mode}+invisible)", args=("q2",), extension=True,
              description="differential BR of B -> K(*) + invisible")
    def _diff(coeffs, par, q2):
        out = b.dBR_dq2(mode, q2, coeffs, par) + w.dBR_dq2(mode, q2, coeffs, par)
        for c in catalogue.invisible:
            out = out + c.diff(mode, q2, coeffs, par)
        return out

    @register(f"<BR>({mode}+invisible)", args=("q2min", "q2max"), extension=True,
              description="BR of B -> K(*) + invisible integrated over a q2 bin "
              "(vectorised over arrays of bin edges)")
    def _bin(coeffs, par, q2min, q2max):
        import jax
        f = lambda lo, hi: b.BR_bin(mode, lo, hi, coeffs, par)  # noqa: E731
        lo = jnp.asarray(q2min)
        hi = jnp.asarray(q2max)
        if is_concrete(q2min) and is_concrete(q2max) and lo.shape == hi.shape:
            # concrete edges: all bins at once, so that a traced call stays an exact quadratic
            # form in the form-factor nuisances (vmapped edges would be traced: quadrature)
            out = f(np.asarray(q2min, dtype=float), np.asarray(q2max, dtype=float))
        else:
            out = jax.vmap(f)(lo.ravel(), hi.ravel()).reshape(lo.shape)
        n = points_for_bins(q2min, q2max)
        if w.active(coeffs):
            # w.BR_bin takes arrays of bins itself (concrete edges at once: exact polynomial)
            out = out + jnp.reshape(w.BR_bin(mode, q2min, q2max, coeffs, par, n=n),
                                    jnp.shape(out))
        for c in catalogue.invisible:
            if hasattr(c, "bins"):          # vectors of bins at once (tabulated, see hooks)
                out = out + jnp.reshape(c.bins(mode, q2min, q2max, coeffs, par, n=n),
                                        jnp.shape(out))
                continue
            g = lambda l_, h_: c.bin(mode, l_, h_, coeffs, par, n=n)  # noqa: E731
            out = out + jax.vmap(g)(lo.ravel(), hi.ravel()).reshape(lo.shape)
        return out


def register(catalogue) -> None:
    """Add the B -> K(*) nu nu and B -> K(*) + invisible observables to ``catalogue``."""
    for mode in b.MODES:
        _nunu(catalogue, mode)
        _inv(catalogue, mode)

