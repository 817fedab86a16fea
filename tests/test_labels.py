"""bkfit.inputs.labels: one table of LaTeX (mathtext) labels with units for every shipped
parameter, nuisance and observable; every label renders; the SM values it declares are SM."""
from pathlib import Path

import pytest
from matplotlib.mathtext import MathTextParser

from bkfit import observables as obsreg
from bkfit.config import load_run
from bkfit.inputs import NUISANCE_SETS, load_db
from bkfit.inputs import labels as lab
from bkfit.models import make_model

RUNS = sorted((Path(__file__).resolve().parents[1] / "runs").glob("*.toml"))


def _models():
    out = {}
    for f in RUNS:
        cfg = load_run(f)
        opts = dict(cfg.model)
        out[f.stem] = make_model(opts.pop("name"), opts)
    return out


MODELS = _models()


def _shipped_names() -> list[str]:
    names = [p for m in MODELS.values() for p in m.parameters()]
    names += [f"nuis::{s}" for s in NUISANCE_SETS]
    names += [f"par::{p}" for ps in NUISANCE_SETS.values() for p in ps]
    names += [o for f in RUNS for o in load_run(f).report.observables]
    names += ["belle2_2023_kpnunu_full::alpha", "belle2_2023_kpnunu_full::gamma"]
    return names + list(obsreg.default_catalogue().names())


def test_every_shipped_name_has_a_label():
    names = _shipped_names()
    assert len(names) > 250
    missing = [n for n in names if not lab.has_label(n)]
    assert missing == []
    # no fallback to the raw identifier: every axis label is mathtext
    assert all(lab.axis_label(n).startswith("$") for n in names)


def test_every_label_renders_as_mathtext():
    parser = MathTextParser("path")
    names = sorted(set(_shipped_names()))
    bad = []
    for n in names:
        for text in (lab.axis_label(n), lab.value_label(n, 0.25)):
            try:
                parser.parse(text, 72)
            except ValueError as e:      # matplotlib's ParseFatalException
                bad.append((n, text, str(e).splitlines()[-1]))
    assert bad == []


def test_parser_rejects_bad_mathtext():
    # the check above can fail: an unknown command does not render
    with pytest.raises(ValueError):
        MathTextParser("path").parse(r"$\notacommand_x$", 72)


def test_catalogue_labels_are_distinct():
    names = list(obsreg.default_catalogue().names())
    texts = {}
    for n in names:
        texts.setdefault(lab.tex(n), []).append(n)
    assert {t: ns for t, ns in texts.items() if len(ns) > 1} == {}


def test_labels_of_processes_arguments_and_units():
    assert lab.tex("BR(B+->K*+invisible)") == r"\mathcal{B}(B^+\to K^{*+}+\mathrm{inv.})"
    assert lab.tex("Rnunu(B0->K*)") == r"R^{\nu\bar\nu}(B^0\to K^{*0})"
    assert lab.tex("BR(Bs->mutau,taumu)") == r"\mathcal{B}(B_s\to \mu^\pm\tau^\mp)"
    # arguments: a q2 bin (positional, as obs_key writes it) and named target arguments
    t = lab.tex("obs::<BR>(B+->Knunu)[0,4]")
    assert t.startswith(r"\langle\mathcal{B}\rangle(B^+\to K^+\nu\bar\nu)") and "[0,\\,4]" in t
    assert "Z=54" in lab.tex("sigma_SI_N(phi)[Z=54,A=131.293]")
    assert lab.axis_label("m_phi") == r"$m_\phi\ [\mathrm{GeV}]$"
    assert lab.axis_label("dBR/dq2(B+->Knunu)").endswith(r"\ [\mathrm{GeV}^{-2}]$")
    assert lab.axis_label("Rnunu(B+->K)") == r"$R^{\nu\bar\nu}(B^+\to K^+)$"
    assert lab.value_label("m_X", 0.7) == r"$m_X = 0.7\,\mathrm{GeV}$"
    assert lab.tex("re_lam_23") == r"\mathrm{Re}\,\lambda_{23}"
    assert lab.tex("im_CL_bsnutaunutau") == r"\mathrm{Im}\,C_L^{\nu_\tau\nu_\tau}"


def test_unknown_names():
    with pytest.raises(lab.LabelMissing, match="Did you mean 'm_phi'"):
        lab.tex("m_ph")
    with pytest.raises(lab.LabelMissing, match="process"):
        lab.process("B+->Kfoo")
    # figures do not fail on a user's own name: plain text, dollar signs escaped
    assert lab.axis_label("my_coefficient") == "my_coefficient"
    assert lab.axis_label("cost in $") == r"cost in \$"
    assert lab.sm_value("my_coefficient") is None


@pytest.mark.parametrize("run", ["quickstart", "left_all", "belle2_signal_strength", "lq_S0",
                                 "lq_Stilde_half", "lq_V_half"])
def test_declared_sm_values_give_the_sm(run):
    """Every parameter with an ``sm`` entry, set to it, reproduces the SM predictions (checked
    against the predictions with no new-physics coefficients).  The leptoquark runs fix
    lam_33 = 1, which alone moves b -> s nu nu through the SMEFT running (top Yukawa), so
    their fixed couplings are set to 0 as well: the SM has no leptoquark couplings."""
    opts = dict(load_run(RUNS[[f.stem for f in RUNS].index(run)]).model)
    name = opts.pop("name")
    if "fixed" in opts:
        opts["fixed"] = {k: (0.0 if k.startswith("lam") else v) for k, v in opts["fixed"].items()}
    model = make_model(name, opts)
    theta = {p: lab.sm_value(p) for p in model.parameters()}
    assert None not in theta.values()
    par = load_db().central
    coeffs = model.coefficients(theta)
    for obs in ("BR(B+->Knunu)", "BR(B0->K*nunu)"):
        assert float(obsreg.predict(obs, coeffs, par)) == pytest.approx(
            float(obsreg.predict(obs, {}, par)), rel=1e-12)


def test_masses_and_scales_have_no_sm_value():
    for p in ("m_phi", "m_chi", "m_X", "log10_Lambda", "log10_BR", "M_TeV"):
        assert lab.sm_value(p) is None


def test_sm_value_of_the_ratios_to_the_sm_is_their_prediction_at_the_sm():
    """The corner plot's SM line for R^{nu nu} comes from the label table (1: the ratio to the
    SM at the same parameters) instead of an eager prediction; the registered observables give
    the same at the SM point and at shifted parameters."""
    par = load_db().central
    shifted = dict(par, **{"Vcb": par["Vcb"] * 1.05})
    for obs in ("Rnunu(B+->K)", "Rnunu(B0->K*)"):
        v = lab.sm_value(obs)
        assert v == 1.0
        for p in (par, shifted):
            assert float(obsreg.predict(obs, {}, p)) == pytest.approx(v, rel=1e-12)
