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
    max_tree_depth_warmup = 10     # during warm-up only (default: max_tree_depth)
    chunk_size = 0                 # >0: sample in chunks, saving progress after each
    dense_mass = false             # true, or blocks of sites: [["m_X", "log10_Lambda"]]
    asinh_scale = {}               # {param = s}: NUTS samples asinh(param / s) (same prior)

    [report]
    observables = ["BR(B+->Knunu)", "Rnunu(B+->K)"]   # extra observables to record

    [wcxf]                         # optional: fixed coefficients from a WCxf file, added to
    file = "benchmark.yaml"        # the model's (any EFT/basis/scale wilson translates;
    strict = false                 # translated once when the run is read; bkfit.models.wcxf)
"""
from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, ValidationError, field_validator

from .errors import InputError, StrictModel, TomlFloat, TomlInt, check_finite_tree, \
    did_you_mean, pydantic_errors

ROOT_HINT = "relative paths in a run file are looked up next to the run file, in its parent " \
            "folder, in the current directory and in bkfit's shipped data, in this order"


class RunSection(StrictModel):
    """The [run] table: output folder name, free-text description and integer random seed."""
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$",
                      description="output folder name: letters, digits, '_', '.', '-'")
    description: str = ""
    seed: TomlInt = Field(default=0, description="integer random seed")


class PriorsSection(StrictModel):
    """The [priors] table: an optional prior YAML file and per-parameter prior overrides."""
    file: Optional[str] = None
    parameters: dict[str, dict] = Field(default_factory=dict)


class LikelihoodSection(StrictModel):
    """The [likelihood] table: likelihood YAML files, entry names to include or exclude, and per-
    entry option overrides."""
    files: list[str] = Field(min_length=1, description="list of likelihood YAML files")
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    # per-entry overrides of an entry's options, e.g.
    # options = {belle2_2023_kpnunu_full = {nuisances = "profile"}}
    options: dict[str, dict] = Field(default_factory=dict)


class NuisanceSection(StrictModel):
    """The [nuisances] table: parameter sets and single parameters to vary as nuisances, and
    parameters fixed to given values."""
    sets: list[str] = Field(default_factory=list)
    parameters: list[str] = Field(default_factory=list)
    fixed: dict[str, TomlFloat] = Field(default_factory=dict)


class SamplerSection(StrictModel):
    """The [sampler] table: NUTS settings (chains, warm-up and sample counts, target acceptance,
    chain method, tree depth, chunking, dense mass matrix)."""
    chains: TomlInt = Field(default=4, ge=1, le=256, description="1 <= chains <= 256")
    num_warmup: TomlInt = Field(default=500, ge=1, description="a positive integer")
    num_samples: TomlInt = Field(default=1000, ge=1, description="a positive integer")
    target_accept: TomlFloat = Field(default=0.9, gt=0, lt=1,
                                     description="NUTS target acceptance, 0 < target_accept < 1")
    chain_method: Literal["sequential", "parallel", "vectorized"] = "sequential"
    max_tree_depth: TomlInt = Field(default=10, ge=1, le=15, description="1 ... 15")
    max_tree_depth_warmup: TomlInt | None = Field(
        default=None, ge=1, le=15, description="1 ... 15 (default: max_tree_depth); caps "
        "the trees of the warm-up only, where an unadapted mass matrix makes them deepest")
    chunk_size: TomlInt = Field(default=0, ge=0, description="0 (no chunks) or a positive integer")
    dense_mass: bool | list[list[str]] = Field(
        default=False, description="true, false, or groups of sampled sites, e.g. "
        "[[\"m_X\", \"log10_Lambda\"]] (a dense mass-matrix block per group, diagonal "
        "elsewhere)")
    asinh_scale: dict[str, TomlFloat] = Field(
        default_factory=dict, description="model parameters NUTS samples in asinh "
        "coordinates, name = scale > 0, e.g. {yq_d = 0.03} (prior and posterior unchanged; "
        "bkfit/inference/reparam.py)")

    @field_validator("asinh_scale")
    @classmethod
    def _positive_scales(cls, v):
        for k, x in v.items():
            if not (x > 0 and math.isfinite(x)):
                raise ValueError(f"asinh_scale.{k} must be a finite number > 0, not {x}")
        return v


class ReportSection(StrictModel):
    """The [report] table: extra observables whose predictions are recorded with the samples."""
    observables: list[str] = Field(default_factory=list)


class WcxfSection(StrictModel):
    """The [wcxf] table: a WCxf file (YAML or JSON) of coefficients held fixed and added to the
    model's, translated to bkfit's basis and scales when the run is read; ``strict``: non-zero
    coefficients no bkfit observable reads are an error instead of a warning."""
    file: str = Field(description="a WCxf file (YAML or JSON), relative to the run file")
    strict: bool = False


class RunConfig(StrictModel):
    """A whole validated run file; ``load_run`` also fills in the paths it was resolved against."""
    run: RunSection = Field(description="a [run] table with at least name = \"...\"")
    model: dict = Field(description="a [model] table with at least name = \"...\" "
                                    "(`bkfit list models`)")
    priors: PriorsSection = Field(default_factory=PriorsSection)
    likelihood: LikelihoodSection = Field(description="a [likelihood] table with files = [...]")
    nuisances: NuisanceSection = Field(default_factory=NuisanceSection)
    sampler: SamplerSection = Field(default_factory=SamplerSection)
    report: ReportSection = Field(default_factory=ReportSection)
    wcxf: Optional[WcxfSection] = None
    # filled in by load_run
    path: str = ""
    text: str = ""
    background: dict = Field(default_factory=dict, description="the [wcxf] file's "
                             "coefficients (bkfit.models.wcxf.translate), filled in on reading")


# physics-parameter names whose value cannot be negative (flavio names: masses m_*, lifetimes
# tau_*); used to refuse impossible [nuisances] fixed values.
_NON_NEGATIVE_PREFIXES = ("m_", "tau_")


def resolve_path(p: str, run_path: Path) -> Path:
    """Where a relative path of a run file points: the first existing one of the run file's
    folder, that folder's parent (a repository's ``runs/`` next to ``priors/``), the current
    directory and bkfit's shipped data (``bkfit/inputs/shipped.py``).  When none exists, the
    first candidate whose folder exists (so that a "did you mean" can list its files)."""
    from .inputs.shipped import data_root
    cand = Path(p)
    if cand.is_absolute():
        return cand
    run_dir = Path(run_path).parent
    bases = [run_dir, run_dir.parent, Path.cwd()]
    shipped = data_root()
    if shipped is not None:
        bases.append(shipped)
    for base in bases:
        if (base / cand).exists():
            return base / cand
    for base in bases:
        if (base / cand).parent.is_dir():
            return base / cand
    return Path.cwd() / cand


def load_run(path: str | Path) -> RunConfig:
    """Read and validate a run file (InputError naming the file and field).  ``path`` may
    also name a shipped run (``quickstart``; ``bkfit/inputs/shipped.py``) when no such file
    exists."""
    from .inputs.shipped import find_run
    path = find_run(path)
    file = str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError("run file not found", file=file) from None
    except (IsADirectoryError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the run file as text: {e}", file=file) from None
    return parse_run(text, file)


def run_from_dict(data: dict, file: str = "<dict>") -> RunConfig:
    """A run given as a dict with the run-file structure (``{"run": {"name": ...},
    "model": {...}, "likelihood": {"files": [...]}, ...}``), validated as a run file is.
    Relative paths in it resolve from the current directory and the shipped data."""
    if not isinstance(data, dict):
        raise InputError(f"a run must be a dict of tables, got {type(data).__name__}",
                         file=file)
    return parse_run(to_toml(data), file)


def to_toml(data: dict) -> str:
    """TOML text of a run dict (tables of strings, numbers, booleans, lists and inline
    tables), checked to read back as ``data``."""
    def key(k):
        k = str(k)
        return k if k and all(c.isalnum() or c in "_-" for c in k) else json.dumps(k)

    def value(v, where):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x, where) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{key(k)} = {value(x, where)}" for k, x in v.items()) + "}"
        raise InputError(f"cannot write a {type(v).__name__} into a run file (allowed: "
                         "strings, numbers, booleans, lists and dicts)", file="<dict>",
                         field=where)

    lines = []
    for table, body in data.items():
        if not isinstance(body, dict):
            raise InputError(f"'{table}' must be a table (a dict), got {body!r}",
                             file="<dict>", field=str(table))
        lines.append(f"[{key(table)}]")
        lines += [f"{key(k)} = {value(v, f'{table}.{k}')}" for k, v in body.items()]
        lines.append("")
    text = "\n".join(lines)
    try:
        back = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"the run dict cannot be written as TOML: {e}", file="<dict>") from None
    if json.dumps(back, sort_keys=True, default=str) != json.dumps(data, sort_keys=True,
                                                                     default=str):
        raise InputError("the run dict does not survive a TOML round trip (keys must be "
                         "strings)", file="<dict>")
    return text


def parse_run(text: str, file: str) -> RunConfig:
    """Validate the TOML text of a run file; ``file`` names it in errors."""
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#")
                               for ln in text.splitlines()):
        raise InputError("the run file is empty; it needs at least the tables [run] (name), "
                         "[model] (name) and [likelihood] (files)", file=file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML: {e}", file=file) from None
    top = ["run", "model", "priors", "likelihood", "nuisances", "sampler", "report", "wcxf"]
    for k in data:
        if k not in top:
            raise InputError(f"unknown table [{k}].{did_you_mean(k, top)} Allowed: "
                             f"{', '.join(top)}", file=file, field=k)
    check_finite_tree(data, file)
    if "model" in data and not isinstance(data["model"], dict):
        raise InputError("'model' must be a table: [model] with name = \"...\"", file=file,
                         field="model")
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise pydantic_errors(exc, file, model=RunConfig) from None
    if "name" not in cfg.model:
        raise InputError("the [model] table needs a 'name' (`bkfit list models`)", file=file,
                         field="model.name")
    if not isinstance(cfg.model["name"], str):
        raise InputError(f"the model name must be a string, got {cfg.model['name']!r}",
                         file=file, field="model.name")
    for k, v in cfg.nuisances.fixed.items():
        if k.startswith(_NON_NEGATIVE_PREFIXES) and v < 0:
            what = "mass" if k.startswith("m_") else "lifetime"
            raise InputError(f"'{k}' is a {what} and cannot be negative (got {v}); "
                             "allowed: a value >= 0", file=file, field=f"nuisances.fixed.{k}")
    for label, names in (("include", cfg.likelihood.include),
                         ("exclude", cfg.likelihood.exclude),
                         ("files", cfg.likelihood.files), ("sets", cfg.nuisances.sets)):
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            sect = "nuisances" if label == "sets" else "likelihood"
            raise InputError(f"{dup} listed more than once", file=file, field=f"{sect}.{label}")
    both = set(cfg.likelihood.include) & set(cfg.likelihood.exclude)
    if both:
        raise InputError(f"entries {sorted(both)} are both included and excluded", file=file,
                         field="likelihood.exclude")
    cfg.path = file
    cfg.text = text
    if cfg.wcxf is not None:
        cfg.background = _read_wcxf(cfg.wcxf, file)
    return cfg


def _read_wcxf(section: WcxfSection, file: str) -> dict:
    """The [wcxf] file's coefficients at bkfit's scales (InputError naming the run file)."""
    import warnings

    from .models.wcxf import UnusedCoefficients, translate
    path = resolve_path(section.file, Path(file))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnusedCoefficients)
            out = translate(path, strict=section.strict)
    except InputError as e:
        raise InputError(str(e), file=file, field="wcxf.file") from None
    for w in caught:
        warnings.warn(f"{file}: [wcxf]: {w.message}", w.category, stacklevel=3)
    return out
