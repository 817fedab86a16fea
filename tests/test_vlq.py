"""VLQ + real scalar dark matter (bkfit/physics/vlq.py, bkfit/models/vlq.py).

References: the seed (He, Ma, Schmidt, Valencia, Volkas, JHEP 07 (2024) 168, arXiv:2403.12485,
slides + excerpts in /work/shared/seed/000_e4b7b90a3336c7b0.txt).  Each test states what the
prediction is compared with and the tolerance."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

import bkfit  # noqa: F401
from bkfit import observables as O
from bkfit.inputs import load_db
from bkfit.models import make_model
from bkfit.models.base import ModelError
from bkfit.physics import relic, vlq
from bkfit.physics.formfactors import ff_BK

PAR = load_db().central
TEV = 1e-3          # 1/TeV in GeV^-1


def obs(name, c, **a):
    return float(O.get(name).fn(c, PAR, **a))


# ----------------------------------------------------------------------------- matching
def test_matching_chiral_projection_independent():
    """(C_S + i C_P)/2 = coefficient of dbar_L^i d_R^j phi^2, built independently from the
    phi-SMEFT of eq. (3.2a): y1 term y_q^i y_d^j y1 v/(2 mQ mD) (the seed's LEFT
    normalisation), mass insertions y_q^i y_q^{j*} m_j/(2 mQ^2) + y_d^{i*} y_d^j m_i/(2 mD^2)
    (Y_d <H> = diag(m)); and hermiticity C^{ji} = C^{ij*}.  Tolerance 1e-12 relative (up
    sector 1e-9: m_t + m_u sums cancel in the S/P recombination)."""
    rng = np.random.default_rng(1)
    yq = rng.normal(size=3) + 1j * rng.normal(size=3)
    yd = rng.normal(size=3) + 1j * rng.normal(size=3)
    y1, mQ, mD, v = 0.7, 1500.0, 2300.0, 246.0
    md = np.array([0.005, 0.09, 4.2])
    mu = np.array([0.002, 1.27, 172.0])
    V = np.eye(3)
    CS, CP, CSu, CPu = [np.asarray(a) for a in vlq.left_matrices(yq, yd, y1, mQ, mD, md, mu, V, v)]
    LR = np.empty((3, 3), complex)
    for i in range(3):
        for j in range(3):
            LR[i, j] = (yq[i] * yd[j] * y1 * v / (2 * mQ * mD)
                        + yq[i] * np.conj(yq[j]) * md[j] / (2 * mQ ** 2)
                        + np.conj(yd[i]) * yd[j] * md[i] / (2 * mD ** 2))
    np.testing.assert_allclose((CS + 1j * CP) / 2, LR, rtol=1e-12)
    np.testing.assert_allclose((CS - 1j * CP) / 2, np.conj(LR).T, rtol=1e-12)   # dbar_R d_L
    np.testing.assert_allclose(CS, np.conj(CS).T, rtol=1e-12)
    np.testing.assert_allclose(CP, np.conj(CP).T, rtol=1e-12)
    # up sector: only ubar_L u_R from the Q mass insertion, yt^i yt^{j*} m_uj/(2 mQ^2)
    np.testing.assert_allclose((CSu + 1j * CPu) / 2,
                               np.outer(yq, np.conj(yq)) * mu[None, :] / (2 * mQ ** 2), rtol=1e-9)


def test_model_keys_and_benchmark_ratios():
    """Seed benchmark structure |y^d_{q,d}| ~ 0.2 |y^s_{q,d}| => |C^dd| ~ 0.2 |C^ds| ~ 0.04 |C^ss|
    (seed slide 'phi as dark matter'); tolerance 10 % (mass-insertion terms)."""
    m = make_model("vlq_scalar_dm", {"couplings": ["yq_d", "yq_s", "yd_d", "yd_s", "yd_b"],
                                     "fixed": {"m_Q_TeV": 1.5, "m_D_TeV": 1.5, "y2": 0.5}})
    assert m.parameters() == ["m_phi", "y1", "yq_d", "yq_s", "yd_d", "yd_s", "yd_b"]
    th = {"m_phi": 1.0, "y1": 1.0, "yq_d": 0.22, "yq_s": 1.1, "yd_d": 0.22, "yd_s": 1.1,
          "yd_b": 1e-3}
    c = m.coefficients(th)
    assert c["phi_real"] is True
    Css, Cdd, Cds = c["CS_ssphiphi"], c["CS_ddphiphi"], c["CS_sdphiphi"]
    assert abs(abs(Cdd / Css) - 0.04) < 0.004
    assert abs(abs(Cdd / Cds) - 0.2) < 0.02
    # key convention: CS_bsphiphi multiplies (sbar b) = the seed's C^{sb}
    CS, CP, _, _ = vlq.left_matrices(jnp.array([0.22, 1.1, 0]), jnp.array([0.22, 1.1, 1e-3]),
                                     1.0, 1500.0, 1500.0, m._inp["md"], m._inp["mu"],
                                     m._inp["V"], m._inp["v"])
    assert abs(c["CS_bsphiphi"] - CS[1, 2]) < 1e-20 and abs(c["CP_bsphiphi"] - CP[1, 2]) < 1e-20
    assert abs(c["CS_sdphiphi"] - CS[0, 1]) < 1e-20
    with pytest.raises(ModelError):
        make_model("vlq_scalar_dm", {"couplings": ["yq_x"]})
    with pytest.raises(ModelError):
        make_model("vlq_scalar_dm", {"couplings": ["yq_s"], "fixed": {"yq_s": 1.0}})
    mc = make_model("vlq_scalar_dm", {"couplings": ["yq_s", "yd_b"], "complex": True})
    assert mc.parameters() == ["m_Q_TeV", "m_D_TeV", "m_phi", "y1", "re_y2", "im_y2", "yq_s",
                               "re_yd_b", "im_yd_b"]


# ----------------------------------------------------------------------------- B -> K phi phi
def test_bkphiphi_normalisation_explicit():
    """BR(B+ -> K+ phi phi) through bkfit.physics.invisible (CS_bsphiphi, phi_real) vs an explicit
    integration: L = 1/2 C (sbar b) phi^2 + h.c. => M = C f0 (mB^2 - mK^2)/(mb - ms),
    dGamma/dq^2 = 1/2 |M|^2 sqrt(lam) beta/(256 pi^3 mB^3), scipy quad.  Tolerance 2e-3."""
    C, m = 5e-8, 1.0
    got = obs("BR(B+->Kphiphi)", {"CS_bsphiphi": C, "m_phi": m, "phi_real": True})
    mB, mK = PAR["m_B+"], PAR["m_K+"]

    def d(q2):
        f0 = float(ff_BK(q2, PAR)["f0"])
        M2 = (C * f0 * (mB ** 2 - mK ** 2) / (PAR["m_b"] - PAR["m_s"])) ** 2
        lam = (mB ** 2 - mK ** 2 - q2) ** 2 - 4 * mK ** 2 * q2
        return 0.5 * M2 * math.sqrt(lam) * math.sqrt(1 - 4 * m * m / q2) / (256 * math.pi ** 3 * mB ** 3)

    ref = integrate.quad(d, 4 * m * m, (mB - mK) ** 2, limit=200)[0] * PAR["tau_B+"]
    assert abs(got / ref - 1) < 2e-3


def test_seed_belle2_window():
    """Seed: C_S^{sb} ~ (3-8)/(1e5 TeV) at m_phi = 1 GeV explains the excess.  Check: the C_S^{sb}
    reproducing the NP windows of the seed's eq. (1.4) (1.86 +- 0.67)e-5 (Belle II) and
    (0.86 +- 0.40)e-5 (new average): the new-average central value and the Belle II 1-sigma
    lower edge fall inside [3, 8]e-8 GeV^-1 (BR scales as |C|^2)."""
    br1 = obs("BR(B+->Kphiphi)", {"CS_bsphiphi": 1e-8, "m_phi": 1.0, "phi_real": True})
    c_avg = 1e-8 * math.sqrt(0.86e-5 / br1)
    c_b2_low = 1e-8 * math.sqrt((1.86 - 0.67) * 1e-5 / br1)
    assert 3e-8 <= c_avg <= 8e-8, c_avg
    assert 3e-8 <= c_b2_low <= 8e-8, c_b2_low


# ----------------------------------------------------------------------------- B_s -> phi phi
def test_bs_phiphi_explicit_two_body():
    """BR(Bs -> phi phi) vs an explicit two-body computation: <0|sbar g^mu g5 b|Bs(p)> = i f p^mu,
    divergence -> <0|sbar i g5 b|Bs> = f mBs^2/(mb + ms); M = 2 x (C/2) x that; Gamma = 1/2 x
    1/(2 mB) int |M|^2 dPhi_2, dPhi_2 = |p|/(16 pi^2 mB) dOmega integrated on a grid.
    Tolerance 1e-6."""
    C, m = 6e-8, 0.8
    got = obs("BR(Bs->phiphi)", {"CP_bsphiphi": 1j * C, "m_phi": m})
    mB, f = PAR["m_Bs"], PAR["f_Bs"]
    p_mu = np.array([mB, 0, 0, 0])
    pdotp = p_mu[0] ** 2 - np.sum(p_mu[1:] ** 2)
    mel = f * pdotp / (PAR["m_b"] + PAR["m_s"])          # -i p_mu x (i f p^mu) / (mb + ms)
    M2 = (2 * 0.5 * C * mel) ** 2
    pabs = math.sqrt(mB ** 2 / 4 - m * m)
    th = np.linspace(0, math.pi, 2001)
    dom = 2 * math.pi * np.sum(0.5 * (np.sin(th[1:]) + np.sin(th[:-1])) * np.diff(th))                    # = 4 pi numerically
    gamma = 0.5 / (2 * mB) * M2 * pabs / (16 * math.pi ** 2 * mB) * dom
    assert abs(got / (gamma * PAR["tau_Bs"]) - 1) < 1e-6
    # the scalar coefficient does not contribute (parity)
    assert obs("BR(Bs->phiphi)", {"CS_bsphiphi": C, "m_phi": m}) == 0.0


def test_seed_bs_phiphi_benchmark():
    """Seed: at the benchmark (|C^ss| ~ 0.13/TeV for the relic density, C^sb in the Belle II
    window, |y^d| ~ 0.2 |y^s|) B(Bs -> phi phi) ~ 4e-5.  Benchmark point with
    m_Q = m_D = 1.5 TeV, y1 = 1, y_q^s = y_d^s = 1.1, y_d^b = 1e-3: require
    |C^ss| in 0.13/TeV +- 10 %, BR(B+ -> K+ phi phi) inside the new-average window
    (0.86 +- 0.40)e-5 and BR(Bs -> phi phi) = 4e-5 within a factor 1.5."""
    m = make_model("vlq_scalar_dm", {"couplings": ["yq_s", "yd_s", "yd_b"],
                                     "fixed": {"m_Q_TeV": 1.5, "m_D_TeV": 1.5, "y1": 1.0,
                                               "y2": 1.0}})
    c = m.coefficients({"m_phi": 1.0, "yq_s": 1.1, "yd_s": 1.1, "yd_b": 1e-3})
    assert abs(abs(c["CS_ssphiphi"]) / (0.13 * TEV) - 1) < 0.1
    bk = obs("BR(B+->Kphiphi)", c)
    assert 0.46e-5 < bk < 1.26e-5, bk
    bs = obs("BR(Bs->phiphi)", c)
    assert 4e-5 / 1.5 < bs < 4e-5 * 1.5, bs


# ----------------------------------------------------------------------------- annihilation
def test_chiral_channels_vs_seed_formulas():
    """Seed: <sigma v(phi phi -> K+K-, K0K0bar)> = B^2 |C^ss|^2 eta(x, z_K)/(64 pi m^2) (each) and
    <sigma v(phi phi -> eta eta)> = B^2 |C^ss|^2 eta(x, z_eta)/(72 pi m^2), eta(x, z) from
    bkfit.physics.relic.  Tolerance 1e-10."""
    C, m, x = 0.1 * TEV, 1.0, 20.0
    sv = vlq.sigmav_channels({"CS_ssphiphi": C, "m_phi": m}, PAR, x)
    B = vlq.B0(PAR)
    for ch, mk in (("K+K-", "m_K+"), ("K0K0bar", "m_K0")):
        ref = B ** 2 * C ** 2 * float(relic.eta(x, (PAR[mk] / m) ** 2)) / (64 * math.pi * m * m)
        assert abs(float(sv[ch]) / ref - 1) < 1e-10
    ref = B ** 2 * C ** 2 * float(relic.eta(x, (PAR["m_eta"] / m) ** 2)) / (72 * math.pi * m * m)
    assert abs(float(sv["etaeta"]) / ref - 1) < 1e-10
    assert float(sv["pi+pi-"]) == 0.0 and float(sv["pi0eta"]) == 0.0


def test_threshold_behaviour_numerical():
    """sigma(s) ~ sqrt(s - s_th) just above threshold (numerical slope of log sigma vs
    log(s - s_th) = 1/2 within 1e-3), zero below; and the x -> infinity limit of the thermal
    average of the unequal-mass channel pi0 eta equals S |M|^2 p_f/(32 pi m^3) at s = 4 m^2
    (non-relativistic limit, x = 3000: tolerance 0.3 %)."""
    m, M = 0.3, 1e-3                 # 2 m below m_pi0 + m_eta: the final-state threshold matters
    m1, m2 = PAR["m_pi0"], PAR["m_eta"]
    sth = (m1 + m2) ** 2
    e = np.array([1e-8, 1e-7])
    sig = np.array([float(vlq.sigma_channel(sth + ei, m, M, m1, m2, 1.0)) for ei in e])
    slope = np.log(sig[1] / sig[0]) / np.log(10.0)
    assert abs(slope - 0.5) < 1e-3
    assert float(vlq.sigma_channel(sth - 1e-6, m, M, m1, m2, 1.0)) == 0.0
    m = 0.6
    c = {"CS_ddphiphi": 1e-4, "m_phi": m}
    sv = float(vlq.sigmav_channels(c, PAR, 3000.0)["pi0eta"])
    Mamp = vlq.B0(PAR) * (0.0 - 1e-4) / math.sqrt(3)
    s = 4 * m * m
    pf = math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2 * math.sqrt(s))
    ref = Mamp ** 2 * pf / (32 * math.pi * m ** 3)
    assert abs(sv / ref - 1) < 3e-3


def test_seed_relic_benchmark():
    """Seed: C_S^{ss} ~ 0.1/TeV gives <sigma v> ~ 2.4e-26 cm^3/s (Omega h^2 = 0.12) at m_phi =
    1 GeV.  At freeze-out (x = 20): 2.4e-26 within 25 % (measured 2.05e-26, -15 %).  The full
    Boltzmann solution needs a larger cross section at 1 GeV (Steigman et al. 1204.3622:
    ~4.7e-26 for m ~ 1 GeV); the seed's second benchmark |C^ss| ~ 0.13/TeV gives
    Omega h^2 = 0.12 within 20 %."""
    sv = obs("<sigmav>(phiphi->hadrons)", {"CS_ssphiphi": 0.1 * TEV, "m_phi": 1.0}, x=20.0)
    assert abs(sv / 2.4e-26 - 1) < 0.25, sv
    om = obs("Omega_h2(phi)", {"CS_ssphiphi": 0.13 * TEV, "m_phi": 1.0})
    assert abs(om / 0.12 - 1) < 0.2, om


# ----------------------------------------------------------------------------- direct detection
def test_sigma_phiN_seed_numbers_and_blind_spot():
    """(i) with the seed's m_s = 93.4 MeV, m_s/m_d = 19.5 the proton/neutron d-quark weights are the
    seed's 16.84 and 24.82 (0.1 %); (ii) normalisation vs an explicit phi N -> phi N amplitude
    M = 2 m_N f_N at threshold, sigma = |M|^2/(16 pi s) (1e-12); (iii) blind spot: |C^dd| ~
    0.04 |C^ss| (opposite sign) suppresses sigma on xenon by > 30 (seed: 'opens the blind spot'),
    and sigma vanishes at R = -1/(16.84 Z/A + 24.82 (A-Z)/A) (1e-5 of the R = 0 value)."""
    nd = vlq.data()["nucleon"]
    ms = nd["seed_ms_GeV"]
    par = dict(PAR, m_s=ms, m_d=ms / nd["seed_ms_over_md"])
    Z, A, m, Cs = 54, 131.293, 0.8, 1e-4
    fp1, fn1, mN = vlq.nucleon_couplings({"CS_ssphiphi": Cs}, par)
    fp2, fn2, _ = vlq.nucleon_couplings({"CS_ssphiphi": Cs, "CS_ddphiphi": Cs}, par)
    assert abs(float(fp2 / fp1 - 1) / 16.84 - 1) < 1e-3
    assert abs(float(fn2 / fn1 - 1) / 24.82 - 1) < 1e-3
    # (ii) explicit amplitude, proton target (Z = A = 1)
    s = (m + mN) ** 2
    ref = (2 * mN * float(fp1)) ** 2 / (16 * math.pi * s)
    got = float(vlq.sigma_phiN({"CS_ssphiphi": Cs, "m_phi": m}, par, 1.0, 1.0))
    assert abs(got / ref - 1) < 1e-12
    # (iii)
    s0 = float(vlq.sigma_phiN({"CS_ssphiphi": Cs, "m_phi": m}, par, Z, A))
    s4 = float(vlq.sigma_phiN({"CS_ssphiphi": Cs, "CS_ddphiphi": -0.04 * Cs, "m_phi": m}, par, Z, A))
    assert s4 < s0 / 30
    R0 = -1 / (16.84 * Z / A + 24.82 * (A - Z) / A)
    sz = float(vlq.sigma_phiN({"CS_ssphiphi": Cs, "CS_ddphiphi": R0 * Cs, "m_phi": m}, par, Z, A))
    assert sz < 1e-5 * s0
    # registered observable in cm^2 = GeV^-2 x (hbar c)^2
    cm2 = obs("sigma_SI_N(phi)", {"CS_ssphiphi": Cs, "m_phi": m}, Z=Z, A=A)
    s0c = float(vlq.sigma_phiN({"CS_ssphiphi": Cs, "m_phi": m}, PAR, Z, A))
    assert abs(cm2 / (s0c * (1.973269804e-14) ** 2) - 1) < 1e-9


# ----------------------------------------------------------------------------- h -> gg
def test_kappa_g_cp_odd_normalisation():
    """Gamma(h -> gg) for c h G.G and ct h G.Gtilde computed with explicit gluon momenta and
    polarisations: the two rates are equal for c = ct and do not interfere; the seed's
    Delta L then gives kappa_g^2 = (1 - rG)^2 + (3/2 rGt)^2 (CP-odd coefficient alpha_s/(4 pi)
    v/(2 mQ mD) vs SM alpha_s/(12 pi v)).  Tolerance 1e-12."""
    E = 62.5
    k1 = np.array([E, 0, 0, E]); k2 = np.array([E, 0, 0, -E])
    g = np.diag([1., -1., -1., -1.])
    eps = np.zeros((4,) * 4)
    import itertools
    for p in itertools.permutations(range(4)):
        eps[p] = np.linalg.det(np.eye(4)[list(p)])
    pols = [np.array([0, 1., 0, 0]), np.array([0, 0, 1., 0])]

    def F(k, e):               # F^{mu nu} = k^mu e^nu - k^nu e^mu (contravariant)
        return np.outer(k, e) - np.outer(e, k)

    def low(T):
        return g @ T @ g
    s_even = s_odd = s_int = 0.0
    for e1 in pols:
        for e2 in pols:
            F1, F2 = F(k1, e1), F(k2, e2)
            a = 2 * np.sum(low(F1) * F2)                                   # G G
            dual = 0.5 * np.einsum("mnrs,rs->mn", eps, low(F2))            # Gtilde^{mu nu}
            b = 2 * np.sum(low(F1) * dual)                                 # G Gtilde
            s_even += a * a; s_odd += b * b; s_int += a * b
    assert abs(s_odd / s_even - 1) < 1e-12 and abs(s_int) < 1e-12 * s_even
    # seed's coefficients -> kappa_g
    rG, rGt = 0.03, 0.05
    v = 246.0
    c_sm = 1 / (12 * math.pi * v)                  # alpha_s stripped
    c_even = c_sm * (1 - rG)
    c_odd = 1 / (4 * math.pi) * rGt / (2 * v)      # alpha_s/(4pi) Im v/(2 mQ mD), Im v^2/(mQmD) = rGt
    ref = math.sqrt((c_even ** 2 + c_odd ** 2) / c_sm ** 2)
    assert abs(obs("kappa_g", {"rG_hgg": rG, "rGt_hgg": rGt}) / ref - 1) < 1e-12
    assert obs("kappa_g", {}) == 1.0


# ----------------------------------------------------------------------------- gradients
def test_gradients_finite():
    """Finite gradients at zero couplings, at m_phi = 0, at thresholds (m_phi = m_K+, 2 m_phi =
    m_Bs) through the model and the observables."""
    m = make_model("vlq_scalar_dm", {"couplings": ["yq_s", "yd_s", "yd_b"], "complex": True,
                                     "fixed": {"m_Q_TeV": 1.5, "m_D_TeV": 1.5}})

    def f(th, name, args):
        return O.get(name).fn(m.coefficients(th), PAR, **args)
    base = {"y1": 1.0, "re_y2": 0.0, "im_y2": 0.0, "yq_s": 0.0, "re_yd_s": 0.0, "im_yd_s": 0.0,
            "re_yd_b": 0.0, "im_yd_b": 0.0}
    for mphi in (0.0, PAR["m_K+"], 0.5 * PAR["m_Bs"]):
        for coup in (0.0, 1.0):
            th = {k: jnp.asarray(v) for k, v in base.items()}
            th.update(m_phi=jnp.asarray(mphi), yq_s=jnp.asarray(coup), re_yd_s=jnp.asarray(coup),
                      re_yd_b=jnp.asarray(1e-3 * coup))
            for name, args in (("BR(Bs->phiphi)", {}), ("sigma_SI_N(phi)", {"Z": 54, "A": 131.3}),
                               ("kappa_g", {}), ("<sigmav>(phiphi->hadrons)", {"x": 20.0})):
                gr = jax.grad(f)(th, name, args)
                assert all(np.isfinite(float(v)) for v in gr.values()), (name, mphi, coup)


# ----------------------------------------------------------------------------- relic fast path
@pytest.mark.parametrize("m, css, cdd", [(0.15, 1e-4, 1e-5), (0.3, 1e-4, 0.0), (0.7, 1e-4, -4e-6),
                                         (1.0, 1.3e-4, 0.0), (2.0, 5e-5, 2e-5)])
def test_relic_fast_path_vs_quadrature_solution(m, css, cdd):
    """Omega_h2(phi) (tabulated thermal factors, 800 BDF2 steps + Richardson) against the
    independent slow path: Gondolo-Gelmini quadrature of every channel's sigma(s) at each of
    6000 BDF2 steps (relic.thermal_average / relic.eta): within 1e-3.  m = 0.15 GeV has the
    pi pi channels just open and pi0 eta forbidden (s < (m_eta - m_pi0)^2 must not count);
    m = 0.3 GeV is deep in the forbidden regime for K, eta (Omega >> 1)."""
    c = {"m_phi": m, "CS_ssphiphi": css, "CS_ddphiphi": cdd}
    fast = float(vlq.omega_h2(c, PAR))
    ref = float(vlq.omega_h2_exact(c, PAR, n_steps=6000))
    assert abs(fast / ref - 1) < 1e-3, (fast, ref)


def test_relic_fast_path_gradient_vs_finite_differences():
    """d Omega/d m_phi and d Omega/d C^ss of the fast path against central differences (1e-4)."""
    def om(m, c):
        return vlq.omega_h2({"m_phi": m, "CS_ssphiphi": c}, PAR)
    m0, c0 = 0.9, 1.2e-4
    g = jax.grad(om, argnums=(0, 1))(m0, c0)
    for i, h in ((0, 1e-4), (1, 1e-9)):
        a = [m0, c0]
        b = [m0, c0]
        a[i] += h
        b[i] -= h
        fd = (float(om(*a)) - float(om(*b))) / (2 * h)
        assert abs(float(g[i]) / fd - 1) < 1e-4, (i, float(g[i]), fd)
