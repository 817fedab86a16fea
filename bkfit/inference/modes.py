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
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np

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
