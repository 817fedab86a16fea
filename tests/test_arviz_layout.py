"""posterior.nc follows ArviZ conventions: two tiny fits of the Gaussian quickstart, then
``az.loo``, ``az.compare``, ``az.plot_ppc`` and ``az.plot_trace`` on the files unchanged
(about 2 minutes, marked slow)."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import arviz as az  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bkfit.inference.results import identifier, identifiers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_identifiers_are_plain_and_deterministic():
    names = ["obs::BR(B+->Knunu)", "obs::<BR>(B0->K*nunu)[0,4]", "par::B->K BSZ a0_f+",
             "nuis::ff_BK", "belle2::alpha", "dBR/dq2(B+->Knunu)[2.5]", "1x"]
    ids = identifiers(names)
    assert ids["obs::BR(B+->Knunu)"] == "BR_Bp_to_Knunu"
    assert ids["nuis::ff_BK"] == "nuis_ff_BK"
    for v in ids.values():
        assert v.isidentifier() and v.isascii()
    assert ids == identifiers(names) and identifier("1x") == "v_1x"
    assert identifiers(["a+", "ap"]) == {"a+": "ap", "ap": "ap_2"}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    from bkfit.inference.run import run_fit
    base = tmp_path_factory.mktemp("az")
    out = []
    for seed in (1, 2):
        d = run_fit(ROOT / "runs" / "quickstart_gaussian.toml", base / f"q{seed}",
                    {"chains": 1, "num_warmup": 30, "num_samples": 30, "seed": seed},
                    progress=False, preflight=0, echo=lambda line: None)
        out.append(d)
    return out


@pytest.mark.slow
def test_posterior_nc_works_with_arviz(two_runs):
    import matplotlib.pyplot as plt
    a, b = (az.from_netcdf(str(d / "posterior.nc")) for d in two_runs)
    for g in ("posterior", "prior", "observed_data", "posterior_predictive",
              "log_likelihood", "sample_stats"):
        assert g in a.groups()
    for g in a.groups():
        for v in getattr(a, g).data_vars:
            assert v.isidentifier() and v.isascii(), (g, v)
    # parameters and derived observables are in the posterior, with display labels
    assert "CL_bsnutaunutau" in a.posterior
    assert a.posterior["BR_Bp_to_Knunu"].attrs["label"] == "BR(B+->Knunu)"
    assert a.prior["BR_Bp_to_Knunu"].sizes["draw"] == 500
    # measured central value of the Gaussian Belle II entry; its replicas match it in shape
    obs = a.observed_data["belle2_2023_Bp_Knunu_gauss"].values
    assert obs.shape == (1,) and obs[0] == pytest.approx(2.3e-5)
    assert (a.posterior_predictive["belle2_2023_Bp_Knunu_gauss"].shape
            == (1, 30) + obs.shape)
    ll = a.log_likelihood
    assert list(ll.data_vars) == ["total_pointwise"] and ll.sizes["measurement"] == 5
    assert np.all(np.isfinite(ll["total_pointwise"].values))
    loo = az.loo(a)
    assert np.isfinite(loo["elpd_loo"])
    cmp = az.compare({"seed1": a, "seed2": b})
    assert set(cmp.index) == {"seed1", "seed2"}
    az.plot_ppc(a)
    az.plot_trace(a, var_names=["CL_bsnutaunutau", "BR_Bp_to_Knunu"])
    plt.close("all")
    report = (two_runs[0] / "report.md").read_text()
    assert "Pareto k: max" in report and "above 0.7" in report


def test_belle2_pointwise_bins_sum_to_the_term():
    """The shipped Belle II pyhf term: one ln L piece per main bin (summing to its
    log_likelihood), observed counts as its measured values, Poisson replicas of their shape."""
    import jax
    import jax.numpy as jnp

    from bkfit.likelihood.pyhf_term import default_term
    term = default_term()
    preds = [jnp.asarray(term.null_bins) * 2.0] if term.requests() else []
    rng = np.random.default_rng(3)
    nuis = {}
    for k, d in term.nuisance_priors().items():
        shape = d.batch_shape + d.event_shape
        base = 1.0 if k.endswith("::gamma") else 0.0
        nuis[k] = jnp.asarray(base + 0.1 * rng.normal(size=shape))
    pw = np.asarray(term.pointwise(preds, nuis))
    assert pw.shape == (len(term.point_labels()),) == term.observed().shape
    assert pw.sum() == pytest.approx(float(term.log_likelihood(preds, nuis)), rel=1e-10)
    rep = np.asarray(term.replicate(jax.random.PRNGKey(0), preds, nuis))
    assert rep.shape == term.observed().shape and np.all(rep >= 0)
    assert np.all(rep == np.round(rep))
