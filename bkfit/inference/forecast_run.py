"""The forecast pipeline over finished runs (``bkfit forecast``): posterior predictions of the
projected measurements, their noisy replicas per luminosity, expected Bayes factors per
ordered pair of runs, and the tables written to disk.  The pure pieces are in
:mod:`bkfit.inference.forecast`; loading a run folder is the caller's job (api.py)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError
from . import forecast as fc
from . import forecast_spectrum as fs
from .compare import combine


def read_ln_z(run_dir) -> dict | None:
    """``{"ln_Z", "ln_Z_err", "terms"}`` from a run folder's evidence.json (estimators combined
    as ``bkfit compare`` does), or None when the folder has none.  Read only."""
    f = Path(run_dir) / "evidence.json"
    if not f.is_file():
        return None
    ev = json.loads(f.read_text())
    if not ev.get("estimates"):
        return None
    lnz, err = combine(ev["estimates"])
    return {"ln_Z": lnz, "ln_Z_err": err, "terms": sorted(ev.get("terms") or [])}


def current_ln_b(evidences: dict) -> tuple[dict, list[str]]:
    """``({(A, B): ln Z_A - ln Z_B}, notes)`` for the pairs whose evidences exist and were
    computed on the same likelihood terms (evidences on different data are never divided)."""
    out, notes = {}, []
    for a, ea in evidences.items():
        if ea is None:
            notes.append(f"'{a}' has no evidence.json: only the update of ln B is reported "
                         f"for its pairs (run `bkfit evidence` to add ln B now)")
            continue
        for b, eb in evidences.items():
            if b == a or eb is None:
                continue
            if ea["terms"] != eb["terms"]:
                if a < b:
                    notes.append(f"'{a}' and '{b}' have evidences on different likelihood "
                                 f"terms: only the update of ln B is reported")
                continue
            out[(a, b)] = ea["ln_Z"] - eb["ln_Z"]
    return out, notes


def run_forecast(runs: dict, lumis: list[float], projections: dict, sm: dict, *,
                 datasets: int = 200, seed: int = 0, workspaces: dict | None = None,
                 notes: list | None = None) -> dict:
    """The forecast of ``runs`` = {name: {"pred": array (draw, projection), "dir": folder}}
    at luminosities ``lumis`` (ab^-1) for ``projections`` ({name: Projection}, in the column
    order of ``pred``); ``sm``: SM values of the relative projections.  ``workspaces``
    ({name: WorkspaceProjection}) adds measurements projected from a published likelihood,
    whose counts each run carries as ``runs[m]["work"][name]``
    (:func:`forecast_spectrum.counts_from_predictive`, the same draws as ``pred``).  Returns
    a dict with ``sigmas`` ({lumi: {projection: sigma}}), ``predictive``, ``spectrum`` and
    ``bayes`` (lists of rows, see :func:`forecast.predictive_table`,
    :func:`forecast_spectrum.spectrum_table`, :func:`forecast.bayes_factor_table`),
    ``ln_B_now``, ``warnings`` and ``notes``."""
    names = list(projections)
    work = workspaces or {}
    sig = {L: np.array([fc.projected_sigma(projections[n], L, sm.get(n)) for n in names])
           for L in lumis}
    preds = {m: r["pred"] for m, r in runs.items()}
    counted = {w: {"scales": fs.lumi_scales(p, lumis), "nuisances": p.nuisances,
                   "systematics": p.systematics,
                   "runs": {m: r["work"][w] for m, r in runs.items()}}
               for w, p in work.items()}
    evid = {m: read_ln_z(r["dir"]) for m, r in runs.items()}
    ln_b_now, notes_b = current_ln_b(evid)
    notes = list(notes or []) + notes_b
    rows = fc.bayes_factor_table(preds, sig, ln_b_now, n_sets=datasets, seed=seed,
                                 counted=counted) if len(runs) > 1 else []
    if len(runs) < 2:
        notes.append("one run only: no Bayes factors (give two or more run folders)")
    for n, p in projections.items():
        ext = [L for L in lumis if fc.extrapolated(p, L)]
        if ext:
            notes.append(f"{n}: {', '.join(f'{L:g}' for L in ext)} ab^-1 outside the published "
                         f"points {sorted(p.points)}: extrapolated with sigma^2 = a/L + b")
        if not p.checked:
            notes.append(f"{n}: projection values not yet checked against the source "
                         f"({p.source})")
    for n, p in work.items():
        how = ("workspace nuisances marginalised: Gaussian with today's posterior spread of "
               "the background at fixed signal, " + (
                   "kept at today's relative size" if p.systematics == "relative" else
                   "shrinking like a statistical uncertainty (optimistic)")
               if p.nuisances == "marginal" else "each draw's own workspace nuisances, "
               "Poisson")
        notes.append(f"{n}: projected from the likelihood term '{p.term}' (expected counts "
                     f"of every fit bin x L / {p.luminosity:g} ab^-1; {how}; see "
                     f"docs/forecast.md)")
    return {"workspaces": {n: {"term": p.term, "experiment": p.experiment,
                               "luminosity": p.luminosity, "source": p.source,
                               "nuisances": p.nuisances, "systematics": p.systematics,
                               "replaces": list(p.replaces),
                               "plot": None if p.plot is None else p.plot.model_dump(),
                               "scales": fs.lumi_scales(p, lumis)}
                           for n, p in work.items()},
            "spectrum": [dict(r, measurement=n) for n, p in work.items()
                         for r in fs.spectrum_table(runs, n, p, lumis)],
            "measurements": names + list(work),
            "projections": {n: {"predict": p.predict, "experiment": p.experiment,
                                "kind": p.kind, "points": {str(k): v for k, v in p.points.items()},
                                "source": p.source, "checked": p.checked}
                            for n, p in projections.items()},
            "sigmas": {L: dict(zip(names, map(float, s))) for L, s in sig.items()},
            "predictive": fc.predictive_table(preds, names, sig, seed=seed),
            "bayes": rows, "ln_B_now": {f"{a} / {b}": v for (a, b), v in ln_b_now.items()},
            "warnings": fc.ess_warnings(rows), "notes": notes, "lumis": list(lumis),
            "observables": names, "runs": {m: str(r["dir"]) for m, r in runs.items()},
            "datasets": datasets, "seed": seed}


def _f(x, nd=2):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:+.{nd}f}"


def _g(x):
    return f"{x:.3g}"


def markdown(res: dict) -> str:
    """forecast.md: projected uncertainties, predictive intervals and expected ln B."""
    L = res["lumis"]
    out = ["# Forecast", "",
           f"Runs: {', '.join(f'`{m}` ({d})' for m, d in res['runs'].items())}; "
           f"{res['datasets']} simulated data sets per (run, luminosity); seed {res['seed']}.", "",
           f"Measurements: {', '.join(f'`{m}`' for m in res.get('measurements', []))}.",
           "", "## Projected uncertainties", "",
           "| observable | predicted by | source | " + " | ".join(f"{x:g} ab⁻¹" for x in L)
           + " |", "|---|---|---|" + "---|" * len(L)]
    for n, p in res["projections"].items():
        out.append(f"| `{n}` | `{p['predict']}` | {p['source']} | "
                   + " | ".join(_g(res["sigmas"][x][n]) for x in L) + " |")
    out += ["", "## Posterior predictive (median, 68 % interval; with projected noise at the "
            "largest luminosity)", "",
            f"| run | observable | median | 68 % (now) | 68 % with noise at {L[-1]:g} ab⁻¹ |",
            "|---|---|---|---|---|"]
    for r in res["predictive"]:
        out.append(f"| `{r['model']}` | `{r['observable']}` | {_g(r['median'])} | "
                   f"[{_g(r['q16'])}, {_g(r['q84'])}] | "
                   f"[{_g(r[f'q16@{L[-1]:g}'])}, {_g(r[f'q84@{L[-1]:g}'])}] |")
    for n, w in res.get("workspaces", {}).items():
        out += ["", f"## `{n}`: projected from the published likelihood", "",
                f"Every fit bin of the likelihood term `{w['term']}`: expected counts of each "
                f"posterior draw × L / {w['luminosity']:g} ab⁻¹ ({w['source']}), Poisson "
                f"data; replaces {', '.join(f'`{r}`' for r in w['replaces']) or 'nothing'}."]
        rows = [r for r in res.get("spectrum", []) if r["measurement"] == n]
        if rows:
            pl = w["plot"]
            out += ["", f"Expected signal events in the {pl['label'] or pl['channel']}, per "
                    f"q²_rec bin (summed over the classifier bins): median [68 %], and the "
                    f"Poisson error √N of the expected total at {L[-1]:g} ab⁻¹.", "",
                    f"| run | q²_rec bin | now ({w['luminosity']:g} ab⁻¹) | {L[-1]:g} ab⁻¹ "
                    f"| ±√N at {L[-1]:g} ab⁻¹ |", "|---|---|---|---|---|"]
            for r in rows:
                x = f"{L[-1]:g}"
                out.append(f"| `{r['model']}` | {r['q2_rec_bin'] + 1} | {r['signal_median']:.1f}"
                           f" [{r['signal_q16']:.1f}, {r['signal_q84']:.1f}] | "
                           f"{r['signal_median@' + x]:.0f} [{r['signal_q16@' + x]:.0f}, "
                           f"{r['signal_q84@' + x]:.0f}] | {r['stat_error@' + x]:.0f} |")
    if res["bayes"]:
        out += ["", "## Expected ln B (data simulated from the first run of each pair)", "",
                "ln B_AB = ln B_AB(now) + ln E_A[L_new] − ln E_B[L_new]; 'update' is the second "
                "part alone; median and 16–84 % over the simulated data sets; P(ln B > 3): "
                "share of data sets with strong evidence for the true run (Kass–Raftery).", "",
                "| L (ab⁻¹) | truth A | other B | ln B now | update median [16, 84 %] | "
                "ln B median [16, 84 %] | P(ln B > 3) | ESS A / B (median) |",
                "|---|---|---|---|---|---|---|---|"]
        for r in res["bayes"]:
            tot = "-" if r["ln_B_median"] is None else \
                f"{_f(r['ln_B_median'])} [{_f(r['ln_B_q16'])}, {_f(r['ln_B_q84'])}]"
            out.append(f"| {r['lumi']:g} | `{r['truth']}` | `{r['other']}` | "
                       f"{_f(r['ln_B_now'])} | {_f(r['update_median'])} "
                       f"[{_f(r['update_q16'])}, {_f(r['update_q84'])}] | {tot} | "
                       f"{r['p_strong']:.2f} | {r['ess_median_truth']:.0f} / "
                       f"{r['ess_median_other']:.0f} |")
    for title, key in (("Warnings", "warnings"), ("Notes", "notes")):
        if res[key]:
            out += ["", f"## {title}", ""] + [f"* {x}" for x in res[key]]
    return "\n".join(out) + "\n"


def write(res: dict, out) -> list[Path]:
    """Write forecast.md, forecast.json, forecast_bayes.csv and forecast_predictive.csv into
    folder ``out``; returns the paths."""
    import pandas as pd
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "forecast.md", out / "forecast.json", out / "forecast_predictive.csv"]
    paths[0].write_text(markdown(res))
    js = dict(res, sigmas={f"{k:g}": v for k, v in res["sigmas"].items()})
    paths[1].write_text(json.dumps(js, indent=1, default=float))
    pd.DataFrame(res["predictive"]).to_csv(paths[2], index=False)
    if res.get("spectrum"):
        paths.append(out / "forecast_spectrum.csv")
        pd.DataFrame(res["spectrum"]).to_csv(paths[-1], index=False)
    if res["bayes"]:
        paths.append(out / "forecast_bayes.csv")
        pd.DataFrame(res["bayes"]).to_csv(paths[-1], index=False)
    return paths


def check_names(run_dirs) -> list[str]:
    """Run names (folder names) of ``run_dirs``; InputError for a missing folder or two runs
    with the same name."""
    names = []
    for d in run_dirs:
        p = Path(d)
        if not p.is_dir():
            raise InputError("no such run folder", file=str(p))
        if p.resolve().name in names:
            raise InputError(f"two run folders named '{p.resolve().name}': give each run once "
                             f"(copy one under another name to compare them)", file=str(p))
        names.append(p.resolve().name)
    if not names:
        raise InputError("no run folder given")
    return names
