"""B_s - B_s-bar mixing: Delta M_s with the full set of Delta B = 2 operators (JAX).

Conventions (WCxf `flavio` basis, flavio's sign): H_eff = -sum_i C_i O_i, with keys
``CVLL_bsbs`` (O = (sbar g^mu P_L b)^2), ``CVRR_bsbs``, ``CVLR_bsbs``, ``CSLL_bsbs``,
``CSRR_bsbs``, ``CSLR_bsbs``, ``CTLL_bsbs``, ``CTRR_bsbs``, understood at mu = 4.2 GeV
(flavio's B_s mixing scale).  The SM is *not* among the coefficients; it is added here.

    M_12 = M_12^SM - sum_i C_i <O_i>,        Delta M_s = 2 |M_12|

* SM (Buras, Jamin, Weisz 1990; Inami-Lim): M_12^SM = G_F^2 m_W^2/(4 pi^2) (V_tb V_ts^*)^2
  eta_B S_0(x_t) m_Bs f_Bs^2 Bhat_Bs/3, x_t = m_t(m_t)^2/m_W^2, with the RGI bag parameter
  Bhat = B_1(mu) alpha_s(mu)^(-6/23) (1 + alpha_s(mu)/(4 pi) J_5), J_5 = 5165/3174 (NDR)
  (Buras, Misiak, Urban hep-ph/0005183; flavio).  m_t(m_t) from the pole mass 'm_t' (three-loop
  conversion, numbers in bkfit/inputs/data/bclnu_mixing.yaml).
* Matrix elements <O_i> = <B_s|O_i|B_s-bar>/(2 m_Bs) in terms of the MSbar bag parameters
  B_1..B_5 at mu (flavio 'bag_Bs_i'; FLAG/FNAL-MILC 1602.03560 definitions), with
  r = (m_Bs/(m_b(mu) + m_s(mu)))^2:  VLL = VRR = m f^2 B1/3, SLL = SRR = -5/24 r m f^2 B2,
  SLR = 1/4 r m f^2 B4, VLR = -1/6 r m f^2 B5, TLL = TRR = 1/2 r m f^2 (5 B2 - 2 B3)/3
  (Becirevic et al. hep-ph/0110124 basis, as flavio).
* Gamma_12 is neglected in Delta M_s (effect O(|Gamma_12/M_12|^2) ~ 1e-5).

Observable: ``DeltaM_s`` in GeV (flavio name and unit; 1 ps^-1 = 6.582e-13 GeV).  Extension:
``DeltaM_s_ratio`` = Delta M_s / Delta M_s^SM at the same parameters (C_VLL-like NP enters as
a ratio in which f_Bs^2 B_1 cancels).
"""
from __future__ import annotations

import jax.numpy as jnp

from ..inputs.data_files import read_yaml
from .ckm import xi
from .common import par_constant
from .qcd import a_s, m_b, m_s, run_alpha_mass

_DATA = read_yaml("bclnu_mixing.yaml")
SCALE = float(_DATA["scales"]["Bs_mixing"])
_TOP = _DATA["top_pole_to_msbar"]

ME_KEYS = ("CVLL", "CVRR", "CVLR", "CSLL", "CSRR", "CSLR", "CTLL", "CTRR")


def S0(x):
    """Inami-Lim box function S_0(x_t) (m_u = m_c = 0 in the top box)."""
    return ((4 * x - 11 * x ** 2 + x ** 3) / (4 * (1 - x) ** 2)
            - 3 * x ** 3 * jnp.log(x) / (2 * (1 - x) ** 3))


@par_constant
def mt_mt(par):
    """MSbar m_t(m_t) from the pole mass: m_t(M_t)/M_t = 1 + z1 a + z2 a^2 + z3 a^3,
    a = alpha_s^(5)(M_t)/pi, then six-flavour running to mu = m_t(mu) (fixed point)."""
    M = par["m_t"]
    a4 = a_s(par, M, 5)          # alpha_s/(4 pi)
    a = 4.0 * a4
    nl = _TOP["n_l"]
    z2 = _TOP["z2_const"] + _TOP["z2_nl"] * nl
    z3 = _TOP["z3_const"] + _TOP["z3_nl"] * nl + _TOP["z3_nl2"] * nl ** 2
    mM = M * (1.0 + _TOP["z1"] * a + z2 * a ** 2 + z3 * a ** 3)
    mu = mM
    for _ in range(6):
        lm = run_alpha_mass(a4, jnp.log(mM), 2.0 * jnp.log(M), 2.0 * jnp.log(mu), 6, 8)[1]
        mu = jnp.exp(lm)
    return mu


@par_constant
def bag_rgi_factor(par):
    """Bhat/B(mu) = alpha_s(mu)^(-6/23) (1 + alpha_s(mu)/(4 pi) 5165/3174), n_f = 5."""
    a4 = a_s(par, SCALE, 5)
    als = 4.0 * jnp.pi * a4
    return als ** (-6.0 / 23.0) * (1.0 + a4 * 5165.0 / 3174.0)


@par_constant
def matrix_elements(par):
    """B_s mixing matrix elements <Bs|O_i|Bsbar>/(2 m_Bs) (GeV^3) of the Delta B = 2
    operators at the mixing scale, from f_Bs and the bag parameters."""
    m, f = par["m_Bs"], par["f_Bs"]
    B = {i: par[f"bag_Bs_{i}"] for i in range(1, 6)}
    r = (m / (m_b(par, SCALE) + m_s(par, SCALE))) ** 2
    n = m * f ** 2
    me = {"CVLL": n * B[1] / 3.0, "CSLL": -5.0 / 24.0 * r * n * B[2],
          "CSLR": 0.25 * r * n * B[4], "CVLR": -r * n * B[5] / 6.0,
          "CTLL": 0.5 * r * n * (5.0 * B[2] - 2.0 * B[3]) / 3.0}
    me["CVRR"], me["CSRR"], me["CTRR"] = me["CVLL"], me["CSLL"], me["CTLL"]
    return me


@par_constant
def M12_SM(par):
    """SM B_s mixing amplitude M12 (GeV): top-quark box with the Inami-Lim function S0."""
    xt = mt_mt(par) ** 2 / par["m_W"] ** 2
    lam_t = xi(par, "t", "b", "s")
    me = matrix_elements(par)["CVLL"] * bag_rgi_factor(par)
    return (par["GF"] ** 2 * par["m_W"] ** 2 / (4 * jnp.pi ** 2) * lam_t ** 2
            * par["eta_tt_Bs"] * S0(xt) * me)


def M12(coeffs: dict, par):
    """B_s mixing amplitude M12 (GeV): SM plus the ``<op>_bsbs`` new-physics coefficients."""
    me = matrix_elements(par)
    np_ = sum(-jnp.asarray(coeffs.get(f"{k}_bsbs", 0.0), dtype=complex) * me[k] for k in ME_KEYS)
    return M12_SM(par) + np_


def DeltaM_s(coeffs: dict, par):
    """B_s mass difference 2 |M12| in GeV."""
    return 2.0 * jnp.abs(M12(coeffs, par))


def _dms(coeffs, par):
    return DeltaM_s(coeffs, par)


def _dms_ratio(coeffs, par):
    return DeltaM_s(coeffs, par) / DeltaM_s({}, par)


# ============================================================================ pseudo-observables
# b -> s mu mu information enters bkfit as a likelihood in Wilson-coefficient space
# (likelihoods/bsll.yaml); these return the NP coefficients themselves.
def _c9(coeffs, par):
    return jnp.real(jnp.asarray(coeffs.get("C9_bsmumu", 0.0), dtype=complex))


def _c10(coeffs, par):
    return jnp.real(jnp.asarray(coeffs.get("C10_bsmumu", 0.0), dtype=complex))


def register(catalogue) -> None:
    """Add Delta M_s, its SM ratio and the C9/C10 pseudo-observables to ``catalogue``."""
    add = catalogue.register
    add("DeltaM_s", description="B_s mass difference in GeV (SM + Delta B = 2 NP; flavio)",
        tex=r"\Delta M_s")(_dms)
    add("DeltaM_s_ratio", extension=True,
        description="Delta M_s / Delta M_s^SM at the same parameters",
        tex=r"\Delta M_s/\Delta M_s^{SM}")(_dms_ratio)
    add("C9_NP(mumu)", extension=True,
        description="Re C9_bsmumu (NP part, WCxf flavio basis, mu_b): pseudo-observable for "
        "coefficient-space likelihoods", tex=r"C_9^{NP}(\mu\mu)")(_c9)
    add("C10_NP(mumu)", extension=True,
        description="Re C10_bsmumu (NP part, WCxf flavio basis, mu_b): pseudo-observable",
        tex=r"C_{10}^{NP}(\mu\mu)")(_c10)
