r"""High-pT Drell-Yan pp -> tau+ tau- from t/u-channel leptoquark exchange: expected
new-physics event counts in the 14 m_T^tot bins of the ATLAS di-tau search arXiv:2002.12223
(139 fb^-1, 13 TeV, b-veto tau_h tau_h), recast with the efficiency kernels and parton
luminosities of HighPT (Allwicher, Faroughy, Jaffredo, Sumensari, Wilsch, arXiv:2207.10756;
tables in ``likelihoods/highpt_ditau/``, see its README).  Pure JAX; the derivation and the
checks are in docs/leptoquarks.md ("High-pT tau tau").

Event count in reco bin j::

    N_j = L_int  sum_{truth bins i} sum_{initial states, terms}  sigma_i^term(M, lam)  K^term_ij(M)

with L_int = 139 fb^-1, sigma_i the LO cross section in truth m_tautau bin i (edges 150, 200,
..., 1150, 13000 GeV: the last bin runs to the collider energy, the range its kernel row was
generated for, 1150-15000 GeV; HighPT stops it at 1500 GeV), d sigma / d shat =
L_qq'(sqrt shat)/shat * sigmahat(shat), integrated with a fixed Gauss-Legendre grid in ln shat
(16 nodes per bin, 48 in the last), luminosities PDF4LHC15 interpolated (cubic, in ln-ln) at
the nodes once.  terms: ``NP`` (|LQ|^2), ``A`` and ``Z`` (interference with the SM photon and
Z, flavour-diagonal initial states only; the pure SM is ATLAS's background).

Partonic cross section (derived in docs/leptoquarks.md).  For q(p1) qbar(p2) -> tau-(p3) tau+(p4),
t = (p1 - p3)^2, u = (p1 - p4)^2, x = -t/s, r = M^2/s, every amplitude is written as
F_XY(s, t) (qbar g^mu P_Y q)(taubar g_mu P_X tau) (X lepton, Y quark chirality), with
colour/spin-averaged |M|^2 = |F_XY|^2 u^2/3 (X = Y) or |F_XY|^2 t^2/3 (X != Y).  The leptoquark
adds F = kappa |c|^2 y y^* / (t - M^2) (or / (u - M^2)) to one XY; then

    sigmahat_NP  = |a|^2 J2(r) / (48 pi s),      sigmahat_int = -a Re A_XY(s) J1(r) / (24 pi)

with a = kappa |c|^2 |y|^2, A_XY = e^2 Q_q Q_l / s + g_X^l g_Y^q / (s - m_Z^2 + i m_Z Gamma_Z),
and J_n = int_0^1 dx w(x)/(x + r)^n, w = (1 - x)^2 ("same": t-channel with X = Y, u-channel
with X != Y) or x^2 ("opp": t-channel X != Y, u-channel X = Y), in closed form::

    J1_same = (1+r)^2 L - r - 3/2,     J2_same = 2 + 1/r - 2 (1+r) L,
    J1_opp  = r^2 L - r + 1/2,         J2_opp  = 1 + r/(1+r) - 2 r L,     L = ln(1 + 1/r)

(for r > 4 their series in 1/r, which avoid the cancellation).

bkfit's leptoquarks (Lagrangians in bkfit/models/leptoquarks.py; q_L = (V^dag u_L, d_L)).
kappa from integrating out the mediator and Fierzing (scalar: +1/M^2 -> -1/(q^2 - M^2) and
(psibar P_L chi)(chibar P_R psi) = -1/2 (psibar g P_R psi)(chibar g P_L chi); vector:
-1/M^2 -> 1/(q^2 - M^2); psibar^c g P_L psi^c = -psibar g P_R psi).  y: down-type y_q =
lam_{q3}; up-type y_k = (V lam)_{k3} (V1) or (V lam^*)_{k3} (S0, S1), as the b -> c code of
the models.  Contact limit = bkfit's SMEFT matching (C_lq1 + C_lq3 for d, C_lq1 - C_lq3 for
u, C_ld), checked in tests/test_lq_highpt.py.

=================  =======  ==========  =====  ===========  ==========  ===============
model              channel  quark chir  kappa  |c|^2 d-tau  |c|^2 u-tau  HighPT kernels
=================  =======  ==========  =====  ===========  ==========  ===============
lq_S0  (S1 Dor.)   u        L           -1/2   0            1            S1 (up)
lq_Stilde_half     t        R           +1/2   1            --           R2
lq_S1  (S3)        u        L           -1/2   2            1            S1~ (d), S1 (u)
lq_V_half (V2)     u        R           -1     1            --           U3 (see below)
lq_V1  (U3)        t        L           +1     1            2            U3
=================  =======  ==========  =====  ===========  ==========  ===============

Angular class: lq_V1, lq_V_half "same"; lq_S0, lq_S1, lq_Stilde_half "opp".  V_{1/2} uses
HighPT's U3 kernels: with tau+ <-> tau- relabelled (t <-> u) its distribution is U3's, with
the same tau chiralities, and m_T^tot is symmetric in the two taus; HighPT's own V2 files have
an inconsistent cross-section column (docs).  Initial states: b bbar, s sbar, b sbar, s bbar
(lam_33, lam_23); for S0/S1/V1 also c cbar, u ubar, c ubar, u cbar through the CKM matrix
(V_us lam_23 feeds u ubar).  Not included: lam_13 (d dbar), the electron/muon columns, the
tau nu channel, NLO QCD.

Kernel mass dependence: K(M) is linear in M between the tables at 1, 2 and 3 TeV; below 1 TeV
the 1 TeV and above 3 TeV the 3 TeV table (docs: size of the M dependence, and HighPT's
b-initiated 2 TeV/contact samples whose efficiency is ~30 % lower than the 1 and 3 TeV ones).
"""
from __future__ import annotations

import functools
import math

import jax.numpy as jnp
import numpy as np

# ------------------------------------------------------------------ constants
# electroweak inputs, unit conversion and luminosity: likelihoods/highpt_ditau/inputs.yaml
# (HighPT's inputs, with which its kernels and cross-section columns were made), read by
# :func:`inputs`; the names ALPHA, G_F, M_Z, GAMMA_Z, SW2, E2, GEV2_TO_FB, LUMI_FB are module
# attributes served from there
_INPUT_NAMES = ("ALPHA", "G_F", "M_Z", "GAMMA_Z", "SW2", "E2", "GEV2_TO_FB", "LUMI_FB")
TRUTH_EDGES = np.array([150., 200., 250., 300., 350., 400., 450., 500., 600., 700., 800.,
                        900., 1000., 1150., 13000.])
KERNEL_MASSES = np.array([1.0, 2.0, 3.0])    # TeV
N_NODES, N_NODES_LAST = 16, 48
N_BINS = 14
DATA_FOLDER = "highpt_ditau"
FILES = {"data": "ditau_atlas_data.csv", "kernels": "ditau_mediator_kernels.csv",
         "smeft": "ditau_smeft_kernels.csv", "lumi": "parton_luminosity_pdf4lhc15.csv"}

QUARKS = {  # charge, T3 of the left-handed field, luminosity table of q qbar
    "u": (2 / 3, 0.5), "c": (2 / 3, 0.5), "d": (-1 / 3, -0.5), "s": (-1 / 3, -0.5),
    "b": (-1 / 3, -0.5)}
Q_TAU = -1.0

# model -> (channel, quark chirality, kappa, |c|^2 down-tau, |c|^2 up-tau, angular class,
#           kernel family for down-type, for up-type, conj: up coupling (V lam^*) or (V lam))
MODELS = {
    "lq_S0": ("u", "L", -0.5, 0.0, 1.0, "opp", None, "S1", True),
    "lq_Stilde_half": ("t", "R", 0.5, 1.0, 0.0, "opp", "R2", None, False),
    "lq_S1": ("u", "L", -0.5, 2.0, 1.0, "opp", "S1t", "S1", True),
    "lq_V_half": ("u", "R", -1.0, 1.0, 0.0, "same", "U3", None, False),
    "lq_V1": ("t", "L", 1.0, 1.0, 2.0, "same", "U3", "U3", False),
}
DOWN_STATES = (("b", "b"), ("s", "s"), ("b", "s"), ("s", "b"))
UP_STATES = (("c", "c"), ("u", "u"), ("c", "u"), ("u", "c"))


def coupling_keys(model: str) -> tuple[str, str]:
    """Names under which leptoquark model ``model`` passes lam_23, lam_33 (complex) with its
    coefficients: ``lam_23_<model>``, ``lam_33_<model>``."""
    return f"lam_23_{model}", f"lam_33_{model}"


ALL_COUPLING_KEYS = tuple(k for m in MODELS for k in coupling_keys(m))


# ------------------------------------------------------------------ tables
@functools.lru_cache(maxsize=1)
def inputs() -> dict:
    """HighPT's electroweak inputs (alpha_e(m_Z), G_F, m_Z, Gamma_Z), the GeV^-2 -> fb factor and
    the integrated luminosity from ``likelihoods/highpt_ditau/inputs.yaml``, with the tree-level
    m_W and sin^2(theta_W) derived from them (as HighPT does), keyed ALPHA, G_F, M_Z, GAMMA_Z,
    SW2, E2 (= 4 pi alpha), GEV2_TO_FB, LUMI_FB."""
    import yaml
    with open(_folder() / "inputs.yaml") as fh:
        d = yaml.safe_load(fh)["values"]
    a, gf, mz = float(d["alpha_e"]), float(d["G_F"]), float(d["m_Z"])
    mw = math.sqrt(mz ** 2 / 2 + math.sqrt(mz ** 4 / 4 - a * math.pi * mz ** 2
                                           / (gf * math.sqrt(2))))
    return {"ALPHA": a, "G_F": gf, "M_Z": mz, "GAMMA_Z": float(d["Gamma_Z"]),
            "SW2": 1 - mw ** 2 / mz ** 2, "E2": 4 * math.pi * a,
            "GEV2_TO_FB": float(d["GeV2_to_fb"]), "LUMI_FB": float(d["lumi_fb"])}


def __getattr__(name):
    if name in _INPUT_NAMES:
        return inputs()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _folder():
    from ..inputs.shipped import shipped_dir
    return shipped_dir("likelihoods") / DATA_FOLDER


def read_table(name: str) -> dict:
    """A csv of likelihoods/highpt_ditau (``#`` comments, one header line) as {column: array}
    (numeric columns as float arrays, the others as string arrays)."""
    import csv
    with open(_folder() / FILES.get(name, name)) as fh:
        rows = list(csv.reader(line for line in fh if not line.startswith("#")))
    head, body = rows[0], rows[1:]
    out = {}
    for i, h in enumerate(head):
        col = [r[i] for r in body]
        try:
            out[h] = np.array([float(c) for c in col])
        except ValueError:
            out[h] = np.array(col)
    return out


@functools.lru_cache(maxsize=1)
def atlas_data() -> dict:
    """ATLAS bins: mTtot edges, n_obs, n_bkg, err_bkg (HighPT's ERROR BKG), err_tot."""
    return read_table("data")


def _stable(r, closed, series):
    """closed(r) for r <= 4, series(r) for r > 4, both evaluated where finite (gradients)."""
    small = r <= 4.0
    return jnp.where(small, closed(jnp.where(small, r, 1.0)), series(jnp.where(small, 5.0, r)))


def _series(coef):
    def f(r):
        z = -1.0 / r
        tot = jnp.zeros_like(r)
        for k in range(len(coef) - 1, -1, -1):
            tot = tot * z + coef[k]
        return tot
    return f


# series coefficients in z = -1/r: J1 = (1/r) sum_k z^k m_k, J2 = (1/r^2) sum_k (k+1) z^k m_k,
# m_k = int_0^1 w(x) x^k dx
_NS = 40
_M_SAME = np.array([2.0 / ((k + 1) * (k + 2) * (k + 3)) for k in range(_NS)])
_M_OPP = np.array([1.0 / (k + 3) for k in range(_NS)])


def angular_integrals(r, kind: str):
    """(J1, J2) of the module docstring for r = M^2/s (array), ``kind`` 'same' or 'opp'."""
    r = jnp.asarray(r, dtype=float)
    m = _M_SAME if kind == "same" else _M_OPP
    s1 = _series(m)
    s2 = _series(m * np.arange(1, _NS + 1))
    if kind == "same":
        c1 = lambda r: (1 + r) ** 2 * jnp.log1p(1 / r) - r - 1.5            # noqa: E731
        c2 = lambda r: 2 + 1 / r - 2 * (1 + r) * jnp.log1p(1 / r)            # noqa: E731
    else:
        c1 = lambda r: r ** 2 * jnp.log1p(1 / r) - r + 0.5                   # noqa: E731
        c2 = lambda r: 1 + r / (1 + r) - 2 * r * jnp.log1p(1 / r)            # noqa: E731
    j1 = _stable(r, c1, lambda r: s1(r) / r)
    j2 = _stable(r, c2, lambda r: s2(r) / r ** 2)
    return j1, j2


def sm_amplitude(s, quark: str, x_lep: str, y_quark: str):
    """The SM photon + Z amplitude A_XY(s) (complex, GeV^-2) for q qbar -> tau tau, lepton
    chirality ``x_lep``, quark chirality ``y_quark`` ('L'/'R'), HighPT's inputs."""
    qq, t3 = QUARKS[quark]
    c = inputs()
    E2, SW2, M_Z = c["E2"], c["SW2"], c["M_Z"]
    g = math.sqrt(E2 / (SW2 * (1 - SW2)))
    gl = g * ((-0.5 if x_lep == "L" else 0.0) - SW2 * Q_TAU)
    gq = g * ((t3 if y_quark == "L" else 0.0) - SW2 * qq)
    return E2 * qq * Q_TAU / s + gl * gq / (s - M_Z ** 2 + 1j * M_Z * c["GAMMA_Z"])


@functools.lru_cache(maxsize=1)
def quadrature() -> dict:
    """Fixed grid: ``s`` (truth bin, node) in GeV^2 and, per luminosity table 'q_qbar',
    weights W such that sigma_i = sum_n W[i, n] sigmahat(s[i, n]) in fb (sigmahat in GeV^-2)."""
    from scipy.interpolate import CubicSpline
    lum = read_table("lumi")
    lx = np.log(lum["sqrt_shat_GeV"])
    nmax = max(N_NODES, N_NODES_LAST)
    s = np.ones((N_BINS, nmax))
    w = np.zeros((N_BINS, nmax))
    for i in range(N_BINS):
        n = N_NODES_LAST if i == N_BINS - 1 else N_NODES
        x, wx = np.polynomial.legendre.leggauss(n)
        a, b = 2 * np.log(TRUTH_EDGES[i]), 2 * np.log(TRUTH_EDGES[i + 1])
        s[i, :n] = np.exp((b - a) / 2 * x + (a + b) / 2)
        w[i, :n] = wx * (b - a) / 2                          # d shat / shat = d ln shat
    out = {"s": s}
    for name, col in lum.items():
        if name == "sqrt_shat_GeV":
            continue
        # ln-ln cubic spline; the tables end with |L| < 1e-14 (and a few round-off negative
        # values) near 13 TeV, floored at 1e-30
        spl = CubicSpline(lx, np.log(np.maximum(col, 1e-30)))
        out[name] = w * np.exp(spl(0.5 * np.log(s))) * inputs()["GEV2_TO_FB"]
    return out


def lumi_name(q1: str, q2: str) -> str:
    """Luminosity column of the q1 q2bar initial state, e.g. 'b_sbar'."""
    return f"{q1}_{q2}bar"


def truth_xsec(model: str, q1: str, q2: str, mass_tev, a=1.0, a2=None, chir=None, j=None):
    """(sigma_NP, sigma_A, sigma_Z) per truth bin in fb for initial state q1 q2bar, the
    leptoquark ``model`` at mass ``mass_tev`` with amplitude coefficient a = kappa |c|^2 y y^*
    (real for q1 = q2; ``a`` = kappa |c|^2 for unit couplings); sigma_NP is for |a|^2 (``a2``,
    default a^2), sigma_A/Z for a (zero off the diagonal).  ``chir`` = (lepton, quark)
    chirality of the SM amplitude, default (L, the model's).  ``j``: the angular integrals
    (J1, J2) on the quadrature grid at this mass, if already computed (they do not depend on
    the initial state)."""
    chan, ychir, kappa, cd, cu, kind, *_ = MODELS[model]
    xl, ychir = chir if chir is not None else ("L", ychir)
    a2 = a ** 2 if a2 is None else a2
    Q = quadrature()
    s = jnp.asarray(Q["s"])
    W = jnp.asarray(Q[lumi_name(q1, q2)])
    j1, j2 = j if j is not None else angular_integrals(
        (jnp.asarray(mass_tev, dtype=float) * 1e3) ** 2 / s, kind)
    sig_np = jnp.sum(W * a2 * j2 / (48 * math.pi * s), axis=1)
    if q1 != q2:
        z = jnp.zeros(N_BINS)
        return sig_np, z, z
    Qq = QUARKS[q1][0]
    E2 = inputs()["E2"]
    Aph = E2 * Qq * Q_TAU / s
    AZ = np.real(sm_amplitude(np.asarray(Q["s"]), q1, xl, ychir)) - E2 * Qq * Q_TAU / np.asarray(Q["s"])
    sig_a = jnp.sum(W * (-a * Aph * j1 / (24 * math.pi)), axis=1)
    sig_z = jnp.sum(W * (-a * jnp.asarray(AZ) * j1 / (24 * math.pi)), axis=1)
    return sig_np, sig_a, sig_z


@functools.lru_cache(maxsize=None)
def kernels(family: str, qq: str) -> dict:
    """{term: array (3 masses, 14 truth, 14 reco)} of HighPT family ``family``, initial
    state ``qq`` (e.g. 'bs' = b sbar), terms NP (and A, Z for q = q')."""
    t = _kernel_table()
    out = {}
    for term in ("NP", "A", "Z"):
        sel = (t["family"] == family) & (t["qqbar"] == qq) & (t["term"] == term)
        if not sel.any():
            continue
        k = np.zeros((len(KERNEL_MASSES), N_BINS, N_BINS))
        for a, m in enumerate(KERNEL_MASSES):
            rows = np.flatnonzero(sel & (t["mass_GeV"] == m * 1e3))
            rows = rows[np.argsort(t["truth_bin"][rows])]
            assert len(rows) == N_BINS, (family, qq, term, m)
            k[a] = np.stack([t[f"K{j}"][rows] for j in range(1, N_BINS + 1)], axis=1)
        out[term] = k
    return out


@functools.lru_cache(maxsize=1)
def _kernel_table():
    return read_table("kernels")


def kernel_at(k, mass_tev):
    """Kernel (14 x 14) at mass M: linear in M between the 1, 2, 3 TeV tables, constant
    outside."""
    m = jnp.clip(jnp.asarray(mass_tev, dtype=float), KERNEL_MASSES[0], KERNEL_MASSES[-1])
    lo = jnp.where(m < KERNEL_MASSES[1], 0, 1)
    f = m - jnp.asarray(KERNEL_MASSES)[lo]
    k = jnp.asarray(k)
    return k[lo] * (1 - f) + k[lo + 1] * f


CKM_KEYS = ("Vus", "Vub", "Vcb", "gamma")


def _ckm(par):
    from .ckm import ckm_matrix
    return ckm_matrix(*(par[k] for k in CKM_KEYS))


def event_counts(model: str, lam23, lam33, mass_tev, par=None, up=True):
    """Expected new-physics events (interference + |LQ|^2) in the 14 ATLAS reco bins for
    leptoquark ``model`` with couplings lam_23, lam_33 (complex) and mass M (TeV); ``par``
    (CKM parameters) is needed for the up-type initial states (``up=False`` leaves them
    out)."""
    chan, ychir, kappa, cd, cu, kind, fam_d, fam_u, conj = MODELS[model]
    N = jnp.zeros(N_BINS)
    ys = {}
    if cd:
        ys.update({"s": (fam_d, kappa * cd, lam23), "b": (fam_d, kappa * cd, lam33)})
    if cu and up:
        V = _ckm(par)
        l23 = jnp.conj(lam23) if conj else lam23
        l33 = jnp.conj(lam33) if conj else lam33
        ys.update({"c": (fam_u, kappa * cu, V[1, 1] * l23 + V[1, 2] * l33),
                   "u": (fam_u, kappa * cu, V[0, 1] * l23 + V[0, 2] * l33)})
    states = [st for st in DOWN_STATES + UP_STATES if st[0] in ys]
    j = angular_integrals((jnp.asarray(mass_tev, dtype=float) * 1e3) ** 2
                          / jnp.asarray(quadrature()["s"]), kind)
    for q1, q2 in states:
        fam, f, y1 = ys[q1]
        y2 = ys[q2][2]
        m1, m2 = jnp.real(y1 * jnp.conj(y1)), jnp.real(y2 * jnp.conj(y2))     # |y|^2
        # a = f |y|^2 (real) on the diagonal; off it only |a|^2 = f^2 |y1|^2 |y2|^2 enters
        sig = truth_xsec(model, q1, q2, mass_tev, f * m1, f ** 2 * m1 * m2, j=j)
        ks = kernels(fam, q1 + q2)
        for term, sg in zip(("NP", "A", "Z"), sig):
            if term in ks:
                N = N + sg @ kernel_at(ks[term], mass_tev)
    return inputs()["LUMI_FB"] * N


# ------------------------------------------------------------------ observables
def observable(model: str):
    """The observable function N_NP(pp->tautau,<model>)(coeffs, par, bin) for ``model``."""
    k23, k33 = coupling_keys(model)
    # A likelihood file asks for the 14 bins one by one, with the same coefficient and
    # parameter objects (one evaluation, or one trace): the counts of all bins are computed
    # once and the last result is reused while the arguments are the very same objects
    # (identity, not equality: a new evaluation brings new arrays or tracers).
    last: dict = {}

    def fn(coeffs, par, bin):
        if "M_LQ_TeV" not in coeffs:
            return jnp.asarray(0.0)
        if k33 not in coeffs or k23 not in coeffs:
            raise ValueError(f"observable N_NP(pp->tautau,{model}) needs the couplings of "
                             f"leptoquark model '{model}' ({k23}, {k33}); the run's model "
                             "passes others: use the likelihood file of its own model")
        idx = np.asarray(bin).astype(int) - 1
        if np.any(idx < 0) or np.any(idx >= N_BINS):
            raise ValueError(f"bin must be 1..{N_BINS}, got {bin}")
        args = (coeffs[k23], coeffs[k33], coeffs["M_LQ_TeV"])
        if MODELS[model][4]:             # up-type states: the CKM inputs too
            args += tuple(par[k] for k in CKM_KEYS)
        prev = last.get("args")
        if prev is None or len(prev) != len(args) or any(a is not b for a, b in zip(prev, args)):
            last["args"] = args
            last["n"] = event_counts(model, *args[:3], par)
        return last["n"][idx]
    return fn


def register(catalogue) -> None:
    """Add ``N_NP(pp->tautau,<model>)`` (argument ``bin`` = 1..14) for each leptoquark model."""
    for model in MODELS:
        catalogue.register(
            f"N_NP(pp->tautau,{model})", args=("bin",), extension=True,
            description=(f"expected new-physics events (LQ^2 + SM interference) of leptoquark "
                         f"{model} in m_T^tot bin 'bin' (1-14) of ATLAS 2002.12223, HighPT recast"),
            tex=r"N_{\rm NP}(pp\to\tau\tau)")(observable(model))
