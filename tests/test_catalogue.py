"""The observable catalogue as a value: a run can be assembled and predicted with a small
catalogue of its own, and nothing of it reaches the default catalogue."""
from pathlib import Path

import jax.numpy as jnp
import pytest

from bkfit import observables as obsreg
from bkfit.config import load_run
from bkfit.errors import InputError
from bkfit.inference.assemble import assemble
from bkfit.observables import Catalogue, UnknownObservable, default_catalogue

ROOT = Path(__file__).resolve().parents[1]
TOY = "toy_twice(mu)"


def _toy_catalogue() -> Catalogue:
    cat = Catalogue()

    @cat.register(TOY, extension=True, description="twice the signal strength (test only)")
    def _twice(coeffs, par):
        return 2.0 * jnp.asarray(coeffs.get("nunu_signal_strength", 1.0), dtype=float)
    return cat


def _run_file(tmp_path) -> Path:
    (tmp_path / "toy.yaml").write_text(
        "entries:\n  - name: toy_measurement\n    type: gaussian\n"
        f"    observable: '{TOY}'\n    value: 3.0\n    error: 0.5\n"
        "    reference: {citation: 'test only'}\n")
    run = tmp_path / "toy.toml"
    run.write_text(
        '[run]\nname = "toy"\n\n[model]\nname = "sm_mu"\n\n'
        f'[priors]\nfile = "{ROOT / "priors" / "sm_mu.yaml"}"\n\n'
        f'[likelihood]\nfiles = ["{tmp_path / "toy.yaml"}"]\n\n'
        f'[report]\nobservables = ["{TOY}"]\n')
    return run


def test_catalogue_lookup_and_did_you_mean():
    cat = _toy_catalogue()
    assert cat.names() == [TOY] and TOY in cat and len(cat) == 1
    assert float(obsreg.predict(TOY, {"nunu_signal_strength": 1.5}, {}, catalogue=cat)) == 3.0
    with pytest.raises(UnknownObservable, match=r"Did you mean 'toy_twice\(mu\)'"):
        cat.lookup("toy_twice(mu")
    with pytest.raises(ValueError, match="registered twice"):
        cat.register(TOY)(lambda coeffs, par: 0.0)
    assert TOY not in default_catalogue()


def test_assemble_and_predict_with_own_catalogue(tmp_path):
    cat = _toy_catalogue()
    n_default = len(default_catalogue())
    asm = assemble(load_run(_run_file(tmp_path)), catalogue=cat)
    assert asm.requests == [(TOY, {})]
    # the model's suggested report observables are not in the toy catalogue: only TOY is left
    assert asm.report_obs == [(TOY, {})]
    assert float(asm.predictions({"mu": 1.5}, asm.base_par)[TOY]) == 3.0
    (ll_peak,), rec = asm.core({"mu": 1.5}, {}, [{}], record=True)
    (ll_off,), _ = asm.core({"mu": 2.0}, {}, [{}], record=True)
    assert float(ll_off - ll_peak) == pytest.approx(-2.0)    # one pull (4 - 3) / 0.5 = 2
    assert float(rec[f"obs::{TOY}"]) == 3.0
    # nothing leaked into the default catalogue, which does not know the toy observable
    assert len(default_catalogue()) == n_default and TOY not in default_catalogue()
    with pytest.raises(InputError, match="unknown observable"):
        assemble(load_run(_run_file(tmp_path)))


class _FlatInvisible:
    """A made-up B -> K(*) + invisible contribution: BR 1e-6 spread flat over q2 in [0, 10]."""

    def diff(self, mode, q2, coeffs, par):
        return jnp.where((q2 >= 0) & (q2 <= 10.0), 1e-7, 0.0)

    def bin(self, mode, q2min, q2max, coeffs, par, n=None):
        return 1e-7 * (jnp.clip(q2max, 0.0, 10.0) - jnp.clip(q2min, 0.0, 10.0))


def test_invisible_contributions_are_handed_to_the_catalogue():
    """The + invisible observables sum over the contributions of their own catalogue."""
    from bkfit.inputs import load_db
    from bkfit.physics import bsnunu_observables
    par = dict(load_db().central)
    cat = Catalogue()
    bsnunu_observables.register(cat)
    assert cat.invisible == ()
    nunu = float(cat.predict("BR(B+->K+invisible)", {}, par))
    assert nunu == pytest.approx(float(cat.predict("BR(B+->Knunu)", {}, par)), rel=1e-12)
    cat.add_invisible(_FlatInvisible())
    assert float(cat.predict("BR(B+->K+invisible)", {}, par)) == pytest.approx(nunu + 1e-6,
                                                                              rel=1e-12)
    assert float(cat.predict("dBR/dq2(B+->K+invisible)", {}, par, q2=2.0)) == pytest.approx(
        float(cat.predict("dBR/dq2(B+->Knunu)", {}, par, q2=2.0)) + 1e-7, rel=1e-12)
    assert not any(isinstance(c, _FlatInvisible) for c in default_catalogue().invisible)
