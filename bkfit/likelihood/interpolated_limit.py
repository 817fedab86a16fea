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
from typing import Annotated, ClassVar, Literal, Optional

import jax.numpy as jnp
import numpy as np
from annotated_types import Interval
from pydantic import Field, ValidationError
from scipy.special import erfinv

from ..errors import StrictModel, YamlFloat, pydantic_errors
from .base import RefModel, Reference, Term

CONSTRAINTS = {"cl": Interval(gt=0, lt=1), "digitisation_uncertainty": Interval(ge=0)}


class LimitEntry(StrictModel):
    """Schema of a ``type: interpolated_upper_limit`` entry (fields as in the module
    docstring; the bounds of ``cl`` and ``digitisation_uncertainty`` are the term's own
    ``arg_constraints``)."""
    name: str
    type: Literal["interpolated_upper_limit"] = "interpolated_upper_limit"
    observable: str = Field(description="the constrained observable")
    args: dict = Field(default_factory=dict)
    mass_observable: str = Field(description="observable giving the mass [GeV]")
    mass_args: dict = Field(default_factory=dict)
    file: str = Field(description="CSV limit curve, relative to the likelihood file")
    mass_column: Optional[str] = None
    limit_column: Optional[str] = None
    limit_unit: str = Field(description="cm2 | pb | GeV-2")
    observable_unit: str = Field(description="cm2 | pb | GeV-2")
    cl: Annotated[YamlFloat, CONSTRAINTS["cl"]] = Field(
        description="confidence level of the curve, 0 < cl < 1, e.g. 0.90")
    digitisation_uncertainty: Annotated[YamlFloat, CONSTRAINTS["digitisation_uncertainty"]] = \
        Field(default=0.0, description="relative uncertainty of the digitised curve, >= 0")
    reference: RefModel
    notes: str = ""


def unit_factors() -> dict:
    """Cross-section units -> factor to cm^2 (GeV^-2 via hbar c from cosmology.yaml)."""
    from ..inputs.cosmology import cosmology
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
    arg_constraints: ClassVar[dict] = CONSTRAINTS

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
        self.check_args()
        self.cl = float(self.cl)
        self.digitisation_uncertainty = float(self.digitisation_uncertainty)
        self._lnm = jnp.asarray(np.log(self.masses))
        self._lnl = jnp.asarray(np.log(self.limits))
        self._zfac = float(np.sqrt(2.0) * erfinv(self.cl)
                           / np.sqrt(1.0 + self.digitisation_uncertainty ** 2))

    # ------------------------------------------------------------------ interface
    @classmethod
    def from_entry(cls, entry: dict, base_dir: Path):
        """Build the term from a likelihood-file entry (curve file paths relative to ``base_dir``);
        ValueError for unknown or missing fields."""
        try:
            e = LimitEntry.model_validate(entry)
        except ValidationError as exc:
            err = pydantic_errors(exc, "", model=LimitEntry)
            one = not err.message.startswith("field '")     # several errors name their fields
            raise ValueError(f"field '{err.field}': {err.message}" if one else err.message) \
                from None
        units = unit_factors()
        for k in ("limit_unit", "observable_unit"):
            if getattr(e, k) not in units:
                raise ValueError(f"{k} = {getattr(e, k)!r}; allowed: {', '.join(units)}")
        path = Path(base_dir) / e.file
        if not path.is_file():
            raise FileNotFoundError(f"limit curve file not found: {path}")
        m, lim = read_curve(path, e.mass_column, e.limit_column)
        lim = lim * units[e.limit_unit] / units[e.observable_unit]
        return cls(name=e.name, reference=Reference(e.reference.citation, e.reference.where,
                                                    e.reference.notes),
                   notes=e.notes, observable=e.observable, args=dict(e.args),
                   mass_observable=e.mass_observable, mass_args=dict(e.mass_args),
                   masses=m, limits=lim, cl=e.cl,
                   digitisation_uncertainty=e.digitisation_uncertainty, file=str(path))

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
