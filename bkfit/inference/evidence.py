"""Marginal likelihoods (Bayesian evidences) ln Z of bkfit runs, with two independent estimators.

    Z = integral L(theta) pi(theta) d theta

over *all* latent quantities of the run's numpyro model: model parameters (their priors from
the prior file), nuisance blocks ``nuis::<set>`` (standard normals) and the nuisances of the
likelihood terms.  Every ``numpyro.factor`` / observed site is likelihood; every latent sample
site is prior.  Two representations of the prior are built from the traced model, each an
exact push-forward of a simple reference measure:

* the unit hypercube ``u ~ U(0,1)^D`` (inverse CDF per coordinate): used by nested sampling;
* the standard normal ``z ~ N(0,1)^D``: used by the SMC sampler (smooth, unbounded space).

Estimators
----------
``nested``  jaxns 3 nested sampling on the unit cube.  Error: jaxns' ``log_Z_uncert`` (spread
            of ln Z over the statistical shrinkage of the prior volume, classic conditioning).
``smc``     sequential Monte Carlo with adaptive likelihood tempering (pi(z) L(z)^beta,
            beta: 0 -> 1, each step chosen so that the effective sample size of the
            incremental weights is ``ess_target`` x N), systematic resampling and a
            random-walk Metropolis mutation whose proposal covariance is the particles'
            covariance (scale adapted to the acceptance rate).  ln Z is the sum of the log
            mean incremental weights.  Error: ``replicas`` fully independent SMC runs;
            ln Z = ln(mean_r Z_r), error = std_r(ln Z_r)/sqrt(R).

See docs/evidence.md.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jax.scipy.special import logsumexp, ndtr, ndtri
from numpyro import handlers

_EPS = 1e-15          # keeps u away from 0 and 1 before an inverse normal CDF


# ----------------------------------------------------------------------------- prior maps
@dataclass
class Site:
    """One latent sample site and the exact map from reference coordinates to its prior."""
    name: str
    shape: tuple
    kind: str                 # uniform | loguniform | normal | halfnormal | icdf
    params: dict              # arrays broadcast to ``shape``
    fn: object = None         # the numpyro distribution (kind 'icdf' only)

    @property
    def size(self) -> int:
        """Number of scalar values in the site (product of its shape)."""
        return int(np.prod(self.shape, dtype=int))

    def describe(self) -> str:
        """Short text such as ``uniform(low=0.0, high=1.0) x3`` for reports."""
        p = {k: np.asarray(v).reshape(-1) for k, v in self.params.items()}
        uniq = {k: (float(v[0]) if np.all(v == v[0]) else "varies") for k, v in p.items() if v.size}
        txt = ", ".join(f"{k}={v}" for k, v in uniq.items())
        dims = f" x{self.size}" if self.size > 1 else ""
        return f"{self.kind}({txt}){dims}"

    def from_unit(self, u):
        """Map uniform draws ``u`` in (0, 1) to the site's prior by the inverse CDF."""
        p = self.params
        u = jnp.clip(u, _EPS, 1.0 - _EPS)
        if self.kind == "uniform":
            return p["low"] + u * (p["high"] - p["low"])
        if self.kind == "loguniform":
            a, b = jnp.log(p["low"]), jnp.log(p["high"])
            return jnp.exp(a + u * (b - a))
        if self.kind == "normal":
            return p["loc"] + p["scale"] * ndtri(u)
        if self.kind == "halfnormal":
            return p["scale"] * ndtri(0.5 + 0.5 * u)
        return self.fn.icdf(u)

    def from_normal(self, z):
        """Map standard-normal draws ``z`` to the site's prior (directly for normal and half-normal
        priors, through the normal CDF and :meth:`from_unit` otherwise)."""
        p = self.params
        if self.kind == "normal":
            return p["loc"] + p["scale"] * z
        if self.kind == "halfnormal":
            return p["scale"] * jnp.abs(z)       # |z| of a standard normal is half-normal
        return self.from_unit(ndtr(z))


def _site_from_dist(name: str, d, shape: tuple) -> Site:
    while isinstance(d, (dist.Independent, dist.ExpandedDistribution)):
        d = d.base_dist

    def b(x):
        return jnp.broadcast_to(jnp.asarray(x, dtype=float), shape)

    if isinstance(d, dist.LogUniform):
        return Site(name, shape, "loguniform", {"low": b(d.low), "high": b(d.high)})
    if isinstance(d, dist.Uniform):
        return Site(name, shape, "uniform", {"low": b(d.low), "high": b(d.high)})
    if isinstance(d, dist.HalfNormal):
        return Site(name, shape, "halfnormal", {"scale": b(d.scale)})
    if isinstance(d, dist.Normal):
        return Site(name, shape, "normal", {"loc": b(d.loc), "scale": b(d.scale)})
    try:
        ok = np.all(np.isfinite(np.asarray(d.icdf(jnp.full(shape, 0.3)))))
    except (NotImplementedError, AttributeError, TypeError):
        ok = False
    if not ok:
        raise NotImplementedError(
            f"evidence: the prior of site '{name}' ({type(d).__name__}) has no inverse CDF; "
            "supported: uniform, loguniform, normal, halfnormal (and distributions with icdf)")
    return Site(name, shape, "icdf", {}, fn=d)


@dataclass
class EvidenceProblem:
    """A prior (as maps from reference coordinates) and a log-likelihood over latent dicts."""
    sites: list[Site]
    loglike: Callable          # dict(site -> value) -> scalar ln L
    description: dict = field(default_factory=dict)   # site -> prior text

    @property
    def dim(self) -> int:
        """Total number of scalar latent values over all sites."""
        return sum(s.size for s in self.sites)

    @property
    def labels(self) -> list[str]:
        """One label per scalar latent value: the site name, or ``name[i]`` for array sites."""
        out = []
        for s in self.sites:
            out += [s.name] if s.size == 1 and s.shape == () else \
                [f"{s.name}[{i}]" for i in range(s.size)]
        return out

    def _split(self, v, mapper):
        out, i = {}, 0
        for s in self.sites:
            x = v[i:i + s.size].reshape(s.shape)
            out[s.name] = mapper(s, x)
            i += s.size
        return out

    def prior_transform(self, u):
        """Unit hypercube point (D,) -> dict of latent values distributed as the prior."""
        return self._split(u, Site.from_unit)

    def normal_transform(self, z):
        """Standard-normal point (D,) -> dict of latent values distributed as the prior."""
        return self._split(z, Site.from_normal)

    def loglike_unit(self, u):
        """ln L at a point ``u`` of the unit hypercube; NaN and +inf become -inf."""
        return _finite(self.loglike(self.prior_transform(u)))

    def loglike_normal(self, z):
        """ln L at a point ``z`` of standard-normal coordinates; NaN and +inf become -inf."""
        return _finite(self.loglike(self.normal_transform(z)))


def _finite(ll):
    ll = jnp.real(jnp.asarray(ll, dtype=float))
    return jnp.where(jnp.isnan(ll) | (ll == jnp.inf), -jnp.inf, ll)


def problem_from_model(model_fn, *args, descriptions: dict | None = None,
                       **kwargs) -> EvidenceProblem:
    """Trace a numpyro model: latent sample sites -> prior maps; observed sites and factors ->
    the log-likelihood.  Priors must not depend on other latent values (true for bkfit)."""
    tr = handlers.trace(handlers.seed(model_fn, 0)).get_trace(*args, **kwargs)
    sites = []
    for name, s in tr.items():
        if s["type"] != "sample" or s["is_observed"]:
            continue
        if s.get("infer", {}).get("enumerate"):
            raise NotImplementedError("evidence: enumerated discrete sites are not supported")
        shape = tuple(jnp.shape(s["value"]))
        sites.append(_site_from_dist(name, s["fn"], shape))
    latent = {s.name for s in sites}

    def loglike(values: dict):
        t = handlers.trace(handlers.substitute(handlers.seed(model_fn, 0), data=values)
                           ).get_trace(*args, **kwargs)
        tot = 0.0
        for name, s in t.items():
            if s["type"] == "sample" and name not in latent:
                tot = tot + jnp.sum(s["fn"].log_prob(s["value"]))
        return tot

    desc = {s.name: (descriptions or {}).get(s.name, s.describe()) for s in sites}
    return EvidenceProblem(sites, loglike, desc)


def problem_from_assembled(asm) -> EvidenceProblem:
    """Evidence problem of an assembled run: its numpyro model without recorded values, with the
    prior descriptions of the run (nuisance blocks described as correlated standard normals)."""
    desc = dict(asm.prior_text)
    for b in asm.blocks:
        desc[b.site] = f"standard normal x{len(b.names)} (correlated {', '.join(b.names)})"
    return problem_from_model(lambda: asm.numpyro_model(record=False), descriptions=desc)


# ---------------------------------------------------------------------------- results
@dataclass
class EvidenceResult:
    """One estimator's result: ln Z with its error, number of likelihood calls, wall time in
    seconds, the settings used and estimator-specific extra information."""
    method: str
    log_z: float
    log_z_err: float
    n_loglike: int
    seconds: float
    settings: dict
    info: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready dict with the keys used in evidence.json (``ln_Z``, ``ln_Z_err``, ...)."""
        return {"method": self.method, "ln_Z": self.log_z, "ln_Z_err": self.log_z_err,
                "likelihood_evaluations": int(self.n_loglike), "time_s": self.seconds,
                "settings": self.settings, **self.info}


def _zero_dim(problem: EvidenceProblem, method: str) -> EvidenceResult:
    t0 = time.time()
    ll = float(problem.loglike_unit(jnp.zeros(0)))
    return EvidenceResult(method, ll, 0.0, 1, time.time() - t0,
                          {"note": "no latent parameters: Z = L (exact)"}, {"max_lnL": ll})


# ----------------------------------------------------------------------- nested sampling
_JAXNS_CACHE: dict = {}


def nested_sampling(loglike_unit: Callable, dim: int, args: tuple = (), seed: int = 0,
                    num_live: int | None = None, max_samples: int | None = None,
                    dlogz: float = 1e-3, cache_key=None, progress=None) -> EvidenceResult:
    """ln Z of ``integral_0^1 exp(loglike_unit(u, *args)) d^D u`` with jaxns.

    ``num_live``: jaxns ``root_allocation_degree`` (independent root chains; default
    max(30 D, 150), jaxns' own default is 30 D); ``dlogz``: stop when the remaining evidence is below ln(1 + dlogz).
    ``cache_key``: reuse the compiled sampler for repeated calls with new ``args``.
    ``progress``: a callable receiving jaxns' progress lines (samples so far, largest ln L,
    elapsed time) after every goal iteration."""
    if dim == 0:
        raise ValueError("nested_sampling needs dim >= 1")
    from jaxns.core import NestedSampler
    from jaxns.depth_condition import DepthCondition
    from jaxns.model import Model
    from jaxns.priors import Prior
    from tensorflow_probability.substrates import jax as tfp
    tfpd = tfp.distributions

    key = ((cache_key, dim, num_live, max_samples, dlogz, progress is not None)
           if cache_key is not None else None)
    if key is not None and key in _JAXNS_CACHE:
        sampler = _JAXNS_CACHE[key]
    else:
        def prior_model(*a):
            u = Prior(tfpd.Uniform(low=jnp.zeros(dim), high=jnp.ones(dim)), name="u").realise()
            return loglike_unit(u, *a)

        num_live = num_live or max(30 * dim, 150)
        sampler = NestedSampler(model=Model(prior_model=prior_model),
                                root_allocation_degree=num_live, max_samples=max_samples,
                                depth_condition=DepthCondition(dlogZ=jnp.log1p(dlogz)),
                                verbose=progress is not None)
        if key is not None:
            _JAXNS_CACHE[key] = sampler
    t0 = time.time()
    handler = None
    if progress is not None:
        import logging

        from jaxns.logging import jaxns_logger

        class _Forward(logging.Handler):
            def emit(self, record):
                progress(f"nested: {record.getMessage()}")
        handler = _Forward(level=logging.INFO)
        old = (jaxns_logger.handlers[:], jaxns_logger.level, jaxns_logger.propagate)
        jaxns_logger.handlers = [handler]          # ours only (no duplicate lines)
        jaxns_logger.setLevel(logging.INFO)
        jaxns_logger.propagate = False
    try:
        state = sampler.run(key=jax.random.PRNGKey(seed), args=tuple(args))
    finally:
        if handler is not None:
            jaxns_logger.handlers, _, jaxns_logger.propagate = old
            jaxns_logger.setLevel(old[1])
    res = state.to_result().trim()
    dt = time.time() - t0
    info = {"termination": str(getattr(res, "termination_reason", "")),
            "information_H": float(res.H_mean), "max_lnL": float(res.log_L_supremum)
            if np.ndim(res.log_L_supremum) == 0 else float(np.max(res.log_L_supremum)),
            "posterior_ess": float(res.ess)}
    settings = {"library": "jaxns 3", "num_live (root_allocation_degree)":
                sampler.root_allocation_degree, "dlogZ": dlogz, "seed": seed,
                "error": "jaxns log_Z_uncert (prior-volume shrinkage statistics)"}
    return EvidenceResult("nested", float(res.log_Z_mean), float(res.log_Z_uncert),
                          int(res.total_num_likelihood_evaluations), dt, settings, info)


# --------------------------------------------------------------------------------- SMC
def _systematic(key, logw):
    n = logw.shape[0]
    w = jnp.exp(logw - logsumexp(logw))
    c = jnp.cumsum(w)
    pos = (jax.random.uniform(key) + jnp.arange(n)) / n
    return jnp.clip(jnp.searchsorted(c, pos * c[-1]), 0, n - 1)


_CHUNK = 5            # Metropolis steps between two mixing checks


class _Progress:
    """Throttled progress lines from inside compiled loops (``jax.debug.callback``)."""

    def __init__(self, emit, every_s: float = 10.0):
        self.emit, self.every_s = emit, every_s
        self.t0 = self.last = time.time()

    def smc(self, stage, beta, logz, evals):
        now = time.time()
        beta, logz = np.atleast_1d(beta), np.atleast_1d(logz)
        if now - self.last < self.every_s and not np.all(beta >= 1.0):
            return
        self.last = now
        b = float(np.min(beta))
        el = now - self.t0
        # tempering advances roughly uniformly in log(beta) after the first stages
        frac = b if b <= 0 else min(1.0, 1.0 + np.log10(max(b, 1e-12)) / 12.0)
        left = el * (1.0 - frac) / max(frac, 1e-3)
        self.emit(f"smc: stage {int(np.max(stage))}, beta {b:.3g}, ln Z so far "
                  f"{float(np.mean(logz)):.3f}, {int(np.sum(evals))} likelihood calls, "
                  f"{el:.0f} s, about {left:.0f} s left")


_PROGRESS: list = [None]          # the active _Progress (a compiled loop calls it by index)


def _report_smc(stage, beta, logz, evals):
    if _PROGRESS[0] is not None:
        _PROGRESS[0].smc(stage, beta, logz, evals)


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
             report: bool = False) -> SMCState:
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
        jax.debug.callback(_report_smc, state.stage + 1, nb, logz, state.evals + n * nst)
    return SMCState(key=key, beta=nb, z=z, ll=ll, logz=logz, stage=state.stage + 1,
                    scale=scale, acc=state.acc + acc, evals=state.evals + n * nst,
                    steps=state.steps + nst)


def _smc_single(key, loglike_z, dim: int, n: int, ess_target: float, n_steps_min: int,
                n_steps_max: int, corr_target: float, max_stages: int, args,
                report: bool = False):
    """One adaptive-tempering SMC run (:func:`smc_init`, then :func:`smc_step` until beta = 1
    or ``max_stages``); returns (lnZ, stages, evals, mean acceptance, beta, steps, max ln L)."""
    def cond(st):
        return (st.beta < 1.0) & (st.stage < max_stages)

    def body(st):
        return smc_step(st, loglike_z, ess_target, n_steps_min, n_steps_max, corr_target,
                        args, report)

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
    time left) at most every 10 s."""
    if dim == 0:
        raise ValueError("smc needs dim >= 1")
    max_steps = max_steps or max(200, 30 * dim)
    key = (cache_key, dim, particles, replicas, ess_target, min_steps, max_steps, corr_target,
           max_stages, progress is not None)
    fn = _SMC_CACHE.get(key) if cache_key is not None else None
    if fn is None:
        def run(keys, a):
            return jax.vmap(lambda k: _smc_single(k, loglike_normal, dim, particles, ess_target,
                                                  min_steps, max_steps, corr_target,
                                                  max_stages, a, progress is not None))(keys)
        fn = jax.jit(run)
        if cache_key is not None:
            _SMC_CACHE[key] = fn
    t0 = time.time()
    keys = jax.random.split(jax.random.PRNGKey(seed), replicas)
    _PROGRESS[0] = _Progress(progress) if progress is not None else None
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


# ----------------------------------------------------------------------- problem level
def evidence(problem: EvidenceProblem, methods=("nested", "smc"), seed: int = 0,
             nested_opts: dict | None = None, smc_opts: dict | None = None,
             progress=None) -> dict:
    """ln Z of ``problem`` with each of ``methods``; returns method -> EvidenceResult.
    ``progress``: optional callable receiving progress lines of both estimators."""
    out = {}
    d = problem.dim
    for m in methods:
        if d == 0:
            out[m] = _zero_dim(problem, m)
        elif m == "nested":
            out[m] = nested_sampling(lambda u: problem.loglike_unit(u), d, seed=seed,
                                     progress=progress, **(nested_opts or {}))
        elif m == "smc":
            out[m] = smc(lambda z: problem.loglike_normal(z), d, seed=seed,
                         progress=progress, **(smc_opts or {}))
        else:
            raise ValueError(f"unknown evidence method '{m}' (nested, smc)")
    return out


def agreement(results: dict) -> dict | None:
    """Difference of two estimates in units of the combined error."""
    if len(results) < 2:
        return None
    a, b = list(results.values())[:2]
    diff = a.log_z - b.log_z
    comb = math.hypot(a.log_z_err, b.log_z_err)
    pull = diff / comb if comb > 0 else (0.0 if diff == 0 else float("inf"))
    return {"difference": diff, "combined_error": comb, "pull": pull,
            "consistent": bool(abs(pull) <= 3.0 or abs(diff) <= 0.1)}
