"""b -> c l nu: R(D), R(D*) with the full set of d=6 b -> c l nu operators (JAX).

Effective Lagrangian (WCxf `flavio` basis, coefficients at mu = 4.8 GeV, n_f = 5)::

    L = -4 G_F/sqrt2 V_cb sum_{l, nu} [ (C_VL^SM delta_{l nu} + CVL) (cbar g^mu P_L b)(lbar g_mu P_L nu)
          + CVR (cbar g^mu P_R b)(lbar g_mu P_L nu) + CSR (cbar P_R b)(lbar P_L nu)
          + CSL (cbar P_L b)(lbar P_L nu) + CT (cbar s^{mu nu} P_L b)(lbar s_{mu nu} P_L nu) ] + h.c.

with keys ``CVL_bc{l}nu{nu}``, ``CVR_...``, ``CSR_...``, ``CSL_...``, ``CT_...`` (l, nu in e, mu,
tau).  C_VL^SM = 1 + alpha_e/pi ln(m_Z/mu) (short-distance electroweak correction, as flavio).
Neutrino flavours are summed incoherently; the SM interferes only with nu = l.

Rates: helicity-amplitude expressions for B -> D l nu and B -> D* l nu with the charged-lepton
mass kept everywhere (Sakaki, Tanaka, Tayduganov, Watanabe arXiv:1309.0301 eqs. (12)-(13) and
Tanaka, Watanabe arXiv:1212.1878; notation C_V1 = CVL, C_V2 = CVR, C_S1 = CSR, C_S2 = CSL,
C_T = CT).  Form factors: flavio's defaults 'B->D CLN' and 'B->D* CLN', i.e. the HQET
expansion to O(alpha_s, Lambda/m, Lambda^2/m_c^2) of Bernlochner, Ligeti, Papucci, Robinson
arXiv:1703.05330 with the O(alpha_s) matching coefficients of Neubert (Phys. Rept. 245 (1994)
259, eqs. (3.101)-(3.104) and 1703.05330 App. A), implemented here in JAX (real dilogarithm
included).  The running masses m_b(mu), m_c(mu) of the scalar amplitudes come from
:mod:`bkfit.physics.qcd` (three loops).

Observables (flavio names): ``Rtaul(B->Dlnu)``, ``Rtaul(B->D*lnu)`` = BR(B0 -> D(*) tau nu) /
[(BR(e) + BR(mu))/2] (flavio's convention: average of e and mu in the denominator), and
``Rtaumu(...)``, ``Rmue(...)``.  Extensions: ``Rtaul_ratio(B->Dlnu)``, ``Rtaul_ratio(B->D*lnu)`` =
R / R_SM at the same parameters.
"""
from __future__ import annotations


import jax.numpy as jnp
import numpy as np
from scipy.special import bernoulli

from ..inputs.data_files import read_yaml
from .common import integrate_polynomial, kallen_pos
from .qcd import m_b, m_c

_DATA = read_yaml("bclnu_mixing.yaml")
SCALE = float(_DATA["scales"]["bclnu"])

LEPTONS = ("e", "mu", "tau")

# ============================================================================ dilogarithm
# Li2(x) = sum_n B_n u^(n+1)/(n+1)!, u = -ln(1 - x) (Bernoulli series, |u| < 2 pi), B_1 = -1/2
_BN = bernoulli(24)
_LI2_COEF = np.array([_BN[n] / np.math.factorial(n + 1) if n != 1 else -0.25
                      for n in range(24)]) if hasattr(np, "math") else None
if _LI2_COEF is None:  # numpy >= 2 has no np.math
    import math as _m
    _LI2_COEF = np.array([_BN[n] / _m.factorial(n + 1) if n != 1 else -0.25 for n in range(24)])


def _li2_series(x):
    u = -jnp.log1p(-x)
    s = jnp.zeros_like(u)
    for c in _LI2_COEF[::-1]:
        s = (s + c) * u
    return s


def li2(x):
    """Real dilogarithm Li2(x) for real x <= 1 (elementwise, jittable, finite gradients)."""
    x = jnp.asarray(x, dtype=float)
    pi2_6 = jnp.pi ** 2 / 6.0
    # region A: -1 <= x <= 1/2 directly
    xa = jnp.clip(x, -1.0, 0.5)
    la = _li2_series(xa)
    # region B: 1/2 < x <= 1: Li2(x) = pi^2/6 - ln x ln(1 - x) - Li2(1 - x)
    xb = jnp.clip(x, 0.5, 1.0 - 1e-15)   # Li2(1 - 1e-15) = pi^2/6 to double precision
    lb = pi2_6 - jnp.log(xb) * jnp.log1p(-xb) - _li2_series(1.0 - xb)
    # region C: x < -1: Li2(x) = -pi^2/6 - ln^2(-x)/2 - Li2(1/x)
    xc = jnp.minimum(x, -1.0)
    lc = -pi2_6 - 0.5 * jnp.log(-xc) ** 2 - _li2_series(1.0 / xc)
    return jnp.where(x < -1.0, lc, jnp.where(x > 0.5, lb, la))


# ============================================================================ form factors
_H = _DATA["hqet"]


def hqet_inputs():
    """HQET constants of the CLN/BLPR form factors (1703.05330 eqs. (22)-(25)): the 1S-scheme
    b mass converted with m_b = m_b^1S (1 + 2 alpha_s^2/9), m_c = m_b - (m_b - m_c),
    Lambdabar = mBbar - m_b + lambda_1/(2 m_b^1S), eps_{b,c} = Lambdabar/(2 m_{b,c})."""
    als = _H["alpha_s"]
    mb = _H["m_b_1S"] * (1.0 + 2.0 * als ** 2 / 9.0)
    mc = mb - _H["mb_minus_mc"]
    lam = _H["m_B_bar"] - mb + _H["lambda_1"] / (2.0 * _H["m_b_1S"])
    return {"ash": als / np.pi, "epsb": lam / (2 * mb), "epsc": lam / (2 * mc), "zc": mc / mb}


def _wm1_series(z, n):
    """(w - 1)^n with w - 1 = 8 z/(1 - z)^2 expanded in z and truncated after z^3
    (the z-expansion that defines the CLN Isgur-Wise function)."""
    if n == 1:
        return 8 * z + 16 * z ** 2 + 24 * z ** 3
    if n == 2:
        return 64 * z ** 2 + 256 * z ** 3
    return 512 * z ** 3


def _z_tm(mB, mM, q2):
    """Conformal variable with t0 = t_- = (mB - mM)^2: z = (sqrt(t+ - q2) - sqrt(t+ - t-))/(...)."""
    tp, tm = (mB + mM) ** 2, (mB - mM) ** 2
    a, b = jnp.sqrt(tp - q2), jnp.sqrt(tp - tm)
    return (a - b) / (a + b)


def _r_omega(w, z):
    """r(w) = arccosh(w)/sqrt(w^2 - 1) and Neubert's Omega(w, z) (Phys. Rept. 245, eq. 3.103);
    w = 1 limits taken below w - 1 = 1e-9."""
    at1 = w - 1.0 < 1e-9
    ws = jnp.where(at1, 1.5, w)
    s = jnp.sqrt(ws * ws - 1.0)
    wp, wm = ws + s, ws - s
    r = jnp.log(wp) / s
    lz = jnp.log(z)
    om = (1.0 + ws * (2 * li2(1 - z * wm) - li2(1 - wm ** 2) - 2 * li2(1 - z * wp)
                      + li2(1 - wp ** 2)) / (2.0 * s) - ws * lz * r)
    r = jnp.where(at1, 1.0, r)
    om = jnp.where(at1, -1.0 + (z + 1) / (z - 1) * lz, om)
    return r, om


def hqet_alpha_s_coeffs(w, z):
    """O(alpha_s) matching coefficients C_{V_i}, C_{A_i}, C_{T_i}(w, z = m_c/m_b) of the b -> c
    currents (Neubert Phys. Rept. 245 (1994) eqs. (3.101)-(3.104); 1703.05330 App. A)."""
    r, om = _r_omega(w, z)
    lz = jnp.log(z)
    d = w - 0.5 * (z + 1.0 / z)          # w - w_z, w_z = (z + 1/z)/2 > w_max
    w2 = w * w
    C = {}
    C["V1"] = (-2.0 + 2.0 * om / 3.0
               + ((1 - z * z) * lz + 2 * (1 + w) * ((3 * w - 1) * z - 1 - z * z) * r) / (6 * d * z))
    C["A1"] = (-2.0 + 2.0 * om / 3.0
               + ((1 - z * z) * lz + 2 * (w - 1) * ((3 * w + 1) * z - 1 - z * z) * r) / (6 * d * z))
    C["T1"] = (-2.0 + 2.0 * om / 3.0
               + ((1 - z * z) * lz + (w - 1) * ((4 * w + 2) * z - 1 - z * z) * r) / (3 * d * z))
    C["V2"] = -(z * (-2 * d * (z - 1) + (3 - 2 * w + (2 - 4 * w) * z + z * z) * lz)
                + (2 + (1 - 5 * w - 2 * w2) * z + (2 * w + 4 * w2) * z * z - (1 + w) * z ** 3) * r
                ) / (6 * d * d * z * z)
    C["V3"] = (-2 * d * (z - 1) * z + (1 + (2 - 4 * w) * z + (3 - 2 * w) * z * z) * lz
               + (1 + w - (2 * w + 4 * w2) * z + (5 * w + 2 * w2 - 1) * z * z - 2 * z ** 3) * r
               ) / (6 * d * d * z)
    C["A2"] = -(z * (-2 * d * (1 + z) + (3 + 2 * w - (2 + 4 * w) * z + z * z) * lz)
                + (2 + (2 * w2 - 5 * w - 1) * z + (4 * w2 - 2 * w) * z * z + (1 - w) * z ** 3) * r
                ) / (6 * d * d * z * z)
    C["A3"] = (-2 * d * z * (1 + z) - (1 - (2 + 4 * w) * z + (3 + 2 * w) * z * z) * lz
               + (1 - w + (4 * w2 - 2 * w) * z + (2 * w2 - 5 * w - 1) * z * z + 2 * z ** 3) * r
               ) / (6 * d * d * z)
    C["T2"] = 2 * (z * lz + (1 - w * z) * r) / (3 * d * z)
    C["T3"] = 2 * (lz + (w - z) * r) / (3 * d)
    return C


def _hqet_functions(z, w, par):
    """Leading Isgur-Wise function xi, subleading L_1..6 and subsubleading l_1..6
    (1703.05330 eqs. (9)-(12), (26)-(28); parameters from flavio's database)."""
    x1, x2, x3 = (_wm1_series(z, n) for n in (1, 2, 3))
    xi = 1 - par["CLN rho2_xi"] * x1 + par["CLN c_xi"] * x2 + par["CLN xi3"] / 6 * x3
    # subleading: w - 1 powers in the functions' arguments expanded to z^2
    y1 = 8 * z + 16 * z ** 2
    y2 = 64 * z ** 2
    chi2 = par["chi_2(1)"] + par["chi_2p(1)"] * y1 + par["chi_2pp(1)"] / 2 * y2
    chi3 = par["chi_3p(1)"] * y1 + par["chi_3pp(1)"] / 2 * y2
    eta = par["eta(1)"] + par["etap(1)"] * y1 + par["etapp(1)"] / 2 * y2
    L = {1: -4 * (w - 1) * chi2 + 12 * chi3, 2: -4 * chi3, 3: 4 * chi2, 4: 2 * eta - 1,
         5: -1.0, 6: -2 * (1 + eta) / (w + 1)}
    y = 8 * z   # l_i(w) = l_i(1) + (w - 1) l_i'(1), w - 1 to first order in z
    ell = {i: par[f"CLN l_{i}(1)"] + y * par[f"CLN lp_{i}(1)"] for i in range(1, 7)}
    return xi, L, ell


def ff_BD(q2, par):
    """B0 -> D+ form factors f+, f0, fT (flavio 'B->D CLN')."""
    mB, mP = par["m_B0"], par["m_D+"]
    h = hqet_inputs()
    a, eb, ec = h["ash"], h["epsb"], h["epsc"]
    w = jnp.maximum((mB ** 2 + mP ** 2 - q2) / (2 * mB * mP), 1.0)
    C = hqet_alpha_s_coeffs(w, h["zc"])
    xi, L, l = _hqet_functions(_z_tm(mB, mP, q2), w, par)
    hp = xi * (1 + a * (C["V1"] + (w + 1) / 2 * (C["V2"] + C["V3"])) + (ec + eb) * L[1] + ec ** 2 * l[1])
    hm = xi * (a * (w + 1) / 2 * (C["V2"] - C["V3"]) + (ec - eb) * L[4] + ec ** 2 * l[4])
    hT = xi * (1 + a * (C["T1"] - C["T2"] + C["T3"]) + (ec + eb) * (L[1] - L[4])
               + ec ** 2 * (l[1] - l[4]))
    rr = mP / mB
    sr = jnp.sqrt(rr)
    fp = ((1 + rr) * hp - (1 - rr) * hm) / (2 * sr)
    fm = ((rr - 1) * hp + (1 + rr) * hm) / (2 * sr)
    return {"f+": fp, "f0": fp + fm * q2 / (mB ** 2 - mP ** 2), "fT": (1 + rr) / (2 * sr) * hT}


def ff_BDstar(q2, par):
    """B0 -> D*+ form factors V, A0, A1, A2, T1, T2, T3 (flavio 'B->D* CLN'; standard
    definitions, e.g. 1309.0301 eqs. (20)-(22), T3 as in 1703.05330)."""
    mB, mV = par["m_B0"], par["m_D*+"]
    h = hqet_inputs()
    a, eb, ec = h["ash"], h["epsb"], h["epsc"]
    w = jnp.maximum((mB ** 2 + mV ** 2 - q2) / (2 * mB * mV), 1.0)
    C = hqet_alpha_s_coeffs(w, h["zc"])
    xi, L, l = _hqet_functions(_z_tm(mB, mV, q2), w, par)
    f = (w - 1) / (w + 1)
    hV = xi * (1 + a * C["V1"] + ec * (L[2] - L[5]) + eb * (L[1] - L[4]) + ec ** 2 * (l[2] - l[5]))
    hA1 = xi * (1 + a * C["A1"] + ec * (L[2] - L[5] * f) + eb * (L[1] - L[4] * f)
                + ec ** 2 * (l[2] - l[5] * f))
    hA2 = xi * (a * C["A2"] + ec * (L[3] + L[6]) + ec ** 2 * (l[3] + l[6]))
    hA3 = xi * (1 + a * (C["A1"] + C["A3"]) + ec * (L[2] - L[3] + L[6] - L[5]) + eb * (L[1] - L[4])
                + ec ** 2 * (l[2] - l[3] + l[6] - l[5]))
    hT1 = xi * (1 + a * (C["T1"] + (w - 1) / 2 * (C["T2"] - C["T3"])) + ec * L[2] + eb * L[1]
                + ec ** 2 * l[2])
    hT2 = xi * (a * (w + 1) / 2 * (C["T2"] + C["T3"]) + ec * L[5] - eb * L[4] + ec ** 2 * l[5])
    hT3 = xi * (a * C["T2"] + ec * (L[6] - L[3]) + ec ** 2 * (l[6] - l[3]))
    n = 1.0 / (2.0 * jnp.sqrt(mB * mV))
    sp, sm = mB + mV, mB - mV
    return {
        "V": n * sp * hV,
        "A1": n * (sp ** 2 - q2) / sp * hA1,
        "A2": n * sp * (hA3 + mV / mB * hA2),
        "A0": n * ((sp ** 2 - q2) / (2 * mV) * hA1 - (mB ** 2 - mV ** 2 + q2) / (2 * mB) * hA2
                   - (mB ** 2 - mV ** 2 - q2) / (2 * mV) * hA3),
        "T1": n * (sp * hT1 - sm * hT2),
        "T2": n * ((sp ** 2 - q2) / sp * hT1 - (sm ** 2 - q2) / sm * hT2),
        "T3": n * (sm * hT1 - sp * hT2 + (mB ** 2 - mV ** 2) / mB * hT3),
    }


# ============================================================================ rates
MODES = {"B->D": ("m_B0", "m_D+", "P"), "B->D*": ("m_B0", "m_D*+", "V")}


def alpha_e_bclnu(par):
    """alpha_e(4.8 GeV): flavio's alpha_e(m_Z) times its running ratio (one loop, n_f = 5)."""
    return par["alpha_e"] * par["alpha_e(mb)/alpha_e(MZ)"]


def CVL_SM(par):
    """Short-distance electroweak correction 1 + alpha_e/pi ln(m_Z/mu) (Sirlin 1982), as flavio."""
    return 1.0 + alpha_e_bclnu(par) / jnp.pi * jnp.log(par["m_Z"] / SCALE)


def _Vcb(par):
    from .ckm import ckm_matrix
    return jnp.abs(ckm_matrix(par["Vus"], par["Vub"], par["Vcb"], par["gamma"])[1, 2])


def wc_pair(coeffs: dict, l: str, nu: str, par) -> dict:
    """Coefficients (V1, V2, S1, S2, T) = (C_VL^SM delta + CVL, CVR, CSR, CSL, CT) of one
    (charged lepton, neutrino) pair; absent keys are zero."""
    s = f"_bc{l}nu{nu}"
    g = lambda k: jnp.asarray(coeffs.get(k + s, 0.0), dtype=complex)  # noqa: E731
    v1 = g("CVL") + (CVL_SM(par) if l == nu else 0.0)
    return {"V1": v1, "V2": g("CVR"), "S1": g("CSR"), "S2": g("CSL"), "T": g("CT")}


def _pre(q2, ml, lam, mB, par):
    """G_F^2 |V_cb|^2 q^2 sqrt(lambda) (1 - m^2/q^2)^2 / (192 pi^3 m_B^3)."""
    return (par["GF"] ** 2 * _Vcb(par) ** 2 * q2 * jnp.sqrt(lam)
            * (1.0 - ml ** 2 / q2) ** 2 / (192.0 * jnp.pi ** 3 * mB ** 3))


def dGamma_dq2_D(q2, c: dict, ml, par, mq):
    """dGamma(B0 -> D+ l nu)/dq^2 for one neutrino flavour; c from :func:`wc_pair`;
    mq = (m_b(mu), m_c(mu))."""
    mB, mD = par["m_B0"], par["m_D+"]
    lam = kallen_pos(mB ** 2, mD ** 2, q2)
    f = ff_BD(q2, par)
    sq = jnp.sqrt(q2)
    HV0 = jnp.sqrt(lam / q2) * f["f+"]
    HVt = (mB ** 2 - mD ** 2) / sq * f["f0"]
    HS = (mB ** 2 - mD ** 2) / (mq[0] - mq[1]) * f["f0"]
    HT = -jnp.sqrt(lam) / (mB + mD) * f["fT"]
    V = c["V1"] + c["V2"]
    S = c["S1"] + c["S2"]
    T = c["T"]
    r = ml ** 2 / q2
    br = (jnp.abs(V) ** 2 * ((1 + r / 2) * HV0 ** 2 + 1.5 * r * HVt ** 2)
          + 1.5 * jnp.abs(S) ** 2 * HS ** 2
          + 8 * jnp.abs(T) ** 2 * (1 + 2 * r) * HT ** 2
          + 3 * jnp.real(V * jnp.conj(S)) * ml / sq * HS * HVt
          - 12 * jnp.real(V * jnp.conj(T)) * ml / sq * HT * HV0)
    return _pre(q2, ml, lam, mB, par) * br


def dGamma_dq2_Dstar(q2, c: dict, ml, par, mq):
    """dGamma(B0 -> D*+ l nu)/dq^2 for one neutrino flavour (D* summed over polarisations)."""
    mB, mV = par["m_B0"], par["m_D*+"]
    lam = kallen_pos(mB ** 2, mV ** 2, q2)
    sl = jnp.sqrt(lam)
    f = ff_BDstar(q2, par)
    sq = jnp.sqrt(q2)
    sp = mB + mV
    Hp = sp * f["A1"] - sl / sp * f["V"]
    Hm = sp * f["A1"] + sl / sp * f["V"]
    H0 = (-(mB ** 2 - mV ** 2 - q2) * sp * f["A1"] + lam / sp * f["A2"]) / (2 * mV * sq)
    Ht = -sl / sq * f["A0"]
    HS = -sl / (mq[0] + mq[1]) * f["A0"]
    HTp = ((mB ** 2 - mV ** 2) * f["T2"] + sl * f["T1"]) / sq
    HTm = (-(mB ** 2 - mV ** 2) * f["T2"] + sl * f["T1"]) / sq
    HT0 = (-(mB ** 2 + 3 * mV ** 2 - q2) * f["T2"] + lam / (mB ** 2 - mV ** 2) * f["T3"]) / (2 * mV)
    V1, V2, T = c["V1"], c["V2"], c["T"]
    S = c["S1"] - c["S2"]
    r = ml ** 2 / q2
    br = ((jnp.abs(V1) ** 2 + jnp.abs(V2) ** 2)
          * ((1 + r / 2) * (Hp ** 2 + Hm ** 2 + H0 ** 2) + 1.5 * r * Ht ** 2)
          - 2 * jnp.real(V1 * jnp.conj(V2))
          * ((1 + r / 2) * (H0 ** 2 + 2 * Hp * Hm) + 1.5 * r * Ht ** 2)
          + 1.5 * jnp.abs(S) ** 2 * HS ** 2
          + 8 * jnp.abs(T) ** 2 * (1 + 2 * r) * (HTp ** 2 + HTm ** 2 + HT0 ** 2)
          + 3 * jnp.real((V1 - V2) * jnp.conj(S)) * ml / sq * HS * Ht
          - 12 * jnp.real(V1 * jnp.conj(T)) * ml / sq * (HT0 * H0 + HTp * Hp - HTm * Hm)
          + 12 * jnp.real(V2 * jnp.conj(T)) * ml / sq * (HT0 * H0 + HTp * Hm - HTm * Hp))
    return _pre(q2, ml, lam, mB, par) * br


_RATE = {"B->D": dGamma_dq2_D, "B->D*": dGamma_dq2_Dstar}


def _rate_summed(mode: str, l: str, q2, coeffs: dict, par):
    """dGamma/dq^2 (B0 -> D(*)+ l nu) summed over the three neutrino flavours, at an array
    of q^2 values."""
    ml = par["m_" + l]
    mq = (m_b(par, SCALE), m_c(par, SCALE))
    cs = [wc_pair(coeffs, l, nu, par) for nu in LEPTONS]
    ctot = {k: jnp.stack([c[k] for c in cs]) for k in cs[0]}
    cc = {k: v[None, :] for k, v in ctot.items()}
    return jnp.sum(_RATE[mode](q2[:, None], cc, ml, par, mq), axis=1)


WC_KEYS = ("CVL", "CVR", "CSR", "CSL", "CT")


def Gamma(mode: str, l: str, coeffs: dict, par, n: int = 40):
    """Total width Gamma(B0 -> D(*)+ l nu), summed over the three neutrino flavours.

    The integral is a quadratic polynomial in the b -> c l nu coefficients (SM included):
    with traced coefficients and concrete parameters its coefficients are computed once
    (``common.integrate_polynomial``); quadrature otherwise."""
    mB, mM = par[MODES[mode][0]], par[MODES[mode][1]]
    ml = par["m_" + l]
    keys = [f"{x}_bc{l}nu{nu}" for nu in LEPTONS for x in WC_KEYS]
    present = {k: coeffs[k] for k in keys if k in coeffs}
    return integrate_polynomial(lambda q, c, p: _rate_summed(mode, l, q, c, p), present,
                                ml ** 2, (mB - mM) ** 2, par, (), key=("bclnu", mode, l), n=n)


def R_ratio(mode: str, num: str, den: str, coeffs: dict, par):
    """BR(num)/BR(den); den = 'l' is the e/mu average (flavio's convention)."""
    g = lambda l: Gamma(mode, l, coeffs, par)  # noqa: E731
    d = 0.5 * (g("e") + g("mu")) if den == "l" else g(den)
    return g(num) / d


# ============================================================================ observables
_OBS_MODES = {"B->Dlnu": "B->D", "B->D*lnu": "B->D*"}
_TEX_M = {"B->D": r"B\to D", "B->D*": r"B\to D^*"}


def register(catalogue) -> None:
    """Add the R(D(*)) lepton-universality ratios to ``catalogue``."""
    register = catalogue.register
    for name, mode in _OBS_MODES.items():
        for num, den in (("tau", "l"), ("tau", "mu"), ("mu", "e")):
            def mk(mode=mode, num=num, den=den, name=name):
                @register(f"R{num}{den}({name})",
                          description=f"BR({mode} {num} nu)/BR({mode} {den} nu) for B0 -> D(*)+, "
                          "neutrino flavours summed; 'l' = average of e and mu (flavio)",
                          tex=f"R_{{{num}{den}}}({_TEX_M[mode]})")
                def _f(coeffs, par):
                    return R_ratio(mode, num, den, coeffs, par)
            mk()

        def mk_ratio(mode=mode, name=name):
            @register(f"Rtaul_ratio({name})", extension=True,
                      description=f"R_tau/l({mode}) divided by its SM value at the same "
                      "parameters (form-factor uncertainties largely cancel)",
                      tex=f"R({_TEX_M[mode]})/R_{{SM}}")
            def _f(coeffs, par):
                return R_ratio(mode, "tau", "l", coeffs, par) / R_ratio(mode, "tau", "l", {}, par)
        mk_ratio()

