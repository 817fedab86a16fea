"""CLI behaviour: predict, list, input errors before sampling, no silent overwrite,
interrupted runs never destroy earlier results."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "ignore"}


def bkfit(*args, cwd=ROOT, timeout=600):
    return subprocess.run([sys.executable, "-m", "bkfit.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def test_predict_json_matches_flavio():
    flavio = pytest.importorskip("flavio")
    import wilson
    r = bkfit("predict", "BR(B+->Knunu)", "<FL>(B0->K*nunu)[0,4]", "--set",
              "CL_bsnutaunutau=1+2j", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    w = wilson.Wilson({"CL_bsnutaunutau": 1 + 2j}, scale=4.8, eft="WET", basis="flavio")
    assert out["BR(B+->Knunu)"] == pytest.approx(flavio.np_prediction("BR(B+->Knunu)", w), rel=5e-3)
    assert out["<FL>(B0->K*nunu)[0,4]"] == pytest.approx(
        flavio.np_prediction("<FL>(B0->K*nunu)", w, q2min=0, q2max=4), rel=5e-3)


def test_predict_uncertainty_json():
    r = bkfit("predict", "BR(B+->Knunu)", "--uncertainty", "--json", "--samples", "200")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)["BR(B+->Knunu)"]
    # flavio's SM uncertainty for this mode is ~ 6-8 % (form factors, CKM)
    assert 0.02 < v["std"] / v["mean"] < 0.2


def test_predict_bad_names():
    r = bkfit("predict", "BR(B+->Knunnu)")
    assert r.returncode == 2 and "Did you mean 'BR(B+->Knunu)'" in r.stderr
    r = bkfit("predict", "BR(B+->Knunu)", "--set", "CL_bsnutaunutua=1")
    assert r.returncode == 2 and "CL_bsnutaunutau" in r.stderr


@pytest.mark.parametrize("what", ["observables", "models", "likelihoods"])
def test_list(what):
    r = bkfit("list", what)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) > 2


def test_list_parameters():
    r = bkfit("list", "parameters", "sm_mu")
    assert r.returncode == 0 and "mu" in r.stdout


BASE = """
[run]
name = "{name}"
seed = 3
[model]
name = "left"
free = ["CL_bsnutaunutau"]
[priors]
file = "{root}/priors/left.yaml"
[likelihood]
files = ["{root}/likelihoods/bknunu.yaml"]
[sampler]
chains = 2
num_warmup = 60
num_samples = 60
"""


def write_run(tmp_path, text, name="t"):
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("mutate,needle", [
    (lambda s: s.replace('free = ["CL_bsnutaunutau"]', 'free = ["CL_bsnutaunutua"]'),
     "model.free"),
    (lambda s: s.replace("num_samples", "num_sample"), "sampler.num_sample"),
    (lambda s: s.replace('[priors]', '[priors]\nparameters = {CL_bsnutaunutau = {dist = "uniformm", low = 0, high = 1}}'),
     "uniform"),
    (lambda s: s.replace('[priors]', '[priors]\nparameters = {CR_bsnutaunutau = {dist = "uniform", low = 0, high = 1}}'),
     "priors.parameters.CR_bsnutaunutau"),
    (lambda s: s.replace('name = "left"', 'name = "lefft"'), "Did you mean 'left'"),
])
def test_bad_run_file_fails_before_sampling(tmp_path, mutate, needle):
    p = write_run(tmp_path, mutate(BASE.format(name="bad", root=ROOT)))
    r = bkfit("fit", str(p), "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    assert str(p) in r.stderr and needle in r.stderr, r.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_bad_observable_in_likelihood_file(tmp_path):
    lik = tmp_path / "lik.yaml"
    lik.write_text("entries:\n  - name: x\n    type: gaussian\n    observable: 'BR(B+->Knunus)'\n"
                   "    value: 1.0e-5\n    error: 1.0e-6\n    reference: {citation: 'arXiv:0000.00000'}\n")
    text = BASE.format(name="bad", root=ROOT).replace(f'"{ROOT}/likelihoods/bknunu.yaml"', f'"{lik}"')
    p = write_run(tmp_path, text)
    r = bkfit("fit", str(p), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert str(lik) in r.stderr and "entries[0].observable" in r.stderr
    assert "Did you mean 'BR(B+->Knunu)'" in r.stderr


def test_fit_writes_results_and_refuses_overwrite(tmp_path):
    import arviz as az
    p = write_run(tmp_path, BASE.format(name="tiny", root=ROOT))
    out = tmp_path / "res"
    r = bkfit("fit", str(p), "--out", str(out), "--no-progress")
    assert r.returncode == 0, r.stderr
    for f in ["posterior.nc", "summary.csv", "corner.png", "report.md", "metadata.json"]:
        assert (out / f).exists(), f
    idata = az.from_netcdf(out / "posterior.nc")
    assert "log_likelihood" in idata.groups() and "posterior_predictive" in idata.groups()
    assert idata.posterior.sizes["chain"] == 2
    before = (out / "posterior.nc").read_bytes()
    r = bkfit("fit", str(p), "--out", str(out))
    assert r.returncode == 2 and "--force" in r.stderr
    assert (out / "posterior.nc").read_bytes() == before


def test_killed_fit_leaves_earlier_result_intact(tmp_path):
    p = write_run(tmp_path, BASE.format(name="k", root=ROOT).replace("num_samples = 60",
                                                                      "num_samples = 400000"))
    out = tmp_path / "res"
    out.mkdir()
    (out / "posterior.nc").write_bytes(b"earlier result")
    proc = subprocess.Popen([sys.executable, "-m", "bkfit.cli", "fit", str(p), "--out", str(out),
                             "--force", "--no-progress", "--chunk-size", "1000"], cwd=ROOT,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t0 = time.time()
    lines = []
    while time.time() - t0 < 300:
        line = proc.stdout.readline()
        lines.append(line)
        if "sampled" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / "posterior.nc").read_bytes() == b"earlier result"
    assert (tmp_path / "res.partial" / "checkpoint.pkl").exists(), "".join(lines)
