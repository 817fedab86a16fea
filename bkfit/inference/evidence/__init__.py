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

Modules: ``problem`` (prior maps, :class:`EvidenceProblem`), ``nested`` (jaxns),
``smc`` (:func:`smc_init` / :func:`smc_step` / :func:`smc`), ``result``
(:class:`EvidenceResult`).
"""
from __future__ import annotations

import math
import time

import jax.numpy as jnp

from .nested import nested_sampling
from .problem import (EvidenceProblem, Site, map_batched, problem_from_assembled,
                      problem_from_model)
from .result import EvidenceResult
from .smc import SMCState, smc, smc_init, smc_step

__all__ = ["EvidenceProblem", "EvidenceResult", "SMCState", "Site", "agreement", "evidence",
           "map_batched", "nested_sampling", "problem_from_assembled", "problem_from_model", "smc",
           "smc_init", "smc_step"]


def _zero_dim(problem: EvidenceProblem, method: str) -> EvidenceResult:
    t0 = time.time()
    ll = float(problem.loglike_unit(jnp.zeros(0)))
    return EvidenceResult(method, ll, 0.0, 1, time.time() - t0,
                          {"note": "no latent parameters: Z = L (exact)"}, {"max_lnL": ll})


def evidence(problem: EvidenceProblem, methods=("nested", "smc"), seed: int = 0,
             nested_opts: dict | None = None, smc_opts: dict | None = None,
             progress=None) -> dict:
    """ln Z of ``problem`` with each of ``methods``; returns method -> EvidenceResult.
    ``progress``: optional callable receiving progress lines of both estimators."""
    out = {}
    d = problem.dim
    # the estimators vmap the likelihood over many points: evaluate them in chunks
    loglike_unit, loglike_normal = map_batched(problem.loglike_unit), map_batched(
        problem.loglike_normal)
    for m in methods:
        if d == 0:
            out[m] = _zero_dim(problem, m)
        elif m == "nested":
            out[m] = nested_sampling(lambda u: loglike_unit(u), d, seed=seed,
                                     progress=progress, **(nested_opts or {}))
        elif m == "smc":
            out[m] = smc(lambda z: loglike_normal(z), d, seed=seed,
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
