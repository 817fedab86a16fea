"""Turn samples into ArviZ InferenceData and write the result files of a run.

posterior.nc follows ArviZ conventions:

* ``posterior``: the sampled sites (model parameters, nuisance blocks ``nuis_<set>`` as
  standard-normal latents, the likelihood terms' own nuisances), the nuisances' physical
  values (``par_<name>``) and the derived observables (deterministics);
* ``prior``: the same variables for ``PRIOR_DRAWS`` draws from the prior;
* ``observed_data``: the measured central values of every term that has one (one variable per
  term; for a pyhf term the observed bin counts), with ``posterior_predictive`` and
  ``prior_predictive`` holding replicated data of the same variables;
* ``log_likelihood``: one variable ``total_pointwise`` over dimension ``measurement`` (every
  Gaussian-type measurement and every pyhf bin; coordinate ``term`` names the owning term),
  so that ``az.loo`` and ``az.compare`` need no ``var_name``.

Variable names are plain identifiers made from the display names by :func:`identifier`
(deterministic; e.g. ``obs::BR(B+->Knunu)`` -> ``BR_Bp_to_Knunu``); each variable keeps its
display name in ``attrs['label']``.
"""
from __future__ import annotations

import hashlib
import platform
import re
from importlib import metadata
from pathlib import Path

import arviz as az
import numpy as np

from .modes import hdi_modes, interval_text

PKGS = ["bkfit", "jax", "jaxlib", "numpyro", "arviz", "flavio", "pyhf", "numpy", "scipy",
        "wilson", "pydantic"]


PRIOR_DRAWS = 500

_SUBS = (("::", "_"), ("->", "_to_"), ("+", "p"), ("÷", "_over_"), ("/", "_over_"),
         ("*", "st"), (".", "p"), ("-", "m"))


def identifier(name: str) -> str:
    """A plain variable name (letters, digits, '_') for the display name ``name``; a leading
    ``obs::`` is dropped."""
    s = name[5:] if name.startswith("obs::") else name
    for a, b in _SUBS:
        s = s.replace(a, b)
    s = re.sub(r"_+", "_", re.sub(r"\W", "_", s, flags=re.ASCII)).strip("_")
    return s if s and not s[0].isdigit() else "v_" + s


def identifiers(names) -> dict:
    """display name -> identifier for ``names`` in order; a clash gets ``_2``, ``_3``, ..."""
    out, used = {}, set()
    for n in names:
        base = ident = identifier(n)
        i = 2
        while ident in used:
            ident, i = f"{base}_{i}", i + 1
        used.add(ident)
        out[n] = ident
    return out


# kept for results written before the identifiers (names with '÷')
def safe_name(n: str) -> str:
    """The pre-identifier variable name of a display name ('/' written as '÷')."""
    return n.replace("/", "÷")


def unsafe_name(n: str) -> str:
    """The display name behind a pre-identifier variable name ('÷' back to '/')."""
    return n.replace("÷", "/")


def label(idata, group: str, var: str) -> str:
    """The display name of a variable (its ``label`` attribute, else the name)."""
    return getattr(idata, group)[var].attrs.get("label", unsafe_name(var))


def versions() -> dict:
    """Versions of bkfit and its main dependencies, and the Python / platform (metadata.json)."""
    out = {"python": platform.python_version()}
    for p in PKGS:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def checksums(paths) -> dict:
    """sha256 of each of ``paths`` that is a file (a run given as a dict has none)."""
    return {str(f): sha256(f) for f in paths if f and Path(f).is_file()}


def sha256(path) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stats(extra: dict) -> dict:
    return {
        "diverging": extra["diverging"].astype(bool),
        "n_steps": extra["num_steps"],
        "tree_depth": np.floor(np.log2(np.maximum(extra["num_steps"], 1))).astype(int) + 1,
        "acceptance_rate": extra["accept_prob"],
        "lp": -extra["potential_energy"],
        "energy": extra["energy"],
    }


def _group(values: dict, names: dict) -> tuple[dict, dict]:
    """(identifier -> array, identifier -> label) of the display-named ``values``."""
    return ({names[k]: v for k, v in values.items()},
            {names[k]: k[5:] if k.startswith("obs::") else k for k in values})


def _kind(display: str) -> str:
    if display.startswith("obs::"):
        return "observable"
    return "nuisance_value" if display.startswith("par::") else "sampled"


def _set_labels(idata, group: str, labels: dict, kinds: dict) -> None:
    ds = getattr(idata, group)
    for v, lab in labels.items():
        if v in ds:
            ds[v].attrs["label"] = lab
            if v in kinds:
                ds[v].attrs["kind"] = kinds[v]


def observable_vars(idata, group: str = "posterior") -> list[str]:
    """The derived observables (deterministics) among a group's variables."""
    ds = getattr(idata, group)
    return [v for v in ds.data_vars if ds[v].attrs.get("kind") == "observable"]


def predictive_draws(model, seed: int, n: int | None = None,
                     posterior: dict | None = None) -> dict:
    """numpyro ``Predictive`` of ``model``, compiled as one program (numpyro runs it op by
    op otherwise, which for a run's full likelihood costs seconds): ``n`` draws from the
    prior, or one draw per row of the flat ``posterior`` samples.  Returns numpy arrays."""
    import jax
    from numpyro.infer import Predictive
    if posterior is None:
        fn = jax.jit(lambda key: Predictive(model, num_samples=n)(key))
        out = fn(jax.random.PRNGKey(seed))
    else:
        fn = jax.jit(lambda key, s: Predictive(model, posterior_samples=s)(key))
        out = fn(jax.random.PRNGKey(seed), posterior)
    return {k: np.asarray(v) for k, v in out.items()}


def prior_draws(asm, seed: int, n: int) -> dict:
    """``n`` draws of the run's sampled sites from the prior alone (the model without its
    likelihood), as numpy arrays: what the prior predictive group (seed + 1, ``PRIOR_DRAWS``
    draws) and the numerical-health check evaluate."""
    return predictive_draws(lambda: asm.numpyro_model(record=False, likelihood=False), seed,
                            n=n)


def _predictive(asm, samples: dict, seed: int, n: int,
                prior_sites: dict | None = None) -> tuple[dict, dict | None]:
    """Draws of ``asm.data_model`` for the posterior ``samples`` (chain, draw, ...) and, if
    ``n`` > 0, for ``n`` draws from the prior, evaluated together as one compiled program
    (the prior's sampled sites are drawn first from the prior alone, which is cheap, unless
    ``prior_sites``, the result of ``prior_draws(asm, seed + 1, n)``, is given).
    Returns (posterior draws shaped (chains, draws, ...), prior draws shaped (1, n, ...) or
    None); the sampled sites themselves are left out of the posterior draws."""
    sites = {k: np.asarray(samples[k]) for k in asm.sample_sites()}
    if not sites:     # no sampled site: every draw is the same point, one row stands for all
        post = {k: v[None] for k, v in predictive_draws(asm.data_model, seed, n=1).items()}
        prior = ({k: v[None] for k, v in predictive_draws(asm.data_model, seed + 1, n=n).items()}
                 if n else None)
        return post, prior
    c, d = next(iter(sites.values())).shape[:2]
    flat = {k: v.reshape((c * d,) + v.shape[2:]) for k, v in sites.items()}
    if n:
        pr = prior_draws(asm, seed + 1, n) if prior_sites is None else prior_sites
        flat = {k: np.concatenate([v, np.asarray(pr[k], dtype=v.dtype)]) for k, v in
                flat.items()}
    out = predictive_draws(asm.data_model, seed, posterior=flat)
    post = {k: v[:c * d].reshape((c, d) + v.shape[1:]) for k, v in out.items()
            if k not in sites}
    prior = None
    if n:
        prior = {k: np.asarray(v)[None] for k, v in pr.items()}
        prior.update({k: v[None, c * d:] for k, v in out.items()})
    return post, prior


RECORDED = ("par::", "obs::")


def to_inference_data(samples: dict, extra: dict, attrs: dict, asm=None, seed: int = 0,
                      prior_draws: int = PRIOR_DRAWS,
                      prior_sites: dict | None = None) -> az.InferenceData:
    """InferenceData of a NUTS run (layout in the module docstring).  Without ``asm`` only
    the ``posterior`` and ``sample_stats`` groups are written.  ``prior_draws``: how many
    prior draws the prior groups hold; ``prior_sites``: their sampled sites when already
    drawn by the module function of that name (``results.prior_draws(asm, seed + 1, n)``,
    the same values this function would otherwise draw)."""
    sites = asm.sample_sites() if asm is not None else []
    pp = pr = None
    if asm is not None:
        pp, pr = _predictive(asm, samples, seed, prior_draws, prior_sites)
        # the recorded values (nuisances' physical values, [report] observables) come from
        # the predictive pass, unless the sampler recorded them already
        samples = {**samples, **{k: v for k, v in pp.items()
                                 if k.startswith(RECORDED) and k not in samples}}
    disp = [k for k in sites if k in samples] + [
        k for k in samples if not k.startswith("loglik::") and k not in sites]
    extra_names = []
    if asm is not None:
        extra_names = [f"rep::{t.name}" for t in asm.observed_terms()]
    names = identifiers(disp + [t.name for t in (asm.terms if asm else [])])
    post, post_lab = _group({k: samples[k] for k in disp}, names)
    groups = dict(posterior=post, sample_stats=_stats(extra), attrs=attrs)
    labels = {"posterior": post_lab}
    dims, coords = {}, {}
    ll = None
    if asm is not None:
        tnames = {f"rep::{t.name}": names[t.name] for t in asm.observed_terms()}
        groups["posterior_predictive"] = {tnames[k]: pp[k] for k in extra_names}
        groups["observed_data"] = {names[t.name]: t.observed() for t in asm.observed_terms()}
        labels["observed_data"] = labels["posterior_predictive"] = {
            names[t.name]: t.name for t in asm.observed_terms()}
        if pr is not None:
            keep = [k for k in pr if k in names and not k.startswith("loglik::")]
            groups["prior"], labels["prior"] = _group({k: pr[k] for k in keep}, names)
            groups["prior_predictive"] = {tnames[k]: pr[k] for k in extra_names}
            labels["prior_predictive"] = labels["observed_data"]
        for t in asm.observed_terms():
            dims[names[t.name]] = [f"{names[t.name]}_dim_0"]
        point_labels, owners = asm.point_labels()
        ll = az.dict_to_dataset({"total_pointwise": pp["pointwise"]},
                                dims={"total_pointwise": ["measurement"]},
                                coords={"measurement": list(identifiers(point_labels).values())})
        ll = ll.assign_coords(term=("measurement", owners),
                              label=("measurement", point_labels))
        ll["total_pointwise"].attrs["label"] = "ln L per measurement and bin"
    idata = az.from_dict(**groups, dims=dims, coords=coords)
    if ll is not None:
        idata.add_groups(log_likelihood=ll)
    kinds = {names[k]: _kind(k) for k in names}
    for g, lab in labels.items():
        _set_labels(idata, g, lab, kinds)
    return idata


def term_loglik(idata) -> dict:
    """term name -> ln L per draw (chain, draw), summed from ``log_likelihood``."""
    if "log_likelihood" not in idata.groups():
        return {}
    ll = idata.log_likelihood
    if "total_pointwise" in ll and "term" in ll.coords:
        x = ll["total_pointwise"]
        terms = [str(t) for t in ll["term"].values]
        out = {}
        for t in dict.fromkeys(terms):
            out[t] = x.isel(measurement=[i for i, u in enumerate(terms) if u == t]).sum(
                "measurement").values
        return out
    return {unsafe_name(v).replace("loglik::", ""): ll[v].values for v in ll.data_vars}


def psis_loo(idata, var_name: str = "total_pointwise"):
    """ArviZ PSIS-LOO (pointwise) of ``log_likelihood[var_name]`` and its Pareto k per point,
    with k = 0 where a point's log-likelihood is the same in every draw.

    Such points (terms the model cannot move, e.g. a lepton-flavour-violating limit when the
    model has no such coupling) need no importance sampling: their leave-one-out predictive
    density is the likelihood itself, which ArviZ's elpd already gives, but ArviZ fits its
    Pareto tail to identical weights and reports k = inf.  Returns (ELPDData, k, number of
    such points)."""
    import warnings
    ll = idata.log_likelihood[var_name]
    values = np.asarray(ll.values).reshape(ll.shape[0] * ll.shape[1], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = az.loo(idata, var_name=var_name, pointwise=True)
    k = np.asarray(r["pareto_k"], dtype=float).reshape(-1).copy()
    const = np.all(values == values[:1], axis=0)
    k[const] = 0.0
    return r, k, int(const.sum())


def loo_summary(idata) -> dict | None:
    """PSIS-LOO over ``log_likelihood['total_pointwise']``: elpd, se, p_loo, the largest
    Pareto k and how many exceed 0.7 (None without a log_likelihood group); points whose
    log-likelihood is the same in every draw count as exact (k = 0, :func:`psis_loo`)."""
    if "log_likelihood" not in idata.groups() or "total_pointwise" not in idata.log_likelihood:
        return None
    r, k, n_const = psis_loo(idata)
    return {"elpd_loo": float(r["elpd_loo"]), "se": float(r["se"]), "p_loo": float(r["p_loo"]),
            "n_points": int(k.size), "pareto_k_max": float(np.nanmax(k)) if k.size else
            float("nan"), "pareto_k_above_0.7": int(np.sum(k > 0.7)),
            "n_constant_points": n_const}


def model_var_names(idata, asm) -> list[str]:
    """Posterior variable names of the model's free parameters, in prior order."""
    names = identifiers(list(asm.priors))
    return [names[p] for p in asm.priors]


def summarize(idata, asm) -> "pandas.DataFrame":  # noqa: F821
    """ArviZ summary table (mean, sd, HDI, R-hat, ESS, plus modes and the 68 % HDI per
    mode) of the free parameters and nuisance blocks (summary.csv)."""
    blocks = identifiers(list(asm.priors) + [b.site for b in asm.blocks])
    names = model_var_names(idata, asm) + [blocks[b.site] for b in asm.blocks
                                           if blocks[b.site] in idata.posterior]
    df = az.summary(idata, var_names=names or None, round_to=6) if names else az.summary(idata)
    # the 68 % HDI, one interval per mode for a multimodal parameter (bkfit.inference.modes)
    post = idata.posterior
    modes = {r: hdi_modes(post[r].values) for r in df.index if r in post and post[r].ndim == 2}
    df["modes"] = [len(modes[r]) if r in modes else 1 for r in df.index]
    df["hdi_68"] = [interval_text(modes[r]) if r in modes else "" for r in df.index]
    return df


def diagnostics(idata) -> dict:
    """Convergence figures of the sampled variables: max R-hat, min bulk ESS, divergences,
    chains and draws."""
    post_vars = [v for v in idata.posterior.data_vars
                 if idata.posterior[v].attrs.get("kind", "sampled") == "sampled"
                 and not v.startswith("par::")]
    # only the sampled variables: a recorded value that is constant (e.g. a term that does
    # not depend on the parameters) has no R-hat; a NaN of a sampled one is kept (a stuck
    # chain), so that the R-hat check below fails instead of passing silently
    rhat = az.rhat(idata, var_names=post_vars) if post_vars else {}
    ess = az.ess(idata, var_names=post_vars) if post_vars else {}
    rmax = max((float(np.max(rhat[v].values)) for v in post_vars), default=float("nan"))
    emin = min((float(np.min(ess[v].values)) for v in post_vars), default=float("nan"))
    div = int(idata.sample_stats["diverging"].values.sum())
    nchains = idata.posterior.sizes["chain"]
    return {"rhat_max": rmax, "ess_bulk_min": emin, "divergences": div, "chains": int(nchains),
            "draws": int(idata.posterior.sizes["draw"])}


def warnings_for(diag: dict) -> list[str]:
    """Warning lines for :func:`diagnostics` (R-hat > 1.01, divergences, a single chain)."""
    w = []
    if diag["chains"] > 1 and not diag["rhat_max"] <= 1.01:
        w.append(f"R-hat = {diag['rhat_max']:.4f} > 1.01: chains have not converged")
    if diag["divergences"] > 0:
        w.append(f"{diag['divergences']} divergent transition(s): the posterior geometry is "
                 "not explored reliably (reparametrise or raise target_accept)")
    if diag["chains"] == 1:
        w.append("only one chain: R-hat is not available")
    return w


def interval(x, q=(0.16, 0.5, 0.84)):
    """Quantiles ``q`` of all draws of ``x`` (default: the central 68 % interval and median)."""
    return np.quantile(np.asarray(x).reshape(-1), q)


def best_point(idata, asm) -> dict:
    """The draw with the largest log density: its lp, parameter values and total -2 ln L."""
    lp = idata.sample_stats["lp"].values.reshape(-1)
    i = int(np.argmax(lp))
    out = {"lp": float(lp[i])}
    for n in model_var_names(idata, asm):
        out[label(idata, "posterior", n)] = float(idata.posterior[n].values.reshape(-1)[i])
    chi2 = 0.0
    for v in term_loglik(idata).values():
        chi2 += -2 * float(np.asarray(v).reshape(-1)[i])
    out["-2lnL"] = chi2
    return out
