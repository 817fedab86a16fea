r"""The complete b -> s nu nu effective theory: scalar and tensor operators, right-handed and
massive (sterile) neutrinos, on top of the vector operators of :mod:`bkfit.physics.bsnunu`.

Normalisation as in ``bsnunu`` (scale m_b):  H_eff = - N sum_a C_a O_a + h.c.,
N = 4 G_F/sqrt2 V_tb V_ts^* e^2/(16 pi^2), for every neutrino pair (i, j), i, j in e, mu, tau:

    CL_bsnu{i}nu{j}       (sbar g^mu P_L b)(nubar_i g_mu (1 - g5) nu_j)    WCxf (flavio basis)
    CR_bsnu{i}nu{j}       (sbar g^mu P_R b)(nubar_i g_mu (1 - g5) nu_j)    WCxf
    CLprime_bsnu{i}nu{j}  (sbar g^mu P_L b)(nubar_i g_mu (1 + g5) nu_j)    bkfit extension
    CRprime_bsnu{i}nu{j}  (sbar g^mu P_R b)(nubar_i g_mu (1 + g5) nu_j)    bkfit extension
    CSL_bsnu{i}nu{j}      (sbar P_L b)(nubar_i P_L nu_j)                    bkfit extension
    CSR_bsnu{i}nu{j}      (sbar P_R b)(nubar_i P_L nu_j)                    bkfit extension
    CTL_bsnu{i}nu{j}      (sbar s^{mu nu} P_L b)(nubar_i s_{mu nu} P_L nu_j) bkfit extension
    CSLprime_bsnu{i}nu{j} (sbar P_L b)(nubar_i P_R nu_j)                    bkfit extension
    CSRprime_bsnu{i}nu{j} (sbar P_R b)(nubar_i P_R nu_j)                    bkfit extension
    CTRprime_bsnu{i}nu{j} (sbar s^{mu nu} P_R b)(nubar_i s_{mu nu} P_R nu_j) bkfit extension

WCxf's WET bases (flavio, JMS, EOS) hold only the vector neutrino operators (checked with
``wilson.wcxf.Basis``), hence the extension; the scalar and tensor names follow flavio's
b -> c tau nu names (CSL, CSR, CT with projectors, no factor 2) and the Belle II
reinterpretation's C_SL, C_SR, C_TL (arXiv:2507.12393); ``prime`` = right-handed neutrino
projector, as for the vector set.  (sbar s P_R b)(nubar s P_L nu) and (sbar s P_L b)(nubar s
P_R nu) vanish identically, so CTR and CTLprime do not exist.

Neutrinos (the picture of Felkl, Li, Schmidt, arXiv:2111.04327): the active neutrinos nu_L
are massless; the right-handed fields are sterile neutrinos N_i of mass ``m_nuR_{i}`` (a key
of the coefficient dictionary, GeV, default 0).  A bilinear nubar_i Gamma P_L nu_j creates
N_i + nubar_j (masses m_nuR_i, 0), nubar_i Gamma P_R nu_j creates nu_i + Nbar_j (0, m_nuR_j)
and the primed vector current N_i + Nbar_j; the unprimed vector current the massless active
pair (the ``bsnunu`` rates, unchanged).  Operators producing different final states do not
interfere; the scalar and tensor operators of one chirality do.

Method (derived here, not copied from either paper, whose rate formulas are not at hand):
the amplitude of each final state is the quark helicity amplitudes of
:func:`bkfit.physics.invisible.hadronic` (BSZ form factors f0, f+, fT; A0, A1, A12, V, T1,
T2, T23) contracted with explicit neutrino spinor bilinears in the pair rest frame; the
average over the pair direction is done exactly by :func:`bkfit.physics.invisible.msq_averaged`;
dGamma/dq^2 = sqrt(lambda_B) sqrt(lambda_nu)/q^2 <sum|M|^2>/(256 pi^3 m_B^3).  The
independent reference (tests/wet_reference.py) integrates |M|^2 from covariant matrix
elements and B-frame spinors over the Dalitz variable numerically.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import bsnunu as b
from .common import integrate_endpoint, integrate_polynomial, is_concrete, kallen_pos, safe_sqrt
from .dirac import G, G5, SIG
from .invisible_amplitudes import hadronic, msq_averaged

FLAVOURS = b.FLAVOURS
PAIRS = b.PAIRS

# quark currents with chiral projectors as combinations of invisible.hadronic's structures
# (S = sbar b, P = sbar i g5 b, V, A = g^mu g5, T = sigma, T5 = sigma g5):
#   sbar P_{L,R} b = S/2 +- (i/2) P,  sbar g P_{L,R} b = (V -+ A)/2,  sbar s P_{L,R} b = (T -+ T5)/2
QUARK = {"SL": (("S", 0.5), ("P", 0.5j)), "SR": (("S", 0.5), ("P", -0.5j)),
         "VL": (("V", 0.5), ("A", -0.5)), "VR": (("V", 0.5), ("A", 0.5)),
         "TL": (("T", 0.5), ("T5", -0.5)), "TR": (("T", 0.5), ("T5", 0.5))}

_PL = 0.5 * (np.eye(4, dtype=complex) - G5)     # numpy: no eager jax at import
_PR = 0.5 * (np.eye(4, dtype=complex) + G5)

# lepton structures: (Gamma matrix, which legs are sterile (particle i, antiparticle j))
LEPTON = {"SL": (_PL, (True, False)), "SR": (_PR, (False, True)),
          "TL": (np.einsum("mnij,jk->mnik", SIG, _PL), (True, False)),
          "TR": (np.einsum("mnij,jk->mnik", SIG, _PR), (False, True)),
          "VR": (2.0 * np.einsum("mij,jk->mik", G, _PR), (True, True))}

# coefficient prefix: (quark structure, lepton structure, final-state class)
OPERATORS = {
    "CSL": ("SL", "SL"), "CSR": ("SR", "SL"), "CTL": ("TL", "TL"),
    "CSLprime": ("SL", "SR"), "CSRprime": ("SR", "SR"), "CTRprime": ("TR", "TR"),
    "CLprime": ("VL", "VR"), "CRprime": ("VR", "VR"),
}
NEW_PREFIXES = ("CSL", "CSR", "CTL", "CSLprime", "CSRprime", "CTRprime")
MASS_KEYS = b.STERILE_MASS_KEYS


def coefficient_names() -> list[str]:
    """The scalar and tensor coefficient names (all nine neutrino pairs) added by this module."""
    return [f"{p}_bsnu{i}nu{j}" for p in NEW_PREFIXES for i, j in PAIRS]


ALL_NAMES = coefficient_names() + list(MASS_KEYS.values())


def sterile_pair(wc: dict, i: str, j: str) -> bool:
    """True if a sterile-neutrino mass is given for flavour ``i`` or ``j`` (then the primed
    vector operators of the pair are computed here with masses, not in ``bsnunu``)."""
    return MASS_KEYS[i] in wc or MASS_KEYS[j] in wc


def _classes(wc: dict) -> list:
    """[(i, j, sterile legs, [(prefix, C)])] for every final state with a coefficient here."""
    out = []
    for i, j in PAIRS:
        groups: dict = {}
        for pre, (_, lep) in OPERATORS.items():
            key = f"{pre}_bsnu{i}nu{j}"
            if key not in wc:
                continue
            if pre in ("CLprime", "CRprime") and not sterile_pair(wc, i, j):
                continue                         # massless: in bsnunu's rates
            legs = LEPTON[lep][1]
            groups.setdefault(legs, []).append((pre, wc[key]))
        out += [(i, j, legs, ops) for legs, ops in groups.items()]
    return out


def active(wc: dict) -> bool:
    """True if ``wc`` holds a coefficient whose rate this module computes."""
    return bool(_classes(wc))


def _masses(wc, i, j, legs):
    m1 = wc.get(MASS_KEYS[i], 0.0) if legs[0] else 0.0
    m2 = wc.get(MASS_KEYS[j], 0.0) if legs[1] else 0.0
    return jnp.asarray(m1, dtype=float), jnp.asarray(m2, dtype=float)


def spinors(q2, m1, m2):
    """u(k1, s) (mass m1, along +z) and v(k2, s) (mass m2, along -z) in the pair rest frame,
    Weyl representation of :mod:`bkfit.physics.invisible`, s = 0, 1 (smooth at m -> 0)."""
    sq = jnp.sqrt(jnp.maximum(q2, 1e-12))
    p = safe_sqrt(kallen_pos(q2, m1 * m1, m2 * m2)) / (2.0 * sq)
    E1 = (q2 + m1 * m1 - m2 * m2) / (2.0 * sq)
    E2 = (q2 - m1 * m1 + m2 * m2) / (2.0 * sq)
    b1, b2 = jnp.sqrt(E1 + p), jnp.sqrt(E2 + p)
    a1, a2 = m1 / b1, m2 / b2                     # sqrt(E - p)
    z = jnp.zeros_like(a1)
    u = jnp.stack([jnp.stack([a1, z, b1, z]), jnp.stack([z, b1, z, a1])]).astype(complex)
    v = jnp.stack([jnp.stack([b2, z, -a2, z]), jnp.stack([z, a2, z, -b2])]).astype(complex)
    return u, v


def _ops(q2, wc, par, i, j, legs, ops):
    """invisible.msq_averaged's operator list for one final state (N included)."""
    m1, m2 = _masses(wc, i, j, legs)
    u, v = spinors(q2, m1, m2)
    ubar = jnp.conj(u) @ G[0]
    n = jnp.sqrt(b.norm2(par) / (2.0 * jnp.pi ** 2))
    out = []
    for pre, C in ops:
        qs, ls = OPERATORS[pre]
        d = jnp.einsum("ai,...ij,bj->ab...", ubar, LEPTON[ls][0], v)
        d = d.reshape((4,) + d.shape[2:])
        out += [(Q, n * w * C, d) for Q, w in QUARK[qs]]
    return out, m1, m2


def _one_point(mode, q2, wc, par, longitudinal=False):
    """dGamma/dq^2 of all final states of this module at one q^2 (longitudinal: K* helicity
    0 only)."""
    B, M, _ = b.MODES[mode]
    mB, mM = par["m_" + B], par["m_" + M]
    had = hadronic(mode, q2, par)
    if longitudinal:
        had = jax.tree_util.tree_map(lambda x: x[-1:], had)
    lamB = kallen_pos(mB ** 2, mM ** 2, q2)
    out = 0.0
    for i, j, legs, ops in _classes(wc):
        lst, m1, m2 = _ops(q2, wc, par, i, j, legs, ops)
        thr = (m1 + m2) ** 2
        lam = kallen_pos(q2, m1 * m1, m2 * m2)
        val = (msq_averaged(had, lst) * safe_sqrt(lamB) * safe_sqrt(lam) / q2
               / (256.0 * jnp.pi ** 3 * mB ** 3))
        inside = (q2 > thr) & (q2 < (mB - mM) ** 2)
        out = out + jnp.where(inside, val, 0.0)
    return out


def dGamma_dq2(mode: str, q2, wc: dict, par, longitudinal: bool = False):
    """dGamma/dq^2 (GeV^-1) of this module's final states (0.0 if none is active); arrays of
    q^2 allowed.  ``longitudinal``: only the K* helicity-0 part (for F_L)."""
    if not active(wc):
        return 0.0
    q2 = jnp.asarray(q2, dtype=float)
    return jnp.vectorize(lambda x: _one_point(mode, x, wc, par, longitudinal))(q2)


def dBR_dq2(mode: str, q2, wc: dict, par, longitudinal: bool = False):
    """dBR/dq^2 (GeV^-2) of this module's final states (0.0 if none is active)."""
    if not active(wc):
        return 0.0
    return par["tau_" + b.MODES[mode][0]] * dGamma_dq2(mode, q2, wc, par, longitudinal)


def BR_bin(mode: str, q2min, q2max_, wc: dict, par, n: int = 48, longitudinal: bool = False):
    """BR of this module's final states integrated over [q2min, q2max] (0.0 if none is
    active); the integration starts at the lowest pair threshold.  Arrays of bins: concrete
    edges are integrated all at once (for massless pairs an exact polynomial in the
    coefficients and form-factor parameters, see :func:`_massless_bins`), traced ones bin by
    bin."""
    if not active(wc):
        return 0.0
    n = n or 48
    arrays = bool(jnp.ndim(q2min) or jnp.ndim(q2max_))
    if arrays and not (is_concrete(q2min) and is_concrete(q2max_)):
        lo, hi = jnp.broadcast_arrays(jnp.asarray(q2min, float), jnp.asarray(q2max_, float))
        one = lambda l_, h_: BR_bin(mode, l_, h_, wc, par, n, longitudinal)  # noqa: E731
        return jax.vmap(one)(lo.ravel(), hi.ravel()).reshape(lo.shape)
    top = b.q2max(mode, par)
    out = 0.0
    # one integral per final state: its own threshold keeps the endpoint substitution accurate
    for i, j, legs, ops in _classes(wc):
        one = {f"{p}_bsnu{i}nu{j}": c for p, c in ops}
        masses = {k: wc[k] for k in (MASS_KEYS[i] if legs[0] else None,
                                      MASS_KEYS[j] if legs[1] else None) if k in wc}
        if not masses:
            out = out + _massless_bins(mode, q2min, q2max_, top, one, par, n, longitudinal,
                                       (i, j, legs))
            continue
        # a sterile mass (possibly sampled): the rate is no polynomial in it, quadrature
        one = {**masses, **one}
        m1, m2 = _masses(wc, i, j, legs)
        thr = (m1 + m2) ** 2
        f = jax.vmap(lambda x, one=one: dBR_dq2(mode, x, one, par, longitudinal))

        def single(l_, h_, f=f, thr=thr):
            lo = jnp.clip(l_, thr, top)
            return integrate_endpoint(f, lo, jnp.maximum(jnp.clip(h_, thr, top), lo), n=n)
        if arrays:
            lo, hi = jnp.broadcast_arrays(jnp.asarray(q2min, float), jnp.asarray(q2max_, float))
            out = out + jax.vmap(single)(lo.ravel(), hi.ravel()).reshape(lo.shape)
        else:
            out = out + single(q2min, q2max_)
    return out


def _massless_bins(mode, q2min, q2max_, top, one, par, n, longitudinal, tag):
    """BR of one massless final state (coefficients ``one``) over [q2min, q2max] (scalars or
    arrays of bins).  The rate is a quadratic polynomial in the coefficients and a quadratic
    form in the form-factor coefficients, so with traced coefficients or form factors and
    concrete edges and other parameters the bin integrals are one contraction with constants
    computed once (``common.integrate_polynomial``, which checks them against the quadrature
    when it builds them); otherwise the quadrature itself."""
    if is_concrete(q2min) and is_concrete(q2max_) and is_concrete(top):
        lo = np.clip(np.asarray(q2min, float), 0.0, float(top))
        hi = np.maximum(np.clip(np.asarray(q2max_, float), 0.0, float(top)), lo)
    else:
        lo = jnp.clip(q2min, 0.0, top)
        hi = jnp.maximum(jnp.clip(q2max_, 0.0, top), lo)
    return integrate_polynomial(lambda q, c, p: dBR_dq2(mode, q, c, p, longitudinal), one,
                                lo, hi, par, b.FF_NAMES[b.MODES[mode][2]],
                                key=("bsnunu_wet", mode, tag, longitudinal), n=n)


def BR(mode: str, wc: dict, par, n: int = 48):
    """Total BR of this module's final states (0.0 if none is active)."""
    return BR_bin(mode, 0.0, b.q2max(mode, par), wc, par, n=n)


def _vector_parts(mode, k, wc, par):
    """(longitudinal, total) of the bsnunu vector rate from its kernels ``k`` (same units)."""
    sp, sm = b.coupling_sums(wc, par)
    n2 = b.norm2(par)
    return n2 * sm * k[..., 2], n2 * b._combine(mode, k, sp, sm)


def FL(mode: str, q2, wc: dict, par):
    """F_L(q^2) of the K* in B -> K* nu nu with every operator (``bsnunu.FL`` itself when
    only vector operators of massless neutrinos are present)."""
    if b.MODES[mode][2] != "V":
        raise ValueError(f"F_L needs a B -> K* mode, not {mode!r}")
    if not active(wc):
        return b.FL(mode, q2, wc, par)
    long_v, tot_v = _vector_parts(mode, b.kernels(mode, q2, par), wc, par)
    long_n = dGamma_dq2(mode, q2, wc, par, longitudinal=True)
    tot_n = dGamma_dq2(mode, q2, wc, par)
    return (long_v + long_n) / (tot_v + tot_n)


def FL_bin(mode: str, q2min, q2max_, wc: dict, par, n: int = 48):
    """q^2-integrated F_L (int Gamma_0 / int Gamma over the bin) with every operator
    (``bsnunu.FL_bin`` itself when only vector operators of massless neutrinos are present)."""
    if b.MODES[mode][2] != "V":
        raise ValueError(f"F_L needs a B -> K* mode, not {mode!r}")
    if not active(wc):
        return b.FL_bin(mode, q2min, q2max_, wc, par, n=n)
    k = b._kernel_integrals(mode, q2min, q2max_, par, n)
    long_v, tot_v = _vector_parts(mode, k, wc, par)
    tau = par["tau_" + b.MODES[mode][0]]
    long_n = BR_bin(mode, q2min, q2max_, wc, par, n=n, longitudinal=True) / tau
    tot_n = BR_bin(mode, q2min, q2max_, wc, par, n=n) / tau
    return (long_v + long_n) / (tot_v + tot_n)
