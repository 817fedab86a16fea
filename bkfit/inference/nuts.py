"""NUTS sampling with chunked, atomically checkpointed progress.

Layout of a run directory ``OUT``:

* while running: ``OUT.partial/`` holds ``checkpoint.pkl`` (sampler state + samples so far,
  written to a temporary file and renamed after every chunk) and ``run.log``;
* when finished: the result files are written into ``OUT.partial/`` and the folder is renamed
  to ``OUT`` in one step.  An existing ``OUT`` is replaced only with ``force`` (it is first
  renamed to ``OUT.old-<time>`` and removed only after the new result is in place).
"""
from __future__ import annotations

import math
import os
import pickle
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import NUTS, init_to_median
from numpyro.infer.util import constrain_fn

from .reparam import reparametrised, sampled_site, strip_internal

EXTRA_FIELDS = ("diverging", "num_steps", "accept_prob", "potential_energy", "energy")


@dataclass
class SamplerSettings:
    """NUTS settings of one fit (see the [sampler] table of a run file), plus the seed."""
    chains: int = 4
    num_warmup: int = 500
    num_samples: int = 1000
    seed: int = 0
    target_accept: float = 0.9
    chain_method: str = "sequential"
    max_tree_depth: int = 10
    max_tree_depth_warmup: int | None = None   # None: max_tree_depth
    chunk_size: int = 0
    dense_mass: bool | list = False       # or groups of site names (dense blocks)
    asinh_scale: dict = field(default_factory=dict)   # name -> s: sampled as asinh(x/s)
    progress_bar: bool = True


def atomic_pickle(obj, path: Path):
    """Pickle ``obj`` to ``path`` through a temporary file and an atomic rename, so that a
    crash never leaves a half-written file."""
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


def chunk_length(settings: SamplerSettings) -> int:
    """Steps per compiled chunk: ``chunk_size`` if given, else the largest divisor of both
    num_warmup and num_samples up to 250 (so warm-up and sampling share one compiled
    loop), else 250."""
    if settings.chunk_size:
        return int(settings.chunk_size)
    g = math.gcd(settings.num_warmup, settings.num_samples)
    best = max(c for c in range(1, min(g, 250) + 1) if g % c == 0)
    return best if best >= 25 else min(250, max(settings.num_warmup, settings.num_samples))


def init_states(kernel, settings: SamplerSettings, chain_method: str | None = None):
    """One initial HMC state per chain (numpyro's NUTS ``init``: initial point, step size
    search), a key per chain; the kernel keeps its single-chain ``sample``.  Parallel chains:
    the compiled single-chain ``init`` on every device at once (:func:`_per_device`);
    otherwise one compiled, vmapped computation."""
    keys = jax.random.split(jax.random.PRNGKey(settings.seed), settings.chains)

    def one(k):
        return kernel.init(k, settings.num_warmup, model_args=(), model_kwargs={})
    if (chain_method or settings.chain_method) == "parallel":
        return _per_device(one)(keys)        # numpy leaves: sliced per device at no cost
    return jax.jit(jax.vmap(one))(keys)


def _per_device(one_chain):
    """``state -> outputs`` for chains stacked on the leading axis: chain ``i`` runs the
    compiled single-chain program ``one_chain`` on local device ``i``; the calls are
    dispatched asynchronously, so the chains run concurrently, and the outputs are stacked
    again.  Used instead of ``jax.pmap``: on CPU devices pmap runs NUTS's tree-building
    ``while`` loop about ten times slower per leapfrog step (30 against 3-5 microseconds
    of overhead with a trivial 33-dimensional potential; README, "Many fits on a
    cluster")."""
    fn = jax.jit(one_chain)
    compiled: dict = {}      # device index -> the program compiled for it

    def run(state):
        leaves = jax.tree_util.tree_leaves(state)
        chains = leaves[0].shape[0]
        devices = jax.local_devices()[:chains]
        if len(devices) < chains:
            raise ValueError(f"{chains} chains but {len(devices)} local device(s): parallel "
                             "chains need one device each (run_nuts falls back to sequential)")
        # slices of numpy copies: indexing the (small) JAX arrays eagerly would compile a
        # slicing program per leaf shape in every process
        host = jax.tree_util.tree_map(np.asarray, state)
        parts = [jax.device_put(jax.tree_util.tree_map(lambda x, i=i: x[i], host), d)
                 for i, d in enumerate(devices)]
        new = [i for i in range(len(parts)) if i not in compiled]
        if new:
            # traced and lowered here, once (numpyro's handler stack is global: a model must
            # not be traced in two threads at once); each device's copy is then compiled, or
            # loaded from the persistent cache, in a thread of its own, concurrently
            # (quickstart: NUTS initialisation 3.2-3.6 -> 2.4-2.8 s with the cache warm,
            # 20-22 -> 16-18 s with it cold)
            lowered = [fn.lower(parts[i]) for i in new]
            with ThreadPoolExecutor(len(new)) as ex:
                for i, c in zip(new, ex.map(lambda lo: lo.compile(), lowered)):
                    compiled[i] = c
        outs = [compiled[i](p) for i, p in enumerate(parts)]
        return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]),
                                      *outs)
    return run


def build_chunk(kernel, n: int, chain_method: str):
    """A function ``state -> (state, (z, extra))`` advancing every chain by ``n`` NUTS
    transitions in one compiled ``lax.scan`` (warm-up adaptation happens inside the kernel
    while ``state.i < num_warmup``).  Chains: one compiled single-chain program per local
    device, dispatched concurrently (parallel, :func:`_per_device`), ``vmap`` (vectorized)
    or ``lax.map`` (sequential).  Built once per ``n``: checkpoints and resuming cost no
    recompilation."""
    def one_chain(state):
        def body(s, _):
            s = kernel.sample(s, (), {})
            return s, (s.z, {f: getattr(s, f) for f in EXTRA_FIELDS})
        return jax.lax.scan(body, state, None, length=n)
    if chain_method == "parallel":
        return _per_device(one_chain)
    if chain_method == "vectorized":
        return jax.jit(jax.vmap(one_chain))
    return jax.jit(lambda st: jax.lax.map(one_chain, st))


def build_postprocess(kernel, chain_method: str, model=None):
    """Compiled map of unconstrained draws (chain, draw, ...) to the model's constrained
    sites and deterministic values (numpyro's ``postprocess_fn``).  ``model``: a model with
    the same sample sites whose transforms are applied instead of the kernel's model (a
    model without its likelihood maps the draws to the parameters without evaluating, or
    even tracing, the likelihood)."""
    if model is None:
        one = kernel.postprocess_fn((), {})
    else:
        def one(z):
            return constrain_fn(model, (), {}, z, return_deterministic=True)
    post = jax.vmap(one)
    return jax.pmap(post) if chain_method == "parallel" else jax.jit(jax.vmap(post))


def build_kernel(model_fn, settings: SamplerSettings) -> NUTS:
    """numpyro's NUTS kernel for ``model_fn`` with the run's settings: target acceptance,
    dense-mass groups, initial point at the prior medians, and the tree-depth cap
    ``(max_tree_depth_warmup, max_tree_depth)`` (numpyro switches from the first to the
    second when warm-up ends; a lower warm-up cap bounds the cost of the early warm-up, whose
    trees, before the mass matrix is adapted, are the deepest of the fit), and the asinh
    sampling coordinates of ``asinh_scale`` (:mod:`bkfit.inference.reparam`)."""
    depth = (settings.max_tree_depth if settings.max_tree_depth_warmup is None
             else settings.max_tree_depth_warmup, settings.max_tree_depth)
    scales = settings.asinh_scale or {}
    return NUTS(reparametrised(model_fn, scales), target_accept_prob=settings.target_accept,
                max_tree_depth=depth, init_strategy=init_to_median(),
                dense_mass=settings.dense_mass if isinstance(settings.dense_mass, bool)
                else [tuple(sampled_site(n, scales) for n in g) for g in settings.dense_mass])


def run_nuts(model_fn, settings: SamplerSettings, workdir: Path, log=print,
             resume: bool = False, constrain_model=None):
    """Sample ``model_fn`` with NUTS; returns (samples, extra, wall seconds), samples and
    extra fields grouped by chain (numpy).  Warm-up and sampling advance in chunks of
    :func:`chunk_length` steps through one compiled loop (:func:`build_chunk`); after every
    chunk the state and the draws are checkpointed atomically and progress is logged.
    ``constrain_model``: ``model_fn`` without its likelihood (the same sample sites), used to
    map the draws to the parameters; the samples then hold the sampled sites (and the
    deterministic sites of that model) only, not ``model_fn``'s recorded values."""
    ckpt_path = workdir / "checkpoint.pkl"
    kernel = build_kernel(model_fn, settings)
    method = settings.chain_method
    if method == "parallel" and jax.local_device_count() < settings.chains:
        log(f"{jax.local_device_count()} device(s) for {settings.chains} chains: "
            "running the chains sequentially")
        method = "sequential"
    W, S = settings.num_warmup, settings.num_samples
    t0 = time.time()
    state = init_states(kernel, settings, method)    # also sets up kernel.sample
    samples, extra, warm, done = None, None, 0, 0
    if resume and ckpt_path.exists():
        with open(ckpt_path, "rb") as fh:
            ck = pickle.load(fh)
        if ck["settings"] != _settings_key(settings):
            raise RuntimeError("the checkpoint was written with other sampler settings; "
                               "rerun without --resume (and with --force)")
        samples, extra, warm, done = ck["samples"], ck["extra"], ck["warm"], ck["done"]
        state = jax.tree_util.tree_map(jnp.asarray, ck["state"])
        log(f"resuming: warm-up {warm}/{W}, {done}/{S} samples per chain already drawn")
    c = chunk_length(settings)
    fns: dict = {}
    post = build_postprocess(
        kernel, method, None if constrain_model is None
        else reparametrised(constrain_model, settings.asinh_scale or {}))
    log(f"NUTS: {settings.chains} chain(s) ({method}), {W} warm-up + {S} draws, "
        f"chunks of {c} steps")
    t_start, steps0 = time.time(), warm + done
    while warm + done < W + S:
        in_warmup = warm < W
        n = min(c, W - warm) if in_warmup else min(c, S - done)
        if n not in fns:
            fns[n] = build_chunk(kernel, n, method)
        state, (z, ext) = fns[n](state)
        if in_warmup:
            warm += n
        else:
            s = strip_internal(_to_numpy(post(z)))     # model parameters, not w = asinh
            samples, extra = _concat(samples, s), _concat(extra, _to_numpy(ext))
            done += n
        atomic_pickle({"samples": samples, "extra": extra, "warm": warm, "done": done,
                       "state": _to_numpy(state), "settings": _settings_key(settings)},
                      ckpt_path)
        el = time.time() - t_start
        rate = (warm + done - steps0) / max(el, 1e-9)
        left = (W + S - warm - done) / max(rate, 1e-9)
        ndiv = int(np.sum(extra["diverging"])) if extra is not None else 0
        what = f"warm-up {warm}/{W}" if in_warmup else f"sampled {done}/{S} per chain"
        log(f"{what} ({time.time() - t0:.1f} s, {rate:.1f} steps/s, about {left:.0f} s "
            f"left, {ndiv} divergence(s))")
    return samples, extra, time.time() - t0


def _settings_key(s: SamplerSettings):
    return (s.chains, s.num_warmup, s.num_samples, s.seed, s.target_accept, s.chain_method,
            s.max_tree_depth, s.max_tree_depth_warmup, s.chunk_size,
            s.dense_mass if isinstance(s.dense_mass, bool) else tuple(map(tuple, s.dense_mass)),
            tuple(sorted((s.asinh_scale or {}).items())))


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
