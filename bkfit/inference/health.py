"""Numerical health of an assembled likelihood: draws from the prior, the log-likelihood of
every term and the gradient of their sum with respect to every sampled quantity.

A term may return -inf where the model is truly unphysical there (that is counted and
reported); it must never return NaN, and the gradient must be finite wherever the value is.
``bkfit fit`` runs a short check (``preflight``) before compiling the sampler and refuses
to sample a likelihood that produces NaN; the test suite runs 10^4 draws per shipped model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .results import prior_draws


@dataclass
class HealthReport:
    """Numerical health of the log density over prior draws: per-term counts of NaN and -inf
    values and the number of draws with a finite value but a non-finite gradient."""
    draws: int
    nan_value: dict = field(default_factory=dict)      # term -> count
    minus_inf: dict = field(default_factory=dict)      # term -> count
    bad_gradient: int = 0                              # draws with a finite value, bad grad
    example: dict = field(default_factory=dict)        # first offending draw (model params)

    @property
    def ok(self) -> bool:
        """True if no term gave NaN and every gradient was finite (-inf values are allowed)."""
        return not any(self.nan_value.values()) and self.bad_gradient == 0

    def lines(self) -> list[str]:
        """Markdown bullet lines summarising the check, for the run report."""
        out = [f"- numerical health: {self.draws} prior draws"]
        for t, c in self.minus_inf.items():
            if c:
                out.append(f"  - `{t}`: {c} draw(s) at -inf (outside the term's physical "
                           "region)")
        for t, c in self.nan_value.items():
            if c:
                out.append(f"  - `{t}`: {c} draw(s) give NaN")
        if self.bad_gradient:
            out.append(f"  - {self.bad_gradient} draw(s) with a finite value but a non-finite "
                       "gradient")
        if len(out) == 1:
            out[0] += ": every term finite, every gradient finite"
        return out

    def message(self) -> str:
        """One-line description of the problems found, with an example offending draw."""
        bad = [t for t, c in self.nan_value.items() if c]
        s = []
        if bad:
            s.append(f"term(s) {', '.join(bad)} return NaN at "
                     f"{sum(self.nan_value[t] for t in bad)} of {self.draws} prior draws")
        if self.bad_gradient:
            s.append(f"the gradient is not finite at {self.bad_gradient} draws")
        ex = ", ".join(f"{k}={v:.6g}" for k, v in self.example.items())
        return "; ".join(s) + (f" (e.g. at {ex})" if ex else "")


def _sites(asm, draws: dict):
    model = [p for p in asm.priors]
    blocks = [b.site for b in asm.blocks]
    tn = [t.nuisance_sites() for t in asm.terms]
    return model, blocks, tn


def term_logliks(asm, record: bool = True):
    """f(x) -> vector of per-term log-likelihoods, x the dict of sampled sites.  It calls the
    run's jitted core (:meth:`Assembled.numpyro_model` calls the same one), so the terms are
    traced once per process for the health check and the sampler together."""
    core = asm._jitted_core(record)

    def f(x):
        theta = {p: x[p] for p in asm.priors}
        nz = {b.site: x[b.site] for b in asm.blocks}
        nuis = [{n: x[n] for n in t.nuisance_sites()} for t in asm.terms]
        lls, _ = core(theta, nz, nuis)
        return jnp.stack([jnp.asarray(v, dtype=float).reshape(()) for v in lls])
    return f


def check(asm, n: int = 10_000, seed: int = 0, batch: int = 64,
          draws: dict | None = None) -> HealthReport:
    """Evaluate every term and the gradient of the total at n prior draws (``draws``: the
    sampled sites of n prior draws already made, e.g. the first rows of the prior
    predictive's; otherwise drawn here with ``seed``)."""
    if draws is None:
        draws = prior_draws(asm, seed, n)
    else:
        draws = {k: np.asarray(v)[:n] for k, v in draws.items()}
        if draws:
            n = min(n, len(next(iter(draws.values()))))
    f = term_logliks(asm)

    def one(x):
        def tot(y):
            v = f(y)
            return jnp.sum(v), v
        (_, vals), g = jax.value_and_grad(tot, has_aux=True)(x)
        gfin = jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(g)]))
        return vals, gfin

    # one compiled batch shape: the last batch is padded with repeats of the first draws
    # (their results are dropped), so the vmapped function is compiled exactly once
    fb = jax.jit(jax.vmap(one))
    batch = max(1, min(batch, n))
    vals, gfin = [], []
    for i in range(0, n, batch):
        idx = np.arange(i, i + batch) % n
        xb = {k: v[idx] for k, v in draws.items()}
        v, g = fb(xb)
        keep = min(batch, n - i)
        vals.append(np.asarray(v)[:keep])
        gfin.append(np.asarray(g)[:keep])
    vals = np.concatenate(vals)
    gfin = np.concatenate(gfin)
    names = [t.name for t in asm.terms]
    rep = HealthReport(draws=n)
    for j, t in enumerate(names):
        rep.nan_value[t] = int(np.isnan(vals[:, j]).sum())
        rep.minus_inf[t] = int(np.isneginf(vals[:, j]).sum())
    finite = np.all(np.isfinite(vals), axis=1)
    rep.bad_gradient = int((finite & ~gfin).sum())
    bad = np.where(np.isnan(vals).any(axis=1) | (finite & ~gfin))[0]
    if len(bad):
        i = int(bad[0])
        rep.example = {p: float(np.asarray(draws[p][i]).ravel()[0]) for p in asm.priors}
    return rep
