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


LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


def curve_styles(ops, masses) -> dict:
    """(operator, mass) -> matplotlib line properties: a line style per mass and a colour per
    curve, so that no two curves of a panel share both (nor, for one operator, either)."""
    import matplotlib
    n = len(ops) * len(masses)
    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    out = {}
    for i, (op, m) in enumerate((o, m) for o in ops for m in masses):
        out[(op, m)] = {"color": cmap(i % cmap.N),
                        "ls": LINESTYLES[list(masses).index(m) % len(LINESTYLES)]}
    return out


def plot_spectra(panels=None, out="spectra.png", mode="B+->K", efficiency="ita") -> list[Path]:
    """The figure of :func:`spectra_figure` written as PNG and PDF with ``out``'s stem;
    returns both paths."""
    import matplotlib.pyplot as plt

    from ..inference.figures import save_figure
    fig = spectra_figure(panels, mode, efficiency)
    paths = save_figure(fig, out)
    plt.close(fig)
    return paths


def spectra_figure(panels=None, mode="B+->K", efficiency="ita"):
    """One figure with a column per panel (family, operators, masses; default: the seed's
    Fig. 7): normalised dGamma/dq2, and a second row folded with the Belle II efficiency
    ('ita', 'hta' or 'none').  Each (operator, mass) curve has its own colour, each mass its
    own line style; the SM nu nu spectrum is the thick black line; one legend per column sits
    below its lowest axes.  Returns the matplotlib figure."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..inputs import labels as lab

    panels = panels or SEED_FIG7
    par = load_db().central
    rows = 1 if efficiency == "none" else 2
    fig, axes = plt.subplots(rows, len(panels), figsize=(4.8 * len(panels), 3.4 * rows + 1.6),
                             squeeze=False, layout="constrained")
    sm = sm_spectrum(mode, par=par)
    eff = None if efficiency == "none" else efficiency_shape(efficiency)
    q2_label = r"$q^2\ [\mathrm{GeV}^2]$"
    y_label = r"$(1/\Gamma)\,d\Gamma/dq^2\ [\mathrm{GeV}^{-2}]$"
    y_eff = (r"$(1/\Gamma_\epsilon)\,\epsilon_{\mathrm{%s}}(q^2)\,d\Gamma/dq^2\ "
             r"[\mathrm{GeV}^{-2}]$" % efficiency.upper())
    for k, (fam, ops, masses) in enumerate(panels):
        tag, mkey, pat, _ = FAMILIES[fam]
        ops = [SEED_FERMION.get(o, o) if fam == "fermion" else o for o in ops]
        styles = curve_styles(ops, masses)
        for r in range(rows):
            ax = axes[r, k]
            q, d = sm
            ax.plot(q, _fold(q, d, *eff) if r else d, color="k", lw=2.2,
                    label=rf"SM $({lab.process(mode + 'nunu')})$")
            for op in ops:
                for m in masses:
                    q, d = spectrum(fam, op, m, mode, par=par)
                    coeff = lab.tex(pat.format(op=op))
                    mass = lab.value_label(mkey, m)[1:-1]
                    ax.plot(q, _fold(q, d, *eff) if r else d, lw=1.4, **styles[(op, m)],
                            label=rf"${coeff},\ {mass}$")
            ax.set_xlim(0, 23)
            ax.set_ylim(bottom=0)
            ax.set_xlabel(q2_label)
            ax.set_ylabel(y_eff if r else y_label)
            if r == 0:
                ax.set_title(rf"${lab.process(mode + tag)}$", fontsize=10)
        # one legend per column, below its lowest panel (the curves are the same in each row)
        axes[-1, k].legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=7,
                           ncol=2, frameon=False)
    if rows == 2:
        fig.suptitle("Normalised $q^2$ spectra: top without, bottom with the Belle II "
                     f"{efficiency.upper()} signal efficiency", fontsize=11)
    return fig
