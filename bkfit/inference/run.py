"""The pipelines from a run file to a results folder: ``run_fit`` (validate, numerical-health
check, NUTS with checkpoints, results written atomically) and ``run_evidence`` (ln Z written
to ``evidence.json``).  Both raise bkfit errors (bkfit/errors.py), never exit."""
from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from ..config import RunConfig, load_run
from ..errors import InputError, RunFailed, RunInterrupted
from .assemble import Assembled, assemble


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _config(run: str | Path | RunConfig) -> RunConfig:
    """A fresh config: a copy of a RunConfig (callers modify theirs), else the file read."""
    return run.model_copy(deep=True) if isinstance(run, RunConfig) else load_run(run)


def describe(asm: Assembled) -> str:
    """One line: the model and how many parameters, nuisances and terms a run has."""
    return (f"model {asm.model.name}, {len(asm.priors)} parameter(s), "
            f"{sum(len(b.names) for b in asm.blocks)} nuisance(s), {len(asm.terms)} term(s)")


def check_run(run: str | Path | RunConfig) -> Assembled:
    """Validate a run file and every input it names (raises InputError); nothing is compiled."""
    return assemble(_config(run))


def check_overrides(overrides: dict | None) -> None:
    """Sampler settings given on the command line (None: not given): counts must be >= 1."""
    for k in ("chains", "num_warmup", "num_samples", "chunk_size"):
        v = (overrides or {}).get(k)
        if v is not None and v < 1:
            raise InputError(f"--{k.replace('_', '-')} {v}: must be a positive integer")


def default_out(cfg: RunConfig) -> Path:
    """A run's results folder when none is given: ``results/<run name>``."""
    return Path("results") / cfg.run.name


def run_fit(run: str | Path | RunConfig, out: str | Path | None = None,
            overrides: dict | None = None, force: bool = False, resume: bool = False,
            progress: bool = True, preflight: int = 64,
            echo: Callable[[str], None] | None = None) -> Path:
    """Fit one run file (or loaded config) and return its results folder.

    The run is built in ``<out>.partial`` (log ``run.log``, checkpoint, results) and moved to
    ``out`` (default ``results/<run name>``) only when complete.  ``overrides``: sampler
    settings (chains, num_warmup, num_samples, seed, chain_method, chunk_size) replacing the
    run file's where not None; ``preflight``: prior draws for the numerical-health check
    (0: skip); ``echo``: where log lines go besides run.log (default stderr).

    Raises InputError for bad input, an existing result without ``force`` or a missing
    checkpoint with ``resume``; RunFailed when the health check or sampling fails (earlier
    results untouched); RunInterrupted on Ctrl-C (rerun with ``resume=True``)."""
    # looked up here, not at import: tests replace bkfit.inference.nuts.run_nuts
    from .nuts import SamplerSettings, finalize_dir, run_nuts
    from .report import write_all
    from .results import PRIOR_DRAWS, prior_draws, to_inference_data

    echo = echo or _stderr
    check_overrides(overrides)
    cfg = _config(run)
    asm = assemble(cfg)
    s = cfg.sampler
    settings = SamplerSettings(chains=s.chains, num_warmup=s.num_warmup,
                               num_samples=s.num_samples, seed=cfg.run.seed,
                               target_accept=s.target_accept, chain_method=s.chain_method,
                               max_tree_depth=s.max_tree_depth,
                               max_tree_depth_warmup=s.max_tree_depth_warmup,
                               chunk_size=s.chunk_size,
                               dense_mass=s.dense_mass, asinh_scale=dict(s.asinh_scale),
                               progress_bar=progress)
    for k, v in (overrides or {}).items():
        if v is not None:
            setattr(settings, k, v)
    if settings.chains < 1 or settings.num_samples < 1 or settings.num_warmup < 1:
        raise InputError("--chains, --num-warmup and --num-samples must be positive")
    cfg.run.seed = settings.seed
    outdir = Path(out) if out else default_out(cfg)
    partial = outdir.with_name(outdir.name + ".partial")
    logpath = partial / "run.log"
    if outdir.exists() and not force:
        raise InputError(f"{outdir} already holds a result; use --force to replace it (or --out)")
    if resume and not (partial / "checkpoint.pkl").exists():
        raise InputError(f"--resume: no checkpoint in {partial}")
    if partial.exists() and not resume:
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)

    with open(logpath, "a") as logf:
        def log(msg):
            line = f"[{time.strftime('%H:%M:%S')}] {msg}"
            echo(line)
            logf.write(line + "\n")
            logf.flush()

        log(f"run '{cfg.run.name}': {describe(asm)}")
        health = prior = None
        if preflight and not resume:
            from .health import check
            t0 = time.perf_counter()
            try:
                if preflight <= PRIOR_DRAWS:
                    # the health check's prior draws are the first rows of the prior
                    # predictive group's (one compiled prior program instead of two)
                    prior = prior_draws(asm, int(settings.seed) + 1, PRIOR_DRAWS)
                    health = check(asm, n=preflight, draws=prior)
                else:
                    health = check(asm, n=preflight, seed=settings.seed)
            except Exception as e:  # noqa: BLE001
                log(f"FAILED in the numerical-health check: {type(e).__name__}: {e}")
                logf.write(traceback.format_exc())
                raise RunFailed(f"run failed; see {logpath}") from e
            log(f"numerical health, {preflight} prior draws ({time.perf_counter() - t0:.1f} s): "
                + ("ok" if health.ok else health.message()))
            if not health.ok:
                where = cfg.path if isinstance(run, RunConfig) else str(run)
                raise InputError(f"the likelihood is not numerically healthy: "
                                 f"{health.message()} (see {logpath})", file=where)
        try:
            samples, extra, wall = run_nuts(
                asm.numpyro_model, settings, partial, log=log, resume=resume,
                constrain_model=functools.partial(asm.numpyro_model, record=False,
                                                  likelihood=False))
            attrs = {"bkfit_run": cfg.run.name, "bkfit_model": asm.model.name,
                     "bkfit_seed": int(settings.seed), "bkfit_run_file": cfg.text}
            idata = to_inference_data(samples, extra, attrs, asm=asm, seed=int(settings.seed),
                                      prior_sites=prior)
            write_all(idata, asm, partial, {"sampling_s": wall}, health=health)
            (partial / "checkpoint.pkl").unlink(missing_ok=True)
        except KeyboardInterrupt:
            log("interrupted: progress is kept in the checkpoint; rerun with --resume")
            raise RunInterrupted(f"run interrupted; resume from {partial}") from None
        except Exception as e:  # noqa: BLE001
            log(f"FAILED: {type(e).__name__}: {e}")
            logf.write(traceback.format_exc())
            raise RunFailed(f"run failed; see {logpath} (earlier results untouched)") from e
    try:
        finalize_dir(partial, outdir, force)
    except OSError as e:
        raise RunFailed(f"run failed: could not move {partial} to {outdir}: {e}") from e
    return outdir


def _atomic_json(obj, path: Path):
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2, default=float))
    os.replace(tmp, path)


def run_evidence(run: str | Path | RunConfig, out: str | Path | None = None,
                 methods=("nested", "smc"), seed: int | None = None, particles: int = 1000,
                 replicas: int = 8, num_live: int | None = None,
                 full_likelihood: bool = False,
                 echo: Callable[[str], None] | None = None) -> Path:
    """Estimate ln Z of a run file and write ``<out>/evidence.json``; returns its path.

    ``out`` defaults to ``results/<run name>`` (next to a fit result).  Estimates of methods
    not rerun are kept from an earlier evidence.json.  Without ``full_likelihood`` the
    evidence setup of docs/evidence.md is used.  ``echo`` gets the progress lines (default
    stderr).  Raises InputError for bad input or an unsupported prior or model."""
    from .evidence import EvidenceResult, agreement, evidence, problem_from_assembled
    from .evidence_setup import evidence_setup, sm_same_data
    from .results import checksums, versions

    echo = echo or _stderr
    try:
        cfg = _config(run)
        asm = assemble(cfg)
        if not full_likelihood:
            asm = assemble(evidence_setup(cfg, asm))
        problem = problem_from_assembled(asm)
    except NotImplementedError as e:
        raise InputError(str(e)) from e
    if particles < 10 or replicas < 2:
        raise InputError("--particles must be >= 10 and --replicas >= 2")
    seed = cfg.run.seed if seed is None else seed
    methods = list(methods)
    outdir = Path(out) if out else default_out(cfg)
    import jax
    echo(f"run '{cfg.run.name}': model {asm.model.name}, {problem.dim} latent "
         f"dimension(s) ({len(asm.priors)} model parameter(s)); methods {', '.join(methods)}"
         + (f"; SMC replicas over {jax.local_device_count()} device(s)" if "smc" in methods
            else ""))
    t0 = time.time()
    try:
        sm_ref = sm_same_data(_config(run), full_likelihood)
    except (InputError, NotImplementedError) as e:
        sm_ref = {"ln_Z": None, "note": f"SM on the same terms could not be evaluated: {e}"}
    res = evidence(problem, methods, seed=seed,
                   nested_opts={"num_live": num_live},
                   smc_opts={"particles": particles, "replicas": replicas},
                   progress=lambda line: echo(f"[{time.strftime('%H:%M:%S')}] {line}"))
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "evidence.json"
    estimates = {}
    if path.exists():
        try:
            estimates = dict(json.loads(path.read_text()).get("estimates", {}))
        except (json.JSONDecodeError, AttributeError):
            estimates = {}
    estimates.update({m: r.as_dict() for m, r in res.items()})
    ag = agreement({m: EvidenceResult(m, e["ln_Z"], e["ln_Z_err"], 0, 0, {})
                    for m, e in estimates.items()})
    doc = {"run": cfg.run.name, "model": asm.model.name, "run_file": str(cfg.path),
           "seed": seed, "dimension": problem.dim, "free_parameters": list(asm.priors),
           "priors": problem.description, "latent_sites": [s.name for s in problem.sites],
           "terms": [t.name for t in asm.terms], "estimates": estimates,
           "sm_same_data": sm_ref, "agreement": ag,
           "wall_time_s": time.time() - t0, "versions": versions(),
           "input_checksums": checksums([cfg.path] + asm.input_files)}
    _atomic_json(doc, path)
    return path
