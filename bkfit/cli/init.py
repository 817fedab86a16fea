"""``bkfit init``: copy the shipped run files (and the priors and likelihoods they use) into
a folder of one's own, to edit and run from there."""
from __future__ import annotations

import shutil
from pathlib import Path

import click

from ._errors import fail

_SKIP = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--runs-only", is_flag=True,
              help="copy runs/ alone; their priors/... and likelihoods/... are then found in "
                   "the shipped data")
@click.option("--force", is_flag=True, help="overwrite files that are already there")
def init(directory, runs_only, force):
    """Copy the shipped runs/, priors/ and likelihoods/ into DIRECTORY.

    Afterwards `cd DIRECTORY && bkfit fit runs/quickstart.toml` fits the copy; a run file's
    relative paths are looked up next to it, in its parent folder, in the current folder and
    last in bkfit's shipped data, so edited copies take precedence."""
    from ..inputs.shipped import shipped_dir
    kinds = ("runs",) if runs_only else ("runs", "priors", "likelihoods")
    dest = Path(directory)
    if not force:
        there = [str(dest / k) for k in kinds if (dest / k).exists()]
        if there:
            fail(f"{', '.join(there)} already exist(s); use --force to overwrite")
    dest.mkdir(parents=True, exist_ok=True)
    for k in kinds:
        shutil.copytree(shipped_dir(k), dest / k, ignore=_SKIP, dirs_exist_ok=True)
        n = sum(1 for p in (dest / k).rglob("*") if p.is_file())
        click.echo(f"wrote {dest / k}/ ({n} files)")
    click.echo(f"next: cd {dest} && bkfit fit runs/quickstart.toml --dry-run")
