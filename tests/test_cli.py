"""CLI behaviour: predict, list, input errors before sampling, no silent overwrite,
interrupted runs never destroy earlier results."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

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
    """Mean and spread over the nuisance priors against flavio: the mean within 2 % of
    flavio.sm_prediction (200 draws: Monte-Carlo error 0.3 %); the relative spread within 25 %
    of flavio.sm_uncertainty('BR(B+->Knunu)', N=500) = 0.229e-6 / 4.706e-6 = 4.9 % (measured
    with flavio 2.7.1; 200 draws give the spread to ~5 %)."""
    flavio = pytest.importorskip("flavio")
    r = bkfit("predict", "BR(B+->Knunu)", "--uncertainty", "--json", "--samples", "200")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)["BR(B+->Knunu)"]
    assert v["mean"] == pytest.approx(flavio.sm_prediction("BR(B+->Knunu)"), rel=0.02), v
    assert v["std"] / v["mean"] == pytest.approx(0.049, rel=0.25), v


def test_predict_bad_names():
    r = bkfit("predict", "BR(B+->Knunnu)")
    assert r.returncode == 2 and "Did you mean 'BR(B+->Knunu)'" in r.stderr
    r = bkfit("predict", "BR(B+->Knunu)", "--set", "CL_bsnutaunutua=1")
    assert r.returncode == 2 and "CL_bsnutaunutau" in r.stderr


def _list_rows(what):
    r = bkfit("list", what)
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


def _strip_args(name):
    return re.sub(r"\[[^\]]*\]$", "", name)


def _shipped_likelihood_entries():
    """(file, entry) -> entry dict for every likelihoods/*.yaml, read with yaml directly."""
    out = {}
    for f in sorted((ROOT / "likelihoods").glob("*.yaml")):
        for e in yaml.safe_load(f.read_text())["entries"]:
            out[(f.name, e["name"])] = e
    return out


def test_list_observables():
    """Every line is 'name<TAB>description'; every name not marked a bkfit extension is a
    flavio observable; every observable that a shipped likelihood file names is listed."""
    flavio = pytest.importorskip("flavio")
    rows = _list_rows("observables")
    assert all(len(r) == 2 and r[1].strip() for r in rows), [r for r in rows if len(r) != 2]
    names = [_strip_args(r[0]) for r in rows]
    assert len(set(names)) == len(names)
    std = {_strip_args(n) for n, d in rows if not d.endswith("(bkfit extension)")}
    assert {"BR(B+->Knunu)", "Rtaul(B->D*lnu)", "DeltaM_s", "mu_gg(h->ZZ)"} <= std
    assert not std - set(flavio.classes.Observable.instances), std - set(
        flavio.classes.Observable.instances)
    needed = set()
    for e in _shipped_likelihood_entries().values():
        for k in ("observable", "mass_observable"):
            if k in e:
                needed.add(e[k])
        for o in e.get("observables", []):
            needed.add(o["observable"] if isinstance(o, dict) else o)
    assert needed and not needed - set(names), needed - set(names)


def test_list_models():
    """Every model that a shipped run file or the malformed-input corpus names is listed,
    with a description."""
    import tomllib
    rows = _list_rows("models")
    assert all(len(r) == 2 and r[1].strip() for r in rows)
    listed = [r[0] for r in rows]
    assert listed == sorted(set(listed))
    used = {tomllib.loads(f.read_text())["model"]["name"] for f in (ROOT / "runs").glob("*.toml")}
    used |= {s["model"]["name"] for s in yaml.safe_load(
        (ROOT / "tests" / "corpus" / "expected.yaml").read_text()).values() if "model" in s}
    used |= {"sm", "sm_mu", "left", "two_body", "vlq_scalar_dm"}
    assert not used - set(listed), used - set(listed)


def test_list_likelihoods():
    """One line per entry of likelihoods/*.yaml (read here with yaml): file, entry name, term
    class for the entry's type, its observables and its citation."""
    rows = _list_rows("likelihoods")
    assert all(len(r) == 5 for r in rows), [r for r in rows if len(r) != 5]
    entries = _shipped_likelihood_entries()
    assert [(r[0], r[1]) for r in rows] == list(entries)
    for f, name, cls, req, cite in rows:
        e = entries[(f, name)]
        assert cite == e["reference"]["citation"], (name, cite)
        assert cls.lower() == e["type"].replace("_", "") + "term", (name, cls, e["type"])
        if "observable" in e:
            assert req.split(", ")[0] == e["observable"], (name, req)
        elif "observables" in e:
            assert req == ", ".join(o["observable"] for o in e["observables"]), (name, req)


def test_list_parameters():
    """sm_mu: one parameter, mu; its default prior file exists and is the non-negative flat
    prior on mu that the run file belle2_signal_strength.toml relies on."""
    r = bkfit("list", "parameters", "sm_mu")
    assert r.returncode == 0, r.stderr
    fields = dict(line.split(": ", 1) for line in r.stdout.splitlines()[:4] if ": " in line)
    assert fields["parameters (default options)"].split(", ") == ["mu"], r.stdout
    assert fields["options"] == "none"
    prior = yaml.safe_load((ROOT / fields["default priors"]).read_text())["parameters"]
    assert list(prior) == ["mu"] and prior["mu"]["dist"] == "uniform" and prior["mu"]["low"] == 0


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
    for f in ["posterior.nc", "summary.csv", "corner.png", "corner.pdf", "report.md",
              "metadata.json"]:
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


def test_plot_rk_rkstar_takes_a_shipped_run_name(tmp_path):
    """`bkfit plot rk-rkstar NAME` finds the shipped run from any folder; a misspelt name is
    an error with the close names (exit code 2)."""
    out = tmp_path / "rk.png"
    r = bkfit("plot", "rk-rkstar", "lq_S1", "--draws", "200", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.exists() and out.with_suffix(".pdf").exists()
    r = bkfit("plot", "rk-rkstar", "lq_S2", cwd=tmp_path)
    assert r.returncode == 2 and "Did you mean 'lq_S1'" in r.stderr + r.stdout


def test_process_entry_point_writes_everything_and_keeps_exit_codes():
    """``python -m bkfit.cli`` (and the ``bkfit`` script) end with a fast exit after the command
    (bkfit.cli.run): what the command printed arrives in full through a pipe, and the exit
    codes are those of the command -- 0, 2 for bad input with the message on stderr."""
    from click.testing import CliRunner

    from bkfit.cli import main
    r = bkfit("list", "observables")
    assert r.returncode == 0, r.stderr
    inproc = CliRunner().invoke(main, ["list", "observables"])
    assert inproc.exit_code == 0
    assert r.stdout.splitlines() == inproc.output.splitlines()
    assert len(r.stdout.splitlines()) > 50
    r = bkfit("fit", "no_such_run_file.toml")
    assert r.returncode == 2 and "error:" in r.stderr and "no_such_run_file" in r.stderr
    r = bkfit("--version")
    assert r.returncode == 0 and "version" in r.stdout
