"""Figure conventions shared by every bkfit figure, and the corner plot of a run.

* :func:`save_figure` writes each figure as PDF (vector, for papers) and PNG (same stem),
  with ``bbox_inches='tight'`` so legends placed outside the axes are kept;
* axis labels come from the label table (:mod:`bkfit.inputs.labels`): LaTeX (mathtext) with
  units;
* :func:`corner_plot`: the model parameters (and the ratios R^νν to the SM, or any derived
  observable when fewer than two parameters vary) with the SM marked (the parameter's SM
  value from the label table, an observable's SM prediction from bkfit at central
  parameters), the 68 % highest-density interval(s) above each diagonal panel (one per mode
  for a multimodal parameter, :mod:`bkfit.inference.modes`), and the run name as the figure
  title.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..inputs import labels as lab
from .modes import hdi_modes

FORMATS = ("png", "pdf")
DPI = 150
SM_COLOR = "tab:red"
LEVELS = (1 - np.exp(-0.5), 1 - np.exp(-2.0))    # the 2D 1σ and 2σ probability contents


def save_figure(fig, path, formats=FORMATS, dpi: int = DPI) -> list[Path]:
    """Write ``fig`` as ``<stem>.<fmt>`` for each of ``formats`` next to ``path`` (its own
    suffix is replaced); returns the paths written, in ``formats`` order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import matplotlib
    # the tight bounding box, computed once: "tight" in each savefig draws the figure an
    # extra time per format (about 0.3 s for a 6 x 6 corner plot)
    fig.canvas.draw()
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(
        matplotlib.rcParams["savefig.pad_inches"])
    out = []
    for fmt in formats:
        p = path.with_suffix("." + fmt)
        fig.savefig(p, dpi=dpi, bbox_inches=bbox)
        out.append(p)
    return out


def sm_reference(display: str, par: dict) -> float | None:
    """The SM value of a corner-plot variable: a model parameter's SM value from the label
    table, or an observable's SM prediction at ``par`` (None if neither exists)."""
    v = lab.sm_value(display)
    if v is not None:
        return v
    from .. import observables as obsreg
    try:
        name, args = obsreg.parse_obs_key(display)
        return float(obsreg.predict(name, {}, par, **args))
    except (KeyError, ValueError, TypeError):
        return None


def display_name(idata, var: str, group: str = "posterior") -> str:
    """A variable's display name (its ``label`` attribute, else the variable name)."""
    return getattr(idata, group)[var].attrs.get("label", var)


def corner_columns(idata, asm) -> list[str]:
    """The posterior variables a run's corner plot shows (at most 8, each varying): the model
    parameters in sampling order, then the R^νν ratios (or every derived observable when
    fewer than two parameters are shown)."""
    post = idata.posterior
    by_name = {display_name(idata, v): v for v in post.data_vars}
    cols = [by_name[p] for p in asm.priors if p in by_name]
    for v in post.data_vars:
        if post[v].attrs.get("kind") == "observable" and (
                display_name(idata, v).startswith("Rnunu") or len(cols) < 2):
            cols.append(v)
    return [c for c in cols if post[c].ndim == 2 and np.ptp(post[c].values) > 0][:8]


def _ranges(arr, truths, pad: float = 0.05) -> list[tuple[float, float]]:
    """Per column: the draws' range, widened to show the SM value when it lies outside."""
    out = []
    for j, t in enumerate(truths):
        lo, hi = float(arr[:, j].min()), float(arr[:, j].max())
        if t is not None and np.isfinite(t) and not lo <= t <= hi:
            lo, hi = min(lo, t), max(hi, t)
            lo, hi = lo - pad * (hi - lo), hi + pad * (hi - lo)
        out.append((lo, hi))
    return out


def corner_plot(idata, asm, path: Path):
    """Corner plot of a finished run (see the module docstring), written as PDF and PNG with
    ``path``'s stem; returns ``path`` (the PNG), or None when nothing varies."""
    import corner
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    cols = corner_columns(idata, asm)
    if not cols:
        return None
    arr = np.column_stack([idata.posterior[c].values.reshape(-1) for c in cols])
    disp = [display_name(idata, c) for c in cols]
    truths = [sm_reference(d, asm.base_par) for d in disp]
    titles = []
    for j in range(len(cols)):
        modes = hdi_modes(arr[:, j])
        titles.append(" ∪ ".join(f"[{m.low:.3g}, {m.high:.3g}]" for m in modes))
    fig = corner.corner(arr, labels=[lab.axis_label(d) for d in disp], truths=truths,
                        truth_color=SM_COLOR, levels=LEVELS, label_kwargs={"fontsize": 10},
                        max_n_ticks=4, range=_ranges(arr, truths))
    diag = np.array(fig.axes).reshape(len(cols), len(cols)).diagonal()
    for ax, title in zip(diag, titles):
        ax.set_title(title, fontsize=8)
    handles = [Line2D([], [], color="k", lw=1,
                      label="posterior: 39 %, 86 % contours (2D 1σ, 2σ)")]
    if any(t is not None for t in truths):
        handles.append(Line2D([], [], color=SM_COLOR, lw=1.5, label="SM"))
    # the upper-right triangle of a corner plot is empty: the legend goes there
    fig.legend(handles=handles, loc="upper right", fontsize=9, frameon=False,
               title="titles: 68 % HDI per mode", title_fontsize=8)
    fig.suptitle(f"{asm.cfg.run.name}: posterior", fontsize=11, y=1.02)
    save_figure(fig, path)
    plt.close(fig)
    return Path(path)
