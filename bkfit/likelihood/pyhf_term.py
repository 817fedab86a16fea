"""Likelihood term of type ``pyhf``: a HistFactory (pyhf JSON) workspace, evaluated by
bkfit/likelihood/histfactory.py, with the Belle II q^2 reweighting of the signal samples.

Reweighting (recipe of arXiv:2507.12393 / arXiv:2402.08417): the term requests the 100
bin-integrated branching ratios A_j of B+ -> K+ + invisible in the physical true-q^2 bins;
w_j = A_j / N_j with N_j from the Belle II reference spectrum
(``bkfit.physics.belle2_reference``; w = 1 where N_j = 0); the sentinel column [-1, 0) of the
maps gets w_0 = 1 (``sentinel_weight: one``, the published recipe) or w_0 = w_1
(``sentinel_weight: adjacent``); per reconstructed bin r_i = sum_j M_ij w_j / sum_j M_ij
multiplies the reweighted signal sample.  ``mu`` is removed and, with
``drop_ff_systematics``, the signal form-factor systematics ``corr_ff_*`` too.

Nuisances: ``nuisances: sample`` returns the pyhf constraints as numpyro priors on three
vector sites ``<term name>::alpha`` (Normal(0, 1), histosys/normsys), ``::gamma``
(Normal(1, sigma) truncated at 0, staterror; sampled in softplus coordinates,
``positive_normal.py``) and ``::free`` (uniform, normfactors), and
``log_likelihood`` is the main (Poisson) part only.  ``nuisances: profile`` maximises the full
logpdf over all constrained nuisances by a fixed number (15) of monotone Gauss-Newton steps at
the given signal (within 1e-10 in ln L of a full minimisation for signals up to 20 x SM, see
docs/belle2_likelihood.md; the gradient is the envelope-theorem partial derivative at the
profiled point) and has no nuisance sites.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..inputs.data_files import safe_load as _yaml_load
from ..physics.common import evaluate_staged
from .base import Reference, Term
from .histfactory import CompiledWorkspace
from .positive_normal import PositiveNormal

OBS = "<BR>(B+->K+invisible)"
FF_PREFIX = "corr_ff_"
ENTRY_KEYS = {"name", "type", "workspace", "maps", "null_spectrum", "mode",
              "drop_ff_systematics", "nuisances", "sentinel_weight", "profile_iterations",
              "profile_start", "reference", "notes"}


# ---------------------------------------------------------------------------- the term
@dataclass
class PyhfTerm(Term):
    """Likelihood term from a pyhf (HistFactory) workspace; in ``reweight`` mode the signal
    samples are reweighted bin by bin by the predicted B+ -> K+ + invisible q^2 spectrum."""
    workspace: dict = field(default_factory=dict)
    maps: dict = field(default_factory=dict)          # "channel/sample" -> M (n_bins x 101)
    null: dict = field(default_factory=dict)          # parsed null_spectrum.yaml
    mode: str = "reweight"                            # reweight | mu
    drop_ff_systematics: bool = True
    nuisances: str = "sample"                         # sample | profile
    sentinel_weight: str = "one"                      # one (recipe) | adjacent
    profile_iterations: int = 15
    profile_start: str = "nominal"                    # nominal | bestfit

    def __post_init__(self):
        if self.mode not in ("reweight", "mu"):
            raise ValueError(f"mode must be 'reweight' or 'mu', not {self.mode!r}")
        if self.nuisances not in ("sample", "profile"):
            raise ValueError(f"nuisances must be 'sample' or 'profile', not {self.nuisances!r}")
        if self.profile_start not in ("nominal", "bestfit"):
            raise ValueError("profile_start must be 'nominal' or 'bestfit'")
        if self.sentinel_weight not in ("one", "adjacent"):
            raise ValueError("sentinel_weight must be 'one' or 'adjacent'")
        rw = list(self.maps) if self.mode == "reweight" else []
        if self.mode == "reweight" and not rw:
            raise ValueError("mode 'reweight' needs 'maps'")
        drop = []
        if self.mode == "reweight":
            poi = self.workspace["measurements"][0]["config"].get("poi")
            drop = [poi] if poi else []
            if self.drop_ff_systematics:
                drop.append(FF_PREFIX + "*")
        self.ws = CompiledWorkspace(self.workspace, rw, drop)
        ws = self.ws
        if self.mode == "reweight" and ws.free_names:
            # the POI must only multiply reweighted samples, otherwise it survives
            raise ValueError(f"free parameters {ws.free_names} remain after removing the POI "
                             "from the reweighted samples")
        # maps
        self._M, self._Msum = [], []
        for key, sl in zip(ws.rw_keys, ws.rw_rows):
            M = np.asarray(self.maps[key], float)
            nb = sl.stop - sl.start
            if M.shape[0] != nb:
                raise ValueError(f"map for {key} has {M.shape[0]} rows, the sample {nb} bins")
            s = M.sum(axis=1)
            if not np.allclose(s, ws.nom[sl], rtol=1e-3, atol=1e-6):
                raise ValueError(f"map rows of {key} do not sum to the nominal signal yields")
            self._M.append(M)
            self._Msum.append(s)
        # reference spectrum
        self.edges = self.null_bins = None
        if self.mode == "reweight":
            from ..physics import belle2_reference as ref
            c = ref.constants_from_yaml(self.null)
            e = ref.bin_edges(self.null)
            ncol = len(e) - 1
            for M in self._M:
                if M.shape[1] != ncol:
                    raise ValueError(f"maps have {M.shape[1]} columns, binning gives {ncol}")
            self.all_edges = e                      # 102 edges incl. sentinel
            self.edges = e[1:]                      # the 101 edges of the 100 physical bins
            self.null_bins = np.asarray(evaluate_staged(lambda: ref.bin_integrals(self.edges, c)))
            self._null_c = c
        self.channels = list(ws.channels)
        self.channel_nbins = dict(ws.nbins)
        # nuisance bookkeeping.  Sampled sites are three vectors (few pytree leaves keep the
        # NUTS program small: one scalar site per nuisance made compilation ~3x slower):
        # <name>::alpha (histosys/normsys), <name>::gamma (staterror, all blocks in order),
        # <name>::free (normfactors); each (site, slice of theta, kind).  _params maps every
        # pyhf parameter name to its slice of theta (for conversions from pyhf vectors).
        self._params = []
        off = 0
        for n in ws.alpha_names:
            self._params.append((n, slice(off, off + 1)))
            off += 1
        for n, _, nb, _ in ws.gamma_sets:
            self._params.append((n, slice(off, off + nb)))
            off += nb
        for n in ws.free_names:
            self._params.append((n, slice(off, off + 1)))
            off += 1
        na, ng, nf = ws.n_alpha, ws.n_gamma, len(ws.free_names)
        self._sites = [(f"{self.name}::{kind}", slice(a, a + n), kind)
                       for kind, a, n in (("alpha", 0, na), ("gamma", na, ng),
                                          ("free", na + ng, nf)) if n]
        self._lib = {}

    # --------------------------------------------------------------- construction
    @classmethod
    def from_entry(cls, entry: dict, base_dir: Path) -> "PyhfTerm":
        """Build the term from a likelihood-file entry (workspace and map paths relative to
        ``base_dir``); ValueError for unknown or missing fields."""
        base_dir = Path(base_dir)
        extra = set(entry) - ENTRY_KEYS
        if extra:
            raise ValueError(f"unknown field(s) {sorted(extra)} for a pyhf entry; allowed: "
                             f"{sorted(ENTRY_KEYS)}")
        for k in ("name", "workspace"):
            if k not in entry:
                raise ValueError(f"a pyhf entry needs '{k}'")
        wpath = base_dir / entry["workspace"]
        ws = json.loads(wpath.read_text())
        mode = entry.get("mode", "reweight")
        maps = {k: np.loadtxt(base_dir / v, delimiter=",", ndmin=2)
                for k, v in (entry.get("maps") or {}).items()}
        null = {}
        if mode == "reweight":
            npath = (base_dir / entry["null_spectrum"] if entry.get("null_spectrum")
                     else wpath.parent / "null_spectrum.yaml")
            null = _yaml_load(npath.read_text())
        ref = entry.get("reference") or {}
        if isinstance(ref, str):
            ref = {"citation": ref}
        return cls(name=entry["name"],
                   reference=Reference(ref.get("citation", ""), ref.get("where", ""),
                                       ref.get("notes", "")),
                   notes=entry.get("notes", ""), workspace=ws, maps=maps, null=null,
                   mode=mode, drop_ff_systematics=bool(entry.get("drop_ff_systematics", True)),
                   nuisances=entry.get("nuisances", "sample"),
                   sentinel_weight=entry.get("sentinel_weight", "one"),
                   profile_iterations=int(entry.get("profile_iterations", 15)),
                   profile_start=entry.get("profile_start", "nominal"),
                   options={k: entry[k] for k in ("mode", "drop_ff_systematics", "nuisances",
                                                  "sentinel_weight") if k in entry})

    # --------------------------------------------------------------- interface
    def requests(self):
        """In ``reweight`` mode the binned spectrum observable over the term's q^2 bins; otherwise
        none."""
        if self.mode != "reweight":
            return []
        return [(OBS, {"q2min": np.asarray(self.edges[:-1]), "q2max": np.asarray(self.edges[1:])})]

    def nuisance_priors(self):
        """Priors of the workspace's sampled nuisance sites (alphas, gammas, free normalisations);
        with ``nuisances='profile'`` only the free ones are sampled."""
        import numpyro.distributions as dist
        out = {}
        for site, sl, kind in self._sites:
            n = sl.stop - sl.start
            if kind == "alpha" and self.nuisances == "sample":
                out[site] = dist.Normal(jnp.zeros(n), 1.0).to_event(1)
            elif kind == "gamma" and self.nuisances == "sample":
                # Normal(1, sigma) restricted to gamma > 0 (pyhf's bounds [1e-10, 10]): bins
                # with sigma ~ 100 % (off-resonance background templates) would otherwise let
                # a sample's yield go negative, the Poisson mean hit the floor and NUTS diverge.
                # The truncation only changes the prior's normalisation (a constant).  NUTS
                # moves in coordinates where the prior is Gaussian (positive_normal.py).
                out[site] = PositiveNormal(np.ones(n), self.ws.gamma_sigma).to_event(1)
            elif kind == "free":
                lo, hi = (jnp.asarray(b, dtype=float) for b in zip(*self.ws.free_bounds))
                out[site] = dist.Uniform(lo, hi).to_event(1)
        return out

    def nuisance_sites(self):
        """Names of the sites of :meth:`nuisance_priors`, without building the distributions
        (numpyro's constructors run eager JAX operations, each a compiled program)."""
        return [site for site, _, kind in self._sites
                if kind == "free" or self.nuisances == "sample"]

    def log_likelihood(self, preds, nuis):
        """ln L of the workspace: the main Poisson term at the sampled nuisances, or the full
        likelihood at the profiled constrained nuisances (``nuisances='profile'``)."""
        r = self.ratios_vector(preds[0]) if self.mode == "reweight" else None
        if self.nuisances == "profile":
            free = self._free_from(nuis)
            x = jax.lax.stop_gradient(self.ws.profile(jax.lax.stop_gradient(r), free,
                                                      self.profile_iterations,
                                                      start=self._profile_x0()))
            return self.ws.logpdf(jnp.concatenate([x, free]), r)
        return self.ws.main_logpdf(self.theta_from_nuis(nuis), r)

    def pointwise(self, preds, nuis):
        """Per-bin Poisson ln L of the main bins (one piece when nuisances are profiled)."""
        if self.nuisances == "profile":
            return jnp.atleast_1d(self.log_likelihood(preds, nuis))
        lam = self.ws.expected_main(self._theta(preds, nuis), self._r(preds))
        lam = jnp.where(lam > 1e-300, lam, 1e-300)      # the floor of main_logpdf
        n = jnp.asarray(self.ws.observed)
        return n * jnp.log(lam) - lam - jnp.asarray(self.ws.lgamma_obs)

    def point_labels(self):
        """Labels of the pointwise log-likelihood entries: one per main-measurement bin
        (``name[channel:i]``), or the term's name when its nuisances are profiled."""
        if self.nuisances == "profile":
            return [self.name]
        return [f"{self.name}[{c}:{i}]" for c in self.channels for i in range(self.ws.nbins[c])]

    def observed(self):
        """Observed counts of every main-measurement bin, channels concatenated."""
        return np.asarray(self.ws.observed, dtype=float)

    def replicate(self, key, preds, nuis):
        """Poisson counts around the expected main-bin counts."""
        lam = self.ws.expected_main(self._theta(preds, nuis), self._r(preds))
        return jax.random.poisson(key, jnp.maximum(lam, 0.0)).astype(float)

    def describe(self) -> str:
        """One-line description: bins, mode and constrained nuisances."""
        return (f"{self.name}: pyhf workspace, {self.ws.n_main} bins, mode {self.mode}, "
                f"{self.ws.n_constrained} constrained nuisances ({self.nuisances})")

    def _profile_x0(self):
        """Start of the profile iteration: the nominal nuisances, or (``profile_start:
        bestfit``) the nuisances that maximise the likelihood for the best-fitting multiple
        k of the reference spectrum (found once, by a golden-section search in k with
        fully converged profiles).  From there 2 Gauss-Newton steps reproduce the converged
        profile likelihood to < 0.03 in ln L for k in [0, 8] (checked in the tests)."""
        if self.profile_start != "bestfit" or self.mode != "reweight":
            return None
        if getattr(self, "_x0_cache", None) is None:
            # computed once, eagerly, even when first reached inside a jit trace
            with jax.ensure_compile_time_eval():
                self._x0_cache = self._bestfit_start()
        return jnp.asarray(self._x0_cache)

    def _bestfit_start(self) -> np.ndarray:
        """Golden-section search for the best multiple k of the reference spectrum (fully
        converged profiles); returns the profiled nuisances there."""
        nb = jnp.asarray(self.null_bins)
        prof = jax.jit(lambda k: self.ws.profile(self.ratios_vector(nb * k), None, 25))
        val = jax.jit(lambda k, x: self.ws.logpdf(
            jnp.concatenate([x, jnp.asarray(self.ws.free_init, dtype=float)]),
            self.ratios_vector(nb * k)))
        f = lambda k: -float(val(k, prof(k)))  # noqa: E731
        a, b = 0.0, 20.0
        g = (5 ** 0.5 - 1) / 2
        c, d = b - g * (b - a), a + g * (b - a)
        fc, fd = f(c), f(d)
        for _ in range(25):
            if fc < fd:
                b, d, fd = d, c, fc
                c = b - g * (b - a)
                fc = f(c)
            else:
                a, c, fc = c, d, fd
                d = a + g * (b - a)
                fd = f(d)
        self.k_hat = 0.5 * (a + b)
        return np.asarray(prof(self.k_hat))

    # --------------------------------------------------------------- nuisances <-> theta
    def _free_from(self, nuis):
        """The free (normfactor) parameters from ``nuis`` (their init values where absent)."""
        if not self.ws.free_names:
            return jnp.zeros(0)
        site = f"{self.name}::free"
        if site in nuis:
            return jnp.reshape(jnp.asarray(nuis[site], dtype=float), (-1,))
        return jnp.asarray(self.ws.free_init, dtype=float)

    def theta_from_nuis(self, nuis: dict):
        """Concatenate the nuisance sites into one workspace parameter vector."""
        parts = [jnp.reshape(jnp.asarray(nuis[site], dtype=float), (sl.stop - sl.start,))
                 for site, sl, _ in self._sites]
        return jnp.concatenate(parts) if parts else jnp.zeros(0)

    def nuis_from_theta(self, theta) -> dict:
        """Split a workspace parameter vector into the term's sampled nuisance sites."""
        return {site: theta[sl] for site, sl, kind in self._sites
                if not (self.nuisances == "profile" and kind != "free")}

    def nominal_nuisances(self) -> dict:
        """Nuisance sites at the workspace's nominal values."""
        return self.nuis_from_theta(jnp.asarray(self.ws.nominal_theta()))

    def nuis_from_pyhf(self, config, pars) -> dict:
        """Nuisance dict from a pyhf parameter vector (matched by parameter name)."""
        theta = np.asarray(self.ws.nominal_theta(), float).copy()
        pars = np.asarray(pars, float)
        for pname, sl in self._params:
            theta[sl] = pars[config.par_slice(pname)]
        return {k: jnp.asarray(v) for k, v in self.nuis_from_theta(theta).items()}

    # --------------------------------------------------------------- reweighting
    def weights(self, bins):
        """w_j for the 101 map columns (sentinel first) from the 100 physical A_j."""
        bins = jnp.asarray(bins)
        nj = jnp.asarray(self.null_bins)
        ok = (nj > 0) & jnp.isfinite(bins)
        w = jnp.where(ok, jnp.where(ok, bins, 0.0) / jnp.where(nj > 0, nj, 1.0), 1.0)
        w0 = w[:1] if self.sentinel_weight == "adjacent" else jnp.ones(1)
        return jnp.concatenate([w0, w])

    def ratios(self, bins) -> list:
        """r_i per reweighted sample (order of ``maps``)."""
        w = self.weights(bins)
        return [jnp.asarray(M) @ w / jnp.asarray(s) for M, s in zip(self._M, self._Msum)]

    def ratios_vector(self, bins):
        """All reweighting ratios (:meth:`ratios`) as one vector."""
        return jnp.concatenate(self.ratios(bins))

    def implied_spectrum(self, bins) -> dict:
        """The true-q^2 spectrum the term sees: bin centres/edges, dB/dq2 of the prediction and
        of the reference spectrum (bin averages), and the weights."""
        width = np.diff(self.edges)
        return {"edges": np.asarray(self.edges),
                "centres": 0.5 * (self.edges[1:] + self.edges[:-1]),
                "dBdq2": np.asarray(bins) / width, "dBdq2_null": self.null_bins / width,
                "weights": np.asarray(self.weights(bins))[1:]}

    # --------------------------------------------------------------- full logpdf / plots
    def _r(self, preds):
        return self.ratios_vector(preds[0]) if (self.mode == "reweight" and preds) else None

    def _theta(self, preds, nuis):
        if self.nuisances == "profile":
            free = self._free_from(nuis or {})
            x = self.ws.profile(self._r(preds), free, self.profile_iterations,
                                start=self._profile_x0())
            return jnp.concatenate([x, free])
        return self.theta_from_nuis(nuis)

    def full_logpdf(self, preds, nuis):
        """pyhf's complete logpdf (main + auxiliary).  For ``nuisances: sample`` this equals
        ``log_likelihood + sum(prior.log_prob)`` over the constrained priors."""
        return self.ws.logpdf(self._theta(preds, nuis), self._r(preds))

    def profile_nuisances(self, preds, nuis=None) -> dict:
        """Nuisances maximising the full logpdf at the given signal (all sites, incl. the
        constrained ones, whatever ``nuisances`` is)."""
        free = self._free_from(nuis or {})
        x = self.ws.profile(self._r(preds), free, max(self.profile_iterations, 20))
        theta = jnp.concatenate([x, free])
        return {site: theta[sl] for site, sl, _ in self._sites}

    def expected_counts(self, preds, nuis) -> dict:
        """Expected main-bin counts per channel (all samples summed)."""
        lam = self.ws.expected_main(self._theta(preds, nuis), self._r(preds))
        return {c: lam[self.ws.bin_offset[c]: self.ws.bin_offset[c] + self.ws.nbins[c]]
                for c in self.channels}

    def expected_by_sample(self, preds, nuis) -> dict:
        """channel -> {sample: expected counts per bin}."""
        rows = self.ws.expected_rows(self._theta(preds, nuis), self._r(preds))
        out: dict = {c: {} for c in self.channels}
        for c, s, sl in self.ws.samples:
            out[c][s] = rows[sl]
        return out

    def observed_counts(self) -> dict:
        """Observed counts of the main measurement, by channel."""
        return {c: self.ws.observed[self.ws.bin_offset[c]: self.ws.bin_offset[c] +
                                    self.ws.nbins[c]] for c in self.channels}


# ---------------------------------------------------------------------------- shipped entry
def default_term(**overrides) -> PyhfTerm:
    """The ``belle2_2023_kpnunu_full`` entry of likelihoods/belle2_kpnunu_2023.yaml."""
    from ..inputs.shipped import shipped_dir
    root = shipped_dir("likelihoods")
    data = _yaml_load((root / "belle2_kpnunu_2023.yaml").read_text())
    entry = dict(data["entries"][0])
    entry.update(overrides)
    return PyhfTerm.from_entry(entry, root)
