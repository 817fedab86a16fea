"""D0 -> phi phi and D0 -> pi0 phi phi with an invisible real scalar phi."""
from __future__ import annotations

import jax.numpy as jnp

from ..common import integrate_endpoint, kallen_pos, safe_sqrt
from .shared import PI, coeff, data


# =========================================================================== D -> (pi) phi phi
def _mphi(coeffs):
    return jnp.asarray(coeffs.get("m_phi", 0.0), dtype=float)


def br_D0_phiphi(coeffs, par):
    """BR(D0 -> phi phi) (invisible) from C_P^{uc} (key CP_cuphiphi):
    |C_P|^2 tau m_D f_D^2/(32 pi) (m_D/(m_c + m_u))^2 sqrt(1 - 4 m_phi^2/m_D^2)
    (<0|ubar i g5 c|D0> = f_D m_D^2/(m_c + m_u); MSbar m_c(m_c), m_u(2 GeV) as the seed)."""
    C = coeff(coeffs, "CP_cuphiphi")
    m = _mphi(coeffs)
    mD, f, tau = par["m_D0"], par["f_D0"], par["tau_D0"]
    beta = safe_sqrt(1.0 - 4.0 * m * m / (mD * mD))
    return ((jnp.real(C) ** 2 + jnp.imag(C) ** 2) * tau * mD * f * f / (32.0 * PI)
            * (mD / (par["m_c"] + par["m_u"])) ** 2 * beta)


def f0_Dpi(q2, par):
    """D -> pi scalar form factor (BSZ3 of flavio 2.7.1, ETM arXiv:1706.03017; a0_f0 = a0_f+),
    z built with m_D0 and m_pi+ as flavio."""
    from ..formfactors import zvar
    mD, mP = par["m_D0"], par["m_pi+"]
    dz = zvar(mD, mP, q2) - zvar(mD, mP, 0.0)
    p = "D->pi BSZ "
    return ((par[p + "a0_f+"] + par[p + "a1_f0"] * dz + par[p + "a2_f0"] * dz * dz)
            / (1.0 - q2 / par["D->pi BCL m0"] ** 2))


def dgamma_dq2_D0_pi0phiphi(coeffs, par, q2):
    """dGamma/dq^2 (D0 -> pi0 phi phi) [GeV^-1]: 1/2 |M|^2 sqrt(lambda) beta/(256 pi^3 m_D^3),
    M = C_S^{uc} <pi0|ubar c|D0>, |<pi0|ubar c|D0>|^2 = 1/2 [f0 (m_D^2 - m_pi0^2)/(m_c - m_u)]^2."""
    C = coeff(coeffs, "CS_cuphiphi")
    m = _mphi(coeffs)
    mD, mP = par["m_D0"], par["m_pi0"]
    iso = data()["dmeson"]["pi0_isospin_factor"]
    H2 = iso * (f0_Dpi(q2, par) * (mD ** 2 - mP ** 2) / (par["m_c"] - par["m_u"])) ** 2
    lam = kallen_pos(mD ** 2, mP ** 2, q2)
    beta = safe_sqrt(1.0 - 4.0 * m * m / q2)
    return 0.5 * (jnp.real(C) ** 2 + jnp.imag(C) ** 2) * H2 * safe_sqrt(lam) * beta / (256.0 * PI ** 3 * mD ** 3)


def br_D0_pi0phiphi(coeffs, par):
    """BR(D0 -> pi0 phi phi) (phi invisible), q^2 from 4 m_phi^2 to (m_D - m_pi0)^2."""
    m = _mphi(coeffs)
    mD, mP = par["m_D0"], par["m_pi0"]
    hi = (mD - mP) ** 2
    lo = jnp.minimum(4.0 * m * m, hi)
    open_ = lo < hi
    lo_s = jnp.where(open_, lo, 0.5 * hi)

    def f(q2):
        return jnp.where(open_, dgamma_dq2_D0_pi0phiphi(coeffs, par, q2), 0.0)
    return jnp.where(open_, integrate_endpoint(f, lo_s, hi, n=48), 0.0) * par["tau_D0"]
