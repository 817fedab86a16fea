"""``bkfit evidence`` and ``bkfit compare``."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ._errors import fail


def _echo_err(line: str):
    click.echo(line, err=True)


@click.command("evidence")
@click.argument("run_file", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False),
              help="results folder (default results/<run name>, next to a fit result)")
@click.option("--method", type=click.Choice(["nested", "smc", "both"]), default="both",
              show_default=True)
@click.option("--seed", type=int, help="random seed (default: the run file's)")
@click.option("--particles", type=int, default=1000, show_default=True,
              help="SMC particles per replica")
@click.option("--replicas", type=int, default=8, show_default=True,
              help="independent SMC runs (their spread gives the error)")
@click.option("--num-live", type=int, help="nested sampling: jaxns root chains (default 30 x dim)")
@click.option("--full-likelihood", is_flag=True,
              help="integrate over every nuisance as in the fit (default: nuisance sets at "
                   "central values, Belle II workspace nuisances profiled; see docs/evidence.md)")
def evidence_cmd(run_file, out, method, seed, particles, replicas, num_live, full_likelihood):
    """Marginal likelihood ln Z of RUN_FILE (nested sampling and/or tempering SMC)."""
    from .fit import _setup_devices
    _setup_devices()          # SMC replicas run one per core
    from ..inference.run import run_evidence

    methods = ["nested", "smc"] if method == "both" else [method]
    path = run_evidence(run_file, out, methods, seed=seed, particles=particles,
                        replicas=replicas, num_live=num_live, full_likelihood=full_likelihood,
                        echo=_echo_err)
    doc = json.loads(path.read_text())
    for m, e in doc["estimates"].items():
        click.echo(f"ln Z ({m:6s}) = {e['ln_Z']:.4f} +- {e['ln_Z_err']:.4f}  "
                   f"[{e['likelihood_evaluations']} evaluations, {e['time_s']:.1f} s]")
    ag = doc["agreement"]
    if ag is not None and not ag["consistent"]:
        click.secho(f"warning: the estimators disagree by {ag['pull']:+.1f} combined sigma",
                    fg="yellow", err=True)
    sm_ref = doc["sm_same_data"]
    if sm_ref.get("ln_Z") is not None:
        click.echo(f"ln Z (SM, same likelihood terms) = {sm_ref['ln_Z']:.4f} (exact)")
    click.echo(f"wrote {path}")


@click.command("compare")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--reference", type=click.Path(file_okay=False),
              help="reference run folder (default: the run of model 'sm', else the first)")
@click.option("--out", type=click.Path(file_okay=False), default="results/compare",
              show_default=True)
def compare_cmd(run_dirs, reference, out):
    """Bayes factors, chi^2_min and LOO of finished runs (each with evidence.json)."""
    from ..inference.compare import compare
    for d in list(run_dirs) + ([reference] if reference else []):
        if not Path(d).is_dir():
            fail(f"{d}: no such run folder")
    res = compare(list(run_dirs), reference, out)
    for r in res["rows"]:
        tag = " (reference)" if r["reference"] else f"  {r['kass_raftery']}"
        flag = "" if r["estimators_agree"] else "  [estimators DISAGREE]"
        click.echo(f"{r['run']:30s} ln Z = {r['ln_Z']:.3f} +- {r['ln_Z_err']:.3f}  "
                   f"ln B = {r['ln_B']:+.3f} +- {r['ln_B_err']:.3f}{tag}{flag}")
    click.echo(f"wrote {Path(out) / 'compare.md'}, compare.csv, compare.png")
