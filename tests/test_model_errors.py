"""ModelError carries the key or parameter at fault in ``field``; models say which of their
parameters are masses, and the prior checks ask the model instead of guessing from names."""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from bkfit.errors import InputError, ModelError
from bkfit.models import MODELS, make_model
from bkfit.models.base import Model
from bkfit.priors import PriorSet, kinematic_limit

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ("dm_scalr", {}, "name"),
    ("dm_scalar", {"operator": "S", "opertor": "S"}, "opertor"),
    ("dm_scalar", {}, "operator"),
    ("dm_scalar", {"operator": "Q"}, "operator"),
    ("dm_scalar", {"operator": "S", "field": "imaginary"}, "field"),
    ("dm_fermion", {"operator": "VV", "fermion": "majorana"}, "operator"),
    ("two_body", {"spin": "tensor"}, "spin"),
    ("left", {"free": ["CL_bsnutaunutua"]}, "free"),
    ("left", {"free": ["CL_bsnutaunutau"], "fixed": {"CR_bsnutaunutua": 1.0}},
     "fixed.CR_bsnutaunutua"),
    ("left", {"free": ["CL_bsnutaunutau"], "fixed": {"CL_bsnutaunutau": 1.0}},
     "fixed.CL_bsnutaunutau"),
    ("left", {"free": ["CL_bsnutaunutau"], "fixed": {"CR_bsnutaunutau": "x"}},
     "fixed.CR_bsnutaunutau"),
    ("left", {}, "free"),
    ("left", {"free": ["CL_bsnutaunutau"], "fixed": 1.0}, "fixed"),
    ("lq_S0", {"couplings": "lam_33"}, "couplings"),
    ("lq_S0", {"couplings": ["lam_43"]}, "couplings"),
    ("lq_S0", {"couplings": ["lam_33"], "fixed": {"lam_43": 0.1}}, "fixed.lam_43"),
    ("lq_S0", {"couplings": ["lam_33"], "fixed": {"M_TeV": -2.0}}, "fixed.M_TeV"),
    ("lq_S0", {"couplings": []}, "couplings"),
    ("vlq_scalar_dm", {"couplings": ["yq_x"]}, "couplings"),
    ("vlq_scalar_dm", {"couplings": ["yq_s"], "fixed": {"yq_s": 1.0}}, "fixed.yq_s"),
    ("vlq_scalar_dm", {"couplings": ["yq_s"], "fixed": {"m_phi": "1"}}, "fixed.m_phi"),
    ("vlq_scalar_dm", {"couplings": ["yq_s"], "y1_normalisation": "x"}, "y1_normalisation"),
]


@pytest.mark.parametrize("name,options,field", CASES)
def test_model_error_names_its_field(name, options, field):
    with pytest.raises(ModelError) as info:
        make_model(name, options)
    assert info.value.field == field, str(info.value)


def test_model_error_field_of_parameter_values():
    m = make_model("vlq_scalar_dm", {"couplings": ["yq_s"]})
    theta = {p: 1.0 for p in m.parameters()}
    with pytest.raises(ModelError) as info:
        m.coefficients({**theta, "yq_S": 1.0})
    assert info.value.field == "yq_S"
    with pytest.raises(ModelError) as info:
        m.coefficients({k: v for k, v in theta.items() if k != "y1"})
    assert info.value.field == "y1"


def test_model_error_keeps_message_and_field_through_pickle():
    e = pickle.loads(pickle.dumps(ModelError("bad option", field="couplings")))
    assert str(e) == "bad option" and e.field == "couplings"
    assert ModelError("no single key").field is None


def test_mass_parameters_are_model_parameters():
    opts = {"dm_scalar": {"operator": "S"}, "dm_fermion": {"operator": "SS"},
            "dm_vector": {"operator": "V2"}, "left": {"free": ["CL_bsnutaunutau"]},
            "vlq_scalar_dm": {"couplings": ["yq_s"]}}
    for name in MODELS:
        if name.startswith("lq_"):
            o = {"couplings": ["lam_33"]}
        else:
            o = opts.get(name, {})
        m = make_model(name, o)
        masses = m.mass_parameters()
        assert set(masses) <= set(m.parameters()), name
        assert all(isinstance(k, int) and k >= 0 for k in masses.values()), name
    assert make_model("dm_fermion", {"operator": "SS"}).mass_parameters() == {"m_chi": 2}
    assert make_model("two_body", {}).mass_parameters() == {"m_X": 1}
    assert make_model("lq_S0", {"couplings": ["lam_33"],
                                "fixed": {"M_TeV": 2.0}}).mass_parameters() == {}


class _Toy(Model):
    """A model whose mass parameter has a name no naming rule would recognise."""
    name = "toy"
    option_keys = ()

    def parameters(self):
        return ["weight", "g"]

    def coefficients(self, theta):
        return {}

    def mass_parameters(self):
        return {"weight": 1}


def _spec_set(weight: dict) -> PriorSet:
    from bkfit.priors import parse_spec
    specs = {"weight": parse_spec(weight, "toy.yaml", "parameters.weight"),
             "g": parse_spec({"dist": "uniform", "low": 0.0, "high": 1.0}, "toy.yaml",
                             "parameters.g")}
    return PriorSet(specs, "toy.yaml")


def test_prior_checks_ask_the_model():
    names = ["weight", "g"]
    negative = _spec_set({"dist": "uniform", "low": -2.0, "high": -1.0})
    with pytest.raises(InputError, match="'weight' is a mass") as info:
        negative.distributions(names, model=_Toy({}))
    assert info.value.field == "parameters.weight"
    lim, _ = kinematic_limit(1)
    above = _spec_set({"dist": "uniform", "low": lim + 0.1, "high": lim + 1.0})
    with pytest.raises(InputError, match="kinematic limit"):
        above.distributions(names, model=_Toy({}))
    # a model that declares no masses gets no mass checks, whatever the names look like
    plain = _spec_set({"dist": "uniform", "low": -2.0, "high": -1.0})
    assert set(plain.distributions(names, model=None)) == set(names)


def test_priors_module_names_no_model():
    text = (ROOT / "bkfit" / "priors.py").read_text(encoding="utf-8")
    for name in MODELS:
        assert f'"{name}"' not in text and f"'{name}'" not in text, name


def test_report_masses_are_data_and_formatted_by_the_report():
    """Models name the masses whose region the report shows (data, no text lines); the
    report's formatting (bkfit.inference.report.mass_region_lines) gives the HDIs of a normal
    sample close to the analytic mu +- sigma and mu +- 1.96 sigma."""
    import arviz as az
    import numpy as np
    from bkfit.inference.report import mass_region_lines
    assert make_model("dm_scalar", {"operator": "S"}).report_masses() == {
        "m_phi": "dm_scalar (S)"}
    assert make_model("two_body", {}).report_masses() == {"m_X": "two-body X (scalar)"}
    for name in MODELS:
        m = make_model(name, {"couplings": ["lam_33"]} if name.startswith("lq_") else
                       {"dm_scalar": {"operator": "S"}, "dm_fermion": {"operator": "SS"},
                        "dm_vector": {"operator": "V2"}, "left": {"free": ["CL_bsnutaunutau"]},
                        "vlq_scalar_dm": {"couplings": ["yq_s"]}}.get(name, {}))
        assert not hasattr(m, "report_lines"), name
        assert set(m.report_masses()) <= set(m.mass_parameters()), name
    x = np.random.default_rng(1).normal(1.0, 0.1, size=(4, 20000))
    lines = mass_region_lines(az.from_dict(posterior={"m_phi": x}), "m_phi", "phi")
    nums = [float(a) for pair in re.findall(r"\[([-0-9.e]+), ([-0-9.e]+)\]", lines[2])
            for a in pair]
    assert nums == pytest.approx([0.9, 1.1, 0.804, 1.196], abs=0.006)
    assert mass_region_lines(az.from_dict(posterior={"m_phi": x}), "m_X", "X") == []
