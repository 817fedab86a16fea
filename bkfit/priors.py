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
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .errors import InputError, did_you_mean, pydantic_errors


class _S(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Uniform(_S):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ok(self):
        if not self.high > self.low:
            raise ValueError(f"prior has no support: high ({self.high}) must exceed low ({self.low})")
        return self

    def make(self):
        return dist.Uniform(self.low, self.high)


class LogUniform(_S):
    dist: Literal["loguniform"]
    low: float = Field(gt=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ok(self):
        if not self.high > self.low:
            raise ValueError(f"prior has no support: high ({self.high}) must exceed low ({self.low})")
        return self

    def make(self):
        return dist.LogUniform(self.low, self.high)


class Normal(_S):
    dist: Literal["normal"]
    mu: float = 0.0
    sigma: float = Field(gt=0)

    def make(self):
        return dist.Normal(self.mu, self.sigma)


class HalfNormal(_S):
    dist: Literal["halfnormal"]
    sigma: float = Field(gt=0)

    def make(self):
        return dist.HalfNormal(self.sigma)


PriorSpec = Union[Uniform, LogUniform, Normal, HalfNormal]
_ADAPTER = TypeAdapter(PriorSpec)
DISTS = ["uniform", "loguniform", "normal", "halfnormal"]


def parse_spec(spec, file: str, field: str):
    if not isinstance(spec, dict):
        raise InputError("a prior must be a mapping like {dist: uniform, low: 0, high: 1}",
                         file=file, field=field)
    d = spec.get("dist")
    if d not in DISTS:
        raise InputError(f"unknown distribution {d!r}.{did_you_mean(d, DISTS)} Allowed: "
                         f"{', '.join(DISTS)}", file=file, field=f"{field}.dist")
    try:
        return _ADAPTER.validate_python(spec)
    except ValidationError as exc:
        raise pydantic_errors(exc, file, prefix=field) from None


class PriorSet:
    def __init__(self, specs: dict, file: str):
        self.file = file
        self.specs = specs     # name or pattern -> PriorSpec

    @classmethod
    def from_file(cls, path: str | Path) -> "PriorSet":
        from .likelihood.loader import read_yaml
        path = Path(path)
        data = read_yaml(path)
        file = str(path)
        if not isinstance(data, dict) or "parameters" not in data:
            raise InputError("a prior file needs a top-level 'parameters' mapping", file=file,
                             field="parameters")
        extra = [k for k in data if k not in ("parameters", "notes", "source")]
        if extra:
            raise InputError(f"unknown top-level key(s) {extra}", file=file, field=extra[0])
        if not isinstance(data["parameters"], dict) or not data["parameters"]:
            raise InputError("'parameters' must be a non-empty mapping", file=file,
                             field="parameters")
        specs = {str(k): parse_spec(v, file, f"parameters.{k}")
                 for k, v in data["parameters"].items()}
        return cls(specs, file)

    def updated(self, overrides: dict, file: str) -> "PriorSet":
        specs = dict(self.specs)
        for k, v in overrides.items():
            specs[str(k)] = parse_spec(v, file, f"priors.parameters.{k}")
        return PriorSet(specs, self.file if not overrides else f"{self.file} + {file}")

    def spec_for(self, name: str):
        if name in self.specs:
            return self.specs[name]
        for pat, s in self.specs.items():
            if any(ch in pat for ch in "*?[") and fnmatch.fnmatchcase(name, pat):
                return s
        return None

    def distributions(self, names: list[str], run_file: str | None = None) -> dict:
        out = {}
        for n in names:
            s = self.spec_for(n)
            if s is None:
                raise InputError(f"no prior for model parameter '{n}' in {self.file}."
                                 f"{did_you_mean(n, self.specs)} Add it to the prior file or to "
                                 "the run file's [priors.parameters] table.",
                                 file=run_file or self.file, field=f"priors.parameters.{n}")
            out[n] = s.make()
        return out

    def unused(self, names: list[str]) -> list[str]:
        """Exact (non-pattern) prior names that no model parameter uses."""
        return [k for k in self.specs if not any(ch in k for ch in "*?[") and k not in names]

    def describe(self, names: list[str]) -> dict[str, str]:
        out = {}
        for n in names:
            s = self.spec_for(n)
            out[n] = ", ".join(f"{k}={v}" for k, v in s.model_dump().items())
        return out
