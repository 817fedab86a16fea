"""h -> gamma gamma: the coupling modifier kappa_gamma from the heavy Q_d, D loops."""
from __future__ import annotations

import jax.numpy as jnp

from ..common import safe_sqrt
from .shared import coeff, data, par_cached


# =========================================================================== h -> gamma gamma
def _f_tau(tau):
    """f(tau) = arcsin^2 sqrt(tau) for tau <= 1 (below threshold; both SM loops are)."""
    return jnp.arcsin(jnp.sqrt(tau)) ** 2


def A_half(tau):
    """Spin-1/2 loop function A_1/2(tau) = 2 [tau + (tau - 1) f(tau)]/tau^2, tau = m_h^2/4m^2
    (-> 4/3 for tau -> 0; Djouadi, hep-ph/0503172 eq. (2.18))."""
    return 2.0 * (tau + (tau - 1.0) * _f_tau(tau)) / tau ** 2


def A_one(tau):
    """Spin-1 loop function A_1(tau) = -[2 tau^2 + 3 tau + 3 (2 tau - 1) f(tau)]/tau^2
    (-> -7 for tau -> 0; hep-ph/0503172 eq. (2.18))."""
    return -(2.0 * tau ** 2 + 3.0 * tau + 3.0 * (2.0 * tau - 1.0) * _f_tau(tau)) / tau ** 2


@par_cached("m_h")
def hgaga_sm_amplitudes(par):
    """(A_W, A_t) = (A_1(tau_W), N_c Q_t^2 A_1/2(tau_t)) with the pole masses of the database."""
    m = data()["model"]
    mh2 = par["m_h"] ** 2
    return (A_one(mh2 / (4.0 * par["m_W"] ** 2)),
            m["N_c"] * m["Q_t"] ** 2 * A_half(mh2 / (4.0 * par["m_t"] ** 2)))


def kappa_gamma(coeffs, par):
    """h gamma gamma coupling modifier: heavy (Q_d, D) loop in the low-energy limit, tied to
    kappa_g: CP-even N_c Q_D^2 (4/3)(-rG), CP-odd N_c Q_D^2 2 rGt (A_1/2 -> 4/3, A^A_1/2 -> 2);
    kappa_gamma^2 = [(A_W + A_t - 4/3 N_c Q_D^2 rG)^2 + (2 N_c Q_D^2 rGt)^2]/(A_W + A_t)^2."""
    m = data()["model"]
    r = jnp.real(coeff(coeffs, "rG_hgg"))
    rt = jnp.real(coeff(coeffs, "rGt_hgg"))
    AW, At = hgaga_sm_amplitudes(par)
    w = m["N_c"] * m["Q_D"] ** 2
    even = AW + At - w * 4.0 / 3.0 * r
    odd = w * 2.0 * rt
    return safe_sqrt(even ** 2 + odd ** 2) / jnp.abs(AW + At)
