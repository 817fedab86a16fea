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
Scalar and tensor operators and massive right-handed (sterile) neutrinos: ``bsnunu_wet``.
"""
from __future__ import annotations

import jax.numpy as jnp

from ..inputs import NUISANCE_SETS
from .ckm import xi
from .common import integrate_quadratic, kallen_pos, safe_sqrt
from .formfactors import ff_BK, ff_BKstar

FLAVOURS = ("e", "mu", "tau")
PAIRS = [(i, j) for i in FLAVOURS for j in FLAVOURS]
# sterile (right-handed) neutrino masses in the coefficient dictionary (GeV): a pair with one
# of them has its primed operators computed with masses in ``bsnunu_wet`` instead of here
STERILE_MASS_KEYS = {f: f"m_nuR_{f}" for f in FLAVOURS}

# the form-factor coefficients the rates are quadratic forms in (B -> K, B -> K*)
FF_NAMES = {"P": NUISANCE_SETS["ff_BK"], "V": NUISANCE_SETS["ff_BKstar"]}

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


def fold_signal_strength(wc: dict, par) -> dict:
    """``wc`` without the extension key ``nunu_signal_strength`` (mu): its SM rescaling
    C_L^SM -> sqrt(mu) C_L^SM moved into the new-physics C_L^ii (+ (sqrt(mu) - 1) C_L^SM for
    i = e, mu, tau), so that WCxf, which has no such key, can hold the same physics."""
    if "nunu_signal_strength" not in wc:
        return dict(wc)
    out = {k: v for k, v in wc.items() if k != "nunu_signal_strength"}
    shift = (jnp.sqrt(jnp.maximum(wc["nunu_signal_strength"], 0.0)) - 1.0) * CL_SM(par)
    for f in FLAVOURS:
        k = f"CL_bsnu{f}nu{f}"
        out[k] = out.get(k, 0.0) + shift
    return out


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
            if pre and (STERILE_MASS_KEYS[i] in wc or STERILE_MASS_KEYS[j] in wc):
                continue                      # massive right-handed pair: bsnunu_wet
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
    """Kinematic endpoint (m_B - m_M)^2 in GeV^2 of B -> M nu nu for ``mode``."""
    B, M, _ = MODES[mode]
    return (par["m_" + B] - par["m_" + M]) ** 2


def _kernel_P(q2, par, B, M):
    """dGamma/dq2 (B -> K nu nu) / (norm2 S_plus)."""
    mB, mK = par["m_" + B], par["m_" + M]
    lam = kallen_pos(mB ** 2, mK ** 2, q2)
    f = ff_BK(q2, par)
    return lam * safe_sqrt(lam) * f["f+"] ** 2 / (768.0 * jnp.pi ** 5 * mB ** 3)


def _kernels_V(q2, par, B, V):
    """|A_perp|^2 / (norm2 S_plus), |A_par|^2 / (norm2 S_minus), |A_0|^2 / (norm2 S_minus)
    (transversity amplitudes summed over neutrino pairs, normalisation of Altmannshofer et
    al., arXiv:0902.0160, with A_0 written through A12)."""
    mB, mV = par["m_" + B], par["m_" + V]
    lam = kallen_pos(mB ** 2, mV ** 2, q2)
    f = ff_BKstar(q2, par)
    n2 = q2 * safe_sqrt(lam) / (3.0 * 2 ** 10 * jnp.pi ** 5 * mB ** 3)
    k_perp = n2 * 8.0 * lam * f["V"] ** 2 / (mB + mV) ** 2
    k_par = n2 * 8.0 * (mB + mV) ** 2 * f["A1"] ** 2
    k_0 = n2 * 256.0 * mB ** 2 * mV ** 2 * f["A12"] ** 2 / q2
    return k_perp, k_par, k_0


def kernels(mode: str, q2, par):
    """The q2-dependent kernels of ``mode`` stacked on the last axis: (k_plus,) for B -> K,
    (k_perp, k_par, k_0) for B -> K*; quadratic forms in the form-factor coefficients."""
    B, M, kind = MODES[mode]
    ks = (_kernel_P(q2, par, B, M),) if kind == "P" else _kernels_V(q2, par, B, M)
    return jnp.stack(ks, axis=-1)


def _combine(mode, k, sp, sm):
    """dGamma (or its integral) from the kernels and the coupling sums."""
    if MODES[mode][2] == "P":
        return sp * k[..., 0]
    return sp * k[..., 0] + sm * (k[..., 1] + k[..., 2])


def dGamma_dq2(mode: str, q2, wc: dict, par):
    """Differential decay rate dGamma/dq^2 (GeV^-1) of B -> M nu nu summed over neutrino flavours."""
    sp, sm = coupling_sums(wc, par)
    return norm2(par) * _combine(mode, kernels(mode, q2, par), sp, sm)


def dBR_dq2(mode: str, q2, wc: dict, par):
    """Differential branching ratio dBR/dq^2 (GeV^-2): dGamma/dq^2 times the B lifetime."""
    B = MODES[mode][0]
    return par["tau_" + B] * dGamma_dq2(mode, q2, wc, par)


def _kernel_integrals(mode, q2min, q2max_, par, n):
    """Integrals of the kernels over [q2min, q2max] (arrays of bins allowed): exact
    quadratic forms in the form-factor nuisances (``common.integrate_quadratic``)."""
    kind = MODES[mode][2]
    return integrate_quadratic(lambda q, p: kernels(mode, q, p), q2min, q2max_, par,
                               FF_NAMES[kind], key=("bsnunu", mode), n=n)


def BR_bin(mode: str, q2min, q2max_, wc: dict, par, n: int = 48):
    """Integrated BR over [q2min, q2max] (not divided by the bin width)."""
    B = MODES[mode][0]
    sp, sm = coupling_sums(wc, par)
    k = _kernel_integrals(mode, q2min, q2max_, par, n)
    return par["tau_" + B] * norm2(par) * _combine(mode, k, sp, sm)


def BR(mode: str, wc: dict, par, n: int = 48):
    """Total branching ratio of B -> M nu nu over 0 < q^2 < q2max (``n`` quadrature points)."""
    return BR_bin(mode, 0.0, q2max(mode, par), wc, par, n=n)


def FL(mode: str, q2, wc: dict, par):
    """Longitudinal polarisation fraction F_L(q^2) of the vector meson in B -> V nu nu."""
    assert MODES[mode][2] == "V"
    sp, sm = coupling_sums(wc, par)
    k = kernels(mode, q2, par)
    return sm * k[..., 2] / _combine(mode, k, sp, sm)


def FL_bin(mode: str, q2min, q2max_, wc: dict, par, n: int = 48):
    """q^2-integrated F_L = int Gamma_0 / int Gamma over the bin (flavio's <FL>)."""
    sp, sm = coupling_sums(wc, par)
    k = _kernel_integrals(mode, q2min, q2max_, par, n)
    return sm * k[..., 2] / _combine(mode, k, sp, sm)
