"""One cached reader for the data files shipped in ``bkfit/inputs/data/``.

Each file is parsed once per process (``functools.lru_cache``); every call returns a fresh
deep copy, so a caller that changes what it got cannot change what the next caller reads.
"""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import numpy as np
import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

# libyaml's parser when PyYAML was built with it (same safe constructor, ~10x faster on the
# large parameter and workspace files), else PyYAML's pure-Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream):
    """``yaml.safe_load`` through libyaml's parser where available: the same safe
    constructor (no object construction), the same data, several times faster."""
    return yaml.load(stream, Loader=_SAFE_LOADER)


def path(name: str) -> Path:
    """The path of data file ``name`` (e.g. ``'vlq.yaml'``); FileNotFoundError naming the
    files there if it does not exist."""
    p = DATA_DIR / name
    if not p.is_file():
        have = ", ".join(sorted(q.name for q in DATA_DIR.iterdir()))
        raise FileNotFoundError(f"no data file {name!r} in {DATA_DIR} (have: {have})")
    return p


@functools.lru_cache(maxsize=None)
def _parsed_yaml(name: str):
    with open(path(name)) as fh:
        return safe_load(fh)


def read_yaml(name: str):
    """The parsed YAML data file ``name`` (safe loader; a deep copy of the cached parse)."""
    return copy.deepcopy(_parsed_yaml(name))


@functools.lru_cache(maxsize=None)
def _values(name: str) -> dict:
    return {sec: {k: v["value"] for k, v in d.items()}
            for sec, d in _parsed_yaml(name).items()}


def read_values(name: str) -> dict:
    """A data file of sections of ``{name: {value: ..., reference: ...}}`` entries as
    ``{section: {name: value}}`` (higgs.yaml, vlq.yaml, vlq_constraints.yaml)."""
    return copy.deepcopy(_values(name))


@functools.lru_cache(maxsize=None)
def _csv_columns(name: str) -> tuple:
    header, rows = None, []
    with open(path(name)) as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if header is None:
                header = [c.strip() for c in line.split(",")]
                continue
            rows.append([float(c) for c in line.split(",")])
    tab = np.asarray(rows)
    if tab.ndim != 2 or header is None or tab.shape[1] != len(header):
        raise ValueError(f"{path(name)}: every row needs one number per header column")
    return tuple(header), tab


def read_csv(name: str) -> dict:
    """A numeric CSV data file (``#`` comment lines, one header line, then rows of numbers)
    as ``{column name: numpy array}`` (copies of the cached parse)."""
    header, tab = _csv_columns(name)
    return {h: tab[:, i].copy() for i, h in enumerate(header)}
