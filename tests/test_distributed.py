"""Two fits on a two-worker Dask LocalCluster land exactly as local runs do."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RUN = """
[run]
name = "{name}"
seed = {seed}
[model]
name = "left"
free = ["CL_bsnutaunutau"]
[priors]
file = "{root}/priors/left.yaml"
[likelihood]
files = ["{root}/likelihoods/bknunu.yaml"]
[sampler]
chains = 2
num_warmup = 100
num_samples = 100
"""


def test_two_fits_on_local_cluster(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    import arviz as az
    from bkfit.distributed import fit_many
    monkeypatch.chdir(ROOT)
    runs = []
    for i, name in enumerate(["dask_a", "dask_b"]):
        p = tmp_path / f"{name}.toml"
        p.write_text(RUN.format(name=name, seed=i, root=ROOT))
        runs.append(str(p))
    res = fit_many(runs, "local", out_root=str(tmp_path / "out"), n_workers=2)
    assert all(r["ok"] for r in res), res
    for name in ["dask_a", "dask_b"]:
        d = tmp_path / "out" / name
        assert (d / "report.md").exists()
        assert az.from_netcdf(d / "posterior.nc").posterior.sizes["draw"] == 100
    # a failing run is reported, not lost: the same run again without --force must fail on
    # its worker (the existing result is kept) and come back as an error
    before = (tmp_path / "out" / "dask_a" / "posterior.nc").read_bytes()
    res = fit_many([runs[0]], "local", out_root=str(tmp_path / "out"), n_workers=1)
    assert not res[0]["ok"] and "--force" in res[0]["error"]
    assert (tmp_path / "out" / "dask_a" / "posterior.nc").read_bytes() == before
