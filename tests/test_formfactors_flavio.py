"""B -> K and B -> K* form factors (bkfit.physics.formfactors) against flavio.

Reference: flavio's own form-factor implementation, reached through its auxiliary quantities
``'B->K form factor'`` and ``'B->K* form factor'`` (the implementation flavio's config selects,
checked to be the 3-term BSZ expansion bkfit mirrors), evaluated with a flavio parameter dict.
bkfit's side uses its cached parameter database (the ``par`` fixture).

All ten form factors are compared -- B -> K: f+, f0, fT; B -> K*: V, A0, A1, A12, T1, T2, T23
(the tensor ones feed only the dark-matter rates and had no independent check) -- at six q^2
from 0 to the kinematic endpoint (m_B - m_M)^2, relative tolerance 1e-6 (measured agreement:
a few 1e-16 relative, i.e. rounding):

* at the database central values;
* with every expansion coefficient, pole mass and meson mass moved at once to random
  non-central values (three seeds), so that a coefficient read for the wrong form factor or a
  pole mass assigned to the wrong form factor cannot hide behind accidental equalities of the
  central values;
* one parameter at a time: each BSZ coefficient and each pole mass is moved alone, and the
  form factors that flavio says change must change identically in bkfit (this pins each
  parameter to the right form factor and expansion order).

The same values are written into both parameter dicts; nothing on the reference side comes
from bkfit.
"""
import numpy as np
import pytest

import bkfit  # noqa: F401  (float64)
from bkfit.physics.formfactors import ff_BK, ff_BKstar

flavio = pytest.importorskip("flavio")

RTOL = 1e-6
ATOL = 1e-9          # form factors are O(0.1 - 1); only guards exact zero crossings
FF = {"B->K*": ("V", "A0", "A1", "A12", "T1", "T2", "T23"), "B->K": ("f+", "f0", "fT")}
MESONS = {"B->K*": ("m_B0", "m_K*0"), "B->K": ("m_B0", "m_K0")}
OURS = {"B->K*": ff_BKstar, "B->K": ff_BK}


def _flavio_central():
    return dict(flavio.default_parameters.get_central_all())


def _free_names(process):
    """The parameters each form factor set depends on, read from flavio's database: BSZ
    coefficients and BCL pole masses of the process (names shared with bkfit)."""
    p = _flavio_central()
    coeffs = sorted(k for k in p if k.startswith(process + " BSZ a"))
    poles = sorted(k for k in p if k.startswith(process + " BCL m"))
    return coeffs, poles


def _q2_grid(process, pf):
    mB, mM = (pf[k] for k in MESONS[process])
    return np.linspace(0.0, (mB - mM) ** 2, 6)


def _reference(process, q2s, pf):
    """flavio's form factors (its configured implementation) on a copy of pf."""
    aux = flavio.classes.AuxiliaryQuantity[process + " form factor"]
    rows = [aux.prediction(par_dict=dict(pf), wc_obj=None, q2=float(q2)) for q2 in q2s]
    return {f: np.array([r[f] for r in rows], dtype=float) for f in FF[process]}


def _ours(process, q2s, pb):
    out = OURS[process](np.asarray(q2s), pb)
    return {f: np.asarray(out[f], dtype=float) for f in FF[process]}


def _compare(process, overrides, par):
    pf = _flavio_central()
    pb = dict(par)
    for k, v in overrides.items():
        assert k in pf and k in pb, k
        pf[k] = v
        pb[k] = v
    q2s = _q2_grid(process, pf)
    ref, got = _reference(process, q2s, pf), _ours(process, q2s, pb)
    worst = 0.0
    for f in FF[process]:
        moved = overrides if len(overrides) <= 2 else f"{len(overrides)} parameters moved"
        np.testing.assert_allclose(got[f], ref[f], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{process} {f} at q2 = {q2s}, {moved}")
        worst = max(worst, float(np.max(np.abs(got[f] / ref[f] - 1))))
    return ref, worst


@pytest.mark.parametrize("process", ["B->K*", "B->K"])
def test_flavio_uses_the_bsz3_parametrisation(process):
    """The reference is meaningful only if flavio's configured implementation is the 3-term
    BSZ expansion that bkfit implements (flavio's default)."""
    impl = flavio.classes.AuxiliaryQuantity[process + " form factor"].get_implementation()
    assert impl.name == process + " BSZ3"


@pytest.mark.parametrize("process", ["B->K*", "B->K"])
def test_form_factors_at_central_parameters(process, par):
    """All form factors at the database central values, six q^2 in [0, (m_B - m_M)^2]; the
    inputs of the two sides are the same numbers (bkfit's cache is flavio's database)."""
    coeffs, poles = _free_names(process)
    for k in coeffs + poles + list(MESONS[process]):
        assert par[k] == pytest.approx(float(_flavio_central()[k]), rel=1e-15), k
    ref, worst = _compare(process, {}, par)
    assert worst < RTOL
    # non-trivial q^2 dependence over the range (the grid really spans the spectrum)
    for f in FF[process]:
        assert abs(ref[f][-1] / ref[f][0] - 1) > 0.3, f


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("process", ["B->K*", "B->K"])
def test_form_factors_at_random_noncentral_parameters(process, seed, par):
    """Every BSZ coefficient shifted by up to +-50 % of max(|a|, 0.2), every pole mass by
    up to +-4 %, the B and light-meson masses by up to +-1 %, all at once."""
    rng = np.random.default_rng(seed)
    coeffs, poles = _free_names(process)
    p0 = _flavio_central()
    ov = {k: float(p0[k]) + rng.uniform(-0.5, 0.5) * max(abs(float(p0[k])), 0.2)
          for k in coeffs}
    ov.update({k: float(p0[k]) * rng.uniform(0.96, 1.04) for k in poles})
    ov.update({k: float(p0[k]) * rng.uniform(0.99, 1.01) for k in MESONS[process]})
    _compare(process, ov, par)


@pytest.mark.parametrize("process", ["B->K*", "B->K"])
def test_each_parameter_moves_the_same_form_factors(process, par):
    """One parameter at a time (coefficients +0.3, pole masses +5 %): bkfit agrees with
    flavio for every form factor, and the perturbation is visible in flavio's result for at
    least one form factor unless flavio overrides that coefficient by an endpoint relation
    (a0_A12 from a0_A0, a0_T2 = a0_T1, a0_f0 = a0_f+), so no comparison is vacuous."""
    coeffs, poles = _free_names(process)
    assert len(coeffs) == (19 if process == "B->K*" else 8), coeffs
    assert len(poles) == (3 if process == "B->K*" else 2), poles
    p0 = _flavio_central()
    base, _ = _compare(process, {}, par)
    overridden = {"B->K* BSZ a0_A12", "B->K* BSZ a0_T2", "B->K BSZ a0_f0"}
    for k in coeffs + poles:
        v = float(p0[k]) + 0.3 if k in coeffs else float(p0[k]) * 1.05
        ref, _ = _compare(process, {k: v}, par)
        moved = [f for f in FF[process] if np.max(np.abs(ref[f] - base[f])) > 1e-6]
        assert moved or k in overridden, k
