"""Independent numpy reference for B -> K(*) + invisible pairs (used by tests/test_invisible.py).

Nothing here uses bkfit's helicity algebra: momenta are built in the B rest frame from Dalitz
variables (q^2, t = (p_K + k_1)^2) with an arbitrary spatial orientation; amplitudes are
covariant contractions of the B -> K(*) matrix elements (form-factor definitions of
BSZ/flavio, built from bkfit.physics.formfactors values) with the dark structures built from
explicit Dirac-representation spinors (fermions; Majorana through v = C ubar^T and both Wick
contractions) or explicit polarisation-vector sums -g + k k / m^2 (K*, X); the t integral is
a Gauss-Legendre sum and dGamma/dq^2 = S/(256 pi^3 m_B^3) int dt sum|M|^2.

The scalar- and vector-pair dark factors are NOT momentum-space vertex rules: each operator
is coded as written in the Lagrangian (fields as functions of x), the fields are replaced by
the plane waves of the outgoing particles and the derivatives are finite differences in x
(see "scalar / vector dark currents" below), so a sign or factor in a Feynman rule cannot be
shared with bkfit/physics/invisible.py.
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


def momenta(mB, mM, m, q2, t, m2=None):
    """B-frame momenta (p, k, k1, k2) with t = (k + k1)^2; pair masses m (particle 1) and
    m2 (particle 2, default m)."""
    m2 = m if m2 is None else m2
    EK = (mB ** 2 + mM ** 2 - q2) / (2 * mB)
    E2 = (mB ** 2 + m2 ** 2 - t) / (2 * mB)
    E1 = mB - EK - E2
    pK = np.sqrt(max(EK ** 2 - mM ** 2, 0.0))
    p1 = np.sqrt(max(E1 ** 2 - m ** 2, 0.0))
    p2sq = E2 ** 2 - m2 ** 2
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


def t_range(mB, mM, m, q2, m2=None):
    """Dalitz limits of t = (p_K + k_1)^2 at fixed q^2 (pair rest frame); pair masses m and
    m2 (default m)."""
    sq = np.sqrt(q2)
    EK = (mB ** 2 - mM ** 2 - q2) / (2 * sq)
    PK = np.sqrt(max(kallen(mB ** 2, mM ** 2, q2), 0)) / (2 * sq)
    if m2 is None:
        E1 = sq / 2
        P1 = np.sqrt(max(q2 / 4 - m * m, 0))
    else:
        E1 = (q2 + m ** 2 - m2 ** 2) / (2 * sq)
        P1 = np.sqrt(max(kallen(q2, m ** 2, m2 ** 2), 0)) / (2 * sq)
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


# ------------------------------------------------------------------ scalar / vector dark currents
# The dark factor of every scalar- and vector-pair operator is evaluated from the operator AS
# WRITTEN in the seed (its eq. (18) for X, the slides' O_S, O_V for phi; docs/invisible.md),
# not from a momentum-space Feynman rule.  The dark fields are functions of the space-time
# point x; the contractions with the outgoing dark particles replace them by plane waves
#     complex field:  phi^dag(x) -> e^{i k1.x}             phi(x) -> e^{i k2.x}
#                     X^dag_mu(x) -> e1*_mu e^{i k1.x}     X_mu(x) -> e2*_mu e^{i k2.x}
# (the daggered field creates the particle, momentum k1; the other one the antiparticle, k2),
#     real field:     the one field -> the sum of both waves; only the part bilinear in
#                     (wave 1, wave 2) survives (both Wick contractions), times the 1/2 of
#                     L = 1/2 C O;
# derivatives are taken NUMERICALLY in x (5-point central differences of the wave functions,
# step 1e-3 GeV^-1, relative error ~ (k h)^4/30 < 1e-11), products are differentiated as
# products (total derivatives of V2, V5, V6), indices are raised with the metric, and the
# matrix element is the operator's value at x = 0.  So the signs of i d<->, of the total
# derivatives and of the eps contractions follow from the Lagrangian and not from a rule
# typed in by hand.  Fields carry a leading batch axis over the polarisation basis.
_X0 = np.zeros(4)
_STEP = 1e-3


def up(v):
    """raise the last index(es) of lower-index components (MET is its own inverse)."""
    return np.einsum("mn,...n->...m", MET, v)


def wave(k, pol=None):
    """Plane wave x -> pol_mu e^{i k.x} (pol: lower-index components (..., 4)); a scalar wave
    if pol is None.  k.x = k^0 x^0 - k.x with x the contravariant coordinates."""
    kl = low(np.asarray(k, dtype=float))

    def f(x):
        ph = np.exp(1j * np.dot(kl, x))
        return ph if pol is None else pol * ph
    return f


def field_sum(f, g):
    return lambda x: f(x) + g(x)


def d_dx(f, mu):
    """x -> d f / d x^mu (= d_mu f, lower index) by a 5-point central difference."""
    e = np.eye(4)[mu] * _STEP

    def df(x):
        return (8.0 * (f(x + e) - f(x - e)) - (f(x + 2 * e) - f(x - 2 * e))) / (12.0 * _STEP)
    return df


def gradient(f):
    """x -> d_mu f with the derivative index appended last."""
    return lambda x: np.stack([d_dx(f, mu)(x) for mu in range(4)], axis=-1)


def _outer(a, b):
    return np.einsum("...m,...n->...mn", a, b)


# Each function: (Fdag, F) -> dark factor at x = 0, with the index placement of the operator
# (Fdag takes the place of the daggered field).  Comments: the operator as written.
def _phi_density(Fd, F):                 # phi^dag phi
    return Fd(_X0) * F(_X0)


def _phi_current(Fd, F):                 # phi^dag i d<->_mu phi
    # = i (phi^dag d_mu phi - (d_mu phi^dag) phi)
    return 1j * (Fd(_X0) * gradient(F)(_X0) - gradient(Fd)(_X0) * F(_X0))      # lower mu


def _X_S(Fd, F):                         # X^dag_mu X^mu
    return np.einsum("...m,...m->...", Fd(_X0), up(F(_X0)))


def _X_antisym(Fd, F):                   # X^dag_mu X_nu - X^dag_nu X_mu   (lower mu nu)
    t = _outer(Fd(_X0), F(_X0))
    return t - np.swapaxes(t, -1, -2)


def _X_T1(Fd, F):                        # i/2 (X^dag_mu X_nu - X^dag_nu X_mu)
    return 0.5j * _X_antisym(Fd, F)


def _X_T2(Fd, F):                        # 1/2 (X^dag_mu X_nu - X^dag_nu X_mu)
    return 0.5 * _X_antisym(Fd, F)


def _X_V2(Fd, F):                        # d_nu (X^{mu dag} X^nu + X^{nu dag} X^mu)   (upper mu)
    def P(x):                            # P^{mu nu}
        t = _outer(up(Fd(x)), up(F(x)))
        return t + np.swapaxes(t, -1, -2)
    return np.einsum("...mnn->...m", gradient(P)(_X0))


def _X_V3(Fd, F):                        # eps^{mu nu rho sigma} X^dag_rho d<->_nu X_sigma
    a, b = Fd(_X0), F(_X0)
    ga, gb = gradient(Fd)(_X0), gradient(F)(_X0)          # [..., sigma, nu] = d_nu X_sigma
    return (np.einsum("mnrs,...r,...sn->...m", EPS, a, gb)
            - np.einsum("mnrs,...rn,...s->...m", EPS, ga, b))


def _X_V4(Fd, F):                        # X^dag_nu i d<->^mu X^nu
    a, b = Fd(_X0), F(_X0)
    ga, gb = gradient(Fd)(_X0), gradient(F)(_X0)          # [..., beta, alpha] = d_alpha X_beta
    t1 = np.einsum("...n,ma,nb,...ba->...m", a, MET, MET, gb)   # X^dag_nu d^mu X^nu
    t2 = np.einsum("ma,...na,nb,...b->...m", MET, ga, MET, b)   # (d^mu X^dag_nu) X^nu
    return 1j * (t1 - t2)


def _X_V5(Fd, F):                        # i d_nu (X^{mu dag} X^nu - X^{nu dag} X^mu)
    def P(x):
        t = _outer(up(Fd(x)), up(F(x)))
        return t - np.swapaxes(t, -1, -2)
    return 1j * np.einsum("...mnn->...m", gradient(P)(_X0))


def _X_V6(Fd, F):                        # i d_nu (X^dag_rho X_sigma) eps^{mu nu rho sigma}
    def P(x):
        return _outer(Fd(x), F(x))       # lower rho sigma
    return 1j * np.einsum("mnrs,...rsn->...m", EPS, gradient(P)(_X0))


# name: (quark bilinear, dark factor, placement of the dark factor's free indices: none, one
# lower, two lower, upper); the quark bilinears carry the opposite placement.
SCALAR_OPERATORS = {"S": ("S", _phi_density, "none"), "P": ("P", _phi_density, "none"),
                    "V": ("V", _phi_current, "lower1"), "A": ("A", _phi_current, "lower1")}
VECTOR_OPERATORS = {"S": ("S", _X_S, "none"), "T1": ("T", _X_T1, "lower2"),
                    "T2": ("T5", _X_T2, "lower2"), "V2": ("V", _X_V2, "upper"),
                    "V3": ("V", _X_V3, "upper"), "V4": ("V", _X_V4, "upper"),
                    "V5": ("V", _X_V5, "upper"), "V6": ("V", _X_V6, "upper")}


def dark_factor(table, name, w1, w2, real):
    """(quark Gamma, dark factor with UPPER indices) for waves w1 (particle), w2
    (antiparticle); real: L = 1/2 C O with one field carrying both waves."""
    Q, fn, place = table[name]
    if real:
        both = field_sum(w1, w2)
        d = 0.5 * (fn(both, both) - fn(w1, w1) - fn(w2, w2))
    else:
        d = fn(w1, w2)
    if place == "lower1":
        d = up(d)
    elif place == "lower2":
        d = np.einsum("ma,nb,...ab->...mn", MET, MET, d)
    return Q, d


# ------------------------------------------------------------------ |M|^2 at one point
def msq_point(family, ops, kind, p, k, k1, k2, m, ff, mB, mM, mb, ms, variant=None):
    """sum over spins/polarisations of |M|^2; ops = {name: C}.

    family 'phi' (names S, P, V, A; variant 'real' or None), 'chi' (names 'QD', e.g. 'VA';
    variant 'majorana' or None), 'X' (names of eq. (18); variant 'real' or None)."""
    had = Hadronic(kind, p, k, ff, mB, mM, mb, ms)
    E4 = np.eye(4)
    metas = list(range(4)) if kind == "V" else [None]

    Hcache = {}

    def H(Q, a):
        if (Q, a) not in Hcache:
            Hcache[(Q, a)] = had.get(Q, E4[a] if a is not None else None)
        return Hcache[(Q, a)]

    # dark factors for all dark configurations at once: {name: (Q, array[conf, ...])}
    dark = {}
    if family == "phi":
        confs = [()]
        for name in ops:
            Q, d = dark_factor(SCALAR_OPERATORS, name, wave(k1), wave(k2), variant == "real")
            dark[name] = (Q, np.asarray(d)[None])
    elif family == "chi":
        confs = list(itertools.product(range(2), range(2)))
        for name in ops:
            Q, D = (name[0], name[1:])
            ds = []
            for s1, s2 in confs:
                d = fermion_bilinear(D, k1, s1, k2, s2, m)
                if variant == "majorana":
                    d = d - fermion_bilinear(D, k2, s2, k1, s1, m)
                ds.append(d)
            dark[name] = (Q, np.asarray(ds))
    else:
        confs = list(itertools.product(range(4), range(4)))
        # polarisation basis: e*^mu = unit vector a (upper components), lowered for the field
        pol1 = low(E4[[a for a, _ in confs]])
        pol2 = low(E4[[b for _, b in confs]])
        for name in ops:
            dark[name] = dark_factor(VECTOR_OPERATORS, name, wave(k1, pol1), wave(k2, pol2),
                                     variant == "real")

    amps = np.zeros((len(metas), len(confs)), complex)
    for i, a in enumerate(metas):
        for j in range(len(confs)):
            amps[i, j] = sum(C * contract(dark[name][0], H(dark[name][0], a), dark[name][1][j])
                             for name, C in ops.items())
    # polarisation sums
    Pm = polsum(k, mM) if kind == "V" else np.ones((1, 1))
    if family == "X":
        P1, P2 = polsum(k1, m), polsum(k2, m)
        A = amps.reshape(len(metas), 4, 4)
        return np.real(np.einsum("aij,bkl,ab,ik,jl->", A, A.conj(), Pm, P1, P2))
    return np.real(np.einsum("ac,bc,ab->", amps, amps.conj(), Pm))


def dalitz_integral(f, mB, mM, m, q2, n_t, m2=None):
    """Gauss-Legendre integral over t = (p_K + k_1)^2 at fixed q^2 of f(p, k, k1, k2) (B-frame
    momenta; pair masses m and m2, default m)."""
    tlo, thi = t_range(mB, mM, m, q2, m2)
    x, w = np.polynomial.legendre.leggauss(n_t)
    ts = 0.5 * (thi - tlo) * x + 0.5 * (thi + tlo)
    ws = 0.5 * (thi - tlo) * w
    return sum(wt * f(*momenta(mB, mM, m, q2, t, m2)) for t, wt in zip(ts, ws))


def dgamma_dq2(family, ops, mode_info, q2, m, ff_fn, mb, ms, variant=None, n_t=6):
    """dGamma/dq^2 by Gauss-Legendre integration over t = (p_K + k_1)^2."""
    kind, mB, mM = mode_info
    ff = ff_fn(q2)
    tot = dalitz_integral(lambda p, k, k1, k2: msq_point(family, ops, kind, p, k, k1, k2, m, ff,
                                                         mB, mM, mb, ms, variant),
                          mB, mM, m, q2, n_t)
    ident = variant in ("real", "majorana")
    return (0.5 if ident else 1.0) * tot / (256 * np.pi ** 3 * mB ** 3)
