r"""B -> K nu nu and B -> K* nu nu: differential and integrated branching ratios and F_L.

Effective Hamiltonian (WCxf ``WET``/``flavio`` basis, scale m_b; identical to the seed's
H_eff and to flavio's):

    H_eff = - 4 G_F/sqrt2 V_tb V_ts^* e^2/(16 pi^2) sum_ij [ C_L^ij O_L^ij + C_R^ij O_R^ij
                                   + C'_L^ij O'_L^ij + C'_R^ij O'_R^ij ] + h.c.
    O_L^ij  = (s gamma_mu P_L b)(nu_i gamma^mu (1 - gamma5) nu_j)     -> ``CL_bsnu{i}nu{j}``
    O_R^ij  = (s gamma_mu P_R b)(nu_i gamma^mu (1 - gamma5) nu_j)     -> ``CR_bsnu{i}nu{j}``
    O'_L^ij = (s gamma_mu P_L b)(nu_i gamma^mu (1 + gamma5) nu_j)     -> ``CLprime_bsnu{i}nu{j}``
    O'_R^ij = (s gamma_mu P_R b)(nu_i gamma^mu (1 + gamma5) nu_j)     -> ``CRprime_bsnu{i}nu{j}``

The unprimed names are WCxf's; the primed ones (right-handed neutrinos) are bkfit's
extension, with the same normalisation.  C_L^ij, C_R^ij are the new-physics parts; the SM
adds C_L^SM delta_ij with C_L^SM = -X_t/s_W^2 (flavio's convention: alpha_e in the
normalisation is taken at 4.8 GeV and C_L^SM is rescaled by alpha_e(M_Z)/alpha_e(4.8)).

For massless neutrinos the rates depend only on the quark current:
  B -> K :  sum_ij |C_L + C_R|^2 (vector current; f+)
  B -> K*:  sum_ij |C_L + C_R|^2 (V, transverse) and |C_L - C_R|^2 (A1, A12)
and the primed set adds the same functions of (C'_L, C'_R) with no interference.
"""
from __future__ import annotations

import jax.numpy as jnp

from .ckm import xi
from .common import integrate_endpoint, kallen_pos, safe_sqrt
from .formfactors import ff_BK, ff_BKstar

FLAVOURS = ("e", "mu", "tau")
PAIRS = [(i, j) for i in FLAVOURS for j in FLAVOURS]

MODES = {
    # name in observable: (B meson, final meson, kind)
    "B+->K": ("B+", "K+", "P"),
    "B0->K": ("B0", "K0", "P"),
    "B+->K*": ("B+", "K*+", "V"),
    "B0->K*": ("B0", "K*0", "V"),
}


def wc_names(prefix: str = "") -> list[str]:
    """All b -> s nu nu coefficient names (``prefix`` '' or 'prime')."""
    return [f"C{c}{prefix}_bsnu{i}nu{j}" for c in ("L", "R") for i, j in PAIRS]


ALL_WC = wc_names("") + wc_names("prime") + ["nunu_signal_strength"]


def CL_SM(par):
    """SM C_L (flavour-diagonal), flavio convention at the b scale."""
    return -par["Xt_di->djnunu"] / par["s2w"] / par["alpha_e(mb)/alpha_e(MZ)"]


def coupling_sums(wc: dict, par) -> tuple:
    """(S_plus, S_minus) = sum over the 9 neutrino pairs and both neutrino chiralities of
    |C_L + C_R|^2 and |C_L - C_R|^2, SM included."""
    csm = CL_SM(par)
    if "nunu_signal_strength" in wc:
        # bkfit extension used by the ``sm_mu`` model: C_L^SM -> sqrt(mu) C_L^SM, i.e. the SM
        # spectrum times mu (only meaningful without other coefficients).
        csm = csm * jnp.sqrt(jnp.maximum(wc["nunu_signal_strength"], 1e-300))
    sp = 0.0
    sm = 0.0
    for pre in ("", "prime"):
        for i, j in PAIRS:
            cl = wc.get(f"CL{pre}_bsnu{i}nu{j}", 0.0)
            cr = wc.get(f"CR{pre}_bsnu{i}nu{j}", 0.0)
            if pre == "" and i == j:
                cl = cl + csm
            sp = sp + jnp.abs(cl + cr) ** 2
            sm = sm + jnp.abs(cl - cr) ** 2
    return sp, sm


def norm2(par):
    """|N|^2 / q^2-independent part: G_F^2 alpha_e(m_b)^2 |V_tb V_ts^*|^2."""
    alpha = par["alpha_e"] * par["alpha_e(mb)/alpha_e(MZ)"]
    return par["GF"] ** 2 * alpha ** 2 * jnp.abs(xi(par, "t", "b", "s")) ** 2


def q2max(mode: str, par):
    B, M, _ = MODES[mode]
    return (par["m_" + B] - par["m_" + M]) ** 2


def _rates_P(q2, sp, par, B, M):
    mB, mK = par["m_" + B], par["m_" + M]
    lam = kallen_pos(mB ** 2, mK ** 2, q2)
    f = ff_BK(q2, par)
    g = norm2(par) * lam * safe_sqrt(lam) * f["f+"] ** 2 / (768.0 * jnp.pi ** 5 * mB ** 3)
    return g * sp


def _amps2_V(q2, sp, sm, par, B, V):
    """|A_perp|^2, |A_par|^2, |A_0|^2 summed over neutrino pairs (transversity amplitudes
    in the normalisation of Altmannshofer et al., arXiv:0902.0160, with A_0 written through
    A12)."""
    mB, mV = par["m_" + B], par["m_" + V]
    lam = kallen_pos(mB ** 2, mV ** 2, q2)
    f = ff_BKstar(q2, par)
    n2 = norm2(par) * q2 * safe_sqrt(lam) / (3.0 * 2 ** 10 * jnp.pi ** 5 * mB ** 3)
    a_perp = n2 * 8.0 * lam * f["V"] ** 2 / (mB + mV) ** 2 * sp
    a_par = n2 * 8.0 * (mB + mV) ** 2 * f["A1"] ** 2 * sm
    a_0 = n2 * 256.0 * mB ** 2 * mV ** 2 * f["A12"] ** 2 / q2 * sm
    return a_perp, a_par, a_0


def dGamma_dq2(mode: str, q2, wc: dict, par):
    B, M, kind = MODES[mode]
    sp, sm = coupling_sums(wc, par)
    if kind == "P":
        return _rates_P(q2, sp, par, B, M)
    a_perp, a_par, a_0 = _amps2_V(q2, sp, sm, par, B, M)
    return a_perp + a_par + a_0


def dBR_dq2(mode: str, q2, wc: dict, par):
    B = MODES[mode][0]
    return par["tau_" + B] * dGamma_dq2(mode, q2, wc, par)


def BR_bin(mode: str, q2min, q2max_, wc: dict, par, n: int = 48):
    """Integrated BR over [q2min, q2max] (not divided by the bin width)."""
    return integrate_endpoint(lambda q: dBR_dq2(mode, q, wc, par), q2min, q2max_, n=n)


def BR(mode: str, wc: dict, par, n: int = 48):
    return BR_bin(mode, 0.0, q2max(mode, par), wc, par, n=n)


def FL(mode: str, q2, wc: dict, par):
    B, M, kind = MODES[mode]
    assert kind == "V"
    sp, sm = coupling_sums(wc, par)
    a_perp, a_par, a_0 = _amps2_V(q2, sp, sm, par, B, M)
    return a_0 / (a_perp + a_par + a_0)


def FL_bin(mode: str, q2min, q2max_, wc: dict, par, n: int = 48):
    """q^2-integrated F_L = int Gamma_0 / int Gamma over the bin (flavio's <FL>)."""
    B, M, _ = MODES[mode]
    sp, sm = coupling_sums(wc, par)

    def parts(q):
        a_perp, a_par, a_0 = _amps2_V(q, sp, sm, par, B, M)
        return jnp.stack([a_0, a_perp + a_par + a_0])

    def num(q):
        return parts(q)[0]

    def den(q):
        return parts(q)[1]

    return (integrate_endpoint(num, q2min, q2max_, n=n)
            / integrate_endpoint(den, q2min, q2max_, n=n))
