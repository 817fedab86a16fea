"""``bkfit fit``."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import RunFailed, RunInterrupted
from ._errors import fail, report


def _setup_devices():
    """Every local CPU core as a host device (parallel NUTS chains, concurrent SMC
    replicas); must precede JAX's backend initialisation.  An explicit
    ``--xla_force_host_platform_device_count`` in ``XLA_FLAGS`` is left alone."""
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        import numpyro
        numpyro.set_host_device_count(os.cpu_count() or 1)


def _echo_err(line: str):
    click.echo(line, err=True)


@click.command()
@click.argument("run_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="output folder (default results/<run name>)")
@click.option("--chains", type=int, help="number of chains (overrides the run file)")
@click.option("--num-warmup", type=int)
@click.option("--num-samples", type=int)
@click.option("--seed", type=int)
@click.option("--chain-method", type=click.Choice(["sequential", "parallel", "vectorized"]))
@click.option("--chunk-size", type=int, help="save progress every N samples per chain")
@click.option("--force", is_flag=True, help="replace an existing result")
@click.option("--resume", is_flag=True, help="continue an interrupted run from its checkpoint")
@click.option("--no-progress", is_flag=True, help="no progress bar")
@click.option("--scheduler", default=None, help="Dask scheduler address ('local' for a LocalCluster)")
@click.option("--dry-run", is_flag=True, help="validate the run file(s) and every input, then stop")
@click.option("--preflight", default=64, show_default=True,
              help="prior draws checked for NaN/-inf log-likelihoods and gradients before "
                   "sampling (0: skip)")
def fit(run_files, out, chains, num_warmup, num_samples, seed, chain_method, chunk_size, force,
        dry_run, preflight, resume, no_progress, scheduler):
    """Sample the posterior of RUN_FILE(s) with NUTS and write the results."""
    from ..inference.run import check_overrides, check_run, describe, run_fit

    overrides = dict(chains=chains, num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                     chain_method=chain_method, chunk_size=chunk_size)
    if dry_run:
        check_overrides(overrides)
        for rf in run_files:
            click.echo(f"{rf}: OK: {describe(check_run(rf))}")
        sys.exit(0)
    if scheduler:
        from ..distributed import fit_many
        results = fit_many(list(run_files), scheduler, out_root=out, force=force,
                           overrides=overrides)
        bad = [r for r in results if not r["ok"]]
        for r in results:
            click.echo(f"{r['run']}: {'ok -> ' + r['out'] if r['ok'] else 'FAILED: ' + r['error']}")
        sys.exit(1 if bad else 0)
    if len(run_files) > 1 and out:
        fail("--out takes one run file; give several run files without --out")
    _setup_devices()
    code = 0
    for rf in run_files:
        try:
            outdir = run_fit(rf, out, overrides, force=force, resume=resume,
                             progress=not no_progress, preflight=preflight, echo=_echo_err)
        except (RunFailed, RunInterrupted) as e:     # the next run file still runs
            code = max(code, report(e))
            continue
        _summary(outdir)
    sys.exit(code)


def _summary(outdir: Path):
    meta = json.loads((outdir / "metadata.json").read_text())
    click.echo(f"wrote {outdir}/ (posterior.nc, summary.csv, corner.png, report.md)")
    d = meta["diagnostics"]
    click.echo(f"max R-hat {d['rhat_max']:.4f}, min ESS {d['ess_bulk_min']:.0f}, "
               f"divergences {d['divergences']}")
    for w in meta["warnings"]:
        click.secho(f"WARNING: {w}", fg="yellow", bold=True, err=True)
