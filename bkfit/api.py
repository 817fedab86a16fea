"""The Python face of bkfit (also importable from ``bkfit`` itself).

``predict``        predictions of observables for given coefficients or model parameters
``fit``            a NUTS fit of a run (file, shipped name or dict) -> arviz.InferenceData
``load``           a finished run folder -> arviz.InferenceData (and its metadata)
``log_likelihood`` a run's jitted log-likelihood (with gradient) of a parameter dict
``evidence``       ln Z of a run (nested sampling and/or tempered SMC)
``compare``        Bayes factors, chi^2_min and LOO of finished runs -> pandas.DataFrame
``export``         a finished run's best point and posterior median as WCxf files
``forecast``       posterior predictions of projected measurements and expected Bayes factors
``shipped_runs``   names of the runs bkfit ships (``bkfit init DIR`` copies them)

A run is a run-file path, the name of a shipped run (``"quickstart"``) or a dict with the
run-file structure (``{"run": {"name": ...}, "model": {...}, "likelihood": {...}}``).
Every function raises bkfit's errors (``bkfit.errors``; unknown names come with a "did you
mean") and never exits; the command line (bkfit/cli/) calls these functions.
"""
from __future__ import annotations

from pathlib import Path

from .inference.loglik import LogLikelihood

__all__ = ["predict", "fit", "load", "log_likelihood", "LogLikelihood", "evidence", "compare",
           "export", "forecast", "belle2_predictive", "shipped_runs", "parse_observables"]


def parse_observables(observables) -> list:
    """``[(name, args)]`` for observable keys such as ``'<FL>(B0->K*nunu)[0,4]'``; raises
    InputError for an unknown name or bad arguments (not finite, a reversed or empty q2
    bin, q2 outside the kinematic range)."""
    from . import observables as obsreg
    from .errors import InputError
    parsed = []
    for o in observables:
        try:
            parsed.append(obsreg.parse_obs_key(o))
        except (obsreg.UnknownObservable, ValueError) as e:
            raise InputError(str(e.args[0])) from None
        _check_q2(o, *parsed[-1])
    return parsed


def _check_q2(key: str, name: str, args: dict) -> None:
    """Kinematic arguments of one observable: finite, q2min < q2max, 0 <= q2 <= q2 endpoint."""
    import math

    from .errors import InputError
    from .likelihood.loader import _q2_limit
    for k, v in args.items():
        if not math.isfinite(v):
            raise InputError(f"{key!r}: {k} = {v} is not a finite number")
    if "q2min" in args and "q2max" in args and not args["q2min"] < args["q2max"]:
        raise InputError(f"{key!r}: empty or reversed q2 bin: q2min ({args['q2min']:g}) must "
                         f"be below q2max ({args['q2max']:g})")
    for k in ("q2", "q2min", "q2max"):
        if k in args and args[k] < 0:
            raise InputError(f"{key!r}: {k} = {args[k]:g} is negative; allowed: q2 >= 0 GeV^2")
    lim = _q2_limit(name)
    if lim is not None:
        top, mode = lim
        for k in ("q2", "q2min", "q2max"):
            if k in args and args[k] > top * (1 + 1e-9):
                raise InputError(f"{key!r}: {k} = {args[k]:g} GeV^2 is outside the kinematic "
                                 f"range of {mode}: allowed 0 <= q2 <= (m_B - m_K)^2 = "
                                 f"{top:.4g} GeV^2")


def _check_model_values(model, values: dict, label: str) -> None:
    """Masses among parameter values: positive, and below the B -> K kinematic limit for
    the masses the model declares (``Model.mass_parameters``; ``model`` may be None for
    physics parameters, whose masses are the names starting with ``m_``)."""
    from .errors import InputError
    from .priors import kinematic_limit
    declared = model.mass_parameters() if model is not None else {}
    for k, v in values.items():
        if (k in declared or k.startswith("m_")) and not float(v) > 0:
            raise InputError(f"{label} {k}={v}: a mass must be > 0 (GeV)")
        if declared.get(k):
            top, text = kinematic_limit(declared[k])
            if float(v) > top:
                raise InputError(f"{label} {k}={v}: above the kinematic limit of model "
                                 f"'{model.name}' ({text}): B -> K + invisible is closed")


def predict(observables, wc=None, model: str = "left", par: dict | None = None,
            options: dict | None = None, uncertainty: bool = False, samples: int = 400,
            seed: int = 0, strict: bool = False, _label: str = "wc") -> dict:
    """Predictions of ``observables`` (one key or a list, e.g. ``'<FL>(B0->K*nunu)[0,4]'``;
    ``bkfit list observables`` prints them all).

    ``wc``: for model ``left`` its Wilson coefficients by name (numbers, complex numbers or
    literals such as ``'1+2j'``; unnamed ones are zero, i.e. the SM; WET ``flavio`` names at
    4.8 GeV, Delta F = 2 at the mixing scales) or a WCxf input: a WCxf file (YAML or JSON),
    a ``wcxf.WC`` or a ``wilson.Wilson``, of any EFT, basis and scale, run and matched with
    wilson to bkfit's basis and scales (:mod:`bkfit.models.wcxf`; non-zero coefficients no
    bkfit observable reads warn, or raise with ``strict=True``); for any other model
    every one of its parameters (``bkfit list parameters MODEL``); names the model does not
    take but the parameter database knows (e.g. ``Vcb``) are physics parameters, as in
    ``par``; ``options``: the model's
    options; ``par``: physics parameters replacing the database's central values (flavio
    names, e.g. ``{"tau_B+": 2.5e12}``).  Returns ``{key: value}``, or with ``uncertainty``
    ``{key: {"mean", "std"}}`` over ``samples`` draws of every nuisance set (parameters given
    in ``par`` stay fixed).  Raises InputError or ModelError for unknown names.

    >>> import bkfit
    >>> sm = bkfit.predict("Rnunu(B+->K)")
    >>> round(sm["Rnunu(B+->K)"], 6)
    1.0
    >>> new = bkfit.predict(["Rnunu(B+->K)", "BR(B+->Knunu)"], wc={"CL_bsnutaunutau": -5})
    >>> new["Rnunu(B+->K)"] > 1.5
    True
    >>> sorted(bkfit.predict("BR(B+->Knunu)", wc={"CL_bsnutaunutau": "1+2j"},
    ...                      uncertainty=True, samples=50)["BR(B+->Knunu)"])
    ['mean', 'std']
    >>> bkfit.predict("Rnunu(B+->K)", wc={"CL_bsnutaunutua": 1})
    Traceback (most recent call last):
    ...
    bkfit.errors.InputError: wc: unknown coefficient 'CL_bsnutaunutua'. Did you mean 'CL_bsnutaunutau', ...?
    >>> import wilson                 # SMEFT at 1 TeV, run and matched to 4.8 GeV by wilson
    >>> w = wilson.Wilson({"lq3_3323": 1e-8}, scale=1e3, eft="SMEFT", basis="Warsaw")
    >>> abs(bkfit.predict("Rnunu(B+->K)", wc=w)["Rnunu(B+->K)"] - 1) > 0.1
    True
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    from . import observables as obsreg
    from .errors import InputError, did_you_mean
    from .inputs import NUISANCE_SETS, load_db
    from .models import make_model
    from .models.left import parse_complex

    if isinstance(observables, str):
        observables = [observables]
    if wc is not None and not isinstance(wc, dict):
        if model != "left":
            raise InputError(f"a WCxf input gives Wilson coefficients: it needs model 'left', "
                             f"not '{model}'")
        from .models.wcxf import translate
        wc = translate(wc, strict=strict, label=_label)
    values = dict(wc or {})
    fixed = dict(par or {})
    parsed = parse_observables(observables)
    if uncertainty and not (isinstance(samples, int) and samples >= 2):
        raise InputError(f"{'--samples' if _label == '--set' else 'samples'} {samples}: the uncertainty needs at least 2 nuisance "
                         "draws (a standard deviation of one draw is undefined)")
    if model == "left":
        from .models.wc_names import known_coefficients
        known = known_coefficients()
        _move_physics_parameters(values, known, fixed, _label)
        for k in values:
            if k not in known:
                raise InputError(f"{_label}: unknown coefficient '{k}'.{did_you_mean(k, known)}")
        for k, v in values.items():
            if isinstance(v, str) and v.strip().lower().lstrip("+-") in ("inf", "infinity",
                                                                          "nan"):
                raise InputError(f"{_label} {k}: {v!r} is not a finite number")
        coeffs = {k: complex(v) if isinstance(v, complex) else parse_complex(v, f"{_label} {k}")
                  for k, v in values.items()}
        coeffs = {k: (v.real if v.imag == 0 else v) for k, v in coeffs.items()}
        for k, v in coeffs.items():
            if not np.isfinite(v):
                raise InputError(f"{_label} {k}: {values[k]!r} is not a finite number")
        for k, v in coeffs.items():
            if k.startswith("m_nuR_") and not (np.imag(v) == 0 and np.real(v) >= 0):
                raise InputError(f"{_label} {k}={values[k]}: a sterile-neutrino mass must be "
                                 "a real number >= 0 (GeV)")
    else:
        m = make_model(model, dict(options or {}))
        params = m.parameters()
        _move_physics_parameters(values, params, fixed, _label)
        unknown = [k for k in values if k not in params]
        if unknown:
            raise InputError(f"{_label}: '{unknown[0]}' is not a parameter of model '{model}'."
                             f"{did_you_mean(unknown[0], params)} Parameters: {params}")
        missing = [p for p in params if p not in values]
        if missing:
            raise InputError(f"model '{model}' needs {_label} for {missing}")
        try:
            vals = {k: float(v) for k, v in values.items()}
        except (TypeError, ValueError):
            bad = next(k for k, v in values.items() if not _is_float(v))
            raise InputError(f"{_label} {bad}: {values[bad]!r} is not a number") from None
        for k, v in vals.items():
            if not np.isfinite(v):
                raise InputError(f"{_label} {k}: {values[k]!r} is not a finite number")
        _check_model_values(m, vals, _label)
        coeffs = m.coefficients(vals)
    db = load_db()
    for k, v in fixed.items():
        if not np.isfinite(float(v)):
            raise InputError(f"{'--set' if _label == '--set' else 'par'} {k}: {v!r} is not "
                             "a finite number")
    _check_model_values(None, fixed, "--set" if _label == "--set" else "par")
    try:
        db = db.with_overrides(fixed)
    except KeyError as e:
        raise InputError(f"par: {e.args[0]}") from None
    par = dict(db.central)

    def f(p):
        return jnp.stack([jnp.real(obsreg.predict(n, coeffs, p, **a)) for n, a in parsed])

    keys = [obsreg.obs_key(n, a) for n, a in parsed]
    if not uncertainty:
        vals = np.asarray(jax.jit(f)(par))
        return {k: float(v) for k, v in zip(keys, vals)}
    names = [n for s in NUISANCE_SETS.values() for n in s if n not in fixed]
    draws = db.sample(names, samples, seed)

    def g(x):
        p = dict(par)
        for i, n in enumerate(names):
            p[n] = x[i]
        return f(p)

    vals = np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(draws)))
    return {k: {"mean": float(vals[:, i].mean()), "std": float(vals[:, i].std(ddof=1))}
            for i, k in enumerate(keys)}


def _move_physics_parameters(values: dict, taken, fixed: dict, label: str) -> None:
    """Move the names of ``values`` that the model does not take (``taken``) but the
    parameter database knows (e.g. Vcb) into ``fixed`` as floats."""
    from .errors import InputError
    from .inputs import load_db
    central = load_db().central
    for k in [k for k in values if k not in taken and k in central]:
        v = values.pop(k)
        if not _is_float(v):
            raise InputError(f"{label} {k}: {v!r} is not a number")
        fixed[k] = float(v)


def _is_float(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------- runs
def shipped_runs() -> list[str]:
    """Names of the run files bkfit ships (``bkfit fit NAME`` and ``bkfit.fit(NAME)`` use them).

    >>> import bkfit
    >>> "quickstart" in bkfit.shipped_runs()
    True
    """
    from .inputs.shipped import shipped_runs as runs
    return list(runs())


def _run_config(run):
    """A validated RunConfig from a path, a shipped run's name, a dict or a RunConfig."""
    from .config import RunConfig, load_run, run_from_dict
    from .errors import InputError
    if isinstance(run, RunConfig):
        return run.model_copy(deep=True)
    if isinstance(run, dict):
        return run_from_dict(run)
    if isinstance(run, (str, Path)):
        return load_run(run)
    raise InputError(f"a run is a run-file path, a shipped run's name or a dict, got "
                     f"{type(run).__name__}")


_FIT_SETTINGS = ("chains", "num_warmup", "num_samples", "seed", "chain_method", "chunk_size")


def fit(run, out=None, *, force: bool = False, resume: bool = False, progress: bool = False,
        preflight: int = 64, **overrides):
    """Fit a run with NUTS, write its results folder and return its ``arviz.InferenceData``.

    ``run``: a run-file path, a shipped run's name (``"quickstart"``) or a dict with the
    run-file structure.  ``out``: the results folder (default ``results/<run name>`` in the
    current directory); an existing result is only replaced with ``force``.  ``overrides``:
    sampler settings replacing the run file's (``chains``, ``num_warmup``, ``num_samples``,
    ``seed``, ``chain_method``, ``chunk_size``).  ``preflight``: prior draws for the
    numerical-health check (0: skip); ``resume``: continue from the checkpoint of an
    interrupted run.  The command ``bkfit fit`` does the same, and also makes every CPU core
    a JAX device for ``chain_method = "parallel"``; from Python call
    ``numpyro.set_host_device_count(n)`` before JAX first computes anything, else numpyro
    draws such chains one after the other.  Example (not run here)::

        idata = bkfit.fit("quickstart", out="qs", num_warmup=200, num_samples=200)
        idata = bkfit.fit({"run": {"name": "mine"},
                           "model": {"name": "left", "free": ["CL_bsnutaunutau"]},
                           "likelihood": {"files": ["likelihoods/bknunu.yaml"]}})
    """
    from .errors import InputError, did_you_mean
    from .inference.run import run_fit
    for k in overrides:
        if k not in _FIT_SETTINGS:
            raise InputError(f"fit: unknown setting '{k}'.{did_you_mean(k, _FIT_SETTINGS)} "
                             f"Allowed: {', '.join(_FIT_SETTINGS)}")
    outdir = run_fit(_run_config(run), out, overrides, force=force, resume=resume,
                     progress=progress, preflight=preflight)
    return load(outdir)


def load(run_dir, metadata: bool = False):
    """The ``arviz.InferenceData`` of a finished run folder (written by ``fit``); with
    ``metadata=True`` the pair ``(idata, metadata)``, where metadata is the folder's
    ``metadata.json`` (run, model, diagnostics, free parameters, priors, terms, best point)
    plus ``var_names``: the posterior variable of each free parameter.  Example (not run
    here)::

        idata, meta = bkfit.load("results/quickstart", metadata=True)
        arviz.summary(idata, var_names=meta["var_names"])
    """
    import json

    import arviz as az

    from .errors import InputError
    from .inference.results import identifiers
    d = Path(run_dir)
    if not d.is_dir():
        raise InputError("no such run folder", file=str(d))
    missing = [f for f in ("posterior.nc", "metadata.json") if not (d / f).is_file()]
    if missing:
        raise InputError(f"not a finished bkfit run folder: {', '.join(missing)} missing",
                         file=str(d))
    idata = az.from_netcdf(str(d / "posterior.nc"))
    if not metadata:
        return idata
    meta = json.loads((d / "metadata.json").read_text())
    ids = identifiers(meta.get("free_parameters", []))
    meta["var_names"] = list(ids.values())
    meta["dir"] = str(d)
    return idata, meta


# ---------------------------------------------------------------------------- likelihood
def log_likelihood(run) -> LogLikelihood:
    """The jitted joint log-likelihood of ``run`` (path, shipped name or dict) as a function
    of a parameter dict, with its gradient: see :class:`LogLikelihood`.

    >>> import bkfit, numpy as np
    >>> ll = bkfit.log_likelihood("quickstart")
    >>> ll.names[:3]
    ['CL_bsnutaunutau', 'CR_bsnutaunutau', 'nuis::ff_BK']
    >>> x = ll.example(seed=1)
    >>> value, grad = ll.value_and_grad(x)
    >>> bool(np.isfinite(value)), sorted(grad) == sorted(ll.names)
    (True, True)
    >>> x0 = {**x, "CL_bsnutaunutau": 0.0, "CR_bsnutaunutau": 0.0}    # the SM point
    >>> bool(ll(x0) != value)
    True
    >>> ll({**x, "CL_bsnutautau": 1.0})
    Traceback (most recent call last):
    ...
    bkfit.errors.InputError: 'CL_bsnutautau' is not a parameter of this run. Did you mean 'CL_bsnutaunutau', ...
    """
    from .inference.assemble import assemble
    return LogLikelihood(assemble(_run_config(run)))


# ---------------------------------------------------------------------------- evidence
def evidence(run, methods=("nested", "smc"), out=None, *, seed: int | None = None,
             particles: int = 1000, replicas: int = 8, num_live: int | None = None,
             full_likelihood: bool = False, echo=None) -> dict:
    """ln Z of ``run`` (path, shipped name or dict) with nested sampling and/or tempered SMC,
    as ``bkfit evidence`` computes it; writes ``<out>/evidence.json`` (default
    ``results/<run name>``, next to a fit) and returns its content (``estimates``: ln Z,
    error per method; ``sm_same_data``: the SM on the same terms; ``agreement``).
    ``methods``: ``"nested"``, ``"smc"``, ``"both"`` or a list.  The SMC replicas run one
    per JAX device, concurrently; the command ``bkfit evidence`` makes every CPU core a
    device, from Python call ``numpyro.set_host_device_count(n)`` before JAX first computes
    anything (with one device the replicas are vectorised on one core, ~3x slower on 2
    cores).  Example (not run here)::

        ev = bkfit.evidence("quickstart", methods="smc", particles=300, replicas=4)
        ev["estimates"]["smc"]["ln_Z"]
    """
    import json

    from .errors import InputError, did_you_mean
    from .inference.run import run_evidence
    known = ("nested", "smc")
    if isinstance(methods, str):
        methods = list(known) if methods == "both" else [methods]
    for m in methods:
        if m not in known:
            raise InputError(f"unknown evidence method '{m}'.{did_you_mean(m, known + ('both',))}"
                             f" Allowed: nested, smc, both")
    path = run_evidence(_run_config(run), out, list(methods), seed=seed, particles=particles,
                        replicas=replicas, num_live=num_live, full_likelihood=full_likelihood,
                        echo=echo)
    return json.loads(Path(path).read_text())


def compare(run_dirs, reference=None, out=None):
    """The comparison table of finished runs (each folder with ``evidence.json``; fits add
    chi^2_min and LOO) as a ``pandas.DataFrame``, one row per run: ln Z, Bayes factor
    against the SM on the same terms (``ln_B``, ``kass_raftery``), ``chi2_min``,
    ``elpd_loo``, priors.  With ``out`` it also writes compare.md, compare.csv and
    compare.png there, as ``bkfit compare`` does.  Example (not run here)::

        table = bkfit.compare(["results/quickstart", "results/sm"])
    """
    import pandas as pd

    from .errors import InputError
    from .inference.compare import compare as compare_runs
    if isinstance(run_dirs, (str, Path)):
        run_dirs = [run_dirs]
    for d in list(run_dirs) + ([reference] if reference else []):
        if not Path(d).is_dir():
            raise InputError("no such run folder", file=str(d))
    res = compare_runs([str(d) for d in run_dirs], reference, out)
    return pd.DataFrame(res["rows"])


def export(run_dir, out=None, fmt: str = "yaml") -> dict:
    """Write a finished run's best point (highest log-posterior draw) and posterior median (of
    each free parameter) as WCxf files ``wcxf_best.yaml`` and ``wcxf_median.yaml`` (``fmt``
    ``"json"``: ``.json``) in ``out`` (default: the run folder), in the WET ``flavio`` basis
    at bkfit's scale, 4.8 GeV (:mod:`bkfit.models.wcxf`); as ``bkfit export RUN_DIR --wcxf``.
    Returns ``{"best" | "median": {"file", "parameters", "omitted"}}``, ``omitted`` being
    the coefficients WCxf cannot hold (bkfit's extension names, particle masses).  Example
    (not run here)::

        files = bkfit.export("results/quickstart")
        bkfit.predict("BR(B+->Knunu)", wc=files["best"]["file"])
    """
    from .inference.export import export_wcxf
    return export_wcxf(run_dir, out, fmt)


def belle2_predictive(run_dir, draws: int = 200, seed: int = 0) -> list[dict]:
    """Posterior-predictive Belle II counts and q^2 spectrum of a finished run with the full
    Belle II likelihood: per pyhf term a dict with ``term``, ``observed`` and ``expected``
    / ``signal`` counts per channel (arrays draw x bin), ``edges`` (true-q^2 bin edges),
    ``bins`` (the model's BR in each q^2 bin, draw x bin) and ``reference`` (Belle II's SM
    reference BR per bin).  InputError for a run without such a term."""
    import numpy as np

    from .plots.belle2 import posterior_predictive
    _, _, found = posterior_predictive(run_dir, n_draws=draws, seed=seed)
    out = []
    for term, (tot, sig, bins) in found:
        out.append({"term": term.name,
                    "observed": {c: np.asarray(v) for c, v in term.observed_counts().items()},
                    "expected": {c: np.asarray(v) for c, v in tot.items()},
                    "signal": {c: np.asarray(v) for c, v in sig.items()},
                    "edges": np.asarray(term.edges),
                    "bins": None if bins is None else np.asarray(bins),
                    "reference": np.asarray(term.null_bins)})
    return out


def forecast(run_dirs, lumi=(1, 5, 10, 50), observables=None, *, draws: int = 2000,
             datasets: int = 200, seed: int = 0, out=None, projections=None) -> dict:
    """Forecast of finished runs for future measurements (``bkfit forecast``): each
    projected measurement of ``projections`` (default ``bkfit/inputs/data/projections.yaml``;
    ``observables`` picks some by name) is predicted on ``draws`` posterior draws of every
    run, its projected uncertainty at each luminosity of ``lumi`` (ab^-1; a list or
    ``"1,5,10,50"``) gives the noisy replicas, and for every ordered pair of runs the expected
    ln B is computed over ``datasets`` data sets simulated from the first (see
    :mod:`bkfit.inference.forecast`).  The Belle II q^2 spectrum (``belle2_kpnunu_spectrum``,
    by default when every run has the full Belle II likelihood) is projected from the
    published likelihood: :func:`belle2_predictive` counts scaled with luminosity
    (:mod:`bkfit.inference.forecast_spectrum`).  Returns the result dict of
    :func:`bkfit.inference.forecast_run.run_forecast`; with ``out`` it also writes
    forecast.md / .json / *.csv and the figures there.  InputError for an unknown folder,
    observable or a bad luminosity.  Example (not run here)::

        res = bkfit.forecast(["results/two_body", "results/dm_scalar_V"], lumi="5,50")
    """
    from .inference import forecast as fc, forecast_spectrum as fs
    from .inference.forecast_run import check_names, run_forecast, write
    from .inputs import load_db
    from .plots.run_io import draws as posterior_draws, load_result
    lumis = fc.parse_lumi(lumi)
    run_dirs = [run_dirs] if isinstance(run_dirs, (str, Path)) else list(run_dirs)
    names = check_names(run_dirs)
    table, works = fc.load_projections(projections), fs.load_workspace_projections(projections)
    fs.check_names(table, works, observables)
    loaded = {n: load_result(d) for n, d in zip(names, run_dirs)}
    projs, works, notes = fs.choose(table, works, observables,
                                    {n: [t.name for t in a.terms] for n, (_, a) in loaded.items()})
    runs = {}
    for name, d in zip(names, run_dirs):
        idata, asm = loaded[name]
        x, _ = posterior_draws(idata, list(asm.priors) + [b.site for b in asm.blocks], draws, seed)
        runs[name] = {"dir": str(d),
                      "pred": fc.evaluate_draws(asm, x, [p.predict for p in projs.values()])}
        # belle2_predictive thins with the same (draws, seed): the same posterior draws
        found = belle2_predictive(d, draws=draws, seed=seed) if works else []
        runs[name]["work"] = {w: fs.counts_from_predictive(found, p) for w, p in works.items()}
    res = run_forecast(runs, lumis, projs, fc.sm_values(projs, dict(load_db().central)),
                       datasets=datasets, seed=seed, workspaces=works, notes=notes)
    if out is not None:
        from .plots.forecast import plot_forecast
        res["files"] = [str(p) for p in write(res, out)] + \
            [str(p) for p in plot_forecast(res, runs, out)]
    return res
