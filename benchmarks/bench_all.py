"""All of bkfit's speed figures in one run, on this machine, written as JSON.

    python benchmarks/bench_all.py [--json benchmarks/results.json] [--quick] [--nuts-run RUN]
                                   [--per-run-only] [--runs RUN ...] [--one-core]
    python benchmarks/bench_all.py --fits [--runs RUN ...]

``--one-core`` pins the process to one CPU before JAX starts (XLA then runs every program
on one thread): the per-run figures are then the cost one NUTS chain sees when the two
chains of a fit run side by side, one per core.  Without it XLA may spread one evaluation
over both cores (wall time below the CPU time).

0. a per-run table: value + gradient of the joint log-posterior of every shipped run against
   the budget (0.3 ms; 0.1 ms for the quickstart), measured as NUTS evaluates it (inside one
   compiled loop) and per jitted Python call (which adds the dispatch of a ~250-leaf input),
   with the load average of the machine;

1. one jitted joint log-likelihood and one value-and-gradient evaluation for the quickstart
   run and for the largest shipped run, next to the time flavio needs for the same
   observables at a new parameter point (the ratio is the speed-up);
2. throughput of vmapped predictions over 1e4 ... 1e6 parameter points;
3. for the quickstart and one large run: compile time (potential + gradient), NUTS wall time
   (compile included), ESS per second (min and median over every sampled quantity), peak
   memory (resident set size of the fitting process);
4. how the cost of one value-and-gradient grows with the number of likelihood terms and free
   parameters (a small table);

5. with ``--fits`` (and nothing else): every shipped run (or ``--runs``) fitted with its own
   run-file settings, one after another, each in a fresh process into a temporary folder:
   wall time of the whole process (start-up, health check, compilation, sampling, writing the
   results), NUTS time, max R-hat, min bulk ESS, divergences and the load average, against
   the targets (<= 5 min, R-hat <= 1.01, ESS >= 400, no divergences).

Timings are medians of repeated calls after a warm-up.  Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def median_time(f, n=100, warm=3):
    for _ in range(warm):
        f()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


# ----------------------------------------------------------------------------- 1. joint logL
def _flavio_equivalent(name: str, args: dict):
    """flavio observable(s) computing the same prediction, or None."""
    import flavio
    inst = flavio.classes.Observable.instances
    if name in inst:
        return [(name, args)]
    m = {"BR(B+->K+invisible)": "BR(B+->Knunu)", "BR(B0->K+invisible)": "BR(B0->Knunu)",
         "BR(B+->K*+invisible)": "BR(B+->K*nunu)", "BR(B0->K*+invisible)": "BR(B0->K*nunu)"}
    if name in m:
        return [(m[name], {})]
    if name == "<BR>(B+->K+invisible)":
        lo, hi = np.atleast_1d(args["q2min"]), np.atleast_1d(args["q2max"])
        return [("<dBR/dq2>(B+->Knunu)", {"q2min": float(a), "q2max": float(b)})
                for a, b in zip(lo, hi)]
    return None


def in_loop_us(pe, x0, n: int) -> tuple[float, float]:
    """Value + gradient of ``pe`` as NUTS sees it: n evaluations inside one compiled
    ``lax.scan`` (each at a point moved by the previous result, so nothing is hoisted),
    without the Python dispatch of a jitted call.  Returns (wall, CPU) microseconds per
    evaluation: the median wall time over 5 repetitions, and the smallest process CPU time
    (``time.process_time``), which other processes on the machine inflate far less than the
    wall time (the loop runs on one thread: on an idle machine the two agree)."""
    import jax
    import jax.numpy as jnp
    vg = jax.value_and_grad(pe)

    def body(c, _):
        x = jax.tree_util.tree_map(lambda v: v + c, x0)
        v, gr = vg(x)
        s = v + sum(jnp.sum(t) for t in jax.tree_util.tree_leaves(gr))
        return 1e-30 * jnp.tanh(s), None
    loop = jax.jit(lambda c: jax.lax.scan(body, c, None, length=n)[0])
    jax.block_until_ready(loop(0.0))
    wall = median_time(lambda: jax.block_until_ready(loop(0.0)), n=5, warm=1)
    cpu = []
    for _ in range(5):
        t = time.process_time()
        jax.block_until_ready(loop(0.0))
        cpu.append(time.process_time() - t)
    return 1e6 * wall / n, 1e6 * min(cpu) / n


def joint(run_file: str, n: int, flavio_compare: bool = True) -> dict:
    import jax
    from numpyro.infer.util import initialize_model

    import bkfit  # noqa: F401
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble

    asm = assemble(load_run(run_file))
    info = initialize_model(jax.random.PRNGKey(0), lambda: asm.numpyro_model(record=False))
    pe, x0 = info.potential_fn, info.param_info.z
    t = time.perf_counter()
    f = jax.jit(pe)
    jax.block_until_ready(f(x0))
    c_v = time.perf_counter() - t
    t = time.perf_counter()
    g = jax.jit(jax.value_and_grad(pe))
    jax.block_until_ready(g(x0))
    c_g = time.perf_counter() - t
    out = {"run": run_file, "terms": len(asm.terms), "free_parameters": len(asm.priors),
           "sampled_dimension": int(sum(np.size(v) for v in x0.values())),
           "logL_us": 1e6 * median_time(lambda: jax.block_until_ready(f(x0)), n),
           "logL_grad_us": 1e6 * median_time(lambda: jax.block_until_ready(g(x0)), n),
           **dict(zip(("logL_grad_in_loop_us", "logL_grad_in_loop_cpu_us"),
                      in_loop_us(pe, x0, max(n, 50)))),
           "compile_logL_s": c_v, "compile_logL_grad_s": c_g}
    # flavio: the same predictions (the physics; flavio has no pyhf term) at a new point
    if not flavio_compare:
        return out
    try:
        import flavio
        import wilson
    except ImportError:
        return out
    todo, missing = [], []
    for name, args in asm.requests:
        eq = _flavio_equivalent(name, args)
        if eq is None:
            missing.append(name)
        else:
            todo.extend(eq)
    rng = np.random.default_rng(0)

    def flavio_point():
        w = wilson.Wilson({"CL_bsnutaunutau": float(rng.uniform(-1, 1)),
                           "CR_bsnutaunutau": float(rng.uniform(-1, 1))}, scale=4.8,
                          eft="WET", basis="flavio")
        for name, a in todo:
            flavio.np_prediction(name, w, **a)

    tf = median_time(flavio_point, n=3, warm=1)
    out.update({"flavio_predictions": len(todo), "flavio_us": 1e6 * tf,
                "not_in_flavio": sorted(set(missing)),
                "speedup_logL_grad_vs_flavio": tf / (out["logL_grad_us"] * 1e-6)})
    return out


# ----------------------------------------------------------------------------- 2. vmapped
def throughput(sizes) -> list:
    import jax
    import jax.numpy as jnp

    import bkfit  # noqa: F401
    from bkfit import observables as obsreg
    from bkfit.inputs import load_db
    par = load_db().central
    names = ["BR(B+->Knunu)", "BR(B0->K*nunu)", "FLtot(B0->K*nunu)"]

    def pred(cl, cr):
        c = {"CL_bsnutaunutau": cl, "CR_bsnutaunutau": cr}
        return jnp.stack([obsreg.predict(nm, c, par) for nm in names])

    fv = jax.jit(jax.vmap(pred))
    rows = []
    for n in sizes:
        k = jax.random.split(jax.random.PRNGKey(n), 2)
        cl = jax.random.uniform(k[0], (n,), minval=-10, maxval=10)
        cr = jax.random.uniform(k[1], (n,), minval=-10, maxval=10)
        jax.block_until_ready(fv(cl, cr))
        t = median_time(lambda: jax.block_until_ready(fv(cl, cr)), n=3, warm=1)
        rows.append({"points": n, "observables": names, "seconds": t,
                     "points_per_s": n / t})
    return rows


# ----------------------------------------------------------------------------- 3. NUTS
FIT_CODE = """
import json, resource, sys, time
from bkfit.cli import main
t = time.perf_counter()
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("BENCH " + json.dumps({"wall_s": time.perf_counter() - t,
          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def nuts(run_file: str, extra=()) -> dict:
    import arviz as az
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fit"
        load0, t0 = load_average(), time.perf_counter()
        r = subprocess.run([sys.executable, "-c", FIT_CODE, "fit", run_file, "--out", str(out),
                            "--no-progress", *extra], cwd=ROOT, capture_output=True, text=True)
        process_wall = time.perf_counter() - t0
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("BENCH ")]
        if r.returncode != 0 or not line or not (out / "posterior.nc").exists():
            return {"run": run_file, "error": r.stderr[-2000:]}
        res = json.loads(line[-1][6:])
        meta = json.loads((out / "metadata.json").read_text())
        idata = az.from_netcdf(str(out / "posterior.nc"))
        ess = az.ess(idata.posterior)
        sampled = [v for v in ess.data_vars       # sampled sites, not derived observables
                   if idata.posterior[v].attrs.get("kind", "sampled") == "sampled"]
        vals = np.concatenate([np.atleast_1d(ess[v].values).ravel() for v in sampled])
        samp = meta["timing"]["sampling_s"]
        post = idata.posterior
        res.update({"run": run_file, "chains": int(post.sizes["chain"]),
                    "draws": int(post.sizes["draw"]), "nuts_wall_s": samp,
                    "ess_per_s_min": float(vals.min() / samp),
                    "ess_per_s_median": float(np.median(vals) / samp),
                    "rhat_max": meta["diagnostics"]["rhat_max"],
                    "ess_bulk_min": meta["diagnostics"]["ess_bulk_min"],
                    "divergences": meta["diagnostics"]["divergences"],
                    "process_wall_s": process_wall, "load_average_before": load0,
                    "load_average_after": load_average()})
        return res


def fits_table(rows: list) -> str:
    """The README's table of fit wall times (``--fits``): one row per run."""
    out = ["| run | chains x draws | wall time (process) | NUTS incl. compile | max R-hat | "
           "min bulk ESS | divergences | <= 5 min, converged |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        name = Path(r["run"]).stem
        if "error" in r:
            out.append(f"| {name} | failed | | | | | | no |")
            continue
        ok = (r["process_wall_s"] <= 300 and r["rhat_max"] <= 1.01
              and r["ess_bulk_min"] >= 400 and r["divergences"] == 0)
        out.append(f"| {name} | {r['chains']} x {r['draws']} | {r['process_wall_s']:.0f} s | "
                   f"{r['nuts_wall_s']:.0f} s | {r['rhat_max']:.4f} | {r['ess_bulk_min']:.0f} | "
                   f"{r['divergences']} | {'yes' if ok else 'no'} |")
    return "\n".join(out)


# ----------------------------------------------------------------------------- 4. scaling
SCALING_RUN = """
[run]
name = "scaling"
[model]
name = "left"
free = {free}
[priors]
file = "{root}/priors/left.yaml"
[likelihood]
files = {files}
exclude = {exclude}
[nuisances]
sets = ["ff_BK", "ff_BKstar"]
"""


def scaling(n: int) -> list:
    flav = ["e", "mu", "tau"]
    coeffs = [f"CL_bsnu{a}nu{a}" for a in flav] + [f"CR_bsnu{a}nu{a}" for a in flav] + \
        [f"CL_bsnu{a}nu{b}" for a in flav for b in flav if a != b]
    setups = [
        ("Gaussian/limits (5 terms)", [f"{ROOT}/likelihoods/bknunu.yaml"], []),
        ("Belle II full + 4 limits (5 terms)",
         [f"{ROOT}/likelihoods/belle2_kpnunu_2023.yaml", f"{ROOT}/likelihoods/bknunu.yaml"],
         ["belle2_2023_Bp_Knunu_gauss"]),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, files, excl in setups:
            for k in (1, 2, 6, 12):
                p = Path(tmp) / f"s{k}.toml"
                p.write_text(SCALING_RUN.format(free=json.dumps(coeffs[:k]), root=ROOT,
                                                files=json.dumps(files),
                                                exclude=json.dumps(excl)))
                r = joint(str(p), n)
                rows.append({"likelihood": label, "free_parameters": k,
                             "sampled_dimension": r["sampled_dimension"],
                             "logL_grad_us": r["logL_grad_us"],
                             "compile_logL_grad_s": r["compile_logL_grad_s"]})
    return rows


BUDGET_US = 300.0            # value + gradient of every shipped run's log-posterior
QUICKSTART_BUDGET_US = 100.0


def per_run(n: int, runs=None) -> list:
    """Value + gradient of the joint log-posterior (numpyro potential: every sampled
    parameter and nuisance) of every shipped run, against the budget."""
    files = runs or sorted(str(f.relative_to(ROOT)) for f in (ROOT / "runs").glob("*.toml"))
    rows = []
    for f in files:
        r = joint(f, n, flavio_compare=False)
        budget = QUICKSTART_BUDGET_US if Path(f).stem == "quickstart" else BUDGET_US
        r["budget_us"] = budget
        r["within_budget"] = bool(r["logL_grad_in_loop_us"] <= budget)
        rows.append(r)
        print(f"[per-run] {Path(f).stem:24s} terms {r['terms']:3d}  dim {r['sampled_dimension']:4d}"
              f"  logL+grad {r['logL_grad_in_loop_us']:6.0f} us in the sampler's loop"
              f" (CPU {r['logL_grad_in_loop_cpu_us']:5.0f} us)"
              f" ({r['logL_grad_us']:5.0f} us per jitted call)"
              f"  (budget {budget:.0f}: {'ok' if r['within_budget'] else 'OVER'})"
              f"  compile {r['compile_logL_grad_s']:.1f} s", flush=True)
    return rows


def markdown_table(rows: list) -> str:
    """The per-run table of the README (one row per run) from ``per_run``'s rows."""
    out = ["| run | terms | sampled dim | in loop (wall) | in loop (CPU) | per call | compile |"
           " budget |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cpu = r["logL_grad_in_loop_cpu_us"]
        verdict = ("ok" if r["within_budget"] else "over") + (
            " (CPU: ok)" if not r["within_budget"] and cpu <= r["budget_us"] else "")
        out.append(f"| {Path(r['run']).stem} | {r['terms']} | {r['sampled_dimension']} | "
                   f"{r['logL_grad_in_loop_us']:.0f} µs | {cpu:.0f} µs | "
                   f"{r['logL_grad_us']:.0f} µs | {r['compile_logL_grad_s']:.0f} s | {verdict} |")
    return "\n".join(out)


def load_average() -> list:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def largest_run() -> str:
    """The shipped run with the most likelihood entries (ties: most free parameters)."""
    import bkfit  # noqa: F401
    from bkfit.config import load_run
    from bkfit.errors import InputError
    from bkfit.inference.assemble import assemble
    best, key = None, (-1, -1)
    for f in sorted((ROOT / "runs").glob("*.toml")):
        try:
            asm = assemble(load_run(f))
        except (InputError, Exception):  # noqa: BLE001 (runs of unfinished models)
            continue
        k = (len(asm.terms), len(asm.priors))
        if k > key:
            best, key = str(f.relative_to(ROOT)), k
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, no large fit")
    ap.add_argument("--per-run-only", action="store_true",
                    help="only the per-run value + gradient table (every shipped run)")
    ap.add_argument("--runs", nargs="*", default=None,
                    help="run files of the per-run table (default: every runs/*.toml)")
    ap.add_argument("--nuts-run", default=None,
                    help="run file of the large NUTS benchmark (default: the largest shipped run)")
    ap.add_argument("--one-core", action="store_true",
                    help="pin to one CPU (one thread), as one chain of a 2-chain fit sees it")
    ap.add_argument("--fits", action="store_true",
                    help="only fit every shipped run (or --runs) with its own settings, one "
                         "after another, each in a fresh process: wall time, R-hat, ESS")
    a = ap.parse_args(argv)
    if a.fits:
        runs = a.runs or [str(f.relative_to(ROOT)) for f in sorted((ROOT / "runs").glob("*.toml"))]
        res = {"fits_date": time.strftime("%Y-%m-%d %H:%M"), "fits": []}
        for f in runs:
            res["fits"].append(nuts(f))
            print(fits_table(res["fits"][-1:]).splitlines()[-1], flush=True)
        print(fits_table(res["fits"]), flush=True)
        _write(a.json, res)
        return
    if a.one_core:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import jax
    n = 30 if a.quick else 200
    res = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                       "cpus": os.cpu_count(), "device": str(jax.devices()[0]),
                       "jax": jax.__version__, "one_core": bool(a.one_core)},
           "date": time.strftime("%Y-%m-%d %H:%M"), "load_average_start": load_average()}
    res["per_run"] = per_run(n, a.runs)
    print(markdown_table(res["per_run"]), flush=True)
    if a.per_run_only:
        res["load_average_end"] = load_average()
        _write(a.json, res)
        return
    big = largest_run()
    print(f"largest shipped run: {big}", flush=True)
    res["joint"] = [joint("runs/quickstart.toml", n)]
    if big and big != "runs/quickstart.toml":
        res["joint"].append(joint(big, n))
    for r in res["joint"]:
        print(f"[joint] {r['run']}: logL {r['logL_us']:.0f} us, logL+grad "
              f"{r['logL_grad_us']:.0f} us, flavio {r.get('flavio_us', float('nan')):.0f} us "
              f"-> x{r.get('speedup_logL_grad_vs_flavio', float('nan')):.0f}", flush=True)
    res["vmap"] = throughput([10_000, 100_000] if a.quick else [10_000, 100_000, 1_000_000])
    for r in res["vmap"]:
        print(f"[vmap] {r['points']:>8d} points: {r['seconds']:.3f} s "
              f"({r['points_per_s']:.3g} points/s)", flush=True)
    res["scaling"] = scaling(max(n // 4, 10))
    for r in res["scaling"]:
        print(f"[scaling] {r['likelihood']:36s} free {r['free_parameters']:2d} "
              f"(dim {r['sampled_dimension']:3d}): {r['logL_grad_us']:.0f} us, compile "
              f"{r['compile_logL_grad_s']:.1f} s", flush=True)
    res["nuts"] = [nuts("runs/quickstart.toml")]
    big_fit = a.nuts_run or big
    if big_fit and not a.quick and big_fit != "runs/quickstart.toml":
        res["nuts"].append(nuts(big_fit))
    for r in res["nuts"]:
        if "error" in r:
            print(f"[nuts] {r['run']}: FAILED {r['error'][-300:]}")
            continue
        print(f"[nuts] {r['run']}: {r['chains']}x{r['draws']}, total {r['wall_s']:.1f} s "
              f"(NUTS incl. compile {r['nuts_wall_s']:.1f} s), ESS/s min "
              f"{r['ess_per_s_min']:.1f} median {r['ess_per_s_median']:.1f}, peak RSS "
              f"{r['peak_rss_mb']:.0f} MB, R-hat {r['rhat_max']:.4f}, div {r['divergences']}",
              flush=True)
    res["load_average_end"] = load_average()
    _write(a.json, res)


def _write(path, res):
    """Merge into the JSON file: sections not rerun keep their earlier figures."""
    p = Path(path)
    old = json.loads(p.read_text()) if p.exists() else {}
    old.update(res)
    p.write_text(json.dumps(old, indent=1, default=float))
    print(f"wrote {path} (load average {res.get('load_average_start')} -> "
          f"{res.get('load_average_end')})")


if __name__ == "__main__":
    main()
