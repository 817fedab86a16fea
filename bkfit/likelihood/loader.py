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
import re
from pathlib import Path
from typing import Annotated, Literal, Optional

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from .. import observables as obsreg
from ..errors import InputError, StrictModel, YamlFloat, check_finite_tree, did_you_mean, \
    pydantic_errors, refuse_unknown_keys
from ..inputs.data_files import safe_load as _yaml_load
from .base import RefModel, Reference
from .terms import AsymmetricGaussianTerm, GaussianTerm, MultivariateGaussianTerm, UpperLimitTerm

# types implemented in other modules: type -> "module:Class" with a from_entry(entry, base_dir)
EXTERNAL_TYPES = {
    "pyhf": "bkfit.likelihood.pyhf_term:PyhfTerm",
    "interpolated_upper_limit": "bkfit.likelihood.interpolated_limit:InterpolatedUpperLimitTerm",
}


# the bounds of numeric fields are the term types' own declarations (Term.arg_constraints)
_GAUSS = GaussianTerm.arg_constraints
_ASYM = AsymmetricGaussianTerm.arg_constraints
_LIMIT = UpperLimitTerm.arg_constraints


class ObsRef(StrictModel):
    """Schema of one observable of a multivariate entry: name and arguments."""
    observable: str = Field(description="observable name (`bkfit list observables`)")
    args: dict[str, YamlFloat] = Field(default_factory=dict)


class _Base(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.:+\-]+$",
                      description="unique entry name: letters, digits, '_', '.', ':', '+', '-'")
    reference: RefModel = Field(description="{citation: arXiv id or DOI, where: table/figure}")
    notes: str = ""


class GaussianEntry(_Base):
    """Schema of a ``type: gaussian`` entry: value with one error or errors added in quadrature."""
    type: Literal["gaussian"]
    observable: str = Field(description="observable name (`bkfit list observables`)")
    args: dict[str, YamlFloat] = Field(default_factory=dict)
    value: YamlFloat = Field(description="measured central value")
    error: Optional[Annotated[YamlFloat, _GAUSS["error"]]] = Field(
        default=None, description="uncertainty, > 0")
    errors: Optional[list[Annotated[YamlFloat, _GAUSS["error"]]]] = Field(
        default=None, description="uncertainties added in quadrature, each > 0")
    relative_theory_error: Annotated[YamlFloat, _GAUSS["relative_error"]] = Field(
        default=0.0,
        description="theory uncertainty as a fraction of the *prediction* (0 <= r < 1), "
                    "added in quadrature; the density stays normalised")

    @model_validator(mode="after")
    def _err(self):
        if (self.error is None) == (self.errors is None):
            raise ValueError("give exactly one of 'error' (a positive number) or 'errors' "
                             "(a list of positive numbers added in quadrature)")
        return self

    def total_error(self) -> float:
        """``error``, or the quadrature sum of ``errors``."""
        if self.error is not None:
            return float(self.error)
        return float(np.sqrt(np.sum(np.square(self.errors))))


class AsymGaussianEntry(_Base):
    """Schema of a ``type: asymmetric_gaussian`` entry: value with separate up and down errors."""
    type: Literal["asymmetric_gaussian"]
    observable: str = Field(description="observable name (`bkfit list observables`)")
    args: dict[str, YamlFloat] = Field(default_factory=dict)
    value: YamlFloat = Field(description="measured central value")
    error_up: Annotated[YamlFloat, _ASYM["error_up"]] = Field(
        description="upward uncertainty, > 0")
    error_down: Annotated[YamlFloat, _ASYM["error_down"]] = Field(
        description="downward uncertainty, > 0 (a positive number, not a signed one)")


class UpperLimitEntry(_Base):
    """Schema of a ``type: upper_limit`` entry: a limit and its confidence level."""
    type: Literal["upper_limit"]
    observable: str = Field(description="observable name (`bkfit list observables`)")
    args: dict[str, YamlFloat] = Field(default_factory=dict)
    limit: Annotated[YamlFloat, _LIMIT["limit"]] = Field(description="the upper limit, > 0")
    cl: Annotated[YamlFloat, _LIMIT["cl"]] = Field(
        description="confidence level of the limit, 0 < cl < 1, e.g. 0.90")


class MVGaussianEntry(_Base):
    """Schema of a ``type: multivariate_gaussian`` entry: values with a covariance matrix, or
    errors plus a correlation matrix."""
    type: Literal["multivariate_gaussian"]
    observables: list[ObsRef] = Field(min_length=2)
    values: list[YamlFloat] = Field(description="measured central values, one per observable")
    covariance: Optional[list[list[YamlFloat]]] = None
    errors: Optional[list[YamlFloat]] = None
    correlation: Optional[list[list[YamlFloat]]] = None

    @model_validator(mode="after")
    def _cov(self):
        # MatrixError carries the field; pydantic_errors reports it at entries[i].<field>
        self._cov = mv_covariance(self)
        return self


class MatrixError(ValueError):
    """A malformed covariance, error or correlation field of a multivariate entry; ``field``
    names the field at fault."""
    def __init__(self, field: str, msg: str):
        super().__init__(f"{field}: {msg}")
        self.field, self.msg = field, msg


def mv_covariance(e: "MVGaussianEntry") -> np.ndarray:
    """The covariance of a multivariate entry; MatrixError(field, message) if it is not a
    symmetric positive-definite n x n matrix (or errors/correlation are malformed)."""
    n = len(e.observables)
    if len(e.values) != n:
        raise MatrixError("values", f"{len(e.values)} numbers for {n} observables")
    if e.covariance is None:
        if e.errors is None or e.correlation is None:
            raise MatrixError("covariance", "give 'covariance', or 'errors' and 'correlation'")
        if len(e.errors) != n:
            raise MatrixError("errors", f"{len(e.errors)} numbers for {n} observables")
        if len(e.correlation) != n or any(len(row) != n for row in e.correlation):
            raise MatrixError("correlation", f"must be a {n}x{n} matrix")
        err = np.asarray(e.errors, float)
        c = np.asarray(e.correlation, float)
        if np.any(err <= 0):
            raise MatrixError("errors", f"uncertainties must be positive, got {e.errors}")
        bad = np.argwhere(np.abs(c) > 1)
        if bad.size:
            i, j = bad[0]
            raise MatrixError(f"correlation[{i}][{j}]",
                              f"{c[i, j]} is outside the allowed range [-1, 1]")
        if not np.allclose(np.diag(c), 1.0):
            raise MatrixError("correlation", f"the diagonal must be 1, got {np.diag(c).tolist()}")
        if not np.allclose(c, c.T):
            raise MatrixError("correlation", "the matrix is not symmetric")
        cov = c * np.outer(err, err)
        fld = "correlation"
    else:
        if e.errors is not None or e.correlation is not None:
            raise MatrixError("covariance", "give 'covariance' or 'errors' + 'correlation', "
                                            "not both")
        if len(e.covariance) != n or any(len(row) != n for row in e.covariance):
            raise MatrixError("covariance", f"must be a {n}x{n} matrix")
        cov = np.asarray(e.covariance, float)
        if np.any(np.diag(cov) <= 0):
            raise MatrixError("covariance", "the diagonal (variances) must be positive, got "
                                            f"{np.diag(cov).tolist()}")
        if not np.allclose(cov, cov.T, rtol=1e-9, atol=0.0):
            raise MatrixError("covariance", "the matrix is not symmetric")
        fld = "covariance"
    sd = np.sqrt(np.diag(cov))
    eig = np.linalg.eigvalsh(cov / np.outer(sd, sd))
    if np.any(eig <= 1e-12):
        raise MatrixError(fld, f"the matrix is not positive definite (smallest eigenvalue of "
                               f"the correlation matrix {eig.min():.3g}); allowed: a symmetric "
                               "positive-definite matrix")
    return cov


SIMPLE = {"gaussian": GaussianEntry, "asymmetric_gaussian": AsymGaussianEntry,
          "upper_limit": UpperLimitEntry, "multivariate_gaussian": MVGaussianEntry}
ALL_TYPES = list(SIMPLE) + list(EXTERNAL_TYPES)


_MODE_RE = re.compile(r"\((B[+0])->(K\*?)")


def _q2_limit(name: str):
    """(q2 endpoint in GeV^2, mode) for B -> K(*) observables, else None."""
    m = _MODE_RE.search(name)
    if not m:
        return None
    from ..inputs import load_db
    from ..physics.bsnunu import MODES, q2max
    mode = f"{m.group(1)}->{m.group(2)}"
    if mode not in MODES:
        return None
    return float(q2max(mode, load_db().central)), mode


def _check_observable(name: str, args: dict, file: str, field: str, values: bool = True,
                      catalogue=None):
    try:
        spec = obsreg.get(name, catalogue)
    except obsreg.UnknownObservable as e:
        raise InputError(str(e.args[0]), file=file, field=field) from None
    afield = field.replace("observable", "args")
    if not isinstance(args, dict):
        raise InputError(f"'args' must be a mapping such as {{q2min: 1.0, q2max: 6.0}}",
                         file=file, field=afield)
    try:
        obsreg.check_args(name, args, catalogue)
    except ValueError as e:
        hint = "".join(did_you_mean(a, spec.args) for a in args if a not in spec.args)
        raise InputError(str(e) + "." + hint, file=file, field=afield) from None
    if not values or not args or not all(isinstance(v, (int, float)) for v in args.values()):
        return   # array arguments (external terms) are checked by their own code
    lim = _q2_limit(name)
    if "q2min" in args and "q2max" in args and not args["q2min"] < args["q2max"]:
        raise InputError(f"empty q2 bin: q2min ({args['q2min']}) must be below q2max "
                         f"({args['q2max']})", file=file, field=afield)
    for k in ("q2", "q2min", "q2max"):
        if k in args and args[k] < 0:
            raise InputError(f"{k} = {args[k]} is negative; allowed: q2 >= 0 (GeV^2)",
                             file=file, field=f"{afield}.{k}")
    if lim is not None:
        top, mode = lim
        lo = args.get("q2", args.get("q2min"))
        if lo is not None and lo > top:
            raise InputError(f"q2 = {lo} GeV^2 is outside the kinematic range of {mode}: "
                             f"allowed 0 <= q2 <= (m_B - m_K)^2 = {top:.4g} GeV^2",
                             file=file, field=f"{afield}.{'q2' if 'q2' in args else 'q2min'}")


def _ref(r: RefModel) -> Reference:
    return Reference(r.citation, r.where, r.notes)


def build_term(entry: dict, file: str, base_dir: Path, idx: int, catalogue=None):
    """The likelihood term of one entry; its observables are checked against ``catalogue``
    (default: :func:`bkfit.observables.default_catalogue`)."""
    where = f"entries[{idx}]"
    if not isinstance(entry, dict):
        raise InputError("each entry must be a mapping", file=file, field=where)
    typ = entry.get("type")
    nm = entry.get("name", where)
    if typ is None:
        raise InputError(f"entry '{nm}' has no 'type'. Allowed: {', '.join(ALL_TYPES)}",
                         file=file, field=f"{where}.type")
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
            _check_observable(oname, {a: 0 for a in args}, file, f"{where}.observable",
                              values=False, catalogue=catalogue)
        term.source_file = file
        return term
    try:
        e = SIMPLE[typ].model_validate(entry)
    except ValidationError as exc:
        raise pydantic_errors(exc, file, prefix=f"{where}({nm})", model=SIMPLE[typ]) from None
    if typ == "multivariate_gaussian":
        for k, o in enumerate(e.observables):
            _check_observable(o.observable, o.args, file, f"{where}.observables[{k}].observable",
                              catalogue=catalogue)
        term = MultivariateGaussianTerm(
            name=e.name, reference=_ref(e.reference), notes=e.notes,
            observables=[(o.observable, dict(o.args)) for o in e.observables],
            values=np.asarray(e.values), covariance=e._cov)
    else:
        _check_observable(e.observable, e.args, file, f"{where}.observable",
                          catalogue=catalogue)
        common = dict(name=e.name, reference=_ref(e.reference), notes=e.notes,
                      observable=e.observable, args=dict(e.args))
        if typ == "gaussian":
            term = GaussianTerm(value=e.value, error=e.total_error(),
                                relative_error=e.relative_theory_error, **common)
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
            data = _yaml_load(fh)
    except FileNotFoundError:
        hint = ""
        parent = Path(path).parent
        if parent.is_dir():
            hint = did_you_mean(Path(path).name, [p.name for p in parent.iterdir()])
        raise InputError(f"file not found.{hint}", file=str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the file as text: {e}", file=str(path)) from None
    except yaml.constructor.ConstructorError as e:
        mark = f" ({str(e.problem_mark).strip()})" if e.problem_mark else ""
        raise InputError(f"refused: YAML tag {getattr(e, 'problem', '')!s}{mark}. Input files "
                         "are read with the safe loader; tags that build Python objects "
                         "(!!python/...) or other custom tags are not allowed",
                         file=str(path)) from None
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {e}", file=str(path)) from None
    return data


# entry fields a run file may override through [likelihood] options
OVERRIDABLE = {
    "pyhf": ("nuisances", "sentinel_weight", "profile_iterations", "profile_start",
             "drop_ff_systematics"),
}


def load_file(path: str | Path, overrides: dict | None = None,
              file_for_errors: str = "", catalogue=None) -> list:
    """The terms of one likelihood file (observables looked up in ``catalogue``; None: the
    default catalogue)."""
    path = Path(path)
    data = read_yaml(path)
    file = str(path)
    if data is None:
        raise InputError("the likelihood file is empty; it needs a top-level 'entries' list",
                         file=file, field="entries")
    refuse_unknown_keys(data, ("entries", "source", "notes"), file)
    if not isinstance(data, dict) or "entries" not in data:
        raise InputError("a likelihood file needs a top-level 'entries' list", file=file,
                         field="entries")
    entries = data["entries"]
    if not isinstance(entries, list) or not entries:
        raise InputError("'entries' must be a non-empty list", file=file, field="entries")
    check_finite_tree(data, file)
    raw_names = [e.get("name") for e in entries if isinstance(e, dict)]
    dup = sorted({str(n) for n in raw_names if n is not None and raw_names.count(n) > 1})
    if dup:
        raise InputError(f"duplicate entry names {dup}; every entry needs a unique name",
                         file=file, field=f"entries[{raw_names.index(dup[0])}].name"
                         if dup[0] in raw_names else "entries")
    if overrides:
        entries = [_apply_overrides(e, overrides, file_for_errors) for e in entries]
    terms = [build_term(e, file, path.parent, i, catalogue) for i, e in enumerate(entries)]
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
               options: dict | None = None, catalogue=None) -> list:
    """The selected terms of several likelihood files (see :func:`load_file`)."""
    terms = []
    for p in paths:
        terms.extend(load_file(p, options, file_for_errors, catalogue))
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
