"""Model comparison of finished runs: evidences, Bayes factors, best-fit chi^2 and PSIS-LOO.

Each run folder must hold ``evidence.json`` (``bkfit evidence``); ``metadata.json`` and
``posterior.nc`` (``bkfit fit``) are used when present (best point, LOO).

Bayes-factor wording: the scale of Kass & Raftery, J. Am. Stat. Assoc. 90 (1995) 773,
Sec. 3.2, on 2 ln B: 0-2 "not worth more than a bare mention", 2-6 "positive",
6-10 "strong", > 10 "very strong".
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError

KASS_RAFTERY = [(2.0, "not worth more than a bare mention"), (6.0, "positive"),
                (10.0, "strong"), (math.inf, "very strong")]


def kass_raftery(ln_b: float) -> str:
    """Wording of a Bayes factor B = Z_model / Z_reference (Kass & Raftery 1995, 2 ln B)."""
    two = 2 * abs(ln_b)
    word = next(w for lim, w in KASS_RAFTERY if two < lim)
    if two < 2.0:
        return word
    return f"{word} {'for' if ln_b > 0 else 'against'} the model"


def combine(estimates: dict) -> tuple[float, float]:
    """Inverse-variance mean of the estimators' ln Z (an exact value, error 0, wins)."""
    vals = [(e["ln_Z"], e["ln_Z_err"]) for e in estimates.values()]
    exact = [v for v, s in vals if s == 0]
    if exact:
        return exact[0], 0.0
    w = np.array([1 / s ** 2 for _, s in vals])
    m = float(np.sum(w * np.array([v for v, _ in vals])) / w.sum())
    return m, float(1 / math.sqrt(w.sum()))


def _loo(idata):
    """PSIS-LOO over the measurements and bins of ``log_likelihood['total_pointwise']``
    (elpd_loo, se, p_loo, warning); results written before it sum the per-term arrays."""
    import arviz as az
    import xarray as xr
    ll = idata.log_likelihood
    if "total_pointwise" in ll:
        new, n = idata, ll.sizes.get("measurement", 1)
    else:
        names = list(ll.data_vars)
        if not names:
            return None
        arr = xr.concat([ll[v] for v in names], dim="term").transpose("chain", "draw", "term")
        new = az.InferenceData(posterior=idata.posterior,
                               log_likelihood=xr.Dataset({"total_pointwise": arr}))
        n = len(names)
    from .results import psis_loo
    r, k, _ = psis_loo(new)
    return {"elpd_loo": float(r["elpd_loo"]), "se": float(r["se"]), "p_loo": float(r["p_loo"]),
            "n_terms": int(n), "warning": bool(np.any(k > 0.7))}


def load_entry(run_dir) -> dict:
    """Read a run folder's evidence.json (and metadata.json, if present) into one comparison row
    with the combined ln Z; raises InputError if there is no evidence file or no estimate."""
    d = Path(run_dir)
    f = d / "evidence.json"
    if not f.exists():
        raise InputError(f"no evidence.json in {d}: run `bkfit evidence RUN.toml --out {d}` "
                         "first", file=str(d))
    ev = json.loads(f.read_text())
    meta = json.loads((d / "metadata.json").read_text()) if (d / "metadata.json").exists() \
        else {}
    e = {"dir": str(d), "run": ev.get("run", d.name), "model": ev.get("model", meta.get("model")),
         "n_free": len(ev.get("free_parameters", meta.get("free_parameters", []))),
         "dimension": ev.get("dimension"), "priors": ev.get("priors", meta.get("priors", {})),
         "estimates": ev.get("estimates", {})}
    if not e["estimates"]:
        raise InputError("evidence.json holds no estimates", file=str(f))
    e["ln_Z"], e["ln_Z_err"] = combine(e["estimates"])
    e["terms"] = ev.get("terms")
    e["ln_Z_sm"] = _sm_same_data(ev, f)
    from .evidence import EvidenceResult, agreement
    e["agreement"] = agreement({k: EvidenceResult(k, v["ln_Z"], v["ln_Z_err"], 0, 0, {})
                                for k, v in e["estimates"].items()})
    # best-fit chi^2 = -2 max ln L: posterior log_likelihood group > metadata > evidence run
    chi2, src = None, None
    e["loo"] = None
    if (d / "posterior.nc").exists():
        import arviz as az

        from .results import term_loglik
        idata = az.from_netcdf(str(d / "posterior.nc"))
        if "log_likelihood" in idata.groups() and idata.log_likelihood.data_vars:
            tot = sum(v for v in term_loglik(idata).values())
            chi2, src = -2 * float(np.max(tot)), "posterior draws"
            try:
                e["loo"] = _loo(idata)
            except Exception as exc:  # noqa: BLE001
                e["loo"] = {"error": str(exc)}
    if chi2 is None and "-2lnL" in meta.get("best_point", {}):
        chi2, src = float(meta["best_point"]["-2lnL"]), "metadata best point"
    if chi2 is None:
        m = [v.get("max_lnL") for v in e["estimates"].values() if v.get("max_lnL") is not None]
        if m:
            chi2, src = -2 * max(m), "evidence run samples"
    e["chi2_min"], e["chi2_source"] = chi2, src
    return e


def _sm_same_data(ev: dict, path: Path):
    """ln Z of the SM on the run's own likelihood terms (written by `bkfit evidence`; for an
    older evidence.json computed here from its run file and stored back)."""
    ref = ev.get("sm_same_data")
    if ref is None and ev.get("run_file") and Path(ev["run_file"]).exists():
        from .evidence_setup import sm_same_data
        from ..config import load_run
        try:
            ref = sm_same_data(load_run(ev["run_file"]))
        except Exception as exc:  # noqa: BLE001 (reported in the table, not fatal)
            ref = {"ln_Z": None, "note": f"not evaluable: {exc}"}
        ev["sm_same_data"] = ref
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(ev, indent=1, default=float))
        tmp.replace(path)
    return None if ref is None else ref.get("ln_Z")


def _fmt(x, err=None, nd=2):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{nd}f}" if err is None else f"{x:.{nd}f} ± {err:.{nd}f}"


def compare(run_dirs, reference=None, out=None) -> dict:
    """Read the runs, write compare.md/csv/png into ``out``; returns the table rows."""
    entries = [load_entry(d) for d in run_dirs]
    if not entries:
        raise InputError("no run folders given")
    if reference is not None:
        ref_path = Path(reference).resolve()
        ref = [e for e in entries if Path(e["dir"]).resolve() == ref_path]
        if not ref:
            e = load_entry(reference)
            entries.insert(0, e)
            ref = [e]
        ref = ref[0]
    else:
        sm = [e for e in entries if e["model"] == "sm"]
        ref = sm[0] if sm else entries[0]
    methods = sorted({m for e in entries for m in e["estimates"]})
    rows = []
    for e in entries:
        # Bayes factor against the SM on the same data: the run's own SM evaluation (exact),
        # else the reference run if it has exactly the same likelihood terms, else none
        same = e["terms"] is not None and ref["terms"] is not None and \
            sorted(e["terms"]) == sorted(ref["terms"])
        if e["ln_Z_sm"] is not None and e["model"] != "sm":
            lnb, err, basis = e["ln_Z"] - e["ln_Z_sm"], e["ln_Z_err"], "SM, same terms"
        elif e is ref:
            lnb, err, basis = 0.0, 0.0, "reference"
        elif same:
            lnb = e["ln_Z"] - ref["ln_Z"]
            err, basis = math.hypot(e["ln_Z_err"], ref["ln_Z_err"]), f"{ref['run']}"
        else:
            lnb, err, basis = float("nan"), float("nan"), "no SM on the same terms"
        row = {"run": e["run"], "model": e["model"], "reference": e is ref,
               "n_free": e["n_free"], "dimension": e["dimension"],
               "n_terms": len(e["terms"]) if e["terms"] else None,
               "ln_Z": e["ln_Z"], "ln_Z_err": e["ln_Z_err"],
               "ln_Z_SM_same_terms": e["ln_Z_sm"] if e["ln_Z_sm"] is not None
               else float("nan")}
        for m in methods:
            est = e["estimates"].get(m)
            row[f"ln_Z_{m}"] = est["ln_Z"] if est else float("nan")
            row[f"ln_Z_{m}_err"] = est["ln_Z_err"] if est else float("nan")
            base = e["ln_Z_sm"] if (e["ln_Z_sm"] is not None and e["model"] != "sm") else (
                ref["estimates"].get(m, {}).get("ln_Z") if same else None)
            row[f"ln_B_{m}"] = est["ln_Z"] - base if est and base is not None else float("nan")
        ag = e["agreement"]
        row["estimators_agree"] = True if ag is None else ag["consistent"]
        row["estimator_pull"] = float("nan") if ag is None else ag["pull"]
        row["ln_B"], row["ln_B_err"], row["ln_B_basis"] = lnb, err, basis
        row["kass_raftery"] = "reference" if e is ref else (
            kass_raftery(lnb) if math.isfinite(lnb) else "-")
        row["chi2_min"] = e["chi2_min"] if e["chi2_min"] is not None else float("nan")
        loo = e["loo"] if e["loo"] and "elpd_loo" in e["loo"] else None
        row["elpd_loo"] = loo["elpd_loo"] if loo else float("nan")
        row["elpd_loo_se"] = loo["se"] if loo else float("nan")
        row["priors"] = "; ".join(f"{k}: {v}" for k, v in e["priors"].items())
        row["dir"] = e["dir"]
        rows.append(row)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(rows, out / "compare.csv")
        _write_md(rows, methods, ref, out / "compare.md")
        _plot(rows, methods, out / "compare.png")
    return {"rows": rows, "reference": ref["run"], "methods": methods}


def _write_csv(rows, path):
    import pandas as pd
    pd.DataFrame(rows).to_csv(path, index=False)


def _write_md(rows, methods, ref, path):
    L = ["# Model comparison", "",
         f"Reference: `{ref['run']}` (model `{ref['model']}`).  B = Z_model / Z_SM on the "
         "same likelihood terms; "
         "wording on 2 ln B after Kass & Raftery, JASA 90 (1995) 773: 0-2 not worth more than "
         "a bare mention, 2-6 positive, 6-10 strong, >10 very strong.  Bayes factors depend "
         "on the prior widths (docs/evidence.md).", ""]
    head = ["run", "model", "free", "terms"] + [f"ln Z ({m})" for m in methods] + \
        ["agree", "ln Z (SM, same terms)", "ln B vs SM", "2 ln B", "Kass-Raftery", "χ²_min",
         "elpd_loo"]
    L += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"`{r['run']}`" + (" (ref)" if r["reference"] else ""), f"`{r['model']}`",
                 str(r["n_free"]), str(r["n_terms"] or "-")]
        cells += [_fmt(r[f"ln_Z_{m}"], r[f"ln_Z_{m}_err"]) for m in methods]
        cells += ["yes" if r["estimators_agree"] else f"**NO** ({r['estimator_pull']:+.1f}σ)",
                  _fmt(r["ln_Z_SM_same_terms"]),
                  _fmt(r["ln_B"], r["ln_B_err"]), _fmt(2 * r["ln_B"]), r["kass_raftery"],
                  _fmt(r["chi2_min"]), _fmt(r["elpd_loo"], r["elpd_loo_se"])]
        L.append("| " + " | ".join(cells) + " |")
    L += ["", "- ln Z combines the estimators (inverse-variance mean).",
          "- ln B vs SM: against the SM evaluated on exactly the run's likelihood terms with the "
          "same evidence setup (Z_SM = L at the SM point, exact); evidences of runs with "
          "different likelihood terms are normalised on different data and are never divided "
          "by each other.  The reference run is used only when its terms are the same.", "- agree: |difference| <= 3 combined σ (or < 0.1).",
          "- χ²_min = -2 max ln L (normalised likelihood densities, so offsets between runs with "
          "different likelihood terms are meaningless).",
          "- elpd_loo: PSIS-LOO (arviz) with the likelihood terms as the left-out units; "
          "'-' without a fit result.", "", "## Priors", ""]
    for r in rows:
        L.append(f"- `{r['run']}`: {r['priors'] or 'none (no free parameters)'}")
    path.write_text("\n".join(L) + "\n")


def _plot(rows, methods, path):
    from .figures import save_figure
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(rows)
    fig, ax = plt.subplots(figsize=(7, 1.0 + 0.5 * n))
    y = np.arange(n)
    for lim, _ in KASS_RAFTERY[:-1]:
        ax.axvspan(-lim / 2, lim / 2, color="0.5", alpha=0.08, lw=0)
    ref = next(r for r in rows if r["reference"])
    for j, m in enumerate(methods):
        x = [r[f"ln_B_{m}"] for r in rows]
        ex = [0.0 if r["reference"] else (r[f"ln_Z_{m}_err"] if r["ln_B_basis"] ==
              "SM, same terms" else math.hypot(r[f"ln_Z_{m}_err"], ref[f"ln_Z_{m}_err"]))
              for r in rows]
        ex = [v if math.isfinite(v) else 0.0 for v in ex]
        ax.errorbar(x, y + (j - (len(methods) - 1) / 2) * 0.15, xerr=ex, fmt="os"[j % 2],
                    label=m, capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, [r["run"] + (" (ref)" if r["reference"] else "") for r in rows])
    ax.set_xlabel("ln B vs the SM on the same data (shaded: |2 ln B| < 2, 6, 10, Kass & Raftery 1995)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    save_figure(fig, path)             # PNG and PDF
    plt.close(fig)
