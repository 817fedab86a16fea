"""Display labels (matplotlib mathtext) with units for parameters, nuisances and observables.

The table is the data file ``bkfit/inputs/data/labels.yaml`` (its header explains the
sections).  Names are the ones bkfit uses everywhere: model parameters (``m_phi``,
``CL_bsnutaunutau``, ``re_lam_23``), nuisance sites (``nuis::ff_BK``, ``par::Vcb``,
``<term>::alpha``) and observables with or without arguments (``BR(B+->Knunu)``,
``obs::<BR>(B+->Knunu)[0,4]``, ``sigma_SI_N(phi)[Z=54,A=131.293]``).

* :func:`tex` — the mathtext of a name (no dollar signs); :class:`LabelMissing` if the table
  has no entry (with a "did you mean");
* :func:`axis_label` — ``"$<tex>\\ [<unit>]$"`` for an axis, falling back to the plain name for
  a name the table does not know (a user's own coefficient), so a figure never fails on it;
* :func:`unit`, :func:`sm_value` (the parameter value at which a model is the SM, or None),
  :func:`value_label` (``"$m_\\phi = 0.3\\,\\mathrm{GeV}$"``, for legends).
"""
from __future__ import annotations

import functools
import re

from ..errors import InputError, did_you_mean
from .data_files import read_yaml

FILE = "labels.yaml"
_ARGS = re.compile(r"^(?P<base>.+)\[(?P<args>[^\[\]]*)\]$")


class LabelMissing(InputError, KeyError):
    """A name that the label table (labels.yaml) does not know."""

    def __str__(self):                     # KeyError would print the message's repr
        return InputError.__str__(self)


@functools.lru_cache(maxsize=1)
def table() -> dict:
    """The parsed label table (cached; treat as read-only)."""
    return read_yaml(FILE)


def _split_args(name: str) -> tuple[str, list[str]]:
    """``'NAME[a,b]'`` -> ``('NAME', ['a', 'b'])``; ``'k=v'`` items keep the value only."""
    m = _ARGS.match(name)
    if not m:
        return name, []
    vals = [a.strip().rpartition("=")[2].strip() for a in m.group("args").split(",")]
    return m.group("base"), [v for v in vals if v]


def process(proc: str) -> str:
    """The mathtext of a process such as ``'B+->Kphiphi'`` (``B^+\\to K^+\\phi\\phi``);
    :class:`LabelMissing` if its initial or final state is not in the table."""
    out = _process(proc)
    if out is None:
        raise LabelMissing(f"no label for the process {proc!r} (initial states: "
                           f"{', '.join(table()['initial_states'])})", file=FILE)
    return out


def _process(proc: str) -> str | None:
    t = table()
    for n in range(len(proc), -1, -1):           # longest initial-state prefix first
        head, rest = proc[:n], proc[n:]
        if head in t["initial_states"] and rest in t["final_states"]:
            return t["initial_states"][head] + t["final_states"][rest]
    return None


def _num(v: str) -> str:
    try:
        return f"{float(v):g}"
    except ValueError:
        return v


def _entry(name: str) -> dict | None:
    """The table entry of a name without arguments (tex, unit, sm, args), or None."""
    t = table()
    if name.startswith("obs::"):
        name = name[5:]
    if name.startswith("par::"):
        return t["nuisances"].get(name[5:])
    if name.startswith("nuis::"):
        return t["nuisance_sets"].get(name[6:])
    if "::" in name:
        return t["term_nuisances"].get(name.rsplit("::", 1)[1])
    if name in t["parameters"]:
        return t["parameters"][name]
    for part, word in (("re_", r"\mathrm{Re}\,"), ("im_", r"\mathrm{Im}\,")):
        if name.startswith(part) and name[3:] in t["parameters"]:
            e = dict(t["parameters"][name[3:]])
            e["tex"] = word + e["tex"]
            return e
    if name in t["observables"]:
        return t["observables"][name]
    m = re.match(r"^(?P<fam>[^()]+)\((?P<proc>.*)\)$", name)
    if m and m.group("fam") in t["families"]:
        proc = _process(m.group("proc"))
        if proc is not None:
            e = dict(t["families"][m.group("fam")])
            e["tex"] = e["tex"].replace("{process}", proc)
            return e
    return None


def _known_names() -> list[str]:
    t = table()
    return list(t["parameters"]) + list(t["observables"]) + [
        f"par::{n}" for n in t["nuisances"]] + [f"nuis::{n}" for n in t["nuisance_sets"]]


def _lookup(name: str) -> tuple[dict, list[str]]:
    base, args = _split_args(str(name))
    e = _entry(base)
    if e is None:
        raise LabelMissing(f"no label for {name!r}.{did_you_mean(base, _known_names())}",
                           file=FILE)
    return e, args


def has_label(name: str) -> bool:
    """Whether the label table knows ``name`` (arguments in brackets allowed)."""
    base, _ = _split_args(str(name))
    return _entry(base) is not None


def tex(name: str) -> str:
    """The mathtext label of ``name`` without units or dollar signs; an observable's
    arguments (``NAME[a,b]``) are appended with its family's ``args`` template."""
    e, args = _lookup(name)
    out = e["tex"]
    if args and e.get("args"):
        suffix = e["args"]
        for i, v in enumerate(args):
            suffix = suffix.replace("{%d}" % i, _num(v))
        out += suffix
    return out


def unit(name: str) -> str:
    """The mathtext unit of ``name`` ('' when dimensionless)."""
    return _lookup(name)[0].get("unit", "") or ""


def sm_value(name: str) -> float | None:
    """The value of a model parameter at which the model is the SM (None if it has none or
    the name is unknown)."""
    base, _ = _split_args(str(name))
    e = _entry(base)
    v = e.get("sm") if e else None
    return None if v is None else float(v)


def _plain(name: str) -> str:
    """A name as plain text that mathtext leaves alone (dollar signs escaped)."""
    return str(name).replace("$", r"\$")


def axis_label(name: str) -> str:
    """``"$<tex>\\ [<unit>]$"`` (no brackets when dimensionless); the plain name when the
    table does not know ``name``."""
    if not has_label(name):
        return _plain(name)
    u = unit(name)
    return f"${tex(name)}" + (rf"\ [{u}]$" if u else "$")


def value_label(name: str, value: float, fmt: str = "g") -> str:
    """``"$<tex> = <value>\\,<unit>$"`` (e.g. a mass in a legend); plain text for an unknown
    name."""
    v = format(value, fmt)
    if not has_label(name):
        return f"{_plain(name)} = {v}"
    u = unit(name)
    return f"${tex(name)} = {v}" + (rf"\,{u}$" if u else "$")
