"""``bkfit export``."""
from __future__ import annotations

import click

from ._errors import fail


@click.command("export")
@click.argument("run_dir", type=click.Path())
@click.option("--wcxf", "as_wcxf", is_flag=True,
              help="write the best point and the posterior median as WCxf files "
                   "(WET, flavio basis, 4.8 GeV): wcxf_best.yaml, wcxf_median.yaml")
@click.option("--out", default=None, type=click.Path(), help="output folder (default RUN_DIR)")
@click.option("--json", "as_json", is_flag=True, help="write JSON instead of YAML")
def export(run_dir, as_wcxf, out, as_json):
    """Export the results of the finished run in RUN_DIR (`bkfit export RUN_DIR --wcxf`)."""
    from ..api import export as export_run
    if not as_wcxf:
        fail("bkfit export: choose what to write; available: --wcxf")
    res = export_run(run_dir, out=out, fmt="json" if as_json else "yaml")
    for name, r in res.items():
        click.echo(f"wrote {r['file']} ({name})")
        if r["omitted"]:
            click.echo(f"  not in WCxf (bkfit extension names or masses, left out): "
                       f"{', '.join(f'{k}={v:.6g}' for k, v in r['omitted'].items())}")
