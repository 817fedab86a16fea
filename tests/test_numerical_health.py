"""Numerical health of every shipped model (issue: robustness): 10^4 draws from the prior of
one shipped run per model (model parameters, form-factor/CKM nuisances and the likelihood
terms' own nuisances), the joint log-likelihood of every term and the gradient of its sum
with respect to every sampled quantity must be finite at all of them.  The priors reach the
edges that matter: zero couplings, thresholds (masses up to the kinematic limit), m -> 0.
-inf is allowed only where a term declares the region unphysical; none of the shipped
likelihoods does, so it is counted as a failure here too.  NaN never is.
"""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
N_DRAWS = 10_000


def _one_run_per_model():
    import tomllib
    seen, out = set(), []
    for f in sorted((ROOT / "runs").glob("*.toml")):
        m = tomllib.loads(f.read_text()).get("model", {})
        key = (m.get("name"), tuple(sorted((k, str(v)) for k, v in m.items() if k != "name")))
        if m.get("name") not in {k[0] for k in seen}:
            seen.add(key)
            out.append(f)
    return out


RUNS = _one_run_per_model()


def test_every_shipped_run_validates():
    """Every run file in runs/ passes validation and assembles (before any sampling)."""
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble
    bad = {}
    for f in sorted((ROOT / "runs").glob("*.toml")):
        try:
            assemble(load_run(f))
        except Exception as e:  # noqa: BLE001
            bad[f.name] = str(e)[:300]
    assert not bad, bad


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=[r.stem for r in RUNS])
def test_prior_draws_give_finite_likelihood_and_gradient(run, monkeypatch):
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble
    from bkfit.inference.health import check
    monkeypatch.chdir(ROOT)
    asm = assemble(load_run(run))
    rep = check(asm, n=N_DRAWS, seed=1)
    assert rep.ok, rep.message()
    assert not any(rep.minus_inf.values()), rep.lines()
