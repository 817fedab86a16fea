"""Likelihood term of type ``interpolated_upper_limit``: a mass-dependent upper limit curve
(e.g. a direct-detection 90 % CL limit on the DM-nucleon cross section against the DM mass).

Entry fields (``likelihoods/*.yaml``)::

    - name: xenon1t_migdal_2019
      type: interpolated_upper_limit
      observable: "sigma_SI_N(phi)"      # the constrained prediction
      args: {Z: 54, A: 131.293}          # its arguments (optional)
      mass_observable: "m(phi)"          # prediction giving the mass [GeV] at which to read the curve
      mass_args: {}                      # optional
      file: dd_migdal/XENON1T_Migdal_2019.csv   # relative to the YAML file
      mass_column: mass_GeV              # optional, default: first column
      limit_column: sigma_SI_cm2         # optional, default: second column
      limit_unit: cm2                    # unit of the CSV limits: cm2 | pb | GeV-2
      observable_unit: cm2               # unit of the observable's prediction (same choices)
      cl: 0.90                           # confidence level of the curve, 0 < cl < 1
      digitisation_uncertainty: 0.2      # relative uncertainty of the digitised curve, >= 0
      reference: {citation: "arXiv:1907.12771", where: "Fig. 4"}
      notes: "..."

The CSV has a header line (column names), then ``mass, limit`` rows; lines starting with ``#``
are comments.  Masses must be strictly increasing and positive, limits positive.

Likelihood.  At the predicted mass m inside the tabulated range the limit L(m) is interpolated
linearly in (ln m, ln L) and turned into a half-Gaussian at zero, as for ``upper_limit``:
log L = -x^2 / (2 sigma^2) for the prediction x >= 0 (x < 0 counts as 0), with
sigma = L(m) / (sqrt(2) erfinv(cl)) * sqrt(1 + d^2), d = ``digitisation_uncertainty``: the
half-Gaussian width and a relative uncertainty d of the digitised curve added in quadrature
(d = 0 gives exactly P(x < L) = cl).  Outside the tabulated mass range the term contributes
nothing (log L = 0): the experiment published no limit there; if a curve ends because the
sensitivity vanishes (low-mass end) this is exact, at the high-mass end a stronger
non-Migdal search usually takes over and must be added as its own entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from scipy.special import erfinv

from .base import Reference, Term

ENTRY_KEYS = {"name", "type", "observable", "args", "mass_observable", "mass_args", "file",
              "mass_column", "limit_column", "limit_unit", "observable_unit", "cl",
              "digitisation_uncertainty", "reference", "notes"}
REQUIRED = ("name", "observable", "mass_observable", "file", "cl", "limit_unit",
            "observable_unit", "reference")


def unit_factors() -> dict:
    """Cross-section units -> factor to cm^2 (GeV^-2 via hbar c from cosmology.yaml)."""
    from ..physics.relic import cosmology
    hbarc = cosmology()["hbar_c"]            # GeV cm
    return {"cm2": 1.0, "pb": 1e-36, "GeV-2": hbarc ** 2}


def read_curve(path: Path, mass_column=None, limit_column=None):
    """(masses, limits) from a CSV with a header line; '#' lines are comments."""
    header, rows = None, []
    with open(path) as fh:
        for k, line in enumerate(fh, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            cells = [c.strip() for c in s.split(",")]
            if header is None:
                header = cells
                continue
            try:
                rows.append([float(c) for c in cells])
            except ValueError:
                raise ValueError(f"{path}: line {k}: not numbers: {s!r}") from None
            if len(cells) != len(header):
                raise ValueError(f"{path}: line {k}: {len(cells)} columns, header has "
                                 f"{len(header)}")
    if header is None or len(rows) < 2:
        raise ValueError(f"{path}: needs a header line and at least two rows")
    tab = np.asarray(rows, float)

    def col(name, default):
        if name is None:
            return tab[:, default]
        if name not in header:
            raise ValueError(f"{path}: no column {name!r}; columns are {header}")
        return tab[:, header.index(name)]

    m, lim = col(mass_column, 0), col(limit_column, 1)
    if not np.all(np.isfinite(m)) or not np.all(np.isfinite(lim)):
        raise ValueError(f"{path}: non-finite numbers")
    if np.any(m <= 0):
        raise ValueError(f"{path}: masses must be positive")
    if not np.all(np.diff(m) > 0):
        k = int(np.argmax(np.diff(m) <= 0))
        raise ValueError(f"{path}: masses must increase strictly (row {k + 2}: {m[k + 1]} after "
                         f"{m[k]})")
    if np.any(lim <= 0):
        raise ValueError(f"{path}: limits must be positive (row {int(np.argmax(lim <= 0)) + 1})")
    return m, lim


@dataclass
class InterpolatedUpperLimitTerm(Term):
    """Upper limit that depends on a mass: the limit curve ``limits(masses)`` (masses in GeV) is
    interpolated log-log at the predicted mass; outside the curve's mass range the term is 0."""
    observable: str = ""
    args: dict = field(default_factory=dict)
    mass_observable: str = ""
    mass_args: dict = field(default_factory=dict)
    masses: np.ndarray = None          # GeV, increasing
    limits: np.ndarray = None          # in the observable's unit
    cl: float = 0.9
    digitisation_uncertainty: float = 0.0
    file: str = ""

    def __post_init__(self):
        self.masses = np.asarray(self.masses, float)
        self.limits = np.asarray(self.limits, float)
        if self.masses.ndim != 1 or self.masses.shape != self.limits.shape or self.masses.size < 2:
            raise ValueError(f"likelihood term '{self.name}': masses and limits must be 1-d "
                             "arrays of the same length (>= 2)")
        if not np.all(np.diff(self.masses) > 0) or np.any(self.masses <= 0):
            raise ValueError(f"likelihood term '{self.name}': masses must be positive and "
                             "strictly increasing")
        if np.any(self.limits <= 0) or not np.all(np.isfinite(self.limits)):
            raise ValueError(f"likelihood term '{self.name}': limits must be finite and > 0")
        if not 0 < self.cl < 1:
            raise ValueError(f"likelihood term '{self.name}': cl must lie in (0, 1), got "
                             f"{self.cl}")
        if not (np.isfinite(self.digitisation_uncertainty)
                and self.digitisation_uncertainty >= 0):
            raise ValueError(f"likelihood term '{self.name}': digitisation_uncertainty must be "
                             f">= 0, got {self.digitisation_uncertainty}")
        self._lnm = jnp.asarray(np.log(self.masses))
        self._lnl = jnp.asarray(np.log(self.limits))
        self._zfac = float(np.sqrt(2.0) * erfinv(self.cl)
                           / np.sqrt(1.0 + self.digitisation_uncertainty ** 2))

    # ------------------------------------------------------------------ interface
    @classmethod
    def from_entry(cls, entry: dict, base_dir: Path):
        """Build the term from a likelihood-file entry (curve file paths relative to ``base_dir``);
        ValueError for unknown or missing fields."""
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}; allowed: "
                             f"{', '.join(sorted(ENTRY_KEYS))}")
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise ValueError(f"missing field(s) {missing}")
        units = unit_factors()
        for k in ("limit_unit", "observable_unit"):
            if entry[k] not in units:
                raise ValueError(f"{k} = {entry[k]!r}; allowed: {', '.join(units)}")
        cl = entry["cl"]
        if not isinstance(cl, (int, float)) or isinstance(cl, bool) or not 0 < cl < 1:
            raise ValueError(f"cl = {cl!r}: must be a number in (0, 1), e.g. 0.90")
        d = entry.get("digitisation_uncertainty", 0.0)
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not (np.isfinite(d)
                                                                          and d >= 0):
            raise ValueError(f"digitisation_uncertainty = {d!r}: must be a number >= 0 "
                             "(a fraction, e.g. 0.2)")
        for k in ("args", "mass_args"):
            if k in entry and not isinstance(entry[k], dict):
                raise ValueError(f"'{k}' must be a mapping")
        path = Path(base_dir) / str(entry["file"])
        if not path.is_file():
            raise FileNotFoundError(f"limit curve file not found: {path}")
        m, lim = read_curve(path, entry.get("mass_column"), entry.get("limit_column"))
        lim = lim * units[entry["limit_unit"]] / units[entry["observable_unit"]]
        ref = entry["reference"]
        if not isinstance(ref, dict) or "citation" not in ref:
            raise ValueError("reference must be a mapping with a 'citation'")
        return cls(name=str(entry["name"]),
                   reference=Reference(str(ref["citation"]), str(ref.get("where", "")),
                                       str(ref.get("notes", ""))),
                   notes=str(entry.get("notes", "")),
                   observable=str(entry["observable"]), args=dict(entry.get("args", {})),
                   mass_observable=str(entry["mass_observable"]),
                   mass_args=dict(entry.get("mass_args", {})),
                   masses=m, limits=lim, cl=float(cl), digitisation_uncertainty=float(d),
                   file=str(path))

    def requests(self):
        """The limited observable and the mass observable, in that order."""
        return [(self.observable, self.args), (self.mass_observable, self.mass_args)]

    @property
    def mass_range(self) -> tuple[float, float]:
        """(lowest, highest) mass of the limit curve in GeV."""
        return float(self.masses[0]), float(self.masses[-1])

    def limit_at(self, m):
        """Log-log interpolated limit at mass m (clamped to the curve's range)."""
        lnm = jnp.log(jnp.clip(jnp.asarray(m, float), self.masses[0], self.masses[-1]))
        return jnp.exp(jnp.interp(lnm, self._lnm, self._lnl))

    def sigma_at(self, m):
        """Half-Gaussian width at mass m (digitisation uncertainty included)."""
        return self.limit_at(m) / self._zfac

    def log_likelihood(self, preds, nuis):
        """Half-Gaussian penalty ``-x^2 / (2 sigma(m)^2)`` for the prediction x >= 0 at mass m, 0
        outside the curve's mass range."""
        x = jnp.maximum(jnp.asarray(preds[0], float), 0.0)
        m = jnp.asarray(preds[1], float)
        inside = (m >= self.masses[0]) & (m <= self.masses[-1])
        ll = -0.5 * (x / self.sigma_at(m)) ** 2
        return jnp.where(inside, ll, 0.0)

    def describe(self) -> str:
        """One-line description with the confidence level and mass range."""
        lo, hi = self.mass_range
        return (f"{self.name}: {self.observable} < curve({self.mass_observable}) at "
                f"{100 * self.cl:g} % CL, {lo:g}-{hi:g} GeV")
