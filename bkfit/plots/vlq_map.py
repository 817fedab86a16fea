r"""The VLQ + scalar-DM map over (m_phi, C^dd/C^ss) (docs/vlq.md, "The blind spot"): where
each constraint leaves the model room, at the seed's heavy benchmark (m_Q = m_D = 1.5 TeV,
y1 = y2 = 1, by default; any model option can be passed).

At every grid point (m_phi, r = C^dd/C^ss) the s-quark Yukawas y_s = yq_s = yd_s are fixed by
the relic density (phi is all the dark matter: Omega h^2 equal to the Planck value of
likelihoods/relic.yaml, Newton's method in ln y_s on the model's own Omega_h2(phi)), and the
d-quark Yukawas realise the ratio (up to the quark-mass insertions, 1e-4 of C^ss) with equal
moduli, yq_d = sqrt|r| y_s, yd_d = sign(r)
sqrt|r| y_s (for the rank-one coupling matrix of this model C^{ds} C^{sd} = C^{dd} C^{ss}, so
the split between yq_d and yd_d does not change the size of the Delta S = 2 coefficient
C_SLR).  Then, with those couplings:

* relic density: allowed where the required y_s is perturbative (y_s <= y_max);
* direct detection: sigma_SI_N(phi) on xenon / argon below every published 90 % CL limit of
  likelihoods/dd_migdal.yaml that covers m_phi (the terms' own curves);
* Delta M_K: the new-physics 2|M12| below the limit of the ``DeltaM_K_NP`` entry of
  likelihoods/vlq.yaml;
* Belle II: C^{sb} (yd_b) is independent of the other couplings, so the Belle II band is a
  band in m_phi: the profile likelihood of the full Belle II B+ -> K+ nu nu likelihood (its
  nuisances profiled, as in the evidence setup) over yd_b is within the 95 % CL of its
  maximum over m_phi (Delta chi^2 < 3.84, one parameter).

:func:`compute_vlq_map` returns the arrays (:class:`VlqMap`), :func:`plot_vlq_map` draws them;
``bkfit plot vlq-map`` does both.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import chi2

BENCHMARK = {"m_Q_TeV": 1.5, "m_D_TeV": 1.5, "y1": 1.0, "y2": 1.0}
COUPLINGS = ["yq_d", "yq_s", "yd_d", "yd_s", "yd_b"]
CHI2_95_1DOF = float(chi2.ppf(0.95, 1))   # 95 % CL, one parameter


@dataclass
class VlqMap:
    """Grid and per-constraint verdicts of :func:`compute_vlq_map` (arrays of shape
    (len(ratio), len(m_phi)) unless stated)."""
    m_phi: np.ndarray                 # GeV, (n_m,)
    ratio: np.ndarray                 # C^dd / C^ss, (n_r,)
    y_s: np.ndarray                   # relic-density Yukawa
    omega: np.ndarray                 # Omega h^2 reached (check of the solution)
    sigma_si: np.ndarray              # cm^2 (xenon)
    dd_ratio: np.ndarray              # largest sigma / (90 % CL limit) over the curves
    deltam_k: np.ndarray              # GeV, new-physics 2|M12|
    deltam_k_limit: float
    belle2_dchi2: np.ndarray          # (n_m,) profile Delta chi^2 over yd_b
    allowed: dict = field(default_factory=dict)   # constraint -> boolean array
    settings: dict = field(default_factory=dict)


def _terms(relpath: str):
    from ..inputs.shipped import shipped_dir
    from ..likelihood.loader import load_file
    return load_file(shipped_dir("likelihoods") / relpath)


def _grid_predictions(model, names, m_phi, ratio, y_s, par, catalogue):
    """Predictions ``names`` (observable keys) on the grid, vectorised with jax."""
    import jax
    import jax.numpy as jnp

    from .. import observables as obsreg
    specs = [(obsreg.parse_obs_key(n, catalogue)) for n in names]

    def one(m, r, ys, ydb):
        yd = jnp.sqrt(jnp.abs(r)) * ys
        theta = {"m_phi": m, "yq_s": ys, "yd_s": ys, "yq_d": yd,
                 "yd_d": jnp.sign(r) * yd, "yd_b": ydb}
        c = model.coefficients(theta)
        return jnp.stack([jnp.real(obsreg.predict(n, c, par, catalogue, **a)) for n, a in specs])

    f = jax.jit(jax.vmap(one))
    M, R = np.meshgrid(m_phi, ratio)
    out = f(jnp.asarray(M.ravel()), jnp.asarray(R.ravel()), jnp.asarray(np.ravel(y_s)),
            jnp.zeros(M.size))
    return np.asarray(out).reshape(M.shape + (len(names),))


def _solve_relic(model, m_phi, ratio, target, par, catalogue, iterations=12, y0=0.5):
    """y_s with Omega_h2(phi) = target at every grid point: Newton's method in ln y_s with the
    exact derivative (jax), started at y0."""
    import jax
    import jax.numpy as jnp

    from .. import observables as obsreg

    def ln_omega(lny, m, r):
        ys = jnp.exp(lny)
        yd = jnp.sqrt(jnp.abs(r)) * ys
        c = model.coefficients({"m_phi": m, "yq_s": ys, "yd_s": ys, "yq_d": yd,
                                "yd_d": jnp.sign(r) * yd, "yd_b": 0.0})
        return jnp.log(obsreg.predict("Omega_h2(phi)", c, par, catalogue))

    step = jax.jit(jax.vmap(jax.value_and_grad(ln_omega)))
    M, R = np.meshgrid(m_phi, ratio)
    m, r = jnp.asarray(M.ravel()), jnp.asarray(R.ravel())
    lny = jnp.full(m.shape, math.log(y0))
    lt = math.log(target)
    for _ in range(iterations):
        lo, d = step(lny, m, r)
        lny = lny - jnp.clip((lo - lt) / jnp.where(d < 0, d, -1.0), -2.0, 2.0)
    lo, _ = step(lny, m, r)
    return np.exp(np.asarray(lny)).reshape(M.shape), np.exp(np.asarray(lo)).reshape(M.shape)


def _belle2_profile(options, m_phi, ydb_grid):
    """-2 ln L of the full Belle II likelihood (nuisances profiled), profiled over yd_b at each
    m_phi, minus its minimum over m_phi."""
    from ..api import log_likelihood
    run = {"run": {"name": "vlq_map_belle2"},
           "model": {"name": "vlq_scalar_dm", "couplings": ["yq_s", "yd_b"],
                     "fixed": {**options.get("fixed", {})},
                     **{k: v for k, v in options.items() if k not in ("couplings", "fixed")}},
           "likelihood": {"files": ["likelihoods/belle2_kpnunu_2023.yaml"],
                          "options": {"belle2_2023_kpnunu_full": {
                              "nuisances": "profile", "profile_iterations": 2,
                              "profile_start": "bestfit"}}}}
    ll = log_likelihood(run)
    best = np.full(len(m_phi), -np.inf)
    for i, m in enumerate(m_phi):
        for ydb in ydb_grid:
            best[i] = max(best[i], float(ll({"m_phi": float(m), "yq_s": 1.0, "yd_b": float(ydb)})))
    return -2.0 * (best - best.max())


def compute_vlq_map(m_phi=None, ratio=None, options: dict | None = None, y_max: float = None,
                    ydb_grid=None, belle2: bool = True) -> VlqMap:
    """The map's arrays (see the module docstring).  ``m_phi`` [GeV] and ``ratio``
    (C^dd/C^ss) are the grid axes (defaults: 0.3-2.39 GeV, -1...1 with a fine blind-spot
    region); ``options``: model options of ``vlq_scalar_dm`` (default: the seed's benchmark
    heavy sector with the Lagrangian y1 normalisation); ``y_max``: the largest perturbative
    Yukawa (default sqrt(4 pi)); ``belle2=False`` skips the Belle II profile (slow: one
    profiled likelihood per (m_phi, yd_b) point)."""
    from .. import observables as obsreg
    from ..inputs import load_db
    from ..models import make_model
    from ..observables import default_catalogue
    cat = default_catalogue()
    par = dict(load_db().central)
    m_phi = np.linspace(0.3, 2.39, 22) if m_phi is None else np.asarray(m_phi, float)
    if ratio is None:       # symmetric in log |r| over 5 decades, fine around the blind spot
        ratio = np.unique(np.concatenate([-np.geomspace(1e-5, 1, 31), [0.0],
                                          np.geomspace(1e-5, 1, 31),
                                          np.linspace(-0.1, -0.01, 31)]))
    ratio = np.asarray(ratio, float)
    y_max = math.sqrt(4 * math.pi) if y_max is None else float(y_max)
    opts = {"couplings": COUPLINGS, "fixed": dict(BENCHMARK)}
    for k, v in (options or {}).items():
        opts[k] = {**opts["fixed"], **v} if k == "fixed" else v
    model = make_model("vlq_scalar_dm", opts)

    relic = [t for t in _terms("relic.yaml") if t.name == "planck2018_omega_c_h2"][0]
    target = float(relic.value)
    y_s, omega = _solve_relic(model, m_phi, ratio, target, par, cat)

    dd_terms = _terms("dd_migdal.yaml")
    names = ["sigma_SI_N(phi)[Z=54,A=131.293]", "DeltaM_K_NP"]
    pred = _grid_predictions(model, names, m_phi, ratio, y_s, par, cat)
    sigma, dmk = pred[..., 0], pred[..., 1]
    # each curve against the prediction in its own nucleus' normalisation; dd_ratio: the
    # largest prediction / limit over the curves that cover m_phi (0 where none does)
    dd_ratio = np.zeros(sigma.shape)
    for t in dd_terms:
        key = obsreg.obs_key(t.observable, t.args)
        s_t = _grid_predictions(model, [key], m_phi, ratio, y_s, par, cat)[..., 0]
        lo, hi = t.mass_range
        lim = np.array([float(t.limit_at(m)) if lo <= m <= hi else np.inf for m in m_phi])
        dd_ratio = np.maximum(dd_ratio, s_t / lim[None, :])
    dmk_term = [t for t in _terms("vlq.yaml") if t.observable == "DeltaM_K_NP"][0]
    dmk_limit = float(dmk_term.limit)

    if belle2:
        ydb = np.concatenate([[0.0], np.geomspace(1e-4, 1e-2, 17)]) if ydb_grid is None \
            else np.asarray(ydb_grid, float)
        dchi2 = _belle2_profile(opts, m_phi, ydb)
    else:
        dchi2 = np.full(len(m_phi), np.nan)
    allowed = {
        "relic density (perturbative y_s)": (y_s <= y_max) & (np.abs(omega / target - 1) < 1e-3),
        "direct detection": dd_ratio < 1.0,
        "ΔM_K": dmk < dmk_limit,
    }
    if belle2:
        allowed["Belle II B⁺→K⁺νν̄"] = np.broadcast_to(dchi2 < CHI2_95_1DOF, y_s.shape)
    return VlqMap(m_phi, ratio, y_s, omega, sigma, dd_ratio, dmk, dmk_limit, dchi2, allowed,
                  {"options": opts, "y_max": y_max, "omega_target": target})


def plot_vlq_map(vmap: VlqMap, out: str | Path) -> list[Path]:
    """Draw ``vmap``: one hatched/filled allowed region per constraint over (m_phi, C^dd/C^ss)
    (symlog ratio axis), their overlap in solid colour, and the y_s contours of the relic
    solution.  Writes ``out`` as .png and .pdf; returns the paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from ..inference.figures import save_figure

    out = Path(out)
    stem = out.with_suffix("") if out.suffix in (".png", ".pdf") else out
    M, R = np.meshgrid(vmap.m_phi, vmap.ratio)
    fig, ax = plt.subplots(figsize=(7.2, 5.0), constrained_layout=True)
    styles = [("tab:blue", "//"), ("tab:orange", "\\\\"), ("tab:green", "||"), ("tab:red", "--")]
    handles = []
    for (name, ok), (col, hatch) in zip(vmap.allowed.items(), styles):
        ax.contourf(M, R, ok.astype(float), levels=[0.5, 1.5], colors="none", hatches=[hatch])
        ax.contour(M, R, ok.astype(float), levels=[0.5], colors=[col], linewidths=1.5)
        handles.append(Patch(facecolor="none", edgecolor=col, hatch=hatch, label=f"{name} allowed"))
    every = np.logical_and.reduce(list(vmap.allowed.values()))
    if every.any():
        ax.contourf(M, R, every.astype(float), levels=[0.5, 1.5], colors=["k"], alpha=0.35)
    handles.append(Patch(facecolor="k", alpha=0.35, label="all allowed"))
    cs = ax.contour(M, R, vmap.y_s, levels=[0.1, 0.3, 1.0, 3.0], colors="grey", linewidths=0.8,
                    linestyles=":")
    ax.clabel(cs, fmt=lambda v: f"$y_s={v:g}$", fontsize=7)
    ax.set_yscale("symlog", linthresh=1e-5)
    ax.set_xlabel(r"$m_\phi$ [GeV]")
    ax.set_ylabel(r"$C^{dd}/C^{ss}$")
    o = vmap.settings["options"]["fixed"]
    ax.set_title(rf"VLQ + scalar DM, $m_Q={o.get('m_Q_TeV')}$ TeV, $m_D={o.get('m_D_TeV')}$ "
                 rf"TeV, $y_1={o.get('y1')}$, $y_2={o.get('y2')}$; $y_s$ from $\Omega h^2$",
                 fontsize=9)
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    paths = save_figure(fig, stem.with_name(stem.name + ".png"))
    plt.close(fig)
    return paths
