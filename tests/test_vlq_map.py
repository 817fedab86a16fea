"""The VLQ + scalar-DM map (bkfit/plots/vlq_map.py, `bkfit plot vlq-map`, docs/vlq.md)."""

import numpy as np
import pytest
import yaml

from bkfit.plots import vlq_map


@pytest.fixture(scope="module")
def small_map():
    # three masses, ratios around the analytic blind spot and around zero
    return vlq_map.compute_vlq_map(m_phi=[0.6, 1.0, 1.6],
                                   ratio=[-0.2, -0.06, -0.045, -0.03, -1e-3, 0.0, 1e-3, 0.2],
                                   belle2=False)


def test_relic_solution_reaches_planck(small_map, repo_root):
    """y_s solves Omega h^2 = the Planck value of likelihoods/relic.yaml (read here from the
    file) at every grid point, with a finite positive coupling."""
    with open(f"{repo_root}/likelihoods/relic.yaml") as f:
        planck = yaml.safe_load(f)["entries"][0]["value"]
    assert np.allclose(small_map.omega, planck, rtol=1e-3)
    assert np.all(small_map.y_s > 0) and np.all(np.isfinite(small_map.y_s))


def test_direct_detection_is_smallest_at_the_analytic_blind_spot(small_map, repo_root, par):
    """sigma_SI on xenon vanishes where Z f_p + (A-Z) f_n = 0, f_N ~ C^dd f_Td^N/m_d + C^ss
    f_Ts/m_s, i.e. at r* = -(f_Ts/m_s) / ((Z f_Td^p + (A-Z) f_Td^n)/(A m_d)), computed here
    from the nucleon inputs file and the database quark masses: of the grid's ratios the one
    closest to r* has the smallest sigma at every mass."""
    with open(f"{repo_root}/bkfit/inputs/data/vlq.yaml") as f:
        nd = yaml.safe_load(f)
    val = {k: v["value"] for k, v in nd["nucleon"].items()}
    Z, A = 54, 131.293
    fd = (Z * val["f_Td_p"] + (A - Z) * val["f_Td_n"]) / A
    r_star = -(val["f_Ts"] / par["m_s"]) / (fd / par["m_d"])
    assert -0.1 < r_star < -0.01
    closest = int(np.argmin(np.abs(small_map.ratio - r_star)))
    assert np.all(np.argmin(small_map.sigma_si, axis=0) == closest)


def test_kaon_mixing_grows_with_the_d_couplings(small_map):
    """Delta M_K^NP vanishes without d-quark couplings and grows with |r| (C^ds C^sd =
    C^dd C^ss for the model's rank-one couplings), so the allowed Delta M_K band is an
    interval around r = 0."""
    r = small_map.ratio
    z = int(np.where(r == 0.0)[0][0])
    assert np.all(small_map.deltam_k[z] < 1e-6 * small_map.deltam_k.max())
    neg = np.where(r < 0)[0]
    assert np.all(np.diff(small_map.deltam_k[neg][::-1], axis=0) > 0)
    ok = small_map.allowed["ΔM_K"]
    assert ok[z].all() and not ok[r == -0.2].any()


def test_cli_writes_png_and_pdf(tmp_path):
    from click.testing import CliRunner
    from bkfit.cli import main
    r = CliRunner().invoke(main, ["plot", "vlq-map", "--m-phi", "3", "--no-belle2",
                                  "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.png").stat().st_size > 0 and (tmp_path / "m.pdf").stat().st_size > 0
    r = CliRunner().invoke(main, ["plot", "vlq-map", "--m-phi", "1"])
    assert r.exit_code == 2 and "at least 3" in r.output


@pytest.mark.slow
def test_belle2_profile_band():
    """The Belle II profile over yd_b: with yd_b = 0 only (the SM) it cannot depend on m_phi
    (Delta chi^2 = 0 everywhere, to rounding); with yd_b free the excess is fitted better at
    a light m_phi (0.6 GeV: the phi phi spectrum sits where Belle II sees the excess) than
    near the endpoint (2.3 GeV), and the SM point is never better than the profile."""
    m = np.array([0.6, 2.3])
    opts = {"couplings": vlq_map.COUPLINGS, "fixed": dict(vlq_map.BENCHMARK)}
    sm_only = vlq_map._belle2_profile(opts, m, [0.0])
    assert np.allclose(sm_only, 0.0, atol=1e-8)
    prof = vlq_map._belle2_profile(opts, m, np.concatenate([[0.0], np.geomspace(1e-4, 1e-2, 9)]))
    assert prof[0] == 0.0 and prof[1] > 1.0
