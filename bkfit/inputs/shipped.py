"""The data files bkfit ships: ``likelihoods/``, ``priors/`` and ``runs/``.

In the repository they live at the top level, next to ``bkfit/``.  A wheel (``pip install
.`` or a built wheel) carries copies of them in ``bkfit/_shipped/`` (``setup.py`` copies
them there at build time); an editable install (``pip install -e .``) and a source checkout
use the top-level folders directly.  :func:`data_root` finds whichever is there, so the same
code works in every case and from any current directory.

Relative paths in a run file (``priors/left.yaml``, ``likelihoods/bknunu.yaml``) are looked
up next to the run file first and in the shipped data last (:func:`bkfit.config.resolve_path`).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError, did_you_mean

KINDS = ("likelihoods", "priors", "runs")
_PACKAGE = Path(__file__).resolve().parents[1]          # .../bkfit


def _complete(root: Path) -> bool:
    return all((root / k).is_dir() for k in KINDS)


def data_root() -> Path | None:
    """The folder holding ``likelihoods/``, ``priors/`` and ``runs/``: ``bkfit/_shipped``
    in an installed wheel, the repository root in a checkout or editable install; None when
    neither is there (a broken install)."""
    for root in (_PACKAGE / "_shipped", _PACKAGE.parent):
        if _complete(root):
            return root
    return None


def shipped_dir(kind: str) -> Path:
    """``likelihoods``, ``priors`` or ``runs`` of the shipped data; InputError when missing."""
    if kind not in KINDS:
        raise InputError(f"unknown kind of shipped data '{kind}'.{did_you_mean(kind, KINDS)}")
    root = data_root()
    if root is None:
        raise InputError(f"bkfit's shipped data files ({', '.join(KINDS)}) were not found "
                         f"in {_PACKAGE / '_shipped'} or {_PACKAGE.parent}; reinstall bkfit "
                         "(pip install bkfit, or pip install -e . in a checkout)")
    return root / kind


def shipped_runs() -> dict[str, Path]:
    """Shipped run files by name (the file name without ``.toml``)."""
    return {p.stem: p for p in sorted(shipped_dir("runs").glob("*.toml"))}


def find_run(run: str | Path) -> Path:
    """A run file path: ``run`` itself when that file exists, else the shipped run of that
    name (``quickstart``, ``quickstart.toml`` or ``runs/quickstart.toml``).  InputError with
    a "did you mean" when neither exists."""
    p = Path(run)
    if p.is_file():
        return p
    name = p.stem if p.suffix == ".toml" else p.name
    if p.suffix not in ("", ".toml") or len(p.parts) > 2 or (
            len(p.parts) == 2 and p.parts[0] != "runs"):
        raise InputError("run file not found", file=str(run))
    runs = shipped_runs()
    if name in runs:
        return runs[name]
    raise InputError(f"no run file '{run}' here and no shipped run '{name}'."
                     f"{did_you_mean(name, runs)} Shipped runs: {', '.join(runs)}",
                     file=str(run))
