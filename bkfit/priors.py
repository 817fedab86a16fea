"""Prior files (``priors/*.yaml``) -> numpyro distributions.

Format::

    parameters:
      CL_bsnutaunutau: {dist: uniform, low: -20, high: 20}
      "CR_bsnu*":      {dist: normal, mu: 0, sigma: 5}     # fnmatch pattern
      m_phi:           {dist: loguniform, low: 0.01, high: 2.3}
      g:               {dist: halfnormal, sigma: 1}

The first exact name wins over patterns; patterns are tried in file order.
"""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Literal, Union

import numpyro.distributions as dist
from pydantic import Field, ValidationError, model_validator

from .errors import InputError, StrictModel, YamlFloat, check_finite_tree, close_matches, \
    did_you_mean, pydantic_errors, refuse_unknown_keys


class _Bounded(StrictModel):
    """A prior on [low, high]: refuses an empty support."""

    @model_validator(mode="after")
    def _ok(self):
        if not self.high > self.low:
            raise ValueError(f"prior has no support: high ({self.high}) must exceed low ({self.low})")
        return self


class Uniform(_Bounded):
    """``{dist: uniform, low, high}``: flat prior on [low, high]."""
    dist: Literal["uniform"]
    low: YamlFloat = Field(description="lower bound")
    high: YamlFloat = Field(description="upper bound, above 'low'")

    def make(self):
        """The numpyro distribution."""
        return dist.Uniform(self.low, self.high)


class LogUniform(_Bounded):
    """``{dist: loguniform, low, high}``: flat in ln x on [low, high], 0 < low < high."""
    dist: Literal["loguniform"]
    low: YamlFloat = Field(gt=0, description="lower bound, > 0 for a log-uniform prior")
    high: YamlFloat = Field(gt=0, description="upper bound, above 'low'")

    def make(self):
        """The numpyro distribution."""
        return dist.LogUniform(self.low, self.high)


class Normal(StrictModel):
    """``{dist: normal, mu, sigma}``: Gaussian prior (mu defaults to 0)."""
    dist: Literal["normal"]
    mu: YamlFloat = 0.0
    sigma: YamlFloat = Field(gt=0, description="standard deviation, > 0")

    def make(self):
        """The numpyro distribution."""
        return dist.Normal(self.mu, self.sigma)


class HalfNormal(StrictModel):
    """``{dist: halfnormal, sigma}``: half-Gaussian on x >= 0 with scale sigma."""
    dist: Literal["halfnormal"]
    sigma: YamlFloat = Field(gt=0, description="scale, > 0")

    def make(self):
        """The numpyro distribution."""
        return dist.HalfNormal(self.sigma)


PriorSpec = Union[Uniform, LogUniform, Normal, HalfNormal]
CLASSES = {"uniform": Uniform, "loguniform": LogUniform, "normal": Normal,
           "halfnormal": HalfNormal}
DISTS = list(CLASSES)

# ----------------------------------------------------------------------- physical checks
# Which parameters are masses, and how many invisible particles of that mass a B -> K(*)
# decay produces, is the model's to say (``Model.mass_parameters``); nothing here knows
# model or parameter names.


def _support(spec) -> tuple[float, float]:
    """(lowest, highest) value a prior can give."""
    inf = float("inf")
    if isinstance(spec, (Uniform, LogUniform)):
        return spec.low, spec.high
    if isinstance(spec, HalfNormal):
        return 0.0, inf
    return -inf, inf


def _check_mass_sign(name: str, spec, file: str, field: str):
    if _support(spec)[1] <= 0:
        raise InputError(f"'{name}' is a mass, but this prior allows only values <= 0 "
                         f"(high = {_support(spec)[1]}); allowed: a prior with high > 0 "
                         "(a uniform/loguniform range of positive masses)", file=file,
                         field=field)


def kinematic_limit(n_particles: int) -> tuple[float, str]:
    """Largest mass (GeV) of each of ``n_particles`` equal-mass invisible particles in
    B -> K + invisible: max over B+ -> K+ and B0 -> K0 of (m_B - m_K)/n (parameter db)."""
    from .inputs import load_db
    c = load_db().central
    diffs = {"B+ -> K+": c["m_B+"] - c["m_K+"], "B0 -> K0": c["m_B0"] - c["m_K0"]}
    mode = max(diffs, key=diffs.get)
    lim = diffs[mode] / n_particles
    text = "m_B - m_K" if n_particles == 1 else f"(m_B - m_K)/{n_particles}"
    return lim, f"{text} = {lim:.4f} GeV ({mode})"


def parse_spec(spec, file: str, field: str):
    """Validate one prior mapping into a Uniform / LogUniform / Normal / HalfNormal spec;
    InputError naming ``file`` and ``field`` otherwise."""
    if not isinstance(spec, dict):
        raise InputError("a prior must be a mapping like {dist: uniform, low: 0, high: 1}",
                         file=file, field=field)
    d = spec.get("dist")
    if d not in DISTS:
        what = "no 'dist' given" if d is None else f"unknown distribution {d!r}"
        raise InputError(f"{what}.{did_you_mean(d, DISTS) if isinstance(d, str) else ''} "
                         f"Allowed: {', '.join(DISTS)}", file=file, field=f"{field}.dist")
    try:
        out = CLASSES[d].model_validate(spec)
    except ValidationError as exc:
        raise pydantic_errors(exc, file, prefix=field, model=CLASSES[d]) from None
    return out


class PriorSet:
    """Priors by parameter name or fnmatch pattern, with the file and field each came from (so
    that errors point at the right place)."""
    def __init__(self, specs: dict, file: str, origin: dict | None = None):
        self.file = file
        self.specs = specs     # name or pattern -> PriorSpec
        # name or pattern -> (file, field) the spec was read from
        self.origin = origin if origin is not None else {
            k: (file, f"parameters.{k}") for k in specs}

    @classmethod
    def from_file(cls, path: str | Path) -> "PriorSet":
        """Read and validate a prior YAML file (top-level ``parameters`` mapping)."""
        from .likelihood.loader import read_yaml
        path = Path(path)
        data = read_yaml(path)
        file = str(path)
        if data is None:
            raise InputError("the prior file is empty; it needs a top-level 'parameters' "
                             "mapping, e.g. parameters: {m_phi: {dist: uniform, low: 0, "
                             "high: 2}}", file=file, field="parameters")
        refuse_unknown_keys(data, ("parameters", "notes", "source"), file)
        if not isinstance(data, dict) or "parameters" not in data:
            raise InputError("a prior file needs a top-level 'parameters' mapping", file=file,
                             field="parameters")
        if not isinstance(data["parameters"], dict) or not data["parameters"]:
            raise InputError("'parameters' must be a non-empty mapping", file=file,
                             field="parameters")
        check_finite_tree(data, file)
        specs = {str(k): parse_spec(v, file, f"parameters.{k}")
                 for k, v in data["parameters"].items()}
        return cls(specs, file)

    def updated(self, overrides: dict, file: str) -> "PriorSet":
        """Copy with the run file's ``[priors.parameters]`` overrides applied (read from
        ``file``)."""
        specs = dict(self.specs)
        origin = dict(self.origin)
        check_finite_tree(overrides, file, "priors.parameters")
        for k, v in overrides.items():
            specs[str(k)] = parse_spec(v, file, f"priors.parameters.{k}")
            origin[str(k)] = (file, f"priors.parameters.{k}")
        return PriorSet(specs, self.file if not overrides else f"{self.file} + {file}", origin)

    def spec_for(self, name: str):
        """The spec that parameter ``name`` gets (see :meth:`key_for`), or None."""
        key = self.key_for(name)
        return None if key is None else self.specs[key]

    def key_for(self, name: str):
        """The exact name or the pattern whose prior ``name`` gets (None if none)."""
        if name in self.specs:
            return name
        for pat in self.specs:
            if any(ch in pat for ch in "*?[") and fnmatch.fnmatchcase(name, pat):
                return pat
        return None

    def check_physical(self, names: list[str], model=None):
        """Refuse priors that cannot describe ``model``: a mass parameter (as the model's
        ``mass_parameters()`` says) whose prior allows only values <= 0, or the mass of
        invisible particles produced in B -> K decays lying entirely above the kinematic
        limit.  Without a model nothing is checked."""
        masses = model.mass_parameters() if model is not None else {}
        for n, k in masses.items():
            key = self.key_for(n) if n in names else None
            if key is None:
                continue
            file, field = self.origin.get(key, (self.file, f"parameters.{key}"))
            _check_mass_sign(n, self.specs[key], file, field)
            if k <= 0:
                continue
            lo, _ = _support(self.specs[key])
            lim, text = kinematic_limit(k)
            if lo >= lim:
                what = "an invisible pair" if k == 2 else "the invisible particle"
                raise InputError(f"the prior of '{n}' lies entirely above the kinematic limit "
                                 f"{text}: {what} cannot be produced in B -> K decays "
                                 f"(low = {lo}); allowed: a prior with low < {lim:.4f}",
                                 file=file, field=field)

    def distributions(self, names: list[str], run_file: str | None = None,
                      model=None) -> dict:
        """numpyro distributions of the model parameters ``names``; InputError for a parameter
        without a prior (pointing at a likely misspelling) or for an unphysical prior."""
        out = {}
        for n in names:
            s = self.spec_for(n)
            if s is None:
                exact = [k for k in self.specs if not any(ch in k for ch in "*?[")
                         and k not in names]
                close = close_matches(n, exact, n=1)
                if close:
                    # most likely a misspelled name in the prior file (or run-file override)
                    key = close[0]
                    file, field = self.origin.get(key, (self.file, f"parameters.{key}"))
                    raise InputError(f"'{key}' is not a parameter of the model, and model "
                                     f"parameter '{n}' has no prior. Did you mean '{n}'? "
                                     f"Model parameters: {', '.join(names)}",
                                     file=file, field=field)
                raise InputError(f"no prior for model parameter '{n}' in {self.file}."
                                 f"{did_you_mean(n, self.specs)} Add it to the prior file or to "
                                 "the run file's [priors.parameters] table.",
                                 file=run_file or self.file, field=f"priors.parameters.{n}")
        self.check_physical(names, model)
        for n in names:
            out[n] = self.spec_for(n).make()
        return out

    def unused(self, names: list[str]) -> list[str]:
        """Exact (non-pattern) prior names that no model parameter uses."""
        return [k for k in self.specs if not any(ch in k for ch in "*?[") and k not in names]

    def describe(self, names: list[str]) -> dict[str, str]:
        """Text of each parameter's prior, e.g. ``dist=uniform, low=0.0, high=1.0``."""
        out = {}
        for n in names:
            s = self.spec_for(n)
            out[n] = ", ".join(f"{k}={v}" for k, v in s.model_dump().items())
        return out
