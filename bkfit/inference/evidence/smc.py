"""ln Z by sequential Monte Carlo with adaptive likelihood tempering in standard-normal
coordinates: :func:`smc_init` and :func:`smc_step` over the named-tuple :class:`SMCState`,
driven to beta = 1 by :func:`smc` for independent replicas (docs/evidence.md)."""
from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from .result import EvidenceResult


def _systematic(key, logw):
    n = logw.shape[0]
    w = jnp.exp(logw - logsumexp(logw))
    c = jnp.cumsum(w)
    pos = (jax.random.uniform(key) + jnp.arange(n)) / n
    return jnp.clip(jnp.searchsorted(c, pos * c[-1]), 0, n - 1)


_CHUNK = 5            # Metropolis steps between two mixing checks


class _Progress:
    """Throttled progress lines from inside compiled loops (``jax.debug.callback``).  The
    replicas report separately (one program per device) or together (vmapped); the line
    combines the latest report of every replica."""

    def __init__(self, emit, replicas: int, every_s: float = 10.0):
        self.emit, self.every_s = emit, every_s
        self.t0 = self.last = time.time()
        self.state = {r: (0, 0.0, 0.0, 0) for r in range(replicas)}

    def smc(self, rid, stage, beta, logz, evals):
        for r, s, b, z, e in zip(*(np.atleast_1d(a) for a in (rid, stage, beta, logz, evals))):
            self.state[int(r)] = (int(s), float(b), float(z), int(e))
        now = time.time()
        stages, betas, logzs, evs = (np.array(v) for v in zip(*self.state.values()))
        if now - self.last < self.every_s and not np.all(betas >= 1.0):
            return
        self.last = now
        b = float(np.min(betas))
        el = now - self.t0
        # tempering advances roughly uniformly in log(beta) after the first stages; before
        # every replica has left beta = 0 there is nothing to extrapolate from
        if b > 0:
            frac = min(1.0, 1.0 + np.log10(max(b, 1e-12)) / 12.0)
            left = f"about {el * (1.0 - frac) / max(frac, 1e-3):.0f} s left"
        else:
            left = "time left not known before every replica has a beta > 0"
        started = stages > 0          # replicas queued behind others have not reported
        self.emit(f"smc: stage {int(np.max(stages))}, beta {b:.3g}, ln Z so far "
                  f"{float(np.mean(logzs[started])):.3f} ({int(np.sum(started))} of "
                  f"{len(stages)} replicas started), {int(np.sum(evs))} likelihood calls, "
                  f"{el:.0f} s, {left}")


_PROGRESS: list = [None]          # the active _Progress (a compiled loop calls it by index)


def _report_smc(rid, stage, beta, logz, evals):
    if _PROGRESS[0] is not None:
        _PROGRESS[0].smc(rid, stage, beta, logz, evals)


class SMCState(NamedTuple):
    """State of one adaptive-tempering SMC run in standard-normal space.

    ``z`` (n, D) are the particles and ``ll`` their ln L; ``beta`` the current temperature
    of pi(z) L(z)^beta; ``logz`` ln Z of the tempered target so far; ``scale`` the random-walk
    scale of the next mutation; ``acc``, ``evals``, ``steps`` running totals of the stage
    acceptance rates, likelihood calls and Metropolis steps; ``key`` the PRNG key.
    """
    key: jax.Array
    beta: jax.Array
    z: jax.Array
    ll: jax.Array
    logz: jax.Array
    stage: jax.Array
    scale: jax.Array
    acc: jax.Array
    evals: jax.Array
    steps: jax.Array


def _incremental(db, ll):
    """ln incremental weights for a temperature step ``db`` (-inf stays -inf)."""
    return jnp.where(jnp.isneginf(ll), -jnp.inf, db * ll)


def _log_ess(db, ll):
    lw = _incremental(db, ll)
    return 2 * logsumexp(lw) - logsumexp(2 * lw)


def _next_beta(beta, ll, log_target_n):
    """Largest temperature <= 1 whose incremental weights keep ESS >= the target
    (bisection, 60 halvings)."""
    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        ok = _log_ess(mid - beta, ll) >= log_target_n
        return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)
    lo, hi = jax.lax.fori_loop(0, 60, body, (beta, 1.0))
    return jnp.where(_log_ess(1.0 - beta, ll) >= log_target_n, 1.0,
                     jnp.maximum(lo, beta + 1e-12))


def smc_init(key, loglike_z: Callable, dim: int, n: int, args: tuple = ()) -> SMCState:
    """Initial state: ``n`` particles drawn from N(0, 1)^dim at beta = 0, with their ln L
    (``loglike_z(z, *args)``)."""
    k0, key = jax.random.split(key)
    z = jax.random.normal(k0, (n, dim))
    ll = jax.vmap(lambda x: loglike_z(x, *args))(z)
    return SMCState(key=key, beta=jnp.asarray(0.0), z=z, ll=ll, logz=jnp.asarray(0.0),
                    stage=jnp.asarray(0), scale=jnp.asarray(2.38 / math.sqrt(dim)),
                    acc=jnp.asarray(0.0), evals=jnp.asarray(n), steps=jnp.asarray(0))


def smc_step(state: SMCState, loglike_z: Callable, ess_target: float, n_steps_min: int,
             n_steps_max: int, corr_target: float, args: tuple = (),
             report: bool = False, replica=0) -> SMCState:
    """One tempering stage: choose the next beta (ESS fraction ``ess_target``), reweight and
    resample systematically, then mutate by random-walk Metropolis with the particle
    covariance until decorrelated (see :func:`smc`) and adapt the scale.  Pure: the same
    state gives the same result."""
    n, dim = state.z.shape
    llv = jax.vmap(lambda z: loglike_z(z, *args))
    log_target_n = math.log(ess_target * n)
    key, k_rs, k_mut = jax.random.split(state.key, 3)
    beta, z, ll = state.beta, state.z, state.ll
    nb = _next_beta(beta, ll, log_target_n)
    lw = _incremental(nb - beta, ll)
    logz = state.logz + logsumexp(lw) - math.log(n)
    idx = _systematic(k_rs, lw)
    z, ll = z[idx], ll[idx]
    cov = jnp.atleast_2d(jnp.cov(z, rowvar=False)) + 1e-12 * jnp.eye(dim)
    chol = jnp.linalg.cholesky(cov)
    lp = -0.5 * jnp.sum(z ** 2, 1) + nb * jnp.where(jnp.isneginf(ll), -1e300, ll)

    def mh(carry, k):
        z, ll, lp, acc = carry
        k1, k2 = jax.random.split(k)
        prop = z + state.scale * jax.random.normal(k1, z.shape) @ chol.T
        llp = llv(prop)
        lpp = -0.5 * jnp.sum(prop ** 2, 1) + nb * jnp.where(jnp.isneginf(llp), -1e300, llp)
        a = jnp.log(jax.random.uniform(k2, (n,))) < lpp - lp
        z = jnp.where(a[:, None], prop, z)
        return (z, jnp.where(a, llp, ll), jnp.where(a, lpp, lp), acc + a.mean()), None

    z0, lp0 = z, lp

    def corr(a, b):
        a = a - a.mean(0)
        b = b - b.mean(0)
        return jnp.sum(a * b, 0) / jnp.sqrt(jnp.sum(a * a, 0) * jnp.sum(b * b, 0) + 1e-300)

    def mixed(c):
        # decorrelated from the start of the stage: coordinates (rms over dimensions)
        # and the tempered log density (the slowest direction of a random walk)
        rc = jnp.sqrt(jnp.mean(corr(z0, c[0]) ** 2))
        return (rc < corr_target) & (jnp.abs(corr(lp0, c[2])) < corr_target)

    def mcond(c):
        nst, kmix = c[5], c[6]
        return (nst < n_steps_min) | ((nst < n_steps_max) & ((kmix == 0) |
                                                             (nst < 2 * kmix)))

    def mbody(c):
        z, ll, lp, acc, k, nst, kmix = c
        k, kk = jax.random.split(k)
        (z, ll, lp, acc), _ = jax.lax.scan(mh, (z, ll, lp, acc),
                                           jax.random.split(kk, _CHUNK))
        nst = nst + _CHUNK
        kmix = jnp.where((kmix == 0) & mixed((z, ll, lp)), nst, kmix)
        return z, ll, lp, acc, k, nst, kmix

    # run until decorrelated (k_mix steps), then as many steps again
    z, ll, lp, acc, _, nst, _ = jax.lax.while_loop(
        mcond, mbody, (z, ll, lp, 0.0, k_mut, 0, 0))
    acc = acc / nst
    # Robbins-Monro-like scale adaptation towards ~25 % acceptance
    scale = jnp.clip(state.scale * jnp.exp(acc - 0.25), 0.05, 3.0)
    if report:
        jax.debug.callback(_report_smc, replica, state.stage + 1, nb, logz, state.evals + n * nst)
    return SMCState(key=key, beta=nb, z=z, ll=ll, logz=logz, stage=state.stage + 1,
                    scale=scale, acc=state.acc + acc, evals=state.evals + n * nst,
                    steps=state.steps + nst)


def _smc_single(key, loglike_z, dim: int, n: int, ess_target: float, n_steps_min: int,
                n_steps_max: int, corr_target: float, max_stages: int, args,
                report: bool = False, replica=0):
    """One adaptive-tempering SMC run (:func:`smc_init`, then :func:`smc_step` until beta = 1
    or ``max_stages``); returns (lnZ, stages, evals, mean acceptance, beta, steps, max ln L)."""
    def cond(st):
        return (st.beta < 1.0) & (st.stage < max_stages)

    def body(st):
        return smc_step(st, loglike_z, ess_target, n_steps_min, n_steps_max, corr_target,
                        args, report, replica)

    st = jax.lax.while_loop(cond, body, smc_init(key, loglike_z, dim, n, args))
    return st.logz, st.stage, st.evals, st.acc / jnp.maximum(st.stage, 1), \
        st.beta, st.steps, jnp.max(st.ll)


_SMC_CACHE: dict = {}


def smc(loglike_normal: Callable, dim: int, args: tuple = (), seed: int = 0,
        particles: int = 1000, replicas: int = 8, ess_target: float = 0.5,
        min_steps: int = 10, max_steps: int | None = None, corr_target: float = 0.1,
        max_stages: int = 1000, cache_key=None, progress=None) -> EvidenceResult:
    """ln Z of ``integral exp(loglike_normal(z, *args)) N(z; 0, 1) d^D z`` by adaptive
    likelihood-tempering SMC (``replicas`` independent runs of ``particles`` particles).

    Each stage runs Metropolis steps (in chunks of 5, at least ``min_steps``, at most
    ``max_steps``, default max(200, 30 D)) until the particles are decorrelated from the
    start of the stage -- rms over coordinates of corr(z_start, z) and |corr| of the tempered
    log density both below ``corr_target`` after k steps -- and then k steps more.
    ``progress``: a callable receiving a line (stage, beta, ln Z so far, likelihood calls,
    time left) at most every 10 s.

    With several local devices (``numpyro.set_host_device_count``; the ``bkfit`` commands
    use one per core) each replica runs as its own compiled program, one worker thread per
    device taking the next replica when it is free, the devices concurrently; with one
    device the replicas are vmapped.  Both give the same numbers for the same seed."""
    if dim == 0:
        raise ValueError("smc needs dim >= 1")
    max_steps = max_steps or max(200, 30 * dim)
    devices = jax.local_devices()
    per_device = len(devices) > 1
    key = (cache_key, dim, particles, replicas, ess_target, min_steps, max_steps, corr_target,
           max_stages, progress is not None, per_device)
    fn = _SMC_CACHE.get(key) if cache_key is not None else None
    if fn is None:
        def one(k, r, a):
            return _smc_single(k, loglike_normal, dim, particles, ess_target, min_steps,
                               max_steps, corr_target, max_stages, a, progress is not None, r)
        if per_device:
            # one compiled single-replica program per replica, one Python worker thread
            # per device (a program with progress callbacks runs synchronously in the
            # thread that calls it, so asynchronous dispatch alone would run the replicas one
            # after the other): a vmapped while-loop would run every replica for as many
            # stages and Metropolis steps as the longest one needs, and only one device works
            one_jit = jax.jit(one)

            def fn(keys, a):
                nd = min(len(devices), len(keys))
                queue = iter(range(len(keys)))      # next replica; shared by the workers
                lock = threading.Lock()

                def on_device(d):
                    # a worker per device takes the next replica when it is free, so a
                    # device slowed by other work takes fewer; the device does not change
                    # the numbers
                    dev, part = devices[d], {}
                    while True:
                        with lock:
                            r = next(queue, None)
                        if r is None:
                            return part
                        part[r] = jax.device_get(one_jit(jax.device_put(keys[r], dev),
                                                         jax.device_put(r, dev),
                                                         jax.device_put(a, dev)))
                done: dict = {}
                with ThreadPoolExecutor(max_workers=nd) as pool:
                    for part in pool.map(on_device, range(nd)):
                        done.update(part)
                outs = [done[r] for r in range(len(keys))]
                return tuple(np.stack([np.asarray(o[i]) for o in outs])
                             for i in range(len(outs[0])))
        else:
            fn = jax.jit(lambda keys, a: jax.vmap(lambda k, r: one(k, r, a))(
                keys, jnp.arange(replicas)))
        if cache_key is not None:
            _SMC_CACHE[key] = fn
    t0 = time.time()
    keys = jax.random.split(jax.random.PRNGKey(seed), replicas)
    _PROGRESS[0] = _Progress(progress, replicas) if progress is not None else None
    try:
        lz, stages, evals, acc, beta, steps, llmax = jax.device_get(fn(keys, tuple(args)))
    finally:
        _PROGRESS[0] = None
    dt = time.time() - t0
    lz = np.asarray(lz, dtype=float)
    if not np.all(np.asarray(beta) >= 1.0):
        raise RuntimeError(f"SMC did not reach beta = 1 within {max_stages} stages")
    log_z = float(logsumexp(jnp.asarray(lz)) - math.log(replicas))
    err = float(np.std(lz, ddof=1) / math.sqrt(replicas)) if replicas > 1 else float("nan")
    settings = {"particles": particles, "replicas": replicas, "ess_target": ess_target,
                "mcmc_steps": f"{min_steps}..{max_steps} per stage: 2x the steps to corr < "
                f"{corr_target}",
                "mutation": "random-walk Metropolis, particle covariance, adaptive scale",
                "seed": seed,
                "error": "std of ln Z over independent replicas / sqrt(replicas)"}
    info = {"replica_ln_Z": lz.tolist(), "stages": np.asarray(stages).tolist(),
            "mcmc_steps_total": np.asarray(steps).tolist(),
            "mean_acceptance": float(np.mean(acc)), "max_lnL": float(np.max(llmax))}
    return EvidenceResult("smc", log_z, err, int(np.sum(evals)), dt, settings, info)
