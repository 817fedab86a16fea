"""The one place where bkfit's errors (bkfit/errors.py) become messages and exit codes."""
from __future__ import annotations

import sys

import click

from ..errors import BkfitError, InputError, RunFailed, RunInterrupted

# (error class, exit code, message prefix; None: say nothing, the run's log already did)
EXIT_CODES = (
    (RunInterrupted, 130, None),
    (RunFailed, 1, ""),
    (BkfitError, 2, "error: "),
)


def report(exc: BkfitError) -> int:
    """Print ``exc`` the way the command line does and return its exit code."""
    for cls, code, prefix in EXIT_CODES:
        if isinstance(exc, cls):
            if prefix is not None:
                click.secho(f"{prefix}{exc}", fg="red", err=True)
            return code
    raise exc


def fail(message: str):
    """Stop a command for a bad argument (exit code 2)."""
    raise InputError(message)


class Group(click.Group):
    """A click group whose commands end with their bkfit error's exit code (see ``report``)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BkfitError as e:
            sys.exit(report(e))
