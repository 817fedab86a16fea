"""Interval summaries that stay honest for multimodal posteriors.

Mean ± std of a bimodal posterior describes a point between the modes where the posterior
has no mass.  :func:`hdi_modes` reports highest-density intervals instead, one per mode,
from ArviZ's ``az.hdi(..., multimodal=True)`` (a kernel density estimate cut at the density
level that holds ``prob`` of the mass).

Rule (stated in the report): the intervals of the multimodal 68 % HDI are cleaned of
density-estimate noise, which cuts a flat or wide posterior into pieces: two neighbouring
intervals are merged unless the gap between them is a real valley, i.e. the density of draws
in the gap is below ``VALLEY`` (1/2) of the mean density of draws inside the sparser of the
two; intervals holding less than ``MIN_MODE_MASS`` (5 %) of the draws are then dropped.  A
parameter is *multimodal* when two or more intervals remain; one that is not gets the
single sample HDI ``az.hdi(x, prob)``.

:func:`marginal_mode` and :func:`mode_and_hdi` give the summary experiments often quote
instead (e.g. Belle II's B+ -> K+ nu nu reinterpretation, arXiv:2507.12393): the maximum of the
marginal posterior density and a highest-density credible interval.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
from scipy.stats import gaussian_kde

MIN_MODE_MASS = 0.05
VALLEY = 0.5
HDI_PROB = 0.68


@dataclass(frozen=True)
class Mode:
    """One highest-density interval: bounds, the fraction of draws inside, their median."""
    low: float
    high: float
    mass: float
    median: float


def hdi_modes(x, prob: float = HDI_PROB, min_mass: float = MIN_MODE_MASS) -> list[Mode]:
    """Highest-density intervals of the draws ``x`` (any shape, flattened), one per mode by
    the rule of the module docstring (modes holding less than ``min_mass`` of the draws
    dropped); a single interval equal to ``az.hdi(x, prob)`` when fewer than two remain."""
    x = np.asarray(x, float).reshape(-1)
    x = x[np.isfinite(x)]
    if x.size < 2 or np.ptp(x) == 0:
        v = float(x[0]) if x.size else float("nan")
        return [Mode(v, v, 1.0 if x.size else 0.0, v)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        multi = np.atleast_2d(az.hdi(x, hdi_prob=prob, multimodal=True))
    multi = sorted((float(lo), float(hi)) for lo, hi in multi
                   if np.isfinite(lo) and np.isfinite(hi))
    merged = []
    for lo, hi in multi:
        if merged and not _valley(x, merged[-1], (lo, hi)):
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    modes = []
    for lo, hi in merged:
        inside = x[(x >= lo) & (x <= hi)]
        if inside.size / x.size >= min_mass:
            modes.append(Mode(float(lo), float(hi), inside.size / x.size, float(np.median(inside))))
    if len(modes) >= 2:
        return modes
    lo, hi = (float(v) for v in az.hdi(x, hdi_prob=prob))
    inside = x[(x >= lo) & (x <= hi)]
    return [Mode(lo, hi, inside.size / x.size, float(np.median(inside)))]


def _density(x, lo, hi) -> float:
    """Draws per unit length in [lo, hi]."""
    return np.count_nonzero((x >= lo) & (x <= hi)) / max(hi - lo, np.finfo(float).tiny)


def _valley(x, left, right) -> bool:
    """Whether the gap between two intervals is a real valley of the draws' density."""
    gap = np.count_nonzero((x > left[1]) & (x < right[0])) / max(right[0] - left[1],
                                                                  np.finfo(float).tiny)
    return gap < VALLEY * min(_density(x, *left), _density(x, *right))


def is_multimodal(x, prob: float = HDI_PROB, min_mass: float = MIN_MODE_MASS) -> bool:
    """Whether ``x`` is multimodal by the rule in the module docstring."""
    return len(hdi_modes(x, prob, min_mass)) > 1


def interval_text(modes: list[Mode], fmt: str = ".4g") -> str:
    """``'[a, b]'`` for one interval, ``'[a, b] (61 %) ∪ [c, d] (33 %)'`` for several."""
    if len(modes) == 1:
        m = modes[0]
        return f"[{m.low:{fmt}}, {m.high:{fmt}}]"
    return " ∪ ".join(f"[{m.low:{fmt}}, {m.high:{fmt}}] ({100 * m.mass:.0f} %)" for m in modes)


def marginal_mode(x, bounds=(None, None), grid: int = 512) -> float:
    """Maximum of the marginal posterior density of the draws ``x`` (flattened): a Gaussian
    kernel density estimate (scipy ``gaussian_kde``, Scott's bandwidth) reflected at the finite
    ``bounds`` of the prior support (low, high; None = unbounded), so that a density that piles
    up at a prior edge keeps its maximum there instead of being pulled inside; maximised on
    ``grid`` points spanning the draws, then on ``grid`` points across the two grid steps
    around the best one."""
    x = np.asarray(x, float).reshape(-1)
    x = x[np.isfinite(x)]
    if x.size < 2 or np.ptp(x) == 0:
        return float(x[0]) if x.size else float("nan")
    lo, hi = bounds
    if lo is not None and hi is not None and not hi > lo:
        raise ValueError(f"marginal_mode: bounds {bounds} are empty")
    kde = gaussian_kde(x)

    def best(a, b):
        g = np.linspace(a, b, grid)
        if lo is not None:
            g = np.concatenate([[float(lo)], g[g > lo]])
        if hi is not None:
            g = np.concatenate([g[g < hi], [float(hi)]])
        dens = kde(g)
        if lo is not None:
            dens = dens + kde(2.0 * lo - g)
        if hi is not None:
            dens = dens + kde(2.0 * hi - g)
        return float(g[int(np.argmax(dens))])
    step = (x.max() - x.min()) / (grid - 1)
    m = best(x.min(), x.max())
    return best(m - step, m + step)


def mode_and_hdi(x, prob: float = 0.95, bounds=(None, None)) -> tuple[float, float, float]:
    """(mode, low, high): :func:`marginal_mode` of the draws ``x`` and their single
    highest-density interval with probability ``prob`` (``az.hdi``; it reaches the prior edge
    when the density is highest there)."""
    x = np.asarray(x, float).reshape(-1)
    x = x[np.isfinite(x)]
    lo, hi = (float(v) for v in az.hdi(x, hdi_prob=prob))
    return marginal_mode(x, bounds), lo, hi
