"""Figures of ``bkfit forecast``: the posterior-predictive distribution of every projected
measurement per run (with the projected ±1σ at each luminosity), the projected Belle II
reconstructed-q^2 spectrum per run and luminosity, and the expected ln B
against luminosity for every ordered pair of runs (median and 16-84 % band over the simulated
data sets).  Each is written as PNG and PDF (``save_figure``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..inference.figures import save_figure
from ..inputs.labels import axis_label


def predictive_figure(res: dict, runs: dict):
    """One panel per projected measurement: a histogram of each run's posterior predictions
    and, above them, the projected ±1σ of each luminosity around the runs' overall median."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = res["observables"]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False)
    for j, (ax, n) in enumerate(zip(axes[0], names)):
        allv = np.concatenate([r["pred"][:, j] for r in runs.values()])
        lo, hi = np.quantile(allv, [0.005, 0.995])
        if not hi - lo > 1e-9 * max(abs(lo), abs(hi)):   # no spread over the draws
            pad = max(abs(lo) * 1e-3, 1e-12)
            lo, hi = lo - pad, hi + pad
        bins = np.linspace(lo, hi, 40)
        for m, r in runs.items():
            ax.hist(r["pred"][:, j], bins=bins, density=True, alpha=0.45, label=m)
        top = ax.get_ylim()[1]
        mid = float(np.median(allv))
        for k, L in enumerate(res["lumis"]):
            y = top * (1.05 + 0.07 * k)
            ax.errorbar([mid], [y], xerr=[res["sigmas"][L][n]], fmt="|", color="k", capsize=3)
            ax.annotate(f"{L:g} ab$^{{-1}}$", (mid, y), xytext=(4, 2),
                        textcoords="offset points", fontsize=7)
        ax.set_ylim(0, top * (1.15 + 0.07 * len(res["lumis"])))
        ax.set_xlabel(axis_label(res["projections"][n]["predict"]))
        ax.set_yticks([])
    axes[0][0].set_ylabel("posterior predictive density")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def bayes_figure(res: dict):
    """One panel per true run: expected ln B (true run against each other run) vs luminosity;
    ln B now + update where the evidences are comparable, else the update alone (dashed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truths = list(dict.fromkeys(r["truth"] for r in res["bayes"]))
    colour = {m: f"C{i}" for i, m in enumerate(truths)}      # one colour per run, every panel
    fig, axes = plt.subplots(1, len(truths), figsize=(4.4 * len(truths), 3.6), squeeze=False,
                             sharey=True)
    for ax, t in zip(axes[0], truths):
        rows = [r for r in res["bayes"] if r["truth"] == t]
        for o in dict.fromkeys(r["other"] for r in rows):
            rr = sorted((r for r in rows if r["other"] == o), key=lambda r: r["lumi"])
            full = rr[0]["ln_B_median"] is not None
            key = "ln_B" if full else "update"
            x = [r["lumi"] for r in rr]
            med = [r[f"{key}_median"] for r in rr]
            ax.plot(x, med, "-" if full else "--", marker="o", ms=3, color=colour[o],
                    label=f"vs {o}" + ("" if full else " (update only)"))
            ax.fill_between(x, [r[f"{key}_q16"] for r in rr], [r[f"{key}_q84"] for r in rr],
                            color=colour[o], alpha=0.2)
        for y in (3.0, -3.0):
            ax.axhline(y, color="0.5", lw=0.8, ls=":")
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(r"integrated luminosity [ab$^{-1}$]")
        ax.set_title(f"data from {t}", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    axes[0][0].set_ylabel(r"expected $\ln B$ (true run vs other)")
    fig.tight_layout()
    return fig


def spectrum_figure(res: dict, runs: dict, name: str):
    """The projected reconstructed-q^2 spectrum of the workspace measurement ``name``: one
    panel per luminosity, per run the expected signal events in each q^2_rec bin of the
    plotted channel (summed over the classifier bins; median and 68 % band over the
    posterior draws), with the Poisson error sqrt(N) of the expected total as a bar and, as
    a thin bar, that error combined with today's background spread over the draws scaled
    with L (the systematic part that ``systematics: relative`` keeps)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..inference.forecast_spectrum import SpectrumPlot, grouped
    w = res["workspaces"][name]
    plot = SpectrumPlot.model_validate(w["plot"])
    lumis = res["lumis"]
    fig, axes = plt.subplots(1, len(lumis), figsize=(3.8 * len(lumis) + 1.8, 3.6),
                             squeeze=False)
    for ax, L in zip(axes[0], lumis):
        s = w["scales"][L]
        for i, (m, r) in enumerate(runs.items()):
            c = r["work"][name]
            sig = grouped(c["signal"], c["channels"], plot) * s
            gtot = grouped(c["counts"], c["channels"], plot)
            tot = np.median(gtot, axis=0) * s
            bsd = np.std(gtot - grouped(c["signal"], c["channels"], plot), axis=0) * s
            x = np.arange(sig.shape[1]) + 1 + 0.12 * (i - (len(runs) - 1) / 2)
            lo, med, hi = np.quantile(sig, [0.16, 0.5, 0.84], axis=0)
            ax.errorbar(x, med, yerr=[med - lo, hi - med], fmt="o", ms=4, capsize=3,
                        color=f"C{i}", label=f"{m} (68 %)")
            ax.errorbar(x + 0.05, med, yerr=np.sqrt(tot), fmt="none", color=f"C{i}",
                        alpha=0.45, lw=3, label=r"$\pm\sqrt{N_\mathrm{total}}$" if i == 0
                        else None)
            ax.errorbar(x + 0.05, med, yerr=np.sqrt(tot + bsd ** 2), fmt="none",
                        color=f"C{i}", alpha=0.9, lw=0.8, capsize=2,
                        label=r"$\pm\sqrt{N} \oplus$ background spread $\propto L$"
                        if i == 0 else None)
        ax.set_xticks(np.arange(len(set(plot.q2_rec_bin))) + 1)
        ax.set_xlabel(r"$q^2_\mathrm{rec}$ bin (low $\to$ high)")
        ax.set_title(f"{L:g} ab$^{{-1}}$", fontsize=9)
        ax.axhline(0.0, color="0.5", lw=0.6)
    axes[0][0].set_ylabel(f"expected signal events\n{plot.label or plot.channel}")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)
    fig.suptitle(f"{name}: projected from the published likelihood "
                 f"({w['luminosity']:g} ab$^{{-1}}$ now)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_forecast(res: dict, runs: dict, out) -> list[Path]:
    """Write forecast_predictive (with table projections), forecast_spectrum (with a
    workspace projection that has a plot) and (with two or more runs) forecast_bayes, PNG and
    PDF, into folder ``out``; ``runs`` = {name: {"pred": array (draw, projection), "work":
    counts of the workspace projections}}.  Returns the paths."""
    import matplotlib.pyplot as plt
    out = Path(out)
    paths = []
    if res["observables"]:
        fig = predictive_figure(res, runs)
        paths += save_figure(fig, out / "forecast_predictive.png")
        plt.close(fig)
    for n, w in res.get("workspaces", {}).items():
        if w["plot"] is not None:
            fig = spectrum_figure(res, runs, n)
            stem = "forecast_spectrum" if len(res["workspaces"]) == 1 else f"forecast_{n}"
            paths += save_figure(fig, out / f"{stem}.png")
            plt.close(fig)
    if res["bayes"]:
        fig = bayes_figure(res)
        paths += save_figure(fig, out / "forecast_bayes.png")
        plt.close(fig)
    return paths
