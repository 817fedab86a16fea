"""WCxf in and out: Wilson coefficients from WCxf files (YAML or JSON) or ``wilson`` objects,
translated to the coefficients bkfit's physics modules read, and bkfit's coefficients written
as WCxf.

What bkfit's coefficients mean.  The physics modules read coefficients of the WCxf ``WET``
basis ``flavio`` (plus bkfit's extension names, e.g. right-handed-neutrino ``CLprime_...``,
which WCxf has no basis for) at fixed renormalisation scales, the scales flavio 2.7.1 uses
for the same observables (its ``config.yml``, 'renormalization scale'):

* b -> s nu nu, b -> s l l (tau tau and lepton-flavour violating), b -> s gamma, b -> c l nu:
  ``bkfit.physics.bclnu.SCALE`` = 4.8 GeV (``bkfit/inputs/data/bclnu_mixing.yaml``
  ``scales.bclnu``; ``bkfit.physics.bsll.MU_B`` is the same scale);
* B_s mixing (sector ``sbsb``): ``bkfit.physics.mixing.SCALE`` = 4.2 GeV
  (``scales.Bs_mixing``);
* B_d and K mixing (sectors ``dbdb``, ``sdsd``, read by the VLQ constraints): the matrix-element
  scales of ``bkfit/inputs/data/vlq_constraints.yaml`` ``deltaf2`` (4.2 GeV; K mixing at
  2 GeV in the three-flavour ``WET-3``, as flavio).

A dict handed to ``bkfit.predict`` or a run file's ``[model] fixed`` holds coefficients at
these scales.  A WCxf input (file, ``wcxf.WC`` or ``wilson.Wilson``) states its EFT, basis
and scale; :func:`translate` runs and matches it with ``wilson`` (``Wilson.match_run``) to
each of these scales, sector by sector, as ``flavio.np_prediction`` does with the same
object.  A WET ``flavio`` input already at a sector's scale is taken as it is (no wilson
call, so it gives exactly what the same numbers in a dict give).

Rules (every violation is an :class:`~bkfit.errors.InputError` naming the coefficient or
field):

* the input must be valid WCxf: a mapping with ``eft``, ``basis``, ``scale`` (a positive
  number, GeV) and ``values``; an EFT/basis pair ``wilson`` knows; every name a coefficient
  of that basis (with a "did you mean"); every value a finite real number or
  ``{Re: .., Im: ..}``;
* what ``wilson`` cannot run or match to WET at bkfit's scales (e.g. ``WET-4`` above
  m_b, or a basis without a translation) is an error quoting wilson's reason;
* a non-zero coefficient of a WET ``flavio`` input that no bkfit observable reads (e.g.
  ``C9_bsee``, or any ``sd``/``cu`` sector other than K mixing) is reported: by default as
  an :class:`UnusedCoefficients` warning naming them, with ``strict=True`` as an error.
  For inputs in other bases (SMEFT, JMS, ...) matching produces coefficients in many
  sectors bkfit has no observable for; these are dropped as flavio drops them for an
  observable that does not depend on them, and with ``strict=True`` the full translation
  is done and every non-zero coefficient outside bkfit's observables is an error.
"""
from __future__ import annotations

import functools
import io
import math
import warnings
from pathlib import Path

from ..errors import InputError, did_you_mean

# the basis bkfit's coefficients are written in
EFT, BASIS = "WET", "flavio"


class UnusedCoefficients(UserWarning):
    """Non-zero WCxf coefficients that no bkfit observable reads (ignored; ``strict=True``
    makes them an error)."""


# ============================================================================ bkfit's side
@functools.lru_cache(maxsize=1)
def used_coefficients() -> frozenset:
    """The WET ``flavio``-basis coefficient names some bkfit observable reads (b -> s nu nu,
    b -> s tau tau, LFV b -> s l l', b -> s gamma, b -> c l nu, Delta F = 2 and the
    C9/C10 mu mu pseudo-observables); tests/test_wcxf.py checks the list against what the
    observable functions of the default catalogue actually read."""
    from ..physics import bclnu, bsll, bsnunu, mixing
    names = set(bsnunu.wc_names(""))
    for l1, l2 in list(bsll.LFV_PAIRS) + [("tau", "tau")]:
        names.update(bsll.wc_names(l1, l2))
    names.update(["C7_bs", "C7p_bs", "C8_bs", "C8p_bs", "C9_bsmumu", "C10_bsmumu"])
    names.update(f"{x}_bc{lep}nu{nu}" for x in bclnu.WC_KEYS for lep in bclnu.LEPTONS
                 for nu in bclnu.LEPTONS)
    names.update(f"{k}_{s}" for k in mixing.ME_KEYS for s in ("bsbs", "bdbd", "sdsd"))
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def sector_targets() -> dict:
    """``{(eft, scale): [WCxf sectors]}``: where each sector bkfit reads is understood (see the
    module docstring for the sources of the scales)."""
    from ..inputs.data_files import read_yaml
    from ..physics import bclnu, bsll, mixing
    if not math.isclose(bsll.MU_B, bclnu.SCALE):
        raise RuntimeError("bkfit.physics.bsll.MU_B and bclnu.SCALE disagree")
    df2 = read_yaml("vlq_constraints.yaml")["deltaf2"]
    special = {"sbsb": (EFT, float(mixing.SCALE)),
               "dbdb": (EFT, float(df2["mu_M_bd"]["value"])),
               "sdsd": ("WET-3", float(df2["mu_M_sd"]["value"]))}
    sectors = _sectors(EFT)
    out: dict = {}
    for s in sorted({sectors[n] for n in used_coefficients()}):
        out.setdefault(special.get(s, (EFT, float(bclnu.SCALE))), []).append(s)
    return out


def bkfit_scale() -> float:
    """The scale (GeV) of bkfit's b -> s and b -> c coefficients (4.8 GeV; the exported
    WCxf files are written at it)."""
    from ..physics import bclnu
    return float(bclnu.SCALE)


@functools.lru_cache(maxsize=None)
def _sectors(eft: str) -> dict:
    """name -> sector of the WCxf basis (eft, 'flavio')."""
    from wilson import wcxf
    return {n: s for s, names in wcxf.Basis[eft, BASIS].sectors.items() for n in names}


# ============================================================================ reading
def read(source, label: str = "wc"):
    """A validated ``wcxf.WC`` from a WCxf file path (YAML or JSON), a ``wcxf.WC`` or a
    ``wilson.Wilson`` (its ``wc``); InputError (naming the file and field) otherwise."""
    from wilson import Wilson, wcxf
    file = None
    if isinstance(source, Wilson):
        wc = source.wc
    elif isinstance(source, wcxf.WC):
        wc = source
    elif isinstance(source, (str, Path)):
        file = str(source)
        p = Path(source)
        if not p.is_file():
            raise InputError("no such WCxf file" + (" (a folder)" if p.is_dir() else ""),
                             file=file)
        try:
            data = wcxf.classes._load_yaml_json(io.StringIO(p.read_text()))
        except UnicodeDecodeError:
            raise InputError("not a WCxf file: not text", file=file) from None
        except Exception as e:  # noqa: BLE001  (yaml / json parser errors)
            raise InputError(f"not a WCxf file: not valid YAML or JSON ({_first_line(e)})",
                             file=file) from None
        wc = _from_mapping(data, file)
    else:
        raise InputError(f"{label}: expected a dict of coefficients, a WCxf file path, a "
                         f"wcxf.WC or a wilson.Wilson, got {type(source).__name__}")
    _validate(wc, file)
    return wc


def _first_line(e) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _from_mapping(data, file):
    from wilson import wcxf
    if not isinstance(data, dict):
        raise InputError(f"not a WCxf file: expected a mapping with eft, basis, scale and "
                         f"values, got {type(data).__name__}", file=file)
    required = ("eft", "basis", "scale", "values")
    extra = [k for k in data if k not in required + ("metadata",)]
    if extra:
        raise InputError(f"unknown WCxf key '{extra[0]}'.{did_you_mean(extra[0], required)} "
                         f"Allowed: {', '.join(required)}, metadata", file=file,
                         field=str(extra[0]))
    missing = [k for k in required if k not in data]
    if missing:
        raise InputError(f"not a WCxf file: missing {', '.join(missing)} (a WCxf file has "
                         f"eft, basis, scale and values)", file=file, field=missing[0])
    if not isinstance(data["values"], dict):
        raise InputError("WCxf 'values' must be a mapping {coefficient: value}", file=file,
                         field="values")
    _check_scale(data["scale"], file)
    extra = {"metadata": data["metadata"]} if "metadata" in data else {}
    return wcxf.WC(eft=str(data["eft"]), basis=str(data["basis"]), scale=data["scale"],
                   values=data["values"], **extra)


def _check_scale(s, file) -> None:
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s <= 0:
        raise InputError(f"scale {s!r}: must be a positive number (GeV)", file=file,
                         field="scale")


def _validate(wc, file) -> None:
    from wilson import wcxf
    efts = sorted({e for e, _ in wcxf.Basis.instances})
    if wc.eft not in efts:
        raise InputError(f"unknown EFT '{wc.eft}'.{did_you_mean(wc.eft, efts)} WCxf EFTs: "
                         f"{', '.join(efts)}", file=file, field="eft")
    bases = sorted(b for e, b in wcxf.Basis.instances if e == wc.eft)
    if (wc.eft, wc.basis) not in wcxf.Basis.instances:
        raise InputError(f"unknown basis '{wc.basis}' of EFT {wc.eft}."
                         f"{did_you_mean(wc.basis, bases)} Bases: {', '.join(bases)}",
                         file=file, field="basis")
    _check_scale(wc.scale, file)
    names = wcxf.Basis[wc.eft, wc.basis].all_wcs
    for k, v in wc.values.items():
        if k not in names:
            raise InputError(f"'{k}' is not a coefficient of WCxf basis {wc.eft}/{wc.basis}."
                             f"{did_you_mean(k, names)}", file=file, field=f"values.{k}")
        parts = [v] if not isinstance(v, dict) else list(v.values())
        ok = (not isinstance(v, dict) or (set(v) <= {"Re", "Im"} and v)) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            for x in parts)
        if not ok:
            raise InputError(f"'{k}': {v!r} is not a finite number or {{Re: .., Im: ..}}",
                             file=file, field=f"values.{k}")


# ============================================================================ translating
def translate(source, strict: bool = False, label: str = "wc") -> dict:
    """bkfit's coefficients ``{name: complex}`` (WET ``flavio`` names at bkfit's scales, only
    the names its observables read, zeros left out) from a WCxf file, ``wcxf.WC`` or
    ``wilson.Wilson``; see the module docstring for the scales and the rules.  Raises
    InputError; warns :class:`UnusedCoefficients` (error with ``strict``)."""
    from wilson import Wilson
    wc = read(source, label)
    file = str(source) if isinstance(source, (str, Path)) else None
    where = f"{file}: " if file else f"{label}: "
    given = {k: complex(v) for k, v in wc.dict.items()}
    used = used_coefficients()
    flavio_in = (wc.eft, wc.basis) == (EFT, BASIS)
    if flavio_in:
        unused = sorted(k for k, v in given.items() if v != 0 and k not in used)
        if unused:
            _unused(unused, strict, where)
    w = source if isinstance(source, Wilson) else None
    out: dict = {}
    for (eft, scale), sectors in sector_targets().items():
        if (wc.eft, wc.basis) == (eft, BASIS) and math.isclose(wc.scale, scale, rel_tol=1e-12):
            vals = {k: v for k, v in given.items() if _sectors(eft).get(k) in sectors}
        else:
            if not any(given.values()):
                continue
            w = w or Wilson.from_wc(wc)
            vals = _match_run(w, wc, eft, scale, tuple(sectors), where)
        out.update({k: v for k, v in vals.items() if k in used and v != 0})
    if strict and not flavio_in and any(given.values()):
        w = w or Wilson.from_wc(wc)
        full = _match_run(w, wc, EFT, bkfit_scale(), "all", where)
        top = max((abs(v) for v in full.values()), default=0.0)
        unused = sorted(k for k, v in full.items() if abs(v) > 1e-12 * top and k not in used)
        if unused:
            _unused(unused, strict, where, translated=True)
    return {k: (v.real if v.imag == 0 else v) for k, v in out.items()}


def _match_run(w, wc, eft, scale, sectors, where) -> dict:
    """``w.match_run`` to (eft, 'flavio') at ``scale``; InputError with wilson's reason."""
    try:
        res = w.match_run(scale, eft, BASIS, sectors=sectors)
    except Exception as e:  # noqa: BLE001  (wilson raises many types for "not possible")
        raise InputError(f"{where}cannot translate {wc.eft}/{wc.basis} at {wc.scale:g} GeV to "
                         f"{eft}/{BASIS} at {scale:g} GeV with wilson: {_first_line(e)}"
                         ) from None
    return {k: complex(v) for k, v in res.dict.items()}


def _unused(names, strict, where, translated=False) -> None:
    what = ("after translation to WET/flavio, non-zero coefficient(s)" if translated
            else "non-zero coefficient(s)")
    msg = (f"{where}{what} {', '.join(names[:12])}{' ...' if len(names) > 12 else ''} "
           f"({len(names)}) enter no bkfit observable")
    if strict:
        raise InputError(msg + " (strict)")
    warnings.warn(msg + "; they are ignored (strict=True makes this an error)",
                  UnusedCoefficients, stacklevel=3)


def merge(base: dict, extra: dict, label: str = "--set") -> dict:
    """``base`` (translated WCxf coefficients) plus ``extra`` (names given one by one); a name
    in both is an InputError (give it once)."""
    both = sorted(set(base) & set(extra))
    if both:
        raise InputError(f"{label}: {', '.join(both)} also set by the WCxf input; give each "
                         "coefficient once")
    return {**base, **extra}


# ============================================================================ writing
def to_wcxf(coeffs: dict):
    """``(wcxf.WC, omitted)``: bkfit's coefficients as a WET ``flavio`` WCxf object at
    :func:`bkfit_scale` (Delta F = 2 coefficients, understood at their mixing scales, are run
    there with wilson) and the sorted names that WCxf cannot hold (bkfit's extension names
    and particle masses, e.g. ``CLprime_...``, ``m_X``), with their values."""
    import numpy as np
    from wilson import Wilson, wcxf
    names = _sectors(EFT)
    scale = bkfit_scale()
    vals, omitted = {}, {}
    for k, v in coeffs.items():
        c = complex(np.asarray(v))
        if k in names:
            if c != 0:
                vals[k] = c
        else:
            omitted[k] = c.real if c.imag == 0 else c
    for (eft, mu), sectors in sector_targets().items():
        part = {k: v for k, v in vals.items() if names[k] in sectors}
        if not part or math.isclose(mu, scale):
            continue
        w = Wilson(part, scale=mu, eft=eft, basis=BASIS)
        run = w.match_run(scale, EFT, BASIS, sectors=tuple(sectors)).dict
        for k in part:
            del vals[k]
        vals.update({k: complex(v) for k, v in run.items() if v != 0})
    return wcxf.WC(EFT, BASIS, scale, wcxf.WC.dict2values(vals)), dict(sorted(omitted.items()))


def write(coeffs: dict, path, metadata: dict | None = None) -> dict:
    """Write ``coeffs`` (see :func:`to_wcxf`) as a WCxf file (JSON for ``.json``, else
    YAML) with optional ``metadata`` (a WCxf file's free-form ``metadata`` mapping); returns
    the omitted names with their values."""
    wc, omitted = to_wcxf(coeffs)
    if metadata:
        wc.metadata = metadata
    p = Path(path)
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    with open(p, "w") as fh:
        wc.dump(fh, fmt=fmt)
    return omitted
