"""Command-line interface: ``bkfit fit | predict | list | plot | evidence | compare``."""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import click

from .errors import InputError


def _setup_devices():
    # every local CPU core as a host device (parallel chains); must precede JAX's backend init
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        import numpyro
        numpyro.set_host_device_count(os.cpu_count() or 1)


def _fail(msg: str, code: int = 2):
    click.secho(f"error: {msg}", fg="red", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bkfit")
def main():
    """bkfit: Bayesian global fits of new physics in b -> s + invisible."""


# ----------------------------------------------------------------------------------- fit
@main.command()
@click.argument("run_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="output folder (default results/<run name>)")
@click.option("--chains", type=int, help="number of chains (overrides the run file)")
@click.option("--num-warmup", type=int)
@click.option("--num-samples", type=int)
@click.option("--seed", type=int)
@click.option("--chain-method", type=click.Choice(["sequential", "parallel", "vectorized"]))
@click.option("--chunk-size", type=int, help="save progress every N samples per chain")
@click.option("--force", is_flag=True, help="replace an existing result")
@click.option("--resume", is_flag=True, help="continue an interrupted run from its checkpoint")
@click.option("--no-progress", is_flag=True, help="no progress bar")
@click.option("--scheduler", default=None, help="Dask scheduler address ('local' for a LocalCluster)")
@click.option("--dry-run", is_flag=True, help="validate the run file(s) and every input, then stop")
@click.option("--preflight", default=64, show_default=True,
              help="prior draws checked for NaN/-inf log-likelihoods and gradients before "
                   "sampling (0: skip)")
def fit(run_files, out, chains, num_warmup, num_samples, seed, chain_method, chunk_size, force,
        dry_run, preflight, resume, no_progress, scheduler):
    """Sample the posterior of RUN_FILE(s) with NUTS and write the results."""
    overrides = dict(chains=chains, num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                     chain_method=chain_method, chunk_size=chunk_size)
    if dry_run:
        from .config import load_run
        from .inference.assemble import assemble
        for rf in run_files:
            try:
                asm = assemble(load_run(rf))
            except InputError as e:
                _fail(str(e))
            click.echo(f"{rf}: OK: model {asm.model.name}, {len(asm.priors)} parameter(s), "
                       f"{sum(len(b.names) for b in asm.blocks)} nuisance(s), "
                       f"{len(asm.terms)} term(s)")
        sys.exit(0)
    if scheduler:
        from .distributed import fit_many
        results = fit_many(list(run_files), scheduler, out_root=out, force=force,
                           overrides=overrides)
        bad = [r for r in results if not r["ok"]]
        for r in results:
            click.echo(f"{r['run']}: {'ok -> ' + r['out'] if r['ok'] else 'FAILED: ' + r['error']}")
        sys.exit(1 if bad else 0)
    if len(run_files) > 1 and out:
        _fail("--out takes one run file; give several run files without --out")
    _setup_devices()
    code = 0
    for rf in run_files:
        code = max(code, run_one(rf, out, overrides, force, resume, not no_progress,
                                 preflight=preflight))
    sys.exit(code)


def run_one(run_file, out, overrides, force, resume, progress, preflight: int = 64) -> int:
    from .config import load_run
    from .inference.assemble import assemble
    from .inference.nuts import SamplerSettings, finalize_dir, run_nuts
    from .inference.results import to_inference_data, write_all

    try:
        cfg = load_run(run_file)
        asm = assemble(cfg)
    except InputError as e:
        _fail(str(e))
    s = cfg.sampler
    settings = SamplerSettings(chains=s.chains, num_warmup=s.num_warmup,
                               num_samples=s.num_samples, seed=cfg.run.seed,
                               target_accept=s.target_accept, chain_method=s.chain_method,
                               max_tree_depth=s.max_tree_depth, chunk_size=s.chunk_size,
                               dense_mass=s.dense_mass, progress_bar=progress)
    for k, v in overrides.items():
        if v is not None:
            setattr(settings, k, v)
    if settings.chains < 1 or settings.num_samples < 1 or settings.num_warmup < 1:
        _fail("--chains, --num-warmup and --num-samples must be positive")
    cfg.run.seed = settings.seed
    outdir = Path(out) if out else Path("results") / cfg.run.name
    partial = outdir.with_name(outdir.name + ".partial")
    if outdir.exists() and not force:
        _fail(f"{outdir} already holds a result; use --force to replace it (or --out)")
    if resume and not (partial / "checkpoint.pkl").exists():
        _fail(f"--resume: no checkpoint in {partial}")
    if partial.exists() and not resume:
        import shutil
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    logf = open(partial / "run.log", "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        click.echo(line, err=True)
        logf.write(line + "\n")
        logf.flush()

    log(f"run '{cfg.run.name}': model {asm.model.name}, {len(asm.priors)} parameter(s), "
        f"{sum(len(b.names) for b in asm.blocks)} nuisance(s), {len(asm.terms)} term(s)")
    health = None
    if preflight and not resume:
        from .inference.health import check
        t0 = time.perf_counter()
        try:
            health = check(asm, n=preflight, seed=settings.seed)
        except Exception as e:  # noqa: BLE001
            log(f"FAILED in the numerical-health check: {type(e).__name__}: {e}")
            logf.write(traceback.format_exc())
            logf.close()
            click.secho(f"run failed; see {partial / 'run.log'}", fg="red", err=True)
            return 1
        log(f"numerical health, {preflight} prior draws ({time.perf_counter() - t0:.1f} s): "
            + ("ok" if health.ok else health.message()))
        if not health.ok:
            logf.close()
            _fail(f"{run_file}: the likelihood is not numerically healthy: "
                  f"{health.message()} (see {partial / 'run.log'})")
    try:
        samples, extra, wall = run_nuts(asm.numpyro_model, settings, partial, log=log,
                                        resume=resume)
        attrs = {"bkfit_run": cfg.run.name, "bkfit_model": asm.model.name,
                 "bkfit_seed": int(settings.seed), "bkfit_run_file": cfg.text}
        idata = to_inference_data(samples, extra, attrs)
        meta = write_all(idata, asm, partial, {"sampling_s": wall}, health=health)
        (partial / "checkpoint.pkl").unlink(missing_ok=True)
        logf.close()
        finalize_dir(partial, outdir, force)
    except KeyboardInterrupt:
        log("interrupted: progress is kept in the checkpoint; rerun with --resume")
        logf.close()
        return 130
    except Exception as e:  # noqa: BLE001
        log(f"FAILED: {type(e).__name__}: {e}")
        logf.write(traceback.format_exc())
        logf.close()
        click.secho(f"run failed; see {partial / 'run.log'} (earlier results untouched)",
                    fg="red", err=True)
        return 1
    click.echo(f"wrote {outdir}/ (posterior.nc, summary.csv, corner.png, report.md)")
    d = meta["diagnostics"]
    click.echo(f"max R-hat {d['rhat_max']:.4f}, min ESS {d['ess_bulk_min']:.0f}, "
               f"divergences {d['divergences']}")
    for w in meta["warnings"]:
        click.secho(f"WARNING: {w}", fg="yellow", bold=True, err=True)
    return 0


# ------------------------------------------------------------------------------- predict
def _parse_set(items):
    out = {}
    for it in items:
        if "=" not in it:
            _fail(f"--set expects NAME=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@main.command()
@click.argument("observables", nargs=-1, required=True)
@click.option("--model", "model_name", default="left", show_default=True)
@click.option("--set", "sets", multiple=True, help="NAME=VALUE (coefficient or parameter; complex like 1+2j)")
@click.option("--option", "options", multiple=True, help="model option KEY=JSON")
@click.option("--json", "as_json", is_flag=True)
@click.option("--uncertainty", is_flag=True, help="mean and std over the nuisance priors")
@click.option("--samples", default=400, show_default=True, help="nuisance draws for --uncertainty")
@click.option("--seed", default=0)
def predict(observables, model_name, sets, options, as_json, uncertainty, samples, seed):
    """Predict OBSERVABLES (e.g. 'BR(B+->Knunu)', '<FL>(B0->K*nunu)[0,4]')."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from . import observables as obsreg
    from .inputs import NUISANCE_SETS, load_db
    from .models import ModelError, make_model
    from .models.left import parse_complex

    parsed = []
    for o in observables:
        try:
            parsed.append(obsreg.parse_obs_key(o))
        except (obsreg.UnknownObservable, ValueError) as e:
            _fail(str(e.args[0]))
    sets = _parse_set(sets)
    opts = {}
    for it in options:
        k, _, v = it.partition("=")
        try:
            opts[k] = json.loads(v)
        except json.JSONDecodeError:
            opts[k] = v
    try:
        if model_name == "left":
            from .models.wc_names import known_coefficients
            from .errors import did_you_mean
            known = known_coefficients()
            for k in sets:
                if k not in known:
                    _fail(f"--set: unknown coefficient '{k}'.{did_you_mean(k, known)}")
            coeffs = {k: parse_complex(v, f"--set {k}") for k, v in sets.items()}
            coeffs = {k: (v.real if v.imag == 0 else v) for k, v in coeffs.items()}

            def coeff_fn():
                return coeffs
        else:
            model = make_model(model_name, opts)
            params = model.parameters()
            unknown = [k for k in sets if k not in params]
            if unknown:
                from .errors import did_you_mean
                _fail(f"--set: '{unknown[0]}' is not a parameter of model '{model_name}'."
                      f"{did_you_mean(unknown[0], params)} Parameters: {params}")
            missing = [p for p in params if p not in sets]
            if missing:
                _fail(f"model '{model_name}' needs --set for {missing}")
            theta = {k: float(v) for k, v in sets.items()}

            def coeff_fn():
                return model.coefficients(theta)
    except ModelError as e:
        _fail(str(e))
    db = load_db()
    par = dict(db.central)
    coeffs = coeff_fn()

    def f(p):
        return jnp.stack([jnp.real(obsreg.predict(n, coeffs, p, **a)) for n, a in parsed])

    result = {}
    if not uncertainty:
        vals = np.asarray(jax.jit(f)(par))
        for (n, a), v in zip(parsed, vals):
            result[obsreg.obs_key(n, a)] = float(v)
    else:
        names = [n for s in NUISANCE_SETS.values() for n in s]
        draws = db.sample(names, samples, seed)

        def g(x):
            p = dict(par)
            for i, n in enumerate(names):
                p[n] = x[i]
            return f(p)

        vals = np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(draws)))
        for k, (n, a) in enumerate(parsed):
            result[obsreg.obs_key(n, a)] = {"mean": float(vals[:, k].mean()),
                                           "std": float(vals[:, k].std(ddof=1))}
    if as_json:
        click.echo(json.dumps(result))
    else:
        for k, v in result.items():
            if isinstance(v, dict):
                click.echo(f"{k:40s} {v['mean']:.6g} +- {v['std']:.3g}")
            else:
                click.echo(f"{k:40s} {v:.6g}")


# ---------------------------------------------------------------------------------- list
@main.command("list")
@click.argument("what", type=click.Choice(["observables", "models", "likelihoods", "parameters"]))
@click.argument("model", required=False)
@click.option("--dir", "lik_dir", default="likelihoods", show_default=True)
def list_(what, model, lik_dir):
    """List observables, models, likelihood entries, or a model's parameters."""
    if what == "observables":
        from . import observables as obsreg
        for n in obsreg.all_names():
            s = obsreg.get(n)
            args = f"[{','.join(s.args)}]" if s.args else ""
            ext = " (bkfit extension)" if s.extension else ""
            click.echo(f"{n}{args}\t{s.description}{ext}")
    elif what == "models":
        from .models import MODELS, get_model_class
        for n in sorted(MODELS):
            c = get_model_class(n)
            click.echo(f"{n}\t{c.description}")
    elif what == "likelihoods":
        from .likelihood.loader import load_file
        for f in sorted(Path(lik_dir).glob("*.yaml")):
            try:
                terms = load_file(f)
            except InputError as e:
                click.echo(f"{f}: INVALID: {e}")
                continue
            for t in terms:
                ref = t.reference.citation if t.reference else ""
                req = ", ".join(n for n, _ in t.requests())
                click.echo(f"{f.name}\t{t.name}\t{type(t).__name__}\t{req}\t{ref}")
    else:
        if not model:
            _fail("usage: bkfit list parameters MODEL")
        from .models import ModelError, get_model_class
        try:
            cls = get_model_class(model)
        except ModelError as e:
            _fail(str(e))
        click.echo(f"model '{model}': {cls.description}")
        click.echo(f"options: {', '.join(cls.option_keys) or 'none'}")
        if cls.default_priors:
            click.echo(f"default priors: {cls.default_priors}")
        try:
            m = cls({})
            click.echo("parameters (default options): " + ", ".join(m.parameters()))
        except Exception as e:  # noqa: BLE001
            click.echo(f"parameters depend on options: {e}")
        if cls.__doc__:
            click.echo(cls.__doc__)


# ------------------------------------------------------------------------------- plot
@main.group()
def plot():
    """Figures from finished runs and from predictions."""


@plot.command("belle2")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="folder for the figures (default RUN_DIR)")
@click.option("--draws", default=200, show_default=True, help="posterior draws used for the bands")
def plot_belle2_cmd(run_dir, out, draws):
    """Predicted vs observed counts in every Belle II fit bin, and the implied q² spectrum."""
    from .plots.belle2 import plot_belle2
    try:
        paths = plot_belle2(run_dir, out, n_draws=draws)
    except InputError as e:
        _fail(str(e))
    for p in paths:
        click.echo(f"wrote {p}")


@plot.command("spectra")
@click.option("--family", type=click.Choice(["scalar", "fermion", "vector"]),
              help="one panel for this family (default: the panels of the seed's Fig. 7)")
@click.option("--operator", "operators", multiple=True, help="operator(s) of the family (repeatable)")
@click.option("--mass", "masses", multiple=True, type=float, help="mass(es) in GeV (repeatable)")
@click.option("--mode", default="B+->K", show_default=True,
              type=click.Choice(["B+->K", "B0->K", "B+->K*", "B0->K*"]))
@click.option("--efficiency", default="ita", show_default=True,
              type=click.Choice(["ita", "hta", "none"]),
              help="Belle II efficiency folded into the second row")
@click.option("--out", default="spectra.png", show_default=True, type=click.Path(dir_okay=False))
def plot_spectra_cmd(family, operators, masses, mode, efficiency, out):
    """Normalised dΓ/dq² of invisible pairs vs the SM, with and without the Belle II efficiency."""
    from .plots.spectra import FAMILIES, plot_spectra
    panels = None
    if family:
        ops = operators or FAMILIES[family][3]
        panels = [(family, tuple(ops), tuple(masses) or (0.3, 0.7))]
    elif operators or masses:
        _fail("--operator and --mass need --family")
    try:
        paths = plot_spectra(panels, out, mode, efficiency)
    except InputError as e:
        _fail(str(e))
    for p in paths:
        click.echo(f"wrote {p}")


@plot.command("rk-rkstar")
@click.argument("run_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--draws", default=5000, show_default=True, help="prior draws")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="figure file (default rk_rkstar_<run>.png)")
def plot_rk_cmd(run_file, draws, seed, out):
    """R_K^νν vs R_K*^νν over the prior of RUN_FILE's model (the seed's Fig. 1)."""
    from .plots.rk import plot_rk_rkstar
    try:
        paths = plot_rk_rkstar(run_file, out, draws, seed)
    except InputError as e:
        _fail(str(e))
    for p in paths:
        click.echo(f"wrote {p}")


from .cli_compare import compare_cmd, evidence_cmd  # noqa: E402  (evidence / compare commands)

main.add_command(evidence_cmd)
main.add_command(compare_cmd)


if __name__ == "__main__":
    main()
