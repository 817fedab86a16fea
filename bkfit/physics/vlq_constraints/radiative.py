"""b -> s gamma, b -> s g dipoles of the VLQ model (one loop, LO QCD running to 4.8 GeV)
and BR(B -> X_s gamma) (flavio's formula).  Conventions: the package docstring."""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..qcd import a_s, alpha_s_one_loop
from .shared import PI, coeff, data, par_cached


# =========================================================================== dipole
def dipole_C_single(aR, aL, cR, cL, M, mb, ms, Q):
    """(C_R, C_L)/e of sbar sigma P_{R,L} b F for one Dirac fermion of mass M and charge Q with
    L = sbar (aR P_R + aL P_L) F phi + Fbar (cR P_R + cL P_L) b phi + h.c., massless phi:
    C_R = -(Q/64 pi^2) [aR cR/M + (mb aR cL + ms aL cR)/(6 M^2)] (and R <-> L)."""
    pre = -Q / (64.0 * PI ** 2)
    CR = pre * (aR * cR / M + (mb * aR * cL + ms * aL * cR) / (6.0 * M * M))
    CL = pre * (aL * cL / M + (mb * aL * cR + ms * aR * cL) / (6.0 * M * M))
    return CR, CL


def dipole_X(yq, yd, A, mQ, mD, md, i=1, j=2):
    """(X_R, X_L) [GeV^-1] with C_{R,L}/e = -(Q_D/64 pi^2) X_{R,L} for the transition j -> i
    (bilinear ibar ... j).  A[i, j] = y1 part of (C_S + i C_P)^{ij}/2 (the tree-level
    coefficient of dbar_L^i d_R^j phi^2);
      X_R = A[i, j] + (m_j yq_i yq_j^*/m_Q^2 + m_i yd_i^* yd_j/m_D^2)/6
      X_L = A[j, i]^* + (m_j yd_i^* yd_j/m_D^2 + m_i yq_i yq_j^*/m_Q^2)/6."""
    q = yq[i] * jnp.conj(yq[j]) / (mQ * mQ)
    d = jnp.conj(yd[i]) * yd[j] / (mD * mD)
    XR = A[i, j] + (md[j] * q + md[i] * d) / 6.0
    XL = jnp.conj(A[j, i]) + (md[j] * d + md[i] * q) / 6.0
    return XR, XL


def _run_dipoles(D7, D8, eta, beta0):
    """LO running of (m_b C7, m_b C8) from mu_high to mu_low, eta = alpha_s(high)/alpha_s(low)."""
    r = data()["dipole_running"]
    a7 = (r["gamma_77"] - r["gamma_m"]) / (2.0 * beta0)
    a8 = (r["gamma_88"] - r["gamma_m"]) / (2.0 * beta0)
    B = r["gamma_87"] / (r["gamma_88"] - r["gamma_77"])
    e7, e8 = eta ** a7, eta ** a8
    return e7 * D7 + B * (e8 - e7) * D8, e8 * D8


def dipole_coefficients(yq, yd, A, mQ, mD, inputs):
    """{C7_bs, C7p_bs, C8_bs, C8p_bs} (flavio basis) at 4.8 GeV.  ``inputs`` (central values,
    bkfit.physics.vlq.matching_inputs): md, GF, lam_t = V_tb V_ts^*, mt, as_mt (alpha_s^(5)(m_t)),
    as_low (alpha_s^(5)(4.8 GeV)), mb_low = m_b(4.8 GeV)."""
    QD = data()["model"]["Q_D"]
    XR, XL = dipole_X(yq, yd, A, mQ, mD, inputs["md"])
    norm = math.sqrt(2.0) / (4.0 * inputs["GF"] * inputs["lam_t"])     # 1/(4 G_F lam_t/sqrt2)
    # m_b C7 = -(Q_D/4) X norm, m_b C8 = -(1/4) X norm at mu_NP
    D7R, D8R = -QD / 4.0 * XR * norm, -0.25 * XR * norm
    D7L, D8L = -QD / 4.0 * XL * norm, -0.25 * XL * norm
    mt, a5mt = inputs["mt"], inputs["as_mt"]
    mu = jnp.sqrt(mQ * mD)
    mu_hi = jnp.maximum(mu, mt)
    eta6 = alpha_s_one_loop(a5mt, mt, mu_hi, 6) / a5mt                       # 1 if mu_NP <= m_t
    eta5 = a5mt / inputs["as_low"]
    out = {}
    for D7, D8, s in ((D7R, D8R, ""), (D7L, D8L, "p")):
        D7, D8 = _run_dipoles(D7, D8, eta6, 7.0)
        D7, D8 = _run_dipoles(D7, D8, eta5, 23.0 / 3.0)
        out[f"C7{s}_bs"] = D7 / inputs["mb_low"]
        out[f"C8{s}_bs"] = D8 / inputs["mb_low"]
    return out


# =========================================================================== B -> X_s gamma
@par_cached("BR(B->Xcenu)_exp", "C_BXlnu", "delta_BXsgamma")
def _bxg_constants(par):
    """Parameter-only pieces of BR(B->Xsgamma): (e7, e8) of the LO running 4.8 -> 2 GeV,
    a = alpha_s(2 GeV)/(4 pi), the overall prefactor, and the Vub + non-perturbative +
    uncertainty terms added to P(E0)."""
    from ..ckm import ckm_matrix, xi
    r = data()["dipole_running"]
    d = data()["bxgamma"]
    eta = a_s(par, r["scale_low"], 5) / a_s(par, d["scale"], 5)
    e7, e8 = eta ** (r["gamma_77"] / (46.0 / 3.0)), eta ** (r["gamma_88"] / (46.0 / 3.0))
    at = a_s(par, d["scale"], 5)
    xt, xu = xi(par, "t", "b", "s"), xi(par, "u", "b", "s")
    ru = xu / xt
    extra = (d["PVub_re"] * jnp.real(ru) + d["PVub_abs2"] * jnp.abs(ru) ** 2
             + d["P_nonpert"] + d["P_unc_coefficient"] * par["delta_BXsgamma"])
    Vcb = jnp.abs(ckm_matrix(par["Vus"], par["Vub"], par["Vcb"], par["gamma"])[1, 2])
    pref = (par["BR(B->Xcenu)_exp"] * jnp.abs(xt) ** 2 / Vcb ** 2
            * 6.0 * d["alpha_e_0"] / PI / par["C_BXlnu"])
    return e7, e8, at, pref, extra


def _bxg_wc_low(coeffs, par):
    """NP (C7, C7', C8, C8') at mu_b = 2 GeV from the 4.8 GeV values (LO, n_f = 5)."""
    r = data()["dipole_running"]
    e7, e8 = _bxg_constants(par)[:2]
    B = r["gamma_87"] / (r["gamma_88"] - r["gamma_77"])
    out = {}
    for s in ("", "p"):
        c7, c8 = coeff(coeffs, f"C7{s}_bs"), coeff(coeffs, f"C8{s}_bs")
        out["7" + s] = e7 * c7 + B * (e8 - e7) * c8
        out["8" + s] = e8 * c8
    return out


def br_bxsgamma(coeffs, par):
    """BR(B -> X_s gamma), E_gamma > 1.6 GeV: flavio 2.7.1's formula (Misiak et al.
    arXiv:1503.01789) with the SM coefficients at 2 GeV from vlq_constraints.yaml and the NP
    dipoles C7_bs, C7p_bs, C8_bs, C8p_bs (4.8 GeV) run to 2 GeV at LO."""
    d = data()["bxgamma"]
    np_ = _bxg_wc_low(coeffs, par)
    at, pref, extra = _bxg_constants(par)[2:]
    C = jnp.asarray(d["C_SM"], dtype=complex)
    Cp = jnp.asarray(d["C_SM_primed"], dtype=complex)
    C = C.at[6].add(np_["7"]).at[7].add(np_["8"])
    Cp = Cp.at[6].add(np_["7p"]).at[7].add(np_["8p"])
    K1, K2 = jnp.asarray(d["K1"]), jnp.asarray(d["K2"])
    quad = lambda c, K: jnp.real(c @ (K @ jnp.conj(c)))             # noqa: E731
    P = (jnp.abs(C[6]) ** 2 + jnp.abs(Cp[6]) ** 2 + at * (quad(C, K1) + quad(Cp, K1))
         + at ** 2 * (quad(C, K2) + quad(Cp, K2)))
    return pref * (P + extra)
