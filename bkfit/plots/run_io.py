"""Load a finished run folder back: its InferenceData and the assembled likelihood.

The folder holds ``run.toml`` (the run file as it was), ``posterior.nc`` and
``metadata.json``.  The stored run file is re-validated and re-assembled, so plots recompute
predictions with exactly the model and likelihood the run used.  Its relative paths resolve
as they did for the original run file (``run_file`` in metadata.json) while that file's
folder exists, else from the results folder, the current directory and the shipped data.
"""
from __future__ import annotations

import json
from pathlib import Path

import arviz as az
import numpy as np

from ..errors import InputError
from ..inference.results import identifiers, safe_name


def load_result(run_dir):
    """``(idata, assembled)`` of a finished run folder (posterior.nc and run.toml), with relative
    paths resolved next to the original run file; InputError if a file is missing."""
    from ..config import load_run
    from ..inference.assemble import assemble

    run_dir = Path(run_dir)
    for f in ("run.toml", "posterior.nc"):
        if not (run_dir / f).exists():
            raise InputError(f"not a finished bkfit run folder: {f} is missing",
                             file=str(run_dir))
    idata = az.from_netcdf(str(run_dir / "posterior.nc"))
    cfg = load_run(run_dir / "run.toml")
    try:
        original = json.loads((run_dir / "metadata.json").read_text()).get("run_file") or ""
    except (OSError, ValueError):
        original = ""
    if original and Path(original).parent.is_dir():
        cfg.path = original            # relative paths resolve next to the original run file
    asm = assemble(cfg)
    return idata, asm


def draws(idata, names, n_max: int = 200, seed: int = 0) -> tuple[dict, int]:
    """Thinned posterior draws of the sites ``names`` as arrays (draw, ...)."""
    post = idata.posterior
    n_tot = post.sizes["chain"] * post.sizes["draw"]
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n_tot, size=min(n_max, n_tot), replace=False))
    out = {}
    ids = identifiers(names)
    for n in names:
        v = post[ids[n] if ids[n] in post else safe_name(n)].values
        v = v.reshape((n_tot,) + v.shape[2:])
        out[n] = v[idx]
    return out, len(idx)


def site_names(asm) -> tuple[list, list, list]:
    """(model parameters, nuisance-block sites, term nuisance sites)."""
    model = list(asm.priors)
    blocks = [b.site for b in asm.blocks]
    terms = [n for t in asm.terms for n in t.nuisance_sites()]
    return model, blocks, terms
