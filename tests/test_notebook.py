"""The notebook runs/explore_results.ipynb is executed on finished runs: a small fit of the
SM signal strength against the full Belle II likelihood (counts and q^2 spectrum cells) and
a one-parameter LEFT fit with its evidence and a comparison against the SM (comparison cell).
The runs are made in this process with the Python API (``bkfit.fit``, ``bkfit.evidence``,
``bkfit.compare``; the same commands through the CLI are tested in test_cli.py), which saves
a Python + JAX start per run.
"""
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

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


@pytest.mark.slow
def test_explore_notebook_executes(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    import bkfit
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
            bkfit.fit(str(f), out=out, preflight=8)
            runs.append(out)
        if name in ("cl", "sm"):
            bkfit.evidence(str(f), methods="smc", out=out, particles=300, replicas=4,
                           echo=lambda line: None)
    bkfit.compare([tmp_path / "cl", tmp_path / "sm"], out=tmp_path / "cmp")
    nb = nbformat.read(ROOT / "runs" / "explore_results.ipynb", as_version=4)
    os.environ.update({"BKFIT_RUNS": ":".join(map(str, runs)),
                       "BKFIT_COMPARE": str(tmp_path / "cmp"), "BKFIT_ROOT": str(ROOT),
                       })
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    post, loo, spec, comp = code[1], code[2], code[3], code[4]   # posteriors, ArviZ LOO +
    # posterior-predictive check, Belle II spectra, comparison

    def texts(cell):                                   # printed text, then displayed text
        out = cell.get("outputs", [])
        return ("\n".join(str(o.get("text", "")) for o in out),
                "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in out))

    def n_images(cell):
        return sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))

    # posteriors: one header line per run (run, model as configured above), the summary table
    # of the signal strength agrees with Belle II's mu = 4.6 +- 1.3 (arXiv:2311.14647; bkfit's
    # SM spectrum gives ~5 % more) within its 1-sigma error, one figure per run
    printed, shown = texts(post)
    heads = re.findall(r"^(\w+) \(model (\w+)\): R-hat max \S+, divergences (\d+)$", printed,
                       re.M)
    assert [h[:2] for h in heads] == [("mu", "sm_mu"), ("cl", "left")], printed
    mu = re.search(r"^mu\s+(-?\d+\.\d+)\s+(\d+\.\d+)", shown, re.M)
    assert mu, shown
    mean, sd = float(mu.group(1)), float(mu.group(2))
    assert abs(mean - 4.6) < 1.3 and 0.5 < sd < 2.6, (mean, sd)
    assert n_images(post) == 2
    # ArviZ on the files: a PSIS-LOO printout and a posterior-predictive figure per run
    printed, _ = texts(loo)
    assert printed.count("Computed from") == 2, printed
    assert n_images(loo) == 2
    # spectra: a figure for the run with the full Belle II likelihood, a message for the other
    printed, _ = texts(spec)
    assert n_images(spec) == 1
    assert "cl: " in printed and "no pyhf (Belle II) likelihood term" in printed, printed
    # comparison: the table of both runs and its figure
    printed, shown = texts(comp)
    assert "no comparison given" not in printed
    assert re.search(r"^\d+\s+cl\s", shown, re.M) and re.search(r"^\d+\s+sm\s", shown, re.M), shown
    assert n_images(comp) == 1
