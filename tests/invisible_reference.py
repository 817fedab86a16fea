"""Independent numpy reference for B -> K(*) + invisible pairs (used by tests/test_invisible.py).

Nothing here uses bkfit's helicity algebra: momenta are built in the B rest frame from Dalitz
variables (q^2, t = (p_K + k_1)^2) with an arbitrary spatial orientation; amplitudes are
covariant contractions of the B -> K(*) matrix elements (form-factor definitions of
BSZ/flavio, built from bkfit.physics.formfactors values) with the dark structures built from
explicit Dirac-representation spinors (fermions; Majorana through v = C ubar^T and both Wick
contractions) or explicit polarisation-vector sums -g + k k / m^2 (K*, X); the t integral is
a Gauss-Legendre sum and dGamma/dq^2 = S/(256 pi^3 m_B^3) int dt sum|M|^2.
"""
from __future__ import annotations

import itertools

import numpy as np

# ------------------------------------------------------------------ Dirac representation
S = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex),
     np.array([[1, 0], [0, -1]], complex)]
Z2, I2 = np.zeros((2, 2), complex), np.eye(2, dtype=complex)
GAM = np.array([np.block([[I2, Z2], [Z2, -I2]])] + [np.block([[Z2, s], [-s, Z2]]) for s in S])
G5 = 1j * GAM[0] @ GAM[1] @ GAM[2] @ GAM[3]
MET = np.diag([1.0, -1.0, -1.0, -1.0])
SIG = np.array([[0.5j * (GAM[m] @ GAM[n] - GAM[n] @ GAM[m]) for n in range(4)] for m in range(4)])
CCONJ = 1j * GAM[2] @ GAM[0]                 # charge conjugation matrix


def _perm_sign(p):
    p = list(p)
    s = 1
    for i in range(len(p)):
        for j in range(i + 1, len(p)):
            if p[i] > p[j]:
                s = -s
    return s


EPS = np.zeros((4, 4, 4, 4))
for _p in itertools.permutations(range(4)):
    EPS[_p] = -_perm_sign(_p)                # eps^{0123} = -1

# sigma^{mu nu} g5 = CD eps^{mu nu rho sigma} sigma_{rho sigma}: determined numerically
_sl = np.einsum("ra,sb,abij->rsij", MET, MET, SIG)
_rhs = np.einsum("mnrs,rsij->mnij", EPS, _sl)
_lhs = np.einsum("mnij,jk->mnik", SIG, G5)
_k = np.unravel_index(np.argmax(abs(_rhs)), _rhs.shape)
CD = _lhs[_k] / _rhs[_k]
assert np.allclose(_lhs, CD * _rhs)


def low(v):
    return np.einsum("mn,...n->...m", MET, v)


def mdot(a, b):
    return np.einsum("...m,...m->...", a, low(b))


def eps3(a, b, c):
    """eps^{mu nu rho sigma} a_nu b_rho c_sigma."""
    return np.einsum("mnrs,...n,...r,...s->...m", EPS, low(a), low(b), low(c))


def kallen(a, b, c):
    return a * a + b * b + c * c - 2 * (a * b + b * c + c * a)


# ------------------------------------------------------------------ spinors (Dirac rep)
def u_spinor(k, m, s):
    """u(k, s) for 4-momentum k (E, kx, ky, kz); s = 0, 1."""
    xi = np.eye(2)[s]
    E = k[0]
    sp = sum(k[i + 1] * S[i] for i in range(3))
    nrm = np.sqrt(E + m)
    return np.concatenate([nrm * xi, sp @ xi / nrm])


def ubar(u):
    return u.conj() @ GAM[0]


def v_spinor(k, m, s):
    """v = C ubar^T (so that Majorana fields have consistent phases)."""
    return CCONJ @ ubar(u_spinor(k, m, s))


# ------------------------------------------------------------------ kinematics
_ROT = None


def _rotation():
    global _ROT
    if _ROT is None:
        rng = np.random.default_rng(7)
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        _ROT = q
    return _ROT


def momenta(mB, mM, m, q2, t):
    """B-frame momenta (p, k, k1, k2) with t = (k + k1)^2."""
    EK = (mB ** 2 + mM ** 2 - q2) / (2 * mB)
    E2 = (mB ** 2 + m ** 2 - t) / (2 * mB)
    E1 = mB - EK - E2
    pK = np.sqrt(max(EK ** 2 - mM ** 2, 0.0))
    p1 = np.sqrt(max(E1 ** 2 - m ** 2, 0.0))
    p2sq = E2 ** 2 - m ** 2
    ca = (p2sq - pK ** 2 - p1 ** 2) / (2 * pK * p1) if pK * p1 > 0 else 1.0
    ca = np.clip(ca, -1.0, 1.0)
    sa = np.sqrt(1 - ca * ca)
    R = _rotation()
    nK = R @ np.array([0.0, 0.0, 1.0])
    nT = R @ np.array([1.0, 0.0, 0.0])
    vK = pK * nK
    v1 = p1 * (ca * nK + sa * nT)
    v2 = -vK - v1
    p = np.array([mB, 0, 0, 0.0])
    k = np.concatenate([[EK], vK])
    k1 = np.concatenate([[E1], v1])
    k2 = np.concatenate([[E2], v2])
    return p, k, k1, k2


def t_range(mB, mM, m, q2):
    sq = np.sqrt(q2)
    EK = (mB ** 2 - mM ** 2 - q2) / (2 * sq)
    PK = np.sqrt(max(kallen(mB ** 2, mM ** 2, q2), 0)) / (2 * sq)
    E1 = sq / 2
    P1 = np.sqrt(max(q2 / 4 - m * m, 0))
    base = mM ** 2 + m ** 2 + 2 * EK * E1
    return base - 2 * PK * P1, base + 2 * PK * P1


# ------------------------------------------------------------------ hadronic matrix elements
def polsum(k, m):
    return -np.linalg.inv(MET) + np.outer(k, k) / m ** 2


class Hadronic:
    """Covariant <M(k)|sbar Gamma b|B(p)> for one meson polarisation vector etas (= eta^*),
    Gamma in S, P, V, A, T, T5; pseudoscalar M: etas ignored."""

    def __init__(self, kind, p, k, ff, mB, mM, mb, ms):
        self.kind, self.p, self.k, self.ff = kind, p, k, ff
        self.mB, self.mM, self.mb, self.ms = mB, mM, mb, ms
        self.q = p - k
        self.P = p + k
        self.q2 = mdot(self.q, self.q)

    def V(self, e):
        f, q, P, q2 = self.ff, self.q, self.P, self.q2
        if self.kind == "P":
            d = self.mB ** 2 - self.mM ** 2
            return f["f+"] * (P - d / q2 * q) + f["f0"] * d / q2 * q + 0j
        return 2 * f["V"] / (self.mB + self.mM) * eps3(e, self.p, self.k)

    def A(self, e):
        if self.kind == "P":
            return np.zeros(4, complex)
        f, q, P, q2, mB, mV = self.ff, self.q, self.P, self.q2, self.mB, self.mM
        lam = kallen(mB ** 2, mV ** 2, q2)
        A2 = ((mB + mV) ** 2 * (mB ** 2 - mV ** 2 - q2) * f["A1"]
              - 16 * mB * mV ** 2 * (mB + mV) * f["A12"]) / lam
        A3 = ((mB + mV) * f["A1"] - (mB - mV) * A2) / (2 * mV)
        eq = mdot(e, q)
        return 1j * ((mB + mV) * f["A1"] * e - eq * P * A2 / (mB + mV)
                     - eq * q * 2 * mV / q2 * (A3 - f["A0"]))

    def S(self, e):
        return mdot(self.q, self.V(e)) / (self.mb - self.ms)

    def P_(self, e):
        # i d_mu (sbar g^mu g5 b) = -(mb + ms) sbar g5 b  =>  <sbar i g5 b> = -i q.A/(mb+ms)
        return -1j * mdot(self.q, self.A(e)) / (self.mb + self.ms)

    def T(self, e):
        f, q, P, q2 = self.ff, self.q, self.P, self.q2
        if self.kind == "P":
            return 1j * f["fT"] / (self.mB + self.mM) * (np.outer(P, q) - np.outer(q, P))
        mB, mV = self.mB, self.mM
        lam = kallen(mB ** 2, mV ** 2, q2)
        T3 = ((mB ** 2 - mV ** 2) * (mB ** 2 + 3 * mV ** 2 - q2) * f["T2"]
              - 8 * mB * mV ** 2 * (mB - mV) * f["T23"]) / lam
        eq = mdot(e, q)
        Tq = 2 * f["T1"] * eps3(e, self.p, self.k)                     # <i sigma q>
        T5q = (1j * f["T2"] * ((mB ** 2 - mV ** 2) * e - eq * P)
               + 1j * T3 * eq * (q - q2 / (mB ** 2 - mV ** 2) * P))    # <i sigma q g5>
        # unknown antisymmetric X^{mu nu}: 6 components; equations
        #   i X^{mu nu} q_nu = Tq^mu,  i CD eps^{mu nu rho sigma} X_{rho sigma} q_nu = T5q^mu
        pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        rows, rhs = [], []
        basis = []
        for a, b in pairs:
            X = np.zeros((4, 4))
            X[a, b], X[b, a] = 1, -1
            basis.append(X)
        ql = low(q)
        M1 = np.array([1j * (X @ ql) for X in basis]).T                      # (4, 6)
        M2 = np.array([1j * CD * np.einsum("mnrs,rs,n->m", EPS, MET @ X @ MET, ql)
                       for X in basis]).T
        rows = np.vstack([M1, M2])
        rhs = np.concatenate([Tq, T5q])
        sol, *_ = np.linalg.lstsq(rows, rhs, rcond=None)
        assert np.allclose(rows @ sol, rhs, atol=1e-10 * (1 + abs(rhs).max()))
        return sum(c * X for c, X in zip(sol, basis))

    def T5(self, e):
        Tm = self.T(e)
        return CD * np.einsum("mnrs,rs->mn", EPS, MET @ Tm @ MET)

    def get(self, Q, e):
        return {"S": self.S, "P": self.P_, "V": self.V, "A": self.A, "T": self.T,
                "T5": self.T5}[Q](e)


def contract(Q, H, D):
    if Q in ("S", "P"):
        return H * D
    if Q in ("V", "A"):
        return mdot(H, D)
    return np.einsum("mn,mr,ns,rs->", H, MET, MET, D)


# ------------------------------------------------------------------ dark structures
DGAM = {"S": np.eye(4), "P": 1j * G5, "V": GAM, "A": np.einsum("mij,jk->mik", GAM, G5),
        "T": SIG, "T5": np.einsum("mnij,jk->mnik", SIG, G5)}


def fermion_bilinear(D, ka, sa, kb, sb, m):
    """ubar(ka, sa) Gamma_D v(kb, sb) (upper Lorentz indices)."""
    ub = ubar(u_spinor(ka, m, sa))
    v = v_spinor(kb, m, sb)
    return np.einsum("i,...ij,j->...", ub, DGAM[D], v)


def vector_dark(op, ka, ea, kb, eb):
    """Dark structure (upper indices) of the seed's eq. (18) operators for particle (ka, ea)
    and antiparticle (kb, eb); ea, eb are the conjugated polarisation vectors."""
    q = ka + kb
    if op == "S":
        return mdot(ea, eb)
    if op == "T1":
        return 0.5j * (np.outer(ea, eb) - np.outer(eb, ea))
    if op == "T2":
        return 0.5 * (np.outer(ea, eb) - np.outer(eb, ea))
    if op == "V2":       # d_nu(X^mu+ X^nu + X^nu+ X^mu) -> i q_nu(...)
        return 1j * (ea * mdot(q, eb) + eb * mdot(q, ea))
    if op == "V3":       # X+_rho d<->_nu X_sigma eps -> i (kb - ka)_nu
        return 1j * eps3(kb - ka, ea, eb)
    if op == "V4":       # X+_nu i d<->^mu X^nu -> (ka - kb)^mu (ea.eb)
        return (ka - kb) * mdot(ea, eb)
    if op == "V5":       # i d_nu(X^mu+ X^nu - X^nu+ X^mu) -> -q_nu(...)
        return -(ea * mdot(q, eb) - eb * mdot(q, ea))
    if op == "V6":
        return -eps3(q, ea, eb)
    raise KeyError(op)


VECTOR_QUARK = {"S": "S", "T1": "T", "T2": "T5", "V2": "V", "V3": "V", "V4": "V", "V5": "V",
                "V6": "V"}


# ------------------------------------------------------------------ |M|^2 at one point
def msq_point(family, ops, kind, p, k, k1, k2, m, ff, mB, mM, mb, ms, variant=None):
    """sum over spins/polarisations of |M|^2; ops = {name: C}.

    family 'phi' (names S, P, V, A; variant 'real' or None), 'chi' (names 'QD', e.g. 'VA';
    variant 'majorana' or None), 'X' (names of eq. (18); variant 'real' or None)."""
    had = Hadronic(kind, p, k, ff, mB, mM, mb, ms)
    E4 = np.eye(4)
    metas = list(range(4)) if kind == "V" else [None]

    def hadronic(Q, a):
        e = E4[a] if a is not None else None
        return had.get(Q, e)

    Hcache = {}

    def H(Q, a):
        if (Q, a) not in Hcache:
            Hcache[(Q, a)] = hadronic(Q, a)
        return Hcache[(Q, a)]

    # amplitude as array over meson basis index a and dark configurations
    if family == "phi":
        confs = [()]

        def dark(name, conf):
            Q = name
            if Q in ("S", "P"):
                d12 = d21 = 1.0
            else:
                d12, d21 = k1 - k2, k2 - k1
            return Q, (0.5 * (d12 + d21) if variant == "real" else d12)
    elif family == "chi":
        confs = list(itertools.product(range(2), range(2)))

        def dark(name, conf):
            Q, D = (name[0], name[1:])
            s1, s2 = conf
            d = fermion_bilinear(D, k1, s1, k2, s2, m)
            if variant == "majorana":
                d = d - fermion_bilinear(D, k2, s2, k1, s1, m)
            return Q, d
    else:
        confs = list(itertools.product(range(4), range(4)))

        def dark(name, conf):
            a1, a2 = conf
            d = vector_dark(name, k1, E4[a1], k2, E4[a2])
            if variant == "real":
                d = 0.5 * (d + vector_dark(name, k2, E4[a2], k1, E4[a1]))
            return VECTOR_QUARK[name], d

    amps = np.zeros((len(metas), len(confs)), complex)
    for i, a in enumerate(metas):
        for j, conf in enumerate(confs):
            tot = 0j
            for name, C in ops.items():
                Q, d = dark(name, conf)
                tot += C * contract(Q, H(Q, a), d)
            amps[i, j] = tot
    # polarisation sums
    Pm = polsum(k, mM) if kind == "V" else np.ones((1, 1))
    if family == "X":
        P1, P2 = polsum(k1, m), polsum(k2, m)
        A = amps.reshape(len(metas), 4, 4)
        return np.real(np.einsum("aij,bkl,ab,ik,jl->", A, A.conj(), Pm, P1, P2))
    return np.real(np.einsum("ac,bc,ab->", amps, amps.conj(), Pm))


def dgamma_dq2(family, ops, mode_info, q2, m, ff_fn, mb, ms, variant=None, n_t=6):
    """dGamma/dq^2 by Gauss-Legendre integration over t = (p_K + k_1)^2."""
    kind, mB, mM = mode_info
    tlo, thi = t_range(mB, mM, m, q2)
    x, w = np.polynomial.legendre.leggauss(n_t)
    ts = 0.5 * (thi - tlo) * x + 0.5 * (thi + tlo)
    ws = 0.5 * (thi - tlo) * w
    ff = ff_fn(q2)
    tot = 0.0
    for t, wt in zip(ts, ws):
        p, k, k1, k2 = momenta(mB, mM, m, q2, t)
        tot += wt * msq_point(family, ops, kind, p, k, k1, k2, m, ff, mB, mM, mb, ms, variant)
    ident = variant in ("real", "majorana")
    return (0.5 if ident else 1.0) * tot / (256 * np.pi ** 3 * mB ** 3)
