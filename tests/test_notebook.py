"""The notebook runs/explore_results.ipynb is executed on finished runs: a small fit of the
SM signal strength against the full Belle II likelihood (counts and q^2 spectrum cells) and
a one-parameter LEFT fit with its evidence and a comparison against the SM (comparison cell).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "ignore"}
CLI = [sys.executable, "-m", "bkfit.cli"]

SMALL = """
[run]
name = "{name}"
seed = 5
[model]
name = "{model}"
{model_extra}
[priors]
file = "{root}/priors/{prior}"
[likelihood]
files = ["{root}/likelihoods/{lik}"]
{lik_extra}
[sampler]
chains = 1
num_warmup = 150
num_samples = 150
"""


def _run(args, cwd=ROOT):
    r = subprocess.run(CLI + args, cwd=cwd, env=ENV, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.slow
def test_explore_notebook_executes(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    runs = []
    specs = [
        ("mu", "sm_mu", "", "sm_mu.yaml", "belle2_kpnunu_2023.yaml", ""),
        ("cl", "left", 'free = ["CL_bsnutaunutau"]', "left.yaml", "bknunu.yaml",
         'include = ["belle2_2023_Bp_Knunu_gauss"]'),
        ("sm", "sm", "", "left.yaml", "bknunu.yaml", 'include = ["belle2_2023_Bp_Knunu_gauss"]'),
    ]
    for name, model, mx, prior, lik, lx in specs:
        f = tmp_path / f"{name}.toml"
        f.write_text(SMALL.format(name=name, model=model, model_extra=mx, root=ROOT,
                                  prior=prior, lik=lik, lik_extra=lx))
        out = tmp_path / name
        if model != "sm":
            _run(["fit", str(f), "--out", str(out), "--no-progress", "--preflight", "8"])
            runs.append(out)
        if name in ("cl", "sm"):
            _run(["evidence", str(f), "--out", str(out), "--method", "smc",
                  "--particles", "300", "--replicas", "4"])
    _run(["compare", str(tmp_path / "cl"), str(tmp_path / "sm"), "--out",
          str(tmp_path / "cmp")])
    nb = nbformat.read(ROOT / "runs" / "explore_results.ipynb", as_version=4)
    os.environ.update({"BKFIT_RUNS": ":".join(map(str, runs)),
                       "BKFIT_COMPARE": str(tmp_path / "cmp"), "BKFIT_ROOT": str(ROOT),
                       })
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    text = "\n".join(str(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "sm_mu" in text and "R-hat" in text
    assert "no comparison given" not in text
    imgs = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))
    assert imgs >= 3
