r"""B -> K(*) + light invisible particles: pairs of scalars (phi), fermions (chi) or vectors
(X), and a single narrow invisible particle X (two-body B -> K(*) X).  Pure JAX.

Full conventions in ``docs/invisible.md``.  Summary (metric (+,-,-,-), eps^{0123} = -1,
gamma5 = i g0 g1 g2 g3, sigma^{mu nu} = i/2 [g^mu, g^nu], A d<->_mu B = A d_mu B - (d_mu A) B):

Every operator is written with the quark bilinear (sbar Gamma b); the Lagrangian is
``L = sum_i C_i O_i + h.c.``; the coefficient key ``C..._bs..`` multiplies (sbar ... b) (WCxf
ordering, as in ``CL_bsnunu``), the hermitian conjugate supplies (bbar ... s) with C^*.
Rates are computed for the b -> s transition (B^- -> K^-, B0bar -> K0bar ...) and are used
for the CP-averaged modes (no strong phases, as for nu nu).

Scalar pair phi (mass ``m_phi``), complex field by default:
    CS_bsphiphi (sbar b)(phi^dag phi)             CP_bsphiphi (sbar i g5 b)(phi^dag phi)
    CV_bsphiphi (sbar g^mu b)(phi^dag i d<->_mu phi)
    CA_bsphiphi (sbar g^mu g5 b)(phi^dag i d<->_mu phi)
  real field (``phi_real: True``): L = 1/2 CS (sbar b) phi^2 + 1/2 CP (sbar i g5 b) phi^2 + h.c.
  (the convention of arXiv:2403.12485 with CS = C_S^{sb}, i.e. its bs and sb entries are
  the two terms of "+ h.c."); CV, CA vanish identically for a real field.

Fermion pair chi (mass ``m_chi``), Dirac by default, Majorana with ``chi_majorana: True``;
key ``C{Q}{D}_bschichi`` = coefficient of (sbar Gamma_Q b)(chibar Gamma_D chi) with
    Q, D in S: 1, P: i g5, V: g^mu, A: g^mu g5, T: sigma^{mu nu}, T5: sigma_{mu nu} g5 (dark)
    keys: CSS CSP CPS CPP CVV CVA CAV CAA CTT CTT5   (units GeV^-2 = 1/Lambda^2)
  seed (He, Ma, Valencia) O_S1 = SS, O_S2 = SP, O_V1 = VV, O_V2 = VA, O_T1 = TT, O_T2 = TT5.
  Majorana: same Lagrangian (no factor 1/2); VV, AV, TT, TT5 vanish, the others give an
  amplitude twice the Dirac one and a phase-space factor 1/2 (rate = 2 x Dirac rate).

Vector pair X (mass ``m_X``), complex by default, real with ``X_real: True`` (then
L = 1/2 C O with X^dag -> X): the operators of the seed's eq. (18)
    S: (sbar b)(X^dag_mu X^mu)                          key CS_bsXX
    T1: i/2 (sbar s^{mu nu} b)(X^dag_mu X_nu - X^dag_nu X_mu)       CT1_bsXX
    T2: 1/2 (sbar s^{mu nu} g5 b)(X^dag_mu X_nu - X^dag_nu X_mu)    CT2_bsXX
    V2: (sbar g_mu b) d_nu(X^{mu dag} X^nu + X^{nu dag} X^mu)       CV2_bsXX
    V3: (sbar g_mu b)(X^dag_rho d<->_nu X_sigma) eps^{mu nu rho sigma}   CV3_bsXX
    V4: (sbar g_mu b)(X^dag_nu i d<->^mu X^nu)                      CV4_bsXX
    V5: (sbar g_mu b) i d_nu(X^{mu dag} X^nu - X^{nu dag} X^mu)     CV5_bsXX
    V6: (sbar g_mu b) i d_nu(X^dag_rho X_sigma) eps^{mu nu rho sigma}    CV6_bsXX
  Real fields: T1, T2, V4, V5, V6 vanish.  The seed's eq. (19) writes C = m^n Chat with
  n = 2 (S, T1, T2, V2, V4, V5) and n = 1 (V3, V6); the keys ``C..hat_bsXX`` hold Chat
  (what the models pass, finite for m -> 0), the keys ``C.._bsXX`` the full C (divided by
  m^n internally, so they are singular at m = 0).  Both may be given; they add.

Two-body B -> K(*) X, X invisible and narrow, mass ``m_X2``:
    gS_bsX (sbar b) X + gP_bsX (sbar i g5 b) X          (scalar X, GeV)
    gV_bsX (sbar g^mu b) X_mu + gA_bsX (sbar g^mu g5 b) X_mu   (vector X, dimensionless)
  or phenomenologically ``BR_BpKX`` = BR(B+ -> K+ X) x P(X invisible) (B0 -> K0 X from it by
  isospin, i.e. the ratio of the coupling rates with unit coupling of the spin given by
  ``X_vector`` (bool, default scalar)) and optionally ``BR_BpKstarX`` likewise for K*.
  The q^2 spectrum is a Gaussian of width ``sigma_q2_two_body`` (data file) at q^2 = m_X^2,
  normalised to the kinematic range.

Method.  dGamma/dq^2 = sqrt(lambda) beta S <sum |M|^2> / (256 pi^3 m_B^3) (S = 1/2 for
identical particles), <> = average over the dark-pair direction in the pair rest frame.
M = sum_a C_a <M|sbar Gamma_a b|B> . D_a.  In the pair rest frame (K(*) along +z) the hadronic
matrix elements are written through closed-form helicity amplitudes: J = 0 parts (scalar
densities and the time component of currents) and J = 1 three-vectors (spatial components
of currents, electric E^i = T^{0i} and magnetic B^i = eps^{ijk} T^{jk}/2 parts of tensors):
    J^mu D_mu = J^0 D^0 - J.D ,   T^{mu nu} D_{mu nu} = -2 E_T.E_D + 2 B_T.B_D .
Rotational invariance then gives the direction average exactly:
    <sum|M|^2> = sum_eta sum_c |sum_a J0_a D0_a|^2 + 1/3 sum_{eta,c,i,k} |sum_a J1_a^i D1_a^k|^2
with the dark structures evaluated for one pair orientation and summed over the dark spins
c (explicit spinors / polarisation vectors), and eta the K* helicity.  This is exact.
"""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from ..inputs.data_files import read_yaml
from .bsnunu import MODES
from .common import integrate_endpoint, kallen_pos, safe_sqrt
from .formfactors import ff_BK, ff_BKstar
from .invisible_bins import fast_bins
from .invisible_gram import dark_slots, hadronic_slots
from .invisible_gram import msq as gram_msq
from .invisible_gram import table as gram_table
from .invisible_hooks import points_for_bins

# --------------------------------------------------------------------------- Dirac algebra
_S1 = np.array([[0, 1], [1, 0]], complex)
_S2 = np.array([[0, -1j], [1j, 0]], complex)
_S3 = np.array([[1, 0], [0, -1]], complex)
_Z2 = np.zeros((2, 2), complex)
_I2 = np.eye(2, dtype=complex)
_G_NP = np.array([np.block([[_Z2, _I2], [_I2, _Z2]])]
                 + [np.block([[_Z2, s], [-s, _Z2]]) for s in (_S1, _S2, _S3)])   # Weyl rep.
_G5_NP = 1j * _G_NP[0] @ _G_NP[1] @ _G_NP[2] @ _G_NP[3]
_METRIC = np.diag([1.0, -1.0, -1.0, -1.0])
_SIG_NP = np.array([[0.5j * (_G_NP[m] @ _G_NP[n] - _G_NP[n] @ _G_NP[m]) for n in range(4)]
                    for m in range(4)])
_EPS_NP = np.zeros((4, 4, 4, 4))
for _p in itertools.permutations(range(4)):
    _EPS_NP[_p] = -np.linalg.det(np.eye(4)[list(_p)])      # eps^{0123} = -1


def _dual_constant() -> complex:
    """c with sigma^{mu nu} g5 = c eps^{mu nu rho sigma} sigma_{rho sigma} (checked)."""
    sig_low = np.einsum("ra,sb,abij->rsij", _METRIC, _METRIC, _SIG_NP)
    rhs = np.einsum("mnrs,rsij->mnij", _EPS_NP, sig_low)
    lhs = np.einsum("mnij,jk->mnik", _SIG_NP, _G5_NP)
    i = np.unravel_index(np.argmax(np.abs(rhs)), rhs.shape)
    c = lhs[i] / rhs[i]
    assert np.allclose(lhs, c * rhs)
    return complex(c)


C_DUAL = _dual_constant()           # = -i/2 in these conventions
G = jnp.asarray(_G_NP)
G5 = jnp.asarray(_G5_NP)
SIG = jnp.asarray(_SIG_NP)
EPS = jnp.asarray(_EPS_NP)
METRIC = jnp.asarray(_METRIC)
ETA_DIAG = jnp.asarray([1.0, -1.0, -1.0, -1.0])

_DATA = read_yaml("invisible.yaml")
SIGMA_Q2_TWO_BODY = float(_DATA["sigma_q2_two_body"]["value"])


def _low(v):
    return v * ETA_DIAG


def _eps_contract(a, b, c):
    """eps^{mu nu rho sigma} a_nu b_rho c_sigma (inputs contravariant, batched on axis 0)."""
    return jnp.einsum("mnrs,...n,...r,...s->...m", EPS, _low(a), _low(b), _low(c))


def _dot(a, b):
    return jnp.sum(a * b * ETA_DIAG, axis=-1)


# --------------------------------------------------------------------------- kinematics
def _masses(mode, par):
    B, M, kind = MODES[mode]
    return par["m_" + B], par["m_" + M], kind, par["tau_" + B]


def q2max(mode, par):
    """Kinematic endpoint (m_B - m_M)^2 in GeV^2 of B -> M + invisible for ``mode``."""
    mB, mM, _, _ = _masses(mode, par)
    return (mB - mM) ** 2


def _safe_q2(q2):
    tiny = 1e-12
    return jnp.where(q2 > tiny, q2, tiny)


# --------------------------------------------------------------------------- hadronic side
def hadronic(mode, q2, par):
    """Helicity decomposition of <M|sbar Gamma b|B> in the q rest frame (M along +z).

    Returns {Gamma: ...} with leading axis = meson helicity (1 entry for K; eta = +, -, 0 for
    K*):  'S', 'P': J=0 amplitude;  'V', 'A': (time component, spatial 3-vector);
    'T', 'T5': (E, B) 3-vectors of the tensor matrix element (contravariant components).
    Form factors: BSZ definitions as in flavio (see docs/invisible.md)."""
    mB, mM, kind, _ = _masses(mode, par)
    q2s = _safe_q2(q2)
    sq = jnp.sqrt(q2s)
    lam = kallen_pos(mB ** 2, mM ** 2, q2s)
    sl = safe_sqrt(lam)
    mb, ms = par["m_b"], par["m_s"]
    z = jnp.zeros((), dtype=complex)
    zv = jnp.zeros(3, dtype=complex)
    if kind == "P":
        f = ff_BK(q2s, par)
        dm2 = mB ** 2 - mM ** 2
        v0 = f["f0"] * dm2 / sq
        vv = jnp.stack([z, z, f["f+"] * sl / sq + 0j])
        tE = jnp.stack([z, z, -1j * f["fT"] * sl / (mB + mM)])
        tB = zv
        out = {
            "S": (f["f0"] * dm2 / (mb - ms) + 0j)[None],
            "P": z[None],
            "V": ((v0 + 0j)[None], vv[None]),
            "A": (z[None], zv[None]),
            "T": (tE[None], tB[None]),
        }
    else:
        f = ff_BKstar(q2s, par)
        r2 = np.sqrt(2.0)
        # vector current: eta = +-: V sqrt(lam)/(mB+mV) (-i, -+1, 0)/sqrt2
        cV = f["V"] * sl / (mB + mM)
        vv = jnp.stack([cV * jnp.array([-1j, -1.0, 0.0]) / r2,
                        cV * jnp.array([-1j, 1.0, 0.0]) / r2,
                        jnp.zeros(3, complex)])
        # axial current: eta = +-: i (mB+mV) A1 (-+1, i, 0)/sqrt2; eta = 0: time i A0 sqrt(lam)/sq,
        # z: i 8 mB mV A12 / sq
        cA = 1j * (mB + mM) * f["A1"]
        av = jnp.stack([cA * jnp.array([-1.0, 1j, 0.0]) / r2,
                        cA * jnp.array([1.0, 1j, 0.0]) / r2,
                        jnp.stack([z, z, 8j * mB * mM * f["A12"] / sq])])
        a0 = jnp.stack([z, z, 1j * f["A0"] * sl / sq])
        # <i sigma^{mu nu} q_nu> (T1) and <i sigma^{mu nu} q_nu g5> (T2, T23), spatial parts
        cT = f["T1"] * sl
        tq = jnp.stack([cT * jnp.array([-1j, -1.0, 0.0]) / r2,
                        cT * jnp.array([-1j, 1.0, 0.0]) / r2,
                        jnp.zeros(3, complex)])
        cT5 = 1j * f["T2"] * (mB ** 2 - mM ** 2)
        t5q = jnp.stack([cT5 * jnp.array([-1.0, 1j, 0.0]) / r2,
                         cT5 * jnp.array([1.0, 1j, 0.0]) / r2,
                         jnp.stack([z, z, 4j * sq * mB * mM * f["T23"] / (mB + mM)])])
        tE = 1j * tq / sq
        tB = -1j * t5q / (2.0 * C_DUAL * sq)
        out = {
            "S": jnp.zeros(3, complex),
            "P": jnp.stack([z, z, f["A0"] * sl / (mb + ms) + 0j]),
            "V": (jnp.zeros(3, complex), vv),
            "A": (a0, av),
            "T": (tE, tB),
        }
    E, B = out["T"]
    # sigma^{mu nu} g5 = 2 c (dual tensor); dual: E -> -B, B -> E  (eps^{0123} = -1)
    out["T5"] = (-2.0 * C_DUAL * B, 2.0 * C_DUAL * E)
    return out


# --------------------------------------------------------------------------- generic rate
def msq_averaged(had, ops):
    """<sum |M|^2> for ops = [(Gamma, C, dark)] (dark: (nc,) for S/P, (nc, 4) for V/A,
    (nc, 4, 4) for T/T5; contravariant components, one pair orientation, nc dark spin
    configurations).  The explicit-amplitude reference: the likelihood path uses the
    equivalent contraction with tabulated dark Gram matrices (``invisible_gram``)."""
    j0h, j0d, j1h, j1d = [], [], [], []
    for Q, C, d in ops:
        h0, h1 = hadronic_slots(Q, C, had)
        d0, d1 = dark_slots(Q, d)
        j0h += h0
        j0d += d0
        j1h += h1
        j1d += d1
    out = 0.0
    if j0h:
        h = jnp.stack(j0h, axis=1)                       # (eta, s)
        d = jnp.stack(j0d, axis=0)                       # (s, c)
        out = out + jnp.sum(jnp.abs(h @ d) ** 2)
    if j1h:
        h = jnp.stack(j1h, axis=1)                       # (eta, s, i)
        d = jnp.stack(j1d, axis=0)                       # (s, c, k)
        amp = jnp.einsum("esi,sck->ecik", h, d)
        out = out + jnp.sum(jnp.abs(amp) ** 2) / 3.0
    return out


def _prefactor(mode, q2, m, par):
    mB, mM, _, tau = _masses(mode, par)
    q2s = _safe_q2(q2)
    lam = kallen_pos(mB ** 2, mM ** 2, q2s)
    beta = safe_sqrt(1.0 - 4.0 * m * m / q2s)
    return tau * safe_sqrt(lam) * beta / (256.0 * jnp.pi ** 3 * mB ** 3)


def _pair_kinematics(q2, m):
    """Pair rest frame, particle 1 along +z: E, p, and sqrt(E+p)."""
    E = 0.5 * jnp.sqrt(_safe_q2(q2))
    p = safe_sqrt(E * E - m * m)
    return E, p


def _get(coeffs, key):
    return coeffs[key] if key in coeffs else None


class _PairFamily:
    """Common diff / bin for a pair of invisible particles of mass ``mass_key``."""

    mass_key = ""
    tag = ""

    def active(self, coeffs) -> bool:
        raise NotImplementedError

    def dark_ops(self, q2, m, coeffs):
        """[(Gamma, C, dark)] and the factor (identical particles, Majorana) on |M|^2."""
        raise NotImplementedError

    # operator keys in the order of ``dark_ops``, and the flags that select the field type
    op_keys: tuple = ()
    flag_keys: tuple = ()

    def flag_values(self, coeffs) -> tuple:
        return tuple(bool(coeffs.get(k, False)) for k in self.flag_keys)

    def couplings(self, coeffs, m) -> dict:
        """{operator key: coefficient multiplying its dark structure} for present keys."""
        return {k: coeffs[k] for k in self.op_keys if k in coeffs}

    def _mask(self, mode, q2, m, par, val):
        inside = (q2 > 4.0 * m * m) & (q2 < q2max(mode, par))
        return jnp.where(inside, val, 0.0)

    def _dbr_reference(self, mode, q2, coeffs, par):
        """dBR/dq2 from the explicit amplitudes (the reference of the tests)."""
        m = coeffs.get(self.mass_key, 0.0)
        ops, factor = self.dark_ops(q2, m, coeffs)
        if not ops:
            return jnp.zeros_like(jnp.asarray(q2, dtype=float))
        had = hadronic(mode, q2, par)
        val = factor * msq_averaged(had, ops) * _prefactor(mode, q2, m, par)
        return self._mask(mode, q2, m, par, val)

    def _dbr(self, mode, q2, coeffs, par):
        """dBR/dq2 from the tabulated dark Gram matrices (``invisible_gram``)."""
        m = coeffs.get(self.mass_key, 0.0)
        tab = gram_table(self, self.flag_values(coeffs))
        cpl = {k: c for k, c in self.couplings(coeffs, m).items() if k in tab.keys}
        if not cpl:
            return jnp.zeros_like(jnp.asarray(q2, dtype=float))
        had = hadronic(mode, q2, par)
        E = 0.5 * jnp.sqrt(_safe_q2(q2))
        val = gram_msq(tab, had, cpl, E, m) * _prefactor(mode, q2, m, par)
        return self._mask(mode, q2, m, par, val)

    def diff(self, mode, q2, coeffs, par):
        if not self.active(coeffs):
            return 0.0
        q2 = jnp.asarray(q2, dtype=float)
        f = lambda x: self._dbr(mode, x, coeffs, par)   # noqa: E731
        return jnp.vectorize(f)(q2)

    def bin(self, mode, q2min, q2max_, coeffs, par, n: int | None = 48):
        if not self.active(coeffs):
            return 0.0
        fast = fast_bins(self, mode, q2min, q2max_, coeffs, par)
        if fast is not None:
            return fast
        n = n or 48
        m = coeffs.get(self.mass_key, 0.0)
        top = q2max(mode, par)
        thr = 4.0 * m * m
        lo = jnp.clip(q2min, thr, top)
        hi = jnp.clip(q2max_, thr, top)
        hi = jnp.maximum(hi, lo)
        f = jax.vmap(lambda x: self._dbr(mode, x, coeffs, par))
        return integrate_endpoint(f, lo, hi, n=n)

    def bins(self, mode, q2min, q2max_, coeffs, par, n: int | None = None):
        """BR in the bins [q2min, q2max_] (arrays of edges): the tables of
        ``invisible_bins`` when they apply, else :meth:`bin` bin by bin (``n`` points)."""
        lo, hi = jnp.broadcast_arrays(jnp.asarray(q2min, dtype=float),
                                      jnp.asarray(q2max_, dtype=float))
        if not self.active(coeffs):
            return jnp.zeros(lo.shape)
        fast = fast_bins(self, mode, q2min, q2max_, coeffs, par)
        if fast is not None:
            return jnp.reshape(fast, lo.shape)
        g = lambda a, b: jnp.asarray(self.bin(mode, a, b, coeffs, par, n=n),  # noqa: E731
                                     dtype=float)
        return jax.vmap(g)(lo.ravel(), hi.ravel()).reshape(lo.shape)

    def total(self, mode, coeffs, par):
        return self.bin(mode, 0.0, q2max(mode, par), coeffs, par)


# --------------------------------------------------------------------------- scalar pair
SCALAR_KEYS = {"CS_bsphiphi": "S", "CP_bsphiphi": "P", "CV_bsphiphi": "V", "CA_bsphiphi": "A"}


class ScalarPair(_PairFamily):
    """B -> M phi phi with a pair of invisible scalars of mass ``m_phi`` (optionally real)."""
    mass_key = "m_phi"
    tag = "phiphi"
    op_keys = tuple(SCALAR_KEYS)
    flag_keys = ("phi_real",)

    def active(self, coeffs):
        """True if ``coeffs`` holds any scalar-pair coefficient."""
        return any(k in coeffs for k in SCALAR_KEYS)

    def dark_ops(self, q2, m, coeffs):
        """The operators' dark currents for the pair at q^2 and mass m, with the symmetry factor
        (1/2 for a real scalar)."""
        real = bool(coeffs.get("phi_real", False))
        E, p = _pair_kinematics(q2, m)
        ops = []
        for key, Q in SCALAR_KEYS.items():
            C = _get(coeffs, key)
            if C is None:
                continue
            if Q in ("S", "P"):
                d = jnp.ones((1,), complex)                 # phi^dag phi -> 1
            else:
                if real:                                    # phi i d<-> phi = 0
                    continue
                # phi^dag i d<->_mu phi -> (k1 - k2)_mu, particle 1 along +z
                d = jnp.stack([0.0, 0.0, 0.0, 2.0 * p]).astype(complex)[None]
            ops.append((Q, C, d))
        return ops, (0.5 if real else 1.0)


# --------------------------------------------------------------------------- fermion pair
FERMION_OPS = {  # key: (quark Gamma, dark Gamma)
    "CSS_bschichi": ("S", "S"), "CSP_bschichi": ("S", "P"),
    "CPS_bschichi": ("P", "S"), "CPP_bschichi": ("P", "P"),
    "CVV_bschichi": ("V", "V"), "CVA_bschichi": ("V", "A"),
    "CAV_bschichi": ("A", "V"), "CAA_bschichi": ("A", "A"),
    "CTT_bschichi": ("T", "T"), "CTT5_bschichi": ("T", "T5"),
}
MAJORANA_VANISHING = ("V", "T", "T5")   # dark structures that vanish for Majorana chi
SEED_FERMION = {"S1": "SS", "S2": "SP", "V1": "VV", "V2": "VA", "T1": "TT", "T2": "TT5"}


def _spinors(q2, m):
    """u(k1, s) (k1 along +z) and v(k2, s) (k2 along -z), Weyl representation."""
    E, p = _pair_kinematics(q2, m)
    b = jnp.sqrt(E + p)
    a = m / b                          # = sqrt(E - p), smooth at m = 0
    z = jnp.zeros_like(a)
    u = jnp.stack([jnp.stack([a, z, b, z]), jnp.stack([z, b, z, a])]).astype(complex)
    v = jnp.stack([jnp.stack([b, z, -a, z]), jnp.stack([z, a, z, -b])]).astype(complex)
    return u, v


def _dark_gamma(D):
    if D == "S":
        return jnp.eye(4, dtype=complex)
    if D == "P":
        return 1j * G5
    if D == "V":
        return G
    if D == "A":
        return jnp.einsum("mij,jk->mik", G, G5)
    if D == "T":
        return SIG
    if D == "T5":
        return jnp.einsum("mnij,jk->mnik", SIG, G5)
    raise KeyError(D)


class FermionPair(_PairFamily):
    """B -> M chi chi with a pair of invisible fermions of mass ``m_chi`` (Dirac or Majorana)."""
    mass_key = "m_chi"
    tag = "chichi"
    op_keys = tuple(FERMION_OPS)
    flag_keys = ("chi_majorana",)

    def active(self, coeffs):
        """True if ``coeffs`` holds any fermion-pair coefficient."""
        return any(k in coeffs for k in FERMION_OPS)

    def dark_ops(self, q2, m, coeffs):
        """The operators' spinor bilinears for the pair at q^2 and mass m; for Majorana fermions the
        operators that vanish are dropped and the factor 1/2 applied."""
        maj = bool(coeffs.get("chi_majorana", False))
        u, v = _spinors(q2, m)
        ubar = jnp.conj(u) @ G[0]                       # (s1, 4)
        ops = []
        for key, (Q, D) in FERMION_OPS.items():
            C = _get(coeffs, key)
            if C is None or (maj and D in MAJORANA_VANISHING):
                continue
            gam = _dark_gamma(D)
            # d[s1, s2, ...] = ubar(s1) Gamma v(s2)
            d = jnp.einsum("ai,...ij,bj->ab...", ubar, gam, v)
            d = d.reshape((4,) + d.shape[2:])
            if maj:
                d = 2.0 * d                              # both Wick contractions
            ops.append((Q, C, d))
        return ops, (0.5 if maj else 1.0)


# --------------------------------------------------------------------------- vector pair
# name: (quark Gamma, mass power n of eq. (19), vanishes for real X)
VECTOR_OPS = {"S": ("S", 2, False), "T1": ("T", 2, True), "T2": ("T5", 2, True),
              "V2": ("V", 2, False), "V3": ("V", 1, False), "V4": ("V", 2, True),
              "V5": ("V", 2, True), "V6": ("V", 1, True)}


def vector_keys(op):
    """Coefficient keys of vector-pair operator ``op``: the full ``C<op>_bsXX`` and the
    mass-reduced ``C<op>hat_bsXX``."""
    return f"C{op}_bsXX", f"C{op}hat_bsXX"


def _vector_dark(op, ka, ea, kb, eb):
    """Dark structure of operator ``op`` for particle (ka, ea) and antiparticle (kb, eb)
    (contravariant; ea, eb batched (nc, 4); polarisation vectors enter complex-conjugated,
    our basis is real)."""
    q = ka + kb
    if op == "S":
        return _dot(ea, eb)
    if op in ("T1", "T2"):
        t = ea[:, :, None] * eb[:, None, :] - ea[:, None, :] * eb[:, :, None]
        return (0.5j if op == "T1" else 0.5) * t
    if op == "V2":
        return 1j * (_dot(q, eb)[:, None] * ea + _dot(q, ea)[:, None] * eb)
    if op == "V3":
        kd = jnp.broadcast_to(kb - ka, ea.shape)
        return 1j * _eps_contract(kd, ea, eb)
    if op == "V4":
        return (ka - kb)[None, :] * _dot(ea, eb)[:, None]
    if op == "V5":
        return -(_dot(q, eb)[:, None] * ea - _dot(q, ea)[:, None] * eb)
    if op == "V6":
        return -_eps_contract(jnp.broadcast_to(q, ea.shape), ea, eb)
    raise KeyError(op)


class VectorPair(_PairFamily):
    """B -> M X X with a pair of invisible vectors of mass ``m_X`` (optionally real)."""
    mass_key = "m_X"
    tag = "XX"
    op_keys = tuple(vector_keys(op)[1] for op in VECTOR_OPS)
    flag_keys = ("X_real",)

    def couplings(self, coeffs, m):
        """{Chat key: Chat} (a full-C key enters as C / m^n, see ``chat``)."""
        out = {}
        for op in VECTOR_OPS:
            c = self.chat(op, coeffs, m)
            if c is not None:
                out[vector_keys(op)[1]] = c
        return out

    def active(self, coeffs):
        """True if ``coeffs`` holds any vector-pair coefficient (full or hat form)."""
        return any(k in coeffs for op in VECTOR_OPS for k in vector_keys(op))

    @staticmethod
    def chat(op, coeffs, m):
        """Reduced coefficient Chat of operator ``op``: the hat key as given, plus the full
        coefficient divided by m^n (n the operator's mass power; 0 where m <= 0)."""
        raw, hat = vector_keys(op)
        n = VECTOR_OPS[op][1]
        c = None
        if hat in coeffs:
            c = coeffs[hat]
        if raw in coeffs:
            ok = m > 0
            mn = jnp.where(ok, m, 1.0) ** n
            extra = jnp.where(ok, coeffs[raw] / mn, 0.0)
            c = extra if c is None else c + extra
        return c

    def dark_ops(self, q2, m, coeffs):
        """The operators' dark currents for the pair at q^2 and mass m, summed over polarisations,
        with the symmetry factor for a real vector."""
        real = bool(coeffs.get("X_real", False))
        E, p = _pair_kinematics(q2, m)
        z = jnp.zeros_like(E)
        one = jnp.ones_like(E)
        k1 = jnp.stack([E, z, z, p])
        k2 = jnp.stack([E, z, z, -p])
        # reduced polarisation vectors: transverse (unit), longitudinal m * eps_L
        e1 = jnp.stack([jnp.stack([z, one, z, z]), jnp.stack([z, z, one, z]),
                        jnp.stack([p, z, z, E])])
        e2 = jnp.stack([jnp.stack([z, one, z, z]), jnp.stack([z, z, one, z]),
                        jnp.stack([p, z, z, -E])])
        n1 = jnp.stack([one, z, z, -one])               # m eps_L(k1) = k1 - m^2/(E+p) n1
        n2 = jnp.stack([one, z, z, one])
        r = m / (E + p)
        idx1 = np.repeat(np.arange(3), 3)
        idx2 = np.tile(np.arange(3), 3)
        nlong = (idx1 == 2).astype(int) + (idx2 == 2).astype(int)
        A1, A2 = e1[idx1], e2[idx2]

        def amp(op, ka, Ea, kb, Eb, na, nb, sw):
            n = VECTOR_OPS[op][1]
            d = _vector_dark(op, ka, Ea, kb, Eb)
            shape = (-1,) + (1,) * (d.ndim - 1)
            pw = n - nlong                               # power of m multiplying D(ehat)
            w = jnp.stack([jnp.ones_like(m) if k == 0 else (m if k == 1 else m * m)
                           for k in np.maximum(pw, 0)])
            d = d * w.reshape(shape)
            if n == 1:
                # LL with n = 1: D(m eps_a, m eps_b)/m, using D(k_a, k_b) = 0
                kA = jnp.broadcast_to(ka, (1, 4))
                kB = jnp.broadcast_to(kb, (1, 4))
                nA = na[None]
                nB = nb[None]
                ll = (-r * (_vector_dark(op, ka, nA, kb, kB) + _vector_dark(op, ka, kA, kb, nB))
                      + m * r * r * _vector_dark(op, ka, nA, kb, nB))
                d = d.at[8].set(ll[0])
            return d

        ops = []
        for op, (Q, n, odd) in VECTOR_OPS.items():
            C = self.chat(op, coeffs, m)
            if C is None or (real and odd):
                continue
            d = amp(op, k1, A1, k2, A2, n1, n2, False)
            if real:
                # L = 1/2 C O(X^dag -> X): amplitude = (D(1,2) + D(2,1)) / 2
                d = 0.5 * (d + amp(op, k2, A2, k1, A1, n2, n1, True))
            ops.append((Q, C, d.astype(complex)))
        return ops, (0.5 if real else 1.0)


# --------------------------------------------------------------------------- two-body X
TWO_BODY_COUPLINGS = {"gS_bsX": ("S", 0), "gP_bsX": ("P", 0), "gV_bsX": ("V", 1),
                      "gA_bsX": ("A", 1)}
TWO_BODY_BR = {"BR_BpKX": "B+->K", "BR_BpKstarX": "B+->K*"}
_ISOSPIN_PARTNER = {"B+->K": "B+->K", "B0->K": "B+->K", "B+->K*": "B+->K*",
                    "B0->K*": "B+->K*"}


def _two_body_msq(mode, mX, g, par):
    """sum |M|^2 of B -> M X at q^2 = mX^2 for couplings g = {Gamma: g}."""
    had = hadronic(mode, mX * mX, par)
    out = 0.0
    s = sum(g[Q] * had[Q] for Q in ("S", "P") if Q in g) if any(Q in g for Q in ("S", "P")) \
        else None
    if s is not None:
        out = out + jnp.sum(jnp.abs(s) ** 2)
    if any(Q in g for Q in ("V", "A")):
        # polarisation sum -g + q q/mX^2 = diag(0, 1, 1, 1) in the X rest frame
        v = sum(g[Q] * had[Q][1] for Q in ("V", "A") if Q in g)
        out = out + jnp.sum(jnp.abs(v) ** 2)
    return out


def two_body_br(mode, coeffs, par):
    """BR(B -> M X) (before the invisible probability) from couplings or from BR_BpKX."""
    mB, mM, kind, tau = _masses(mode, par)
    mX = coeffs.get("m_X2", 0.0)
    lam = kallen_pos(mB ** 2, mM ** 2, mX * mX)
    open_ = mX < mB - mM
    ps = safe_sqrt(lam) / (16.0 * jnp.pi * mB ** 3)
    g = {TWO_BODY_COUPLINGS[k][0]: coeffs[k] for k in TWO_BODY_COUPLINGS if k in coeffs}
    out = 0.0
    if g:
        out = out + jnp.where(open_, tau * ps * _two_body_msq(mode, mX, g, par), 0.0)
    ref = _ISOSPIN_PARTNER[mode]
    for key, refmode in TWO_BODY_BR.items():
        if key in coeffs and refmode == ref:
            Q = "V" if coeffs.get("X_vector", False) else "S"
            if mode == ref:
                ratio = 1.0
            else:
                mB2, mM2, _, tau2 = _masses(ref, par)
                lam2 = kallen_pos(mB2 ** 2, mM2 ** 2, mX * mX)
                num = tau * safe_sqrt(lam) / mB ** 3 * _two_body_msq(mode, mX, {Q: 1.0}, par)
                den = tau2 * safe_sqrt(lam2) / mB2 ** 3 * _two_body_msq(ref, mX, {Q: 1.0}, par)
                ok = den > 0
                ratio = jnp.where(ok, num / jnp.where(ok, den, 1.0), 0.0)
            out = out + jnp.where(open_, coeffs[key] * ratio, 0.0)
    return out


class TwoBody:
    """B -> M X with one narrow invisible particle X: a Gaussian q^2 peak at m_X^2 of width
    SIGMA_Q2_TWO_BODY (resolution model), normalised within the physical range."""
    tag = "X"

    def active(self, coeffs):
        """True if ``coeffs`` holds a two-body coupling or branching ratio."""
        return any(k in coeffs for k in list(TWO_BODY_COUPLINGS) + list(TWO_BODY_BR))

    @staticmethod
    def _peak(mode, coeffs, par):
        mX = coeffs.get("m_X2", 0.0)
        mu = mX * mX
        s = SIGMA_Q2_TWO_BODY
        top = q2max(mode, par)
        norm = ndtr((top - mu) / s) - ndtr(-mu / s)
        ok = norm > 1e-300
        return mu, s, top, ok, jnp.where(ok, norm, 1.0)

    def total(self, mode, coeffs, par):
        """Total BR(B -> M X) of ``mode`` (0 if the model has no two-body coefficient)."""
        if not self.active(coeffs):
            return 0.0
        return two_body_br(mode, coeffs, par)

    def diff(self, mode, q2, coeffs, par):
        """dBR/dq^2 (GeV^-2): the total BR times the normalised Gaussian peak at q^2."""
        if not self.active(coeffs):
            return 0.0
        mu, s, top, ok, norm = self._peak(mode, coeffs, par)
        q2 = jnp.asarray(q2, dtype=float)
        pdf = jnp.exp(-0.5 * ((q2 - mu) / s) ** 2) / (s * jnp.sqrt(2.0 * jnp.pi)) / norm
        pdf = jnp.where(ok & (q2 >= 0) & (q2 <= top), pdf, 0.0)
        return two_body_br(mode, coeffs, par) * pdf

    def bin(self, mode, q2min, q2max_, coeffs, par, n=None):
        """BR in the bin [q2min, q2max] (GeV^2): the total BR times the peak's fraction in the
        bin."""
        if not self.active(coeffs):
            return 0.0
        mu, s, top, ok, norm = self._peak(mode, coeffs, par)
        lo = jnp.clip(q2min, 0.0, top)
        hi = jnp.clip(q2max_, 0.0, top)
        hi = jnp.maximum(hi, lo)
        frac = jnp.where(ok, (ndtr((hi - mu) / s) - ndtr((lo - mu) / s)) / norm, 0.0)
        return two_body_br(mode, coeffs, par) * frac


# what invisible_bins needs of this module, reached through the families (no import circle)
_PairFamily.kinematics = SimpleNamespace(hadronic=hadronic, _prefactor=_prefactor,
                                         q2max=q2max, MODES=MODES)

SCALAR = ScalarPair()
FERMION = FermionPair()
VECTOR = VectorPair()
TWO_BODY = TwoBody()
FAMILIES = {"phiphi": SCALAR, "chichi": FERMION, "XX": VECTOR, "X": TWO_BODY}

CONTRIBUTIONS = (SCALAR, FERMION, VECTOR, TWO_BODY)


# --------------------------------------------------------------------------- observables
def register(catalogue) -> None:
    """Add the B -> K(*) + {phi phi, chi chi, X X, X} observables to ``catalogue`` and hand it
    the four families as B -> K(*) + invisible contributions."""
    for c in CONTRIBUTIONS:
        catalogue.add_invisible(c)
    register = catalogue.register

    def _vec_bin(fam, mode):
        def fn(coeffs, par, q2min, q2max):
            lo = jnp.asarray(q2min, dtype=float)
            hi = jnp.asarray(q2max, dtype=float)
            if lo.ndim == 0 and hi.ndim == 0:
                return jnp.asarray(fam.bin(mode, lo, hi, coeffs, par), dtype=float)
            n = points_for_bins(q2min, q2max)
            if hasattr(fam, "bins"):
                return fam.bins(mode, q2min, q2max, coeffs, par, n=n)
            lo, hi = jnp.broadcast_arrays(lo, hi)
            g = lambda a, b: jnp.asarray(fam.bin(mode, a, b, coeffs, par, n=n),  # noqa
                                         dtype=float)
            return jax.vmap(g)(lo.ravel(), hi.ravel()).reshape(lo.shape)
        return fn

    what = {"phiphi": "a pair of invisible scalars phi (m_phi; CS/CP/CV/CA_bsphiphi)",
            "chichi": "a pair of invisible fermions chi (m_chi; C{Q}{D}_bschichi)",
            "XX": "a pair of invisible vectors X (m_X; C{op}[hat]_bsXX, seed eq. (18))",
            "X": "one narrow invisible particle X (m_X2; g{S,P,V,A}_bsX or BR_BpKX)"}
    for tag, fam in FAMILIES.items():
        for mode in MODES:
            def _mk(fam=fam, mode=mode, tag=tag):
                register(f"BR({mode}{tag})", extension=True,
                         description=f"total BR of {mode} + {what[tag]}")(
                    lambda coeffs, par: jnp.asarray(fam.total(mode, coeffs, par), dtype=float))
                register(f"dBR/dq2({mode}{tag})", args=("q2",), extension=True,
                         description=f"dBR/dq2 of {mode} + {what[tag]}"
                         + (" (narrow peak smeared by a Gaussian)" if tag == "X" else ""))(
                    lambda coeffs, par, q2: jnp.asarray(fam.diff(mode, q2, coeffs, par),
                                                        dtype=float))
                register(f"<BR>({mode}{tag})", args=("q2min", "q2max"), extension=True,
                         description=f"BR of {mode} + {what[tag]} in a q2 bin (not divided "
                         "by its width)")(_vec_bin(fam, mode))
            _mk()

