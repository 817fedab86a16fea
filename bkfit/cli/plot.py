"""``bkfit plot belle2 | spectra | rk-rkstar``."""
from __future__ import annotations

import click

from ._errors import fail


def _wrote(paths):
    for p in paths:
        click.echo(f"wrote {p}")


@click.group()
def plot():
    """Figures from finished runs and from predictions."""


@plot.command("belle2")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="folder for the figures (default RUN_DIR)")
@click.option("--draws", default=200, show_default=True, help="posterior draws used for the bands")
def plot_belle2_cmd(run_dir, out, draws):
    """Predicted vs observed counts in every Belle II fit bin, and the implied q² spectrum."""
    from ..plots.belle2 import plot_belle2
    _wrote(plot_belle2(run_dir, out, n_draws=draws))


@plot.command("spectra")
@click.option("--family", type=click.Choice(["scalar", "fermion", "vector"]),
              help="one panel for this family (default: the panels of the seed's Fig. 7)")
@click.option("--operator", "operators", multiple=True, help="operator(s) of the family (repeatable)")
@click.option("--mass", "masses", multiple=True, type=float, help="mass(es) in GeV (repeatable)")
@click.option("--mode", default="B+->K", show_default=True,
              type=click.Choice(["B+->K", "B0->K", "B+->K*", "B0->K*"]))
@click.option("--efficiency", default="ita", show_default=True,
              type=click.Choice(["ita", "hta", "none"]),
              help="Belle II efficiency folded into the second row")
@click.option("--out", default="spectra.png", show_default=True, type=click.Path(dir_okay=False))
def plot_spectra_cmd(family, operators, masses, mode, efficiency, out):
    """Normalised dΓ/dq² of invisible pairs vs the SM, with and without the Belle II efficiency."""
    from ..plots.spectra import FAMILIES, plot_spectra
    panels = None
    if family:
        ops = operators or FAMILIES[family][3]
        panels = [(family, tuple(ops), tuple(masses) or (0.3, 0.7))]
    elif operators or masses:
        fail("--operator and --mass need --family")
    _wrote(plot_spectra(panels, out, mode, efficiency))


@plot.command("rk-rkstar")
@click.argument("run_file")
@click.option("--draws", default=5000, show_default=True, help="prior draws")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="figure file (default rk_rkstar_<run>.png)")
def plot_rk_cmd(run_file, draws, seed, out):
    """R_K^νν vs R_K*^νν over the prior of RUN_FILE's model (the seed's Fig. 1); RUN_FILE may
    be a shipped run's name (``bkfit plot rk-rkstar lq_S1``)."""
    from ..inputs.shipped import find_run
    from ..plots.rk import plot_rk_rkstar
    _wrote(plot_rk_rkstar(str(find_run(run_file)), out, draws, seed))


@plot.command("vlq-map")
@click.option("--out", default="vlq_map", show_default=True, type=click.Path(dir_okay=False),
              help="figure stem (.png and .pdf are written)")
@click.option("--m-phi", "m_points", default=22, show_default=True,
              help="grid points in m_phi (0.3-2.39 GeV)")
@click.option("--no-belle2", is_flag=True, help="skip the Belle II profile (the slow part)")
@click.option("--y1-normalisation", type=click.Choice(["lagrangian", "seed"]),
              default="lagrangian", show_default=True)
def plot_vlq_map_cmd(out, m_points, no_belle2, y1_normalisation):
    """Where relic density, direct detection, ΔM_K and Belle II leave the VLQ + scalar-DM model
    room, over (m_φ, C^dd/C^ss) at the seed's heavy benchmark (docs/vlq.md)."""
    import numpy as np

    from ..plots.vlq_map import compute_vlq_map, plot_vlq_map
    if m_points < 3:
        fail("--m-phi needs at least 3 grid points")
    vmap = compute_vlq_map(m_phi=np.linspace(0.3, 2.39, m_points), belle2=not no_belle2,
                           options={"y1_normalisation": y1_normalisation})
    for name, ok in vmap.allowed.items():
        click.echo(f"{name}: allowed at {int(ok.sum())} of {ok.size} grid points")
    every = np.logical_and.reduce(list(vmap.allowed.values()))
    click.echo(f"all constraints: allowed at {int(every.sum())} grid points")
    _wrote(plot_vlq_map(vmap, out))
