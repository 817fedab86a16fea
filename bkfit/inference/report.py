"""The result files of a run: report.md (formatting of what the run found, including the
models' mass regions: models give data, :func:`mass_region_lines` writes the text) and
:func:`write_all` (with the corner plot of :mod:`bkfit.inference.figures`); the
InferenceData and the numbers come from :mod:`bkfit.inference.results`."""
from __future__ import annotations

import json
from pathlib import Path

import arviz as az
import numpy as np

from ..physics.common import evaluate_staged
from .figures import corner_plot
from .modes import HDI_PROB, MIN_MODE_MASS, VALLEY, hdi_modes, interval_text, mode_and_hdi
from .results import (best_point, checksums, diagnostics, identifiers, interval, label,
                      loo_summary, model_var_names, observable_vars, summarize, term_loglik,
                      versions, warnings_for)


def _mean_std_hdi(x) -> tuple[str, str]:
    """Table cells ``'mean | std'`` (``'multimodal | –'`` for several modes) and the 68 % HDI
    text, one interval per mode."""
    modes = hdi_modes(x, HDI_PROB)
    ms = f"{x.mean():.4g} | {x.std():.4g}" if len(modes) == 1 else "multimodal | –"
    return ms, interval_text(modes)


def write_report(idata, asm, diag, warn, timing: dict, path: Path):
    """report.md: run summary, diagnostics, warnings, priors, parameters (68 % HDI per
    mode), key observables, per-term -2 ln L, PSIS-LOO, constraints and the model's mass
    regions."""
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
        lines += ["## Parameters (posterior)", "",
                  "68 % highest-density interval (HDI).  A parameter whose multimodal HDI "
                  "(ArviZ) keeps two or more intervals, after merging neighbours without a "
                  f"valley (draw density in the gap < {VALLEY:.0%} of that inside) and dropping "
                  f"those holding less than {MIN_MODE_MASS:.0%} of the draws, is multimodal: "
                  "one interval per mode "
                  "(with its share of the draws) and no mean ± std.", "",
                  "| parameter | mean | std | 16% | 50% | 84% | 68% HDI |",
                  "|---|---|---|---|---|---|---|"]
        for n in model_var_names(idata, asm):
            x = idata.posterior[n].values
            q = interval(x)
            ms, hdi = _mean_std_hdi(x)
            lines.append(f"| `{label(idata, 'posterior', n)}` | {ms} | {q[0]:.4g} | "
                         f"{q[1]:.4g} | {q[2]:.4g} | {hdi} |")
        lines.append("")
    lines += marginal_mode_lines(idata, asm)
    bp = best_point(idata, asm)
    lines += ["## Best point (highest log posterior among the samples)", ""]
    lines += [f"- `{k}` = {v:.6g}" for k, v in bp.items()] + [""]
    obs_vars = observable_vars(idata)
    if obs_vars:
        lines += ["## Key observables (posterior)", "",
                  "| observable | variable | mean | std | 68% HDI |", "|---|---|---|---|---|"]
        for v in obs_vars:
            ms, hdi = _mean_std_hdi(idata.posterior[v].values)
            lines.append(f"| `{label(idata, 'posterior', v)}` | `{v}` | {ms} | {hdi} |")
        lines.append("")
    per_term = term_loglik(idata)
    if per_term:
        lines += ["## Likelihood terms at the best point", "", "| term | -2 ln L |", "|---|---|"]
        lp = idata.sample_stats["lp"].values.reshape(-1)
        i = int(np.argmax(lp))
        for t, v in per_term.items():
            lines.append(f"| `{t}` | {-2 * float(np.asarray(v).reshape(-1)[i]):.3f} |")
        lines.append("")
    loo = loo_summary(idata)
    if loo:
        lines += ["## PSIS-LOO (ArviZ)", "",
                  f"- elpd_loo {loo['elpd_loo']:.3f} ± {loo['se']:.3f}, p_loo "
                  f"{loo['p_loo']:.3f}, over {loo['n_points']} measurements and bins "
                  "(`log_likelihood.total_pointwise`)",
                  f"- Pareto k: max {loo['pareto_k_max']:.3f}; "
                  f"{loo['pareto_k_above_0.7']} of {loo['n_points']} above 0.7"
                  + (" (LOO is unreliable for these points)" if loo['pareto_k_above_0.7']
                     else "")
                  + (f"; {loo['n_constant_points']} point(s) with the same log-likelihood in "
                     "every draw count as exact (k = 0)" if loo.get('n_constant_points')
                     else ""), ""]
    lines += constraint_lines(idata, asm)
    for param, particle in asm.model.report_masses().items():
        lines += mass_region_lines(idata, param, particle)
    path.write_text("\n".join(lines) + "\n")


def _support(d) -> tuple:
    """(low, high) of a prior distribution's support, None where unbounded."""
    sup = getattr(d, "support", None)
    out = []
    for attr in ("lower_bound", "upper_bound"):
        v = getattr(sup, attr, None)
        out.append(float(np.asarray(v)) if v is not None and np.isfinite(np.asarray(v))
                   else None)
    return tuple(out)


def marginal_mode_lines(idata, asm) -> list[str]:
    """The table of marginal posterior modes and highest-density intervals of the model's
    parameters, for models that ask for it (``Model.report_marginal_modes``)."""
    prob = asm.model.report_marginal_modes()
    if not prob:
        return []
    joint = _joint_mode(idata, asm)
    lines = [f"## Posterior modes and {prob:.0%} HDI", "",
             "Joint mode: maximum of ln L + ln prior over all parameters and nuisances "
             "(`LogLikelihood.posterior_mode`, L-BFGS-B from the best draw).  Marginal mode: "
             "maximum of a kernel density estimate of each marginal posterior, reflected at "
             "the prior bounds (`bkfit.inference.modes.marginal_mode`).  Interval: the "
             f"{prob:.0%} highest-density interval of the draws (`az.hdi`).", "",
             f"| parameter | joint mode | marginal mode | {prob:.0%} HDI |", "|---|---|---|---|"]
    for n in asm.model.parameters():
        if n not in idata.posterior:
            continue
        bounds = _support(asm.priors[n]) if n in asm.priors else (None, None)
        m, lo, hi = mode_and_hdi(idata.posterior[n].values, prob, bounds)
        j = f"{float(joint[n]):.3g}" if joint else "–"
        lines.append(f"| `{label(idata, 'posterior', n)}` | {j} | {m:.3g} | "
                     f"[{lo:.3g}, {hi:.3g}] |")
    return lines + [""]


def _joint_mode(idata, asm) -> dict | None:
    """The joint posterior mode from the best draw, or None if it cannot be found."""
    from ..errors import BkfitError
    from .loglik import LogLikelihood
    from .results import identifier
    try:
        ll = LogLikelihood(asm)
        i = int(np.argmax(idata.sample_stats["lp"].values.reshape(-1)))
        start = {}
        for n in ll.names:
            v = idata.posterior[identifier(n)].values
            start[n] = v.reshape((-1,) + v.shape[2:])[i]
        return ll.posterior_mode(start)[0]
    except (BkfitError, KeyError, ValueError):
        return None


def mass_region_lines(idata, param: str, label: str) -> list[str]:
    """Report lines: the posterior's preferred region of a mass parameter (68 % and 95 %
    highest-density intervals, the mode of a histogram) for report.md; none if ``param`` was
    not sampled."""
    if param not in idata.posterior:
        return []
    x = idata.posterior[param].values.ravel()
    h68 = az.hdi(x, hdi_prob=0.68, multimodal=True)
    h95 = az.hdi(x, hdi_prob=0.95, multimodal=True)
    cnt, edges = np.histogram(x, bins=40)
    k = int(np.argmax(cnt))
    fmt = lambda iv: " ∪ ".join(f"[{a:.3g}, {b:.3g}]" for a, b in np.atleast_2d(iv))  # noqa
    return ["## Preferred mass region", "",
            f"- {label} (`{param}`, GeV): mode ≈ {0.5 * (edges[k] + edges[k + 1]):.3g}; "
            f"68 % HDI {fmt(h68)}; 95 % HDI {fmt(h95)}",
            f"- posterior mean {x.mean():.3g} ± {x.std():.3g} GeV", ""]


NUNU_TAGS = ("nunu", "invisible")


def sm_term_values(asm) -> dict:
    """-2 ln L of every term without own nuisances at the SM (no new-physics coefficients),
    central nuisance values."""
    from .. import observables as obsreg
    out = {}
    par = asm.base_par
    for term, keys in zip(asm.terms, asm.term_keys):
        if term.nuisance_sites():
            continue
        def sm(term=term):
            preds = [obsreg.predict(n, {}, par, **a) for n, a in term.requests()]
            return term.log_likelihood(preds, {})
        try:
            out[term.name] = -2.0 * float(evaluate_staged(sm))
        except Exception:  # noqa: BLE001 (a term that cannot be evaluated at the SM)
            continue
    return out


def constraint_lines(idata, asm) -> list[str]:
    """Which constraint pulls: per term, -2 ln L at the SM vs its posterior mean; the
    strongest constraint beyond B -> K(*) nu nu is the one whose posterior mean -2 ln L
    exceeds its SM value the most (it is what stops the model from fitting the excess)."""
    per_term = term_loglik(idata)
    if not per_term or not asm.priors:
        return []
    sm = sm_term_values(asm)
    if not sm:
        return []
    rows = []
    for t in asm.terms:
        if t.name not in sm or t.name not in per_term:
            continue
        post = -2.0 * float(np.mean(per_term[t.name]))
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
    """Write every result file of a run into ``workdir`` (posterior.nc, summary.csv,
    corner plot, report.md, run.toml, metadata.json); returns the metadata."""
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
        "loo": loo_summary(idata),
        "variables": identifiers(asm.sample_sites()),
    }
    (workdir / "run.toml").write_text(asm.cfg.text)
    (workdir / "metadata.json").write_text(json.dumps(meta, indent=2, default=float))
    return meta
