"""WCxf in and out (bkfit/models/wcxf.py, ``bkfit.predict(wc=...)``, run files' ``[wcxf]``,
``bkfit export``).

Independent references: flavio's ``np_prediction`` for the same ``wilson.Wilson`` object (flavio
does its own running and matching through wilson and its own physics), and ``wilson``'s own
reading of the files bkfit writes.  Bad inputs (malformed files, unknown EFT/basis/names) are
in tests/corpus/ (``wcxf_*`` cases)."""
from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pytest

import bkfit
from bkfit.errors import InputError
from bkfit.models import wcxf as W

wilson = pytest.importorskip("wilson")

OBS = ["BR(B+->Knunu)", "BR(B0->K*nunu)", "Rtaul(B->Dlnu)", "BR(B+->Ktautau)"]
AT_BKFIT_SCALE = {"CL_bsnutaunutau": -2.0, "CR_bsnutaunutau": 0.5 + 0.3j,
                  "CVL_bctaunutau": 0.05, "C9_bstautau": 30.0}


def _values(d: dict) -> dict:
    return wilson.wcxf.WC.dict2values(d)


def _write(path, eft, basis, scale, values: dict, fmt="yaml"):
    wc = wilson.wcxf.WC(eft, basis, scale, _values(values))
    with open(path, "w") as fh:
        wc.dump(fh, fmt=fmt)
    return path


def test_bkfit_scale_is_the_data_files_scale():
    """4.8 GeV (bclnu_mixing.yaml scales.bclnu, flavio's 'renormalization scale'); B_s mixing
    at 4.2 GeV and K mixing in WET-3 at 2 GeV."""
    from bkfit.inputs.data_files import read_yaml
    scales = read_yaml("bclnu_mixing.yaml")["scales"]
    assert W.bkfit_scale() == scales["bclnu"] == 4.8
    targets = W.sector_targets()
    assert "sbnunu" in targets[("WET", 4.8)] and "cbtaunu" in targets[("WET", 4.8)]
    assert targets[("WET", scales["Bs_mixing"])] == ["dbdb", "sbsb"]     # B_d: also 4.2
    assert targets[("WET-3", 2.0)] == ["sdsd"]


def test_file_at_bkfit_scale_equals_the_dict(tmp_path):
    """WET/flavio at 4.8 GeV is taken as it is: the same numbers as the dict (YAML and JSON),
    hence identical predictions."""
    for fmt in ("yaml", "json"):
        f = _write(tmp_path / f"wc.{fmt}", "WET", "flavio", 4.8, AT_BKFIT_SCALE, fmt)
        assert W.translate(f) == AT_BKFIT_SCALE, fmt
    assert bkfit.predict(OBS, wc=f) == bkfit.predict(OBS, wc=AT_BKFIT_SCALE)


def test_wilson_object_and_wcxf_object_are_accepted():
    w = wilson.Wilson(AT_BKFIT_SCALE, scale=4.8, eft="WET", basis="flavio")
    assert W.translate(w) == AT_BKFIT_SCALE
    assert W.translate(w.wc) == AT_BKFIT_SCALE


@functools.lru_cache(maxsize=1)
def _sm() -> dict:
    return bkfit.predict(OBS)


def _flavio_agreement(w, tol=0.01, loose=()):
    """Within ``tol`` of flavio; the observables in ``loose`` within 2 % (the tolerance of
    tests/test_bsll.py's B -> K tau tau interference terms)."""
    flavio = pytest.importorskip("flavio")
    mine = bkfit.predict(OBS, wc=w)
    sm = _sm()
    for o in OBS:
        ref = flavio.np_prediction(o, w)
        assert mine[o] == pytest.approx(ref, rel=2e-2 if o in loose else tol), o
        assert abs(mine[o] / sm[o] - 1) > 0.02, f"{o}: no new-physics effect to compare"


def test_smeft_warsaw_at_1_TeV_gives_flavios_values(tmp_path):
    """SMEFT (Warsaw) at 1 TeV: semileptonic triplet and singlet (b s tau tau / nu nu and
    b -> c tau nu through lq3); wilson runs and matches for both codes, the physics is each
    code's own.  Within 1 % (B -> K tau tau, with C9 ~ -C10 ~ -8 here: 2 %)."""
    f = _write(tmp_path / "smeft.yaml", "SMEFT", "Warsaw", 1000.0,
               {"lq1_2333": 1e-8, "lq3_2333": -2e-8, "lq3_3323": 1.5e-8})
    w = wilson.Wilson.load_wc(open(f))
    _flavio_agreement(w, loose=("BR(B+->Ktautau)",))
    assert W.translate(f) == W.translate(w)


def test_wet_at_160_GeV_gives_flavios_values():
    """WET (flavio basis) at 160 GeV: the scalar b -> c tau nu coefficient runs (QCD) by
    tens of per cent down to 4.8 GeV."""
    w = wilson.Wilson({"CL_bsnutaunutau": 3.0, "CSR_bctaunutau": 0.2, "C9_bstautau": -40.0,
                       "C10_bstautau": 40.0}, scale=160.0, eft="WET", basis="flavio")
    got = W.translate(w)
    assert abs(got["CSR_bctaunutau"] / 0.2 - 1) > 0.2
    _flavio_agreement(w)


def test_unknown_coefficient_names_say_did_you_mean(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text("eft: WET\nbasis: flavio\nscale: 4.8\nvalues:\n  CL_bsnutaunutua: 1.0\n")
    with pytest.raises(InputError, match=r"'CL_bsnutaunutua' is not a coefficient of WCxf "
                                         r"basis WET/flavio. Did you mean 'CL_bsnutaunutau'"):
        bkfit.predict("BR(B+->Knunu)", wc=f)
    with pytest.raises(InputError, match="unknown basis 'Warsw' of EFT SMEFT. Did you mean "
                                         "'Warsaw'"):
        W.translate(wilson.wcxf.WC("SMEFT", "Warsw", 1e3, {"lq1_2333": 1e-8}))
    with pytest.raises(InputError, match="no such WCxf file"):
        bkfit.predict("BR(B+->Knunu)", wc=tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="needs model 'left'"):
        bkfit.predict("BR(B+->Knunu)", wc=f, model="dm_scalar")


def test_coefficients_no_observable_reads_warn_or_raise(tmp_path):
    f = _write(tmp_path / "ee.yaml", "WET", "flavio", 4.8, {"C9_bsee": 1.0,
                                                           "CL_bsnutaunutau": 1.0})
    with pytest.warns(W.UnusedCoefficients, match="C9_bsee"):
        assert W.translate(f) == {"CL_bsnutaunutau": 1.0}
    with pytest.raises(InputError, match=r"C9_bsee \(1\) enter no bkfit observable \(strict\)"):
        W.translate(f, strict=True)
    smeft = wilson.Wilson({"lq1_1111": 1e-8}, scale=1e3, eft="SMEFT", basis="Warsaw")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        W.translate(smeft)                         # matching by-products: dropped, as flavio
    with pytest.raises(InputError, match=r"after translation to WET/flavio, non-zero "
                                         r"coefficient\(s\) .*C10_bsee.* enter no bkfit "
                                         r"observable \(strict\)"):
        W.translate(smeft, strict=True)


def test_what_wilson_cannot_translate_is_an_error():
    w = wilson.wcxf.WC("WET-4", "flavio", 3.0, _values({"CVLL_sdsd": 1e-10}))
    with pytest.raises(InputError, match="cannot translate WET-4/flavio at 3 GeV to WET/flavio "
                                         "at 4.8 GeV with wilson"):
        W.translate(w)


def test_written_files_read_back_with_wilson(tmp_path):
    """Delta F = 2 coefficients (understood at 4.2 GeV) are run to 4.8 GeV for the file and
    back when read; masses and bkfit's extension names are left out and reported."""
    coeffs = {"CL_bsnutaunutau": 1.5, "CVLL_bsbs": 2e-5 + 1e-6j, "m_X": 1.0,
              "CLprime_bsnutaunutau": 0.3, "C9_bstautau": 0.0}
    omitted = W.write(coeffs, tmp_path / "out.json", metadata={"description": "test"})
    assert omitted == {"CLprime_bsnutaunutau": 0.3, "m_X": 1.0}
    w = wilson.Wilson.load_wc(open(tmp_path / "out.json"))
    assert (w.wc.eft, w.wc.basis, w.wc.scale) == ("WET", "flavio", 4.8)
    assert set(w.wc.dict) == {"CL_bsnutaunutau", "CVLL_bsbs"}
    assert abs(w.wc.dict["CVLL_bsbs"] / coeffs["CVLL_bsbs"] - 1) > 1e-3     # it was run
    back = W.translate(w)
    assert back["CL_bsnutaunutau"] == 1.5
    assert back["CVLL_bsbs"] == pytest.approx(coeffs["CVLL_bsbs"], rel=1e-6)
    assert json.loads((tmp_path / "out.json").read_text())["metadata"] == {"description": "test"}


def test_run_file_background_is_added_to_the_model(tmp_path):
    """A run's [wcxf] file is read once (cfg.background) and added to the model's coefficients
    on the likelihood path; the same prediction as the coefficients in a dict."""
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble
    _write(tmp_path / "bg.yaml", "WET", "flavio", 4.8, {"CVL_bctaunutau": 0.05,
                                                       "CL_bsnutaunutau": 0.5})
    (tmp_path / "run.toml").write_text(
        '[run]\nname = "bg"\n[model]\nname = "left"\nfree = ["CL_bsnutaunutau"]\n'
        '[likelihood]\nfiles = ["likelihoods/bknunu.yaml"]\n'
        'include = ["belle2_2023_Bp_Knunu_gauss"]\n'
        '[report]\nobservables = ["Rtaul(B->Dlnu)", "BR(B+->Knunu)"]\n'
        '[wcxf]\nfile = "bg.yaml"\n')
    cfg = load_run(tmp_path / "run.toml")
    assert cfg.background == {"CVL_bctaunutau": 0.05, "CL_bsnutaunutau": 0.5}
    asm = assemble(cfg)
    got = asm.report_values({"CL_bsnutaunutau": 1.0}, asm.base_par)
    ref = bkfit.predict(["Rtaul(B->Dlnu)", "BR(B+->Knunu)"],
                        wc={"CVL_bctaunutau": 0.05, "CL_bsnutaunutau": 1.5})
    for k, v in ref.items():
        assert float(got[k]) == pytest.approx(v, rel=1e-12), k
    from bkfit.inference.loglik import LogLikelihood
    ll = LogLikelihood(asm)                      # the background is a constant on the jitted path
    value, grad = ll.value_and_grad(ll.example(seed=2))
    assert np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grad.values())


def test_cli_predict_with_a_wcxf_file(tmp_path):
    from click.testing import CliRunner

    from bkfit.cli import main
    f = _write(tmp_path / "wc.yaml", "WET", "flavio", 4.8, {"CL_bsnutaunutau": -3.0})
    res = CliRunner().invoke(main, ["predict", "Rnunu(B+->K)", "--wcxf", str(f), "--json",
                                    "--set", "CR_bsnutaunutau=1"])
    assert res.exit_code == 0, res.stderr
    ref = bkfit.predict("Rnunu(B+->K)", wc={"CL_bsnutaunutau": -3.0, "CR_bsnutaunutau": 1})
    assert json.loads(res.stdout) == ref
    res = CliRunner().invoke(main, ["predict", "Rnunu(B+->K)", "--wcxf", str(f),
                                    "--set", "CL_bsnutaunutau=1"])
    assert res.exit_code == 2 and "also set by the WCxf input" in res.stderr, res.stderr


@pytest.mark.slow
def test_export_round_trip(tmp_path, monkeypatch):
    """A tiny fit (one free coefficient plus a [wcxf] background) -> ``bkfit export --wcxf``
    -> ``wilson.Wilson.load_wc`` -> ``bkfit.predict``: the same values as predicting with the
    model's coefficients at the best point (and at the posterior median) plus the
    background."""
    from click.testing import CliRunner

    from bkfit.cli import main
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "bg.yaml", "WET", "flavio", 4.8, {"CVL_bctaunutau": 0.05})
    run = {"run": {"name": "tiny", "seed": 4},
           "model": {"name": "left", "free": ["CL_bsnutaunutau"]},
           "likelihood": {"files": ["likelihoods/bknunu.yaml"],
                          "include": ["belle2_2023_Bp_Knunu_gauss"]},
           "sampler": {"chains": 1, "num_warmup": 20, "num_samples": 20},
           "wcxf": {"file": str(tmp_path / "bg.yaml")}}
    idata = bkfit.fit(run, out=tmp_path / "tiny", preflight=4)
    res = CliRunner().invoke(main, ["export", str(tmp_path / "tiny"), "--wcxf", "--out",
                                    str(tmp_path / "wc")])
    assert res.exit_code == 0, res.stderr
    x = idata.posterior["CL_bsnutaunutau"].values.reshape(-1)
    lp = idata.sample_stats["lp"].values.reshape(-1)
    for point, value in (("best", x[np.argmax(lp)]), ("median", np.median(x))):
        w = wilson.Wilson.load_wc(open(tmp_path / "wc" / f"wcxf_{point}.yaml"))
        assert w.wc.dict == pytest.approx({"CL_bsnutaunutau": value, "CVL_bctaunutau": 0.05})
        ref = bkfit.predict(OBS, wc={"CL_bsnutaunutau": float(value), "CVL_bctaunutau": 0.05})
        got = bkfit.predict(OBS, wc=w)
        assert got == pytest.approx(ref, rel=1e-12), point
    res = CliRunner().invoke(main, ["export", str(tmp_path / "tiny")])
    assert res.exit_code == 2 and "--wcxf" in res.stderr


@pytest.mark.slow
def test_used_coefficients_are_what_the_observables_read(par):
    """``used_coefficients()`` (declared from the physics modules' name lists) equals the set
    of WET/flavio names the default catalogue's observable functions look up, recorded by
    tracing every observable (jax.eval_shape) with a dict that notes each key asked for."""
    import jax

    from bkfit import observables as obsreg
    from bkfit.models.wc_names import wcxf_flavio_names

    class Recorder(dict):
        def __init__(self):
            super().__init__()
            self.seen = set()

        def get(self, k, default=None):
            self.seen.add(k)
            return default

        def __contains__(self, k):
            self.seen.add(k)
            return False

        def __getitem__(self, k):
            self.seen.add(k)
            raise KeyError(k)

    seen = set()
    for name, spec in obsreg.default_catalogue().items():
        rec = Recorder()
        args = {a: 1.0 for a in spec.args}
        if "q2max" in args:
            args["q2max"] = 2.0
        jax.eval_shape(lambda p: spec.fn(rec, p, **args), par)
        seen |= rec.seen
    assert seen & wcxf_flavio_names() == W.used_coefficients()
