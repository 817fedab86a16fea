"""Forecasts (bkfit/inference/forecast.py, forecast_run.py; ``bkfit forecast``).

References independent of the code under test:
* projected uncertainties: the published points of the projections file (the scaling must
  pass through them and shrink monotonically), and the rule sigma^2 = a/L + b checked on
  made-up points where a pure 1/sqrt(L) law holds exactly;
* the evidence update E_post[L_new]: Gaussian posterior x Gaussian measurement, whose
  marginal is the closed-form Gaussian N(d; m0, s0^2 + sigma^2) (scipy), and the closed-form
  effective sample size of the reweighting;
* the expected ln B of two Gaussian "models": the Kullback-Leibler divergence
  (m_A - m_B)^2 / (2 (s0^2 + sigma^2));
* coverage: sm_mu (signal strength mu) fitted by an exact grid posterior to data simulated
  from the projected B+ -> K+ nu nu measurement at a true mu; its 68 % central interval must
  cover mu_true in 60-76 % of 200 data sets.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from bkfit.errors import InputError
from bkfit.inference import forecast as fc


@pytest.fixture(scope="module")
def projections():
    return fc.load_projections()


# ------------------------------------------------------------------ projected uncertainties
def test_every_projection_names_its_source(projections):
    assert {"BR(B+->Knunu)", "BR(B0->K*nunu)", "FL(B0->K*nunu)"} <= set(projections)
    for name, p in projections.items():
        assert "arXiv:" in p.source, name
        assert p.points, name


def test_projected_uncertainties_pass_through_the_published_points_and_shrink(projections):
    """At each published luminosity the scaled uncertainty equals the published one (to the
    rounding of the published number), and it decreases monotonically with luminosity."""
    grid = np.geomspace(0.5, 500, 60)
    for name, p in projections.items():
        for lumi, published in p.points.items():
            got = fc.projected_sigma(p, lumi, sm_value=1.0)
            assert got == pytest.approx(published, abs=5e-4), (name, lumi)
        s = [fc.projected_sigma(p, x, sm_value=1.0) for x in grid]
        assert np.all(np.diff(s) < 0), name
        # the statistical part ~ 1/sqrt(L): sigma^2 is linear in 1/L
        s2 = np.square(s)
        slope = np.diff(s2) / np.diff(1.0 / grid)
        assert np.allclose(slope, slope[0], rtol=1e-9), name


def test_relative_projection_scales_with_the_sm_prediction(projections):
    from bkfit import observables as obsreg
    from bkfit.inputs import load_db
    par = dict(load_db().central)
    sm = fc.sm_values(projections, par)
    p = projections["BR(B+->Knunu)"]
    assert sm["BR(B+->Knunu)"] == pytest.approx(obsreg.predict("BR(B+->Knunu)", {}, par))
    assert fc.projected_sigma(p, 50, sm["BR(B+->Knunu)"]) == pytest.approx(
        p.points[50] * sm["BR(B+->Knunu)"], rel=1e-3)


def test_scaling_rule_on_exact_laws():
    """Points on sigma = 0.2 sqrt(5/L) give b = 0 (pure statistics); points on
    sigma^2 = 0.3/L + 0.01 give a = 0.3, b = 0.01; points falling faster than 1/sqrt(L)
    cannot have a negative systematic part (b clipped to 0)."""
    pure = {5.0: 0.2, 20.0: 0.2 * math.sqrt(5 / 20), 50.0: 0.2 * math.sqrt(5 / 50)}
    a, b = fc.scaling(pure)
    assert a == pytest.approx(0.2 ** 2 * 5) and b == pytest.approx(0.0, abs=1e-12)
    mixed = {L: math.sqrt(0.3 / L + 0.01) for L in (1.0, 5.0, 50.0)}
    a, b = fc.scaling(mixed)
    assert (a, b) == (pytest.approx(0.3), pytest.approx(0.01))
    a, b = fc.scaling({5.0: 0.3, 50.0: 0.05})
    assert b == 0.0 and a > 0
    assert fc.scaling({50.0: 0.079}) == (pytest.approx(0.079 ** 2 * 50), 0.0)


# ------------------------------------------------------------------ evidence update
def test_evidence_update_matches_the_gaussian_closed_form():
    """E_{theta ~ N(m0, s0^2)}[N(d; theta, sigma^2)] = N(d; m0, s0^2 + sigma^2); the ESS of
    the weights is n E[w]^2 / E[w^2] with E[w^2] = N(d; m0, s0^2 + sigma^2/2) / (2 sigma
    sqrt(pi))."""
    rng = np.random.default_rng(1)
    m0, s0, sigma, n = 1.0, 0.3, 0.2, 40000
    theta = rng.normal(m0, s0, size=(n, 1))
    data = np.array([[0.4], [1.0], [1.5]])
    lnmean, ess = fc.log_evidence_update(fc.gaussian_loglik(data, theta, np.array([sigma])))
    exact = stats.norm.logpdf(data[:, 0], m0, math.hypot(s0, sigma))
    ew2 = stats.norm.pdf(data[:, 0], m0, math.sqrt(s0 ** 2 + sigma ** 2 / 2)) \
        / (2 * sigma * math.sqrt(math.pi))
    rel_sd = np.sqrt((ew2 / np.exp(exact) ** 2 - 1) / n)     # MC error of the mean of w
    assert np.all(np.abs(lnmean - exact) < 4 * rel_sd), (lnmean - exact, rel_sd)
    np.testing.assert_allclose(ess / n, np.exp(exact) ** 2 / ew2, rtol=0.05)


def test_expected_log_bayes_factor_is_the_kl_divergence():
    """Two Gaussian posteriors N(1, s0^2) and N(2, s0^2), one measurement of width sigma:
    with data from A, E[ln B_AB] = (1 - 2)^2 / (2 (s0^2 + sigma^2)) exactly; ln B now adds."""
    rng = np.random.default_rng(2)
    s0 = 0.1
    preds = {"A": rng.normal(1.0, s0, size=(4000, 1)),
             "B": rng.normal(2.0, s0, size=(4000, 1))}
    sig = {5.0: np.array([0.6]), 50.0: np.array([0.25])}
    rows = fc.bayes_factor_table(preds, sig, {("A", "B"): 0.5}, n_sets=1000, seed=3)
    for lumi, s in sig.items():
        r = next(r for r in rows if r["lumi"] == lumi and r["truth"] == "A")
        kl = 1.0 / (2 * (s0 ** 2 + s[0] ** 2))
        sd = 1.0 / math.sqrt(s0 ** 2 + s[0] ** 2)     # sd of the update over data sets
        assert r["update_mean"] == pytest.approx(kl, abs=4 * sd / math.sqrt(1000) + 0.02)
        assert r["ln_B_mean"] == pytest.approx(r["update_mean"] + 0.5)
        assert r["ess_median_truth"] > 100
        rb = next(r for r in rows if r["lumi"] == lumi and r["truth"] == "B")
        assert rb["update_mean"] == pytest.approx(kl, abs=4 * sd / math.sqrt(1000) + 0.02)
        assert rb["ln_B_now"] is None and rb["ln_B_mean"] is None


# ------------------------------------------------------------------ coverage (acceptance)
@pytest.fixture(scope="module")
def sm_mu_asm():
    from bkfit.api import _run_config
    from bkfit.inference.assemble import assemble
    cfg = _run_config({"run": {"name": "coverage"}, "model": {"name": "sm_mu"},
                       "likelihood": {"files": ["likelihoods/bknunu.yaml"],
                                      "include": ["belle2_2023_Bp_Knunu_gauss"]},
                       "nuisances": {"sets": ["ff_BK"]}})
    return assemble(cfg)


@pytest.mark.parametrize("lumi,mu_true,seed", [(5.0, 1.0, 7), (50.0, 2.0, 8)])
def test_sm_mu_fitted_to_its_own_simulated_data_covers_mu(sm_mu_asm, projections, lumi,
                                                          mu_true, seed):
    """Simulate 200 data sets of the projected B+ -> K+ nu nu measurement from sm_mu at
    mu_true (prediction from bkfit's model, nuisances at their central values), fit mu on a
    fine grid with the run's flat prior (U(0, 15)) and the projected Gaussian likelihood,
    and count how often the 68 % central credible interval holds mu_true (with 5000 sets
    instead of 200: 68.5 % and 68.9 %)."""
    p = projections["BR(B+->Knunu)"]
    grid = np.linspace(0.0, 15.0, 3001)
    z = np.zeros((grid.size, len(sm_mu_asm.blocks[0].names)))
    pred = fc.evaluate_draws(sm_mu_asm, {"mu": grid, "nuis::ff_BK": z}, [p.predict])
    sm = float(pred[np.searchsorted(grid, 1.0), 0])
    sig = np.array([fc.projected_sigma(p, lumi, sm)])
    truth = fc.evaluate_draws(sm_mu_asm, {"mu": np.array([mu_true]),
                                          "nuis::ff_BK": np.zeros((1, z.shape[1]))},
                              [p.predict])
    rng = np.random.default_rng(seed)
    data = fc.simulate(truth, sig, 200, rng)
    post = fc.gaussian_loglik(data, pred, sig)
    post = np.exp(post - post.max(axis=1, keepdims=True))
    cdf = np.cumsum(post, axis=1)
    cdf /= cdf[:, -1:]
    lo = grid[np.argmax(cdf >= 0.16, axis=1)]
    hi = grid[np.argmax(cdf >= 0.84, axis=1)]
    cover = np.mean((lo <= mu_true) & (mu_true <= hi))
    assert 0.60 <= cover <= 0.76, cover
    # the interval width follows the projected uncertainty: sigma_mu = sigma / BR_SM
    assert np.median(hi - lo) / 2 == pytest.approx(sig[0] / sm, rel=0.05)


def test_no_table_observable_gives_an_empty_prediction(sm_mu_asm):
    """Only the spectrum asked for: the table part has no column (and no error)."""
    z = np.zeros((5, len(sm_mu_asm.blocks[0].names)))
    pred = fc.evaluate_draws(sm_mu_asm, {"mu": np.ones(5), "nuis::ff_BK": z}, [])
    assert pred.shape == (5, 0)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("text,msg", [("0", "positive"), ("1,a", "not a number"),
                                      ("", "not a number"), ("-5", "positive"),
                                      ("nan", "positive"), ("5,5", "repeated")])
def test_bad_luminosity_lists(text, msg):
    with pytest.raises(InputError, match=msg):
        fc.parse_lumi(text)


def test_unknown_observable_gets_did_you_mean(projections):
    with pytest.raises(InputError, match="Did you mean 'BR\\(B\\+->Knunu\\)'"):
        fc.select(projections, ["BR(B+->Knunnu)"])


@pytest.mark.parametrize("entry,msg", [
    ({"predict": "BR(B+->Knunnu)", "experiment": "x", "kind": "absolute", "points": {5: 1},
      "source": "s"}, "unknown observable 'BR\\(B\\+->Knunnu\\)'"),
    ({"predict": "BR(B+->Knunu)", "experiment": "x", "kind": "relative_to_sm",
      "points": {5: 0.3}, "source": "s"}, "needs 'sm_observable'"),
    ({"predict": "BR(B+->Knunu)", "experiment": "x", "kind": "absolute", "points": {5: -1},
      "source": "s"}, "must be > 0"),
    ({"predict": "BR(B+->Knunu)", "experiment": "x", "kind": "absolut", "points": {5: 1},
      "source": "s"}, "kind"),
    ({"predict": "BR(B+->Knunu)", "experiment": "x", "kind": "absolute", "points": {5: 1},
      "source": "s", "sorce": "t"}, "sorce"),
])
def test_bad_projection_files(tmp_path, entry, msg):
    import yaml
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump({"projections": {"X": entry}}))
    with pytest.raises(InputError, match=msg):
        fc.load_projections(f)


# ------------------------------------------------------------------ the command
def _synthetic_run(folder, mu_mean, mu_sd, n=300, seed=0):
    """A run folder of model sm_mu (Gaussian Belle II summary, ff_BK nuisances) whose
    posterior is a synthetic N(mu_mean, mu_sd) (no fit: the forecast reads the draws)."""
    import arviz as az
    from bkfit.inputs import NUISANCE_SETS
    folder.mkdir()
    (folder / "run.toml").write_text(
        '[run]\nname = "syn"\n[model]\nname = "sm_mu"\n'
        '[likelihood]\nfiles = ["likelihoods/bknunu.yaml"]\n'
        'include = ["belle2_2023_Bp_Knunu_gauss"]\n[nuisances]\nsets = ["ff_BK"]\n')
    rng = np.random.default_rng(seed)
    k = len(NUISANCE_SETS["ff_BK"])
    az.from_dict(posterior={"mu": np.abs(rng.normal(mu_mean, mu_sd, (2, n))),
                            "nuis_ff_BK": rng.normal(size=(2, n, k))}
                 ).to_netcdf(str(folder / "posterior.nc"))
    return folder


def test_forecast_command_on_synthetic_runs(tmp_path, monkeypatch):
    """`bkfit forecast` on two synthetic sm_mu runs (mu ~ 1 and mu ~ 4.6): writes the tables
    and figures; data simulated from either run favour it more with more luminosity."""
    from pathlib import Path

    from click.testing import CliRunner

    from bkfit.cli import main
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    a = _synthetic_run(tmp_path / "sm_like", 1.0, 0.05)
    b = _synthetic_run(tmp_path / "excess", 4.6, 1.0, seed=1)
    out = tmp_path / "fc"
    res = CliRunner().invoke(main, ["forecast", str(a), str(b), "--lumi", "1,50",
                                    "--observable", "BR(B+->Knunu)", "--draws", "200",
                                    "--datasets", "100", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for f in ("forecast.md", "forecast.json", "forecast_bayes.csv", "forecast_predictive.csv",
              "forecast_bayes.png", "forecast_bayes.pdf", "forecast_predictive.png"):
        assert (out / f).is_file(), f
    js = json.loads((out / "forecast.json").read_text())
    rows = js["bayes"]
    for truth in ("sm_like", "excess"):
        r = {x["lumi"]: x for x in rows if x["truth"] == truth}
        assert r[50.0]["update_median"] > r[1.0]["update_median"] > 0
    assert "only the update" in (out / "forecast.md").read_text()


@pytest.mark.parametrize("args,msg", [
    (["--lumi", "0"], "positive"),
    (["--observable", "BR(B0->Knunu)"], "no projection for observable"),
    (["--observable", "belle2_kpnunu_spectrum"], "fitted without it"),
])
def test_forecast_command_bad_arguments(tmp_path, monkeypatch, args, msg):
    from pathlib import Path

    from click.testing import CliRunner

    from bkfit.cli import main
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    a = _synthetic_run(tmp_path / "r", 1.0, 0.1, n=10)
    res = CliRunner().invoke(main, ["forecast", str(a), "--out", str(tmp_path / "o")] + args)
    assert res.exit_code == 2 and msg in res.stderr, res.output


# ------------------------------------------------------------------ Belle II spectrum
# projected from the published likelihood (bkfit/inference/forecast_spectrum.py)
from bkfit.inference import forecast_spectrum as fs  # noqa: E402


@pytest.fixture(scope="module")
def spectrum_projection():
    return fs.load_workspace_projections()["belle2_kpnunu_spectrum"]


@pytest.fixture(scope="module")
def belle2_term():
    from bkfit.likelihood.pyhf_term import default_term
    return default_term()


def test_spectrum_counts_at_the_published_luminosity_are_pyhf_expected_data(
        spectrum_projection, belle2_term):
    """At the reference spectrum (every weight 1 = Belle II's SM signal, mu = 1) and nominal
    nuisances, bkfit's expected counts of every fit bin, passed through the forecast's
    scaling at L = L0, equal pyhf's own model.expected_actualdata of the published
    workspace (suggested init: mu = 1, nuisances nominal) within 1e-6; at other L they are
    those counts x L / 0.362 ab^-1, the luminosity of arXiv:2311.14647."""
    import jax.numpy as jnp
    import pyhf
    from bkfit.inputs.shipped import shipped_dir
    term = belle2_term
    assert term.name == spectrum_projection.term
    assert spectrum_projection.luminosity == pytest.approx(0.362)
    tot = term.expected_counts([jnp.asarray(term.null_bins)], term.nominal_nuisances())
    sig = {c: jnp.zeros_like(v) for c, v in tot.items()}
    found = [{"term": term.name, "expected": {c: np.asarray(v)[None] for c, v in tot.items()},
              "signal": {c: np.asarray(v)[None] for c, v in sig.items()},
              "observed": term.observed_counts()}]
    got = fs.counts_from_predictive(found, spectrum_projection)
    spec = json.loads((shipped_dir("likelihoods") / "belle2_kpnunu_2023"
                       / "combined_likelihood.json").read_text())
    model = pyhf.Workspace(spec).model()
    ref = np.asarray(model.expected_actualdata(model.config.suggested_init()), float)
    ref = {c: ref[model.config.channel_slices[c]] for c in model.config.channels}
    want = np.concatenate([ref[c] for c in dict.fromkeys(got["channels"])])
    assert got["counts"].shape == (1, 30)
    for lumi in (spectrum_projection.luminosity, 1.0, 50.0):
        s = fs.lumi_scales(spectrum_projection, [lumi])[lumi]
        np.testing.assert_allclose(got["counts"][0] * s,
                                   want * lumi / 0.362, rtol=1e-6)


def test_spectrum_plot_grouping_matches_the_reweighting_maps(spectrum_projection, belle2_term):
    """The q^2_rec index of each ITA signal-region bin (projections.yaml) agrees with the
    published map of that channel: rows with the same index have nearly the same mean true
    q^2 (within 1 GeV^2), and the groups are ordered low to high by more than 2 GeV^2."""
    plot = spectrum_projection.plot
    M = np.asarray(belle2_term.maps[f"{plot.channel}/signal"], float)
    e = np.asarray(belle2_term.all_edges, float)
    mean_q2 = (M * 0.5 * (e[1:] + e[:-1])).sum(axis=1) / M.sum(axis=1)
    idx = np.asarray(plot.q2_rec_bin)
    assert len(idx) == M.shape[0]
    groups = [mean_q2[idx == k] for k in range(idx.max() + 1)]
    assert all(np.ptp(g) < 1.0 for g in groups), groups
    centres = [g.mean() for g in groups]
    assert np.all(np.diff(centres) > 2.0), centres


def test_poisson_evidence_update_against_the_negative_binomial():
    """Rate lambda ~ Gamma(alpha, beta) over the posterior draws, measurement d ~
    Poisson(lambda s) at s = L / L0: the evidence update E[Poisson(d | lambda s)] is the
    negative binomial NB(d; alpha, beta / (beta + s)) (Poisson-Gamma conjugacy, scipy)."""
    rng = np.random.default_rng(11)
    alpha, beta, s, n = 6.0, 2.0, 3.0, 40000
    lam = rng.gamma(alpha, 1.0 / beta, size=(n, 1))
    data = np.array([[0.0], [5.0], [9.0], [20.0]])
    ll = fs.counted_loglik(data, {"counts": lam, "signal": 0 * lam}, s, "draws")
    lnmean, ess = fc.log_evidence_update(ll)
    exact = stats.nbinom.logpmf(data[:, 0], alpha, beta / (beta + s))
    w = np.exp(ll - ll.max(axis=1, keepdims=True))
    rel_sd = w.std(axis=1) / w.mean(axis=1) / math.sqrt(n)       # MC error of the mean of w
    assert np.all(np.abs(lnmean - exact) < 4 * rel_sd + 1e-12), (lnmean - exact, rel_sd)
    assert np.all(ess > 100)


def test_marginal_likelihood_is_the_gaussian_with_systematic_covariance():
    """``nuisances: marginal``: each draw gives scipy's multivariate normal with mean
    s (signal + background regressed on the signal) and covariance diag(s mean total) +
    s^2 Cov(residual background) (here the background is independent of the signal, so the
    regression is the mean and the residual covariance Cov(background) up to sampling
    noise); averaged over Gaussian signal draws N(m, S) the update is
    N(d; s (m + b), V + s^2 S)."""
    rng = np.random.default_rng(5)
    n, s = 20000, 4.0
    m, S = np.array([30.0, 10.0, 5.0]), np.diag([16.0, 4.0, 1.0])
    sig = rng.multivariate_normal(m, S, size=n)
    bkg = rng.multivariate_normal([400.0, 300.0, 100.0],
                                  [[25.0, 10.0, 0.0], [10.0, 16.0, 2.0], [0.0, 2.0, 9.0]],
                                  size=n)
    scored = {"counts": sig + bkg, "signal": sig}
    V = np.diag(s * (sig + bkg).mean(axis=0)) + s ** 2 * np.cov(bkg, rowvar=False)
    data = np.array([[1700.0, 1250.0, 420.0], [1800.0, 1200.0, 400.0]])
    ll = fs.counted_loglik(data, scored, s, "marginal")
    for i in (0, 1, n - 1):
        ref = stats.multivariate_normal.logpdf(data, s * (sig[i] + bkg.mean(axis=0)), V)
        np.testing.assert_allclose(ll[:, i], ref, atol=0.05)
    # a background that follows the signal (b = b0 - 2 sig + noise) is predicted per draw
    corr = {"counts": sig + 500.0 - sig * 2.0 + 0.1 * bkg, "signal": sig}
    bfit, cov = fs.background_model(corr)
    np.testing.assert_allclose(bfit, 500.0 - 2.0 * sig + 0.1 * bkg.mean(axis=0), atol=0.2)
    np.testing.assert_allclose(cov, 0.01 * np.cov(bkg, rowvar=False), rtol=0.05, atol=0.01)
    lnmean, _ = fc.log_evidence_update(ll)
    exact = stats.multivariate_normal.logpdf(data, s * (m + bkg.mean(axis=0)), V + s ** 2 * S)
    np.testing.assert_allclose(lnmean, exact, atol=0.02)


@pytest.mark.parametrize("nuisances", ["draws", "marginal"])
def test_expected_ln_b_of_two_point_hypotheses_grows_with_luminosity(nuisances):
    """Two runs whose every draw predicts the same counts per unit luminosity, lam_A and
    lam_B (no spread, so no systematic part), data d ~ Poisson(lam_A L) from A: the expected
    ln B_AB is L x the Kullback-Leibler divergence per unit luminosity, exactly
    sum lam_A ln(lam_A / lam_B) - lam_A + lam_B (Poisson likelihood) or, for the Gaussian
    approximation of ``marginal`` (variance lam L), sum [ln(lam_B / lam_A) - 1 + lam_A / lam_B
    + L (lam_A - lam_B)^2 / lam_B] / 2 (the expectation over the Poisson data)."""
    lam_a = np.array([50.0, 80.0, 30.0, 10.0])
    lam_b = np.array([60.0, 70.0, 30.0, 15.0])
    n, n_sets = 8, 3000
    lumis = [1.0, 5.0, 50.0]
    preds = {"A": np.zeros((n, 0)), "B": np.zeros((n, 0))}
    counted = {"spec": {"scales": {L: L for L in lumis}, "nuisances": nuisances,
                        "runs": {k: {"counts": np.tile(v, (n, 1)), "signal": np.zeros((n, 4))}
                                 for k, v in (("A", lam_a), ("B", lam_b))}}}
    rows = fc.bayes_factor_table(preds, {L: np.zeros(0) for L in lumis}, n_sets=n_sets,
                                 seed=4, counted=counted)
    got = []
    for L in lumis:
        r = next(r for r in rows if r["lumi"] == L and r["truth"] == "A")
        lr = np.log(lam_a / lam_b)
        if nuisances == "draws":
            kl = L * np.sum(lam_a * lr - lam_a + lam_b)
            sd = math.sqrt(L * np.sum(lam_a * lr ** 2))
        else:
            kl = 0.5 * np.sum(-lr - 1 + lam_a / lam_b + L * (lam_a - lam_b) ** 2 / lam_b)
            sd = math.sqrt(np.sum(L * lam_a * ((lam_a - lam_b) / lam_b) ** 2) + 1.0)
        assert r["update_mean"] == pytest.approx(kl, abs=4 * sd / math.sqrt(n_sets)), (L, kl)
        assert r["ess_median_truth"] == pytest.approx(n // 2)
        got.append(r["update_mean"])
    assert got[0] < got[1] < got[2]


def test_spectrum_selection(spectrum_projection, projections):
    """By default the spectrum is used when every run has the Belle II term and then
    replaces the table's BR(B+ -> K+ nu nu) (same events); a run without the term drops it
    with a note; asking for it then, or for both, is an InputError."""
    works = {"belle2_kpnunu_spectrum": spectrum_projection}
    term = spectrum_projection.term
    g, w, notes = fs.choose(projections, works, None, {"a": [term], "b": [term, "x"]})
    assert list(w) == ["belle2_kpnunu_spectrum"] and "BR(B+->Knunu)" not in g
    assert "BR(B0->K*nunu)" in g and any("replaces" in x for x in notes)
    g, w, notes = fs.choose(projections, works, None, {"a": [term], "b": ["x"]})
    assert not w and "BR(B+->Knunu)" in g and any("left out" in x for x in notes)
    with pytest.raises(InputError, match="fitted without it"):
        fs.choose(projections, works, ["belle2_kpnunu_spectrum"], {"a": [term], "b": ["x"]})
    with pytest.raises(InputError, match="same measurement"):
        fs.choose(projections, works, ["belle2_kpnunu_spectrum", "BR(B+->Knunu)"],
                  {"a": [term]})
    with pytest.raises(InputError, match="Did you mean 'belle2_kpnunu_spectrum'"):
        fs.check_names(projections, works, ["belle2_kpnunu_spectrun"])


@pytest.mark.parametrize("entry,msg", [
    ({"term": "t", "experiment": "x", "luminosity": -1, "source": "s"}, "must be > 0"),
    ({"term": "t", "experiment": "x", "luminosity": 1, "source": "s", "nuisances": "profile"},
     "nuisances"),
    ({"term": "t", "experiment": "x", "source": "s"}, "luminosity"),
])
def test_bad_workspace_projection_entries(tmp_path, entry, msg):
    import yaml
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump({"workspaces": {"W": entry}}))
    with pytest.raises(InputError, match=msg):
        fs.load_workspace_projections(f)


def _synthetic_belle2_run(folder, mu_mean, mu_sd, n=60, seed=0):
    """A run folder of model sm_mu fitted (synthetically) with the full Belle II likelihood:
    posterior N(mu_mean, mu_sd) for mu, standard-normal form-factor nuisances and the
    workspace nuisances scattered around their nominal values."""
    import arviz as az
    from bkfit.inference.results import identifiers
    from bkfit.inputs import NUISANCE_SETS
    from bkfit.likelihood.pyhf_term import default_term
    folder.mkdir()
    (folder / "run.toml").write_text(
        '[run]\nname = "syn"\n[model]\nname = "sm_mu"\n'
        '[likelihood]\nfiles = ["likelihoods/belle2_kpnunu_2023.yaml"]\n'
        '[nuisances]\nsets = ["ff_BK"]\n')
    rng = np.random.default_rng(seed)
    nominal = {k: np.asarray(v) for k, v in default_term().nominal_nuisances().items()}
    ids = identifiers(list(nominal))
    post = {"mu": np.abs(rng.normal(mu_mean, mu_sd, (2, n))),
            "nuis_ff_BK": rng.normal(size=(2, n, len(NUISANCE_SETS["ff_BK"])))}
    for k, v in nominal.items():
        post[ids[k]] = v + 0.01 * rng.normal(size=(2, n) + v.shape)
    az.from_dict(posterior=post).to_netcdf(str(folder / "posterior.nc"))
    return folder


@pytest.mark.slow
def test_forecast_with_the_spectrum_on_synthetic_belle2_runs(tmp_path, monkeypatch):
    """`bkfit forecast` on two sm_mu runs with the full Belle II likelihood (mu ~ 1 and
    mu ~ 4.6): the spectrum is used by default (replacing BR(B+->Knunu)), its table, CSV and
    figure are written, and data from either run favour it more at 5 than at 1 ab^-1."""
    from pathlib import Path

    from click.testing import CliRunner

    from bkfit.cli import main
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    a = _synthetic_belle2_run(tmp_path / "sm_like", 1.0, 0.05)
    b = _synthetic_belle2_run(tmp_path / "excess", 4.6, 0.3, seed=1)
    out = tmp_path / "fc"
    res = CliRunner().invoke(main, ["forecast", str(a), str(b), "--lumi", "1,5",
                                    "--draws", "60", "--datasets", "40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for f in ("forecast_spectrum.csv", "forecast_spectrum.png", "forecast_spectrum.pdf"):
        assert (out / f).is_file(), f
    js = json.loads((out / "forecast.json").read_text())
    assert "belle2_kpnunu_spectrum" in js["measurements"]
    assert "BR(B+->Knunu)" not in js["measurements"]
    assert js["workspaces"]["belle2_kpnunu_spectrum"]["luminosity"] == pytest.approx(0.362)
    for truth in ("sm_like", "excess"):
        r = {x["lumi"]: x for x in js["bayes"] if x["truth"] == truth}
        assert r[5.0]["update_median"] > r[1.0]["update_median"] > 0
    sp = [r for r in js["spectrum"] if r["q2_rec_bin"] == 0]
    ratio = {r["model"]: r["signal_median"] for r in sp}
    assert ratio["excess"] / ratio["sm_like"] == pytest.approx(4.6, rel=0.15)


def test_statistical_systematics_shrink_with_luminosity():
    """``systematics: statistical`` scales the background covariance by s (relative spread
    ~ 1/sqrt(L)), ``relative`` by s^2: one bin, no signal spread, one data set at the
    prediction: ln L = -ln(2 pi V) / 2 with V = s lam + s C or s lam + s^2 C."""
    rng = np.random.default_rng(3)
    bkg = rng.normal(100.0, 5.0, size=(4000, 1))
    scored = {"counts": bkg, "signal": np.zeros_like(bkg)}
    c = float(np.var(bkg, ddof=1))
    for s, syst, v in ((10.0, "relative", 10 * bkg.mean() + 100 * c),
                       (10.0, "statistical", 10 * bkg.mean() + 10 * c)):
        d = np.array([[s * bkg.mean()]])
        _, cov = fs.background_model(scored)
        assert float(cov[0, 0]) == pytest.approx(c, rel=1e-9)
        ll = fs.marginal_loglik(d, scored, s, syst)
        np.testing.assert_allclose(ll[0], -0.5 * math.log(2 * math.pi * v), rtol=1e-9)
