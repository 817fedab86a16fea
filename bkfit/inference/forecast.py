"""Forecasts: what finished fits predict for future measurements, and when those measurements
tell the models apart.

Pieces (pure functions; ``bkfit.forecast`` in api.py strings them together):

* :func:`load_projections` reads the projected uncertainties (default
  ``bkfit/inputs/data/projections.yaml``; every entry with its source) and validates them.
* :func:`projected_sigma` scales a published uncertainty to a luminosity L by
  ``sigma(L)^2 = a/L + b`` (statistical part ~ 1/sqrt(L), systematic part constant; a, b >= 0
  from the published points by non-negative least squares, exact for two points; one point:
  b = 0).
* :func:`evaluate_draws` evaluates observables on posterior draws with the run's own
  model, coefficients and nuisance parameters (the same calls the fit's predictions use).
* :func:`simulate` draws data sets from a model's posterior predictive: a posterior draw's
  prediction plus Gaussian noise of the projected uncertainty.
* :func:`log_evidence_update` is the evidence update of a new, independent measurement:
  ``Z(old + new) / Z(old) = E_{theta ~ posterior(old)}[L_new(d | theta)]``, estimated by the
  mean over posterior draws, with the effective sample size of the implied reweighting.
* :func:`bayes_factor_table` gives, for every ordered pair (A, B), data simulated from A and
  every luminosity, the distribution of ``ln B_AB = ln B_AB(now) + ln E_A[L_new] - ln E_B[L_new]``.

The new measurement is treated as independent of the data the runs were fitted to (for a
luminosity L much larger than the 0.36 ab^-1 of the current Belle II result the overlap is
small; it is not subtracted).
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError
from scipy.optimize import nnls
from scipy.special import logsumexp

from .. import observables as obsreg
from ..errors import (InputError, StrictModel, YamlFloat, did_you_mean, pydantic_errors,
                      refuse_unknown_keys)
from .forecast_spectrum import (counted_loglik, read_projections_file, simulate_counts,
                                split_halves)

SMALL_ESS = 20.0     # reweighting with fewer effective draws than this is flagged


class Projection(StrictModel):
    """One projected measurement: the observable bkfit predicts for it, how its uncertainty is
    given and the published (luminosity in ab^-1 -> uncertainty) points with their source."""
    predict: str = Field(description="catalogue observable predicted for this measurement")
    experiment: str
    kind: Literal["relative_to_sm", "absolute"] = Field(
        description="uncertainty as a fraction of the SM prediction, or absolute")
    sm_observable: str | None = Field(None, description="observable whose SM value scales a "
                                                         "relative uncertainty")
    points: dict[YamlFloat, YamlFloat] = Field(description="{luminosity in ab^-1: uncertainty}")
    source: str
    checked: bool = False


def load_projections(path=None, catalogue=None) -> dict:
    """``{name: Projection}`` from ``path`` (default: the shipped projections.yaml); InputError
    naming the file and field for a bad entry, an unknown observable (with "did you mean"),
    a non-positive luminosity or uncertainty."""
    file, raw = read_projections_file(path)
    if not isinstance(raw, dict) or "projections" not in raw:
        raise InputError("expected a mapping with the key 'projections'", file=file)
    refuse_unknown_keys(raw, ["projections", "workspaces"], file)   # workspaces: forecast_spectrum
    if not isinstance(raw["projections"], dict) or not raw["projections"]:
        raise InputError("'projections' must be a non-empty mapping of entries", file=file,
                         field="projections")
    cat = obsreg.default_catalogue() if catalogue is None else catalogue
    out = {}
    for name, entry in raw["projections"].items():
        try:
            p = Projection.model_validate(entry)
        except ValidationError as e:
            raise pydantic_errors(e, file, prefix=f"projections.{name}", model=Projection) \
                from None
        for fld in ("predict", "sm_observable"):
            obs = getattr(p, fld)
            if obs is not None and obs not in cat:
                raise InputError(f"unknown observable '{obs}'.{did_you_mean(obs, list(cat))}",
                                 file=file, field=f"projections.{name}.{fld}")
        if p.kind == "relative_to_sm" and p.sm_observable is None:
            raise InputError("a relative uncertainty needs 'sm_observable'", file=file,
                             field=f"projections.{name}.sm_observable")
        if not p.points:
            raise InputError("no published points", file=file, field=f"projections.{name}.points")
        for lumi, sig in p.points.items():
            if not (lumi > 0 and sig > 0):
                raise InputError(f"luminosity ({lumi}) and uncertainty ({sig}) must be > 0",
                                 file=file, field=f"projections.{name}.points")
        out[str(name)] = p
    return out


def scaling(points: dict) -> tuple[float, float]:
    """``(a, b)`` of ``sigma(L)^2 = a/L + b`` through the published ``{L: sigma}`` points
    (non-negative least squares in sigma^2 vs 1/L; exact for two points whose uncertainty
    falls no faster than 1/sqrt(L); one point: purely statistical, b = 0)."""
    lum = np.array(sorted(points), dtype=float)
    sig = np.array([points[k] for k in sorted(points)], dtype=float)
    if len(lum) == 1:
        return float(sig[0] ** 2 * lum[0]), 0.0
    (a, b), _ = nnls(np.stack([1.0 / lum, np.ones_like(lum)], axis=1), sig ** 2)
    return float(a), float(b)


def projected_sigma(proj: Projection, lumi: float, sm_value: float | None = None) -> float:
    """The projected uncertainty at ``lumi`` ab^-1 (absolute units: a relative projection is
    multiplied by ``sm_value``, which it then requires)."""
    if not (lumi > 0 and math.isfinite(lumi)):
        raise InputError(f"luminosity must be a positive finite number in ab^-1, got {lumi}")
    a, b = scaling(proj.points)
    rel = math.sqrt(a / lumi + b)
    if proj.kind == "absolute":
        return rel
    if sm_value is None:
        raise InputError(f"a relative projection of '{proj.predict}' needs its SM value")
    return rel * abs(sm_value)


def extrapolated(proj: Projection, lumi: float) -> bool:
    """Whether ``lumi`` lies outside the published luminosity range of ``proj``."""
    return not (min(proj.points) <= lumi <= max(proj.points))


def sm_values(projections: dict, par: dict, catalogue=None) -> dict:
    """SM prediction of each relative projection's ``sm_observable`` (no new-physics
    coefficients, parameters ``par``), keyed by projection name."""
    return {n: float(obsreg.predict(p.sm_observable, {}, par, catalogue))
            for n, p in projections.items() if p.kind == "relative_to_sm"}


def parse_lumi(text) -> list[float]:
    """Luminosities in ab^-1 from ``'1,5,10,50'`` (or a list of numbers): finite, > 0,
    increasing order, no repeats; InputError otherwise."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for it in items:
        try:
            x = float(it)
        except (TypeError, ValueError):
            raise InputError(f"--lumi: {it!r} is not a number (give luminosities in ab^-1, "
                             f"e.g. 1,5,10,50)") from None
        if not (math.isfinite(x) and x > 0):
            raise InputError(f"--lumi: {it!r} must be a positive finite luminosity in ab^-1")
        out.append(x)
    if not out:
        raise InputError("--lumi: no luminosity given (e.g. --lumi 1,5,10,50)")
    if len(set(out)) != len(out):
        raise InputError(f"--lumi: repeated luminosity in {text!r}")
    return sorted(out)


def select(projections: dict, names=None) -> dict:
    """The projections named in ``names`` (None: all), InputError with "did you mean" for an
    unknown name."""
    if names is None:
        return dict(projections)
    out = {}
    for n in names:
        if n not in projections:
            raise InputError(f"no projection for observable '{n}'."
                             f"{did_you_mean(n, list(projections))} Available: "
                             f"{', '.join(projections)}")
        out[n] = projections[n]
    return out


# ------------------------------------------------------------------ posterior predictive
def evaluate_draws(asm, draws: dict, observables: list[str]) -> np.ndarray:
    """Predictions of ``observables`` (catalogue names without arguments) on posterior draws:
    ``draws`` maps the run's model parameters and nuisance-block sites to arrays (draw, ...);
    returns an array (draw, observable).  Uses the run's model, ``[wcxf]`` background and
    nuisance blocks (:class:`bkfit.inference.assemble.Assembled`), jitted and mapped over
    the draws."""
    import jax
    import jax.numpy as jnp

    params = list(asm.priors)
    sites = [b.site for b in asm.blocks]
    if not observables:                  # e.g. only the spectrum (forecast_spectrum) asked for
        return np.zeros((len(next(iter(draws.values()))), 0))

    def one(x):
        theta = {p: x[p] for p in params}
        par = asm.par_from({s: x[s] for s in sites})
        coeffs = asm.coefficients(theta)
        return jnp.stack([jnp.real(obsreg.predict(o, coeffs, par, asm.catalogue))
                          for o in observables])

    xs = {k: jnp.asarray(draws[k]) for k in params + sites}
    out = np.asarray(jax.lax.map(jax.jit(one), xs), dtype=float)
    if not np.all(np.isfinite(out)):
        bad = [o for i, o in enumerate(observables) if not np.all(np.isfinite(out[:, i]))]
        raise InputError(f"non-finite predictions of {bad} on posterior draws")
    return out


def simulate(pred: np.ndarray, sigma: np.ndarray, n_sets: int, rng) -> np.ndarray:
    """``n_sets`` simulated data sets (set, observable): the predictions of randomly chosen
    draws (rows of ``pred``) plus independent Gaussian noise of width ``sigma``."""
    idx = rng.integers(0, pred.shape[0], size=n_sets)
    return pred[idx] + rng.normal(size=(n_sets, pred.shape[1])) * np.asarray(sigma)


def gaussian_loglik(data: np.ndarray, pred: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """ln L_new of every data set (rows of ``data``) at every draw (rows of ``pred``):
    independent Gaussians of width ``sigma``; shape (set, draw)."""
    sigma = np.asarray(sigma, dtype=float)
    z = (data[:, None, :] - pred[None, :, :]) / sigma
    return -0.5 * np.sum(z ** 2, axis=-1) - np.sum(np.log(sigma)) \
        - 0.5 * len(sigma) * math.log(2 * math.pi)


def log_evidence_update(loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ln E_post[L_new], ESS)`` per data set from ``loglik`` (set, draw): the log of the
    mean likelihood over the posterior draws and the effective sample size
    ``(sum w)^2 / sum w^2`` of the weights w = L_new."""
    n = loglik.shape[1]
    lnmean = logsumexp(loglik, axis=1) - math.log(n)
    lw = loglik - logsumexp(loglik, axis=1, keepdims=True)
    ess = 1.0 / np.exp(logsumexp(2 * lw, axis=1))
    return lnmean, ess


def bayes_factor_table(preds: dict, sigmas: dict, ln_b_now: dict | None = None,
                       n_sets: int = 200, seed: int = 0,
                       counted: dict | None = None) -> list[dict]:
    """Expected Bayes factors against luminosity.

    ``preds``: {model: array (draw, observable)} of posterior predictions; ``sigmas``:
    {lumi: array (observable,)} of projected uncertainties; ``ln_b_now``: {(A, B): ln B_AB of
    the current data} where known.  Each model's draws are split in two halves: data sets are
    simulated from the first, evidences averaged over the second (so a data set is never
    scored by the draw that made it).  Returns one row per (lumi, truth A, alternative B) with
    the mean, median, 16 % and 84 % quantiles of the update ``ln E_A - ln E_B`` over the
    ``n_sets`` data sets simulated from A, the same for ln B_AB(now) + update where ln B now is
    known, the fraction of sets with ln B_AB > 3 (Kass-Raftery "strong"), and the smallest
    and median effective sample sizes of the reweighting of A and of B.

    ``counted`` adds measurements projected from a published likelihood
    (:mod:`bkfit.inference.forecast_spectrum`): {name: {"scales": {lumi: L / L0},
    "nuisances": "marginal" | "draws", optional "systematics", "runs": {model: {"counts", "signal"}: arrays (draw,
    bin), the same draws as ``preds``}}}; a data set from draw theta adds d ~
    Poisson(counts(theta) L / L0) and every draw's likelihood the matching term
    (:func:`forecast_spectrum.counted_loglik`); the Gaussian and counted parts share the draw.
    """
    rng = np.random.default_rng(seed)
    ln_b_now = ln_b_now or {}
    halves = {}
    for m, p in preds.items():
        if p.shape[0] < 4:
            raise InputError(f"model '{m}': {p.shape[0]} posterior draws are too few")
        k = p.shape[0] // 2
        halves[m] = (p[:k], p[k:])
    counted = counted or {}
    chalves = {w: split_halves(c["runs"], {m: p.shape[0] for m, p in preds.items()})
               for w, c in counted.items()}
    rows = []
    for lumi, sig in sigmas.items():
        for a in preds:
            idx = rng.integers(0, halves[a][0].shape[0], size=n_sets)
            data = halves[a][0][idx] + rng.normal(size=(n_sets, preds[a].shape[1])) * sig
            lls = {m: gaussian_loglik(data, halves[m][1], sig) for m in preds}
            for w, c in counted.items():
                cdata = simulate_counts(chalves[w][a][0]["counts"][idx], c["scales"][lumi], rng)
                for m in preds:
                    lls[m] = lls[m] + counted_loglik(cdata, chalves[w][m][1],
                                                     c["scales"][lumi], c["nuisances"],
                                                     c.get("systematics", "relative"))
            upd = {m: log_evidence_update(lls[m]) for m in preds}
            for b in preds:
                if b == a:
                    continue
                d = upd[a][0] - upd[b][0]
                now = ln_b_now.get((a, b))
                tot = d + now if now is not None else None
                q = np.quantile(d, [0.16, 0.5, 0.84])
                row = {"lumi": lumi, "truth": a, "other": b, "update_mean": float(d.mean()),
                       "update_median": float(q[1]), "update_q16": float(q[0]),
                       "update_q84": float(q[2]), "ln_B_now": now,
                       "ess_min_truth": float(upd[a][1].min()),
                       "ess_median_truth": float(np.median(upd[a][1])),
                       "ess_min_other": float(upd[b][1].min()),
                       "ess_median_other": float(np.median(upd[b][1])),
                       "n_sets": int(n_sets), "n_draws_truth": int(halves[a][1].shape[0]),
                       "n_draws_other": int(halves[b][1].shape[0])}
                if tot is not None:
                    qt = np.quantile(tot, [0.16, 0.5, 0.84])
                    row.update(ln_B_mean=float(tot.mean()), ln_B_median=float(qt[1]),
                               ln_B_q16=float(qt[0]), ln_B_q84=float(qt[2]),
                               p_strong=float(np.mean(tot > 3.0)))
                else:
                    row.update(ln_B_mean=None, ln_B_median=None, ln_B_q16=None,
                               ln_B_q84=None, p_strong=float(np.mean(d > 3.0)))
                rows.append(row)
    return rows


def predictive_table(preds: dict, names: list[str], sigmas: dict, n_noise: int = 20,
                     seed: int = 0) -> list[dict]:
    """Posterior-predictive summaries per (model, observable): the prediction's median and 68 %
    interval, then per luminosity the same for prediction + projected noise (each draw gets
    ``n_noise`` noise values) and the projected uncertainty."""
    rng = np.random.default_rng(seed)
    rows = []
    for m, p in preds.items():
        for j, n in enumerate(names):
            q = np.quantile(p[:, j], [0.16, 0.5, 0.84])
            row = {"model": m, "observable": n, "median": float(q[1]), "q16": float(q[0]),
                   "q84": float(q[2])}
            for lumi, sig in sigmas.items():
                noisy = (p[:, j][:, None] + rng.normal(size=(p.shape[0], n_noise)) * sig[j])
                qn = np.quantile(noisy, [0.16, 0.5, 0.84])
                row[f"sigma@{lumi:g}"] = float(sig[j])
                row[f"q16@{lumi:g}"] = float(qn[0])
                row[f"q84@{lumi:g}"] = float(qn[2])
            rows.append(row)
    return rows


def ess_warnings(rows: list[dict], small: float = SMALL_ESS) -> list[str]:
    """One line per (lumi, model) whose median reweighting ESS is below ``small``: the
    evidence update there rests on few posterior draws (increase the draws)."""
    seen, out = set(), []
    for r in rows:
        for who, key in (("truth", "ess_median_truth"), ("other", "ess_median_other")):
            m = r[who]
            if r[key] < small and (r["lumi"], m, r["truth"]) not in seen:
                seen.add((r["lumi"], m, r["truth"]))
                out.append(f"{r['lumi']:g} ab^-1, data from '{r['truth']}': the reweighting of "
                           f"'{m}' keeps a median of {r[key]:.1f} effective draws (< {small:g}); "
                           f"its ln E is noisy, use more draws (--draws)")
    return out
