"""The Python API (bkfit/api.py, exported by bkfit/__init__.py) and the shipped data
(bkfit/inputs/shipped.py): the docstring examples run as doctests, unknown names come with a
"did you mean", a run may be a path, a shipped run's name or a dict, and run files find the
shipped priors and likelihoods from any folder.  One tiny fit with its evidence (about a
minute, marked slow); the wheel is tested in tests/test_wheel.py."""
import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bkfit
from bkfit import api
from bkfit.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "ignore",
       "PYTHONPATH": os.pathsep.join([str(ROOT)] + [p for p in os.environ.get(
           "PYTHONPATH", "").split(os.pathsep) if p])}

OWN_RUN = """
[run]
name = "own"
[model]
name = "left"
free = ["CL_bsnutaunutau"]
[likelihood]
files = ["likelihoods/bknunu.yaml"]
include = ["belle2_2023_Bp_Knunu_gauss"]
"""


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "bkfit.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600)


def test_api_docstring_examples():
    res = doctest.testmod(api, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 10 and res.failed == 0, res


def test_package_exports_the_api():
    for name in ("predict", "fit", "load", "log_likelihood", "evidence", "compare",
                 "shipped_runs", "InputError"):
        assert callable(getattr(bkfit, name)), name
        assert name in dir(bkfit)
    with pytest.raises(AttributeError):
        bkfit.fitt


def test_unknown_names_say_did_you_mean(tmp_path):
    with pytest.raises(InputError, match="Did you mean 'num_samples'"):
        bkfit.fit("quickstart", num_sample=10)
    with pytest.raises(InputError, match="Did you mean 'quickstart'"):
        bkfit.fit("quikstart", num_samples=10)
    with pytest.raises(InputError, match="Did you mean 'smc'"):
        bkfit.evidence("quickstart", methods=["smcc"])
    with pytest.raises(InputError, match="unknown physics parameter 'tau_B\\+\\+'.*Did you"):
        bkfit.predict("BR(B+->Knunu)", par={"tau_B++": 2.5e12})
    with pytest.raises(bkfit.ModelError, match="Did you mean 'left'"):
        bkfit.predict("BR(B+->Knunu)", wc={"x": 1}, model="lefft")
    with pytest.raises(InputError, match="not a finished bkfit run folder"):
        bkfit.load(tmp_path)
    with pytest.raises(InputError, match="no such run folder"):
        bkfit.compare([tmp_path / "nope"])


def test_predict_par_overrides_the_database():
    base = bkfit.predict("BR(B+->Knunu)")["BR(B+->Knunu)"]
    from bkfit.inputs import load_db
    tau = load_db().central["tau_B+"]
    longer = bkfit.predict("BR(B+->Knunu)", par={"tau_B+": 2 * tau})["BR(B+->Knunu)"]
    assert longer == pytest.approx(2 * base, rel=1e-12)


def test_run_as_dict_is_validated_like_a_run_file(tmp_path, monkeypatch):
    from bkfit.config import load_run, run_from_dict, to_toml
    d = {"run": {"name": "own", "seed": 2},
         "model": {"name": "left", "free": ["CL_bsnutaunutau"]},
         "priors": {"parameters": {"CL_bsnutaunutau": {"dist": "uniform", "low": -3,
                                                       "high": 3}}},
         "likelihood": {"files": ["likelihoods/bknunu.yaml"],
                        "include": ["belle2_2023_Bp_Knunu_gauss"]},
         "sampler": {"dense_mass": [["CL_bsnutaunutau"]], "target_accept": 0.8}}
    import tomllib
    assert tomllib.loads(to_toml(d)) == d
    cfg = run_from_dict(d)
    f = tmp_path / "own.toml"
    f.write_text(to_toml(d))
    assert cfg.model_dump(exclude={"path", "text"}) == \
        load_run(f).model_dump(exclude={"path", "text"})
    with pytest.raises(InputError, match="field 'sampler.num_sample'.*Did you mean"):
        run_from_dict({**d, "sampler": {"num_sample": 3}})
    with pytest.raises(InputError, match="unknown table \\[modle\\].*Did you mean 'model'"):
        run_from_dict({**d, "modle": {}})
    # from a folder without likelihoods/: the shipped file is found, the term assembled
    monkeypatch.chdir(tmp_path)
    ll = bkfit.log_likelihood(d)
    assert ll.names == ["CL_bsnutaunutau"] and ll.term_names == ["belle2_2023_Bp_Knunu_gauss"]
    assert "low=-3" in ll.describe()["CL_bsnutaunutau"].replace(" ", "")
    v0, v1 = float(ll({"CL_bsnutaunutau": 0.0})), float(ll({"CL_bsnutaunutau": -2.0}))
    assert v1 > v0          # Belle II's excess prefers a larger rate
    with pytest.raises(InputError, match="missing parameter"):
        ll({})
    with pytest.raises(InputError, match="shape"):
        ll({"CL_bsnutaunutau": [1.0, 2.0]})


def test_paths_resolve_next_to_the_run_file_then_in_the_shipped_data(tmp_path, monkeypatch):
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble
    from bkfit.inputs.shipped import data_root
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "own.toml"
    run.write_text(OWN_RUN)                     # no [priors]: the model's default prior file
    asm = assemble(load_run(run))
    shipped = data_root()
    assert Path(asm.input_files[0]) == shipped / "likelihoods" / "bknunu.yaml"
    assert Path(asm.input_files[1]) == shipped / "priors" / "left.yaml"
    (tmp_path / "priors").mkdir()               # an own prior file next to the run file wins
    (tmp_path / "priors" / "left.yaml").write_text(
        "parameters:\n  CL_bsnutaunutau: {dist: uniform, low: -1, high: 1}\n")
    asm = assemble(load_run(run))
    assert Path(asm.input_files[1]) == tmp_path / "priors" / "left.yaml"
    assert "high=1" in asm.prior_text["CL_bsnutaunutau"].replace(" ", "")


def test_cli_outside_the_checkout(tmp_path):
    """From a folder that is not the repository: the shipped likelihoods are listed, shipped
    runs run by name, a run without [priors] finds the default prior, `bkfit init` copies
    the runs with what they use."""
    r = cli("list", "likelihoods", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = {line.split("\t")[0] for line in r.stdout.splitlines()}
    assert files == {p.name for p in (ROOT / "likelihoods").glob("*.yaml")}
    r = cli("list", "likelihoods", "--dir", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "no likelihood files" in r.stderr, r.stderr
    (tmp_path / "own.toml").write_text(OWN_RUN)
    r = cli("fit", "quickstart", "own.toml", "--dry-run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "quickstart: OK: model left, 2 parameter(s)" in r.stdout, r.stdout
    assert "own.toml: OK: model left, 1 parameter(s)" in r.stdout, r.stdout
    r = cli("fit", "quickstrat", "--dry-run", cwd=tmp_path)
    assert r.returncode == 2 and "Did you mean 'quickstart'" in r.stderr, r.stderr
    r = cli("init", "work", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for kind in ("runs", "priors", "likelihoods"):
        assert {p.name for p in (tmp_path / "work" / kind).iterdir()} >= \
            {p.name for p in (ROOT / kind).iterdir() if p.name != "__pycache__"}, kind
    r = cli("init", "work", cwd=tmp_path)
    assert r.returncode == 2 and "--force" in r.stderr, r.stderr
    r = cli("fit", "runs/lq_S0.toml", "--dry-run", cwd=tmp_path / "work")
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr


@pytest.mark.slow
def test_fit_load_evidence_compare_on_a_tiny_run(tmp_path, monkeypatch):
    """The API end to end on a run given as a dict (one Gaussian term, one parameter; tiny
    sampler and SMC settings: this checks the plumbing, not the numbers)."""
    monkeypatch.chdir(tmp_path)
    run = {"run": {"name": "tiny", "seed": 4},
           "model": {"name": "left", "free": ["CL_bsnutaunutau"]},
           "likelihood": {"files": ["likelihoods/bknunu.yaml"],
                          "include": ["belle2_2023_Bp_Knunu_gauss"]},
           "sampler": {"chains": 1, "num_warmup": 20, "num_samples": 20}}
    idata = bkfit.fit(run, out=tmp_path / "tiny", preflight=4, num_samples=30)
    assert idata.posterior["CL_bsnutaunutau"].shape == (1, 30)
    again, meta = bkfit.load(tmp_path / "tiny", metadata=True)
    assert meta["run"] == "tiny" and meta["var_names"] == ["CL_bsnutaunutau"]
    assert meta["run_file"] == ""                    # a dict has no file
    with pytest.raises(InputError, match="already holds a result"):
        bkfit.fit(run, out=tmp_path / "tiny")
    ev = bkfit.evidence(run, methods="smc", out=tmp_path / "tiny", particles=50, replicas=2)
    assert set(ev["estimates"]) == {"smc"} and ev["sm_same_data"]["ln_Z"] is not None
    table = bkfit.compare([tmp_path / "tiny"])
    assert list(table["run"]) == ["tiny"] and table["n_free"][0] == 1
    assert not (tmp_path / "results").exists()       # everything went to out
