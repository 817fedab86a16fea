r"""Single-leptoquark models of the seed (He, Ma, Valencia; arXiv:2309.12741 and the slides
in the seed document), one leptoquark at a time, with left-handed lepton doublets:

    L_S = lam_S0    qbar^c_L i tau2 l_L S0^dag        + lam_St   dbar_R l_L St_{1/2}^dag
        + lam_S1    qbar^c_L i tau2 tau.S1^dag l_L    + h.c.
    L_V = lam_V12   dbar^c_R gamma^mu l_L V_{1/2,mu}^dag
        + lam_V1    qbar_L gamma^mu tau.V_{1,mu}^dag l_L  + h.c.

Names (seed = Davidson-Bailey-Campbell / PDG review notation, subscript = weak isospin;
Dorsner et al. arXiv:1603.04993 Table 1 in brackets; the seed's fields are the charge
conjugates of Dorsner's where the seed writes S^dag):

    S0       (3bar,1, 1/3)   [S1]          model 'lq_S0'
    St_{1/2} (3,  2, 1/6)    [R~2]         model 'lq_Stilde_half'
    S1       (3bar,3, 1/3)   [S3]          model 'lq_S1'      (triplet!)
    V_{1/2}  (3bar,2, 5/6)   [V2]          model 'lq_V_half'  (NOT V~2 = (3bar,2,-1/6), which
                                                               couples to u_R, not d_R)
    V1       (3,  3, 2/3)    [U3]          model 'lq_V1'

Parameters: ``M_TeV`` (leptoquark mass in TeV) and the entries lam_{ij} of the 3x3 coupling
matrix, i = quark generation (down-quark mass basis; for S0/S1/V1 the doublet is
q_L = (V^dag u_L, d_L)), j = lepton generation (e, mu, tau).  Run-file options
(``[model]`` table):

* ``couplings = ["lam_33", "lam_23"]``: the free entries (parameter names as listed);
* ``complex = true``: each free entry is complex, parameters ``re_lam_ij``, ``im_lam_ij``;
* ``fixed = {lam_22 = 0.1, M_TeV = 2.0}``: entries (or the mass) held fixed; values may be
  complex strings like '0.1+0.2j'.  Everything else is zero.
* ``mass_scaled = true`` (mass free): each free coupling is sampled as
  ``lam_ij_M2`` = lam_ij / M_TeV^2 (TeV^-2; ``re_lam_ij_M2``/``im_lam_ij_M2`` when complex)
  together with ``M_TeV``, and lam_ij = lam_ij_M2 * M_TeV^2.  With the other couplings
  fixed (e.g. lam_33 = 1) every flavour observable depends on lam_23 lam_33 / M^2 up to the
  logarithmic running, so lam_ij_M2 carries the flavour data and M_TeV is left to the
  running, the LHC bounds and the prior: the sampler sees an axis instead of the curved
  ridge lam_23 ~ c M^2.  (Priors on lam_ij_M2 are then priors on the ratio; the implied
  lam_ij can exceed perturbative values at large M -- state it with the result.)
  ``mass_scaled = ["lam_23"]`` scales only the listed free couplings; the others are
  sampled as plain lam_ij (for a coupling that enters only through products with a scaled
  one, e.g. lepton-flavour-violating lam_32 with lam_23: lam_23 lam_32 / M^2 =
  lam_23_M2 lam_32 is then free of M).
* S0 only: right-handed couplings ``lamR_ij`` (lamR_ij ubar^c_{R i} e_{R j} S0^dag, i = up
  generation) may be listed too; with lam they give scalar/tensor b -> c tau nu.

Matching with running (``coefficients``/``matching``; derivation in docs/leptoquarks.md):
the tree-level SMEFT coefficients at mu = M (lq1, lq3 for S0/S1/V1, ld for S~1/2 and V1/2,
lequ1/lequ3 for S0 with lamR; Dorsner et al. arXiv:1603.04993, :meth:`smeft`) are run to
m_W, matched to the WET and run to 4.8 GeV as the ``wilson`` package does, through the
precomputed linear map of bkfit.physics.leptoquark_running (cubic spline in ln M, grid
0.5-20 TeV; a fixed mass outside it is refused, a free mass is extrapolated -- keep the M
prior inside).  This includes the SMEFT running (top Yukawa, electroweak: up to 14 % for V1's
b -> c tau nu at 2 TeV), QCD/QED running below m_W and the lepton-universal penguins (e.g.
C9^{ee}, C9^{mumu} from tau couplings).  The returned coefficients are the WCxf flavio-basis
ones at 4.8 GeV with bkfit's normalisations

* b -> s: N = 4 G_F/sqrt2 V_tb V_ts^* alpha_e/(4 pi), alpha_e = alpha_e(m_b) (as in
  bkfit.physics.bsnunu); b -> c: N = 4 G_F/sqrt2 V_cb,

keeping the keys that are at least 1e-4 of the largest of their sector, plus ``M_LQ_TeV``
(the mass, read by the observable ``invM2_LQ`` of the LHC bounds) and the couplings
``lam_23_<model>``, ``lam_33_<model>`` (complex; read by the high-pT observables
``N_NP(pp->tautau,<model>)`` of bkfit.physics.leptoquark_highpt; named per model so that a
likelihood file of another leptoquark is refused).
``tree_matching`` is the direct tree-level map onto the WET at mu = M (no running), kept as
the reference.  B_s mixing: one-loop box at M, ``CVLL_bsbs`` (or ``CVRR_bsbs``), with the
WET running to 4.8 GeV (wilson, tabulated in the same data file).

CKM elements, G_F and alpha_e in the normalisations are taken from the central values of
bkfit's parameter database once, at model construction (the N C products are what is
physical; CKM nuisance variations of O(1 %) are not propagated into the matching).
"""
from __future__ import annotations

import functools
import math
import re
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..errors import did_you_mean
from ..physics import leptoquark_highpt as lqhpt
from ..physics import leptoquark_running as lqrun
from .base import Model, ModelError
from .left import parse_complex

FLAVOURS = ("e", "mu", "tau")
SCALE_LOW = 4.8            # GeV, scale of all returned low-energy coefficients
_COUPLING_RE = re.compile(r"^(lam|lamR)_([123])([123])$")


# --------------------------------------------------------------------------- inputs
@functools.lru_cache(maxsize=1)
def _inputs() -> dict:
    """Normalisation constants from the central parameter values (once)."""
    from ..inputs import load_db
    from ..physics.ckm import ckm_matrix

    par = load_db().central
    V = np.asarray(ckm_matrix(par["Vus"], par["Vub"], par["Vcb"], par["gamma"]))
    alpha = par["alpha_e"] * par["alpha_e(mb)/alpha_e(MZ)"]
    lam_t = V[2, 2] * np.conj(V[2, 1])                      # V_tb V_ts^*
    return {
        "V": V,
        "N_bs": 4 * par["GF"] / math.sqrt(2) * lam_t * alpha / (4 * math.pi),
        "N_bc": 4 * par["GF"] / math.sqrt(2) * V[1, 2],       # 4 G_F/sqrt2 V_cb
        "alpha_e": alpha,
    }


# --------------------------------------------------------------------------- models
class _Leptoquark(Model):
    """Common machinery; subclasses set the class constants below."""

    # d-quark chirality in b -> s ('L' or 'R'), Clebsch factors |c|^2 of the d-nu and d-e
    # couplings, fermion flow ('conj': b pairs with the unbarred lepton, lam*_{s l} lam_{b j};
    # 'direct': lam_{s j} lam*_{b l}), overall sign of the Fierzed coefficient, spin.
    spin: ClassVar[int] = 0
    chirality: ClassVar[str] = "L"
    f_nu: ClassVar[float] = 1.0
    f_e: ClassVar[float] = 0.0
    flow: ClassVar[str] = "conj"
    sign: ClassVar[float] = 1.0
    charged_current: ClassVar[str] = ""     # '', 'S0', 'S1', 'V1'
    n_box: ClassVar[float] = 1.0            # sum over LQ components of |c_A|^4
    aliases: ClassVar[tuple[str, ...]] = ()
    alt_names: ClassVar[str] = ""
    # SMEFT coefficients at mu = M per unit of T/M^2 (T: flow tensor, see _smeft)
    smeft_ops: ClassVar[dict] = {}
    option_keys = ("couplings", "complex", "fixed", "mass_scaled")
    allow_right_handed: ClassVar[bool] = False

    def __init__(self, options):
        super().__init__(options)
        couplings = options.get("couplings", [])
        if isinstance(couplings, str) or not isinstance(couplings, (list, tuple)):
            raise ModelError(f"model '{self.name}': option 'couplings' must be a list such "
                             "as [\"lam_33\", \"lam_23\"]", field="couplings")
        self.complex = bool(options.get("complex", False))
        fixed = options.get("fixed", {}) or {}
        if not isinstance(fixed, dict):
            raise ModelError(f"model '{self.name}': option 'fixed' must be a table "
                             "{name = value}", field="fixed")
        known = [f"lam_{i}{j}" for i in "123" for j in "123"]
        if self.allow_right_handed:
            known += [f"lamR_{i}{j}" for i in "123" for j in "123"]
        for key, names in (("couplings", list(couplings)),
                           ("fixed", [k for k in fixed if k != "M_TeV"])):
            for n in names:
                if n not in known:
                    raise ModelError(f"model '{self.name}' option '{key}': unknown coupling "
                                     f"'{n}'.{did_you_mean(n, known + ['M_TeV'])} Known: "
                                     "lam_ij (i = quark, j = lepton generation)"
                                     + (", lamR_ij" if self.allow_right_handed else ""),
                                     field=key if key == "couplings" else f"fixed.{n}")
        dup = set(couplings) & set(fixed)
        if dup or len(set(couplings)) != len(couplings):
            raise ModelError(f"model '{self.name}': coupling(s) {sorted(dup) or couplings} "
                             "listed twice in couplings / fixed",
                             field=f"fixed.{sorted(dup)[0]}" if dup else "couplings")
        if not couplings:
            raise ModelError(f"model '{self.name}' needs at least one free coupling in "
                             "option 'couplings'", field="couplings")
        self.free = list(couplings)
        self.fixed = {k: parse_complex(v, f"model option 'fixed.{k}'", field=f"fixed.{k}")
                      for k, v in fixed.items() if k != "M_TeV"}
        self.mass_fixed = None
        if "M_TeV" in fixed:
            m = fixed["M_TeV"]
            if not isinstance(m, (int, float)) or m <= 0:
                raise ModelError(f"model '{self.name}': fixed.M_TeV must be a positive number",
                                 field="fixed.M_TeV")
            self.mass_fixed = float(m)
            grid = lqrun.running_map()["masses"]
            if not grid[0] <= m <= grid[-1]:
                raise ModelError(f"model '{self.name}': fixed.M_TeV = {m} lies outside the "
                                 f"mass grid {grid[0]}-{grid[-1]} TeV of the running map "
                                 "(bkfit/inputs/data/lq_running.yaml)", field="fixed.M_TeV")
        scaled = options.get("mass_scaled", False)
        if isinstance(scaled, bool):
            scaled = list(self.free) if scaled else []
        elif isinstance(scaled, (list, tuple)):
            for n in scaled:
                if n not in self.free:
                    raise ModelError(f"model '{self.name}' option 'mass_scaled': '{n}' is not "
                                     f"a free coupling.{did_you_mean(str(n), self.free)} Free: "
                                     f"{self.free}", field="mass_scaled")
        else:
            raise ModelError(f"model '{self.name}': option 'mass_scaled' must be true or false "
                             "or a list of free couplings", field="mass_scaled")
        self.scaled = [n for n in self.free if n in scaled]
        self.mass_scaled = bool(self.scaled)
        if self.mass_scaled and self.mass_fixed is not None:
            raise ModelError(f"model '{self.name}': 'mass_scaled = true' needs the mass free "
                             "(remove M_TeV from 'fixed')", field="mass_scaled")
        self._inp = _inputs()
        self._keys = self._support()

    # ------------------------------------------------------------------ parameters
    def _pname(self, n):
        return f"{n}_M2" if n in self.scaled else n

    def parameters(self):
        p = [] if self.mass_fixed is not None else ["M_TeV"]
        for n in self.free:
            q = self._pname(n)
            p += [f"re_{q}", f"im_{q}"] if self.complex else [q]
        return p

    def mass_parameters(self):
        """The leptoquark mass ``M_TeV`` (TeV) unless fixed; not produced in B decays."""
        return {p: 0 for p in self.parameters() if p == "M_TeV"}

    def _matrices(self, theta):
        lam = jnp.zeros((3, 3), dtype=complex)
        lamR = jnp.zeros((3, 3), dtype=complex)
        vals = dict(self.fixed)
        for n in self.free:
            q = self._pname(n)
            vals[n] = (theta[f"re_{q}"] + 1j * theta[f"im_{q}"]) if self.complex else theta[q]
            if n in self.scaled:
                vals[n] = vals[n] * theta["M_TeV"] ** 2
        for n, v in vals.items():
            kind, i, j = _COUPLING_RE.match(n).groups()
            if kind == "lam":
                lam = lam.at[int(i) - 1, int(j) - 1].set(v)
            else:
                lamR = lamR.at[int(i) - 1, int(j) - 1].set(v)
        return lam, lamR

    # ------------------------------------------------------------------ matching
    def tree_matching(self, lam, lamR, mass_tev) -> dict:
        """Tree-level matching straight onto the WET at mu = M (no running; the box
        unrun): all coefficients (including zeros) for coupling matrices lam, lamR (3x3,
        complex) and mass M_TeV; pure jnp.  The reference for the SMEFT route."""
        inp = self._inp
        M2 = (mass_tev * 1e3) ** 2                       # GeV^2
        s, b = 1, 2                                      # generation indices of s and b
        # K[l, j]: coefficient structure of (sbar Gamma b)(lbar_l Gamma l_j)
        if self.flow == "conj":
            K = jnp.outer(jnp.conj(lam[s, :]), lam[b, :])
        else:
            K = jnp.outer(jnp.conj(lam[b, :]), lam[s, :])
        kspin = 2.0 if self.spin == 0 else 1.0
        c = self.sign * K / (kspin * M2)                 # L_eff coefficient of
        # (sbar g^mu P_X b)(lbar_l g_mu P_L l_j) per unit Clebsch
        CX = "L" if self.chirality == "L" else "R"
        p = "" if self.chirality == "L" else "p"
        out = {}
        for l, fl in enumerate(FLAVOURS):
            for j, fj in enumerate(FLAVOURS):
                # WCxf: C_bs{a}{b} multiplies (lbar_b ... l_a)
                cnu = self.f_nu * c[l, j] / (2 * inp["N_bs"])
                ce = self.f_e * c[l, j] / (2 * inp["N_bs"])
                out[f"C{CX}_bsnu{fj}nu{fl}"] = cnu
                out[f"C9{p}_bs{fj}{fl}"] = ce
                out[f"C10{p}_bs{fj}{fl}"] = -ce
        # b -> c l nu (charged current), L_eff coefficient of (cbar g P_L b)(lbar_l g P_L nu_r)
        V = jnp.asarray(inp["V"])
        if self.charged_current in ("S0", "S1"):
            sgn = -1.0 if self.charged_current == "S0" else 1.0
            Vlc = (V @ jnp.conj(lam))[1, :]              # (V lam^*)_{c l}
            ccc = sgn * jnp.outer(Vlc, lam[b, :]) / (2 * M2)
        elif self.charged_current == "V1":
            Vl = (V @ lam)[1, :]                         # (V lam)_{c r}
            ccc = jnp.outer(jnp.conj(lam[b, :]), Vl) / M2
        else:
            ccc = None
        if ccc is not None:
            for l, fl in enumerate(FLAVOURS):
                for r, fr in enumerate(FLAVOURS):
                    out[f"CVL_bc{fl}nu{fr}"] = -ccc[l, r] / inp["N_bc"]
        if self.allow_right_handed:
            # L_eff = lamR*_{c l} lam_{b r}/(2M^2) O_S - lamR*_{c l} lam_{b r}/(8M^2) O_T
            X = jnp.outer(jnp.conj(lamR[1, :]), lam[b, :])
            for l, fl in enumerate(FLAVOURS):
                for r, fr in enumerate(FLAVOURS):
                    cs = -X[l, r] / (2 * M2) / inp["N_bc"]
                    ct = X[l, r] / (8 * M2) / inp["N_bc"]
                    out[f"CSL_bc{fl}nu{fr}"] = cs
                    out[f"CT_bc{fl}nu{fr}"] = ct
        # B_s mixing box: H = n (sum_a K_aa)^2 / (128 pi^2 M^2) * (1 scalar, 4 vector) O;
        # flavio basis H = -C O.
        tr = jnp.trace(K)
        spinfac = 1.0 if self.spin == 0 else 4.0
        cbox = -self.n_box * spinfac * tr ** 2 / (128 * math.pi ** 2 * M2)
        key = "VLL" if self.chirality == "L" else "VRR"
        out[f"C{key}_bsbs"] = cbox
        return out

    def smeft(self, lam, lamR, mass_tev) -> tuple[dict, dict]:
        """Tree-level SMEFT coefficients at mu = M (GeV^-2, Warsaw basis, down-quark mass
        basis): ({op: T[l, j, i, k]} for lq1/lq3/ld, {op: E[p, r, k]} for lequ1/lequ3), in
        the index conventions of bkfit.physics.leptoquark_running.  Dorsner et al.
        arXiv:1603.04993 (tree-level matching), for the seed's fields; pure jnp."""
        M2 = (mass_tev * 1e3) ** 2
        if self.flow == "conj":       # T[l,j,i,k] = lam*_{il} lam_{kj}
            t = jnp.einsum("il,kj->ljik", jnp.conj(lam), lam)
        else:                         # T[l,j,i,k] = lam_{ij} lam*_{kl}
            t = jnp.einsum("ij,kl->ljik", lam, jnp.conj(lam))
        T = {op: f * t / M2 for op, f in self.smeft_ops.items()}
        E = {}
        if self.allow_right_handed:   # lequ1_{p r 3 k} = lamR_{kr} lam*_{3p}/(2M^2) = -4 lequ3
            e = jnp.einsum("kr,p->prk", lamR, jnp.conj(lam[2, :])) / (2 * M2)
            E = {"lequ1": e, "lequ3": -e / 4}
        return T, E

    def matching(self, lam, lamR, mass_tev, run=True) -> dict:
        """All coefficients (including zeros) at 4.8 GeV for coupling matrices lam, lamR (3x3,
        complex) and mass M_TeV; pure jnp.  ``run=True``: SMEFT coefficients at M, run and
        matched as ``wilson`` does (bkfit.physics.leptoquark_running), B_s box with the WET
        running; ``run=False``: :meth:`tree_matching`."""
        if not run:
            return self.tree_matching(lam, lamR, mass_tev)
        inp = self._inp
        T, E = self.smeft(lam, lamR, mass_tev)
        leff = lqrun.run_to_wet(T, E, mass_tev)                 # (X, l, j), GeV^-2
        out = {}
        for x, X in enumerate(lqrun.OUTPUT_TYPES):
            bc = X.endswith("_bc")
            norm = inp["N_bc"] if bc else inp["N_bs"]
            for l, fl in enumerate(FLAVOURS):
                for j, fj in enumerate(FLAVOURS):
                    if bc:
                        name = f"{X}{fl}nu{fj}"
                    elif X.endswith("nu"):
                        name = f"{X}{fj}nu{fl}"
                    else:
                        name = f"{X}{fj}{fl}"
                    out[name] = leff[x, l, j] / norm
        tree = self.tree_matching(lam, lamR, mass_tev)
        key = "VLL" if self.chirality == "L" else "VRR"
        out[f"C{key}_bsbs"] = tree[f"C{key}_bsbs"] * lqrun.box_running(key, mass_tev)
        return out

    def _support(self) -> list[str]:
        """Keys that can be non-zero for the chosen free/fixed couplings."""
        rng = np.random.default_rng(1)
        lam = np.zeros((3, 3), complex)
        lamR = np.zeros((3, 3), complex)
        for n in self.free + list(self.fixed):
            kind, i, j = _COUPLING_RE.match(n).groups()
            z = rng.uniform(0.5, 1.5) * np.exp(1j * rng.uniform(0, 2 * np.pi))
            (lam if kind == "lam" else lamR)[int(i) - 1, int(j) - 1] = z
        out = self.matching(jnp.asarray(lam), jnp.asarray(lamR), 2.0)
        # coefficients the running makes 1e-4 of the largest of their sector are dropped
        top = {s: max([abs(complex(v)) for k, v in out.items() if s in k[:8] and not k.endswith("bsbs")] + [0.0])
               for s in ("_bs", "_bc")}
        keep = []
        for k, v in out.items():
            s = "_bc" if "_bc" in k else "_bs"
            if k.endswith("bsbs") or abs(complex(v)) > 1e-4 * top[s]:
                keep.append(k)
        return keep

    def coefficients(self, theta):
        lam, lamR = self._matrices(theta)
        m = self.mass_fixed if self.mass_fixed is not None else theta["M_TeV"]
        full = self.matching(lam, lamR, m)
        out = {k: full[k] for k in self._keys}
        out["M_LQ_TeV"] = jnp.asarray(m, dtype=float)
        # the tau-column couplings for the high-pT tau tau observables
        # (bkfit.physics.leptoquark_highpt: N_NP(pp->tautau,<model>))
        k23, k33 = lqhpt.coupling_keys(self.name)
        out[k23], out[k33] = lam[1, 2], lam[2, 2]
        return out

    # ------------------------------------------------------------------ report
    def key_observables(self):
        return [("Rnunu(B+->K)", {}), ("Rnunu(B0->K*)", {})] + list(self.correlated)

    correlated: ClassVar[tuple] = ()


class LQ_S0(_Leptoquark):
    """S0 = (3bar,1,1/3) [Dorsner et al.: S1, the singlet]: lam qbar^c_L i tau2 l_L S0^dag.

    Couples d_L only to neutrinos: b -> s nu nu (C_L only, R_K = R_K*), no b -> s l l at
    tree level; b -> c tau nu (C_VL, and C_SL = -4 C_T with right-handed lamR)."""
    name = "lq_S0"
    description = "scalar leptoquark S0 (3bar,1,1/3) [Dorsner S1]: C_L, b->c tau nu, B_s mixing"
    default_priors = "priors/lq_S0.yaml"
    alt_names = "S1 (Dorsner et al. 1603.04993), S_0^L (PDG)"
    spin, chirality, f_nu, f_e, flow, sign = 0, "L", 1.0, 0.0, "conj", 1.0
    smeft_ops = {"lq1": 0.25, "lq3": -0.25}          # S1 of 1603.04993
    charged_current = "S0"
    n_box = 1.0
    allow_right_handed = True
    correlated = (("Rtaul(B->Dlnu)", {}), ("Rtaul(B->D*lnu)", {}), ("DeltaM_s", {}))


class LQ_Stilde_half(_Leptoquark):
    """St_{1/2} = (3,2,1/6) [Dorsner: R~2]: lam dbar_R l_L St^dag.

    Right-handed quark current: C_R^{lj} = C9'^{lj} = -C10'^{lj} (flavio normalisation)."""
    name = "lq_Stilde_half"
    description = "scalar leptoquark S~1/2 (3,2,1/6) [Dorsner R~2]: C_R = C9' = -C10'"
    default_priors = "priors/lq_Stilde_half.yaml"
    alt_names = "R~2 (Dorsner et al.), S~_{1/2}^L (PDG)"
    spin, chirality, f_nu, f_e, flow, sign = 0, "R", 1.0, 1.0, "direct", -1.0
    smeft_ops = {"ld": -0.5}                         # R~2
    n_box = 2.0
    correlated = (("BR(Bs->tautau)", {}), ("BR(B+->Ktautau)", {}),
                  ("BR(B+->Kmutau)", {}), ("BR(Bs->mutau)", {}), ("DeltaM_s", {}))


class LQ_S1(_Leptoquark):
    """S1 = (3bar,3,1/3) triplet [Dorsner: S3]: lam qbar^c_L i tau2 tau.S1^dag l_L.

    C9^{lj} = -C10^{lj} = 2 C_L^{lj}."""
    name = "lq_S1"
    description = "scalar triplet leptoquark S1 (3bar,3,1/3) [Dorsner S3]: C9 = -C10 = 2 C_L"
    default_priors = "priors/lq_S1.yaml"
    alt_names = "S3 (Dorsner et al.), S_1^L (PDG)"
    spin, chirality, f_nu, f_e, flow, sign = 0, "L", 1.0, 2.0, "conj", 1.0
    smeft_ops = {"lq1": 0.75, "lq3": 0.25}           # S3
    charged_current = "S1"
    n_box = 5.0
    correlated = (("C9_NP(mumu)", {}), ("BR(Bs->tautau)", {}), ("BR(B+->Kmutau)", {}),
                  ("Rtaul(B->Dlnu)", {}), ("DeltaM_s", {}))


class LQ_V_half(_Leptoquark):
    """V_{1/2} = (3bar,2,5/6) [Dorsner: V2]: lam dbar^c_R gamma^mu l_L V_mu^dag.

    C_R^{lj} = C9'^{lj} = -C10'^{lj}."""
    name = "lq_V_half"
    description = "vector leptoquark V1/2 (3bar,2,5/6) [Dorsner V2]: C_R = C9' = -C10'"
    default_priors = "priors/lq_V_half.yaml"
    alt_names = "V2 (Dorsner et al.), V_{1/2}^L (PDG)"
    spin, chirality, f_nu, f_e, flow, sign = 1, "R", 1.0, 1.0, "conj", 1.0
    smeft_ops = {"ld": 1.0}                          # V2
    n_box = 2.0
    correlated = LQ_Stilde_half.correlated


class LQ_V1(_Leptoquark):
    """V1 = (3,3,2/3) triplet [Dorsner: U3]: lam qbar_L gamma^mu tau.V1^dag l_L.

    C9^{lj} = -C10^{lj} = C_L^{lj}/2."""
    name = "lq_V1"
    description = "vector triplet leptoquark V1 (3,3,2/3) [Dorsner U3]: C9 = -C10 = C_L/2"
    default_priors = "priors/lq_V1.yaml"
    alt_names = "U3 (Dorsner et al.), V_1^L (PDG)"
    spin, chirality, f_nu, f_e, flow, sign = 1, "L", 2.0, 1.0, "direct", -1.0
    smeft_ops = {"lq1": -1.5, "lq3": 0.5}            # U3
    charged_current = "V1"
    n_box = 5.0
    correlated = LQ_S1.correlated


ALL = (LQ_S0, LQ_Stilde_half, LQ_S1, LQ_V_half, LQ_V1)
