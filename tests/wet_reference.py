"""Independent numpy reference for the scalar, tensor and right-handed (massive) b -> s nu nu
operators (used by tests/test_bsnunu_wet.py).

Nothing here uses bkfit's helicity algebra: the B -> K(*) matrix elements are the covariant
ones of tests/invisible_reference.py (BSZ/flavio form-factor definitions), the neutrinos are
explicit Dirac-representation spinors of UNEQUAL masses built in the B rest frame from the
Dalitz variables (q^2, t = (p_K + k_1)^2) with an arbitrary orientation, the chiral
projectors are applied as matrices to the quark and lepton bilinears, the K* polarisation sum
is -g + k k / m^2 (or the explicit helicity-0 vector for F_L), and the t integral is a
Gauss-Legendre sum:  dGamma/dq^2 = 1/(256 pi^3 m_B^3) int dt sum |M|^2.
"""
from __future__ import annotations

import itertools

import numpy as np

import invisible_reference as R

ID4 = np.eye(4, dtype=complex)
PL = 0.5 * (ID4 - R.G5)
PR = 0.5 * (ID4 + R.G5)

# lepton Gamma (upper indices) and the projector on the quark side of each operator prefix
LEPTON = {
    "CSL": (PL, "S", "L"), "CSR": (PL, "S", "R"),
    "CTL": (np.einsum("mnij,jk->mnik", R.SIG, PL), "T", "L"),
    "CSLprime": (PR, "S", "L"), "CSRprime": (PR, "S", "R"),
    "CTRprime": (np.einsum("mnij,jk->mnik", R.SIG, PR), "T", "R"),
    "CLprime": (2.0 * np.einsum("mij,jk->mik", R.GAM, PR), "V", "L"),
    "CRprime": (2.0 * np.einsum("mij,jk->mik", R.GAM, PR), "V", "R"),
    # identically vanishing combinations (checked to vanish)
    "CTR": (np.einsum("mnij,jk->mnik", R.SIG, PL), "T", "R"),
    "CTLprime": (np.einsum("mnij,jk->mnik", R.SIG, PR), "T", "L"),
}


def quark_current(had, kind, chir, e):
    """<M| sbar Gamma P_chir b |B> written from the definitions: P_{L,R} = (1 -+ g5)/2 and
    sbar g5 b = -i (sbar i g5 b); gamma^mu g5 and sigma^{mu nu} g5 from the reference."""
    sgn = -1.0 if chir == "L" else 1.0
    if kind == "S":
        g5 = -1j * had.P_(e)                        # <sbar g5 b>
        return 0.5 * (had.S(e) + sgn * g5)
    if kind == "V":
        return 0.5 * (had.V(e) + sgn * had.A(e))
    return 0.5 * (had.T(e) + sgn * had.T5(e))


def msq_point(ops, kind, p, k, k1, k2, m1, m2, ff, mB, mM, mb, ms, longitudinal=False):
    """sum over spins (and K* polarisations) of |M|^2/N^2 for ops = {prefix: C}."""
    had = R.Hadronic(kind, p, k, ff, mB, mM, mb, ms)
    if kind == "V" and longitudinal:
        kk = np.linalg.norm(k[1:])
        pols = [np.concatenate([[kk], k[0] * k[1:] / kk]) / mM]      # helicity 0 (real)
        Pm = np.ones((1, 1))
    elif kind == "V":
        pols = list(np.eye(4))
        Pm = R.polsum(k, mM)
    else:
        pols, Pm = [None], np.ones((1, 1))
    confs = list(itertools.product(range(2), range(2)))
    amps = np.zeros((len(pols), len(confs)), complex)
    for a, e in enumerate(pols):
        for c, (s1, s2) in enumerate(confs):
            ub = R.ubar(R.u_spinor(k1, m1, s1))
            v = R.v_spinor(k2, m2, s2)
            for name, C in ops.items():
                gam, qk, chir = LEPTON[name]
                D = np.einsum("i,...ij,j->...", ub, gam, v)
                Q = {"S": "S", "V": "V", "T": "T"}[qk]
                amps[a, c] += C * R.contract(Q, quark_current(had, qk, chir, e), D)
    return np.real(np.einsum("ac,bc,ab->", amps, amps.conj(), Pm))


def dgamma_dq2(ops, mode_info, q2, m1, m2, ff_fn, mb, ms, n_t=8, longitudinal=False):
    """dGamma/dq^2 / N^2 (N = 4 G_F/sqrt2 |V_tb V_ts^*| alpha/(4 pi)) by Gauss-Legendre
    integration over t."""
    kind, mB, mM = mode_info
    ff = ff_fn(q2)
    tot = R.dalitz_integral(lambda p, k, k1, k2: msq_point(ops, kind, p, k, k1, k2, m1, m2, ff,
                                                           mB, mM, mb, ms, longitudinal),
                            mB, mM, m1, q2, n_t, m2)
    return tot / (256 * np.pi ** 3 * mB ** 3)
