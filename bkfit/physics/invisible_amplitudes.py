r"""The explicit amplitudes of B -> K(*) + light invisible pairs (``docs/invisible.md``):
kinematics, the closed-form helicity decomposition of the hadronic matrix elements
(:func:`hadronic`), the dark spinors and polarisation structures, and the exact
direction-averaged |M|^2 (:func:`msq_averaged`).  The families of ``invisible.py`` build their
rates from these; the likelihood path contracts the same hadronic amplitudes with tabulated
dark Gram matrices (``invisible_gram``) and bin tables (``invisible_bins``), and this code
stays their reference."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .bsnunu import MODES
from .common import kallen_pos, safe_sqrt
from .dirac import C_DUAL, G, G5, SIG, dot, eps_contract
from .formfactors import ff_BK, ff_BKstar
from .invisible_gram import dark_slots, hadronic_slots


# --------------------------------------------------------------------------- kinematics
def masses(mode, par):
    """(m_B, m_M, kind, tau_B) of ``mode`` (kind "P" for K, "V" for K*)."""
    B, M, kind = MODES[mode]
    return par["m_" + B], par["m_" + M], kind, par["tau_" + B]


def q2max(mode, par):
    """Kinematic endpoint (m_B - m_M)^2 in GeV^2 of B -> M + invisible for ``mode``."""
    mB, mM, _, _ = masses(mode, par)
    return (mB - mM) ** 2


def safe_q2(q2):
    """q^2 kept above 1e-12 GeV^2 (finite square roots and divisions at q^2 -> 0)."""
    tiny = 1e-12
    return jnp.where(q2 > tiny, q2, tiny)


# --------------------------------------------------------------------------- hadronic side
def hadronic(mode, q2, par):
    """Helicity decomposition of <M|sbar Gamma b|B> in the q rest frame (M along +z).

    Returns {Gamma: ...} with leading axis = meson helicity (1 entry for K; eta = +, -, 0 for
    K*):  'S', 'P': J=0 amplitude;  'V', 'A': (time component, spatial 3-vector);
    'T', 'T5': (E, B) 3-vectors of the tensor matrix element (contravariant components).
    Form factors: BSZ definitions as in flavio (see docs/invisible.md)."""
    mB, mM, kind, _ = masses(mode, par)
    q2s = safe_q2(q2)
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


def prefactor(mode, q2, m, par):
    """tau_B sqrt(lambda) beta / (256 pi^3 m_B^3): dBR/dq^2 = prefactor x S x <sum|M|^2>."""
    mB, mM, _, tau = masses(mode, par)
    q2s = safe_q2(q2)
    lam = kallen_pos(mB ** 2, mM ** 2, q2s)
    beta = safe_sqrt(1.0 - 4.0 * m * m / q2s)
    return tau * safe_sqrt(lam) * beta / (256.0 * jnp.pi ** 3 * mB ** 3)


def pair_kinematics(q2, m):
    """Pair rest frame, particle 1 along +z: E, p, and sqrt(E+p)."""
    E = 0.5 * jnp.sqrt(safe_q2(q2))
    p = safe_sqrt(E * E - m * m)
    return E, p


def spinors(q2, m):
    """u(k1, s) (k1 along +z) and v(k2, s) (k2 along -z), Weyl representation."""
    E, p = pair_kinematics(q2, m)
    b = jnp.sqrt(E + p)
    a = m / b                          # = sqrt(E - p), smooth at m = 0
    z = jnp.zeros_like(a)
    u = jnp.stack([jnp.stack([a, z, b, z]), jnp.stack([z, b, z, a])]).astype(complex)
    v = jnp.stack([jnp.stack([b, z, -a, z]), jnp.stack([z, a, z, -b])]).astype(complex)
    return u, v


def dark_gamma(D):
    """The Dirac matrix Gamma_D of a dark fermion bilinear (S, P, V, A, T, T5)."""
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


def vector_dark(op, ka, ea, kb, eb):
    """Dark structure of operator ``op`` for particle (ka, ea) and antiparticle (kb, eb)
    (contravariant; ea, eb batched (nc, 4); polarisation vectors enter complex-conjugated,
    our basis is real)."""
    q = ka + kb
    if op == "S":
        return dot(ea, eb)
    if op in ("T1", "T2"):
        t = ea[:, :, None] * eb[:, None, :] - ea[:, None, :] * eb[:, :, None]
        return (0.5j if op == "T1" else 0.5) * t
    if op == "V2":
        return 1j * (dot(q, eb)[:, None] * ea + dot(q, ea)[:, None] * eb)
    if op == "V3":
        kd = jnp.broadcast_to(kb - ka, ea.shape)
        return 1j * eps_contract(kd, ea, eb)
    if op == "V4":
        return (ka - kb)[None, :] * dot(ea, eb)[:, None]
    if op == "V5":
        return -(dot(q, eb)[:, None] * ea - dot(q, ea)[:, None] * eb)
    if op == "V6":
        return -eps_contract(jnp.broadcast_to(q, ea.shape), ea, eb)
    raise KeyError(op)
