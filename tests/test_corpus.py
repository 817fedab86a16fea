"""Malformed-input corpus (issue 9): every bad run / prior / likelihood file in tests/corpus/
must stop `bkfit fit` before any compilation or sampling, with exit code 2 and a message
that names the file, the field and what is allowed (see tests/corpus/expected.yaml).

The CLI runs in-process through click's CliRunner; ``run_nuts`` (where the numpyro model is
first traced and compiled) is replaced by a sentinel, so "before sampling" is checked
structurally: the sentinel is never called, no output folder and no ``.partial`` folder or
checkpoint is written.  Valid controls (same wrappers, valid files) must reach the sentinel,
which shows the harness would notice a bad file slipping through.

``cli_*.json`` cases are bad command lines (``bkfit predict`` values, ``bkfit fit --dry-run``
overrides, ``bkfit export``): each must end with exit code 2 and its message, without sampling.
``wcxf_*`` cases are bad WCxf files, each fed as the ``[wcxf] file`` of a valid run file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text())
CONTROLS = {"ok_run.toml", "ok_likelihood.yaml", "ok_wcxf.yaml"}
KINDS = ("run_", "lik_", "prior_", "cli_", "wcxf_")
DEFAULT_PRIOR_MODEL = {"name": "dm_scalar", "operator": "S"}
TAG_MARKER = Path("/tmp/bkfit_corpus_yaml_tag_was_executed")   # named in the *_python_tag files


class SamplerReached(RuntimeError):
    pass


def _toml_value(v) -> str:
    return json.dumps(v)      # strings, numbers and lists of them are valid TOML as JSON


def _model_table(model: dict) -> str:
    return "[model]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in model.items())


def wrap(case: str, tmp_path: Path, model: dict | None = None) -> Path:
    """The run file that feeds ``case`` to the CLI."""
    f = CORPUS / case
    if case.startswith("run_") or case == "ok_run.toml":
        return f
    if case.startswith("wcxf_") or case == "ok_wcxf.yaml":
        text = (f'[run]\nname = "corpus_wrap"\n'
                + _model_table(model or {"name": "left", "free": ["CL_bsnutaunutau"]})
                + f'[priors]\nfile = "{ROOT}/priors/left.yaml"\n'
                + f'[likelihood]\nfiles = ["{CORPUS}/ok_likelihood.yaml"]\n'
                + f'[wcxf]\nfile = "{f}"\n')
    elif case.startswith("lik_") or case == "ok_likelihood.yaml":
        text = (f'[run]\nname = "corpus_wrap"\n'
                + _model_table(model or {"name": "left", "free": ["CL_bsnutaunutau"]})
                + f'[priors]\nfile = "{ROOT}/priors/left.yaml"\n'
                + f'[likelihood]\nfiles = ["{f}"]\n')
    else:
        text = (f'[run]\nname = "corpus_wrap"\n' + _model_table(model or DEFAULT_PRIOR_MODEL)
                + f'[priors]\nfile = "{f}"\n'
                + f'[likelihood]\nfiles = ["{CORPUS}/ok_likelihood.yaml"]\n')
    p = tmp_path / (Path(case).stem + ".toml")
    p.write_text(text)
    return p


@pytest.fixture
def fit(tmp_path, monkeypatch):
    """Run `bkfit fit RUN --out DIR` in-process; returns (result, sampler_called, out)."""
    from click.testing import CliRunner

    import bkfit.inference.nuts as nuts
    from bkfit.cli import main

    calls = []

    def sentinel(*args, **kwargs):
        calls.append(1)
        raise SamplerReached("the sampler was reached")

    monkeypatch.setattr(nuts, "run_nuts", sentinel)
    monkeypatch.chdir(ROOT)
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        # keeps the CLI's _setup_devices from changing this test process's JAX device count
        monkeypatch.setenv("XLA_FLAGS", (flags + " --xla_force_host_platform_device_count=1").strip())
    runner = CliRunner()

    def run(run_file: Path):
        out = tmp_path / "out"
        res = runner.invoke(main, ["fit", str(run_file), "--out", str(out), "--no-progress"])
        return res, bool(calls), out

    return run


def _cases():
    return sorted(c for c in EXPECTED if not c.startswith("cli_"))


def _cli_cases():
    return sorted(c for c in EXPECTED if c.startswith("cli_"))


def test_corpus_is_complete_and_large_enough():
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.yaml"}
    cases = files - CONTROLS
    assert cases == set(EXPECTED), (f"not in expected.yaml: {sorted(cases - set(EXPECTED))}; "
                                    f"no such file: {sorted(set(EXPECTED) - cases)}")
    assert len(cases) >= 30
    for kind in KINDS:
        assert sum(c.startswith(kind) for c in cases) >= 10, kind
    for c, spec in EXPECTED.items():
        assert c.startswith(KINDS), c
        assert spec["expect"], c


@pytest.mark.parametrize("case", _cases())
def test_bad_input_fails_before_sampling(case, fit, tmp_path):
    spec = EXPECTED[case]
    run_file = wrap(case, tmp_path, spec.get("model"))
    res, sampler_called, out = fit(run_file)
    msg = res.stderr
    assert res.exit_code == 2, f"exit code {res.exit_code}; stderr:\n{msg}\n{res.exception!r}"
    assert msg.startswith("error: "), msg
    if spec.get("names_file", True):
        assert case in msg, f"message does not name the file {case}:\n{msg}"
    missing = [frag for frag in spec["expect"] if frag not in msg]
    assert not missing, f"missing {missing} in:\n{msg}"
    assert not sampler_called
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()
    assert not list(tmp_path.rglob("checkpoint.pkl"))


@pytest.mark.parametrize("case", _cli_cases())
def test_bad_command_line_is_refused(case, fit):
    """``fit`` (the fixture) puts the sampler sentinel in place and changes to the root."""
    from click.testing import CliRunner

    from bkfit.cli import main
    args = json.loads((CORPUS / case).read_text())
    res = CliRunner().invoke(main, args)
    msg = res.stderr
    assert res.exit_code == 2, f"exit code {res.exit_code}; stderr:\n{msg}\n{res.exception!r}"
    assert msg.startswith("error: "), msg
    missing = [frag for frag in EXPECTED[case]["expect"] if frag not in msg]
    assert not missing, f"missing {missing} in:\n{msg}"


def test_predict_set_overrides_a_physics_parameter():
    """`--set Vcb=...` replaces the database's Vcb: BR(B+ -> K nu nu) scales as |Vcb|^2."""
    from click.testing import CliRunner

    from bkfit.cli import main
    from bkfit.inputs import load_db
    vcb = load_db().central["Vcb"]
    out = []
    for extra in ([], ["--set", f"Vcb={vcb * 0.9}"]):
        res = CliRunner().invoke(main, ["predict", "BR(B+->Knunu)", "--json"] + extra)
        assert res.exit_code == 0, res.stderr
        out.append(json.loads(res.stdout)["BR(B+->Knunu)"])
    assert out[1] / out[0] == pytest.approx(0.81, rel=0.02)


CONTROL_RUNS = [
    ("ok_run.toml", None),
    ("ok_likelihood.yaml", None),
    ("ok_wcxf.yaml", None),
    # the prior-file wrappers with the repository's valid prior files
    ("priors/dm_scalar.yaml", DEFAULT_PRIOR_MODEL),
] + [(f"priors/{p}.yaml", m) for p, m in sorted({
    "lq_S0": EXPECTED["prior_negative_lq_mass.yaml"]["model"],
    "two_body": EXPECTED["prior_two_body_mass_above_threshold.yaml"]["model"],
    "dm_fermion": EXPECTED["prior_negative_dm_mass.yaml"]["model"],
}.items())]


@pytest.mark.parametrize("case,model", CONTROL_RUNS, ids=[c for c, _ in CONTROL_RUNS])
def test_valid_controls_reach_the_sampler(case, model, fit, tmp_path):
    if case.startswith("priors/"):
        text = (f'[run]\nname = "control"\n' + _model_table(model)
                + f'[priors]\nfile = "{ROOT / case}"\n'
                + f'[likelihood]\nfiles = ["{CORPUS}/ok_likelihood.yaml"]\n')
        run_file = tmp_path / "control.toml"
        run_file.write_text(text)
    else:
        run_file = wrap(case, tmp_path, model)
    res, sampler_called, _ = fit(run_file)
    if "unknown observable" in res.stderr and "report.observables" in res.stderr:
        pytest.skip("the model's report observables are not registered yet: " + res.stderr)
    assert sampler_called, res.stderr
    assert res.exit_code == 1 and "error:" not in res.stderr, res.stderr


def test_python_yaml_tags_are_refused_not_executed():
    from bkfit.errors import InputError
    from bkfit.likelihood.loader import read_yaml

    TAG_MARKER.unlink(missing_ok=True)
    for case in ("lik_python_tag.yaml", "prior_python_tag.yaml"):
        with pytest.raises(InputError, match="refused"):
            read_yaml(CORPUS / case)
    assert not TAG_MARKER.exists()


def test_unquoted_yaml_exponent_still_reads_as_number(tmp_path):
    """PyYAML (YAML 1.1) reads `1e-5` as a string; such strings stay valid numbers."""
    from bkfit.likelihood.loader import load_file
    f = tmp_path / "lik.yaml"
    f.write_text("entries:\n  - name: x\n    type: upper_limit\n    observable: 'BR(B+->Knunu)'\n"
                 "    limit: 2e-5\n    cl: 0.9\n    reference: {citation: 'arXiv:0000.00000'}\n")
    (term,) = load_file(f)
    assert term.limit == 2e-5


def test_kinematic_limits_from_parameter_db():
    """The DM-mass checks use (m_B - m_K)/n from the parameter database (PDG masses via
    flavio: m_B+ = 5.27934, m_K+ = 0.493677 GeV -> 4.7857 GeV)."""
    from bkfit.priors import kinematic_limit
    lim1, _ = kinematic_limit(1)
    lim2, _ = kinematic_limit(2)
    assert lim1 == pytest.approx(5.27934 - 0.493677, abs=2e-3)
    assert lim2 == pytest.approx(lim1 / 2)


def test_repository_inputs_stay_valid():
    """The checks refuse nothing the repository ships (priors, likelihoods, run files)."""
    from bkfit.config import load_run
    from bkfit.likelihood.loader import load_file
    from bkfit.priors import PriorSet
    for f in sorted((ROOT / "priors").glob("*.yaml")):
        PriorSet.from_file(f)
    for f in sorted((ROOT / "likelihoods").glob("*.yaml")):
        assert load_file(f)
    for f in sorted((ROOT / "runs").glob("*.toml")):
        load_run(f)
