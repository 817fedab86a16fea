"""The Standard-Model plasma of the relic calculation: g_rho(T), g_s(T) and d ln g_s/d ln T
(linear in ln T from the Drees-Hajkarim-Schmitz table, clamped outside it), H(T), s(T), the
cosmological constants and the GeV^-2 <-> cm^3/s conversion.  The numbers are read by
:mod:`bkfit.inputs.cosmology` (``cosmology.yaml``, ``gstar_DHS2015.csv``)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ...inputs.cosmology import cosmology, gstar_table

jax.config.update("jax_enable_x64", True)

PI = math.pi

_C = cosmology()
_TAB = gstar_table()
# module constants as numpy arrays (no eager jax at import)
_LNT = np.log(np.asarray(_TAB[0], dtype=float))
_GS = np.asarray(_TAB[1], dtype=float)
_GR = np.asarray(_TAB[2], dtype=float)
# d ln g_s / d ln T at the nodes (2nd-order differences on the non-uniform grid), then
# interpolated linearly like g_s itself: continuous, unlike the derivative of the linear interpolant
_DLNGS = np.asarray(np.gradient(np.log(_TAB[1]), np.log(_TAB[0])))

M_PLANCK = _C["M_Planck"]
S0 = _C["s0"]                          # cm^-3
RHO_CRIT_H2 = _C["rho_crit_over_h2"]   # GeV cm^-3
GEV2_TO_CM3S = _C["hbar_c"] ** 2 * _C["c_light"]   # 1 GeV^-2 x c in cm^3/s
T_RANGE = (float(_TAB[0][0]), float(_TAB[0][-1]))


def _interp_lnT(T, table):
    lnT = jnp.log(jnp.maximum(T, 1e-300))
    return jnp.interp(jnp.clip(lnT, _LNT[0], _LNT[-1]), _LNT, table)


def gstar(T):
    """Energy-density degrees of freedom g_rho(T) (T in GeV)."""
    return _interp_lnT(T, _GR)


def gstars(T):
    """Entropy degrees of freedom g_s(T) (T in GeV)."""
    return _interp_lnT(T, _GS)


def dln_gstars_dlnT(T):
    """d ln g_s / d ln T (zero outside the table)."""
    lnT = jnp.log(jnp.maximum(T, 1e-300))
    inside = (lnT > _LNT[0]) & (lnT < _LNT[-1])
    return jnp.where(inside, _interp_lnT(T, _DLNGS), 0.0)


_PLASMA = np.stack([_GR, _GS, _DLNGS])


def plasma(T):
    """(g_rho, g_s, d ln g_s/d ln T) at T: :func:`gstar`, :func:`gstars`,
    :func:`dln_gstars_dlnT` with one table search (the same linear interpolation in ln T)."""
    lnt, tab = jnp.asarray(_LNT), jnp.asarray(_PLASMA)     # indexed with traced i below
    lnT = jnp.log(jnp.maximum(T, 1e-300))
    inside = (lnT > lnt[0]) & (lnT < lnt[-1])
    u = jnp.clip(lnT, lnt[0], lnt[-1])
    i = jnp.clip(jnp.searchsorted(lnt, u, side="right"), 1, lnt.shape[0] - 1)
    t = (u - lnt[i - 1]) / (lnt[i] - lnt[i - 1])
    v = tab[:, i - 1] * (1.0 - t) + tab[:, i] * t
    return v[0], v[1], jnp.where(inside, v[2], 0.0)


def cm3s_to_gev2(sv):
    """Convert a cross section times velocity from cm^3/s to GeV^-2."""
    return sv / GEV2_TO_CM3S


def gev2_to_cm3s(sv):
    """Convert a cross section times velocity from GeV^-2 to cm^3/s."""
    return sv * GEV2_TO_CM3S


def hubble(T):
    """H(T) = sqrt(4 pi^3 g_rho / 45) T^2 / M_Pl [GeV]."""
    return jnp.sqrt(4.0 * PI ** 3 * gstar(T) / 45.0) * T * T / M_PLANCK


def entropy_density(T):
    """Entropy density s(T) = 2 pi^2/45 g_s(T) T^3 in GeV^3 (T in GeV)."""
    return 2.0 * PI ** 2 / 45.0 * gstars(T) * T ** 3

