"""Observable registry: flavio-style names -> pure JAX prediction functions.

Every observable is a function ``fn(coeffs, par, **args) -> jnp scalar or array`` where

* ``coeffs`` is a dict of low-energy coefficients (WCxf ``flavio``-basis names such as
  ``CL_bsnutaunutau``, complex) plus any new-particle parameters a physics module declares
  (e.g. a dark-matter mass); absent keys mean zero;
* ``par`` is a dict of physics parameters (flavio names, see :mod:`bkfit.inputs`);
* ``args`` are kinematic arguments (``q2`` or ``q2min``/``q2max``), which may be arrays.

Naming follows flavio where flavio has the observable.  Extensions (documented in
``docs/observables.md``) are marked ``extension=True``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import jax.numpy as jnp

from .errors import did_you_mean


@dataclass(frozen=True)
class ObservableSpec:
    name: str
    fn: Callable
    args: tuple[str, ...] = ()
    description: str = ""
    extension: bool = False
    tex: str = ""


REGISTRY: dict[str, ObservableSpec] = {}

# physics modules that register observables at import (in order)
_MODULES = [
    "bkfit.physics.bsnunu_observables",
    "bkfit.physics.invisible",
    "bkfit.physics.bsll",
    "bkfit.physics.vlq",
    "bkfit.physics.bclnu",
    "bkfit.physics.mixing",
    "bkfit.physics.higgs",
]
_loaded = False


def register(name: str, args: tuple[str, ...] = (), description: str = "",
             extension: bool = False, tex: str = ""):
    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"observable {name!r} registered twice")
        REGISTRY[name] = ObservableSpec(name, fn, tuple(args), description, extension, tex)
        return fn
    return deco


def _load():
    global _loaded
    if not _loaded:
        _loaded = True
        for m in _MODULES:
            importlib.import_module(m)


def all_names() -> list[str]:
    _load()
    return sorted(REGISTRY)


class UnknownObservable(KeyError):
    pass


def get(name: str) -> ObservableSpec:
    _load()
    if name not in REGISTRY:
        raise UnknownObservable(f"unknown observable '{name}'.{did_you_mean(name, REGISTRY)} "
                                "(`bkfit list observables` prints them all)")
    return REGISTRY[name]


def check_args(name: str, args: dict) -> None:
    spec = get(name)
    missing = [a for a in spec.args if a not in args]
    extra = [a for a in args if a not in spec.args]
    if missing or extra:
        want = ", ".join(spec.args) if spec.args else "no arguments"
        raise ValueError(f"observable '{name}' takes {want}; got "
                         f"{', '.join(args) if args else 'none'}")


def predict(name: str, coeffs: dict, par: dict, **args):
    spec = get(name)
    return spec.fn(coeffs, par, **args)


def obs_key(name: str, args: dict | None = None) -> str:
    """Canonical string for an observable with arguments, e.g. '<BR>(B+->Knunu)[0,4]'."""
    if not args:
        return name
    vals = []
    for v in args.values():
        try:
            vals.append(f"{float(v):g}")
        except TypeError:
            vals.append("array")
    return f"{name}[{','.join(vals)}]"


def parse_obs_key(text: str) -> tuple[str, dict]:
    """Inverse of :func:`obs_key` for CLI input: 'NAME', 'NAME[q2]' or 'NAME[q2min,q2max]'."""
    text = text.strip()
    if text.endswith("]") and "[" in text:
        name, rest = text[:-1].rsplit("[", 1)
        items = [x.strip() for x in rest.split(",") if x.strip()]
    else:
        name, items = text, []
    spec = get(name)
    want = ",".join(spec.args)
    if len(items) != len(spec.args):
        raise ValueError(f"observable '{name}' needs [{want}] after its name; got {text!r}")
    out = {}
    for i, item in enumerate(items):
        key, _, val = item.rpartition("=")         # 'Z=54' or positional '54'
        key = key.strip() or spec.args[i]
        if key not in spec.args:
            raise ValueError(f"observable '{name}' has no argument '{key}' (arguments: "
                             f"[{want}]); got {text!r}")
        try:
            out[key] = float(val)
        except ValueError:
            raise ValueError(f"argument '{key}' of observable '{name}' must be a number, got "
                             f"{val.strip()!r} in {text!r}") from None
    return name, {a: out[a] for a in spec.args if a in out}


__all__ = ["register", "get", "predict", "all_names", "obs_key", "parse_obs_key",
           "ObservableSpec", "UnknownObservable", "jnp"]
