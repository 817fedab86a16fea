"""NUTS sampling with chunked, atomically checkpointed progress.

Layout of a run directory ``OUT``:

* while running: ``OUT.partial/`` holds ``checkpoint.pkl`` (sampler state + samples so far,
  written to a temporary file and renamed after every chunk) and ``run.log``;
* when finished: the result files are written into ``OUT.partial/`` and the folder is renamed
  to ``OUT`` in one step.  An existing ``OUT`` is replaced only with ``force`` (it is first
  renamed to ``OUT.old-<time>`` and removed only after the new result is in place).
"""
from __future__ import annotations

import os
import pickle
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
from numpyro.infer import MCMC, NUTS, init_to_median

EXTRA_FIELDS = ("diverging", "num_steps", "accept_prob", "potential_energy", "energy")


@dataclass
class SamplerSettings:
    chains: int = 4
    num_warmup: int = 500
    num_samples: int = 1000
    seed: int = 0
    target_accept: float = 0.9
    chain_method: str = "sequential"
    max_tree_depth: int = 10
    chunk_size: int = 0
    dense_mass: bool | list = False       # or groups of site names (dense blocks)
    progress_bar: bool = True


def atomic_pickle(obj, path: Path):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(obj, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _to_numpy(tree):
    return jax.tree_util.tree_map(lambda x: np.asarray(x), tree)


def _concat(a, b):
    if a is None:
        return b
    return jax.tree_util.tree_map(lambda x, y: np.concatenate([x, y], axis=1), a, b)


def run_nuts(model_fn, settings: SamplerSettings, workdir: Path, log=print,
             resume: bool = False):
    """Sample ``model_fn`` with NUTS; returns (samples, extra) grouped by chain (numpy)."""
    ckpt_path = workdir / "checkpoint.pkl"
    kernel = NUTS(model_fn, target_accept_prob=settings.target_accept,
                  max_tree_depth=settings.max_tree_depth, init_strategy=init_to_median(),
                  dense_mass=settings.dense_mass if isinstance(settings.dense_mass, bool)
                  else [tuple(g) for g in settings.dense_mass])
    chunk = settings.chunk_size or settings.num_samples
    chunk = min(chunk, settings.num_samples)
    mcmc = MCMC(kernel, num_warmup=settings.num_warmup, num_samples=chunk,
                num_chains=settings.chains, chain_method=settings.chain_method,
                progress_bar=settings.progress_bar)
    samples, extra, done = None, None, 0
    t0 = time.time()
    if resume and ckpt_path.exists():
        with open(ckpt_path, "rb") as fh:
            ck = pickle.load(fh)
        if ck["settings"] != _settings_key(settings):
            raise RuntimeError("the checkpoint was written with other sampler settings; "
                               "rerun without --resume (and with --force)")
        samples, extra, done = ck["samples"], ck["extra"], ck["done"]
        mcmc.post_warmup_state = jax.tree_util.tree_map(jax.numpy.asarray, ck["state"])
        log(f"resuming: {done}/{settings.num_samples} samples per chain already drawn")
    else:
        rng = jax.random.PRNGKey(settings.seed)
        log(f"warmup: {settings.chains} chain(s) x {settings.num_warmup} steps")
        mcmc.warmup(rng, extra_fields=EXTRA_FIELDS, collect_warmup=False)
        log(f"warmup done in {time.time() - t0:.1f} s (compile included)")
    while done < settings.num_samples:
        n = min(chunk, settings.num_samples - done)
        mcmc.num_samples = n
        # numpyro caches the sampling function per num_samples; fine for a final shorter chunk
        mcmc.run(mcmc.post_warmup_state.rng_key, extra_fields=EXTRA_FIELDS)
        s = _to_numpy(mcmc.get_samples(group_by_chain=True))
        e = _to_numpy(mcmc.get_extra_fields(group_by_chain=True))
        samples, extra = _concat(samples, s), _concat(extra, e)
        done += n
        mcmc.post_warmup_state = mcmc.last_state
        atomic_pickle({"samples": samples, "extra": extra, "done": done,
                       "state": _to_numpy(mcmc.last_state),
                       "settings": _settings_key(settings)}, ckpt_path)
        log(f"sampled {done}/{settings.num_samples} per chain ({time.time() - t0:.1f} s)")
    return samples, extra, time.time() - t0


def _settings_key(s: SamplerSettings):
    return (s.chains, s.num_warmup, s.num_samples, s.seed, s.target_accept, s.chain_method,
            s.max_tree_depth, s.chunk_size,
            s.dense_mass if isinstance(s.dense_mass, bool) else tuple(map(tuple, s.dense_mass)))


def finalize_dir(partial: Path, out: Path, force: bool):
    """Move the finished ``partial`` folder to ``out`` without ever losing an old result."""
    old = None
    if out.exists():
        if not force:
            raise FileExistsError(f"{out} exists; use --force to replace it")
        old = out.with_name(out.name + f".old-{int(time.time())}")
        os.replace(out, old)
    os.replace(partial, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
