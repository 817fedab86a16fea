"""Benchmark of the Belle II B+ -> K+ nu nu likelihood term (bkfit/likelihood/pyhf_term.py):
one jitted log-likelihood and one value_and_grad (sampled and profiled nuisances), and pyhf's
own JAX backend on the same workspace for comparison.

    python benchmarks/bench_belle2.py [--n 2000] [--no-profile] [--no-pyhf] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
import os
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")
warnings.filterwarnings("ignore")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="timed calls per figure (median)")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--no-pyhf", action="store_true")
    ap.add_argument("--json", default="")
    a = ap.parse_args(argv)
    import jax

    import bkfit  # noqa: F401
    from bkfit.likelihood.pyhf_term import benchmark
    res = benchmark(n=a.n, profile=not a.no_profile, pyhf_jax=not a.no_pyhf)
    res["device"] = str(jax.devices()[0])
    for k, v in res.items():
        print(f"{k:32s} {v:.1f}" if isinstance(v, float) else f"{k:32s} {v}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
