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

import jax
import jax.numpy as jnp
import numpy as np

from .bsnunu import MODES
from .common import integrate_endpoint
from .dirac import G
from .invisible_amplitudes import (dark_gamma, hadronic, msq_averaged, pair_kinematics,
                                   prefactor, q2max, safe_q2, spinors, vector_dark)
from .invisible_bins import fast_bins
from .invisible_gram import msq as gram_msq
from .invisible_gram import table as gram_table
from .invisible_hooks import points_for_bins
from .invisible_two_body import TwoBody


def _get(coeffs, key):
    return coeffs[key] if key in coeffs else None


class _PairFamily:
    """Common diff / bin for a pair of invisible particles of mass ``mass_key``."""

    mass_key = ""
    tag = ""

    op_keys: tuple = ()

    def active(self, coeffs) -> bool:
        """True if ``coeffs`` holds any of the family's coefficient keys (``op_keys``)."""
        return any(k in coeffs for k in self.op_keys)

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
        val = factor * msq_averaged(had, ops) * prefactor(mode, q2, m, par)
        return self._mask(mode, q2, m, par, val)

    def _dbr(self, mode, q2, coeffs, par):
        """dBR/dq2 from the tabulated dark Gram matrices (``invisible_gram``)."""
        m = coeffs.get(self.mass_key, 0.0)
        tab = gram_table(self, self.flag_values(coeffs))
        cpl = {k: c for k, c in self.couplings(coeffs, m).items() if k in tab.keys}
        if not cpl:
            return jnp.zeros_like(jnp.asarray(q2, dtype=float))
        had = hadronic(mode, q2, par)
        E = 0.5 * jnp.sqrt(safe_q2(q2))
        val = gram_msq(tab, had, cpl, E, m) * prefactor(mode, q2, m, par)
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

    def dark_ops(self, q2, m, coeffs):
        """The operators' dark currents for the pair at q^2 and mass m, with the symmetry factor
        (1/2 for a real scalar)."""
        real = bool(coeffs.get("phi_real", False))
        E, p = pair_kinematics(q2, m)
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


class FermionPair(_PairFamily):
    """B -> M chi chi with a pair of invisible fermions of mass ``m_chi`` (Dirac or Majorana)."""
    mass_key = "m_chi"
    tag = "chichi"
    op_keys = tuple(FERMION_OPS)
    flag_keys = ("chi_majorana",)

    def dark_ops(self, q2, m, coeffs):
        """The operators' spinor bilinears for the pair at q^2 and mass m; for Majorana fermions the
        operators that vanish are dropped and the factor 1/2 applied."""
        maj = bool(coeffs.get("chi_majorana", False))
        u, v = spinors(q2, m)
        ubar = jnp.conj(u) @ G[0]                       # (s1, 4)
        ops = []
        for key, (Q, D) in FERMION_OPS.items():
            C = _get(coeffs, key)
            if C is None or (maj and D in MAJORANA_VANISHING):
                continue
            gam = dark_gamma(D)
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
        E, p = pair_kinematics(q2, m)
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
            d = vector_dark(op, ka, Ea, kb, Eb)
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
                ll = (-r * (vector_dark(op, ka, nA, kb, kB) + vector_dark(op, ka, kA, kb, nB))
                      + m * r * r * vector_dark(op, ka, nA, kb, nB))
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

