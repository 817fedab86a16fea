"""Likelihood term of type ``pyhf``: a pyhf workspace evaluated with pyhf's JAX backend, with
the Belle II q^2 reweighting of the signal samples.

Reweighting (recipe of arXiv:2507.12393 / arXiv:2402.08417): from the requested vector of
bin-integrated branching ratios A_j of B+ -> K+ + invisible in the 100 true-q^2 bins and the
reference spectrum's N_j, w_j = A_j / N_j (w = 1 where N_j = 0; the sentinel bin takes the weight of the first physical bin);
per reconstructed bin r_i = sum_j M_ij w_j / sum_j M_ij multiplies the signal sample.  The
multiplication is a pyhf ``shapefactor`` modifier added to each reweighted signal sample and
set to r_i, so it acts on the histosys-shifted template and combines with the staterror and
normsys factors exactly as pyhf does.  ``mu`` is removed (fixed to 1) and, with
``drop_ff_systematics``, the workspace's signal form-factor systematics corr_ff_c* too.

Nuisances: the constrained parameters are sampled by the inference layer with their pyhf
constraints as priors (``alpha`` vector: Normal(0, 1) for histosys/normsys; ``gamma`` vector:
Normal(1, sigma_i) for staterror).  ``log_likelihood`` is pyhf's main (Poisson) part, so
log_likelihood + prior log-densities = pyhf's ``logpdf``.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import yaml

from .base import Reference, Term

OBS = "<BR>(B+->K+invisible)"


def _pyhf_jax():
    import pyhf
    pyhf.set_backend("jax", precision="64b")
    return pyhf


def null_spectrum_bins(spec_file: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edges of the 100 physical bins, N_j) of the Belle II reference spectrum."""
    from ..physics.common import integrate
    from ..physics.formfactors import fplus_hpqcd
    d = yaml.safe_load(Path(spec_file).read_text())
    c = {k: v["value"] for k, v in d["constants"].items()}
    b = d["bins"]
    edges = np.linspace(b["q2_low"], b["q2_high"], b["n"] + 1)
    ffc = {"L": c["L"], "a0": c["a0"], "a1": c["a1"], "a2": c["a2"], "m_B": c["m_B"],
           "m_K": c["m_K"], "m_Bs*": c["m_Bs*"]}
    tau = c["tau_B_ps"] * 1e-12 / c["hbar_GeV_s"]
    alpha = 1.0 / c["alpha_inv"]
    mB, mK = c["m_B"], c["m_K"]

    def dbr(q2):
        lam = jnp.maximum(mB ** 4 + mK ** 4 + q2 ** 2 - 2 * (mB ** 2 * mK ** 2 + mK ** 2 * q2
                                                                 + q2 * mB ** 2), 0.0)
        pk3 = (jnp.sqrt(lam) / (2 * mB)) ** 3
        return (tau * c["GF"] ** 2 * alpha ** 2 * c["Xt"] ** 2 * c["VtbVts"] ** 2
                / (32 * np.pi ** 5 * c["s2w"] ** 2) * pk3 * fplus_hpqcd(q2, ffc) ** 2)

    nj = np.array([float(integrate(dbr, lo, hi, n=32)) for lo, hi in zip(edges[:-1], edges[1:])])
    return edges, nj, dbr


@dataclass
class PyhfTerm(Term):
    workspace: dict = field(default_factory=dict)
    maps: dict = field(default_factory=dict)          # "channel/sample" -> M (n_bins x 101)
    null_file: str = ""
    mode: str = "reweight"                            # reweight | mu
    drop_ff_systematics: bool = True

    def __post_init__(self):
        pyhf = _pyhf_jax()
        spec = copy.deepcopy(self.workspace)
        self._sf_names = []
        for ch in spec["channels"]:
            for s in ch["samples"]:
                key = f"{ch['name']}/{s['name']}"
                if self.mode == "reweight" and key in self.maps:
                    mods = [m for m in s["modifiers"] if m["name"] != "mu"]
                    if self.drop_ff_systematics:
                        mods = [m for m in mods if not m["name"].startswith("corr_ff_")]
                    nm = f"rw_{len(self._sf_names)}"
                    mods.append({"name": nm, "type": "shapefactor", "data": None})
                    s["modifiers"] = mods
                    self._sf_names.append((nm, key))
        if self.mode == "reweight" and len(self._sf_names) != len(self.maps):
            missing = set(self.maps) - {k for _, k in self._sf_names}
            raise ValueError(f"map(s) for unknown channel/sample {sorted(missing)}")
        ws = pyhf.Workspace(spec)
        self.model = ws.model(poi_name=None) if self.mode == "reweight" else ws.model()
        self.data = np.asarray(ws.data(self.model), dtype=float)
        cfg = self.model.config
        self.npar = cfg.npars
        self.main_data = self.data[: cfg.nmaindata]
        # index bookkeeping
        self._alpha_idx, self._gamma_idx, gam_sig, self._free = [], [], [], []
        mtype = dict(cfg.modifiers)
        for name in cfg.par_order:
            sl = cfg.par_slice(name)
            ps = cfg.param_set(name)
            idx = list(range(sl.start, sl.stop))
            if name.startswith("rw_"):
                continue
            if not ps.constrained:
                self._free.append((name, idx))
                continue
            if mtype.get(name) == "staterror":
                self._gamma_idx += idx
                gam_sig += list(ps.sigmas)
            else:
                self._alpha_idx += idx
        self._gamma_sig = np.asarray(gam_sig)
        self._init = np.asarray(cfg.suggested_init(), dtype=float)
        self._sf_idx = []
        self._rows = []
        for nm, key in self._sf_names:
            sl = cfg.par_slice(nm)
            self._sf_idx.append(list(range(sl.start, sl.stop)))
            M = np.asarray(self.maps[key], dtype=float)
            self._rows.append(M)
        edges, nj, self._null_dbr = null_spectrum_bins(self.null_file) if self.null_file else (None, None, None)
        self.edges, self.null_bins = edges, nj
        self.channels = list(cfg.channels)
        self.channel_nbins = dict(cfg.channel_nbins)

    # --------------------------------------------------------------- construction
    @classmethod
    def from_entry(cls, entry: dict, base_dir: Path) -> "PyhfTerm":
        allowed = {"name", "type", "workspace", "maps", "null_spectrum", "mode",
                   "drop_ff_systematics", "reference", "notes", "nuisances"}
        extra = set(entry) - allowed
        if extra:
            raise ValueError(f"unknown field(s) {sorted(extra)} for a pyhf entry; allowed: "
                             f"{sorted(allowed)}")
        mode = entry.get("mode", "reweight")
        if mode not in ("reweight", "mu"):
            raise ValueError(f"mode must be 'reweight' or 'mu', not {mode!r}")
        if entry.get("nuisances", "sample") != "sample":
            raise ValueError("nuisances: only 'sample' is implemented (see docs)")
        ws = json.loads((base_dir / entry["workspace"]).read_text())
        maps = {k: np.loadtxt(base_dir / v, delimiter=",") for k, v in
                (entry.get("maps") or {}).items()}
        ref = entry.get("reference") or {}
        return cls(name=entry["name"], reference=Reference(ref.get("citation", ""),
                                                           ref.get("where", "")),
                   notes=entry.get("notes", ""), workspace=ws, maps=maps,
                   null_file=str(base_dir / entry["null_spectrum"]) if entry.get("null_spectrum") else "",
                   mode=mode, drop_ff_systematics=bool(entry.get("drop_ff_systematics", True)))

    # --------------------------------------------------------------- interface
    def requests(self):
        if self.mode != "reweight":
            return []
        return [(OBS, {"q2min": self.edges[:-1], "q2max": self.edges[1:]})]

    def nuisance_priors(self):
        import numpyro.distributions as dist
        out = {f"{self.name}::alpha": dist.Normal(jnp.zeros(len(self._alpha_idx)), 1.0).to_event(1),
               f"{self.name}::gamma": dist.Normal(jnp.ones(len(self._gamma_idx)),
                                                  jnp.asarray(self._gamma_sig)).to_event(1)}
        for name, idx in self._free:
            out[f"{self.name}::{name}"] = dist.Uniform(0.0, 20.0).expand([len(idx)]).to_event(1)
        return out

    def ratios(self, bins):
        """r_i per reweighted sample from the 100 bin-integrated BRs."""
        nj = jnp.asarray(self.null_bins)
        w = jnp.where(nj > 0, bins / jnp.where(nj > 0, nj, 1.0), 1.0)
        # sentinel bin [-1, 0) (0.18 % of the HTA map, empty in the ITA maps): the published
        # recipe gives it w = 1; bkfit gives it the weight of the adjacent bin [0, 0.229) so
        # that k x (null spectrum) reproduces mu = k exactly (a difference of 0.18 % x (k - 1)
        # in the HTA signal otherwise).
        w = jnp.concatenate([w[:1], w])
        out = []
        for M in self._rows:
            out.append(jnp.asarray(M) @ w / jnp.asarray(M.sum(axis=1)))
        return out

    def full_pars(self, nuis: dict, ratios=None):
        p = jnp.asarray(self._init)
        p = p.at[jnp.asarray(self._alpha_idx)].set(nuis[f"{self.name}::alpha"])
        p = p.at[jnp.asarray(self._gamma_idx)].set(nuis[f"{self.name}::gamma"])
        for name, idx in self._free:
            p = p.at[jnp.asarray(idx)].set(nuis[f"{self.name}::{name}"])
        if ratios is not None:
            for idx, r in zip(self._sf_idx, ratios):
                p = p.at[jnp.asarray(idx)].set(r)
        return p

    def log_likelihood(self, preds, nuis):
        _pyhf_jax()
        r = self.ratios(preds[0]) if self.mode == "reweight" else None
        pars = self.full_pars(nuis, r)
        return jnp.sum(self.model.main_model.logpdf(jnp.asarray(self.main_data), pars))

    def full_logpdf(self, pars):
        """pyhf's complete logpdf (main + auxiliary) for a full parameter vector."""
        _pyhf_jax()
        return jnp.sum(self.model.logpdf(pars, jnp.asarray(self.data)))

    def expected_main(self, preds, nuis):
        _pyhf_jax()
        r = self.ratios(preds[0]) if self.mode == "reweight" else None
        return self.model.expected_actualdata(self.full_pars(nuis, r))
