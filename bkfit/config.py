"""Run files (TOML) -> a validated run configuration.

Schema (every table and key is checked; unknown keys are errors)::

    [run]
    name = "quickstart"            # output folder name under results/
    description = "..."
    seed = 0

    [model]
    name = "left"                  # see `bkfit list models`
    # ... model options (free, free_complex, fixed, operator, ...)

    [priors]
    file = "priors/left.yaml"      # optional: defaults to the model's prior file
    [priors.parameters]            # optional overrides: name = {dist = ..., ...}

    [likelihood]
    files = ["likelihoods/bknunu.yaml"]
    include = []                   # optional: only these entry names
    exclude = []                   # optional: drop these entry names

    [nuisances]
    sets = ["ff_BK"]               # named sets (bkfit.inputs.NUISANCE_SETS)
    parameters = []                # extra individual parameter names
    fixed = {}                     # parameter overrides (name = value)

    [sampler]
    chains = 4
    num_warmup = 500
    num_samples = 1000
    target_accept = 0.9
    chain_method = "sequential"    # sequential | parallel | vectorized
    max_tree_depth = 10
    chunk_size = 0                 # >0: sample in chunks, saving progress after each

    [report]
    observables = ["BR(B+->Knunu)", "Rnunu(B+->K)"]   # extra observables to record
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError, did_you_mean, pydantic_errors

ROOT_HINT = "paths in a run file are relative to the repository root (the current directory) " \
            "or to the run file's folder"


class _S(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunSection(_S):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    seed: int = 0


class PriorsSection(_S):
    file: Optional[str] = None
    parameters: dict[str, dict] = Field(default_factory=dict)


class LikelihoodSection(_S):
    files: list[str] = Field(min_length=1)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    # per-entry overrides of an entry's options, e.g.
    # options = {belle2_2023_kpnunu_full = {nuisances = "profile"}}
    options: dict[str, dict] = Field(default_factory=dict)


class NuisanceSection(_S):
    sets: list[str] = Field(default_factory=list)
    parameters: list[str] = Field(default_factory=list)
    fixed: dict[str, float] = Field(default_factory=dict)


class SamplerSection(_S):
    chains: int = Field(default=4, ge=1, le=256)
    num_warmup: int = Field(default=500, ge=1)
    num_samples: int = Field(default=1000, ge=1)
    target_accept: float = Field(default=0.9, gt=0, lt=1)
    chain_method: Literal["sequential", "parallel", "vectorized"] = "sequential"
    max_tree_depth: int = Field(default=10, ge=1, le=15)
    chunk_size: int = Field(default=0, ge=0)
    dense_mass: bool = False


class ReportSection(_S):
    observables: list[str] = Field(default_factory=list)


class RunConfig(_S):
    run: RunSection
    model: dict
    priors: PriorsSection = Field(default_factory=PriorsSection)
    likelihood: LikelihoodSection
    nuisances: NuisanceSection = Field(default_factory=NuisanceSection)
    sampler: SamplerSection = Field(default_factory=SamplerSection)
    report: ReportSection = Field(default_factory=ReportSection)
    # filled in by load_run
    path: str = ""
    text: str = ""


def resolve_path(p: str, run_path: Path) -> Path:
    cand = Path(p)
    if cand.is_absolute():
        return cand
    for base in (Path.cwd(), run_path.parent, run_path.parent.parent):
        if (base / cand).exists():
            return base / cand
    return Path.cwd() / cand


def load_run(path: str | Path) -> RunConfig:
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError("run file not found", file=file) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML: {e}", file=file) from None
    top = ["run", "model", "priors", "likelihood", "nuisances", "sampler", "report"]
    for k in data:
        if k not in top:
            raise InputError(f"unknown table [{k}].{did_you_mean(k, top)} Allowed: "
                             f"{', '.join(top)}", file=file, field=k)
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise pydantic_errors(exc, file) from None
    if "name" not in cfg.model:
        raise InputError("the [model] table needs a 'name'", file=file, field="model.name")
    cfg.path = file
    cfg.text = text
    return cfg
