"""bkfit keeps JAX's compiled programs on disk (``bkfit.COMPILATION_CACHE``), in the folder
named by BKFIT_JAX_CACHE, and not at all with BKFIT_JAX_CACHE=0."""
import json
import os
import subprocess
import sys

PROBE = r"""
import json, jax, jax.numpy as jnp, bkfit
out = {"bkfit": bkfit.COMPILATION_CACHE, "jax": jax.config.jax_compilation_cache_dir}
if bkfit.COMPILATION_CACHE:
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.jit(lambda x: jnp.sin(x) * jnp.cos(x) + x ** 3)(jnp.arange(7.0)).block_until_ready()
print(json.dumps(out))
"""


def _probe(env_value, tmp_path):
    env = dict(os.environ, BKFIT_JAX_CACHE=env_value, JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_cache_folder_from_environment_is_used_and_filled(tmp_path):
    folder = tmp_path / "cc"
    out = _probe(str(folder), tmp_path)
    assert out["bkfit"] == str(folder) == out["jax"]
    assert folder.is_dir() and any(folder.iterdir()), "JAX wrote nothing into the cache folder"


def test_cache_can_be_switched_off(tmp_path):
    out = _probe("0", tmp_path)
    assert out["bkfit"] is None and not out["jax"]
