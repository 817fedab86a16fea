"""Charged-lepton b -> s l l' observables (bkfit/physics/bsll.py) against flavio.

bkfit's parameter cache is flavio's database, so flavio's default central values are the same
inputs.  References are computed here with ``flavio.np_prediction`` (WET, flavio basis, 4.8 GeV).
Each observable family is compared at >= 20 random complex coefficient points (vector, axial,
primed, scalar, pseudoscalar; both lepton orderings for the summed observables), tolerance 1 %.
"""
import jax
import numpy as np
import pytest

import bkfit  # noqa: F401
from bkfit.observables import all_names, default_catalogue, predict

flavio = pytest.importorskip("flavio")
wilson = pytest.importorskip("wilson")

TOL = 1e-2
FLAV = ("e", "mu", "tau")
PAIRS = [(a, b) for a in FLAV for b in FLAV if a != b]
SUMS = [("e", "mu"), ("e", "tau"), ("mu", "tau")]
VEC = ("C9", "C9p", "C10", "C10p")
SCA = ("CS", "CSp", "CP", "CPp")


def _flavio(name, wc):
    return flavio.np_prediction(name, wilson.Wilson(wc, 4.8, "WET", "flavio"))


def _rand_wc(rng, l1, l2, nvec=2, nsca=1, vmax=6.0, smax=1.0):
    out = {}
    for c in rng.choice(VEC, size=nvec, replace=False):
        out[f"{c}_bs{l1}{l2}"] = complex(rng.uniform(-vmax, vmax), rng.uniform(-vmax, vmax) / 2)
    for c in rng.choice(SCA, size=nsca, replace=False):
        out[f"{c}_bs{l1}{l2}"] = complex(rng.uniform(-smax, smax), rng.uniform(-smax, smax) / 2)
    return out


def _lfv_points(prefixes, n, seed, summed=True):
    """n (observable, coefficients) pairs over the given decay prefixes, e.g. 'B+->K'."""
    rng = np.random.default_rng(seed)
    names = []
    for p in prefixes:
        names += [(f"BR({p}{a}{b})", [(a, b)]) for a, b in PAIRS]
        if summed:
            names += [(f"BR({p}{a}{b},{b}{a})", [(a, b), (b, a)]) for a, b in SUMS]
    pts = []
    for k in range(n):
        name, orders = names[k % len(names)] if k < len(names) else names[rng.integers(len(names))]
        wc = {}
        for a, b in orders:
            wc.update(_rand_wc(rng, a, b, nvec=int(rng.integers(1, 4)), nsca=int(rng.integers(0, 3))))
        pts.append((name, wc))
    return pts


def _check(points):
    worst = 0.0
    for name, wc in points:
        ref = _flavio(name, wc)
        got = float(predict(name, wc, PAR))
        assert got == pytest.approx(ref, rel=TOL), (name, wc, got, ref)
        worst = max(worst, abs(got / ref - 1.0))
    return worst


@pytest.fixture(scope="module", autouse=True)
def _par(par):
    global PAR
    PAR = par
    all_names()


def test_names_are_flavio_names():
    fl = set(flavio.classes.Observable.instances)
    ours = [n for n, spec in default_catalogue().items() if spec.fn.__module__ == "bkfit.physics.bsll"]
    assert len(ours) == 42
    missing = [n for n in ours if n not in fl]
    assert not missing, missing


def test_B_to_K_lfv_vs_flavio():
    """B+ -> K and B0 -> K, six orderings and three summed observables: 24 points."""
    _check(_lfv_points(["B+->K", "B0->K"], 24, seed=1))


def test_B_to_Kstar_lfv_vs_flavio():
    """B+ -> K*+ and B0 -> K*0 (no summed observables in flavio): 24 points."""
    _check(_lfv_points(["B+->K*", "B0->K*"], 24, seed=2, summed=False))


def test_Bs_lfv_vs_flavio():
    """B_s -> l1+ l2- and the summed ones (scalar operators probe m_s/m_b): 21 points."""
    _check(_lfv_points(["Bs->"], 21, seed=3))


def test_Bs_tautau_vs_flavio():
    """Time-integrated B_s -> tau tau with the SM C10: SM, interference, scalars (20 points)."""
    rng = np.random.default_rng(4)
    pts = [("BR(Bs->tautau)", {})]
    for k in range(19):
        big = 40.0 if k % 3 == 0 else 6.0
        pts.append(("BR(Bs->tautau)", _rand_wc(rng, "tau", "tau", nvec=2, nsca=k % 3,
                                               vmax=big, smax=1.5)))
    _check(pts)


def test_B_to_Ktautau_vs_flavio():
    """B -> K tau tau, SM + NP: SM point, interference-dominated (|C| < 10) and NP-dominated
    (|C| ~ 100-500) points, dipole C7 (20 points)."""
    rng = np.random.default_rng(5)
    pts = [("BR(B+->Ktautau)", {}), ("BR(B0->Ktautau)", {})]
    for k in range(18):
        name = "BR(B+->Ktautau)" if k % 2 else "BR(B0->Ktautau)"
        vmax = (8.0, 40.0, 400.0)[k % 3]
        wc = _rand_wc(rng, "tau", "tau", nvec=2, nsca=k % 2, vmax=vmax, smax=vmax / 4)
        if k % 5 == 0:
            wc["C7_bs"] = complex(rng.uniform(-0.3, 0.3), 0.0)
        pts.append((name, wc))
    _check(pts)


@pytest.mark.parametrize("coef", ["C9_bstautau", "C10_bstautau", "C9p_bstautau"])
def test_B_to_Ktautau_interference(coef):
    """NP-SM interference (BR(+C) - BR(-C))/2 at C = 15 against flavio's within 2 % (the
    interference probes the SM C9eff(q^2), including its NNLO matrix elements)."""
    c = 15.0
    ref = 0.5 * (_flavio("BR(B+->Ktautau)", {coef: c}) - _flavio("BR(B+->Ktautau)", {coef: -c}))
    got = 0.5 * (float(predict("BR(B+->Ktautau)", {coef: c}, PAR))
                 - float(predict("BR(B+->Ktautau)", {coef: -c}, PAR)))
    assert got == pytest.approx(ref, rel=2e-2)


@pytest.mark.parametrize("name,key", [
    ("BR(B+->Kemu)", "C9_bsemu"), ("BR(B0->K*taumu)", "C10_bstaumu"),
    ("BR(Bs->emu,mue)", "CS_bsemu"), ("BR(B+->Ketau,taue)", "C9p_bstaue"),
    ("BR(Bs->tautau)", "C10_bstautau"), ("BR(B+->Ktautau)", "C9_bstautau"),
])
def test_gradient_at_zero_and_nonzero_vs_finite_differences(name, key):
    """jax.grad w.r.t. a real coupling at zero couplings and at C = 2 against central
    differences (step 1e-6, 1e-5 relative plus the rounding floor 1e-13 |f| / h); at zero the
    lepton-flavour-violating rates have no SM interference, so their gradient is exactly 0."""
    f = jax.jit(lambda x: predict(name, {key: x}, PAR))
    g_of = jax.jit(jax.grad(lambda x: predict(name, {key: x}, PAR)))
    h = 1e-6
    for x in (0.0, 2.0):
        g = float(g_of(x))
        fd = (float(f(x + h)) - float(f(x - h))) / (2 * h)
        assert np.isfinite(g)
        assert g == pytest.approx(fd, rel=1e-5, abs=1e-13 * abs(float(f(x))) / h), (x, g, fd)
    if "tautau" not in name:
        assert float(g_of(0.0)) == 0.0
    else:
        assert float(g_of(0.0)) != 0.0                  # interference with the SM C10


def test_clfv_likelihood_loads(repo_root):
    """One term per entry of clfv.yaml (read with yaml), each a flavio observable; at the SM
    point the lepton-flavour-violating ones are exactly 0 and the tau tau ones equal flavio's
    SM prediction (1 %), orders of magnitude below their limits."""
    import yaml
    from bkfit.likelihood.loader import load_file
    f = f"{repo_root}/likelihoods/clfv.yaml"
    entries = yaml.safe_load(open(f).read())["entries"]
    terms = load_file(f)
    assert [t.name for t in terms] == [e["name"] for e in entries] and len(terms) == 17
    for t, e in zip(terms, entries):
        [(oname, args)] = t.requests()
        assert oname == e["observable"] and oname in flavio.classes.Observable.instances
        v = float(predict(oname, {}, PAR, **args))
        if "tautau" in oname:
            assert v == pytest.approx(flavio.sm_prediction(oname), rel=TOL)
            assert v < 1e-3 * e["limit"]
        else:
            assert v == 0.0, (oname, v)
