"""Errors raised for bad input, before any compilation or sampling."""
from __future__ import annotations

import difflib


class InputError(ValueError):
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


def did_you_mean(name: str, choices, n: int = 3, cutoff: float = 0.5) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def pydantic_errors(exc, file: str, prefix: str = "") -> InputError:
    """Turn a pydantic ValidationError into an InputError naming the first bad field."""
    errs = exc.errors()
    parts = []
    first_field = None
    for e in errs[:5]:
        loc = ".".join(str(x) for x in e["loc"])
        if prefix:
            loc = f"{prefix}.{loc}" if loc else prefix
        first_field = first_field or loc
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field (not allowed here)"
        parts.append(f"'{loc}': {msg}")
    text = "; ".join(parts)
    err = InputError(text, file=file)
    err.field = first_field
    return err
