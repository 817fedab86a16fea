"""A built wheel carries the shipped data (likelihoods/, priors/, runs/ as bkfit/_shipped,
copied by setup.py): the wheel is built from a copy of the source, installed without its
dependencies into a folder of its own (they come from the running environment), and used
from an empty folder outside the repository: the command line lists the likelihoods and
validates a shipped run by name and predicts with a WCxf file, and the Python API predicts.
About 45 s on 2 busy cores
(not marked slow); skipped when pip's isolated build finds no package index."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ("bkfit", "likelihoods", "priors", "runs", "pyproject.toml", "setup.py",
          "MANIFEST.in", "README.md", "constraints.txt")
NETWORK_TROUBLE = ("No matching distribution", "Could not find a version",
                   "Failed to establish a new connection", "NewConnectionError",
                   "Temporary failure in name resolution")


def _build_wheel(src: Path, dist: Path) -> Path:
    """pip wheel with the installed setuptools (when it can build wheels), else in pip's
    isolated build environment."""
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist)]
    try:
        import wheel  # noqa: F401  (setuptools < 70.1 needs it for bdist_wheel)
        local = True
    except ImportError:
        import setuptools
        local = tuple(int(x) for x in setuptools.__version__.split(".")[:2]) >= (70, 1)
    r = subprocess.run(pip + (["--no-build-isolation"] if local else []) + [str(src)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0 and not local and any(s in r.stderr for s in NETWORK_TROUBLE):
        pytest.skip("no package index for pip's isolated build: " + r.stderr[-500:])
    assert r.returncode == 0, r.stderr[-3000:]
    wheels = list(dist.glob("bkfit-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_the_shipped_data(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCE:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", ".ipynb_checkpoints"))
        else:
            shutil.copy2(p, src / name)
    whl = _build_wheel(src, tmp_path / "dist")
    names = zipfile.ZipFile(whl).namelist()
    for kind in ("likelihoods", "priors", "runs"):
        expected = {f"bkfit/_shipped/{kind}/{p.relative_to(ROOT / kind).as_posix()}"
                    for p in (ROOT / kind).rglob("*") if p.is_file()
                    and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
        assert expected and expected <= set(names), (kind, sorted(expected - set(names))[:5])

    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--no-compile", "--target", str(site), str(whl)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "JAX_PLATFORMS": "cpu",
           "PYTHONWARNINGS": "ignore"}

    def run(*args):
        r = subprocess.run(list(args), cwd=work, env=env, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, (args, r.stderr[-3000:])
        return r.stdout

    out = run(sys.executable, "-c", "import bkfit, bkfit.inputs.shipped as s; "
              "print(bkfit.__file__); print(s.data_root())")
    where, data = out.split()
    assert Path(where).is_relative_to(site), where      # the wheel, not the checkout
    assert Path(data) == site / "bkfit" / "_shipped", data
    out = run(sys.executable, "-m", "bkfit.cli", "list", "likelihoods")
    assert {ln.split("\t")[0] for ln in out.splitlines()} == \
        {p.name for p in (ROOT / "likelihoods").glob("*.yaml")}, out
    out = run(sys.executable, "-m", "bkfit.cli", "fit", "quickstart", "--dry-run")
    assert "quickstart: OK: model left, 2 parameter(s), 27 nuisance(s), 5 term(s)" in out, out
    out = run(sys.executable, "-c", "import bkfit; print(bkfit.predict('Rnunu(B+->K)', "
              "wc={'CL_bsnutaunutau': 1.0})['Rnunu(B+->K)'])")
    assert 0.5 < float(out) < 1.0, out       # destructive interference with the SM
    wcxf = tmp_path / "wc.yaml"              # WCxf at bkfit's scale: the same coefficient
    wcxf.write_text("eft: WET\nbasis: flavio\nscale: 4.8\nvalues:\n  CL_bsnutaunutau: 1.0\n")
    out2 = run(sys.executable, "-m", "bkfit.cli", "predict", "Rnunu(B+->K)", "--wcxf",
               str(wcxf), "--json")
    assert json.loads(out2)["Rnunu(B+->K)"] == float(out), (out, out2)
    assert not list(work.iterdir()), list(work.iterdir())   # nothing written there
