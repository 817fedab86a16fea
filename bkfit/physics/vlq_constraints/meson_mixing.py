"""Delta F = 2 of the VLQ model: the phi-loop coefficients and the B0 and K0 mixing
observables (Delta M_d, eps_K, Delta M_K^NP; flavio's matrix elements and SM parts)."""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..common import gauss_legendre, safe_sqrt
from ..qcd import a_s, m_b, m_light
from .shared import PI, coeff, data, par_cached


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


def phi_loop_moments(mQ, mD, c, t_hi):
    """(I_0, I_1, I_2), each of the shape of ``c``: I_k = int_0^inf dt t^(1+k)
    / ((t + m_Q^2)^2 (t + m_D^2)^2 (t + c)^2) on the grid of :func:`phi_loop_integral` over
    [1e-10 c, t_hi] (real arithmetic; one grid per entry of ``c``).  With
    g_a(t) = (A_a - B_a t)/((t + m_Q^2)(t + m_D^2)) (:func:`vertex_function`),
    int dt t g_1 g_2/(t + c)^2 = A_1 A_2 I_0 - (A_1 B_2 + A_2 B_1) I_1 + B_1 B_2 I_2."""
    x, w = gauss_legendre(_GL_N)
    c = jnp.asarray(c, dtype=float)[..., None]
    s_lo, s_hi = jnp.log(1e-10 * c), jnp.log(t_hi)
    half, mid = 0.5 * (s_hi - s_lo), 0.5 * (s_hi + s_lo)
    t = jnp.exp(mid + half * jnp.asarray(x))
    base = half * jnp.asarray(w) * (t / ((t + mQ * mQ) * (t + mD * mD) * (t + c))) ** 2
    return jnp.sum(base, axis=-1), jnp.sum(base * t, axis=-1), jnp.sum(base * t * t, axis=-1)


def deltaf2_coefficients(yq, yd, y1, y2, mQ, mD, m_phi, v, y1_factor):
    """{CSRR_X, CSLL_X, CSLR_X} for X = bsbs, bdbd, sdsd (flavio basis, H = -sum C O) from the
    phi loop; bilinear (ibar j): j_R = y_q^i y_d^j g, j_L = (y_q^j y_d^i g)^*.  The loop
    integrals of g g, g^* g^* and g g^* as the combinations of the real moments of
    :func:`phi_loop_moments` (g = (A - B t)/((t + m_Q^2)(t + m_D^2)), A = k1 y1 m_Q m_D,
    B = k2 y2, :func:`vertex_function`); :func:`phi_loop_integral` of the complex products is
    the reference (tests/test_vlq.py)."""
    k1, k2 = y1_factor * v / 2.0, v / math.sqrt(2.0)
    A = k1 * jnp.asarray(y1, dtype=complex) * mQ * mD
    B = k2 * jnp.asarray(y2, dtype=complex)
    m_phi = jnp.asarray(m_phi, dtype=float)
    pre = 1.0 / (16.0 * PI ** 2)
    dd = data()["deltaf2"]
    t_hi = 1e10 * jnp.maximum(mQ, mD) ** 2
    c = m_phi ** 2 + jnp.asarray([dd[mukey] ** 2 for *_, mukey in _DF2.values()])
    I0, I1, I2 = phi_loop_moments(mQ, mD, c, t_hi)
    gg_all = A * A * I0 - 2.0 * A * B * I1 + B * B * I2
    gg_c_all = (jnp.abs(A) ** 2 * I0 - 2.0 * jnp.real(A * jnp.conj(B)) * I1
                + jnp.abs(B) ** 2 * I2)
    out = {}
    for n, (i, j, name, _) in enumerate(_DF2.values()):
        gg, gg_c = gg_all[n], gg_c_all[n]
        aR = yq[i] * yd[j]
        aL = jnp.conj(yq[j] * yd[i])
        out[f"CSRR_{name}"] = pre * aR * aR * gg
        out[f"CSLL_{name}"] = pre * aL * aL * jnp.conj(gg)
        out[f"CSLR_{name}"] = 2.0 * pre * aR * aL * gg_c
    return out


def deltaf2_coefficients_direct(yq, yd, y1, y2, mQ, mD, m_phi, v, y1_factor):
    """:func:`deltaf2_coefficients` with the complex integrals of g g, g^* g^* and g g^*
    computed one by one by :func:`phi_loop_integral` (the slower reference of the tests)."""
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


@par_cached(*_ME_KEYS)
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
    """New-physics mixing amplitude M12 (GeV) of ``meson`` ('B0' or 'K0') from its Delta F = 2
    coefficients."""
    sect = {"B0": "bdbd", "K0": "sdsd"}[meson]
    me = matrix_elements(par, meson)
    return sum(-coeff(coeffs, f"{k}_{sect}") * me[k] for k in ME_KEYS)


@par_cached(*_ME_KEYS, "eta_tt_B0")
def M12_SM_B0(par):
    """SM B0 mixing amplitude M12 (GeV): top-quark box with the Inami-Lim function S0."""
    from ..ckm import xi
    from ..mixing import S0, bag_rgi_factor, mt_mt
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


@par_cached(*_ME_KEYS, "m_c", "m_u", "eta_tt_K0_ut", "eta_ut_K0_ut", "eta_uu_K0_ut")
def M12_SM_K0(par):
    """SM M12 of K0 with u-t unitarity (flavio's default 'K mixing unitarity: ut', 1911.06822):
    -C_VLL^SM <O_VLL> Bhat/B, C_VLL^SM = -G_F^2 m_W^2/(4 pi^2) [eta_tt xi_t^2 S(x_t, x_t; x_c)
    + 2 eta_ut xi_u xi_t S(x_u, x_t; x_c) + eta_uu xi_u^2 S(x_u, x_u; x_c)],
    S(x, y; z) = F(x, y) + F(z, z) - F(x, z) - F(y, z)."""
    from ..ckm import xi
    from ..mixing import mt_mt
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
