"""Normalised q^2 spectra of B -> K(*) + invisible for chosen operators and masses, with and
without the Belle II signal efficiency folded in (the seed's Figs. 7 and 8:
He, Ma, Valencia, arXiv:2309.12741).

The efficiency is the one implied by Belle II's reinterpretation maps
(likelihoods/belle2_kpnunu_2023/): for true-q^2 bin j, eps_j is proportional to the expected
number of selected signal events from that bin (column sum of the map) divided by the
reference-spectrum branching fraction of the bin.  ITA: signal-region map (channel A); HTA:
the hadronic-tag map.  Only the shape of eps matters here (curves are normalised).
"""
from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .. import observables as obsreg
from ..errors import InputError
from ..inputs import load_db

FAMILIES = {
    # family -> (observable tag, mass key, coefficient key pattern, operators)
    "scalar": ("phiphi", "m_phi", "C{op}_bsphiphi", ("S", "P", "V", "A")),
    "fermion": ("chichi", "m_chi", "C{op}_bschichi",
                ("SS", "SP", "PS", "PP", "VV", "VA", "AV", "AA", "TT", "TT5")),
    "vector": ("XX", "m_X", "C{op}hat_bsXX", ("S", "T1", "T2", "V2", "V3", "V4", "V5", "V6")),
}
# the seed's names of the fermion operators
SEED_FERMION = {"S1": "SS", "S2": "SP", "V1": "VV", "V2": "VA", "T1": "TT", "T2": "TT5"}

# panels of the seed's Fig. 7 (left: scalar, 300 and 700 MeV; centre: fermion, 700 MeV;
# right: vector, 700 MeV)
SEED_FIG7 = [
    ("scalar", ("S", "V"), (0.3, 0.7)),
    ("fermion", ("SS", "SP", "VV", "VA", "TT", "TT5"), (0.7,)),
    ("vector", ("S", "T1", "T2", "V2", "V3", "V4", "V5", "V6"), (0.7,)),
]


def efficiency_shape(which: str = "ita"):
    """(bin edges, eps_j normalised to max 1) from the Belle II maps."""
    from ..likelihood.pyhf_term import default_term
    term = default_term()
    keys = list(term.maps)
    pick = {"ita": [k for k in keys if k.startswith("A__")],
            "hta": [k for k in keys if "had" in k]}[which]
    n = sum(np.asarray(term.maps[k], float)[:, 1:].sum(axis=0) for k in pick)
    nb = np.asarray(term.null_bins)
    eps = np.where(nb > 0, n / np.where(nb > 0, nb, 1.0), 0.0)
    return np.asarray(term.edges), eps / eps.max()


def spectrum(family: str, op: str, mass: float, mode: str = "B+->K", n: int = 400, par=None):
    """(q2 grid, dBR/dq2 normalised to unit area) of one operator (coefficient 1)."""
    if family not in FAMILIES:
        raise InputError(f"unknown family '{family}'; allowed: {', '.join(FAMILIES)}",
                         field="family")
    tag, mkey, pat, ops = FAMILIES[family]
    op = SEED_FERMION.get(op, op) if family == "fermion" else op
    if op not in ops:
        raise InputError(f"operator '{op}' is not one of the {family} operators: "
                         f"{', '.join(ops)}", field="operator")
    par = par or load_db().central
    from ..physics.invisible import q2max
    top = float(q2max(mode, par))
    lo = 4 * mass * mass
    if mass < 0 or lo >= top:
        raise InputError(f"mass {mass} GeV is outside [0, {np.sqrt(top) / 2:.3f}) GeV, the "
                         f"pair threshold (m_B - m_K)/2 for {mode}", field="mass")
    q2 = np.linspace(lo, top, n + 2)[1:-1]
    c = {pat.format(op=op): 1.0, mkey: mass}
    d = np.asarray(obsreg.predict(f"dBR/dq2({mode}{tag})", c, par, q2=jnp.asarray(q2)))
    area = np.trapezoid(d, q2)
    return q2, d / area if area > 0 else d


def sm_spectrum(mode: str = "B+->K", n: int = 400, par=None):
    """SM q^2 grid (GeV^2, ``n`` points) and the normalised dBR/dq^2 shape of B -> M nu nu."""
    par = par or load_db().central
    q2 = np.linspace(1e-3, 22.8, n)
    d = np.asarray(obsreg.predict(f"dBR/dq2({mode}nunu)", {}, par, q2=jnp.asarray(q2)))
    return q2, d / np.trapezoid(d, q2)


def _fold(q2, d, edges, eps):
    idx = np.clip(np.searchsorted(edges, q2) - 1, 0, len(eps) - 1)
    f = d * eps[idx]
    a = np.trapezoid(f, q2)
    return f / a if a > 0 else f


def plot_spectra(panels=None, out="spectra.png", mode="B+->K", efficiency="ita") -> list[Path]:
    """One figure with a row per panel (family, operators, masses): normalised dGamma/dq2,
    and a second row folded with the Belle II efficiency ('ita', 'hta' or 'none')."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = panels or SEED_FIG7
    par = load_db().central
    rows = 1 if efficiency == "none" else 2
    fig, axes = plt.subplots(rows, len(panels), figsize=(4.6 * len(panels), 3.6 * rows),
                             squeeze=False)
    sm = sm_spectrum(mode, par=par)
    eff = None if efficiency == "none" else efficiency_shape(efficiency)
    for k, (fam, ops, masses) in enumerate(panels):
        for r in range(rows):
            ax = axes[r, k]
            q, d = sm
            ax.plot(q, _fold(q, d, *eff) if r else d, "k-", lw=2, label="SM νν̄")
            for op in ops:
                for m in masses:
                    q, d = spectrum(fam, op, m, mode, par=par)
                    ax.plot(q, _fold(q, d, *eff) if r else d, lw=1.2,
                            label=f"{op}, m = {m:g} GeV")
            ax.set_xlim(0, 23)
            ax.set_ylim(bottom=0)
            ax.set_xlabel("q² [GeV²]")
            ax.set_ylabel("(1/Γ) dΓ/dq²" + (f" × ε_{efficiency.upper()}" if r else ""))
            ax.set_title(f"{fam} pair, {mode}" + (" (Belle II efficiency)" if r else ""),
                         fontsize=9)
            ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return [out]
