"""Regenerate ``bkfit/inputs/data/flavio_parameters.yaml`` from flavio's parameter database.

This is the only module of bkfit's input layer that imports flavio; the hot path reads the
cached YAML file.  Run ``python -m bkfit.inputs.refresh_flavio`` after upgrading flavio.

Every number in the cache is flavio's (``flavio.default_parameters``); each constraint keeps
flavio's own type.  Two derived quantities are stored with the recipe that produced them:

* ``alpha_e(mb)/alpha_e(MZ)``: flavio's QED running ratio between 4.8 GeV (flavio's
  ``renormalization scale`` for ``bpll``/``bvll``) and M_Z, used exactly as flavio uses it in
  its B -> K(*) nu nu normalisation.
"""
from __future__ import annotations

import datetime
import math
from pathlib import Path

import numpy as np
import yaml

OUT = Path(__file__).parent / "data" / "flavio_parameters.yaml"


def _f(x):
    return float(np.real(x))


def build() -> dict:
    """Central values and Gaussian-approximated constraints of flavio's default parameters, as
    the dict written to the shipped parameter file (needs flavio installed)."""
    import flavio
    from flavio.statistics import probability as P

    dp = flavio.default_parameters
    central = {k: _f(v) for k, v in dp.get_central_all().items()
               if np.ndim(v) == 0 and np.isfinite(_f(v))}
    constraints = []
    for dist, names in dp._constraints:
        names = list(names)
        if isinstance(dist, P.DeltaDistribution):
            continue  # fixed: only the central value matters
        if isinstance(dist, P.MultivariateNormalDistribution):
            constraints.append({
                "type": "multivariate_normal",
                "names": names,
                "central": [_f(x) for x in np.atleast_1d(dist.central_value)],
                "covariance": [[_f(x) for x in row] for row in np.atleast_2d(dist.covariance)],
            })
        elif isinstance(dist, P.NormalDistribution):
            constraints.append({"type": "normal", "names": names,
                                "central": [_f(dist.central_value)],
                                "std": [_f(dist.standard_deviation)]})
        else:
            # asymmetric / other shapes: keep a Gaussian with the mean of the two errors and
            # say so in the cache ("approximated_from").
            try:
                el, er = dist.error_left, dist.error_right
                std = 0.5 * (_f(el) + _f(er))
            except Exception:  # noqa: BLE001
                continue
            if not (np.isfinite(std) and std > 0) or len(names) != 1:
                continue
            constraints.append({"type": "normal", "names": names,
                                "central": [_f(dist.central_value)], "std": [std],
                                "approximated_from": type(dist).__name__})
    c = dp.get_central_all()
    a_mb = flavio.physics.running.running.get_alpha(c, 4.8)["alpha_e"]
    a_mz = flavio.physics.running.running.get_alpha(c, 91.1876)["alpha_e"]
    derived = {
        "alpha_e(mb)/alpha_e(MZ)": {
            "value": float(a_mb / a_mz),
            "recipe": "flavio.physics.running.running.get_alpha(par, 4.8)['alpha_e'] / "
                      "get_alpha(par, 91.1876)['alpha_e'] at flavio's central parameters",
        },
    }
    central.update({k: v["value"] for k, v in derived.items()})
    return {
        "source": f"flavio {flavio.__version__} default_parameters "
                  "(flavio/data/parameters_*.yml; references in flavio's parameter files)",
        "generated": datetime.date.today().isoformat(),
        "units": "GeV powers; lifetimes tau_* in GeV^-1 (flavio convention)",
        "derived": derived,
        "central": central,
        "constraints": constraints,
    }


def main():
    """Regenerate the shipped parameter file from the installed flavio."""
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as fh:
        yaml.safe_dump(data, fh, sort_keys=False, width=120)
    print(f"wrote {OUT}: {len(data['central'])} parameters, {len(data['constraints'])} constraints")


if __name__ == "__main__":
    main()
