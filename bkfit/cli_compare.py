"""``bkfit evidence`` and ``bkfit compare`` (registered on the main group in bkfit/cli.py)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from .errors import InputError
from .inference.evidence_setup import evidence_setup, sm_same_data


def _fail(msg: str, code: int = 2):
    click.secho(f"error: {msg}", fg="red", err=True)
    raise SystemExit(code)


def _atomic_json(obj, path: Path):
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2, default=float))
    os.replace(tmp, path)


@click.command("evidence")
@click.argument("run_file", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False),
              help="results folder (default results/<run name>, next to a fit result)")
@click.option("--method", type=click.Choice(["nested", "smc", "both"]), default="both",
              show_default=True)
@click.option("--seed", type=int, help="random seed (default: the run file's)")
@click.option("--particles", type=int, default=1000, show_default=True,
              help="SMC particles per replica")
@click.option("--replicas", type=int, default=8, show_default=True,
              help="independent SMC runs (their spread gives the error)")
@click.option("--num-live", type=int, help="nested sampling: jaxns root chains (default 30 x dim)")
@click.option("--full-likelihood", is_flag=True,
              help="integrate over every nuisance as in the fit (default: nuisance sets at "
                   "central values, Belle II workspace nuisances profiled; see docs/evidence.md)")
def evidence_cmd(run_file, out, method, seed, particles, replicas, num_live, full_likelihood):
    """Marginal likelihood ln Z of RUN_FILE (nested sampling and/or tempering SMC)."""
    from .config import load_run
    from .inference.assemble import assemble
    from .inference.evidence import agreement, evidence, problem_from_assembled

    try:
        cfg = load_run(run_file)
        asm = assemble(cfg)
        if not full_likelihood:
            asm = assemble(evidence_setup(cfg, asm))
        problem = problem_from_assembled(asm)
    except InputError as e:
        _fail(str(e))
    except NotImplementedError as e:
        _fail(str(e))
    if particles < 10 or replicas < 2:
        _fail("--particles must be >= 10 and --replicas >= 2")
    seed = cfg.run.seed if seed is None else seed
    methods = ["nested", "smc"] if method == "both" else [method]
    outdir = Path(out) if out else Path("results") / cfg.run.name
    click.echo(f"run '{cfg.run.name}': model {asm.model.name}, {problem.dim} latent "
               f"dimension(s) ({len(asm.priors)} model parameter(s)); methods "
               f"{', '.join(methods)}", err=True)
    t0 = time.time()
    try:
        sm_ref = sm_same_data(load_run(run_file), full_likelihood)
    except (InputError, NotImplementedError) as e:
        sm_ref = {"ln_Z": None, "note": f"SM on the same terms could not be evaluated: {e}"}
    res = evidence(problem, methods, seed=seed,
                   nested_opts={"num_live": num_live},
                   smc_opts={"particles": particles, "replicas": replicas},
                   progress=lambda line: click.echo(
                       f"[{time.strftime('%H:%M:%S')}] {line}", err=True))
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "evidence.json"
    old = {}
    if path.exists():
        try:
            old = json.loads(path.read_text()).get("estimates", {})
        except (json.JSONDecodeError, AttributeError):
            old = {}
    estimates = dict(old)
    estimates.update({m: r.as_dict() for m, r in res.items()})
    from .inference.evidence import EvidenceResult
    ag = agreement({m: EvidenceResult(m, e["ln_Z"], e["ln_Z_err"], 0, 0, {})
                    for m, e in estimates.items()})
    from .inference.results import sha256, versions
    doc = {"run": cfg.run.name, "model": asm.model.name, "run_file": str(cfg.path),
           "seed": seed, "dimension": problem.dim, "free_parameters": list(asm.priors),
           "priors": problem.description, "latent_sites": [s.name for s in problem.sites],
           "terms": [t.name for t in asm.terms], "estimates": estimates,
           "sm_same_data": sm_ref, "agreement": ag,
           "wall_time_s": time.time() - t0, "versions": versions(),
           "input_checksums": {f: sha256(f) for f in [cfg.path] + asm.input_files}}
    _atomic_json(doc, path)
    for m, e in estimates.items():
        click.echo(f"ln Z ({m:6s}) = {e['ln_Z']:.4f} +- {e['ln_Z_err']:.4f}  "
                   f"[{e['likelihood_evaluations']} evaluations, {e['time_s']:.1f} s]")
    if ag is not None and not ag["consistent"]:
        click.secho(f"warning: the estimators disagree by {ag['pull']:+.1f} combined sigma",
                    fg="yellow", err=True)
    if sm_ref.get("ln_Z") is not None:
        click.echo(f"ln Z (SM, same likelihood terms) = {sm_ref['ln_Z']:.4f} (exact)")
    click.echo(f"wrote {path}")


@click.command("compare")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--reference", type=click.Path(file_okay=False),
              help="reference run folder (default: the run of model 'sm', else the first)")
@click.option("--out", type=click.Path(file_okay=False), default="results/compare",
              show_default=True)
def compare_cmd(run_dirs, reference, out):
    """Bayes factors, chi^2_min and LOO of finished runs (each with evidence.json)."""
    from .inference.compare import compare
    for d in list(run_dirs) + ([reference] if reference else []):
        if not Path(d).is_dir():
            _fail(f"{d}: no such run folder")
    try:
        res = compare(list(run_dirs), reference, out)
    except InputError as e:
        _fail(str(e))
    for r in res["rows"]:
        tag = " (reference)" if r["reference"] else f"  {r['kass_raftery']}"
        flag = "" if r["estimators_agree"] else "  [estimators DISAGREE]"
        click.echo(f"{r['run']:30s} ln Z = {r['ln_Z']:.3f} +- {r['ln_Z_err']:.3f}  "
                   f"ln B = {r['ln_B']:+.3f} +- {r['ln_B_err']:.3f}{tag}{flag}")
    click.echo(f"wrote {Path(out) / 'compare.md'}, compare.csv, compare.png")
