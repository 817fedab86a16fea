"""R_K^nunu vs R_K*^nunu over a model's prior (the seed's Fig. 1: He, Ma, Valencia,
arXiv:2309.12741): draws from the prior of a run file's model parameters, both ratios at
central nuisance values, and the measured bands: Belle II B+ -> K+ nu nu (Gaussian summary
entry of likelihoods/bknunu.yaml) and the 90 % CL limit on B0 -> K*0 nu nu, each divided by
bkfit's SM prediction.
"""
from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import Predictive

from ..inputs.data_files import safe_load as _yaml_load
from .. import observables as obsreg

RK, RKS = "Rnunu(B+->K)", "Rnunu(B0->K*)"


def prior_scan(asm, n: int = 5000, seed: int = 0):
    """(R_K, R_K*) at n prior draws of the model parameters (nuisances at central values)."""
    import numpyro

    def prior_only():
        for p, d in asm.priors.items():
            numpyro.sample(p, d)

    draws = Predictive(prior_only, num_samples=n)(jax.random.PRNGKey(seed))
    par = asm.base_par

    def one(x):
        c = asm.coefficients(x)
        return jnp.stack([obsreg.predict(RK, c, par), obsreg.predict(RKS, c, par)])

    out = jax.lax.map(jax.jit(one), draws, batch_size=256)
    return np.asarray(out[:, 0]), np.asarray(out[:, 1]), draws


def measured_bands(lik_file: Path, par) -> dict:
    """Measured R_K and R_K* as (central, error down, error up) relative to the SM prediction at
    ``par``, from the Gaussian entries of the likelihood file."""
    data = _yaml_load(Path(lik_file).read_text())
    ent = {e["name"]: e for e in data["entries"]}
    sm_k = float(obsreg.predict("BR(B+->Knunu)", {}, par))
    sm_ks = float(obsreg.predict("BR(B0->K*nunu)", {}, par))
    out = {}
    g = ent.get("belle2_2023_Bp_Knunu_gauss")
    if g:
        out["RK"] = (g["value"] / sm_k, g["error_down"] / sm_k, g["error_up"] / sm_k)
    lim = ent.get("belle_2017_B0_Kstar0nunu_limit")
    if lim:
        out["RKs_limit"] = lim["limit"] / sm_ks
    return out


def plot_rk_rkstar(run_file, out=None, n: int = 5000, seed: int = 0) -> list[Path]:
    """Prior scan of (R_K, R_K*) for a run file with the measured bands; writes the figure as
    PNG and PDF (``out``'s stem) and returns both paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..inference.figures import SM_COLOR, save_figure
    from ..inputs import labels as lab

    from ..config import load_run
    from ..inference.assemble import assemble

    cfg = load_run(run_file)
    asm = assemble(cfg)
    rk, rks, _ = prior_scan(asm, n, seed)
    from ..inputs.shipped import shipped_dir
    bands = measured_bands(shipped_dir("likelihoods") / "bknunu.yaml", asm.base_par)
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    top = float(np.nanpercentile(np.concatenate([rk, rks]), 99.5))
    top = max(top, 5.0)
    if "RK" in bands:
        c, lo, hi = bands["RK"]
        ax.axvspan(c - lo, c + hi, color="C1", alpha=0.25,
                   label=rf"Belle II ${lab.process('B+->Knunu')}$ ($1\sigma$)")
        ax.axvline(c, color="C1", lw=1)
    if "RKs_limit" in bands:
        ax.axhspan(bands["RKs_limit"], top * 1.05, color="grey", alpha=0.25,
                   label=rf"Belle ${lab.process('B0->K*nunu')}$ excluded (90 % CL)")
    ax.scatter(rk, rks, s=2, alpha=0.4, color="C0", label=f"{asm.model.name}: prior draws")
    ax.plot([0, top], [0, top], "k--", lw=0.8, label=r"$R_K^{\nu\bar\nu} = R_{K^*}^{\nu\bar\nu}$")
    ax.plot([1], [1], "*", color=SM_COLOR, ms=12, label="SM")
    ax.set_xlim(0, top * 1.05)
    ax.set_ylim(0, top * 1.05)
    ax.set_xlabel(lab.axis_label(RK))
    ax.set_ylabel(lab.axis_label(RKS))
    ax.set_title(f"{cfg.run.name}: {len(rk)} prior draws", fontsize=10)
    # the scatter fills the square: the legend goes outside, to its right
    leg = ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    for h in leg.legend_handles:
        if hasattr(h, "set_sizes"):          # the scatter's marker, readable in the legend
            h.set_sizes([16])
    paths = save_figure(fig, out or f"rk_rkstar_{cfg.run.name}.png")
    plt.close(fig)
    return paths
