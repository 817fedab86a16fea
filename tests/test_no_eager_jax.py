"""Importing bkfit's modules runs no JAX computation.  An eager JAX operation at import (a
module constant built with ``jnp``) is compiled -- traced, lowered, compiled or loaded from
the persistent cache -- in every new process, and such operations added up to ~100 of the
~170 programs of a quickstart fit.  Module constants are numpy arrays; inside jitted code
they become constants all the same."""
import subprocess
import sys

CODE = r"""
import logging
import jax
jax.config.update("jax_log_compiles", True)
seen = []
class H(logging.Handler):
    def emit(self, r):
        m = r.getMessage()
        if m.startswith("Compiling "):
            seen.append(m.split(" with ")[0])
lg = logging.getLogger("jax")
lg.addHandler(H()); lg.setLevel(logging.WARNING); lg.propagate = False
import pkgutil, importlib, bkfit
skip = ("bkfit.cli.__main__",)
for m in pkgutil.walk_packages(bkfit.__path__, "bkfit."):
    if m.name not in skip:
        importlib.import_module(m.name)
print(len(seen)); print("\n".join(seen))
"""


def test_imports_compile_nothing():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "0", "JAX programs compiled at import:\n" + "\n".join(lines[1:])
