"""A finished run's coefficients as WCxf files: the best point (the draw with the highest
log posterior, ``sample_stats.lp``) and the posterior median (of each free parameter, mapped
through the model), written in the WET ``flavio`` basis at bkfit's scale (4.8 GeV;
:mod:`bkfit.models.wcxf`)."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError

POINTS = ("best", "median")


def run_points(run_dir) -> tuple:
    """``(cfg, model, {"best": theta, "median": theta})`` of a finished run folder: its run
    file (``run.toml``, with relative paths resolved next to the original run file when it is
    still there), its model and the two parameter points."""
    import arviz as az
    import numpy as np

    from ..config import parse_run
    from ..models import ModelError, make_model
    from .results import identifiers
    d = Path(run_dir)
    if not d.is_dir():
        raise InputError("no such run folder", file=str(d))
    missing = [f for f in ("posterior.nc", "metadata.json", "run.toml") if not (d / f).is_file()]
    if missing:
        raise InputError(f"not a finished bkfit run folder: {', '.join(missing)} missing",
                         file=str(d))
    meta = json.loads((d / "metadata.json").read_text())
    original = meta.get("run_file") or ""
    where = original if original and Path(original).is_file() else str(d / "run.toml")
    cfg = parse_run((d / "run.toml").read_text(), where)
    opts = {k: v for k, v in cfg.model.items() if k != "name"}
    try:
        model = make_model(cfg.model["name"], opts)
    except ModelError as e:
        raise InputError(str(e), file=str(d / "run.toml"), field="model") from None
    idata = az.from_netcdf(str(d / "posterior.nc"))
    if "lp" not in idata.sample_stats:
        raise InputError("the posterior has no log-posterior values (sample_stats.lp)",
                         file=str(d / "posterior.nc"))
    lp = np.asarray(idata.sample_stats["lp"].values).reshape(-1)
    i = int(np.argmax(lp))
    ids = {**identifiers(model.parameters()), **meta.get("variables", {})}
    points = {"best": {}, "median": {}}
    for p in model.parameters():
        var = ids[p] if ids[p] in idata.posterior else p
        if var not in idata.posterior:
            raise InputError(f"the posterior has no variable for parameter '{p}'",
                             file=str(d / "posterior.nc"))
        x = np.asarray(idata.posterior[var].values).reshape(-1)
        points["best"][p] = float(x[i])
        points["median"][p] = float(np.median(x))
    return cfg, model, points


def export_wcxf(run_dir, out=None, fmt: str = "yaml") -> dict:
    """Write ``wcxf_best.<fmt>`` and ``wcxf_median.<fmt>`` (``fmt`` ``yaml`` or ``json``) into
    ``out`` (default: the run folder).  Each holds the coefficients the run's model gives at
    that point plus the run's fixed ``[wcxf]`` coefficients; coefficients WCxf cannot hold
    (bkfit's extension names, particle masses) are left out and reported.  Returns
    ``{point: {"file", "parameters", "omitted"}}``."""
    from ..inputs import load_db
    from ..models.wcxf import write
    from ..physics.bsnunu import fold_signal_strength
    if fmt not in ("yaml", "json"):
        raise InputError(f"WCxf format '{fmt}': allowed yaml, json")
    cfg, model, points = run_points(run_dir)
    outdir = Path(out) if out is not None else Path(run_dir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError("the output path exists and is not a folder", file=str(outdir))
    outdir.mkdir(parents=True, exist_ok=True)
    res = {}
    for name, theta in points.items():
        # a rescaled or switched-off SM nu nu part (models sm_mu, wet_eos) as new-physics C_L
        coeffs = dict(model.coefficients(theta))
        if "nunu_signal_strength" in coeffs:
            coeffs = {k: (complex(v) if k.startswith("CL_") else v) for k, v in
                      fold_signal_strength(coeffs, load_db().central).items()}
        for k, v in cfg.background.items():
            coeffs[k] = coeffs[k] + v if k in coeffs else v
        path = outdir / f"wcxf_{name}.{fmt}"
        what = ("highest log-posterior draw" if name == "best"
                else "posterior median of each free parameter")
        meta = {"description": f"bkfit run '{cfg.run.name}' ({model.name}): {what}",
                "parameters": theta}
        omitted = write(coeffs, path, metadata=meta)
        res[name] = {"file": str(path), "parameters": theta, "omitted": omitted}
    return res
