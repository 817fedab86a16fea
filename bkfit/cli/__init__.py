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


def run():
    """Entry point of the ``bkfit`` command and of ``python -m bkfit.cli``: :func:`main`, then a
    fast exit.  Once a command has returned, its files are closed; the interpreter's own
    teardown (finalising every module, the XLA client and its compiled programs) would then
    take another 1.3-1.7 s after a quickstart fit on 2 cores.  So the exit handlers run
    (``atexit``: logging, thread pools, JAX's own clean-up), the standard streams are flushed
    and the process ends with the command's exit code through ``os._exit``.  Where another
    non-daemon thread is still alive, or the interpreter has no ``atexit._run_exitfuncs``,
    the normal exit is taken.  (Tests and ``import bkfit`` use :func:`main` or the library:
    only the process entry point exits this way.)"""
    import atexit
    import os
    import sys
    import threading
    try:
        main()                       # click's standalone mode: always ends with SystemExit
        code = 0
    except SystemExit as e:
        code = e.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # SystemExit("message"): print it, exit code 1
        print(code, file=sys.stderr)
        code = 1
    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if others or run_exitfuncs is None:
        sys.exit(code)
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe or stream: nothing more to write
            pass
    os._exit(code)


__all__ = ["main", "run"]
