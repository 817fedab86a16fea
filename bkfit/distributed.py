"""Many fits across machines on a Dask distributed cluster.

``bkfit fit RUN... --scheduler ADDRESS`` submits one task per run file.  ``ADDRESS`` is a
scheduler address (``tcp://host:8786``, e.g. a cluster started by dask-jobqueue's
``SLURMCluster``/``PBSCluster``) or ``local`` for an embedded ``LocalCluster`` with one
single-threaded worker process per core.  Each task runs ``bkfit fit`` in a subprocess on its
worker, so results land exactly as with a local run (same folders, same files, same atomic
replacement).  A task whose worker dies is retried (``retries``) by Dask; a run that fails is
reported with its log, never dropped silently.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _fit_task(run_file: str, out: str, force: bool, overrides: dict, cwd: str) -> dict:
    cmd = [sys.executable, "-m", "bkfit.cli", "fit", run_file, "--out", out, "--no-progress"]
    if force:
        cmd.append("--force")
    for k, v in (overrides or {}).items():
        if v is not None:
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=1"}
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    return {"run": run_file, "out": out, "ok": p.returncode == 0, "returncode": p.returncode,
            "error": "" if p.returncode == 0 else (p.stderr.strip().splitlines() or ["?"])[-1],
            "stderr_tail": p.stderr[-4000:]}


def out_dir_for(run_file: str, out_root: str | None) -> str:
    """Output folder of a run file: ``OUT_ROOT/<run name>`` (``results/<run name>`` without a
    root)."""
    from .config import load_run
    name = load_run(run_file).run.name
    return str(Path(out_root or "results") / name)


def fit_many(run_files: list[str], scheduler: str, out_root: str | None = None,
             force: bool = False, overrides: dict | None = None, retries: int = 1,
             n_workers: int | None = None) -> list[dict]:
    """Fit several run files on a dask cluster (``scheduler='local'`` or a scheduler address), one
    ``bkfit fit`` subprocess per run; returns one status dict per run, in order.  Every run file
    is assembled first so that invalid ones fail before anything is submitted."""
    from dask.distributed import Client, LocalCluster

    # validate every run file before anything is submitted
    from .config import load_run
    from .inference.assemble import assemble
    outs = []
    for rf in run_files:
        assemble(load_run(rf))
        outs.append(out_dir_for(rf, out_root))
    if len(set(outs)) != len(outs):
        raise ValueError("two run files share a run name (and so an output folder)")
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        cwd = os.getcwd()
        futs = [client.submit(_fit_task, os.path.abspath(rf), os.path.abspath(o), force,
                              overrides or {}, cwd, retries=retries, pure=False)
                for rf, o in zip(run_files, outs)]
        results = []
        for rf, o, f in zip(run_files, outs, futs):
            try:
                results.append(f.result())
            except Exception as e:  # noqa: BLE001  (worker lost after retries, etc.)
                results.append({"run": rf, "out": o, "ok": False, "returncode": None,
                                "error": f"{type(e).__name__}: {e}", "stderr_tail": ""})
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
