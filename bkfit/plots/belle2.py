"""Posterior-predictive plots for the Belle II B+ -> K+ nu nu likelihood.

* counts: for every channel of the workspace (ITA signal/control regions on- and
  off-resonance, HTA), observed counts with Poisson errors against the posterior-predicted
  expected counts (median and 68 % band of the total), and below it the observed counts
  minus the predicted background against the predicted signal (68 % band), from the
  sampled model parameters, form-factor nuisances and the workspace's own nuisances;
* spectrum: the implied true-q^2 spectrum dBR/dq2(B+ -> K+ + invisible) over the 100
  reweighting bins (median and 68 % band), with Belle II's reference SM spectrum.
"""
from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import InputError
from .run_io import draws, load_result, site_names


def _belle2_terms(asm):
    from ..likelihood.pyhf_term import PyhfTerm
    return [(t, k) for t, k in zip(asm.terms, asm.term_keys) if isinstance(t, PyhfTerm)]


def channel_labels(channels) -> dict:
    """Short plot labels for the Belle II workspace's channels (the channel name otherwise)."""
    prefixes = {"A__": "ITA signal region (Y4S)", "B__": "ITA control region (Y4S)",
                "C__": "ITA signal region (off-res.)", "D__": "ITA control region (off-res.)"}
    lab = {}
    for c in channels:
        lab[c] = next((v for k, v in prefixes.items() if c.startswith(k)),
                      "HTA" if "had" in c else c)
    return lab


def signal_samples(term) -> dict:
    """channel -> names of the signal samples (reweighted ones, or those scaled by the POI)."""
    out: dict = {}
    if term.maps:
        for key in term.maps:
            c, smp = key.split("/", 1)
            out.setdefault(c, set()).add(smp)
        return out
    poi = term.workspace["measurements"][0]["config"].get("poi")
    for ch in term.workspace["channels"]:
        for smp in ch["samples"]:
            if any(m["type"] == "normfactor" and m["name"] == poi for m in smp["modifiers"]):
                out.setdefault(ch["name"], set()).add(smp["name"])
    return out


def posterior_predictive(run_dir, n_draws: int = 200, seed: int = 0):
    """Per-draw expected counts, signal counts and true-q2 bin BRs of each pyhf term."""
    idata, asm = load_result(run_dir)
    found = _belle2_terms(asm)
    if not found:
        raise InputError("this run has no pyhf (Belle II) likelihood term", file=str(run_dir))
    model, blocks, tnuis = site_names(asm)
    d, n = draws(idata, model + blocks + tnuis, n_draws, seed)
    out = []
    for term, keys in found:
        own = term.nuisance_sites()
        sigs = signal_samples(term)

        def one(x, term=term, keys=keys, own=own, sigs=sigs):
            theta = {p: x[p] for p in model}
            par = asm.par_from({b: x[b] for b in blocks})
            preds = asm.predictions(theta, par)
            tp = [preds[k] for k in keys]
            nuis = {s: x[s] for s in own}
            tot = term.expected_counts(tp, nuis)
            by = term.expected_by_sample(tp, nuis)
            sig = {c: sum((v for s, v in by[c].items() if s in sigs.get(c, ())),
                          jnp.zeros_like(tot[c])) for c in tot}
            bins = tp[0] if tp else None
            return tot, sig, bins

        res = jax.lax.map(jax.jit(one), {k: jnp.asarray(v) for k, v in d.items()})
        out.append((term, res))
    return idata, asm, out


def plot_belle2(run_dir, out_dir=None, n_draws: int = 200, seed: int = 0) -> list[Path]:
    """Posterior-predictive plots of each Belle II pyhf term of a finished run (counts and
    implied q^2 spectrum, ``n_draws`` draws), each as PNG and PDF; returns the paths written
    (PNG, then PDF, per figure)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..inference.figures import save_figure
    from ..inputs import labels as lab

    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    idata, asm, found = posterior_predictive(run_dir, n_draws, seed)
    paths = []
    for term, (tot, sig, bins) in found:
        obs = term.observed_counts()
        labels = channel_labels(term.channels)
        chans = list(obs)
        fig, axes = plt.subplots(2 * len(chans), 1, figsize=(10, 3.6 * len(chans)),
                                 gridspec_kw={"height_ratios": [2, 1] * len(chans)},
                                 squeeze=False, layout="constrained")
        for k, c in enumerate(chans):
            ax, rx = axes[2 * k, 0], axes[2 * k + 1, 0]
            o = np.asarray(obs[c])
            t = np.asarray(tot[c])
            s = np.asarray(sig[c])
            x = np.arange(len(o))
            err = np.sqrt(np.maximum(o, 1))
            lo, med, hi = np.percentile(t, [16, 50, 84], axis=0)
            ax.fill_between(x, lo, hi, step="mid", color="C0", alpha=0.3,
                            label="predicted total, 68 %")
            ax.step(x, med, where="mid", color="C0", label="predicted total (median)")
            ax.errorbar(x, o, yerr=err, fmt="ko", ms=3, label="observed")
            ax.set_title(f"{labels.get(c, c)}  [{c.split('_')[0]}]", fontsize=9)
            ax.set_ylabel("events")
            ax.set_xticks(x)
            # lower panel: observed minus predicted background vs predicted signal
            bkg = np.median(t - s, axis=0)
            slo, smed, shi = np.percentile(s, [16, 50, 84], axis=0)
            rx.fill_between(x, slo, shi, step="mid", color="C3", alpha=0.3,
                            label="predicted signal, 68 %")
            rx.step(x, smed, where="mid", color="C3", label="predicted signal (median)")
            rx.errorbar(x, o - bkg, yerr=err, fmt="ko", ms=3,
                        label="observed − predicted background")
            rx.axhline(0, color="grey", lw=0.5)
            rx.set_ylabel("signal")
            rx.set_xticks(x)
        axes[-1, 0].set_xlabel(r"fit bin (workspace order: $q^2_{\mathrm{rec}}$ × classifier "
                               "bins)")
        # legends outside the axes, to the right of the first channel's two panels
        for ax in axes[:2, 0]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.suptitle(f"{asm.cfg.run.name}: Belle II counts, posterior predictive", fontsize=11)
        paths += save_figure(fig, out_dir / f"belle2_counts_{term.name}.png")
        plt.close(fig)
        # implied true-q2 spectrum
        if bins is not None:
            edges = np.asarray(term.edges)
            w = np.diff(edges)
            b = np.asarray(bins) / w
            lo, med, hi = np.percentile(b, [16, 50, 84], axis=0)
            ref = np.asarray(term.null_bins) / w
            fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
            ax.fill_between(edges[:-1], lo, hi, step="post", color="C0", alpha=0.3,
                            label="posterior 68 %")
            ax.step(edges[:-1], med, where="post", color="C0", label="posterior median")
            ax.step(edges[:-1], ref, where="post", color="k", ls="--",
                    label="Belle II reference SM spectrum")
            ax.set_xlabel(r"true $q^2\ [\mathrm{GeV}^2]$")
            ax.set_ylabel(lab.axis_label("dBR/dq2(B+->K+invisible)"))
            ax.set_title(f"{asm.cfg.run.name}: implied $q^2$ spectrum", fontsize=10)
            ax.set_ylim(bottom=0)
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
            paths += save_figure(fig, out_dir / f"belle2_spectrum_{term.name}.png")
            plt.close(fig)
    return paths
