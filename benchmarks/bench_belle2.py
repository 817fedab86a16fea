"""Benchmark of the Belle II B+ -> K+ nu nu likelihood term (bkfit/likelihood/pyhf_term.py):
one jitted log-likelihood and one value_and_grad (sampled and profiled nuisances), and pyhf's
own JAX backend on the same workspace for comparison.

    python benchmarks/bench_belle2.py [--n 2000] [--no-profile] [--no-pyhf] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")
warnings.filterwarnings("ignore")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _median_time(f, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        jax.block_until_ready(f())
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def benchmark(n: int = 2000, profile: bool = True, pyhf_jax: bool = True) -> dict:
    """Median times (microseconds) of one jitted log-likelihood and one value_and_grad of the
    Belle II term in reweighting mode, w.r.t. the 100 bin BRs and the 228 nuisances:
    ``*_dict_*`` called with the nuisance dict (78 arrays: includes JAX's per-argument
    dispatch cost, which vanishes inside a larger jitted model), ``*_flat_*`` with one
    parameter vector; the profiled variant; and, for comparison, pyhf's own JAX backend on
    the untouched workspace (``model.logpdf``)."""
    from bkfit.likelihood.pyhf_term import default_term
    term = default_term()
    bins = jnp.asarray(term.null_bins)
    nuis = term.nominal_nuisances()
    theta = term.theta_from_nuis(nuis)
    out = {}

    def timed_compile(f, *a):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*a))
        return time.perf_counter() - t0

    ll = lambda b, nz: term.log_likelihood([b], nz)                       # noqa: E731
    llf = lambda b, th: term.ws.main_logpdf(th, term.ratios_vector(b))    # noqa: E731
    f, vg = jax.jit(ll), jax.jit(jax.value_and_grad(ll, argnums=(0, 1)))
    ff, vgf = jax.jit(llf), jax.jit(jax.value_and_grad(llf, argnums=(0, 1)))
    out["compile_logpdf_s"] = timed_compile(f, bins, nuis)
    out["compile_value_and_grad_s"] = timed_compile(vg, bins, nuis)
    timed_compile(ff, bins, theta)
    timed_compile(vgf, bins, theta)
    out["logpdf_dict_us"] = 1e6 * _median_time(lambda: f(bins, nuis), n)
    out["value_and_grad_dict_us"] = 1e6 * _median_time(lambda: vg(bins, nuis), n)
    out["logpdf_flat_us"] = 1e6 * _median_time(lambda: ff(bins, theta), n)
    out["value_and_grad_flat_us"] = 1e6 * _median_time(lambda: vgf(bins, theta), n)
    if profile:
        tp = default_term(nuisances="profile")
        fp = jax.jit(lambda b: tp.log_likelihood([b], {}))
        vgp = jax.jit(jax.value_and_grad(lambda b: tp.log_likelihood([b], {})))
        out["compile_profile_s"] = timed_compile(fp, bins)
        timed_compile(vgp, bins)
        m = max(20, n // 50)
        out["profile_logpdf_us"] = 1e6 * _median_time(lambda: fp(bins), m)
        out["profile_value_and_grad_us"] = 1e6 * _median_time(lambda: vgp(bins), m)
    if pyhf_jax:
        try:
            import pyhf
        except ImportError:                      # pragma: no cover
            return out
        pyhf.set_backend("jax", precision="64b")
        try:
            ws = pyhf.Workspace(term.workspace)
            model = ws.model()
            data = jnp.asarray(ws.data(model))
            p0 = jnp.asarray(model.config.suggested_init())
            pl = lambda p: model.logpdf(p, data)[0]                       # noqa: E731
            fpl, vgpl = jax.jit(pl), jax.jit(jax.value_and_grad(pl))
            timed_compile(fpl, p0)
            timed_compile(vgpl, p0)
            out["pyhf_jax_logpdf_us"] = 1e6 * _median_time(lambda: fpl(p0), n)
            out["pyhf_jax_value_and_grad_us"] = 1e6 * _median_time(lambda: vgpl(p0), n)
        finally:
            pyhf.set_backend("numpy")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="timed calls per figure (median)")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--no-pyhf", action="store_true")
    ap.add_argument("--json", default="")
    a = ap.parse_args(argv)
    import jax

    import bkfit  # noqa: F401
    res = benchmark(n=a.n, profile=not a.no_profile, pyhf_jax=not a.no_pyhf)
    res["device"] = str(jax.devices()[0])
    for k, v in res.items():
        print(f"{k:32s} {v:.1f}" if isinstance(v, float) else f"{k:32s} {v}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
