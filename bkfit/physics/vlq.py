r"""Vector-like quarks Q ~ (3,2,1/6), D ~ (3,1,-1/3) and a real scalar dark-matter phi
(He, Ma, Schmidt, Valencia, Volkas, JHEP 07 (2024) 168, arXiv:2403.12485): tree-level matching
to the low-energy phi-LEFT and the observables beyond B -> K(*) phi phi.  Pure JAX.
Conventions and references: docs/vlq.md.

LEFT (the seed's normalisation, i, j = generations, summed):

    L = 1/2 C_S^{ij} (dbar_i d_j) phi^2 + 1/2 C_P^{ij} (dbar_i i g5 d_j) phi^2   (same for u)

with C^{ji} = C^{ij*}.  Coefficient keys (GeV^-1): ``CS_{j}{i}phiphi`` / ``CP_{j}{i}phiphi``
= C^{ij}, i.e. the key names the transition j -> i in WCxf order (the quark bilinear is
(ibar j)):

    CS_bsphiphi = C_S^{sb} (sbar b)   <- the key of bkfit.physics.invisible with phi_real
    CS_bdphiphi = C_S^{db} (dbar b),  CS_sdphiphi = C_S^{ds} (dbar s),  CS_cuphiphi = C_S^{uc}
    CS_ddphiphi, CS_ssphiphi, CS_bbphiphi, CS_uuphiphi, CS_ccphiphi = diagonal C^{qq} (real;
        the diagonal terms have no "+ h.c.")
For the off-diagonal keys "+ h.c." supplies C^{ji} = C^{ij*}, exactly the convention of
bkfit.physics.invisible for a real field (``phi_real``): the B -> K(*) phi phi rates and the
Belle II likelihood use CS_bsphiphi/CP_bsphiphi unchanged.

h -> gg: ``rG_hgg`` = Re[y1 y2^*] v^2/(m_Q m_D) and ``rGt_hgg`` = Im[y1 y2^*] v^2/(m_Q m_D)
(dimensionless), from the seed's Delta L_{h->gg}.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..inputs.data_files import read_values
from .common import kallen_pos, safe_sqrt

PI = math.pi

DOWN = ("d", "s", "b")
UP = ("u", "c", "t")


@functools.lru_cache(maxsize=1)
def data() -> dict:
    """vlq.yaml as {section: {name: value}}."""
    return read_values("vlq.yaml")


# --------------------------------------------------------------------------- keys
def key(kind: str, i: str, j: str) -> str:
    """Coefficient key of C_kind^{ij} (bilinear (ibar j)): 'CS_{j}{i}phiphi'."""
    return f"C{kind}_{j}{i}phiphi"


DOWN_KEYS = [(i, j) for a, i in enumerate(DOWN) for b, j in enumerate(DOWN) if a <= b]
UP_KEYS = [("u", "u"), ("c", "c"), ("u", "c")]


def vev(par) -> float:
    """v = (sqrt2 G_F)^(-1/2) [GeV]."""
    return (math.sqrt(2.0) * par["GF"]) ** -0.5


def matching_inputs(par) -> dict:
    """Constants the matching needs, from a parameter dict (central values in the model):
    v, quark masses, CKM; for the dipoles (bkfit.physics.vlq_constraints) G_F,
    lam_t = V_tb V_ts^*, the top pole mass, alpha_s^(5)(m_t), alpha_s^(5)(4.8 GeV) and
    m_b(4.8 GeV) (three-loop running of bkfit.physics.qcd)."""
    from .qcd import a_s, m_b
    from .ckm import ckm_matrix, xi
    from .vlq_constraints import data as cdata
    V = np.asarray(ckm_matrix(par["Vus"], par["Vub"], par["Vcb"], par["gamma"]))
    mu_low = cdata()["dipole_running"]["scale_low"]
    return {"v": vev(par),
            "md": jnp.asarray([par["m_d"], par["m_s"], par["m_b"]]),
            "mu": jnp.asarray([par["m_u"], par["m_c"], par["m_t"]]),
            "V": jnp.asarray(V),
            "GF": float(par["GF"]),
            "lam_t": complex(xi(par, "t", "b", "s")),
            "mt": float(par["m_t"]),
            "as_mt": float(4.0 * PI * a_s(par, par["m_t"], 5)),
            "as_low": float(4.0 * PI * a_s(par, mu_low, 5)),
            "mb_low": float(m_b(par, mu_low))}


# --------------------------------------------------------------------------- matching
def left_matrices(yq, yd, y1, mQ, mD, md, mu, V, v, y1_factor=1.0):
    """The seed's LEFT coefficients (GeV^-1) as 3x3 matrices C[i, j] = C^{ij}.

    yq, yd: complex 3-vectors (d, s, b) of y_q^p (qbar_Lp Q_R phi) and y_d^p (Dbar_L d_Rp phi);
    y1: Q_L-D_R-H Yukawa; mQ, mD [GeV]; md, mu: quark masses [GeV]; V: CKM matrix;
    v [GeV]; y1_factor multiplies the y1 terms (1: the seed's LEFT formula; sqrt2: eq. (3.2a)
    times <H> = v/sqrt2, see docs/vlq.md).  Returns (CSd, CPd, CSu, CPu):

      C_S^{ij} = (y_q^i y_d^j y1 + y_q^{j*} y_d^{i*} y1^*) v/(2 mQ mD)
                 + (y_q^i y_q^{j*}/(2 mQ^2) + y_d^{i*} y_d^j/(2 mD^2)) (m_i + m_j)
    i C_P^{ij} = (y_q^i y_d^j y1 - y_q^{j*} y_d^{i*} y1^*) v/(2 mQ mD)
                 - (y_q^i y_q^{j*}/(2 mQ^2) - y_d^{i*} y_d^j/(2 mD^2)) (m_i - m_j)
      C_S^{ij}(u) = yt^i yt^{j*}/(2 mQ^2) (m_ui + m_uj),  i C_P^{ij}(u) = -yt^i yt^{j*}/(2 mQ^2)
                 (m_ui - m_uj),   yt = V y_q (q_L = (V^dag u_L, d_L)).
    """
    yq = jnp.asarray(yq, dtype=complex)
    yd = jnp.asarray(yd, dtype=complex)
    # y_q^i y_d^j y1 v/(2mQmD); y1_factor = sqrt2 gives v/(sqrt2 mQ mD) (eq. (3.2a) x <H>)
    A = jnp.outer(yq, yd) * y1 * y1_factor * v / (2.0 * mQ * mD)
    Ac = jnp.conj(A).T                                              # y_q^{j*} y_d^{i*} y1^* ...
    Bq = jnp.outer(yq, jnp.conj(yq)) / (2.0 * mQ * mQ)
    Bd = jnp.outer(jnp.conj(yd), yd) / (2.0 * mD * mD)
    msum = md[:, None] + md[None, :]
    mdif = md[:, None] - md[None, :]
    CSd = A + Ac + (Bq + Bd) * msum
    CPd = -1j * (A - Ac - (Bq - Bd) * mdif)
    yt = jnp.asarray(V, dtype=complex) @ yq
    Bu = jnp.outer(yt, jnp.conj(yt)) / (2.0 * mQ * mQ)
    CSu = Bu * (mu[:, None] + mu[None, :])
    CPu = -1j * (-Bu * (mu[:, None] - mu[None, :]))
    return CSd, CPd, CSu, CPu


def left_coefficients(yq, yd, y1, y2, mQ, mD, inputs, y1_factor=1.0, m_phi=0.0) -> dict:
    """Coefficient dict (keys above) from the UV parameters; mQ, mD, m_phi in GeV.  Besides
    the phi-LEFT keys: the one-loop dipoles C7_bs, C7p_bs, C8_bs, C8p_bs (4.8 GeV) and the
    Delta F = 2 coefficients CSRR/CSLL/CSLR_{bsbs,bdbd,sdsd} of the phi loop
    (bkfit.physics.vlq_constraints; the latter depend on m_phi through the infrared cut)."""
    from .vlq_constraints import deltaf2_coefficients, dipole_coefficients
    CSd, CPd, CSu, CPu = left_matrices(yq, yd, y1, mQ, mD, inputs["md"], inputs["mu"],
                                       inputs["V"], inputs["v"], y1_factor)
    out = {}
    for keys, flavours, CS, CP in ((DOWN_KEYS, DOWN, CSd, CPd), (UP_KEYS, UP, CSu, CPu)):
        for i, j in keys:
            a, b = flavours.index(i), flavours.index(j)
            s, p = CS[a, b], CP[a, b]
            if a == b:
                s, p = jnp.real(s), jnp.real(p)
            out[key("S", i, j)] = s
            out[key("P", i, j)] = p
    r = y1 * jnp.conj(y2) * inputs["v"] ** 2 / (mQ * mD)
    out["rG_hgg"] = jnp.real(r)
    out["rGt_hgg"] = jnp.imag(r)
    yq = jnp.asarray(yq, dtype=complex)
    yd = jnp.asarray(yd, dtype=complex)
    # y1 part of (C_S + i C_P)/2 = coefficient of dbar_L^i d_R^j phi^2 (as in left_matrices)
    A = jnp.outer(yq, yd) * y1 * y1_factor * inputs["v"] / (2.0 * mQ * mD)
    out.update(dipole_coefficients(yq, yd, A, mQ, mD, inputs))
    out.update(deltaf2_coefficients(yq, yd, y1, y2, mQ, mD, m_phi, inputs["v"], y1_factor))
    return out


def _c(coeffs, k):
    return coeffs.get(k, 0.0)


def _diag(coeffs, q):
    return jnp.real(jnp.asarray(_c(coeffs, key("S", q, q)), dtype=complex))


# --------------------------------------------------------------------------- B_q -> phi phi
_BQ = {"Bs": ("s", "m_Bs", "f_Bs", "tau_Bs", "m_s"), "B0": ("d", "m_B0", "f_B0", "tau_B0", "m_d")}


def br_bq_phiphi(meson: str, coeffs, par):
    """BR(B_q -> phi phi) (invisible) from C_P^{qb}:
    |C_P|^2 tau m_B f_B^2/(32 pi) (m_B/(m_b + m_q))^2 sqrt(1 - 4 m_phi^2/m_B^2) (seed).
    <0|qbar i g5 b|B_q> = f m_B^2/(m_b + m_q) (|.|); identical phi's: 1/2 in the rate."""
    q, mk, fk, tk, mqk = _BQ[meson]
    C = jnp.asarray(_c(coeffs, key("P", q, "b")), dtype=complex)
    m = jnp.asarray(coeffs.get("m_phi", 0.0), dtype=float)
    mB, f, tau = par[mk], par[fk], par[tk]
    arg = 1.0 - 4.0 * m * m / (mB * mB)
    beta = jnp.where(arg > 0, jnp.sqrt(jnp.where(arg > 0, arg, 1.0)), 0.0)
    return (jnp.abs(C) ** 2 * tau * mB * f * f / (32.0 * PI)
            * (mB / (par["m_b"] + par[mqk])) ** 2 * beta)


# --------------------------------------------------------------------------- direct detection
def nucleon_couplings(coeffs, par):
    """f_N = m_N sum_{q=d,s} C^{qq} f_Tq^(N)/m_q for N = p, n [dimensionless]:
    L_phiN = 1/2 f_N (Nbar N) phi^2.  m_N = (m_p + m_n)/2."""
    nd = data()["nucleon"]
    mN = 0.5 * (par["m_p"] + par["m_n"])
    Cd, Cs = _diag(coeffs, "d"), _diag(coeffs, "s")
    common = Cs * nd["f_Ts"] / par["m_s"]
    fp = mN * (common + Cd * nd["f_Td_p"] / par["m_d"])
    fn = mN * (common + Cd * nd["f_Td_n"] / par["m_d"])
    return fp, fn, mN


def sigma_phiN(coeffs, par, Z, A):
    """Per-nucleon spin-independent phi-nucleon cross section [GeV^-2] in the normalisation of
    the experiments (isospin weights Z/A, (A-Z)/A), the seed's sigma_phiN:
    mu^2/(4 pi m_phi^2) [Z/A f_p + (A-Z)/A f_n]^2."""
    fp, fn, mN = nucleon_couplings(coeffs, par)
    m = jnp.asarray(coeffs.get("m_phi", 0.0), dtype=float)
    m_safe = jnp.where(m > 0, m, 1.0)
    mu_red = m_safe * mN / (m_safe + mN)
    f = Z / A * fp + (A - Z) / A * fn
    val = mu_red ** 2 / (4.0 * PI * m_safe ** 2) * f * f
    return jnp.where(m > 0, val, 0.0)


# --------------------------------------------------------------------------- h -> gg
def kappa_g(coeffs, par=None):
    """Effective h g g coupling modifier, Gamma(h->gg)/Gamma_SM = kappa_g^2, heavy-quark limit:
    CP-even amplitude (1 - rG), CP-odd amplitude relative to the SM CP-even one (3/2) rGt
    (the seed's Delta L: alpha_s/(4 pi) v/(2 mQ mD) = (3/2) alpha_s/(12 pi) v/(mQ mD)); the two
    do not interfere in the rate."""
    r = jnp.asarray(_c(coeffs, "rG_hgg"), dtype=float)
    rt = jnp.asarray(_c(coeffs, "rGt_hgg"), dtype=float)
    return safe_sqrt((1.0 - r) ** 2 + (1.5 * rt) ** 2)


# --------------------------------------------------------------------------- phi phi -> P P
def B0(par, definition=None):
    """LO chiral condensate parameter B0 [GeV] (GMOR), see vlq.yaml chiral.B0_definition."""
    definition = definition or data()["chiral"]["B0_definition"]
    if definition == "pion":
        return par["m_pi+"] ** 2 / (par["m_u"] + par["m_d"])
    if definition == "kaon":
        return par["m_K0"] ** 2 / (par["m_d"] + par["m_s"])
    raise ValueError(f"unknown B0 definition {definition!r}")


def chiral_channels(coeffs, par):
    """[(name, M, m_1, m_2, S)]: constant amplitudes of phi phi -> P P from the LO chiral
    Lagrangian with m_q -> m_q - C^{qq} phi^2/2, i.e. L = B0/2 phi^2 Tr(C Phi^2):
      pi+pi-: B0 (Cu+Cd)      pi0pi0: B0 (Cu+Cd), S=1/2     K+K-: B0 (Cu+Cs)
      K0K0bar: B0 (Cd+Cs)     eta eta: B0 (Cu+Cd+4Cs)/3, S=1/2   pi0 eta: B0 (Cu-Cd)/sqrt3
    (eta = eta_8, no eta-eta' or pi0-eta mass mixing)."""
    b = B0(par)
    Cu, Cd, Cs = _diag(coeffs, "u"), _diag(coeffs, "d"), _diag(coeffs, "s")
    mpc, mp0, mKc, mK0, me = (par["m_pi+"], par["m_pi0"], par["m_K+"], par["m_K0"],
                              par["m_eta"])
    return [("pi+pi-", b * (Cu + Cd), mpc, mpc, 1.0),
            ("pi0pi0", b * (Cu + Cd), mp0, mp0, 0.5),
            ("K+K-", b * (Cu + Cs), mKc, mKc, 1.0),
            ("K0K0bar", b * (Cd + Cs), mK0, mK0, 1.0),
            ("etaeta", b * (Cu + Cd + 4.0 * Cs) / 3.0, me, me, 0.5),
            ("pi0eta", b * (Cu - Cd) / math.sqrt(3.0), mp0, me, 1.0)]


def sigma_channel(s, m, M, m1, m2, S):
    """sigma(phi phi -> P1 P2)(s) [GeV^-2] for constant amplitude M:
    S |M|^2 p_f/(16 pi s p_i); zero below threshold (safe for gradients)."""
    s = jnp.asarray(s, dtype=float)
    lam_f = kallen_pos(s, m1 * m1, m2 * m2)
    lam_i = s * (s - 4.0 * m * m)
    # lambda(s, m1^2, m2^2) > 0 also for s < (m1 - m2)^2: require s above the final threshold
    ok = (s > (m1 + m2) ** 2) & (lam_f > 0) & (lam_i > 0)
    ratio = jnp.sqrt(jnp.where(ok, lam_f, 1.0) / jnp.where(ok, lam_i, 1.0))
    return jnp.where(ok, S * jnp.abs(M) ** 2 * ratio / (16.0 * PI * s), 0.0)


def sigmav_channels(coeffs, par, x):
    """{channel: <sigma v>(x) [GeV^-2]} (Gondolo-Gelmini, bkfit.physics.relic)."""
    from . import relic
    m = _safe_mass(coeffs)
    out = {}
    for name, M, m1, m2, S in chiral_channels(coeffs, par):
        if name != "pi0eta":                    # equal final masses
            out[name] = relic.sigma_v_threshold(m, m1, x, jnp.abs(M) ** 2, symmetry=S)
        else:
            out[name] = relic.thermal_average(
                lambda s, M=M, m1=m1, m2=m2, S=S: sigma_channel(s, m, M, m1, m2, S),
                m, x, thresholds=(m1 + m2,))
    return out


_M_FLOOR = 1e-6      # GeV; numerical floor so that m_phi = 0 stays finite (all channels closed)


def _safe_mass(coeffs):
    m = jnp.asarray(coeffs.get("m_phi", 0.0), dtype=float)
    return jnp.where(m > _M_FLOOR, m, _M_FLOOR)


def sigmav_hadrons(coeffs, par, x):
    """Total <sigma v>(phi phi -> pi pi, K Kbar, eta eta, pi0 eta) [GeV^-2] at x = m_phi/T."""
    return sum(sigmav_channels(coeffs, par, x).values())


def omega_h2(coeffs, par, **kw):
    """Omega h^2 of phi (real scalar, g = 1, self-conjugate) from freeze-out with the LO chiral
    annihilation channels only.  Fast path (relic.omega_h2_channels: tabulated thermal factors,
    BDF2 in a window around freeze-out on an 800-step grid with Richardson extrapolation; within 0.5 % of :func:`omega_h2_exact`, tests/test_vlq.py); keyword
    arguments (x_start, x_end, n_steps) are passed on."""
    from . import relic
    m = _safe_mass(coeffs)
    channels = [(jnp.abs(M) ** 2, m1, m2, S) for _, M, m1, m2, S in chiral_channels(coeffs, par)]
    return relic.omega_h2_channels(m, channels, g_dm=1.0, self_conjugate=True, **kw)


def omega_h2_exact(coeffs, par, **kw):
    """Omega h^2 as :func:`omega_h2` with <sigma v>(x) from the quadratures of
    :func:`sigmav_hadrons` at every step of relic.omega_h2 (3000 steps): slow (~1 s), the
    reference of the fast path."""
    from . import relic
    m = _safe_mass(coeffs)
    return relic.omega_h2(m, lambda x: sigmav_hadrons(coeffs, par, x), g_dm=1.0,
                          self_conjugate=True, **kw)


# --------------------------------------------------------------------------- registration
def register(catalogue) -> None:
    """Add the VLQ / dark-matter phi observables (B_q -> phi phi, direct detection, h g g,
    relic density) to ``catalogue``."""
    from . import relic
    register = catalogue.register

    register("BR(Bs->phiphi)", extension=True,
             description="BR(B_s -> phi phi), phi invisible real scalar (CP_bsphiphi, m_phi)")(
        lambda coeffs, par: br_bq_phiphi("Bs", coeffs, par))
    register("BR(B0->phiphi)", extension=True,
             description="BR(B0 -> phi phi), phi invisible real scalar (CP_bdphiphi, m_phi)")(
        lambda coeffs, par: br_bq_phiphi("B0", coeffs, par))
    register("m(phi)", extension=True, description="dark-matter mass m_phi [GeV]")(
        lambda coeffs, par: jnp.asarray(coeffs.get("m_phi", 0.0), dtype=float))
    register("sigma_SI_N(phi)", args=("Z", "A"), extension=True,
             description="per-nucleon SI phi-nucleon cross section [cm^2] on a target (Z, A), "
                         "isospin weights Z/A, (A-Z)/A (CS_ddphiphi, CS_ssphiphi, m_phi)")(
        lambda coeffs, par, Z, A: sigma_phiN(coeffs, par, Z, A)
        * relic.cosmology()["hbar_c"] ** 2)
    register("kappa_g", extension=True,
             description="h g g coupling modifier (CP-even and CP-odd VLQ loops; rG_hgg, "
                         "rGt_hgg)")(lambda coeffs, par: kappa_g(coeffs, par))
    register("<sigmav>(phiphi->hadrons)", args=("x",), extension=True,
             description="<sigma v>(phi phi -> pi pi, K Kbar, eta eta, pi0 eta) [cm^3/s] at "
                         "x = m_phi/T, LO chiral Lagrangian")(
        lambda coeffs, par, x: relic.gev2_to_cm3s(sigmav_hadrons(coeffs, par, x)))
    register("Omega_h2(phi)", extension=True,
             description="relic density of phi from freeze-out into light mesons")(
        lambda coeffs, par: omega_h2(coeffs, par))

