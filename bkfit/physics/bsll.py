r"""Charged-lepton b -> s l1 l2 observables: lepton-flavour-violating B -> K(*) l l', B_s -> l l',
and the tau-pair modes B_s -> tau tau, B -> K tau tau (SM + new physics).  Pure JAX.

Effective Lagrangian (WCxf ``WET`` / ``flavio`` basis, mu_b = 4.8 GeV):

    L = N sum_i C_i O_i + h.c.,   N = 4 G_F/sqrt2 V_tb V_ts^* alpha_e(4.8 GeV)/(4 pi)
    O9^{l1 l2}   = (s g_mu P_L b)(lbar_2 g^mu l_1)        ``C9_bs{l1}{l2}``
    O10^{l1 l2}  = (s g_mu P_L b)(lbar_2 g^mu g5 l_1)     ``C10_bs{l1}{l2}``
    OS^{l1 l2}   = m_b (s P_R b)(lbar_2 l_1)               ``CS_bs{l1}{l2}``
    OP^{l1 l2}   = m_b (s P_R b)(lbar_2 g5 l_1)            ``CP_bs{l1}{l2}``
    primed: P_L <-> P_R in the quark current             ``C9p_``, ``C10p_``, ``CSp_``, ``CPp_``

(WCxf lepton order: ``C_bs{a}{b}`` multiplies (lbar_b ... l_a), see docs/leptoquarks.md), so
that ``C_bs{l1}{l2}`` drives B^- -> K^- l1^+ l2^-, flavio's ``BR(B+->K{l1}{l2})``.

Rates are written through helicity amplitudes with the full lepton-mass dependence (two
different lepton masses); the q^2 integrals use Gauss-Legendre after a smooth-step substitution
(``common.integrate_endpoint``) that removes the square-root behaviour of the phase space at both
ends.  alpha_e is taken at 4.8 GeV (flavio's scale for all these observables).

B -> K tau tau (SM + NP) uses C9^eff(q^2) = C9 + Y(q^2) + (xi_u/xi_t) Y_u(q^2) + dC9(q^2) with the
one-loop four-quark matrix elements (hep-ph/0106067 eq. 11, 0811.1214 eq. 10, hep-ph/0412400
eq. 43, pole quark masses) computed here and the NNLO matrix elements dC9, dC7 (0810.4077,
hep-ph/0403185) tabulated at central inputs in the data file (their parameter dependence is
neglected); flavio's high-q^2 subleading shift (zero central value) is not included, see
docs/bsll.md.
"""
from __future__ import annotations


import jax.numpy as jnp

from ..inputs import NUISANCE_SETS
from ..inputs.data_files import read_yaml
from .ckm import xi
from .common import integrate_polynomial, kallen, kallen_pos, par_constant, safe_sqrt
from .formfactors import ff_BK, ff_BKstar
from .qcd import mass_ratio_two_loop, run_alpha

FLAVOURS = ("e", "mu", "tau")
LFV_PAIRS = [(a, b) for a in FLAVOURS for b in FLAVOURS if a != b]
LFV_SUMS = [("e", "mu"), ("e", "tau"), ("mu", "tau")]
MU_B = 4.8  # renormalisation scale (GeV) of the coefficients and of alpha_e (flavio's)

P_MODES = {"B+->K": ("B+", "K+"), "B0->K": ("B0", "K0")}
V_MODES = {"B+->K*": ("B+", "K*+"), "B0->K*": ("B0", "K*0")}

# the form-factor coefficients the rates are quadratic forms in (B -> K, B -> K*)
FF_NAMES = {"P": NUISANCE_SETS["ff_BK"], "V": NUISANCE_SETS["ff_BKstar"]}

_DATA = read_yaml("bsll_sm.yaml")


# ----------------------------------------------------------------------------- couplings
def wc_names(l1: str, l2: str) -> list[str]:
    """Names of the b -> s l1+ l2- semileptonic coefficients (C9, C10, scalar, pseudoscalar and
    primed) for lepton flavours ``l1``, ``l2`` (e.g. ``'mu'``, ``'tau'``)."""
    return [f"{c}_bs{l1}{l2}" for c in ("C9", "C9p", "C10", "C10p", "CS", "CSp", "CP", "CPp")]


ALL_WC = [n for a in FLAVOURS for b in FLAVOURS for n in wc_names(a, b)] + ["C7_bs", "C7p_bs"]


def _wc(coeffs: dict, l1: str, l2: str) -> dict:
    g = coeffs.get
    s = f"_bs{l1}{l2}"
    return {"9": g("C9" + s, 0.0), "9p": g("C9p" + s, 0.0),
            "10": g("C10" + s, 0.0), "10p": g("C10p" + s, 0.0),
            "S": g("CS" + s, 0.0), "Sp": g("CSp" + s, 0.0),
            "P": g("CP" + s, 0.0), "Pp": g("CPp" + s, 0.0),
            "7": 0.0, "7p": 0.0}


def _conj(c: dict) -> dict:
    return {k: jnp.conj(v) for k, v in c.items()}


# ----------------------------------------------------------------------------- inputs
def alpha_e(par):
    """alpha_e(4.8 GeV) as flavio uses it (alpha_e(M_Z) times the running ratio)."""
    return par["alpha_e"] * par["alpha_e(mb)/alpha_e(MZ)"]


def norm2(par):
    """|N|^2 = |4 G_F/sqrt2 V_tb V_ts^* alpha_e/(4 pi)|^2."""
    return (2.0 * par["GF"] ** 2 * jnp.abs(xi(par, "t", "b", "s")) ** 2
            * alpha_e(par) ** 2 / (4.0 * jnp.pi ** 2))


@par_constant
def running_inputs(par) -> dict:
    """alpha_s, MSbar m_b(4.8), m_s(4.8) and pole m_b, m_c from flavio's parameters
    (alpha_s(M_Z), m_b(m_b), m_c(m_c), m_s(2 GeV)): four-loop alpha_s, two-loop mass running
    (:mod:`bkfit.physics.qcd`), n_f = 5 above m_b(m_b), 4 between m_c and m_b (continuous
    alpha_s at the threshold)."""
    a_z = par["alpha_s"] / (4.0 * jnp.pi)
    mb, mc = par["m_b"], par["m_c"]
    tz = 2.0 * jnp.log(par["m_Z"])
    a_mb = run_alpha(a_z, tz, 2.0 * jnp.log(mb), 5, loops=4)
    a_48 = run_alpha(a_z, tz, 2.0 * jnp.log(MU_B), 5, loops=4)
    a_2 = run_alpha(a_mb, 2.0 * jnp.log(mb), 2.0 * jnp.log(2.0), 4, loops=4)
    a_mc = run_alpha(a_mb, 2.0 * jnp.log(mb), 2.0 * jnp.log(mc), 4, loops=4)
    mb48 = mb * mass_ratio_two_loop(a_48, a_mb, 5)
    ms48 = par["m_s"] * mass_ratio_two_loop(a_mb, a_2, 4) * mass_ratio_two_loop(a_48, a_mb, 5)
    pr = _DATA["pole_mass_relation"]

    def pole(m, a, nl):
        x = 4.0 * a  # alpha_s/pi
        return m * (1.0 + pr["k1"] * x + (pr["k2_0"] - pr["k2_nl"] * nl) * x * x)

    return {"alpha_s(4.8)": 4.0 * jnp.pi * a_48, "mb(4.8)": mb48, "ms(4.8)": ms48,
            "mb_pole": pole(mb, a_mb, 4), "mc_pole": pole(mc, a_mc, 3)}


def sm_wc(par) -> dict:
    """SM coefficients at 4.8 GeV (data file) with C10 scaled by (m_t/m_t,ref)^1.53."""
    d = _DATA["sm_wc_4p8"]
    sc = _DATA["c10_mt_scaling"]
    out = {k: d[k] for k in ("C1", "C2", "C3", "C4", "C5", "C6", "C7eff", "C9")}
    out["C10"] = d["C10"] * (par["m_t"] / sc["m_t_ref_GeV"]) ** sc["exponent"]
    return out


# ----------------------------------------------------------------------------- kinematics
def _lepton_kin(q2, m1, m2):
    """(lambda_gamma, E1 E2) for the lepton pair in its rest frame."""
    lg = kallen_pos(q2, m1 * m1, m2 * m2)
    e1e2 = (q2 * q2 - (m1 * m1 - m2 * m2) ** 2) / (4.0 * q2)
    return lg, e1e2


def _rate_P(q2, c, par, B, P, m1, m2, mb):
    """dGamma/dq2 of B -> P l1^+ l2^- (no tensor operators); c: coefficient dict with C9
    possibly q2-dependent (C9eff)."""
    mB, mP = par["m_" + B], par["m_" + P]
    lB = kallen_pos(mB ** 2, mP ** 2, q2)
    lg, e1e2 = _lepton_kin(q2, m1, m2)
    f = ff_BK(q2, par)
    sq = jnp.sqrt(q2)
    kV = safe_sqrt(lB) / (2.0 * sq)
    hV = kV * (2.0 * mb / (mB + mP) * (c["7"] + c["7p"]) * f["fT"] + (c["9"] + c["9p"]) * f["f+"])
    hA = kV * (c["10"] + c["10p"]) * f["f+"]
    k0 = 0.5 * (mB ** 2 - mP ** 2) * f["f0"]
    hS = k0 * (c["S"] + c["Sp"] + (m1 - m2) / q2 * (c["9"] + c["9p"]))
    hP = k0 * (c["P"] + c["Pp"] + (m1 + m2) / q2 * (c["10"] + c["10p"]))
    plus, minus = e1e2 + m1 * m2, e1e2 - m1 * m2
    G0 = ((4.0 * plus + lg / (3.0 * q2)) * jnp.abs(hV) ** 2
          + (4.0 * minus + lg / (3.0 * q2)) * jnp.abs(hA) ** 2
          + (4.0 * minus + lg / q2) * jnp.abs(hS) ** 2
          + (4.0 * plus + lg / q2) * jnp.abs(hP) ** 2)
    pre = safe_sqrt(lB) * safe_sqrt(lg) / (2 ** 9 * jnp.pi ** 3 * mB ** 3 * q2)
    return 2.0 * norm2(par) * pre * G0


def _rate_V(q2, c, par, B, V, m1, m2):
    """dGamma/dq2 of B -> V l1^+ l2^- (vector, axial, scalar, pseudoscalar; no dipole, no
    tensor), summed over the helicities 0, +, - and the timelike/scalar amplitudes."""
    mB, mV = par["m_" + B], par["m_" + V]
    lB = kallen_pos(mB ** 2, mV ** 2, q2)
    sl = safe_sqrt(lB)
    lg, e1e2 = _lepton_kin(q2, m1, m2)
    f = ff_BKstar(q2, par)
    sq = jnp.sqrt(q2)
    s = mB + mV

    def trans(cp, cm):
        """|H_0|^2 + |H_+|^2 + |H_-|^2 for a lepton current with C + C' = cp, C - C' = cm."""
        h0 = 4.0 * mB * mV / sq * cm * f["A12"]
        a = cp * sl * f["V"] / (2.0 * s)
        b = cm * s * f["A1"] / 2.0
        return jnp.abs(h0) ** 2 + 2.0 * (jnp.abs(a) ** 2 + jnp.abs(b) ** 2)

    sV = trans(c["9"] + c["9p"], c["9"] - c["9p"])
    sA = trans(c["10"] + c["10p"], c["10"] - c["10p"])
    hP = 0.5 * sl * (c["P"] - c["Pp"] + (m1 + m2) / q2 * (c["10"] - c["10p"])) * f["A0"]
    hS = 0.5 * sl * (c["S"] - c["Sp"] + (m1 - m2) / q2 * (c["9"] - c["9p"])) * f["A0"]
    w = e1e2 + lg / (4.0 * q2)
    G0 = (4.0 / 9.0 * (3.0 * e1e2 + lg / (4.0 * q2)) * (sV + sA)
          + 4.0 * m1 * m2 / 3.0 * (sV - sA)
          + 4.0 / 3.0 * (w - m1 * m2) * jnp.abs(hS) ** 2
          + 4.0 / 3.0 * (w + m1 * m2) * jnp.abs(hP) ** 2)
    pre = sl * safe_sqrt(lg) / (2 ** 9 * jnp.pi ** 3 * mB ** 3 * q2)
    return 6.0 * norm2(par) * pre * G0


def _q2_range(par, B, M, m1, m2):
    return (m1 + m2) ** 2, (par["m_" + B] - par["m_" + M]) ** 2


# ----------------------------------------------------------------------------- LFV B -> K(*) l l'
def _present(coeffs: dict, keys) -> dict:
    """The coefficients among ``keys`` that are present in ``coeffs``."""
    return {k: coeffs[k] for k in keys if k in coeffs}


def BR_P_lfv(mode: str, l1: str, l2: str, coeffs: dict, par, n: int = 64):
    """BR(B -> P l1^+ l2^-) (flavio: 'BR(B+->K{l1}{l2})' means B^- -> K^- l1^+ l2^-).

    The q^2 integral is a quadratic polynomial in the coefficients whose coefficients are
    quadratic forms in the B -> K form-factor parameters (``common.integrate_polynomial``):
    constants or small contractions in a fit, quadrature when nothing is traced."""
    B, P = P_MODES[mode]
    lo, hi = _q2_range(par, B, P, par["m_" + l1], par["m_" + l2])

    def rate(q, c, p):
        # scalar amplitudes: (m_b C_S)/m_b, so no quark mass is needed (no dipole, l1 != l2)
        return _rate_P(q, _wc(c, l1, l2), p, B, P, p["m_" + l1], p["m_" + l2], 1.0)

    return par["tau_" + B] * integrate_polynomial(
        rate, _present(coeffs, wc_names(l1, l2)), lo, hi, par, FF_NAMES["P"],
        key=("bsll_P", mode, l1, l2), n=n)


def BR_V_lfv(mode: str, l1: str, l2: str, coeffs: dict, par, n: int = 64):
    """BR(B -> V l1+ l2-) integrated over the full q^2 range of ``mode`` (``n`` quadrature points),
    for lepton-flavour-violating (or any) flavour pair from the semileptonic coefficients only."""
    B, V = V_MODES[mode]
    lo, hi = _q2_range(par, B, V, par["m_" + l1], par["m_" + l2])

    def rate(q, c, p):
        return _rate_V(q, _wc(c, l1, l2), p, B, V, p["m_" + l1], p["m_" + l2])

    return par["tau_" + B] * integrate_polynomial(
        rate, _present(coeffs, wc_names(l1, l2)), lo, hi, par, FF_NAMES["V"],
        key=("bsll_V", mode, l1, l2), n=n)


# ----------------------------------------------------------------------------- B_s -> l l'
def _bs_amplitudes(c, par, l1, l2, run):
    mB = par["m_Bs"]
    m1, m2 = par["m_" + l1], par["m_" + l2]
    r = run["mb(4.8)"] / (run["mb(4.8)"] + run["ms(4.8)"])
    bm = jnp.sqrt(1.0 - (m1 - m2) ** 2 / mB ** 2)
    bp = safe_sqrt(1.0 - (m1 + m2) ** 2 / mB ** 2)
    P = bm * ((m1 + m2) / mB * (c["10"] - c["10p"]) + mB * r * (c["P"] - c["Pp"]))
    S = bp * ((m2 - m1) / mB * (c["9"] - c["9p"]) + mB * r * (c["S"] - c["Sp"]))
    return P, S


def BR_Bs_inst(l1: str, l2: str, c: dict, par, run=None):
    """Prompt BR(B_s-bar -> l1^+ l2^-) for the coefficient dict c (keys as in ``_wc``)."""
    run = running_inputs(par) if run is None else run
    mB = par["m_Bs"]
    m1, m2 = par["m_" + l1], par["m_" + l2]
    beta = safe_sqrt(kallen(mB ** 2, m1 ** 2, m2 ** 2)) / mB ** 2
    P, S = _bs_amplitudes(c, par, l1, l2, run)
    pre = norm2(par) / (32.0 * jnp.pi) * mB ** 3 * par["tau_Bs"] * beta * par["f_Bs"] ** 2
    return pre * (jnp.abs(P) ** 2 + jnp.abs(S) ** 2)


def BR_Bs_lfv(l1: str, l2: str, coeffs: dict, par):
    """Instantaneous BR(B_s -> l1+ l2-) from the semileptonic coefficients of that flavour pair."""
    return BR_Bs_inst(l1, l2, _wc(coeffs, l1, l2), par)


def _tautau_wc(coeffs, par, conj=False):
    c = _wc(coeffs, "tau", "tau")
    c["7"] = coeffs.get("C7_bs", 0.0)
    c["7p"] = coeffs.get("C7p_bs", 0.0)
    return _conj(c) if conj else c


def BR_Bs_tautau(coeffs: dict, par):
    """Time-integrated BR(B_s -> tau tau) (SM C10 + NP), divided by (1 - y_s^2)/(1 + A y_s)
    with y_s = DeltaGamma_s/(2 Gamma_s) (arXiv:1204.1735 eq. 8, 1204.1737 eq. 17)."""
    run = running_inputs(par)
    c = _wc(coeffs, "tau", "tau")
    c["10"] = c["10"] + sm_wc(par)["C10"]
    br0 = BR_Bs_inst("tau", "tau", c, par, run)
    P, S = _bs_amplitudes(c, par, "tau", "tau", run)
    adg = (jnp.real(P * P) - jnp.real(S * S)) / (jnp.abs(P) ** 2 + jnp.abs(S) ** 2)
    y = 0.5 * par["DeltaGamma/Gamma_Bs"]
    return br0 * (1.0 + adg * y) / (1.0 - y * y)


# ----------------------------------------------------------------------------- B -> K tau tau
def h_loop(q2, mq, mu):
    """One-loop fermion-loop function h(q^2, m_q) (hep-ph/0106067 eq. 11), q^2 > 0, m_q > 0."""
    z = 4.0 * mq ** 2 / q2
    above = z > 1.0
    zs = jnp.where(above, z, 0.5)       # safe arguments for each branch
    zb = jnp.where(above, 0.5, z)
    A_above = jnp.arctan(1.0 / jnp.sqrt(zs - 1.0)) + 0j
    A_below = jnp.log((1.0 + jnp.sqrt(1.0 - zb)) / jnp.sqrt(zb)) - 0.5j * jnp.pi
    A = jnp.where(above, A_above, A_below)
    return (-4.0 / 9.0 * jnp.log(mq ** 2 / mu ** 2) + 8.0 / 27.0 + 4.0 / 9.0 * z
            - 4.0 / 9.0 * (2.0 + z) * jnp.sqrt(jnp.abs(z - 1.0)) * A)


def h_loop_massless(q2, mu):
    """Loop function h(q^2, m = 0) of a massless quark at scale ``mu`` (GeV), entering C9^eff."""
    return 8.0 / 27.0 + 4.0j * jnp.pi / 9.0 - 4.0 / 9.0 * jnp.log(q2 / mu ** 2)


def Y_sm(q2, par, run, wc):
    """(Y(q^2), Y_u(q^2)): one-loop four-quark contributions to C9^eff (0811.1214 eq. 10,
    hep-ph/0412400 eq. 43) with pole masses; C9^eff = C9 + Y + xi_u/xi_t Y_u."""
    C1, C2, C3, C4, C5, C6 = (wc[k] for k in ("C1", "C2", "C3", "C4", "C5", "C6"))
    Fc = 4.0 / 3.0 * C1 + C2 + 6.0 * C3 + 60.0 * C5
    Fb = 7.0 * C3 + 4.0 / 3.0 * C4 + 76.0 * C5 + 64.0 / 3.0 * C6
    Fu = C3 + 4.0 / 3.0 * C4 + 16.0 * C5 + 64.0 / 3.0 * C6
    F4 = 4.0 / 3.0 * C3 + 64.0 / 9.0 * C5 + 64.0 / 27.0 * C6
    hc = h_loop(q2, run["mc_pole"], MU_B)
    hb = h_loop(q2, run["mb_pole"], MU_B)
    h0 = h_loop_massless(q2, MU_B)
    Y = hc * Fc - 0.5 * hb * Fb - 0.5 * h0 * Fu + F4
    Yu = (4.0 / 3.0 * C1 + C2) * (hc - h0)
    return Y, Yu


def nnlo_shifts(q2, r_u):
    """(dC9, dC7) of the NNLO matrix elements at high q^2 (tabulated, data file), for the CKM
    ratio r_u = xi_u/xi_t (pass its conjugate for the CP-conjugate mode)."""
    d = _DATA["nnlo_matrix_elements_high_q2"]
    x = jnp.asarray(d["q2"])

    def tab(name, part):
        return (jnp.interp(q2, x, jnp.asarray(d[f"{name}_{part}_re"]))
                + 1j * jnp.interp(q2, x, jnp.asarray(d[f"{name}_{part}_im"])))

    return (tab("dC9", "t") + r_u * tab("dC9", "u"), tab("dC7", "t") + r_u * tab("dC7", "u"))


def _c7_sm(wc, run):
    """(C7eff, C7eff') in the SM: C7' = (m_s/m_b) C7 (non-effective C7, hep-ph/0512066)."""
    y = (-1.0 / 3.0, -4.0 / 9.0, -20.0 / 3.0, -80.0 / 9.0)
    c7 = wc["C7eff"] - sum(yi * wc[k] for yi, k in zip(y, ("C3", "C4", "C5", "C6")))
    return wc["C7eff"], run["ms(4.8)"] / run["mb(4.8)"] * c7


def dBR_dq2_Ktautau(mode: str, q2, coeffs: dict, par, run=None):
    """CP-averaged dBR/dq2(B -> K tau+ tau-), SM + NP (see module docstring for the SM
    approximation)."""
    run = running_inputs(par) if run is None else run
    B, P = P_MODES[mode]
    mt = par["m_tau"]
    wc = sm_wc(par)
    Y, Yu = Y_sm(q2, par, run, wc)
    r_u = xi(par, "u", "b", "s") / xi(par, "t", "b", "s")
    c7, c7p = _c7_sm(wc, run)
    out = 0.0
    for conj in (False, True):
        c = _tautau_wc(coeffs, par, conj)
        ru = jnp.conj(r_u) if conj else r_u
        d9, d7 = nnlo_shifts(q2, ru)
        c["9"] = c["9"] + wc["C9"] + Y + ru * Yu + d9
        c["10"] = c["10"] + wc["C10"]
        c["7"] = c["7"] + c7 + d7
        c["7p"] = c["7p"] + c7p
        out = out + 0.5 * _rate_P(q2, c, par, B, P, mt, mt, run["mb(4.8)"])
    return par["tau_" + B] * out


KTAUTAU_WC = wc_names("tau", "tau") + ["C7_bs", "C7p_bs"]


def BR_Ktautau(mode: str, coeffs: dict, par, n: int = 48):
    """CP-averaged BR(B -> K tau+ tau-): the integrated rate is a quadratic polynomial in the
    NP coefficients (SM part included) with form-factor quadratic forms as coefficients
    (``common.integrate_polynomial``)."""
    B, P = P_MODES[mode]
    mt = par["m_tau"]
    lo, hi = _q2_range(par, B, P, mt, mt)
    return integrate_polynomial(
        lambda q, c, p: dBR_dq2_Ktautau(mode, q, c, p), _present(coeffs, KTAUTAU_WC),
        lo, hi, par, FF_NAMES["P"], key=("bsll_Ktautau", mode), n=n)


# ----------------------------------------------------------------------------- registration
def register(catalogue) -> None:
    """Add the charged-lepton b -> s l1 l2 observables to ``catalogue``."""
    register = catalogue.register

    tex_l = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
    for mode in P_MODES:
        for l1, l2 in LFV_PAIRS:
            def mk(mode=mode, l1=l1, l2=l2):
                @register(f"BR({mode}{l1}{l2})", tex=f"{mode} {tex_l[l1]}^+{tex_l[l2]}^-",
                          description=f"BR of the CP conjugate of {mode}: B -> K {l1}^+ {l2}^- "
                          f"(flavio convention, driven by C_bs{l1}{l2})")
                def _f(coeffs, par):
                    return BR_P_lfv(mode, l1, l2, coeffs, par)
            mk()
        for a, b in LFV_SUMS:
            def mk2(mode=mode, a=a, b=b):
                @register(f"BR({mode}{a}{b},{b}{a})",
                          description=f"BR({mode}{a}{b}) + BR({mode}{b}{a})")
                def _f(coeffs, par):
                    return BR_P_lfv(mode, a, b, coeffs, par) + BR_P_lfv(mode, b, a, coeffs, par)
            mk2()
    for mode in V_MODES:
        for l1, l2 in LFV_PAIRS:
            def mk3(mode=mode, l1=l1, l2=l2):
                @register(f"BR({mode}{l1}{l2})",
                          description=f"BR of B -> K* {l1}^+ {l2}^- (flavio convention)")
                def _f(coeffs, par):
                    return BR_V_lfv(mode, l1, l2, coeffs, par)
            mk3()
    for l1, l2 in LFV_PAIRS:
        def mk4(l1=l1, l2=l2):
            @register(f"BR(Bs->{l1}{l2})", description=f"prompt BR(Bs-bar -> {l1}^+ {l2}^-)")
            def _f(coeffs, par):
                return BR_Bs_lfv(l1, l2, coeffs, par)
        mk4()
    for a, b in LFV_SUMS:
        def mk5(a=a, b=b):
            @register(f"BR(Bs->{a}{b},{b}{a})", description=f"BR(Bs->{a}{b}) + BR(Bs->{b}{a})")
            def _f(coeffs, par):
                return BR_Bs_lfv(a, b, coeffs, par) + BR_Bs_lfv(b, a, coeffs, par)
        mk5()

    @register("BR(Bs->tautau)", description="time-integrated BR(B_s -> tau tau), SM + NP")
    def _bstt(coeffs, par):
        return BR_Bs_tautau(coeffs, par)

    for mode in P_MODES:
        def mk6(mode=mode):
            @register(f"BR({mode}tautau)", description=f"CP-averaged BR({mode} tau tau), SM + NP "
                      "(one-loop C9eff; NNLO matrix elements omitted)")
            def _f(coeffs, par):
                return BR_Ktautau(mode, coeffs, par)
        mk6()

