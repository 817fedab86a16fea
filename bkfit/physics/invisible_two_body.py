r"""B -> K(*) X with one narrow invisible particle X (``docs/invisible.md``): couplings
gS/gP (scalar X, GeV) and gV/gA (vector X) to (sbar Gamma b), or the branching ratio
``BR_BpKX`` (and ``BR_BpKstarX``) directly; the q^2 spectrum is a Gaussian of width
``sigma_q2_two_body`` (bkfit/inputs/data/invisible.yaml) at q^2 = m_X^2, normalised to the
kinematic range."""
from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import ndtr

from ..inputs.data_files import read_yaml
from .common import kallen_pos, safe_sqrt
from .invisible_amplitudes import hadronic, masses, q2max

_DATA = read_yaml("invisible.yaml")
SIGMA_Q2_TWO_BODY = float(_DATA["sigma_q2_two_body"]["value"])


TWO_BODY_COUPLINGS = {"gS_bsX": ("S", 0), "gP_bsX": ("P", 0), "gV_bsX": ("V", 1),
                      "gA_bsX": ("A", 1)}
TWO_BODY_BR = {"BR_BpKX": "B+->K", "BR_BpKstarX": "B+->K*"}
_ISOSPIN_PARTNER = {"B+->K": "B+->K", "B0->K": "B+->K", "B+->K*": "B+->K*",
                    "B0->K*": "B+->K*"}


def two_body_msq(mode, mX, g, par):
    """sum |M|^2 of B -> M X at q^2 = mX^2 for couplings g = {Gamma: g}."""
    had = hadronic(mode, mX * mX, par)
    out = 0.0
    s = sum(g[Q] * had[Q] for Q in ("S", "P") if Q in g) if any(Q in g for Q in ("S", "P")) \
        else None
    if s is not None:
        out = out + jnp.sum(jnp.abs(s) ** 2)
    if any(Q in g for Q in ("V", "A")):
        # polarisation sum -g + q q/mX^2 = diag(0, 1, 1, 1) in the X rest frame
        v = sum(g[Q] * had[Q][1] for Q in ("V", "A") if Q in g)
        out = out + jnp.sum(jnp.abs(v) ** 2)
    return out


def two_body_br(mode, coeffs, par):
    """BR(B -> M X) (before the invisible probability) from couplings or from BR_BpKX."""
    mB, mM, kind, tau = masses(mode, par)
    mX = coeffs.get("m_X2", 0.0)
    lam = kallen_pos(mB ** 2, mM ** 2, mX * mX)
    open_ = mX < mB - mM
    ps = safe_sqrt(lam) / (16.0 * jnp.pi * mB ** 3)
    g = {TWO_BODY_COUPLINGS[k][0]: coeffs[k] for k in TWO_BODY_COUPLINGS if k in coeffs}
    out = 0.0
    if g:
        out = out + jnp.where(open_, tau * ps * two_body_msq(mode, mX, g, par), 0.0)
    ref = _ISOSPIN_PARTNER[mode]
    for key, refmode in TWO_BODY_BR.items():
        if key in coeffs and refmode == ref:
            Q = "V" if coeffs.get("X_vector", False) else "S"
            if mode == ref:
                ratio = 1.0
            else:
                mB2, mM2, _, tau2 = masses(ref, par)
                lam2 = kallen_pos(mB2 ** 2, mM2 ** 2, mX * mX)
                num = tau * safe_sqrt(lam) / mB ** 3 * two_body_msq(mode, mX, {Q: 1.0}, par)
                den = tau2 * safe_sqrt(lam2) / mB2 ** 3 * two_body_msq(ref, mX, {Q: 1.0}, par)
                ok = den > 0
                ratio = jnp.where(ok, num / jnp.where(ok, den, 1.0), 0.0)
            out = out + jnp.where(open_, coeffs[key] * ratio, 0.0)
    return out


class TwoBody:
    """B -> M X with one narrow invisible particle X: a Gaussian q^2 peak at m_X^2 of width
    SIGMA_Q2_TWO_BODY (resolution model), normalised within the physical range."""
    tag = "X"

    def active(self, coeffs):
        """True if ``coeffs`` holds a two-body coupling or branching ratio."""
        return any(k in coeffs for k in list(TWO_BODY_COUPLINGS) + list(TWO_BODY_BR))

    @staticmethod
    def _peak(mode, coeffs, par):
        mX = coeffs.get("m_X2", 0.0)
        mu = mX * mX
        s = SIGMA_Q2_TWO_BODY
        top = q2max(mode, par)
        norm = ndtr((top - mu) / s) - ndtr(-mu / s)
        ok = norm > 1e-300
        return mu, s, top, ok, jnp.where(ok, norm, 1.0)

    def total(self, mode, coeffs, par):
        """Total BR(B -> M X) of ``mode`` (0 if the model has no two-body coefficient)."""
        if not self.active(coeffs):
            return 0.0
        return two_body_br(mode, coeffs, par)

    def diff(self, mode, q2, coeffs, par):
        """dBR/dq^2 (GeV^-2): the total BR times the normalised Gaussian peak at q^2."""
        if not self.active(coeffs):
            return 0.0
        mu, s, top, ok, norm = self._peak(mode, coeffs, par)
        q2 = jnp.asarray(q2, dtype=float)
        pdf = jnp.exp(-0.5 * ((q2 - mu) / s) ** 2) / (s * jnp.sqrt(2.0 * jnp.pi)) / norm
        pdf = jnp.where(ok & (q2 >= 0) & (q2 <= top), pdf, 0.0)
        return two_body_br(mode, coeffs, par) * pdf

    def bin(self, mode, q2min, q2max_, coeffs, par, n=None):
        """BR in the bin [q2min, q2max] (GeV^2): the total BR times the peak's fraction in the
        bin."""
        if not self.active(coeffs):
            return 0.0
        mu, s, top, ok, norm = self._peak(mode, coeffs, par)
        lo = jnp.clip(q2min, 0.0, top)
        hi = jnp.clip(q2max_, 0.0, top)
        hi = jnp.maximum(hi, lo)
        frac = jnp.where(ok, (ndtr((hi - mu) / s) - ndtr((lo - mu) / s)) / norm, 0.0)
        return two_body_br(mode, coeffs, par) * frac
