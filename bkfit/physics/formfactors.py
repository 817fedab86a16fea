"""Hadronic form factors, pure JAX.

* B -> K: BSZ z-expansion (Gubernari, Kokulu, van Dyk, arXiv:1811.00983; parametrisation of
  Bharucha, Straub, Zwicky, arXiv:1503.05534) with flavio's parameter names
  ``B->K BSZ a{k}_{f+,f0,fT}`` and pole masses ``B->K BCL m+``, ``B->K BCL m0``;
  a0_f0 is fixed by f0(0) = f+(0).
* B -> K*: BSZ (arXiv:1503.05534, eq. 16 kinematic endpoint relations: a0_A12 from a0_A0,
  a0_T2 = a0_T1), 3 z-expansion terms, names ``B->K* BSZ a{k}_{A0,A1,A12,V,T1,T2,T23}``.
* HPQCD 2022 f+ for B -> K (arXiv:2207.12468), only as the Belle II reference spectrum.

The expansion point t0 and z(q^2) follow arXiv:1503.05534: t0 = t+(1 - sqrt(1 - t-/t+)).
"""
from __future__ import annotations

import jax.numpy as jnp


def zvar(mB, mM, q2, t0=None):
    """Conformal variable z(q^2) of the BSZ expansion with t+ = (mB + mM)^2 and ``t0`` (default
    t+ (1 - sqrt(1 - t-/t+))); masses in GeV, q^2 in GeV^2."""
    tp = (mB + mM) ** 2
    tm = (mB - mM) ** 2
    if t0 is None:
        t0 = tp * (1.0 - jnp.sqrt(1.0 - tm / tp))
    a = jnp.sqrt(tp - q2)
    b = jnp.sqrt(tp - t0)
    return (a - b) / (a + b)


def _series(coeffs, dz):
    return coeffs[0] + coeffs[1] * dz + coeffs[2] * dz * dz


def ff_BK(q2, par, mB=None, mK=None):
    """B -> K form factors {f+, f0, fT} (flavio's charged/neutral-blind convention uses
    m_B0 and m_K0 in z)."""
    mB = par["m_B0"] if mB is None else mB
    mK = par["m_K0"] if mK is None else mK
    dz = zvar(mB, mK, q2) - zvar(mB, mK, 0.0)
    p = "B->K BSZ "
    a_fp = [par[p + "a0_f+"], par[p + "a1_f+"], par[p + "a2_f+"]]
    a_f0 = [par[p + "a0_f+"], par[p + "a1_f0"], par[p + "a2_f0"]]
    a_fT = [par[p + "a0_fT"], par[p + "a1_fT"], par[p + "a2_fT"]]
    pole_p = 1.0 / (1.0 - q2 / par["B->K BCL m+"] ** 2)
    pole_0 = 1.0 / (1.0 - q2 / par["B->K BCL m0"] ** 2)
    return {"f+": pole_p * _series(a_fp, dz),
            "f0": pole_0 * _series(a_f0, dz),
            "fT": pole_p * _series(a_fT, dz)}


_BV_POLE = {"A0": "B->K* BCL m0", "A1": "B->K* BCL m1+", "A12": "B->K* BCL m1+",
            "V": "B->K* BCL m1-", "T1": "B->K* BCL m1-", "T2": "B->K* BCL m1+",
            "T23": "B->K* BCL m1+"}


def ff_BKstar(q2, par, mB=None, mV=None):
    """B -> K* form factors {V, A0, A1, A12, T1, T2, T23} (flavio uses m_B0, m_K*0 in z)."""
    mB = par["m_B0"] if mB is None else mB
    mV = par["m_K*0"] if mV is None else mV
    dz = zvar(mB, mV, q2) - zvar(mB, mV, 0.0)
    p = "B->K* BSZ "
    a0 = {
        "A12": par[p + "a0_A0"] * (mB ** 2 - mV ** 2) / (8.0 * mB * mV),
        "T2": par[p + "a0_T1"],
    }
    out = {}
    for name, pole in _BV_POLE.items():
        c0 = a0[name] if name in a0 else par[p + "a0_" + name]
        coeffs = [c0, par[p + "a1_" + name], par[p + "a2_" + name]]
        out[name] = _series(coeffs, dz) / (1.0 - q2 / par[pole] ** 2)
    return out


def fplus_hpqcd(q2, c):
    """HPQCD 2022 B -> K f+ (arXiv:2207.12468) with the constants ``c`` of the Belle II
    reference spectrum (keys L, a0, a1, a2, m_B, m_K, m_Bs*)."""
    z = zvar(c["m_B"], c["m_K"], q2, t0=0.0)
    a = [c["a0"], c["a1"], c["a2"]]
    s = sum(a[n] * (z ** n - (n / 3.0) * (-1.0) ** (n - 3) * z ** 3) for n in range(3))
    return c["L"] / (1.0 - q2 / c["m_Bs*"] ** 2) * s
