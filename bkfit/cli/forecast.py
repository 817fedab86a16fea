"""``bkfit forecast``."""
from __future__ import annotations

import click


@click.command("forecast")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--lumi", default="1,5,10,50", show_default=True,
              help="integrated luminosities in ab^-1, comma-separated")
@click.option("--observable", "observables", multiple=True,
              help="projected measurement to use (repeat; default: every entry of the "
                   "projections file, and belle2_kpnunu_spectrum, the Belle II q^2 spectrum "
                   "projected from its published likelihood, when every run has that "
                   "likelihood; it replaces BR(B+->Knunu))")
@click.option("--projections", default=None, type=click.Path(),
              help="projections file (default: bkfit/inputs/data/projections.yaml)")
@click.option("--draws", default=2000, show_default=True, type=click.IntRange(min=4),
              help="posterior draws per run")
@click.option("--datasets", default=200, show_default=True, type=click.IntRange(min=10),
              help="simulated data sets per run and luminosity")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--out", default="forecast", show_default=True, type=click.Path(),
              help="output folder (forecast.md, .json, .csv and figures)")
def forecast(run_dirs, lumi, observables, projections, draws, datasets, seed, out):
    """Posterior-predictive forecasts of future measurements for the finished runs in
    RUN_DIRS, and the expected Bayes factor of every ordered pair of runs against
    luminosity (`bkfit forecast results/two_body results/dm_scalar_V --lumi 1,5,10,50`)."""
    from ..api import forecast as run
    res = run(list(run_dirs), lumi=lumi, observables=list(observables) or None, draws=draws,
              datasets=datasets, seed=seed, out=out, projections=projections)
    click.echo(f"wrote {out}/forecast.md")
    for r in res["bayes"]:
        if r["lumi"] == res["lumis"][-1]:
            key = "ln_B" if r["ln_B_median"] is not None else "update"
            click.echo(f"  {r['lumi']:g} ab^-1, data from {r['truth']}: ln B vs {r['other']} "
                       f"{'' if key == 'ln_B' else '(update) '}median {r[key + '_median']:+.2f} "
                       f"[{r[key + '_q16']:+.2f}, {r[key + '_q84']:+.2f}]")
    for w in res["warnings"]:
        click.secho(f"warning: {w}", fg="yellow", err=True)
