"""Interval summaries that stay honest for multimodal posteriors.

Mean ± std of a bimodal posterior describes a point between the modes where the posterior
has no mass.  :func:`hdi_modes` reports highest-density intervals instead, one per mode,
from ArviZ's ``az.hdi(..., multimodal=True)`` (a kernel density estimate cut at the density
level that holds ``prob`` of the mass).

Rule (documented in the report): a parameter is *multimodal* when the multimodal 68 % HDI
has two or more intervals that each hold at least ``MIN_MODE_MASS`` (5 %) of the draws;
intervals holding less are dropped as density-estimate noise.  A parameter that is not
multimodal gets the single sample HDI ``az.hdi(x, prob)``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np

MIN_MODE_MASS = 0.05
HDI_PROB = 0.68


@dataclass(frozen=True)
class Mode:
    """One highest-density interval: bounds, the fraction of draws inside, their median."""
    low: float
    high: float
    mass: float
    median: float


def hdi_modes(x, prob: float = HDI_PROB, min_mass: float = MIN_MODE_MASS) -> list[Mode]:
    """Highest-density intervals of the draws ``x`` (any shape, flattened), one per mode that
    holds at least ``min_mass`` of the draws; a single interval equal to ``az.hdi(x, prob)``
    when there are fewer than two such modes."""
    x = np.asarray(x, float).reshape(-1)
    x = x[np.isfinite(x)]
    if x.size < 2 or np.ptp(x) == 0:
        v = float(x[0]) if x.size else float("nan")
        return [Mode(v, v, 1.0 if x.size else 0.0, v)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        multi = np.atleast_2d(az.hdi(x, hdi_prob=prob, multimodal=True))
    modes = []
    for lo, hi in multi:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            continue
        inside = x[(x >= lo) & (x <= hi)]
        if inside.size / x.size >= min_mass:
            modes.append(Mode(float(lo), float(hi), inside.size / x.size, float(np.median(inside))))
    if len(modes) >= 2:
        return modes
    lo, hi = (float(v) for v in az.hdi(x, hdi_prob=prob))
    inside = x[(x >= lo) & (x <= hi)]
    return [Mode(lo, hi, inside.size / x.size, float(np.median(inside)))]


def is_multimodal(x, prob: float = HDI_PROB, min_mass: float = MIN_MODE_MASS) -> bool:
    """Whether ``x`` is multimodal by the rule in the module docstring."""
    return len(hdi_modes(x, prob, min_mass)) > 1


def interval_text(modes: list[Mode], fmt: str = ".4g") -> str:
    """``'[a, b]'`` for one interval, ``'[a, b] (61 %) ∪ [c, d] (33 %)'`` for several."""
    if len(modes) == 1:
        m = modes[0]
        return f"[{m.low:{fmt}}, {m.high:{fmt}}]"
    return " ∪ ".join(f"[{m.low:{fmt}}, {m.high:{fmt}}] ({100 * m.mass:.0f} %)" for m in modes)
