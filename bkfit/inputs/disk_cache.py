"""Tables that bkfit computes from its inputs once (invisible-rate bin tables, quadratic-form
matrices of the form factors, QCD running at fixed parameters, the relic thermal factors),
kept on disk so that the next process reads them instead of computing them again.

These are numerical precomputations, seconds each, that every command building a run's
likelihood used to repeat.  An entry is keyed on

* a tag naming the table,
* the inputs that determine it (the concrete parameter values it read, bin edges, grid
  sizes), as a picklable identity,
* the source code of the whole ``bkfit`` package (a hash of every ``.py`` file) and the
  versions of jax, jaxlib, numpy and scipy: any change of either invalidates every entry,

so a stale table cannot be read.  Entries live in one sub-folder per code version; the
sub-folders of all but the most recently used few versions are removed.  The folder is
``$BKFIT_TABLE_CACHE``, else
``$XDG_CACHE_HOME/bkfit/tables`` (``~/.cache/bkfit/tables``); ``BKFIT_TABLE_CACHE=0``
switches the disk cache off (each process then computes its tables once, in memory, as
before).  Unreadable or corrupt entries are computed again and rewritten; writes go through
a temporary file and an atomic rename.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path
from typing import Callable

_OFF = ("0", "off", "no", "false")


def folder() -> Path | None:
    """The cache folder in use, or None when the disk cache is switched off."""
    setting = os.environ.get("BKFIT_TABLE_CACHE", "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bkfit" / "tables"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over the source of every module of the installed ``bkfit`` package and the
    versions of the numerical libraries that compute the tables."""
    from importlib.metadata import PackageNotFoundError, version
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for dist in ("jax", "jaxlib", "numpy", "scipy"):
        try:
            h.update(f"{dist}=={version(dist)};".encode())
        except PackageNotFoundError:
            h.update(f"{dist}: absent;".encode())
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def key(tag: str, ident) -> str | None:
    """The file name of an entry, or None when ``ident`` cannot be pickled."""
    try:
        blob = pickle.dumps((tag, ident, code_version()), protocol=4)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return f"{tag}-{hashlib.sha256(blob).hexdigest()[:40]}.pkl"


KEEP_VERSIONS = 4          # code versions whose entries are kept (the most recently used)


def _version_folder(base: Path) -> Path:
    """``base/<code version>``; when it is first created, the folders of all but the
    ``KEEP_VERSIONS`` most recently modified other versions are removed (every edit of bkfit
    is a new version: without this the folder would grow by a set of tables per edit)."""
    import shutil
    sub = base / code_version()[:16]
    if not sub.is_dir():
        try:
            others = sorted((d for d in base.iterdir() if d.is_dir() and d != sub),
                            key=lambda d: d.stat().st_mtime, reverse=True)
        except OSError:
            others = []
        for d in others[KEEP_VERSIONS - 1:]:
            shutil.rmtree(d, ignore_errors=True)
    return sub


def cached(tag: str, ident, compute: Callable[[], object]):
    """``compute()``, read from the disk cache when an entry for (``tag``, ``ident``, code
    version) exists, else computed and stored.  The result must be picklable (numpy arrays,
    tuples, named tuples, dicts)."""
    base = folder()
    name = key(tag, ident) if base is not None else None
    if name is None:
        return compute()
    base = _version_folder(base)
    path = base / name
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001  (absent, corrupt or foreign: compute it again)
        pass
    out = compute()
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        base.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump(out, fh, protocol=4)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        tmp.unlink(missing_ok=True)   # a read-only or full disk: the result is still returned
    return out
