"""The observable catalogue: flavio-style names -> pure JAX prediction functions.

Every observable is a function ``fn(coeffs, par, **args) -> jnp scalar or array`` where

* ``coeffs`` is a dict of low-energy coefficients (WCxf ``flavio``-basis names such as
  ``CL_bsnutaunutau``, complex) plus any new-particle parameters a physics module declares
  (e.g. a dark-matter mass); absent keys mean zero;
* ``par`` is a dict of physics parameters (flavio names, see :mod:`bkfit.inputs`);
* ``args`` are kinematic arguments (``q2`` or ``q2min``/``q2max``), which may be arrays.

Naming follows flavio where flavio has the observable.  Extensions (documented in
``docs/observables.md``) are marked ``extension=True``.

A :class:`Catalogue` is a plain value.  Each physics module that provides observables exports
``register(catalogue)``, which adds its entries to the catalogue handed in; nothing is
registered at import.  :func:`default_catalogue` builds (once) the catalogue of every bkfit
physics module.  Functions that look observables up take ``catalogue=None``, meaning the
default, in the way pyhf's ``Model(spec, modifier_set=None)`` does.
"""
from __future__ import annotations

import functools
import importlib
import types
from dataclasses import dataclass
from typing import Callable

from .errors import did_you_mean


@dataclass(frozen=True)
class ObservableSpec:
    """One catalogue entry: the prediction function and what describes it."""
    name: str
    fn: Callable
    args: tuple[str, ...] = ()
    description: str = ""
    extension: bool = False
    tex: str = ""


class UnknownObservable(KeyError):
    """An observable name the catalogue does not hold."""


class Catalogue:
    """Observables by name, plus the extra B -> K(*) + invisible final states.

    ``invisible`` holds the contributions to B -> K(*) + invisible beyond nu nu (objects with
    ``diff`` and ``bin`` methods, see :mod:`bkfit.physics.invisible_hooks`); the
    ``+invisible`` observables sum over the contributions of the catalogue they belong to.
    """

    def __init__(self, entries=(), invisible=()):
        self._entries: dict[str, ObservableSpec] = {}
        self._invisible: list = []
        for spec in entries:
            self.add(spec)
        for c in invisible:
            self.add_invisible(c)

    # ------------------------------------------------------------------ building
    def add(self, spec: ObservableSpec) -> ObservableSpec:
        """Add one entry; a name may be added only once."""
        if spec.name in self._entries:
            raise ValueError(f"observable {spec.name!r} registered twice")
        self._entries[spec.name] = spec
        return spec

    def register(self, name: str, args: tuple[str, ...] = (), description: str = "",
                 extension: bool = False, tex: str = ""):
        """Decorator adding ``fn(coeffs, par, **args)`` under ``name``; returns ``fn``."""
        def deco(fn):
            self.add(ObservableSpec(name, fn, tuple(args), description, extension, tex))
            return fn
        return deco

    def add_invisible(self, contribution) -> None:
        """Add a B -> K(*) + invisible contribution (once; adding it again does nothing)."""
        if contribution not in self._invisible:
            self._invisible.append(contribution)

    @property
    def invisible(self) -> tuple:
        """The B -> K(*) + invisible contributions beyond nu nu, in the order added."""
        return tuple(self._invisible)

    # ------------------------------------------------------------------ reading
    def lookup(self, name: str) -> ObservableSpec:
        """The entry ``name``; :class:`UnknownObservable` with close names otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownObservable(
                f"unknown observable '{name}'.{did_you_mean(name, self._entries)} "
                "(`bkfit list observables` prints them all)") from None

    get = lookup

    def names(self) -> list[str]:
        """All names, sorted."""
        return sorted(self._entries)

    def items(self):
        """``(name, ObservableSpec)`` pairs in registration order."""
        return self._entries.items()

    def mapping(self):
        """A read-only view name -> :class:`ObservableSpec`."""
        return types.MappingProxyType(self._entries)

    def __contains__(self, name) -> bool:
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Catalogue({len(self)} observables, {len(self._invisible)} invisible)"

    # ------------------------------------------------------------------ using
    def check_args(self, name: str, args: dict) -> None:
        """ValueError unless ``args`` names exactly the arguments of observable ``name``."""
        spec = self.lookup(name)
        missing = [a for a in spec.args if a not in args]
        extra = [a for a in args if a not in spec.args]
        if missing or extra:
            want = ", ".join(spec.args) if spec.args else "no arguments"
            raise ValueError(f"observable '{name}' takes {want}; got "
                             f"{', '.join(args) if args else 'none'}")

    def predict(self, name: str, coeffs: dict, par: dict, **args):
        """Prediction of observable ``name``."""
        return self.lookup(name).fn(coeffs, par, **args)

    def parse_key(self, text: str) -> tuple[str, dict]:
        """Inverse of :func:`obs_key` for CLI input: 'NAME', 'NAME[q2]', 'NAME[q2min,q2max]'
        (or 'NAME[arg=value,...]')."""
        text = text.strip()
        if text.endswith("]") and "[" in text:
            name, rest = text[:-1].rsplit("[", 1)
            items = [x.strip() for x in rest.split(",") if x.strip()]
        else:
            name, items = text, []
        spec = self.lookup(name)
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
                raise ValueError(f"argument '{key}' of observable '{name}' must be a number, "
                                 f"got {val.strip()!r} in {text!r}") from None
        return name, {a: out[a] for a in spec.args if a in out}


# physics modules whose register(catalogue) builds the default catalogue (in order)
PHYSICS_MODULES = (
    "bkfit.physics.bsnunu_observables",
    "bkfit.physics.invisible",
    "bkfit.physics.bsll",
    "bkfit.physics.vlq",
    "bkfit.physics.vlq_constraints",
    "bkfit.physics.bclnu",
    "bkfit.physics.mixing",
    "bkfit.physics.higgs",
    "bkfit.physics.leptoquark_lhc",
    "bkfit.physics.leptoquark_highpt",
)


def build_catalogue(modules=PHYSICS_MODULES) -> Catalogue:
    """A new catalogue filled by ``register(catalogue)`` of each module named."""
    cat = Catalogue()
    for m in modules:
        importlib.import_module(m).register(cat)
    return cat


@functools.lru_cache(maxsize=None)
def default_catalogue() -> Catalogue:
    """The catalogue of all bkfit observables (built on first use, then shared)."""
    return build_catalogue()


def _cat(catalogue):
    return default_catalogue() if catalogue is None else catalogue


def all_names(catalogue: Catalogue | None = None) -> list[str]:
    """Sorted observable names of ``catalogue`` (default: :func:`default_catalogue`)."""
    return _cat(catalogue).names()


def get(name: str, catalogue: Catalogue | None = None) -> ObservableSpec:
    """The entry ``name`` of ``catalogue`` (default: :func:`default_catalogue`)."""
    return _cat(catalogue).lookup(name)


def check_args(name: str, args: dict, catalogue: Catalogue | None = None) -> None:
    """See :meth:`Catalogue.check_args` (default catalogue when None)."""
    _cat(catalogue).check_args(name, args)


def predict(name: str, coeffs: dict, par: dict, catalogue: Catalogue | None = None, **args):
    """Prediction of ``name`` from ``catalogue`` (default: :func:`default_catalogue`)."""
    return _cat(catalogue).predict(name, coeffs, par, **args)


def parse_obs_key(text: str, catalogue: Catalogue | None = None) -> tuple[str, dict]:
    """See :meth:`Catalogue.parse_key` (default catalogue when None)."""
    return _cat(catalogue).parse_key(text)


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


__all__ = ["Catalogue", "ObservableSpec", "UnknownObservable", "build_catalogue",
           "default_catalogue", "get", "predict", "all_names", "check_args", "obs_key",
           "parse_obs_key", "PHYSICS_MODULES"]
