"""Read ``likelihoods/*.yaml`` into likelihood terms, validating every entry first.

File format::

    source: free text
    entries:
      - name: unique_name
        type: gaussian | asymmetric_gaussian | upper_limit | multivariate_gaussian | pyhf
              | interpolated_upper_limit
        observable: "BR(B+->Knunu)"      # one-observable types
        args: {q2min: 0, q2max: 4}       # optional kinematic arguments
        ...type-specific fields...
        reference: {citation: "arXiv:...", where: "Table 2"}
        notes: "..."
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal, Optional, Union

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import observables as obsreg
from ..errors import InputError, did_you_mean, pydantic_errors
from .base import Reference
from .terms import AsymmetricGaussianTerm, GaussianTerm, MultivariateGaussianTerm, UpperLimitTerm

# types implemented in other modules: type -> "module:Class" with a from_entry(entry, base_dir)
EXTERNAL_TYPES = {
    "pyhf": "bkfit.likelihood.pyhf_term:PyhfTerm",
    "interpolated_upper_limit": "bkfit.likelihood.interpolated_limit:InterpolatedUpperLimitTerm",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RefModel(_Strict):
    citation: str = Field(min_length=3)
    where: str = ""
    notes: str = ""


class ObsRef(_Strict):
    observable: str
    args: dict[str, float] = Field(default_factory=dict)


class _Base(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.:+\-]+$")
    reference: RefModel
    notes: str = ""


class GaussianEntry(_Base):
    type: Literal["gaussian"]
    observable: str
    args: dict[str, float] = Field(default_factory=dict)
    value: float
    error: Optional[float] = None
    errors: Optional[list[float]] = None

    @model_validator(mode="after")
    def _err(self):
        if (self.error is None) == (self.errors is None):
            raise ValueError("give exactly one of 'error' or 'errors'")
        errs = [self.error] if self.error is not None else self.errors
        if any(not (e > 0) for e in errs):
            raise ValueError("uncertainties must be positive")
        return self

    def total_error(self) -> float:
        if self.error is not None:
            return float(self.error)
        return float(np.sqrt(np.sum(np.square(self.errors))))


class AsymGaussianEntry(_Base):
    type: Literal["asymmetric_gaussian"]
    observable: str
    args: dict[str, float] = Field(default_factory=dict)
    value: float
    error_up: float = Field(gt=0)
    error_down: float = Field(gt=0)


class UpperLimitEntry(_Base):
    type: Literal["upper_limit"]
    observable: str
    args: dict[str, float] = Field(default_factory=dict)
    limit: float = Field(gt=0)
    cl: float = Field(gt=0, lt=1, description="confidence level, e.g. 0.90")


class MVGaussianEntry(_Base):
    type: Literal["multivariate_gaussian"]
    observables: list[ObsRef] = Field(min_length=2)
    values: list[float]
    covariance: Optional[list[list[float]]] = None
    errors: Optional[list[float]] = None
    correlation: Optional[list[list[float]]] = None

    @model_validator(mode="after")
    def _cov(self):
        n = len(self.observables)
        if len(self.values) != n:
            raise ValueError(f"'values' has {len(self.values)} numbers for {n} observables")
        if self.covariance is None:
            if self.errors is None or self.correlation is None:
                raise ValueError("give 'covariance', or 'errors' and 'correlation'")
            e = np.asarray(self.errors, float)
            c = np.asarray(self.correlation, float)
            if e.shape != (n,) or c.shape != (n, n):
                raise ValueError("'errors'/'correlation' do not match the number of observables")
            cov = c * np.outer(e, e)
        else:
            cov = np.asarray(self.covariance, float)
            if cov.shape != (n, n):
                raise ValueError(f"'covariance' must be {n}x{n}")
        if not np.allclose(cov, cov.T):
            raise ValueError("covariance is not symmetric")
        if np.any(np.linalg.eigvalsh(cov) <= 0):
            raise ValueError("covariance is not positive definite")
        self._cov = cov
        return self


SIMPLE = {"gaussian": GaussianEntry, "asymmetric_gaussian": AsymGaussianEntry,
          "upper_limit": UpperLimitEntry, "multivariate_gaussian": MVGaussianEntry}
ALL_TYPES = list(SIMPLE) + list(EXTERNAL_TYPES)


def _check_observable(name: str, args: dict, file: str, field: str):
    try:
        obsreg.get(name)
    except obsreg.UnknownObservable as e:
        raise InputError(str(e.args[0]), file=file, field=field) from None
    try:
        obsreg.check_args(name, args)
    except ValueError as e:
        raise InputError(str(e), file=file, field=field.replace("observable", "args")) from None


def _ref(r: RefModel) -> Reference:
    return Reference(r.citation, r.where, r.notes)


def build_term(entry: dict, file: str, base_dir: Path, idx: int):
    where = f"entries[{idx}]"
    if not isinstance(entry, dict):
        raise InputError("each entry must be a mapping", file=file, field=where)
    typ = entry.get("type")
    nm = entry.get("name", where)
    if typ not in ALL_TYPES:
        raise InputError(f"entry '{nm}' has unknown type {typ!r}.{did_you_mean(typ, ALL_TYPES)} "
                         f"Allowed: {', '.join(ALL_TYPES)}", file=file, field=f"{where}.type")
    if typ in EXTERNAL_TYPES:
        mod, cls = EXTERNAL_TYPES[typ].split(":")
        if "reference" not in entry:
            raise InputError(f"entry '{nm}' has no reference", file=file, field=f"{where}.reference")
        try:
            klass = getattr(importlib.import_module(mod), cls)
            term = klass.from_entry(entry, base_dir)
        except InputError:
            raise
        except (KeyError, ValueError, TypeError, FileNotFoundError) as e:
            raise InputError(f"entry '{nm}': {e}", file=file, field=where) from None
        for k, (oname, args) in enumerate(term.requests()):
            _check_observable(oname, {a: 0 for a in args}, file, f"{where}.observable")
        term.source_file = file
        return term
    try:
        e = SIMPLE[typ].model_validate(entry)
    except ValidationError as exc:
        raise pydantic_errors(exc, file, prefix=f"{where}({nm})") from None
    if typ == "multivariate_gaussian":
        for k, o in enumerate(e.observables):
            _check_observable(o.observable, o.args, file, f"{where}.observables[{k}].observable")
        term = MultivariateGaussianTerm(
            name=e.name, reference=_ref(e.reference), notes=e.notes,
            observables=[(o.observable, dict(o.args)) for o in e.observables],
            values=np.asarray(e.values), covariance=e._cov)
    else:
        _check_observable(e.observable, e.args, file, f"{where}.observable")
        common = dict(name=e.name, reference=_ref(e.reference), notes=e.notes,
                      observable=e.observable, args=dict(e.args))
        if typ == "gaussian":
            term = GaussianTerm(value=e.value, error=e.total_error(), **common)
        elif typ == "asymmetric_gaussian":
            term = AsymmetricGaussianTerm(value=e.value, error_up=e.error_up,
                                          error_down=e.error_down, **common)
        else:
            term = UpperLimitTerm(limit=e.limit, cl=e.cl, **common)
    term.source_file = file
    return term


def read_yaml(path: Path) -> dict:
    """Safe YAML read (no object construction) with a clear error."""
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {e}", file=str(path)) from None
    return data


# entry fields a run file may override through [likelihood] options
OVERRIDABLE = {
    "pyhf": ("nuisances", "sentinel_weight", "profile_iterations", "drop_ff_systematics"),
}


def load_file(path: str | Path, overrides: dict | None = None,
              file_for_errors: str = "") -> list:
    path = Path(path)
    data = read_yaml(path)
    file = str(path)
    if not isinstance(data, dict) or "entries" not in data:
        raise InputError("a likelihood file needs a top-level 'entries' list", file=file,
                         field="entries")
    unknown = [k for k in data if k not in ("entries", "source", "notes")]
    if unknown:
        raise InputError(f"unknown top-level key(s) {unknown}; allowed: entries, source, notes",
                         file=file, field=unknown[0])
    entries = data["entries"]
    if not isinstance(entries, list) or not entries:
        raise InputError("'entries' must be a non-empty list", file=file, field="entries")
    if overrides:
        entries = [_apply_overrides(e, overrides, file_for_errors) for e in entries]
    terms = [build_term(e, file, path.parent, i) for i, e in enumerate(entries)]
    names = [t.name for t in terms]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError(f"duplicate entry names {sorted(dup)}", file=file, field="entries")
    return terms


def _apply_overrides(entry, overrides: dict, run_file: str):
    if not isinstance(entry, dict) or entry.get("name") not in overrides:
        return entry
    nm = entry["name"]
    allowed = OVERRIDABLE.get(entry.get("type"), ())
    new = dict(entry)
    for k, v in overrides[nm].items():
        if k not in allowed:
            raise InputError(f"option '{k}' of likelihood entry '{nm}' cannot be set from a run "
                             f"file.{did_you_mean(k, allowed)} Allowed: "
                             f"{', '.join(allowed) or 'none for this entry type'}",
                             file=run_file or None, field=f"likelihood.options.{nm}.{k}")
        new[k] = v
    return new


def load_files(paths, include=None, exclude=None, file_for_errors: str = "",
               options: dict | None = None) -> list:
    terms = []
    for p in paths:
        terms.extend(load_file(p, options, file_for_errors))
    names = [t.name for t in terms]
    for n in (options or {}):
        if n not in names:
            raise InputError(f"options given for unknown likelihood entry '{n}'."
                             f"{did_you_mean(n, names)}", file=file_for_errors or None,
                             field=f"likelihood.options.{n}")
    for label, sel in (("include", include), ("exclude", exclude)):
        for n in sel or []:
            if n not in names:
                raise InputError(f"no likelihood entry named '{n}'.{did_you_mean(n, names)}",
                                 file=file_for_errors or None, field=f"likelihood.{label}")
    if include:
        terms = [t for t in terms if t.name in include]
    if exclude:
        terms = [t for t in terms if t.name not in exclude]
    seen = set()
    for t in terms:
        if t.name in seen:
            raise InputError(f"likelihood entry '{t.name}' appears in two files",
                             file=file_for_errors or None, field="likelihood.files")
        seen.add(t.name)
    return terms
