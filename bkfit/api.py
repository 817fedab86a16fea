"""The Python face of bkfit: functions that the command line (bkfit/cli/) calls."""
from __future__ import annotations


def parse_observables(observables) -> list:
    """``[(name, args)]`` for observable keys such as ``'<FL>(B0->K*nunu)[0,4]'``; raises
    InputError for an unknown name or bad arguments."""
    from . import observables as obsreg
    from .errors import InputError
    parsed = []
    for o in observables:
        try:
            parsed.append(obsreg.parse_obs_key(o))
        except (obsreg.UnknownObservable, ValueError) as e:
            raise InputError(str(e.args[0])) from None
    return parsed


def predict(observables, model: str = "left", values: dict | None = None,
            options: dict | None = None, uncertainty: bool = False, samples: int = 400,
            seed: int = 0) -> dict:
    """Predictions of ``observables`` (keys such as ``'<FL>(B0->K*nunu)[0,4]'``).

    ``values``: for model ``left`` its coefficients (numbers or complex literals such as
    ``'1+2j'``; unnamed ones are zero), for any other model every one of its parameters;
    ``options``: the model's options.  Returns ``{key: value}`` at the central values of the
    parameter database, or with ``uncertainty`` ``{key: {"mean", "std"}}`` over ``samples``
    draws of the nuisance sets.  Raises InputError or ModelError for unknown names."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from . import observables as obsreg
    from .errors import InputError, did_you_mean
    from .inputs import NUISANCE_SETS, load_db
    from .models import make_model
    from .models.left import parse_complex

    values = dict(values or {})
    parsed = parse_observables(observables)
    if model == "left":
        from .models.wc_names import known_coefficients
        known = known_coefficients()
        for k in values:
            if k not in known:
                raise InputError(f"--set: unknown coefficient '{k}'.{did_you_mean(k, known)}")
        coeffs = {k: parse_complex(v, f"--set {k}") for k, v in values.items()}
        coeffs = {k: (v.real if v.imag == 0 else v) for k, v in coeffs.items()}
    else:
        m = make_model(model, dict(options or {}))
        params = m.parameters()
        unknown = [k for k in values if k not in params]
        if unknown:
            raise InputError(f"--set: '{unknown[0]}' is not a parameter of model '{model}'."
                             f"{did_you_mean(unknown[0], params)} Parameters: {params}")
        missing = [p for p in params if p not in values]
        if missing:
            raise InputError(f"model '{model}' needs --set for {missing}")
        coeffs = m.coefficients({k: float(v) for k, v in values.items()})
    db = load_db()
    par = dict(db.central)

    def f(p):
        return jnp.stack([jnp.real(obsreg.predict(n, coeffs, p, **a)) for n, a in parsed])

    keys = [obsreg.obs_key(n, a) for n, a in parsed]
    if not uncertainty:
        vals = np.asarray(jax.jit(f)(par))
        return {k: float(v) for k, v in zip(keys, vals)}
    names = [n for s in NUISANCE_SETS.values() for n in s]
    draws = db.sample(names, samples, seed)

    def g(x):
        p = dict(par)
        for i, n in enumerate(names):
            p[n] = x[i]
        return f(p)

    vals = np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(draws)))
    return {k: {"mean": float(vals[:, i].mean()), "std": float(vals[:, i].std(ddof=1))}
            for i, k in enumerate(keys)}
