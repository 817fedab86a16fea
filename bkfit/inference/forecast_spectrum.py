"""Forecasts from a published likelihood: the Belle II B+ -> K+ nu nu q^2 spectrum.

Instead of a projected uncertainty from a table, the measurement is projected the way an
experiment projects its own likelihood to a larger data set: a posterior draw theta (model
parameters, form-factor nuisances, the workspace's own nuisances) gives the expected counts
lambda_i(theta) in every fit bin of the pyhf workspace (``bkfit.belle2_predictive``); at an
integrated luminosity L they are lambda_i(theta) L / L0 with L0 the luminosity of the
published analysis (``workspaces`` section of projections.yaml, with its source).  Simulated
data: d_i ~ Poisson(lambda_i(theta) L / L0) for a draw theta of the true run; the new
likelihood of a draw theta' of any run is prod_i Poisson(d_i | lambda_i(theta') L / L0), the
systematic nuisances at each draw's own values.  The evidence update
(:func:`bkfit.inference.forecast.log_evidence_update`) then applies unchanged.

Pieces: :func:`load_workspace_projections` (schema, file), :func:`check_names` and
:func:`choose` (which measurements a forecast uses), :func:`lumi_scales`,
:func:`simulate_counts`, :func:`poisson_loglik`, :func:`counts_from_predictive` (the counts
out of ``belle2_predictive``'s result), :func:`grouped` and :func:`spectrum_table` (the
projected reconstructed-q^2 spectrum).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError
from scipy.special import gammaln

from ..errors import InputError, StrictModel, YamlFloat, did_you_mean, pydantic_errors

DEFAULT_FILE = "projections.yaml"    # the shipped projections file (forecast.py reads it too)


def read_projections_file(path=None) -> tuple[str, object]:
    """``(file name, parsed YAML)`` of a projections file (default: the shipped
    projections.yaml); InputError naming the file if it cannot be read or parsed."""
    import yaml

    from ..inputs import data_files
    file = str(path) if path is not None else str(data_files.path(DEFAULT_FILE))
    try:
        raw = data_files.safe_load(Path(file).read_text())
    except OSError as e:
        raise InputError(f"cannot read the projections file: {e.strerror}", file=file) from None
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {e}", file=file) from None
    return file, raw


class SpectrumPlot(StrictModel):
    """How the projected reconstructed-q^2 spectrum is drawn: one channel of the workspace
    and, per bin of it (workspace order), the index of its q^2_rec bin."""
    channel: str
    label: str = ""
    q2_rec_bin: list[int] = Field(description="q^2_rec bin index of every bin of the channel")
    source: str


class WorkspaceProjection(StrictModel):
    """A measurement projected from a published pyhf likelihood: the likelihood term whose
    fit-bin counts are scaled, the luminosity of the published analysis (ab^-1) and its
    source, the table entries it replaces (same events) and how its spectrum is drawn."""
    term: str = Field(description="name of the pyhf likelihood entry")
    experiment: str
    luminosity: YamlFloat = Field(description="integrated luminosity of the published "
                                              "analysis in ab^-1")
    source: str
    checked: bool = False
    nuisances: Literal["marginal", "draws"] = Field(
        "marginal", description="workspace nuisances in the new likelihood: marginalised "
                                "(Gaussian, today's posterior spread) or each draw's own")
    systematics: Literal["relative", "statistical"] = Field(
        "relative", description="marginal form: the background spread keeps today's "
                                "relative size (C x s^2) or shrinks like a statistical "
                                "one (C x s)")
    replaces: list[str] = Field(default_factory=list)
    plot: SpectrumPlot | None = None


def load_workspace_projections(path=None) -> dict:
    """``{name: WorkspaceProjection}`` from the ``workspaces`` section of the projections file
    (default: the shipped projections.yaml; a file without the section gives ``{}``);
    InputError naming the file and field for a bad entry or a non-positive luminosity."""
    file, raw = read_projections_file(path)
    section = (raw or {}).get("workspaces") if isinstance(raw, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise InputError("'workspaces' must be a mapping of entries", file=file,
                         field="workspaces")
    out = {}
    for name, entry in section.items():
        try:
            w = WorkspaceProjection.model_validate(entry)
        except ValidationError as e:
            raise pydantic_errors(e, file, prefix=f"workspaces.{name}",
                                  model=WorkspaceProjection) from None
        if not (w.luminosity > 0 and math.isfinite(w.luminosity)):
            raise InputError(f"luminosity must be > 0 ab^-1, got {w.luminosity}", file=file,
                             field=f"workspaces.{name}.luminosity")
        out[str(name)] = w
    return out


def check_names(table: dict, workspaces: dict, names) -> None:
    """InputError with "did you mean" for a requested name that is neither a table
    projection nor a workspace projection (checked before any run is loaded)."""
    known = list(table) + list(workspaces)
    for n in names or ():
        if n not in known:
            raise InputError(f"no projection for observable '{n}'.{did_you_mean(n, known)} "
                             f"Available: {', '.join(known)}")


def choose(table: dict, workspaces: dict, names, run_terms: dict) -> tuple[dict, dict, list]:
    """``(table projections, workspace projections, notes)`` a forecast uses.

    ``run_terms``: {run: likelihood term names of that run}.  Without ``names`` every table
    entry and every workspace projection whose term all runs have (the others are left out,
    with a note), minus the table entries a used workspace projection ``replaces``.  With
    ``names`` exactly those; InputError when a named workspace projection's term is missing
    from a run, or a table entry is named together with the workspace projection that
    replaces it (the same events counted twice)."""
    check_names(table, workspaces, names)
    notes = []
    lacking = {n: [r for r, t in run_terms.items() if w.term not in t]
               for n, w in workspaces.items()}
    if names is None:
        work = {}
        for n, w in workspaces.items():
            if lacking[n]:
                notes.append(f"{n} left out: run(s) {', '.join(lacking[n])} were fitted "
                             f"without the likelihood term '{w.term}'")
            else:
                work[n] = w
        replaced = {r for w in work.values() for r in w.replaces}
        gauss = {n: p for n, p in table.items() if n not in replaced}
        for n, w in work.items():
            if [r for r in w.replaces if r in table]:
                notes.append(f"{n} replaces {', '.join(w.replaces)} (the same events): "
                             f"the table projection is left out")
    else:
        gauss = {n: table[n] for n in names if n in table}
        work = {n: workspaces[n] for n in names if n in workspaces}
        for n, w in work.items():
            if lacking[n]:
                raise InputError(
                    f"'{n}' is projected from the likelihood term '{w.term}', but run(s) "
                    f"{', '.join(lacking[n])} were fitted without it (fit them with the full "
                    f"Belle II likelihood, likelihoods/belle2_kpnunu_2023.yaml, or leave "
                    f"'{n}' out with --observable)")
            both = [r for r in w.replaces if r in gauss]
            if both:
                raise InputError(f"'{n}' and {both} are the same measurement (the same "
                                 f"events): choose one")
    if not gauss and not work:
        raise InputError("no projected measurement left to forecast")
    return gauss, work, notes


def lumi_scales(proj: WorkspaceProjection, lumis) -> dict:
    """``{L: L / L0}`` with L0 the published luminosity of ``proj``."""
    return {float(L): float(L) / proj.luminosity for L in lumis}


def counts_from_predictive(found: list[dict], proj: WorkspaceProjection) -> dict:
    """From ``bkfit.belle2_predictive``'s result: ``{"counts": (draw, bin), "signal":
    (draw, bin), "channels": [channel of every bin], "observed": (bin,)}`` of the term
    ``proj.term``, channels in workspace order.  InputError if the run has no such term or a
    count is not positive and finite."""
    hit = [f for f in found if f["term"] == proj.term]
    if not hit:
        raise InputError(f"the run has no likelihood term '{proj.term}' "
                         f"(terms: {[f['term'] for f in found]})")
    f = hit[0]
    chans = list(f["expected"])
    counts = np.concatenate([np.asarray(f["expected"][c], float) for c in chans], axis=1)
    if not (np.all(np.isfinite(counts)) and np.all(counts > 0)):
        raise InputError(f"non-positive or non-finite expected counts of '{proj.term}' on "
                         f"posterior draws")
    return {"counts": counts,
            "signal": np.concatenate([np.asarray(f["signal"][c], float) for c in chans], 1),
            "channels": [c for c in chans for _ in range(np.shape(f["expected"][c])[1])],
            "observed": np.concatenate([np.asarray(f["observed"][c], float) for c in chans])}


def simulate_counts(lam: np.ndarray, scale, rng) -> np.ndarray:
    """Poisson data sets (set, bin) with means ``lam`` (set, bin) times ``scale`` (a number
    or an array over bins)."""
    return rng.poisson(np.asarray(lam) * scale).astype(float)


def poisson_loglik(data: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """ln prod_i Poisson(d_i | lam_i) of every data set (rows of ``data``) at every draw
    (rows of ``lam``, already scaled to the luminosity); shape (set, draw)."""
    data = np.asarray(data, float)
    lam = np.asarray(lam, float)
    return data @ np.log(lam).T - lam.sum(axis=1)[None, :] \
        - gammaln(data + 1.0).sum(axis=1)[:, None]


def split_halves(runs: dict, n_draws: dict) -> dict:
    """{model: (first half, second half)} of each model's counted arrays ({"counts",
    "signal"}: (draw, bin)); the first half simulates data, the second half is scored (as
    the table measurements' draws in :func:`bkfit.inference.forecast.bayes_factor_table`).
    InputError when a model's count draws are not its ``n_draws`` posterior draws."""
    out = {}
    for m, r in runs.items():
        n = r["counts"].shape[0]
        if n != n_draws[m]:
            raise InputError(f"model '{m}': {n} count draws for {n_draws[m]} posterior draws")
        k = n // 2
        first = {key: np.asarray(v)[:k] for key, v in r.items() if key in ("counts", "signal")}
        second = {key: np.asarray(v)[k:] for key, v in r.items() if key in ("counts", "signal")}
        out[m] = (first, second)
    return out


def background_model(scored: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(mean background per draw (draw, bin), residual covariance (bin, bin))``: the
    background b = total - signal of the scored draws regressed linearly on their signal
    (least squares on [1, signal], minimum-norm for the bins without signal), i.e. the
    Gaussian conditional of the background given the signal, with the covariance of the
    residuals (today's posterior spread of the background at a given signal)."""
    tot, sig = np.asarray(scored["counts"], float), np.asarray(scored["signal"], float)
    bkg = tot - sig
    n, nb = tot.shape
    if n < 2:
        return bkg, np.zeros((nb, nb))
    X = np.concatenate([np.ones((n, 1)), sig - sig.mean(axis=0)], axis=1)
    coef = np.linalg.lstsq(X, bkg, rcond=None)[0]
    fit = X @ coef
    res = bkg - fit
    return fit, np.atleast_2d(np.cov(res, rowvar=False))


def marginal_loglik(data: np.ndarray, scored: dict, scale,
                    systematics: str = "relative") -> np.ndarray:
    """ln L_new with the workspace nuisances marginalised (Gaussian approximation): a draw
    theta' of a run predicts d ~ N(s (signal(theta') + b(theta')), V) with b(theta') the
    run's background at that signal (:func:`background_model`), V = diag(s mean total) +
    s s^T C, C the residual covariance of the background over the draws (today's posterior
    systematic spread, kept as a fixed relative uncertainty) and s = L / L0 per bin;
    ``systematics="statistical"`` scales C by s instead of s s^T (the spread shrinks
    relative to the counts like a statistical one: the optimistic bound); shape (set,
    draw)."""
    from scipy.linalg import cho_factor, cho_solve
    tot, sig = np.asarray(scored["counts"], float), np.asarray(scored["signal"], float)
    nb = tot.shape[1]
    sv = np.broadcast_to(np.asarray(scale, float), (nb,))
    bfit, cov = background_model(scored)
    if systematics not in ("relative", "statistical"):
        raise InputError(f"systematics must be 'relative' or 'statistical', not "
                         f"{systematics!r}")
    grow = np.outer(sv, sv) if systematics == "relative" else np.sqrt(np.outer(sv, sv))
    V = np.diag(sv * tot.mean(axis=0)) + grow * cov
    cf = cho_factor(V, lower=True)
    data = np.asarray(data, float)
    mu = sv * (sig + bfit)                                           # (draw, bin)
    Vi_mu = cho_solve(cf, mu.T)                                      # (bin, draw)
    Vi_d = cho_solve(cf, data.T)                                     # (bin, set)
    quad = (np.einsum("sb,bs->s", data, Vi_d)[:, None] - 2.0 * data @ Vi_mu
            + np.einsum("db,bd->d", mu, Vi_mu)[None, :])
    logdet = 2.0 * np.sum(np.log(np.diag(cf[0])))
    return -0.5 * (quad + logdet + nb * math.log(2 * math.pi))


def counted_loglik(data: np.ndarray, scored: dict, scale, nuisances: str,
                   systematics: str = "relative") -> np.ndarray:
    """ln L_new (set, draw) of counted data sets at the scored draws ({"counts", "signal"}
    at the published luminosity) scaled by ``scale``: ``draws`` = prod_i Poisson(d_i |
    counts_i(theta') scale), every draw with its own workspace nuisances
    (:func:`poisson_loglik`); ``marginal`` = :func:`marginal_loglik` (with
    ``systematics``)."""
    if nuisances == "draws":
        return poisson_loglik(data, np.asarray(scored["counts"]) * scale)
    if nuisances == "marginal":
        return marginal_loglik(data, scored, scale, systematics)
    raise InputError(f"nuisances must be 'marginal' or 'draws', not {nuisances!r}")


def grouped(values: np.ndarray, channels: list, plot: SpectrumPlot) -> np.ndarray:
    """Counts (draw, bin) summed into the q^2_rec bins of ``plot`` (draw, q^2_rec bin):
    the bins of ``plot.channel`` with the same index are added (sum over the classifier
    bins).  InputError when the channel is missing or its bin count differs."""
    cols = [i for i, c in enumerate(channels) if c == plot.channel]
    if not cols:
        raise InputError(f"no channel '{plot.channel}' in the workspace "
                         f"(channels: {sorted(set(channels))})")
    if len(cols) != len(plot.q2_rec_bin):
        raise InputError(f"channel '{plot.channel}' has {len(cols)} bins, 'q2_rec_bin' "
                         f"lists {len(plot.q2_rec_bin)}")
    idx = np.asarray(plot.q2_rec_bin)
    v = np.asarray(values, float)[:, cols]
    return np.stack([v[:, idx == k].sum(axis=1) for k in range(idx.max() + 1)], axis=1)


def spectrum_table(runs: dict, name: str, proj: WorkspaceProjection, lumis) -> list[dict]:
    """Rows (run, q^2_rec bin) of the projected spectrum: expected signal and total counts
    (median, 68 % interval) at the published luminosity, and at each L the expected signal
    (median, 68 %) with the Poisson error sqrt(median total) of the data.  ``runs``:
    {run: {"work": {name: counts_from_predictive(...)}}}."""
    if proj.plot is None:
        return []
    rows = []
    sc = lumi_scales(proj, lumis)
    for m, r in runs.items():
        w = r["work"][name]
        sig = grouped(w["signal"], w["channels"], proj.plot)
        tot = grouped(w["counts"], w["channels"], proj.plot)
        for k in range(sig.shape[1]):
            qs = np.quantile(sig[:, k], [0.16, 0.5, 0.84])
            row = {"model": m, "q2_rec_bin": k, "signal_median": float(qs[1]),
                   "signal_q16": float(qs[0]), "signal_q84": float(qs[2]),
                   "total_median": float(np.median(tot[:, k]))}
            for L, s in sc.items():
                row[f"signal_median@{L:g}"] = float(qs[1] * s)
                row[f"signal_q16@{L:g}"] = float(qs[0] * s)
                row[f"signal_q84@{L:g}"] = float(qs[2] * s)
                row[f"stat_error@{L:g}"] = float(math.sqrt(np.median(tot[:, k]) * s))
            rows.append(row)
    return rows
