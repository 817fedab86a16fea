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


def test_evaluate_staged_matches_eager_and_falls_back():
    """physics.common.evaluate_staged: one compiled program with the eager result (to rounding),
    and the eager result itself where the function needs concrete values (Python control
    flow on an array)."""
    import jax.numpy as jnp
    import numpy as np

    from bkfit.physics.common import evaluate_staged
    x = np.linspace(0.1, 3.0, 50)

    def smooth():
        return jnp.sum(jnp.sin(x) ** 2 * jnp.exp(-x)) / jnp.sqrt(jnp.sum(x))

    assert np.isclose(float(evaluate_staged(smooth)), float(smooth()), rtol=1e-13)

    def branchy():
        s = jnp.sum(x)
        return s * 2.0 if s > 10.0 else -s      # needs a concrete s

    assert float(evaluate_staged(branchy)) == float(branchy()) == 2.0 * float(np.sum(x))
