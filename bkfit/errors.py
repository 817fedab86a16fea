"""Errors raised for bad input, before any compilation or sampling; the strict base class,
"did you mean" hints and validated number types that every input schema uses."""
from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict


class BkfitError(Exception):
    """Base class of the errors bkfit raises on purpose (bkfit/cli maps each to an exit code)."""


class InputError(BkfitError, ValueError):
    """Bad input in a file: says which file, which field, and what is allowed."""

    def __init__(self, message: str, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        self.message = message
        where = ""
        if file:
            where += f"{file}: "
        if field:
            where += f"field '{field}': "
        super().__init__(where + message)


class ModelError(BkfitError, ValueError):
    """Invalid model name, model options or parameter values.

    ``field`` is what is at fault: a key of the run file's [model] table (``"name"`` for an
    unknown model, an option such as ``"couplings"``, or ``"fixed.<name>"`` for one entry of
    a table option), or, for the values handed to ``coefficients``, the parameter name; None
    where no single key is at fault.  Raised before any compilation or sampling.
    """

    def __init__(self, message: str, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(message)

    def __reduce__(self):
        return type(self), (self.message, self.field)


class RunFailed(BkfitError):
    """A run stopped after it started (numerical-health check or sampling); its log says why."""


class RunInterrupted(BkfitError):
    """A run was interrupted (Ctrl-C); its progress is kept in the checkpoint for resuming."""


def close_matches(name: str, choices, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The (at most ``n``) choices closest to ``name``, best first (difflib)."""
    return difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)


def did_you_mean(name: str, choices, n: int = 3, cutoff: float = 0.5) -> str:
    """`` Did you mean 'a', 'b'?`` for the choices close to ``name``, or ``""``."""
    close = close_matches(name, choices, n=n, cutoff=cutoff)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def refuse_unknown_keys(data, allowed, file: str, what: str = "top-level key(s)"):
    """Raise InputError naming the first key of mapping ``data`` that is not in ``allowed``."""
    extra = [k for k in data if k not in allowed] if isinstance(data, dict) else []
    if extra:
        raise InputError(f"unknown {what} {extra}.{did_you_mean(str(extra[0]), allowed)} "
                         f"Allowed: {', '.join(allowed)}", file=file, field=str(extra[0]))


class StrictModel(BaseModel):
    """Base of every input schema: unknown fields and NaN / inf are refused."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# ----------------------------------------------------------------------- number types
# pydantic's lax mode turns True into 1.0 and "0.9" into 0.9.  Input files must hold real
# numbers: booleans are refused everywhere; strings are refused in TOML (which has typed
# numbers) and accepted in YAML only when they spell a number, because YAML 1.1 (PyYAML)
# reads an exponent without a dot or sign, e.g. ``1e-5``, as a string.
def _no_bool(v):
    if isinstance(v, bool):
        raise ValueError(f"expected a number, got the boolean {v}")
    return v


def _toml_number(v):
    _no_bool(v)
    if isinstance(v, str):
        raise ValueError(f"expected a number, got the string {v!r} (remove the quotes)")
    return v


def _yaml_number(v):
    _no_bool(v)
    if isinstance(v, str):
        try:
            x = float(v.replace("_", ""))
        except ValueError:
            raise ValueError(f"expected a number, got the string {v!r}") from None
        if not math.isfinite(x):
            raise ValueError(f"expected a finite number, got {v!r}")
        return x
    return v


TomlFloat = Annotated[float, BeforeValidator(_toml_number)]
TomlInt = Annotated[int, BeforeValidator(_toml_number)]
YamlFloat = Annotated[float, BeforeValidator(_yaml_number)]


def _is_finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_finite_tree(data, file: str, path: str = ""):
    """Refuse NaN / inf anywhere in a parsed file (YAML '.nan', '.inf'; TOML nan, inf)."""
    if isinstance(data, float) and not math.isfinite(data):
        raise InputError(f"{data} is not allowed: every number must be finite", file=file,
                         field=path or None)
    if isinstance(data, dict):
        for k, v in data.items():
            check_finite_tree(v, file, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            check_finite_tree(v, file, f"{path}[{i}]")


# ----------------------------------------------------------------- pydantic -> InputError
def _unwrap(ann):
    """The pydantic model class (or None) a field annotation leads to, and whether the next
    location part is a container index/key to skip."""
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _unwrap(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else (None, False)
    if origin in (list, tuple, dict):
        args = typing.get_args(ann)
        inner = args[-1] if args else None
        cls, _ = _unwrap(inner) if inner is not None else (None, False)
        return cls, True
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, False
    return None, False


def model_at(model, loc) -> type | None:
    """The pydantic model class that holds the field at ``loc`` (a pydantic error loc)."""
    cls = model
    parts = list(loc)
    i = 0
    while i < len(parts) and cls is not None:
        part = parts[i]
        if part not in cls.model_fields:
            return None
        sub, container = _unwrap(cls.model_fields[part].annotation)
        i += 2 if container else 1
        cls = sub
    return cls


def _field_info(model, loc):
    if model is None or not loc:
        return None, None
    holder = model_at(model, loc[:-1]) if len(loc) > 1 else model
    if holder is None:
        return None, None
    return holder, holder.model_fields.get(loc[-1])


def pydantic_errors(exc, file: str, prefix: str = "", model=None) -> InputError:
    """Turn a pydantic ValidationError into an InputError naming the first bad field.

    With ``model`` (the validated class), unknown keys get "did you mean" and the list of
    allowed keys, and missing keys get the field's description."""
    errs = exc.errors()
    parts = []
    first_field = None
    for e in errs[:5]:
        raw_loc = tuple(e["loc"])
        msg = e["msg"]
        cause = (e.get("ctx") or {}).get("error")
        if getattr(cause, "field", None):       # a validator that names the bad field
            raw_loc += (cause.field,)
            msg = getattr(cause, "msg", msg)
        loc = ".".join(str(x) for x in raw_loc)
        if prefix:
            loc = f"{prefix}.{loc}" if loc else prefix
        first_field = first_field or loc
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        holder, info = _field_info(model, raw_loc)
        if e["type"] == "extra_forbidden":
            msg = "unknown field (not allowed here)."
            if holder is not None:
                allowed = list(holder.model_fields)
                msg += f"{did_you_mean(raw_loc[-1], allowed)} Allowed: {', '.join(allowed)}"
        elif e["type"] == "missing":
            msg = "required field is missing"
            if info is not None and info.description:
                msg += f" ({info.description})"
        elif e["type"] == "literal_error":
            expected = (e.get("ctx") or {}).get("expected", "")
            choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
            msg += "." + did_you_mean(e.get("input"), [c for c in choices if c])
        elif info is not None and info.description and e["type"] not in ("value_error",):
            msg += f" ({info.description})"
        parts.append((loc, msg))
    if len(parts) == 1:
        return InputError(parts[0][1], file=file, field=parts[0][0])
    text = "; ".join(f"field '{loc}': {msg}" for loc, msg in parts)
    if len(errs) > 5:
        text += f"; ... and {len(errs) - 5} more"
    err = InputError(text, file=file)
    err.field = first_field
    return err
