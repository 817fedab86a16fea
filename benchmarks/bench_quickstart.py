"""Benchmark: one jitted joint log-likelihood (+ gradient) of a run file vs the same
observables computed by flavio, measured in the same process.

    python benchmarks/bench_quickstart.py [RUN.toml] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def median_time(f, n=200, warm=3):
    for _ in range(warm):
        f()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def bench(run_file: str, n: int = 200) -> dict:
    import jax
    from numpyro.infer.util import initialize_model

    import bkfit  # noqa: F401
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble

    asm = assemble(load_run(run_file))
    info = initialize_model(jax.random.PRNGKey(0), lambda: asm.numpyro_model(record=False))
    pe = info.potential_fn
    x0 = info.param_info.z
    t = time.perf_counter()
    f = jax.jit(pe)
    jax.block_until_ready(f(x0))
    compile_v = time.perf_counter() - t
    t = time.perf_counter()
    g = jax.jit(jax.value_and_grad(pe))
    jax.block_until_ready(g(x0))
    compile_g = time.perf_counter() - t
    tv = median_time(lambda: jax.block_until_ready(f(x0)), n)
    tg = median_time(lambda: jax.block_until_ready(g(x0)), n)
    out = {"run": run_file, "n_terms": len(asm.terms), "n_free": len(asm.priors),
           "n_nuisance": sum(len(b.names) for b in asm.blocks),
           "logL_s": tv, "logL_grad_s": tg, "compile_logL_s": compile_v,
           "compile_grad_s": compile_g}
    # the same observables through flavio (scalar observables only)
    try:
        import flavio
        import wilson
        obs = [(n, a) for n, a in asm.requests
               if not any(isinstance(v, np.ndarray) for v in a.values())]
        flavio_obs = [(n, a) for n, a in obs if n in flavio.classes.Observable.instances]
        wc = wilson.Wilson({"CL_bsnutaunutau": 1.0, "CR_bsnutaunutau": 0.5}, scale=4.8,
                           eft="WET", basis="flavio")

        def run_flavio():
            for name, a in flavio_obs:
                flavio.np_prediction(name, wc, **a)

        # flavio caches per Wilson object; a new point each call is the fair comparison
        def run_flavio_new_point():
            w = wilson.Wilson({"CL_bsnutaunutau": float(np.random.uniform(-1, 1)),
                               "CR_bsnutaunutau": 0.5}, scale=4.8, eft="WET", basis="flavio")
            for name, a in flavio_obs:
                flavio.np_prediction(name, w, **a)

        tf = median_time(run_flavio_new_point, n=5, warm=1)
        out.update({"flavio_observables": [n for n, _ in flavio_obs], "flavio_s": tf,
                    "speedup_logL_grad_vs_flavio": tf / tg})
    except ImportError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", nargs="?", default="runs/quickstart.toml")
    ap.add_argument("--json", default=None)
    ap.add_argument("-n", type=int, default=200)
    a = ap.parse_args()
    r = bench(a.run, a.n)
    for k, v in r.items():
        print(f"{k:32s} {v}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(r, fh, indent=2)


if __name__ == "__main__":
    main()
