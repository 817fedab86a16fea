"""Cosmological inputs of the relic-density calculation (bkfit.physics.relic), read from
``bkfit/inputs/data/cosmology.yaml`` (constants, each with its reference) and the g*(T) table
it names (``gstar_DHS2015.csv``, Drees-Hajkarim-Schmitz, arXiv:1503.03513)."""
from __future__ import annotations

import numpy as np

from .data_files import read_csv, read_yaml


def cosmology() -> dict:
    """The constants of ``cosmology.yaml`` as ``name -> float`` (plus the g* file name
    under ``'gstar_file'``); a fresh dict on every call."""
    raw = read_yaml("cosmology.yaml")
    out = {k: float(v["value"]) for k, v in raw.items() if isinstance(v, dict) and "value" in v}
    out["gstar_file"] = raw["gstar_table"]["file"]
    return out


def gstar_table() -> np.ndarray:
    """The g* table as an array (3, n): temperatures T [GeV] (increasing), g_s(T), g_rho(T);
    ValueError if the temperatures do not increase or a g* is not positive."""
    name = cosmology()["gstar_file"]
    cols = read_csv(name)
    T, gs, gr = cols["T_GeV"], cols["g_s"], cols["g_rho"]
    if not (np.all(np.diff(T) > 0) and np.all(gs > 0) and np.all(gr > 0)):
        raise ValueError(f"{name}: temperatures must increase and g* be positive")
    return np.stack([T, gs, gr])
