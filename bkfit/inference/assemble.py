"""Assemble a run configuration into a numpyro model function (and plain JAX log-density).

Everything here is validated *before* any compilation: unknown models, parameters,
observables, priors or nuisance names raise :class:`bkfit.errors.InputError` naming the run
file and field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from .. import observables as obsreg
from ..config import RunConfig, resolve_path
from ..errors import InputError, did_you_mean
from ..inputs import NUISANCE_SETS, load_db
from ..likelihood.loader import load_files
from ..models import ModelError, make_model
from ..priors import PriorSet


@dataclass
class NuisanceBlock:
    """Correlated nuisance parameters sampled as one standard-normal site ``site``: the values
    are ``mean + chol @ z``, with ``chol`` the Cholesky factor of their covariance."""
    site: str
    names: list[str]
    mean: np.ndarray
    chol: np.ndarray


@dataclass
class Assembled:
    """Everything a fit needs from a run file: model, priors, likelihood terms, nuisance blocks,
    the base parameter values and the de-duplicated observable requests."""
    cfg: RunConfig
    model: object
    priors: dict                      # parameter -> numpyro distribution
    prior_text: dict                  # parameter -> description
    terms: list
    blocks: list[NuisanceBlock]
    base_par: dict
    requests: list[tuple[str, dict]]  # unique (name, args)
    keys: list[str]
    term_keys: list[list[str]]
    report_obs: list[tuple[str, dict]]
    input_files: list[str] = field(default_factory=list)
    catalogue: object = None          # observable catalogue (None: the default)

    # ------------------------------------------------------------- pure pieces
    def par_from(self, nuis_z: dict):
        """Parameter dict with every nuisance block's values computed from its standard-normal
        draws."""
        par = dict(self.base_par)
        for b in self.blocks:
            z = nuis_z[b.site]
            vals = jnp.asarray(b.mean) + jnp.asarray(b.chol) @ z
            for i, n in enumerate(b.names):
                par[n] = vals[i]
        return par

    def coefficients(self, theta: dict) -> dict:
        """The model's coefficients at ``theta`` plus the run's fixed ``[wcxf]`` ones (constants
        translated when the run was read; both are summed where a name is in both)."""
        coeffs = self.model.coefficients(theta)
        if not self.cfg.background:
            return coeffs
        out = dict(coeffs)
        for k, v in self.cfg.background.items():
            out[k] = out[k] + v if k in out else v
        return out

    def predictions(self, theta: dict, par: dict) -> dict:
        """Predictions of every requested observable, keyed like ``self.keys``, at model parameters
        ``theta`` and input parameters ``par``."""
        coeffs = self.coefficients(theta)
        out = {}
        for (name, args), key in zip(self.requests, self.keys):
            out[key] = obsreg.predict(name, coeffs, par, self.catalogue, **args)
        return out

    def report_values(self, theta: dict, par: dict) -> dict:
        """Predictions of the ``[report]`` observables, keyed by ``obs_key(name, args)``."""
        coeffs = self.coefficients(theta)
        return {obsreg.obs_key(n, a): obsreg.predict(n, coeffs, par, self.catalogue, **a)
                for n, a in self.report_obs}

    # ------------------------------------------------------------- numpyro model
    def core(self, theta: dict, nz: dict, nuis: list, record: bool = True):
        """Pure function of all sampled values: (per-term ln L, recorded values).  Jitted in
        :meth:`numpyro_model`, so that the model runs as one compiled computation even where
        numpyro evaluates it eagerly (initialisation): op-by-op it would compile hundreds of
        small XLA programs (~30 s for the full Belle II likelihood)."""
        par = self.par_from(nz)
        preds = self.predictions(theta, par)
        lls = [term.log_likelihood([preds[k] for k in keys], nu)
               for term, keys, nu in zip(self.terms, self.term_keys, nuis)]
        rec = {}
        if record:
            for b in self.blocks:
                for n in b.names:
                    rec[f"par::{n}"] = par[n]
            for k, v in self.report_values(theta, par).items():
                rec[f"obs::{k}"] = v
        return lls, rec

    def _jitted_core(self, record: bool):
        cache = self.__dict__.setdefault("_core_cache", {})
        if record not in cache:
            cache[record] = jax.jit(lambda th, nz, nu: self.core(th, nz, nu, record))
        return cache[record]

    def numpyro_model(self, record: bool = True, likelihood: bool = True):
        """The run as a numpyro model; ``likelihood=False`` gives the prior alone (every
        sampled site, no likelihood factor: cheap prior draws without tracing the terms)."""
        theta = {p: numpyro.sample(p, d) for p, d in self.priors.items()}
        nz = {}
        for b in self.blocks:
            nz[b.site] = numpyro.sample(
                b.site, dist.Normal(jnp.zeros(len(b.names)), 1.0).to_event(1))
        nuis = [{n: numpyro.sample(n, d) for n, d in term.nuisance_priors().items()}
                for term in self.terms]
        if not likelihood:
            return
        lls, rec = self._jitted_core(record)(theta, nz, nuis)
        for term, ll in zip(self.terms, lls):
            numpyro.factor(f"factor::{term.name}", ll)
            if record:
                numpyro.deterministic(f"loglik::{term.name}", ll)
        for k, v in rec.items():
            numpyro.deterministic(k, v)

    # ------------------------------------------------------------- ArviZ groups
    def point_labels(self) -> tuple[list[str], list[str]]:
        """(label, term name) of every entry of the pointwise log-likelihood vector."""
        labels, owners = [], []
        for t in self.terms:
            pl = t.point_labels()
            labels += pl
            owners += [t.name] * len(pl)
        return labels, owners

    def observed_terms(self) -> list:
        """The terms with measured central values (their ``observed()`` is not None)."""
        return [t for t in self.terms if t.observed() is not None]

    def data_core(self, theta: dict, nz: dict, nuis: list, key):
        """Pure function of the sampled values and a JAX key: (pointwise ln L over all
        measurements and bins, replicated data per observed term, recorded values)."""
        par = self.par_from(nz)
        preds = self.predictions(theta, par)
        keys = jax.random.split(key, max(len(self.terms), 1))
        points, reps = [], {}
        for i, (term, tk, nu) in enumerate(zip(self.terms, self.term_keys, nuis)):
            tp = [preds[k] for k in tk]
            points.append(jnp.reshape(term.pointwise(tp, nu), (-1,)))
            if term.observed() is not None:
                reps[term.name] = term.replicate(keys[i], tp, nu)
        rec = {f"par::{n}": par[n] for b in self.blocks for n in b.names}
        rec.update({f"obs::{k}": v for k, v in self.report_values(theta, par).items()})
        return jnp.concatenate(points), reps, rec

    def data_model(self):
        """The run as a numpyro model for :class:`numpyro.infer.Predictive`: the sampled sites
        of :meth:`numpyro_model`, then deterministic sites ``pointwise`` (ln L per measurement
        and bin), ``rep::<term>`` (replicated data) and the recorded ``par::``/``obs::``."""
        theta = {p: numpyro.sample(p, d) for p, d in self.priors.items()}
        nz = {b.site: numpyro.sample(b.site, dist.Normal(jnp.zeros(len(b.names)), 1.0)
                                     .to_event(1)) for b in self.blocks}
        nuis = [{n: numpyro.sample(n, d) for n, d in term.nuisance_priors().items()}
                for term in self.terms]
        cache = self.__dict__.setdefault("_core_cache", {})
        if "data" not in cache:
            cache["data"] = jax.jit(self.data_core)
        pw, reps, rec = cache["data"](theta, nz, nuis, numpyro.prng_key())
        numpyro.deterministic("pointwise", pw)
        for k, v in reps.items():
            numpyro.deterministic(f"rep::{k}", v)
        for k, v in rec.items():
            numpyro.deterministic(k, v)

    def sample_sites(self) -> list[str]:
        """Names of all sampled (latent) sites of :meth:`numpyro_model`."""
        return (list(self.priors) + [b.site for b in self.blocks]
                + [n for t in self.terms for n in t.nuisance_sites()])


def _model_error(e: ModelError, cfg: RunConfig) -> InputError:
    """The run file's InputError for a ModelError: field ``model.<e.field>`` (``model``
    where no single key of the [model] table is at fault)."""
    fld = f"model.{e.field}" if e.field else "model"
    return InputError(str(e), file=cfg.path, field=fld)


def _check_dense_mass(cfg: RunConfig, params, block_sites, terms):
    """[sampler] dense_mass groups may name model parameters, nuisance blocks
    ('nuis::ff_BK') and the sites of the likelihood terms' own nuisances, each at most once."""
    dm = cfg.sampler.dense_mass
    if isinstance(dm, bool):
        return
    sites = list(params) + list(block_sites)
    for t in terms:
        sites += t.nuisance_sites()
    seen = set()
    for i, group in enumerate(dm):
        if not group:
            raise InputError("an empty group; give at least one site per group",
                             file=cfg.path, field=f"sampler.dense_mass[{i}]")
        for name in group:
            if name not in sites:
                raise InputError(f"'{name}' is not a sampled site of this run."
                                 f"{did_you_mean(name, sites)} Sampled sites: {sites}",
                                 file=cfg.path, field=f"sampler.dense_mass[{i}]")
            if name in seen:
                raise InputError(f"'{name}' appears in more than one group",
                                 file=cfg.path, field=f"sampler.dense_mass[{i}]")
            seen.add(name)


def _check_asinh(cfg: RunConfig, priors: dict):
    """[sampler] asinh_scale may name model parameters with a scalar prior on an interval or
    the real line (bkfit/inference/reparam.py)."""
    from numpyro.distributions import constraints
    for name in cfg.sampler.asinh_scale:
        fld = f"sampler.asinh_scale.{name}"
        if name not in priors:
            raise InputError(f"'{name}' is not a model parameter of this run."
                             f"{did_you_mean(name, list(priors))} Model parameters: "
                             f"{', '.join(priors)}", file=cfg.path, field=fld)
        sup = priors[name].support
        if priors[name].event_shape != () or not (
                sup is constraints.real or hasattr(sup, "upper_bound")):
            raise InputError(f"'{name}': asinh coordinates need a scalar prior on an interval "
                             "or the real line", file=cfg.path, field=fld)


def assemble(cfg: RunConfig, catalogue: obsreg.Catalogue | None = None) -> Assembled:
    """Validate ``cfg`` and assemble it; observables come from ``catalogue`` (None: the
    default, :func:`bkfit.observables.default_catalogue`)."""
    run_path = Path(cfg.path)
    opts = {k: v for k, v in cfg.model.items() if k != "name"}
    try:
        model = make_model(cfg.model["name"], opts)
    except ModelError as e:
        raise _model_error(e, cfg) from None
    # priors
    pfile = cfg.priors.file or model.default_priors
    params = model.parameters()
    if params:
        if not pfile:
            raise InputError(f"model '{model.name}' needs a prior file", file=cfg.path,
                             field="priors.file")
        ppath = resolve_path(pfile, run_path)
        if not ppath.exists():
            near = [q.name for q in ppath.parent.iterdir()] if ppath.parent.is_dir() else []
            raise InputError(f"prior file '{pfile}' not found ({ppath}).{did_you_mean(ppath.name, near)}",
                             file=cfg.path, field="priors.file")
        pset = PriorSet.from_file(ppath)
        if cfg.priors.parameters:
            unknown = [k for k in cfg.priors.parameters if k not in params]
            if unknown:
                raise InputError(f"prior given for '{unknown[0]}', which is not a parameter of "
                                 f"model '{model.name}'.{did_you_mean(unknown[0], params)} "
                                 f"Parameters: {params}", file=cfg.path,
                                 field=f"priors.parameters.{unknown[0]}")
            pset = pset.updated(cfg.priors.parameters, cfg.path)
        priors = pset.distributions(params, run_file=cfg.path, model=model)
        prior_text = pset.describe(params)
    else:
        ppath, priors, prior_text = None, {}, {}
    # likelihood
    files = [resolve_path(f, run_path) for f in cfg.likelihood.files]
    for f, raw in zip(files, cfg.likelihood.files):
        if not f.exists():
            near = [q.name for q in f.parent.iterdir()] if f.parent.is_dir() else []
            raise InputError(f"likelihood file '{raw}' not found ({f}).{did_you_mean(f.name, near)}",
                             file=cfg.path, field="likelihood.files")
    terms = load_files(files, cfg.likelihood.include, cfg.likelihood.exclude,
                       file_for_errors=cfg.path, options=cfg.likelihood.options,
                       catalogue=catalogue)
    if not terms:
        raise InputError("no likelihood entries selected", file=cfg.path, field="likelihood")
    # nuisances
    db = load_db()
    try:
        db = db.with_overrides(cfg.nuisances.fixed)
    except KeyError as e:
        raise InputError(str(e.args[0]), file=cfg.path, field="nuisances.fixed") from None
    blocks = []
    used = set()
    for s in cfg.nuisances.sets:
        if s not in NUISANCE_SETS:
            raise InputError(f"unknown nuisance set '{s}'.{did_you_mean(s, NUISANCE_SETS)} "
                             f"Known: {', '.join(NUISANCE_SETS)}", file=cfg.path,
                             field="nuisances.sets")
    names_by_block = [(f"nuis::{s}", NUISANCE_SETS[s]) for s in cfg.nuisances.sets]
    if cfg.nuisances.parameters:
        for n in cfg.nuisances.parameters:
            if n not in db:
                raise InputError(f"unknown parameter '{n}'.{did_you_mean(n, db.central)}",
                                 file=cfg.path, field="nuisances.parameters")
            if not db.is_uncertain(n):
                raise InputError(f"parameter '{n}' has no uncertainty in the database",
                                 file=cfg.path, field="nuisances.parameters")
        names_by_block.append(("nuis::extra", list(cfg.nuisances.parameters)))
    for site, names in names_by_block:
        names = [n for n in names if n not in used]
        if not names:
            continue
        used.update(names)
        mean, chol = db.cholesky(names)
        blocks.append(NuisanceBlock(site, names, mean, chol))
    # predictions requested by terms
    requests, keys, term_keys = [], [], []
    for t in terms:
        tk = []
        for name, args in t.requests():
            key = obsreg.obs_key(name, args)
            if any(isinstance(v, np.ndarray) for v in args.values()):
                key = f"{name}#{t.name}"
            if key not in keys:
                keys.append(key)
                requests.append((name, args))
            tk.append(key)
        term_keys.append(tk)
    # report observables
    # (the model's suggested observables where the catalogue holds them; the run file's always)
    cat = obsreg.default_catalogue() if catalogue is None else catalogue
    report = []
    for o in list(dict.fromkeys([obsreg.obs_key(n, a) for n, a in model.key_observables()
                                 if n in cat] + cfg.report.observables)):
        try:
            report.append(obsreg.parse_obs_key(o, cat))
        except (obsreg.UnknownObservable, ValueError) as e:
            raise InputError(str(e.args[0]), file=cfg.path, field="report.observables") from None
    _check_dense_mass(cfg, list(priors), [b.site for b in blocks], terms)
    _check_asinh(cfg, priors)
    input_files = [str(f) for f in files] + ([str(ppath)] if ppath else [])
    return Assembled(cfg, model, priors, prior_text, terms, blocks, dict(db.central),
                     requests, keys, term_keys, report, input_files, catalogue)
