"""Turn samples into ArviZ InferenceData and write the result files of a run.

Variable names: model parameters keep their names; nuisance blocks are ``nuis::<set>``
vectors (standard-normal latents) with their physical values as ``par::<name>``;
per-term log-likelihoods are in the ``log_likelihood`` group as ``loglik::<term>``; predicted
observables are in the ``posterior_predictive`` group as ``obs::<observable>``.  netCDF
cannot store '/' in names, so '/' is written as '÷' (``bkfit.inference.results.unsafe_name``
inverts it).
"""
from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

import arviz as az
import numpy as np

PKGS = ["bkfit", "jax", "jaxlib", "numpyro", "arviz", "flavio", "pyhf", "numpy", "scipy",
        "wilson", "pydantic"]


def safe_name(n: str) -> str:
    return n.replace("/", "÷")


def unsafe_name(n: str) -> str:
    return n.replace("÷", "/")


def versions() -> dict:
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
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def to_inference_data(samples: dict, extra: dict, attrs: dict) -> az.InferenceData:
    post, loglik, pp = {}, {}, {}
    for k, v in samples.items():
        if k.startswith("loglik::"):
            loglik[safe_name(k)] = v
        elif k.startswith("obs::"):
            pp[safe_name(k)] = v
        else:
            post[safe_name(k)] = v
    stats = {
        "diverging": extra["diverging"].astype(bool),
        "n_steps": extra["num_steps"],
        "tree_depth": np.floor(np.log2(np.maximum(extra["num_steps"], 1))).astype(int) + 1,
        "acceptance_rate": extra["accept_prob"],
        "lp": -extra["potential_energy"],
        "energy": extra["energy"],
    }
    kw = dict(posterior=post, sample_stats=stats, attrs=attrs)
    if loglik:
        kw["log_likelihood"] = loglik
    if pp:
        kw["posterior_predictive"] = pp
    return az.from_dict(**kw)


def model_var_names(idata, asm) -> list[str]:
    return [safe_name(p) for p in asm.priors]


def summarize(idata, asm) -> "pandas.DataFrame":  # noqa: F821
    names = model_var_names(idata, asm) + [v for v in idata.posterior.data_vars
                                           if v.startswith("nuis::")]
    return az.summary(idata, var_names=names or None, round_to=6) if names else az.summary(idata)


def corner_plot(idata, asm, path: Path):
    import corner
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = model_var_names(idata, asm)
    data = {}
    for n in names:
        data[n] = idata.posterior[n].values.reshape(-1)
    if "posterior_predictive" in idata.groups():
        for v in idata.posterior_predictive.data_vars:
            if v.startswith("obs::Rnunu") or len(data) < 2:
                data[v] = idata.posterior_predictive[v].values.reshape(-1)
    cols = [c for c in data if np.ptp(data[c]) > 0][:8]
    if len(cols) == 0:
        return None
    arr = np.column_stack([data[c] for c in cols])
    labels = [unsafe_name(c).replace("obs::", "") for c in cols]
    fig = corner.corner(arr, labels=labels, quantiles=[0.16, 0.5, 0.84], show_titles=True,
                        title_fmt=".3g", label_kwargs={"fontsize": 9})
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def diagnostics(idata) -> dict:
    rhat = az.rhat(idata)
    ess = az.ess(idata)
    post_vars = [v for v in idata.posterior.data_vars if not v.startswith("par::")]
    rmax = max((float(np.nanmax(rhat[v].values)) for v in post_vars), default=float("nan"))
    emin = min((float(np.nanmin(ess[v].values)) for v in post_vars), default=float("nan"))
    div = int(idata.sample_stats["diverging"].values.sum())
    nchains = idata.posterior.sizes["chain"]
    return {"rhat_max": rmax, "ess_bulk_min": emin, "divergences": div, "chains": int(nchains),
            "draws": int(idata.posterior.sizes["draw"])}


def warnings_for(diag: dict) -> list[str]:
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
    return np.quantile(np.asarray(x).reshape(-1), q)


def best_point(idata, asm) -> dict:
    lp = idata.sample_stats["lp"].values.reshape(-1)
    i = int(np.argmax(lp))
    out = {"lp": float(lp[i])}
    for n in model_var_names(idata, asm):
        out[unsafe_name(n)] = float(idata.posterior[n].values.reshape(-1)[i])
    chi2 = 0.0
    if "log_likelihood" in idata.groups():
        for v in idata.log_likelihood.data_vars:
            chi2 += -2 * float(idata.log_likelihood[v].values.reshape(-1)[i])
    out["-2lnL"] = chi2
    return out


def write_report(idata, asm, diag, warn, timing: dict, path: Path):
    cfg = asm.cfg
    lines = [f"# bkfit run `{cfg.run.name}`", ""]
    if cfg.run.description:
        lines += [cfg.run.description, ""]
    lines += [f"- model: `{asm.model.name}` ({asm.model.description})",
              f"- run file: `{cfg.path}`; seed {cfg.run.seed}",
              f"- likelihood terms: {', '.join('`' + t.name + '`' for t in asm.terms)}",
              f"- nuisance sets: {', '.join(b.site for b in asm.blocks) or 'none'}",
              f"- chains x draws: {diag['chains']} x {diag['draws']}; "
              f"wall time {timing.get('sampling_s', float('nan')):.1f} s (compile included)",
              ""]
    lines += ["## Diagnostics", "",
              f"- max R-hat: {diag['rhat_max']:.4f}",
              f"- min bulk ESS: {diag['ess_bulk_min']:.0f}",
              f"- divergences: {diag['divergences']}"]
    h = diag.get("health")
    if h:
        minf = {t: c for t, c in h["minus_inf"].items() if c}
        lines.append(f"- numerical health before sampling: {h['draws']} prior draws, "
                     f"NaN values {sum(h['nan'].values())}, non-finite gradients "
                     f"{h['bad_gradient']}; -inf (outside a term's physical region): "
                     + (", ".join(f"`{t}` {c}" for t, c in minf.items()) if minf else "none"))
    lines.append("")
    if warn:
        lines += ["**WARNINGS**", ""] + [f"- **{w}**" for w in warn] + [""]
    else:
        lines += ["Converged: R-hat <= 1.01 and no divergences.", ""]
    if asm.priors:
        lines += ["## Priors", "", "| parameter | prior |", "|---|---|"]
        lines += [f"| `{k}` | {v} |" for k, v in asm.prior_text.items()] + [""]
        lines += ["## Parameters (posterior)", "", "| parameter | mean | std | 16% | 50% | 84% |",
                  "|---|---|---|---|---|---|"]
        for n in model_var_names(idata, asm):
            x = idata.posterior[n].values
            q = interval(x)
            lines.append(f"| `{unsafe_name(n)}` | {x.mean():.4g} | {x.std():.4g} | {q[0]:.4g} | "
                         f"{q[1]:.4g} | {q[2]:.4g} |")
        lines.append("")
    bp = best_point(idata, asm)
    lines += ["## Best point (highest log posterior among the samples)", ""]
    lines += [f"- `{k}` = {v:.6g}" for k, v in bp.items()] + [""]
    if "posterior_predictive" in idata.groups():
        lines += ["## Key observables (posterior)", "",
                  "| observable | mean | std | 68% interval |", "|---|---|---|---|"]
        for v in idata.posterior_predictive.data_vars:
            x = idata.posterior_predictive[v].values
            q = interval(x)
            lines.append(f"| `{unsafe_name(v).replace('obs::', '')}` | {x.mean():.4g} | "
                         f"{x.std():.4g} | [{q[0]:.4g}, {q[2]:.4g}] |")
        lines.append("")
    if "log_likelihood" in idata.groups():
        lines += ["## Likelihood terms at the best point", "", "| term | -2 ln L |", "|---|---|"]
        lp = idata.sample_stats["lp"].values.reshape(-1)
        i = int(np.argmax(lp))
        for v in idata.log_likelihood.data_vars:
            lines.append(f"| `{unsafe_name(v).replace('loglik::', '')}` | "
                         f"{-2 * float(idata.log_likelihood[v].values.reshape(-1)[i]):.3f} |")
        lines.append("")
    lines += constraint_lines(idata, asm)
    extra = getattr(asm.model, "report_lines", None)
    if callable(extra):
        lines += extra(idata)
    path.write_text("\n".join(lines) + "\n")


NUNU_TAGS = ("nunu", "invisible")


def sm_term_values(asm) -> dict:
    """-2 ln L of every term without own nuisances at the SM (no new-physics coefficients),
    central nuisance values."""
    from .. import observables as obsreg
    out = {}
    par = asm.base_par
    for term, keys in zip(asm.terms, asm.term_keys):
        if term.nuisance_priors():
            continue
        preds = [obsreg.predict(n, {}, par, **a) for n, a in term.requests()]
        try:
            out[term.name] = -2.0 * float(term.log_likelihood(preds, {}))
        except Exception:  # noqa: BLE001 (a term that cannot be evaluated at the SM)
            continue
    return out


def constraint_lines(idata, asm) -> list[str]:
    """Which constraint pulls: per term, -2 ln L at the SM vs its posterior mean; the
    strongest constraint beyond B -> K(*) nu nu is the one whose posterior mean -2 ln L
    exceeds its SM value the most (it is what stops the model from fitting the excess)."""
    if "log_likelihood" not in idata.groups() or not asm.priors:
        return []
    sm = sm_term_values(asm)
    if not sm:
        return []
    rows = []
    for t in asm.terms:
        v = safe_name(f"loglik::{t.name}")
        if t.name not in sm or v not in idata.log_likelihood:
            continue
        post = -2.0 * float(np.mean(idata.log_likelihood[v].values))
        nunu = any(tag in n for n, _ in t.requests() for tag in NUNU_TAGS)
        rows.append((t.name, sm[t.name], post, post - sm[t.name], nunu))
    if not rows:
        return []
    rows.sort(key=lambda r: -r[3])
    lines = ["## Constraints: the SM vs the posterior", "",
             "| term | -2 ln L at the SM | posterior mean -2 ln L | difference |",
             "|---|---|---|---|"]
    lines += [f"| `{n}` | {a:.3f} | {b:.3f} | {d:+.3f} |" for n, a, b, d, _ in rows]
    other = [r for r in rows if not r[4]]
    if other and other[0][3] > 0:
        lines += ["", f"Strongest correlated constraint (beyond B → K(*)νν̄): `{other[0][0]}` "
                  f"(posterior mean −2 ln L {other[0][3]:+.2f} above its SM value)."]
    elif other:
        lines += ["", "No constraint beyond B → K(*)νν̄ is worse in the posterior than at the "
                  "SM."]
    return lines + [""]


def write_all(idata, asm, workdir: Path, timing: dict, health=None) -> dict:
    diag = diagnostics(idata)
    warn = warnings_for(diag)
    if health is not None:
        diag["health"] = {"draws": health.draws, "minus_inf": health.minus_inf,
                          "nan": health.nan_value, "bad_gradient": health.bad_gradient}
    idata.to_netcdf(str(workdir / "posterior.nc"))
    summarize(idata, asm).to_csv(workdir / "summary.csv")
    corner_plot(idata, asm, workdir / "corner.png")
    write_report(idata, asm, diag, warn, timing, workdir / "report.md")
    meta = {
        "run": asm.cfg.run.name, "model": asm.model.name, "seed": asm.cfg.run.seed,
        "versions": versions(),
        "run_file": str(Path(asm.cfg.path).resolve()) if Path(asm.cfg.path).is_file() else "",
        "input_checksums": checksums([asm.cfg.path] + asm.input_files),
        "diagnostics": diag, "warnings": warn, "timing": timing,
        "free_parameters": list(asm.priors),
        "priors": asm.prior_text,
        "terms": [t.name for t in asm.terms],
        "best_point": best_point(idata, asm),
    }
    (workdir / "run.toml").write_text(asm.cfg.text)
    (workdir / "metadata.json").write_text(json.dumps(meta, indent=2, default=float))
    return meta
