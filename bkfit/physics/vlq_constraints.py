r"""Further constraints on the vector-like quark + real scalar dark-matter model
(He, Ma, Schmidt, Valencia, Volkas, JHEP 07 (2024) 168, arXiv:2403.12485, Sec. 5): pure JAX.
Derivations, conventions and tests: docs/vlq.md; inputs: bkfit/inputs/data/vlq_constraints.yaml
and the parameter database.

Matching (called from bkfit.physics.vlq.left_coefficients; the heavy sector is Q_d, D with
the mass matrix M = [[m_Q, y1 v/sqrt2], [y2^* v/sqrt2, m_D]] in (Qbar_L, Dbar_L) x (Q_R, D_R)):

* one-loop dipoles b -> s gamma, b -> s g (phi neutral: the photon/gluon couples to the heavy
  fermions only).  For a single Dirac fermion F of mass M, a massless scalar and
  L = sbar (a_R P_R + a_L P_L) F phi + Fbar (c_R P_R + c_L P_L) b phi + h.c.:

      L_eff = C_R sbar sigma^{mu nu} P_R b F_{mu nu} + (R <-> L),
      C_R = -(e Q_F / 64 pi^2) [a_R c_R / M + (m_b a_R c_L + m_s a_L c_R) / (6 M^2)]

  (covariant derivative d + i e Q A; checked against the neutral-scalar g-2 integral of
  Leveille, Nucl. Phys. B137 (1978) 63, in tests/test_vlq.py).  With the Q-D mixing the
  chirality-flipping sum over mass eigenstates is [M^dag I(M M^dag)]_{QD} with
  M I(M^2) = 1/(2M), i.e. (1/2)[M^{-1}]_{QD}: the same combination as the tree-level
  coefficient of sbar_L b_R phi^2.  Hence, exactly for m_phi -> 0 and independent of y2,

      C_R(flip) = -(e Q_D / 64 pi^2) c_LR^{sb},   c_LR^{sb} = (C_S + i C_P)^{sb}/2 |_{y1 part}.

  Converted to flavio's C7_bs (O7 = (4G_F/sqrt2) V_tb V_ts^* (e/16pi^2) m_b (sbar sigma P_R b)F),
  C8_bs (Q_D -> 1), with LO QCD running from mu_NP = sqrt(m_Q m_D) to 4.8 GeV (n_f = 6 above
  m_t) in the basis m_b C7, m_b C8 and m_b(4.8 GeV) in the normalisation.
* Delta F = 2: the phi loop with two insertions of the chirality-flipping phi^2 vertices
  (the chirality-conserving parts of the direct and crossed boxes cancel for a real scalar);
  the vertex keeps its full momentum dependence
      j(t) = y_q^i y_d^j (k1 y1 m_Q m_D - k2 y2 t) / ((t + m_Q^2)(t + m_D^2)),  t = k_E^2,
  k1 = y1_factor v/2 (the model's y1 normalisation), k2 = v/sqrt2, and
      C_SRR = (1/16pi^2) int_0^inf dt t j_R(t)^2 / (t + mu_IR^2)^2    (C_SLL: j_L, C_SLR: 2 j_R j_L)
  with mu_IR^2 = m_phi^2 + mu_M^2 (mu_M: scale of the matrix elements).

Observables: BR(B->Xsgamma), DeltaM_d, eps_K (flavio names), DeltaM_K_NP, kappa_gamma,
BR(D0->phiphi), BR(D0->pi0phiphi) (extensions).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..inputs.data_files import read_values
from .common import gauss_legendre, integrate_endpoint, kallen_pos, safe_sqrt
from .qcd import a_s, alpha_s_one_loop, m_b, m_light

PI = math.pi


@functools.lru_cache(maxsize=1)
def data() -> dict:
    """vlq_constraints.yaml as {section: {name: value}}."""
    return read_values("vlq_constraints.yaml")


def _c(coeffs, k):
    return jnp.asarray(coeffs.get(k, 0.0), dtype=complex)


_RUN_KEYS = ("alpha_s", "m_Z", "m_b", "m_s", "m_d", "m_t", "m_W", "GF", "Vus", "Vub", "Vcb",
             "gamma")


def _par_cached(*keys):
    """Memoise a function of ``par`` (and hashable extra arguments) that depends on the listed
    parameters only (plus _RUN_KEYS), when none of them is a JAX tracer: the SM pieces
    (QCD running, M12^SM, matrix elements) are then computed once per parameter point instead
    of being re-traced in every jitted likelihood or gradient.  With traced parameters
    (nuisances) the function is evaluated normally."""
    allkeys = tuple(dict.fromkeys(_RUN_KEYS + keys))

    def deco(fn):
        cache = {}

        @functools.wraps(fn)
        def wrapper(par, *args):
            vals = [par[k] for k in allkeys]
            if any(isinstance(x, jax.core.Tracer) for x in vals):
                return fn(par, *args)
            key = (tuple(float(x) for x in vals), args)
            if key not in cache:
                with jax.ensure_compile_time_eval():       # concrete even inside a jit trace
                    cache[key] = jax.tree_util.tree_map(np.asarray,
                                                        jax.device_get(fn(par, *args)))
            return cache[key]
        return wrapper
    return deco


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
@_par_cached("BR(B->Xcenu)_exp", "C_BXlnu", "delta_BXsgamma")
def _bxg_constants(par):
    """Parameter-only pieces of BR(B->Xsgamma): (e7, e8) of the LO running 4.8 -> 2 GeV,
    a = alpha_s(2 GeV)/(4 pi), the overall prefactor, and the Vub + non-perturbative +
    uncertainty terms added to P(E0)."""
    from .ckm import ckm_matrix, xi
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
        c7, c8 = _c(coeffs, f"C7{s}_bs"), _c(coeffs, f"C8{s}_bs")
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


# =========================================================================== Delta F = 2
_GL_N = 160


def phi_loop_integral(f1, f2, c, t_lo, t_hi):
    """int_0^inf dt t f1(t) f2(t)/(t + c)^2 on a Gauss-Legendre grid in ln t over
    [t_lo, t_hi] (the integrand falls like t^2 below and like t^-2 or faster above)."""
    x, w = gauss_legendre(_GL_N)
    s_lo, s_hi = jnp.log(t_lo), jnp.log(t_hi)
    half, mid = 0.5 * (s_hi - s_lo), 0.5 * (s_hi + s_lo)
    t = jnp.exp(mid + half * jnp.asarray(x))
    return half * jnp.sum(jnp.asarray(w) * t * t * f1(t) * f2(t) / (t + c) ** 2)


def vertex_function(y1, y2, mQ, mD, v, y1_factor):
    """g(t) with j(t) = y_q^i y_d^j g(t): (k1 y1 m_Q m_D - k2 y2 t)/((t + m_Q^2)(t + m_D^2)),
    k1 = y1_factor v/2, k2 = v/sqrt2 (Euclidean t = k_E^2; g(0) = k1 y1/(m_Q m_D))."""
    k1, k2 = y1_factor * v / 2.0, v / math.sqrt(2.0)

    def g(t):
        return (k1 * y1 * mQ * mD - k2 * y2 * t) / ((t + mQ * mQ) * (t + mD * mD))
    return g


_DF2 = {"bs": (1, 2, "bsbs", "mu_M_bs"), "bd": (0, 2, "bdbd", "mu_M_bd"),
        "sd": (0, 1, "sdsd", "mu_M_sd")}


def deltaf2_coefficients(yq, yd, y1, y2, mQ, mD, m_phi, v, y1_factor):
    """{CSRR_X, CSLL_X, CSLR_X} for X = bsbs, bdbd, sdsd (flavio basis, H = -sum C O) from the
    phi loop; bilinear (ibar j): j_R = y_q^i y_d^j g, j_L = (y_q^j y_d^i g)^*."""
    g = vertex_function(jnp.asarray(y1, dtype=complex), jnp.asarray(y2, dtype=complex),
                        mQ, mD, v, y1_factor)
    gc = lambda t: jnp.conj(g(t))                                   # noqa: E731
    m_phi = jnp.asarray(m_phi, dtype=float)
    pre = 1.0 / (16.0 * PI ** 2)
    dd = data()["deltaf2"]
    t_hi = 1e10 * jnp.maximum(mQ, mD) ** 2
    out = {}
    for i, j, name, mukey in _DF2.values():
        c = m_phi ** 2 + dd[mukey] ** 2
        t_lo = 1e-10 * c
        gg = phi_loop_integral(g, g, c, t_lo, t_hi)
        ggc = phi_loop_integral(gc, gc, c, t_lo, t_hi)
        gg_c = phi_loop_integral(g, gc, c, t_lo, t_hi)
        aR = yq[i] * yd[j]
        aL = jnp.conj(yq[j] * yd[i])
        out[f"CSRR_{name}"] = pre * aR * aR * gg
        out[f"CSLL_{name}"] = pre * aL * aL * ggc
        out[f"CSLR_{name}"] = 2.0 * pre * aR * aL * gg_c
    return out


ME_KEYS = ("CVLL", "CVRR", "CVLR", "CSLL", "CSRR", "CSLR", "CTLL", "CTRR")


def _m_light(par, q, mu):
    """MSbar m_d(mu) or m_s(mu) with the decoupling of vlq_constraints.yaml
    (:func:`bkfit.physics.qcd.m_light`)."""
    return m_light(par, q, mu, data()["deltaf2"]["mass_decoupling_c2"])


_ME_KEYS = tuple(f"{x}_{m}" for m in ("B0", "K0") for x in ("m", "f")) + tuple(
    f"bag_{m}_{k}" for m in ("B0", "K0") for k in range(1, 6))


@_par_cached(*_ME_KEYS)
def matrix_elements(par, meson):
    """<O_i> = <M|O_i|Mbar>/(2 m_M) (flavio's formulas, flavio.physics.mesonmixing.amplitude)."""
    if meson == "B0":
        mu = data()["deltaf2"]["mu_M_bd"]
        m1 = m_b(par, mu)
        m2 = _m_light(par, "d", mu)
    else:
        mu = data()["deltaf2"]["mu_M_sd"]
        m1, m2 = _m_light(par, "s", mu), _m_light(par, "d", mu)
    m, f = par[f"m_{meson}"], par[f"f_{meson}"]
    B = {k: par[f"bag_{meson}_{k}"] for k in range(1, 6)}
    r = (m / (m1 + m2)) ** 2
    n = m * f * f
    me = {"CVLL": n * B[1] / 3.0, "CSLR": 0.25 * r * n * B[4], "CVLR": -r * n * B[5] / 6.0,
          "CSLL": -5.0 / 24.0 * r * n * B[2], "CTLL": 0.5 * r * n * (5.0 * B[2] - 2.0 * B[3]) / 3.0}
    me["CVRR"], me["CSRR"], me["CTRR"] = me["CVLL"], me["CSLL"], me["CTLL"]
    return me


def M12_NP(coeffs, par, meson):
    sect = {"B0": "bdbd", "K0": "sdsd"}[meson]
    me = matrix_elements(par, meson)
    return sum(-_c(coeffs, f"{k}_{sect}") * me[k] for k in ME_KEYS)


@_par_cached(*_ME_KEYS, "eta_tt_B0")
def M12_SM_B0(par):
    from .ckm import xi
    from .mixing import S0, bag_rgi_factor, mt_mt
    xt = mt_mt(par) ** 2 / par["m_W"] ** 2
    lam = xi(par, "t", "b", "d")
    me = matrix_elements(par, "B0")["CVLL"] * bag_rgi_factor(par)
    return (par["GF"] ** 2 * par["m_W"] ** 2 / (4 * PI ** 2) * lam ** 2
            * par["eta_tt_B0"] * S0(xt) * me)


def DeltaM_d(coeffs, par):
    """Delta M_d [GeV] = 2 |M12| (Gamma_12 neglected), SM as DeltaM_s in bkfit.physics.mixing."""
    return 2.0 * jnp.abs(M12_SM_B0(par) + M12_NP(coeffs, par, "B0"))


def _F_box(x, y):
    """Delta F = 2 box function F(x, y) for x != y (flavio mesonmixing.wilsoncoefficient)."""
    return ((4 - 7 * x * y) / (4 - 4 * x - 4 * y + 4 * x * y)
            + x ** 2 * (4 + (-8 + x) * y) * jnp.log(x) / (4 * (-1 + x) ** 2 * (x - y))
            - (4 + x * (-8 + y)) * y ** 2 * jnp.log(y) / (4 * (x - y) * (-1 + y) ** 2))


def _F_box_eq(x):
    """F(x, x)."""
    return ((4 + 4 * x - 15 * x ** 2 + x ** 3) / (4 * (-1 + x) ** 2)
            + x * (-4 + 4 * x + 3 * x ** 2) * jnp.log(x) / (2 * (-1 + x) ** 3))


@_par_cached(*_ME_KEYS, "m_c", "m_u", "eta_tt_K0_ut", "eta_ut_K0_ut", "eta_uu_K0_ut")
def M12_SM_K0(par):
    """SM M12 of K0 with u-t unitarity (flavio's default 'K mixing unitarity: ut', 1911.06822):
    -C_VLL^SM <O_VLL> Bhat/B, C_VLL^SM = -G_F^2 m_W^2/(4 pi^2) [eta_tt xi_t^2 S(x_t, x_t; x_c)
    + 2 eta_ut xi_u xi_t S(x_u, x_t; x_c) + eta_uu xi_u^2 S(x_u, x_u; x_c)],
    S(x, y; z) = F(x, y) + F(z, z) - F(x, z) - F(y, z)."""
    from .ckm import xi
    from .mixing import mt_mt
    mW = par["m_W"]
    xt, xc, xu = mt_mt(par) ** 2 / mW ** 2, par["m_c"] ** 2 / mW ** 2, par["m_u"] ** 2 / mW ** 2
    S_tt = _F_box_eq(xt) + _F_box_eq(xc) - 2.0 * _F_box(xt, xc)
    S_ut = _F_box(xu, xt) + _F_box_eq(xc) - _F_box(xu, xc) - _F_box(xt, xc)
    S_uu = _F_box_eq(xu) + _F_box_eq(xc) - 2.0 * _F_box(xu, xc)
    lt, lu = xi(par, "t", "s", "d"), xi(par, "u", "s", "d")
    N = -par["GF"] ** 2 * mW ** 2 / (4 * PI ** 2)
    C = N * (par["eta_tt_K0_ut"] * lt ** 2 * S_tt + par["eta_ut_K0_ut"] * 2 * lu * lt * S_ut
             + par["eta_uu_K0_ut"] * lu ** 2 * S_uu)
    dd = data()["deltaf2"]
    als = 4.0 * PI * a_s(par, dd["mu_M_sd"], 4)
    rgi = als ** (-dd["bag_rgi_g_K"]) * (1.0 + als / (4.0 * PI) * dd["bag_rgi_J_K"])
    return -C * matrix_elements(par, "K0")["CVLL"] * rgi


def eps_K(coeffs, par):
    """|epsilon_K| = kappa_eps Im(M12)/(sqrt2 DeltaM_K^exp) (flavio's definition)."""
    M12 = M12_SM_K0(par) + M12_NP(coeffs, par, "K0")
    return par["kappa_epsilon"] * jnp.imag(M12) / par["DeltaM_K0"] / math.sqrt(2.0)


def DeltaM_K_NP(coeffs, par):
    """2 |M12^NP(K)| [GeV]: the new-physics contribution to Delta M_K."""
    M = M12_NP(coeffs, par, "K0")
    return 2.0 * safe_sqrt(jnp.real(M) ** 2 + jnp.imag(M) ** 2)


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


@_par_cached("m_h")
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
    r = jnp.real(_c(coeffs, "rG_hgg"))
    rt = jnp.real(_c(coeffs, "rGt_hgg"))
    AW, At = hgaga_sm_amplitudes(par)
    w = m["N_c"] * m["Q_D"] ** 2
    even = AW + At - w * 4.0 / 3.0 * r
    odd = w * 2.0 * rt
    return safe_sqrt(even ** 2 + odd ** 2) / jnp.abs(AW + At)


# =========================================================================== D -> (pi) phi phi
def _mphi(coeffs):
    return jnp.asarray(coeffs.get("m_phi", 0.0), dtype=float)


def br_D0_phiphi(coeffs, par):
    """BR(D0 -> phi phi) (invisible) from C_P^{uc} (key CP_cuphiphi):
    |C_P|^2 tau m_D f_D^2/(32 pi) (m_D/(m_c + m_u))^2 sqrt(1 - 4 m_phi^2/m_D^2)
    (<0|ubar i g5 c|D0> = f_D m_D^2/(m_c + m_u); MSbar m_c(m_c), m_u(2 GeV) as the seed)."""
    C = _c(coeffs, "CP_cuphiphi")
    m = _mphi(coeffs)
    mD, f, tau = par["m_D0"], par["f_D0"], par["tau_D0"]
    beta = safe_sqrt(1.0 - 4.0 * m * m / (mD * mD))
    return ((jnp.real(C) ** 2 + jnp.imag(C) ** 2) * tau * mD * f * f / (32.0 * PI)
            * (mD / (par["m_c"] + par["m_u"])) ** 2 * beta)


def f0_Dpi(q2, par):
    """D -> pi scalar form factor (BSZ3 of flavio 2.7.1, ETM arXiv:1706.03017; a0_f0 = a0_f+),
    z built with m_D0 and m_pi+ as flavio."""
    from .formfactors import zvar
    mD, mP = par["m_D0"], par["m_pi+"]
    dz = zvar(mD, mP, q2) - zvar(mD, mP, 0.0)
    p = "D->pi BSZ "
    return ((par[p + "a0_f+"] + par[p + "a1_f0"] * dz + par[p + "a2_f0"] * dz * dz)
            / (1.0 - q2 / par["D->pi BCL m0"] ** 2))


def dgamma_dq2_D0_pi0phiphi(coeffs, par, q2):
    """dGamma/dq^2 (D0 -> pi0 phi phi) [GeV^-1]: 1/2 |M|^2 sqrt(lambda) beta/(256 pi^3 m_D^3),
    M = C_S^{uc} <pi0|ubar c|D0>, |<pi0|ubar c|D0>|^2 = 1/2 [f0 (m_D^2 - m_pi0^2)/(m_c - m_u)]^2."""
    C = _c(coeffs, "CS_cuphiphi")
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


# =========================================================================== registration
def register(catalogue) -> None:
    """Add the VLQ constraint observables (B -> X_s gamma, Delta M_d, eps_K, Delta M_K,
    h gamma gamma, D0 -> (pi0) phi phi) to ``catalogue``."""
    register = catalogue.register

    register("BR(B->Xsgamma)",
             description="BR(B -> X_s gamma), E_gamma > 1.6 GeV (flavio's formula; C7, C7', C8, "
                         "C8' NP at 4.8 GeV)")(lambda coeffs, par: br_bxsgamma(coeffs, par))
    register("DeltaM_d", description="B_d mass difference in GeV (SM + Delta B = 2 NP; flavio)")(
        lambda coeffs, par: DeltaM_d(coeffs, par))
    register("eps_K", description="|epsilon_K| (SM with u-t unitarity + Delta S = 2 NP; flavio)")(
        lambda coeffs, par: eps_K(coeffs, par))
    register("DeltaM_K_NP", extension=True,
             description="new-physics contribution to Delta M_K, 2|M12^NP| [GeV]")(
        lambda coeffs, par: DeltaM_K_NP(coeffs, par))
    register("kappa_gamma", extension=True,
             description="h gamma gamma coupling modifier (heavy Q_d, D loops tied to kappa_g; "
                         "rG_hgg, rGt_hgg)")(lambda coeffs, par: kappa_gamma(coeffs, par))
    register("BR(D0->phiphi)", extension=True,
             description="BR(D0 -> phi phi), phi invisible real scalar (CP_cuphiphi, m_phi)")(
        lambda coeffs, par: br_D0_phiphi(coeffs, par))
    register("BR(D0->pi0phiphi)", extension=True,
             description="BR(D0 -> pi0 phi phi), phi invisible real scalar (CS_cuphiphi, m_phi)")(
        lambda coeffs, par: br_D0_pi0phiphi(coeffs, par))
