"""Regenerate ``bkfit/inputs/data/lq_running.yaml``: the linear map from the SMEFT coefficients
that a leptoquark induces at tree level at mu = M to bkfit's WET coefficients at 4.8 GeV.

Run ``python -m bkfit.inputs.refresh_lq_running [JOBS]`` (about 20 CPU minutes) after upgrading ``wilson``.
This module (with the tests) is the only place where the leptoquark models meet ``wilson``;
the likelihood path reads the cached file (bkfit/models/leptoquarks.py).

What is computed, for each mass M of ``MASSES_TEV`` (a grid in ln M):

* every input column = one SMEFT (Warsaw, down basis) coefficient set to a unit value at
  mu = M, lepton indices (tau, tau): ``lq1``/``lq3``/``ld`` with quark indices (i, k), i <= k
  (real part, and for i < k the imaginary part too), and ``lequ1``/``lequ3`` with quark
  indices (3, k) (real and imaginary part);
* ``wilson`` runs it M -> m_W (SMEFT), matches to the WET and runs to 4.8 GeV
  (``Wilson.match_run(4.8, 'WET', 'flavio')``);
* each output (``CL_bsnu``, ``CR_bsnu``, ``C9_bs``, ``C10_bs``, ``C9p_bs``, ``C10p_bs``,
  ``CVL_bc``, ``CVR_bc``, ``CSL_bc``, ``CSR_bc``, ``CT_bc``) is read for the lepton pairs
  (e, e) and (tau, tau) and multiplied by wilson's own normalisation (4 G_F/sqrt2 V_tb V_ts^*
  alpha_e/(4 pi) for b -> s, 4 G_F/sqrt2 V_cb for b -> c, with wilson's inputs): the result
  is the coefficient of the operator in L_eff in GeV^-2 per GeV^-2 of SMEFT coefficient,
  free of wilson's numerical inputs (bkfit divides by its own normalisation).

Stored per column: ``univ`` = the (e, e) output (the lepton-flavour-universal part, from gauge
penguins) and ``same`` = (tau, tau) output minus ``univ`` (the part that stays in the lepton
pair of the input).  Lepton-Yukawa effects (y_tau^2/(16 pi^2) ~ 1e-6) that would make ``same``
depend on the lepton flavour are neglected; the tests check electron/muon couplings against
wilson directly.  The B_s-mixing box (a one-loop coefficient of the WET operator at mu = M)
is run with wilson's WET running alone (``box_VLL``, ``box_VRR``: C(4.8 GeV)/C(M)).
"""
from __future__ import annotations

import datetime
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import yaml

OUT = Path(__file__).parent / "data" / "lq_running.yaml"
MASSES_TEV = (0.5, 0.8, 1.25, 2.0, 3.2, 5.0, 8.0, 12.5, 20.0)
SCALE_LOW = 4.8
UNIT = 1e-7            # GeV^-2, the size of one input (a 2 TeV leptoquark with lam ~ 1)
OUTPUTS = ("CL_bsnu{l}nu{l}", "CR_bsnu{l}nu{l}", "C9_bs{l}{l}", "C10_bs{l}{l}",
           "C9p_bs{l}{l}", "C10p_bs{l}{l}", "CVL_bc{l}nu{l}", "CVR_bc{l}nu{l}",
           "CSL_bc{l}nu{l}", "CSR_bc{l}nu{l}", "CT_bc{l}nu{l}")


def columns() -> list[tuple[str, int, int, str]]:
    """The input columns (operator, i, k, 're'|'im'); quark indices 1-based."""
    cols = []
    for op in ("lq1", "lq3", "ld"):
        for i in (1, 2, 3):
            for k in range(i, 4):
                cols.append((op, i, k, "re"))
                if k != i:
                    cols.append((op, i, k, "im"))
    for op in ("lequ1", "lequ3"):
        for k in (1, 2, 3):
            cols += [(op, 3, k, "re"), (op, 3, k, "im")]
    return cols


def wilson_normalisations() -> tuple[complex, complex]:
    """wilson's flavio-basis normalisations at 4.8 GeV: (b -> s nu nu / l l, b -> c l nu)."""
    import ckmutil.ckm
    from wilson.translate.wet import get_parameters
    pw = get_parameters(SCALE_LOW, f=5)
    V = ckmutil.ckm.ckm_tree(pw["Vus"], pw["Vub"], pw["Vcb"], pw["gamma"])
    gf = 4 * pw["GF"] / math.sqrt(2)
    return gf * V[2, 2] * np.conj(V[2, 1]) * pw["alpha_e"] / (4 * math.pi), gf * V[1, 2]


def smeft_key(op: str, i: int, k: int) -> str:
    """WCxf name of the (tau, tau) SMEFT coefficient of a column."""
    return f"{op}_33{i}{k}"


def run_column(mass_gev: float, col) -> dict:
    """{output name with lepton l: complex} for one column at one mass (wilson)."""
    import wilson
    op, i, k, part = col
    val = UNIT if part == "re" else 1j * UNIT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = wilson.Wilson({smeft_key(op, i, k): val}, scale=mass_gev, eft="SMEFT",
                          basis="Warsaw")
        return w.match_run(SCALE_LOW, "WET", "flavio").dict


def box_factors(mass_gev: float) -> dict:
    """C(4.8 GeV)/C(M) of the B_s-mixing operators (WET running with wilson)."""
    import wilson
    eps = 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = wilson.Wilson({"CVLL_bsbs": eps, "CVRR_bsbs": eps}, scale=mass_gev, eft="WET",
                          basis="flavio")
        d = w.match_run(SCALE_LOW, "WET", "flavio").dict
    return {"VLL": float(np.real(d["CVLL_bsbs"])) / eps,
            "VRR": float(np.real(d["CVRR_bsbs"])) / eps}


def _one_mass(m: float) -> tuple:
    """(same, univ, box) at one mass in TeV (one process of the pool)."""
    nbs, nbc = wilson_normalisations()
    cols = columns()
    same = np.zeros((len(cols), len(OUTPUTS)), complex)
    univ = np.zeros_like(same)
    t0 = time.time()
    for c, col in enumerate(cols):
        d = run_column(m * 1e3, col)
        for o, name in enumerate(OUTPUTS):
            n = nbc if name.startswith(("CV", "CS", "CT")) else nbs
            e = complex(d.get(name.format(l="e"), 0.0)) * n / UNIT
            t = complex(d.get(name.format(l="tau"), 0.0)) * n / UNIT
            univ[c, o], same[c, o] = e, t - e
    print(f"M = {m} TeV done ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    return same, univ, box_factors(m * 1e3)


def build(masses=MASSES_TEV, jobs: int = 1) -> dict:
    """The map as the dict written to the data file (needs wilson; ``jobs`` processes)."""
    import wilson
    cols = columns()
    if jobs > 1:
        import multiprocessing
        with multiprocessing.Pool(jobs) as pool:
            res = pool.map(_one_mass, masses, chunksize=1)
    else:
        res = [_one_mass(m) for m in masses]
    same = np.array([r[0] for r in res])
    univ = np.array([r[1] for r in res])
    box = {k: [r[2][k] for r in res] for k in ("VLL", "VRR")}

    def lists(x):
        return {"re": [[[float(f"{v:.9g}") for v in row] for row in blk] for blk in x.real],
                "im": [[[float(f"{v:.9g}") for v in row] for row in blk] for blk in x.imag]}

    return {
        "source": (
            "Generated by bkfit/inputs/refresh_lq_running.py with wilson "
            f"{wilson.__version__} (Aebischer, Kumar, Straub, arXiv:1804.05033): SMEFT "
            "running M -> m_W, tree-level SMEFT -> WET matching and WET running to 4.8 GeV "
            "(Wilson.match_run(4.8, 'WET', 'flavio')), one unit SMEFT coefficient at a time; "
            f"generated {datetime.date.today().isoformat()}."),
        "notes": (
            "map[mass][column][output]: coefficient of the output operator in L_eff (GeV^-2, "
            "i.e. wilson's flavio-basis coefficient times wilson's normalisation) per GeV^-2 "
            "of the column's SMEFT coefficient at mu = M.  'same': output in the input's "
            "lepton pair; 'univ': added to every lepton-flavour-diagonal pair (e, mu, tau) per "
            "unit of a lepton-diagonal input.  box: C(4.8 GeV)/C(M) of CVLL_bsbs, CVRR_bsbs."),
        "scale_low_GeV": SCALE_LOW,
        "unit_input_GeV-2": UNIT,
        "masses_TeV": list(masses),
        "columns": [list(c) for c in cols],
        "outputs": [o.replace("{l}", "") for o in OUTPUTS],
        "same": lists(same),
        "univ": lists(univ),
        "box": box,
    }


def main():  # pragma: no cover - regeneration tool
    """Write the data file."""
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    data = build(jobs=jobs)
    with open(OUT, "w") as fh:
        fh.write("# Generated by bkfit/inputs/refresh_lq_running.py -- do not edit by hand.\n")
        yaml.safe_dump(data, fh, default_flow_style=None, width=120, sort_keys=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":  # pragma: no cover
    main()
