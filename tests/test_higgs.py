"""Gluon-fusion Higgs signal strengths (bkfit/physics/higgs.py) and their likelihood entries
(likelihoods/higgs.yaml), checked against flavio (its SMEFT Higgs signal strengths and its
measurement database)."""
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import bkfit  # noqa: F401
from bkfit import observables as O
from bkfit.inputs import load_db
from bkfit.likelihood.loader import load_files
from bkfit.physics import higgs

ROOT = Path(__file__).resolve().parents[1]
PAR = load_db().central


def test_sm_branching_ratio_is_flavios():
    """BR(h -> gg)_SM of the data file equals flavio's (flavio/physics/higgs/width.py)."""
    import flavio.physics.higgs.width as w
    assert higgs.data()["sm"]["BR_gg"] == w.BR_SM["gg"]


@pytest.mark.parametrize("decay", ["ZZ", "WW"])
def test_kappa_g_signal_strength_against_flavio_smeft(decay):
    """mu_gg(h -> ZZ, WW) for a VLQ-induced h G G coupling rG (seed: Delta L = -rG
    alpha_s/(12 pi) (h/v) G G) against flavio's mu_gg with the equivalent SMEFT coefficient
    C_phiG = -rG alpha_s(m_h)/(12 pi v^2) (Warsaw basis, wilson, scale m_h).  flavio's
    linearised one-loop coefficients (Falkowski et al.) and bkfit's heavy-loop kappa_g differ
    in normalisation conventions (alpha_s scale, finite quark masses): the shifts mu - 1 must
    agree in sign and within 20 % (measured 12-15 %) at |rG| <= 0.03."""
    import flavio
    import wilson
    v2 = 1.0 / (math.sqrt(2.0) * PAR["GF"])
    a_s = flavio.physics.running.running.get_alpha_s(
        flavio.default_parameters.get_central_all(), 125.0)
    for rG in (0.01, 0.03, -0.02):
        w = wilson.Wilson({"phiG": -rG * a_s / (12 * math.pi * v2)}, scale=125.0,
                          eft="SMEFT", basis="Warsaw")
        ref = flavio.np_prediction(f"mu_gg(h->{decay})", w) - 1.0
        got = float(O.get(f"mu_gg(h->{decay})").fn({"rG_hgg": rG}, PAR)) - 1.0
        assert got / ref == pytest.approx(1.0, abs=0.2), (rG, got, ref)


def test_signal_strengths_narrow_width_heavy_loops():
    """mu_gg(h -> X) = kappa_g^2 kappa_X^2 / (1 + BR_gg^SM (kappa_g^2 - 1)) (narrow width; the
    gg share of the width from flavio's BR_SM['gg']), built here from the literature: gg
    amplitude relative to the SM in the heavy-quark limit (1 - rG) (CP-even) and
    (A^A_1/2/A_1/2)(tau -> 0) rGt = (2/(4/3)) rGt (CP-odd, no interference; Djouadi
    hep-ph/0503172); h -> gamma gamma: the same heavy D loop (N_c Q_D^2 = 1/3) added to the
    LO A_W, A_t of Maierhoefer, Marquard, arXiv:1212.6233 eq. (1) (A_W ~ -8.3, A_t ~ +1.8,
    sign convention of test_vlq.py).  At the SM point and at couplings large enough that the
    width denominator matters (up to 10 %): 1e-12."""
    import flavio.physics.higgs.width as w
    br_gg = w.BR_SM["gg"]
    tW = 4 * PAR["m_W"] ** 2 / PAR["m_h"] ** 2
    tt = 4 * PAR["m_t"] ** 2 / PAR["m_h"] ** 2
    AW = -(2 + 3 * tW + 3 * tW * (2 - tW) * math.asin(1 / math.sqrt(tW)) ** 2)
    At = 3 * (2 / 3) ** 2 * (4 / 3) * (3 * tt / 2) * (1 + (1 - tt) * math.asin(1 / math.sqrt(tt)) ** 2)
    assert AW == pytest.approx(-8.3, rel=0.01) and At == pytest.approx(1.8, rel=0.03)
    nq2 = 3 * (1 / 3) ** 2
    for rG, rGt in ((0.0, 0.0), (0.3, 0.2), (-0.5, 0.0), (0.0, -0.4)):
        even, odd = 1 - rG, 1.5 * rGt
        kg2 = even ** 2 + odd ** 2
        mu_v = kg2 / (1 + br_gg * (kg2 - 1))
        kga2 = ((AW + At + nq2 * 4 / 3 * (even - 1)) ** 2 + (nq2 * 4 / 3 * odd) ** 2) / (AW + At) ** 2
        c = {"rG_hgg": rG, "rGt_hgg": rGt}
        got = {d: float(O.get(f"mu_gg(h->{d})").fn(c, PAR)) for d in higgs.DECAYS}
        assert got["ZZ"] == pytest.approx(mu_v, rel=1e-12), (rG, rGt, got)
        assert got["WW"] == pytest.approx(mu_v, rel=1e-12), (rG, rGt, got)
        assert got["gammagamma"] == pytest.approx(mu_v * kga2, rel=1e-12), (rG, rGt, got)


def test_likelihood_entries_match_flavio_database():
    """likelihoods/higgs.yaml holds flavio's ATLAS 80/fb and CMS 36/fb ggF signal strengths
    (values, symmetrised errors, correlation sub-blocks) exactly."""
    import flavio
    db = yaml.safe_load((Path(flavio.__file__).parent / "data" / "measurements.yml").read_text())
    ours = yaml.safe_load((ROOT / "likelihoods" / "higgs.yaml").read_text())["entries"]
    for entry, key in zip(ours, ("ATLAS Run 2 Higgs 80/fb", "CMS Run 2 Higgs 36/fb")):
        m = db[key]
        names = list(m["values"])
        idx = [names.index(o["observable"]) for o in entry["observables"]]
        corr = np.asarray(m["correlation"])[np.ix_(idx, idx)]
        np.testing.assert_allclose(entry["correlation"], corr)
        for o, v, e in zip(entry["observables"], entry["values"], entry["errors"]):
            s = str(m["values"][o["observable"]]).replace("±", "+-")
            nums = [float(t) for t in s.replace("+-", " ").replace("+", " ").replace("- ", " ")
                    .replace("-", " ").split()]
            central, errs = nums[0], nums[1:]
            assert v == central and e == pytest.approx(sum(errs) / len(errs)), (o, s)
    assert len(load_files([ROOT / "likelihoods" / "higgs.yaml"], [], [])) == 2
