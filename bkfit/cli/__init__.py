"""Command-line interface: ``bkfit fit | predict | list | plot | evidence | compare | init | export |
forecast``.

Each command parses its arguments and calls library functions; bkfit's errors become exit
codes in one place, ``_errors.py``."""
from __future__ import annotations

import click

from ._errors import Group
from .evidence import compare_cmd, evidence_cmd
from .export import export
from .fit import fit
from .forecast import forecast
from .init import init
from .listing import list_
from .plot import plot
from .predict import predict


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bkfit")
def main():
    """bkfit: Bayesian global fits of new physics in b -> s + invisible."""


for _command in (fit, predict, list_, plot, evidence_cmd, compare_cmd, init, export, forecast):
    main.add_command(_command)

__all__ = ["main"]
