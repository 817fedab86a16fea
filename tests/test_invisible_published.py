"""B -> K(*) + dark pairs against rates that do not come from bkfit: closed forms derived by
hand from the seed's Lagrangians, and the numbers the seed quotes for stated couplings and
masses.  Everything goes through the public observables (``dBR/dq2(...)``, ``BR(...)``).

Seed = He, Ma, Valencia (arXiv:2309.12741, JHEP 03 (2023) 037 operators; the VLQ model of
arXiv:2403.12485 / JHEP 07 (2024) 168), text in /work/shared/seed/000_e4b7b90a3336c7b0.txt
("seed line N" below):
  * scalar pair: O_S = (sbar b)(phi^dag phi), O_V = (sbar g_mu b)(phi^dag i d<->^mu phi),
    C_S = 1/Lambda, C_V = 1/Lambda^2 (seed lines 877-887); real field vanishes for O_V
    (line 875); the VLQ model's L = 1/2 C_S^{ij} (dbar_i d_j) phi^2 (lines 1754-1766);
  * fermion pair: O_S1,2 = (sbar b)(chibar {1, i g5} chi), O_V1,2 = (sbar g_mu b)(chibar g^mu
    {1, g5} chi), O_T1,2 = (sbar s_{mu nu} b)(chibar s^{mu nu} {1, g5} chi) (lines 918-933);
  * vector pair: eq. (18a)-(18h) (lines 955-1018) with C = m^2 Chat (S, T1, T2, V2, V4, V5),
    m Chat (V3, V6), eq. (19) (lines 1125-1136).
The extracted seed text contains no rate formula (the papers' rate expressions did not
survive the PDF extraction, and the search tools here did not return them), so the closed
forms below are derived in this file from those Lagrangians with textbook tools (spin traces,
polarisation sums -g + kk/m^2 written as Ptilde = m^2 P = -m^2 g + kk, helicity amplitudes of
the BSZ form factors), never from bkfit's code.  Kinematics: dGamma/dq^2 = sqrt(lam) beta
sum|M|^2 / (256 pi^3 m_B^3), x 1/2 for identical particles; <> = average over the direction
of the pair (cos theta in its rest frame, exact Gauss-Legendre for the polynomials here).
Form-factor values are inputs (bkfit.physics.formfactors, validated against flavio in
tests/test_bsnunu_flavio.py).  Tolerance of the closed forms: 1e-6 relative.

Published numbers (seed): the NP windows (1.86 +- 0.67)e-5 (Belle II) and (0.86 +- 0.40)e-5
(new average), eq. (1.4) (lines 1596-1600); the NP bounds 2.3e-5 (B0 -> K0), 3.1e-5
(B+ -> K*+), 1.0e-5 (B0 -> K*0) (lines 1605-1611); the VLQ benchmark 'excess explained with
C_S^{sb} ~ (3-8)/(1e5 TeV) for m_phi = 1 GeV' (lines 1654-1662, 2081); Fig. 6: 'except for
the two operators with tensor quark currents O_qX1,2^T, the remaining operators contain a large
acceptable parameter region' (lines 1138-1143; slides line 1096 'mostly ruled out by other
modes').
"""
import math

import numpy as np
import pytest
from scipy import integrate

import bkfit  # noqa: F401  (float64)
from bkfit.observables import predict
from bkfit.physics.formfactors import ff_BK, ff_BKstar

TOL = 1e-6
MODES = {"B+->K": ("B+", "K+"), "B0->K": ("B0", "K0"), "B0->K*": ("B0", "K*0"),
         "B+->K*": ("B+", "K*+")}
# exact angular average of polynomials of degree <= 9 in cos(theta)
_C, _W = np.polynomial.legendre.leggauss(5)
_W = _W / 2.0


# ------------------------------------------------------------------ kinematics and inputs
class Kin:
    """Masses, lambda, beta, form factors and the phase-space factor at (mode, q2, m)."""

    def __init__(self, par, mode, q2, m):
        B, M = MODES[mode]
        self.mB, self.mM, self.tau = par["m_" + B], par["m_" + M], par["tau_" + B]
        self.mb, self.ms = par["m_b"], par["m_s"]
        self.q2, self.m = q2, m
        self.kaon = mode.endswith("K")          # B -> K (else B -> K*)
        self.lam = (self.mB ** 2 - self.mM ** 2 - q2) ** 2 - 4 * self.mM ** 2 * q2
        self.beta = math.sqrt(1.0 - 4.0 * m * m / q2)
        self.delta = self.mB ** 2 - self.mM ** 2
        ff = (ff_BK if self.kaon else ff_BKstar)(q2, par)
        self.ff = {k: float(v) for k, v in ff.items()}
        # dBR/dq2 per unit sum|M|^2
        self.ps = self.tau * math.sqrt(self.lam) * self.beta / (256 * math.pi ** 3 * self.mB ** 3)

    # B -> K: <K|sbar b|B> and the helicity form of <K|sbar g^mu b|B> in the q rest frame
    def s_K(self):
        return self.delta * self.ff["f0"] / (self.mb - self.ms)

    def h_time(self):                      # H^0 (f0 part), along q
        return self.ff["f0"] * self.delta / math.sqrt(self.q2)

    def h_space(self):                     # |H vec| (f+ part), along the K direction
        return self.ff["f+"] * math.sqrt(self.lam) / math.sqrt(self.q2)

    # B -> K*: sum over the K* helicity of the squared spatial amplitudes in the q frame
    def kst_vector(self):                  # eta = +-: V sqrt(lam)/(mB + mV)
        return 2 * self.lam * self.ff["V"] ** 2 / (self.mB + self.mM) ** 2

    def kst_axial(self):                   # eta = +-: (mB + mV) A1; eta = 0: 8 mB mV A12/sqrt(q2)
        return (2 * (self.mB + self.mM) ** 2 * self.ff["A1"] ** 2
                + 64 * self.mB ** 2 * self.mM ** 2 * self.ff["A12"] ** 2 / self.q2)

    def kst_axial_time(self):              # |H_t|^2 = lam A0^2 / q2
        return self.lam * self.ff["A0"] ** 2 / self.q2

    def kst_pseudo(self):                  # |<K*|sbar g5 b|B>|^2 = lam A0^2/(mb + ms)^2
        return self.lam * self.ff["A0"] ** 2 / (self.mb + self.ms) ** 2


def bkfit_diff(par, mode, tag, coeffs, q2s):
    return np.atleast_1d(np.asarray(predict(f"dBR/dq2({mode}{tag})", coeffs, par,
                                            q2=np.asarray(q2s, dtype=float)), dtype=float))


def q2_points(par, mode, m):
    """just above threshold (beta ~ 1e-3), close to it, middle, close to the endpoint."""
    B, M = MODES[mode]
    top = (par["m_" + B] - par["m_" + M]) ** 2
    thr = 4 * m * m
    first = thr * (1 + 1e-6) if m > 0 else 1e-3
    return [first, thr + 0.05, 0.5 * (thr + top), top - 0.01]


def check(got, want, what):
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert np.all(want > 0), (what, want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    rel = np.abs(got / want - 1)
    assert np.all(rel < TOL), (what, rel, got, want)


# ------------------------------------------------------------------ scalar pair
def scalar_msq(kin, op):
    """sum|M|^2 per |C|^2, complex phi.  phi^dag i d<->_mu phi -> (k1 - k2)_mu: time
    component 0 in the pair frame, |k1 - k2| = sqrt(q2) beta; <cos^2> = 1/3."""
    K = kin.kaon
    if op == "S":
        return kin.s_K() ** 2 if K else 0.0
    if op == "P":
        return 0.0 if K else kin.kst_pseudo()
    sp = kin.q2 * kin.beta ** 2 / 3.0
    if op == "V":
        return sp * (kin.h_space() ** 2 if K else kin.kst_vector())
    if op == "A":
        return 0.0 if K else sp * kin.kst_axial()
    raise KeyError(op)


@pytest.mark.parametrize("m", [0.0, 1e-3, 0.3, 2.3])
def test_scalar_pair_B_to_K_closed_form(par, m):
    """B -> K phi phi: O_S: sum|M|^2 = |C_S|^2 (f0 (mB^2 - mK^2)/(mb - ms))^2;
    O_V: |C_V|^2 lam beta^2 f+^2 / 3; real phi (L = 1/2 C O): O_S x 1/2 (amplitude C, identical
    particles), O_V = 0.  O_P, O_A vanish (parity); O_S and O_V do not interfere in the rate."""
    for mode in ("B+->K", "B0->K"):
        qs = q2_points(par, mode, m)
        kins = [Kin(par, mode, q, m) for q in qs]
        for op, C in (("S", 2.3e-7), ("V", 1.7e-6)):
            want = [k.ps * abs(C) ** 2 * scalar_msq(k, op) for k in kins]
            got = bkfit_diff(par, mode, "phiphi", {f"C{op}_bsphiphi": C, "m_phi": m}, qs)
            check(got, want, (mode, op, m))
            if op == "S":
                got = bkfit_diff(par, mode, "phiphi", {"CS_bsphiphi": C, "m_phi": m,
                                                       "phi_real": True}, qs)
                check(got, 0.5 * np.asarray(want), (mode, "S real", m))
        # S and V together: no interference; complex coefficients enter through |C|^2
        cS, cV = 1e-7 * (0.3 - 1.1j), 2e-6 * (0.8 + 0.4j)
        want = [k.ps * (abs(cS) ** 2 * scalar_msq(k, "S")
                        + abs(cV) ** 2 * scalar_msq(k, "V")) for k in kins]
        got = bkfit_diff(par, mode, "phiphi", {"CS_bsphiphi": cS, "CV_bsphiphi": cV,
                                               "m_phi": m}, qs)
        check(got, want, (mode, "S+V", m))
        for op in ("P", "A"):
            assert np.all(bkfit_diff(par, mode, "phiphi", {f"C{op}_bsphiphi": 1.0,
                                                           "m_phi": m}, qs) == 0.0)
        assert np.all(bkfit_diff(par, mode, "phiphi", {"CV_bsphiphi": 1.0, "m_phi": m,
                                                       "phi_real": True}, qs) == 0.0)


@pytest.mark.parametrize("m", [0.0, 0.3, 2.1])
def test_scalar_pair_B_to_Kstar_closed_form(par, m):
    """B -> K* phi phi with the K* helicity amplitudes in the q rest frame:
    O_P: |C|^2 lam A0^2/(mb + ms)^2; O_V: |C|^2 (q2 beta^2/3) 2 lam V^2/(mB + mV)^2;
    O_A: |C|^2 (q2 beta^2/3) [2 (mB + mV)^2 A1^2 + 64 mB^2 mV^2 A12^2/q2]; O_S = 0."""
    for mode in ("B0->K*", "B+->K*"):
        qs = q2_points(par, mode, m)
        kins = [Kin(par, mode, q, m) for q in qs]
        for op, C in (("P", 3e-7), ("V", 1e-6), ("A", 2e-6)):
            want = [k.ps * C ** 2 * scalar_msq(k, op) for k in kins]
            got = bkfit_diff(par, mode, "phiphi", {f"C{op}_bsphiphi": C, "m_phi": m}, qs)
            check(got, want, (mode, op, m))
        got = bkfit_diff(par, mode, "phiphi", {"CP_bsphiphi": 3e-7, "m_phi": m,
                                               "phi_real": True}, qs)
        check(got, [0.5 * k.ps * 9e-14 * scalar_msq(k, "P") for k in kins], (mode, "Pr"))
        assert np.all(bkfit_diff(par, mode, "phiphi", {"CS_bsphiphi": 1.0, "m_phi": m},
                                 qs) == 0.0)


def test_scalar_pair_total_rate_closed_form(par):
    """BR(B+ -> K+ phi phi) (bkfit's own q^2 quadrature) vs scipy quad of the closed forms
    (substitution q2 = thr + (top - thr) s^2 removes the sqrt threshold): 1e-6."""
    mode = "B+->K"
    top = (par["m_B+"] - par["m_K+"]) ** 2
    for op, C, m in (("S", 1e-7, 0.8), ("V", 1e-6, 0.3), ("V", 1e-6, 0.0)):
        thr = 4 * m * m

        def f(s):
            q2 = thr + (top - thr) * s * s
            if q2 <= max(thr, 1e-12) or q2 >= top:
                return 0.0
            k = Kin(par, mode, q2, m)
            return k.ps * C * C * scalar_msq(k, op) * 2 * (top - thr) * s
        want = integrate.quad(f, 0.0, 1.0, epsabs=0, epsrel=1e-10, limit=200)[0]
        got = float(predict("BR(B+->Kphiphi)", {f"C{op}_bsphiphi": C, "m_phi": m}, par))
        assert abs(got / want - 1) < TOL, (op, m, got, want)


# ------------------------------------------------------------------ fermion pair
def fermion_msq(kin, op):
    """sum over spins of |M|^2 per |C|^2, Dirac chi, from the traces
    ubar G v (ubar G v)^*: S: 4(k1.k2 - m^2) = 2 q2 beta^2; i g5: 4(k1.k2 + m^2) = 2 q2;
    g^mu: spatial 2 q2 (1 - beta^2/3) delta^ij (pair-direction average), time 0;
    g^mu g5: spatial (4/3) q2 beta^2 delta^ij, time 8 m^2;
    tensor (B -> K): <K|sbar s^{mu nu} b|B> = i fT/(mB+mK)(P^mu q^nu - P^nu q^mu) selects
    ubar s^{30} v in the q frame: <sum|.|^2> = q2 (2 - 4 beta^2/3); with g5 the dual selects
    ubar s^{12} v: (2/3) q2 beta^2; |M|^2 = 4 fT^2 lam/(mB+mK)^2 x that."""
    q2, b2, m = kin.q2, kin.beta ** 2, kin.m
    Q, D = op[0], op[1:]
    K = kin.kaon
    if Q in ("S", "P"):
        h2 = (kin.s_K() ** 2 if Q == "S" else 0.0) if K else \
            (kin.kst_pseudo() if Q == "P" else 0.0)
        return h2 * (2 * q2 * b2 if D == "S" else 2 * q2)
    if Q in ("V", "A"):
        if K:
            space = kin.h_space() ** 2 if Q == "V" else 0.0
            time = kin.h_time() ** 2 if Q == "V" else 0.0
        else:
            space = kin.kst_vector() if Q == "V" else kin.kst_axial()
            time = 0.0 if Q == "V" else kin.kst_axial_time()
        if D == "V":
            return space * 2 * q2 * (1 - b2 / 3)
        return space * 4 * q2 * b2 / 3 + time * 8 * m * m
    assert K
    t2 = 4 * kin.ff["fT"] ** 2 * kin.lam / (kin.mB + kin.mM) ** 2
    return t2 * (q2 * (2 - 4 * b2 / 3) if D == "T" else 2 * q2 * b2 / 3)


@pytest.mark.parametrize("m", [0.0, 0.7, 2.1])
def test_fermion_pair_closed_form(par, m):
    """B -> K chi chi (SS, SP, VV, VA, TT, TT5) and B0 -> K*0 chi chi (PS, PP, VV, VA, AV, AA),
    Dirac; Majorana (same Lagrangian) twice the Dirac rate for SS, SP, PS, PP, VA, AA.  The
    seed's O_S1 = SS, O_S2 = SP, O_V1 = VV, O_V2 = VA, O_T1 = TT, O_T2 = TT5."""
    for mode, ops in (("B+->K", ("SS", "SP", "VV", "VA", "TT", "TT5")),
                      ("B0->K*", ("PS", "PP", "VV", "VA", "AV", "AA"))):
        qs = q2_points(par, mode, m)
        kins = [Kin(par, mode, q, m) for q in qs]
        for op in ops:
            C = 1e-6
            want = np.array([k.ps * C * C * fermion_msq(k, op) for k in kins])
            got = bkfit_diff(par, mode, "chichi", {f"C{op}_bschichi": C, "m_chi": m}, qs)
            check(got, want, (mode, op, m))
            if op in ("SS", "SP", "PS", "PP", "VA", "AA"):
                got = bkfit_diff(par, mode, "chichi", {f"C{op}_bschichi": C, "m_chi": m,
                                                       "chi_majorana": True}, qs)
                check(got, 2 * want, (mode, op, "majorana", m))


# ------------------------------------------------------------------ vector pair (B -> K)
def _dot(a, b):
    """Minkowski product of (time, z) vectors: exact when one of them has no x, y parts."""
    return a[0] * b[0] - a[1] * b[1]


def vector_msq_K(kin, op, c):
    """m^(2n) sum|M|^2 per |Chat|^2 for B -> K X X at pair-direction cosine c (particle 1 at
    angle theta to the K recoil axis in the pair frame), from the operators of eq. (18):
      S : <K|sbar b|B>^2 Ptilde1.Ptilde2 = s_K^2 [2 m^4 + (k1.k2)^2]
      V4: (H.(k1 - k2))^2 [2 m^4 + (k1.k2)^2]
      V2: (H Pt1 H)(q Pt2 q) + (H Pt2 H)(q Pt1 q) + 2 (H Pt1 q)(H Pt2 q)     (M = iC[...+...])
      V5: same with - 2 (H Pt1 q)(H Pt2 q)                                    (M = -C[...-...])
      T1: V5 with H -> P = p + k, times (fT/(mB + mK))^2
      V3: F = eps(H, k2 - k1, ., .): m^2 F.F + 2 G,  F.F = -2 (H^2 d^2 - (H.d)^2), d = k2 - k1
      V6: F = eps(H, q, ., .):       m^2 F.F + 2 G,  F.F = -2 (H^2 q^2 - (H.q)^2)
      T2: (fT/(mB + mK))^2 [m^4 (-2)(P^2 q^2 - (P.q)^2) + 2 m^2 G(P)]
    with Ptilde = m^2 (-g + kk/m^2), (a Pt b) = -m^2 a.b + (a.k)(b.k), H = <K|sbar g b|B>,
    G(A) = Gram determinant of (A, k1, k2) (from eps.eps = -det of deltas; F k1 k2 = 0)."""
    Q = math.sqrt(kin.q2)
    E, p, m = Q / 2, Q * kin.beta / 2, kin.m
    # (time, z) parts: enough for dot products with H, P, q (no transverse parts); the
    # products among k1, k2 are written with the full three-vectors
    k1, k2, q = (E, p * c), (E, -p * c), (Q, 0.0)
    k12 = E * E + p * p                    # k1.k2 = q2/2 - m^2 (back to back)
    H = (kin.h_time(), kin.h_space())
    Pv = (kin.delta / Q, math.sqrt(kin.lam) / Q)
    cT2 = (kin.ff["fT"] / (kin.mB + kin.mM)) ** 2

    def pt(a, b, k):
        return -m * m * _dot(a, b) + _dot(a, k) * _dot(b, k)

    def gram(A):
        g = np.array([[_dot(A, A), _dot(A, k1), _dot(A, k2)],
                      [_dot(A, k1), m * m, k12],
                      [_dot(A, k2), k12, m * m]])
        return np.linalg.det(g)

    pol = 2 * m ** 4 + k12 ** 2
    if op == "S":
        return kin.s_K() ** 2 * pol
    if op == "V4":
        return _dot(H, (0.0, 2 * p * c)) ** 2 * pol
    if op in ("V2", "V5", "T1"):
        A = Pv if op == "T1" else H
        sign = 1.0 if op == "V2" else -1.0
        val = (pt(A, A, k1) * pt(q, q, k2) + pt(A, A, k2) * pt(q, q, k1)
               + sign * 2 * pt(A, q, k1) * pt(A, q, k2))
        return cT2 * val if op == "T1" else val
    if op in ("V3", "V6"):
        d = (0.0, -2 * p * c) if op == "V3" else q          # z part of d = k2 - k1
        dd = -4 * p * p if op == "V3" else kin.q2
        FF = -2 * (_dot(H, H) * dd - _dot(H, d) ** 2)
        return m * m * FF + 2 * gram(H)
    if op == "T2":
        FF = -2 * (_dot(Pv, Pv) * _dot(q, q) - _dot(Pv, q) ** 2)
        return cT2 * (m ** 4 * FF + 2 * m * m * gram(Pv))
    raise KeyError(op)


def vector_avg_K(kin, op):
    return sum(w * vector_msq_K(kin, op, c) for c, w in zip(_C, _W))


VECTOR_OPS = ("S", "T1", "T2", "V2", "V3", "V4", "V5", "V6")


@pytest.mark.parametrize("m", [0.0, 1e-3, 0.7, 2.3])
def test_vector_pair_B_to_K_closed_form(par, m):
    """B+ -> K+ X X for every operator of eq. (18) with the mass-stripped coefficients of
    eq. (19) (C = m^n Chat); real X (L = 1/2 C O, X^dag -> X): S, V2, V3 give 1/2 of the
    complex rate (their amplitudes are symmetric in the two X), the others vanish."""
    mode = "B+->K"
    qs = q2_points(par, mode, m)
    kins = [Kin(par, mode, q, m) for q in qs]
    for op in VECTOR_OPS:
        want = np.array([k.ps * vector_avg_K(k, op) for k in kins])
        if op == "T2" and m == 0.0:        # vanishes like m^2 (only transverse X couple)
            got = bkfit_diff(par, mode, "XX", {"CT2hat_bsXX": 1.0, "m_X": m}, qs)
            scale = bkfit_diff(par, mode, "XX", {"CT1hat_bsXX": 1.0, "m_X": m}, qs)
            assert np.all(want == 0.0) and np.all(np.abs(got) <= 1e-12 * scale), got
            continue
        got = bkfit_diff(par, mode, "XX", {f"C{op}hat_bsXX": 1.0, "m_X": m}, qs)
        check(got, want, (op, m))
        real = bkfit_diff(par, mode, "XX", {f"C{op}hat_bsXX": 1.0, "m_X": m, "X_real": True},
                          qs)
        if op in ("S", "V2", "V3"):
            check(real, 0.5 * want, (op, "real", m))
        else:
            assert np.all(real == 0.0), (op, real)
    if m > 0:
        # the full coefficients C = m^n Chat (keys without 'hat') give the same rates
        for op, n in (("V2", 2), ("V6", 1)):
            want = np.array([k.ps * vector_avg_K(k, op) for k in kins])
            got = bkfit_diff(par, mode, "XX", {f"C{op}_bsXX": m ** n, "m_X": m}, qs)
            check(got, want, (op, "full C", m))


# ------------------------------------------------------------------ published numbers
def test_seed_vlq_benchmark_band(par):
    """Seed lines 1654-1662 (slides of arXiv:2403.12485): 'excess can be explained, i.e. with
    C_S^{sb} ~ (3 - 8)/(1e5 TeV)' at m_phi = 1 GeV, real phi with L = 1/2 C_S (sbar b) phi^2
    + h.c. (line 1754).  The excess is the NP window of eq. (1.4) (line 1598): new average
    (0.86 +- 0.40)e-5, Belle II (1.86 +- 0.67)e-5.  The band's BR image must contain the
    new-average central value and stay inside the 2-sigma union of the two windows
    [0.06, 3.2]e-5: a loose check (the seed's band edges, its form factors and the efficiency
    treatment behind 'Belle II with E.E.' are not stated in the text; bkfit's band image is
    about [0.20, 1.44]e-5)."""
    c = lambda C: {"CS_bsphiphi": C, "m_phi": 1.0, "phi_real": True}  # noqa: E731
    lo = float(predict("BR(B+->Kphiphi)", c(3e-8), par))
    hi = float(predict("BR(B+->Kphiphi)", c(8e-8), par))
    assert lo < 0.86e-5 < hi, (lo, hi)
    assert (0.86 - 2 * 0.40) * 1e-5 < lo and hi < (1.86 + 2 * 0.67) * 1e-5, (lo, hi)


def test_seed_fig6_tensor_vector_operators_excluded(par):
    """Seed Fig. 6 / lines 1138-1143: for vector DM, the tensor-quark-current operators T1, T2
    have (almost) no region reproducing the B+ -> K+ excess, every other operator of eq. (18)
    has a large one.  Quantified with the seed's numbers: tune |Chat| so that BR(B+ -> K+ X X)
    equals the lower 1-sigma edge of the new average, 0.46e-5 (line 1599); then T1 at every
    mass and T2 for 0 < m_X <= 1.5 GeV break the B0 -> K*0 NP bound 1.0e-5 (line 1611).  At the
    central value 0.86e-5, S and V2-V6 respect all three bounds (B0 -> K0 2.3e-5,
    B+ -> K*+ 3.1e-5, B0 -> K*0 1.0e-5) at m_X = 0.3 and 1 GeV.  (In bkfit the K*0/K+ ratio
    is 2.7-13 for T1 and 0.83-1800 for T2 over 0-2 GeV, <= 0.42 for the others.)"""
    def brs(op, m, modes):
        c = {f"C{op}hat_bsXX": 1.0, "m_X": m}
        return [float(predict(f"BR({mo}XX)", c, par)) for mo in modes]
    for op, masses in (("T1", (0.0, 0.7, 2.0)), ("T2", (0.3, 1.0, 1.5))):
        for m in masses:              # (T2: B+ -> K+ vanishes at m = 0; allowed at 2 GeV)
            k, ks0 = brs(op, m, ("B+->K", "B0->K*"))
            assert ks0 * 0.46e-5 / k > 1.0e-5, (op, m, ks0 / k)
    for op in ("S", "V2", "V3", "V4", "V5", "V6"):
        for m in (0.3, 1.0):
            k, k0, ksp, ks0 = brs(op, m, ("B+->K", "B0->K", "B+->K*", "B0->K*"))
            s = 0.86e-5 / k
            assert k0 * s < 2.3e-5 and ksp * s < 3.1e-5 and ks0 * s < 1.0e-5, (op, m)
