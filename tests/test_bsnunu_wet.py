"""The complete b -> s nu nu effective theory (bkfit/physics/bsnunu_wet.py): scalar, tensor
and right-handed (massive sterile) neutrino operators.

Independent checks: the numpy reference tests/wet_reference.py (covariant matrix elements,
explicit B-frame spinors of unequal masses, chiral projectors as matrices, Dalitz integral),
closed-form limits (massless scalar B -> K, F_L = 1 for a pure scalar in B -> K*), the
identities that make CTR / CTLprime vanish, scipy quadrature of the reference for the q^2
integrals, finite differences for the gradients; vector-only input gives bsnunu's values
(validated against flavio in tests/test_bsnunu_flavio.py) exactly.
"""
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad

import bkfit
from bkfit.errors import InputError
from bkfit.observables import default_catalogue
from bkfit.physics import bsnunu as b
from bkfit.physics import bsnunu_wet as w
from bkfit.physics.formfactors import ff_BK, ff_BKstar

sys.path.insert(0, os.path.dirname(__file__))
import wet_reference as W  # noqa: E402

TOL = 1e-8           # exact amplitudes on both sides (|M|^2 is a polynomial in t)
PREFIXES = list(w.OPERATORS)
PAIR = "numunutau"   # lepton-flavour violating pair: masses of both legs differ
MASSES = {"massless": (0.0, 0.0), "massive": (0.9, 1.3)}   # (m_nuR_mu, m_nuR_tau) in GeV


def _n2(par):
    return float(b.norm2(par)) / (2 * np.pi ** 2)


def _legs(prefix, masses):
    legs = w.LEPTON[w.OPERATORS[prefix][1]][1]
    return (masses[0] if legs[0] else 0.0), (masses[1] if legs[1] else 0.0)


def _ref(par, mode, ops, m1, m2, q2, longitudinal=False):
    B, M, kind = b.MODES[mode]
    ff = ff_BK if kind == "P" else ff_BKstar
    fffn = lambda q: {k: float(v) for k, v in ff(q, par).items()}  # noqa: E731
    return _n2(par) * W.dgamma_dq2(ops, (kind, par["m_" + B], par["m_" + M]), q2, m1, m2,
                                   fffn, par["m_b"], par["m_s"], longitudinal=longitudinal)


def _wc(ops, masses):
    out = {f"{k}_bs{PAIR}": v for k, v in ops.items()}
    if masses is not None:
        out.update({"m_nuR_mu": masses[0], "m_nuR_tau": masses[1]})
    return out


@pytest.mark.parametrize("mass", list(MASSES))
@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("mode", ["B+->K", "B0->K*"])
def test_single_operator_vs_phase_space(par, mode, prefix, mass):
    """Every Lorentz structure and neutrino chirality, massless and massive neutrinos, at a
    point just above the pair threshold and one in the middle of the spectrum."""
    masses = MASSES[mass]
    m1, m2 = _legs(prefix, masses)
    wc = _wc({prefix: 1.7 - 0.4j}, masses)
    for q2 in ((m1 + m2) ** 2 + 0.3, 0.5 * ((m1 + m2) ** 2 + b.q2max(mode, par))):
        ref = _ref(par, mode, {prefix: 1.7 - 0.4j}, m1, m2, q2)
        got = float(w.dGamma_dq2(mode, q2, wc, par))
        assert ref > 0 and abs(got / ref - 1) < TOL, (q2, got, ref)


@pytest.mark.parametrize("ops", [{"CSL": 1 + 2j, "CSR": 0.4, "CTL": -0.7 + 0.3j},
                                 {"CSLprime": -0.5j, "CSRprime": 2.0, "CTRprime": 1 + 1j}])
@pytest.mark.parametrize("mode", ["B+->K", "B0->K*"])
def test_interference_vs_phase_space(par, mode, ops):
    """Scalar-tensor interference of one neutrino chirality (the same final state), complex
    coefficients, massive sterile neutrino."""
    masses = MASSES["massive"]
    m1, m2 = _legs(next(iter(ops)), masses)
    for q2 in ((m1 + m2) ** 2 + 0.2, 11.0):
        ref = _ref(par, mode, ops, m1, m2, q2)
        got = float(w.dGamma_dq2(mode, q2, _wc(ops, masses), par))
        assert abs(got / ref - 1) < TOL


def test_vanishing_tensor_chiralities(par):
    """(sbar s P_R b)(nubar s P_L nu) and (sbar s P_L b)(nubar s P_R nu) vanish identically
    (the reason CTR / CTLprime are not coefficient names), and the names are refused."""
    big = _ref(par, "B0->K*", {"CTL": 1.0}, 0.0, 0.0, 5.0)
    for name in ("CTR", "CTLprime"):
        for mode in ("B+->K", "B0->K*"):
            assert abs(_ref(par, mode, {name: 1.0}, 0.0, 0.0, 5.0)) < 1e-20 * big
    with pytest.raises(InputError, match="unknown coefficient .CTR_bsnutaunutau"):
        bkfit.predict("BR(B+->Knunu)", wc={"CTR_bsnutaunutau": 1.0})


def test_massless_scalar_BK_closed_form(par):
    """dGamma/dq^2 = N^2 |C|^2 (f0 (mB^2 - mK^2)/(mb - ms))^2 q^2 sqrt(lambda)/(4 256 pi^3 mB^3)
    for (sbar P_{L,R} b)(nubar P_{L,R} nu), massless neutrinos (spin sum 2 k1.k2 = q^2,
    <K|sbar P b|B> = <K|sbar b|B>/2, t range sqrt(lambda))."""
    mB, mK = par["m_B+"], par["m_K+"]
    for prefix in ("CSL", "CSR", "CSLprime", "CSRprime"):
        for q2 in (0.7, 9.3, 20.0):
            f0 = float(ff_BK(q2, par)["f0"])
            lam = (mB ** 2 - mK ** 2 - q2) ** 2 - 4 * mK ** 2 * q2
            h = f0 * (mB ** 2 - mK ** 2) / (par["m_b"] - par["m_s"])
            want = _n2(par) * 9.0 * h ** 2 * q2 * np.sqrt(lam) / (4 * 256 * np.pi ** 3 * mB ** 3)
            got = float(w.dGamma_dq2("B+->K", q2, {f"{prefix}_bsnutaunutau": 3.0}, par))
            assert abs(got / want - 1) < 1e-10


def test_massless_vector_equals_bsnunu_exactly(par):
    """Vector-only input: the new module adds exactly 0.0 and every nu nu observable is the
    bsnunu value itself; with a sterile mass 0 the primed vector rate computed here (spinors)
    equals bsnunu's closed form."""
    wc = {"CL_bsnutaunutau": 1.3 - 0.2j, "CRprime_bsnumunue": 2.0, "CLprime_bsnutaunutau": -1.0}
    assert not w.active(wc) and w.BR("B0->K*", wc, par) == 0.0
    cat = default_catalogue()
    for name, fn in (("BR(B+->Knunu)", lambda: b.BR("B+->K", wc, par)),
                     ("BR(B0->K*nunu)", lambda: b.BR("B0->K*", wc, par)),
                     ("FLtot(B0->K*nunu)", lambda: b.FL_bin("B0->K*", 0.0,
                                                             b.q2max("B0->K*", par), wc, par))):
        assert float(cat.lookup(name).fn(wc, par)) == float(fn())
    fl = cat.lookup("FL(B0->K*nunu)").fn(wc, par, 4.0)
    assert float(fl) == float(b.FL("B0->K*", 4.0, wc, par))
    primed = {"CRprime_bsnumunutau": 2.0 + 1j, "CLprime_bsnumunutau": -1.0}
    for mode in ("B+->K", "B0->K*"):
        for q2 in (1.0, 8.0, 15.0):
            old = float(b.dBR_dq2(mode, q2, primed, par) - b.dBR_dq2(mode, q2, {}, par))
            new = float(w.dBR_dq2(mode, q2, {**primed, "m_nuR_mu": 0.0}, par))
            assert abs(new / old - 1) < 1e-12
            # and bsnunu leaves the massive pair to bsnunu_wet (no double counting)
            assert float(b.dBR_dq2(mode, q2, {**primed, "m_nuR_tau": 0.5}, par)) == \
                float(b.dBR_dq2(mode, q2, {}, par))


@pytest.mark.parametrize("mode,ops,mass", [("B+->K", {"CSL": 2.0, "CTL": 1.0}, "massive"),
                                           ("B0->K*", {"CTRprime": 1.0}, "massless"),
                                           ("B0->K*", {"CRprime": 1.5}, "massive")])
def test_integrated_rates_vs_reference(par, mode, ops, mass):
    """BR (48-point endpoint quadrature from the threshold) against scipy.quad of the
    reference spectrum."""
    masses = MASSES[mass]
    m1, m2 = _legs(next(iter(ops)), masses)
    top = b.q2max(mode, par)
    B = b.MODES[mode][0]
    ref = par["tau_" + B] * quad(lambda q: _ref(par, mode, ops, m1, m2, q), (m1 + m2) ** 2,
                                 top, epsrel=1e-7, limit=60)[0]
    got = float(w.BR(mode, _wc(ops, masses), par))
    assert abs(got / ref - 1) < 1e-4
    # a bin inside the spectrum, through the catalogue's binned observable
    lo, hi = (m1 + m2) ** 2 + 1.0, (m1 + m2) ** 2 + 3.0
    refb = par["tau_" + B] * quad(lambda q: _ref(par, mode, ops, m1, m2, q), lo, hi)[0]
    wc = _wc(ops, masses)
    gotb = float(default_catalogue().lookup(f"<BR>({mode}nunu)").fn(wc, par, lo, hi)
                 - default_catalogue().lookup(f"<BR>({mode}nunu)").fn({}, par, lo, hi))
    assert abs(gotb / refb - 1) < 1e-4


def test_fl_vs_explicit_helicity_zero(par):
    """F_L with scalar, tensor and SM vector parts: longitudinal rate from the explicit
    helicity-0 K* polarisation vector in the B frame (reference) over the total; a pure
    scalar gives F_L = 1 (only the K* helicity 0 couples to a J = 0 current)."""
    mode = "B0->K*"
    masses = MASSES["massive"]
    ops = {"CSL": 1.0 + 0.5j, "CTL": 0.6}
    m1, m2 = _legs("CSL", masses)
    wc = {**_wc(ops, masses), "CL_bsnutaunutau": 1.0}
    for q2 in (3.0, 12.0):
        k = b.kernels(mode, q2, par)
        sp, sm = b.coupling_sums(wc, par)
        n2 = float(b.norm2(par))
        lv, tv = n2 * sm * k[2], n2 * (sp * k[0] + sm * (k[1] + k[2]))
        lr = _ref(par, mode, ops, m1, m2, q2, longitudinal=True)
        tr = _ref(par, mode, ops, m1, m2, q2)
        want = (float(lv) + lr) / (float(tv) + tr)
        assert abs(float(w.FL(mode, q2, wc, par)) / want - 1) < TOL
    fl1 = w.FL(mode, 6.0, {"CSR_bsnuenue": 3.0, "nunu_signal_strength": 0.0}, par)
    assert abs(float(fl1) - 1.0) < 1e-10
    flb = w.FL_bin(mode, 1.0, 6.0, {"CSRprime_bsnuenue": 3.0, "nunu_signal_strength": 0.0}, par)
    assert abs(float(flb) - 1.0) < 1e-10


def test_gradients_finite_and_match_differences(par):
    """jit + grad of BR and F_L in a coefficient and in a sterile mass against central
    differences."""
    def br(c, m):
        wc = {"CTL_bsnutaunutau": c, "CSR_bsnutaunutau": 2.0, "m_nuR_tau": m}
        return w.BR("B+->K", wc, par) + w.FL_bin("B0->K*", 0.0, 10.0, wc, par) * 1e-6
    f = jax.jit(br)
    g = jax.jit(jax.grad(br, argnums=(0, 1)))
    x = (1.5, 0.8)
    gc, gm = (float(v) for v in g(*x))
    assert np.isfinite(gc) and np.isfinite(gm) and gc != 0 and gm != 0
    h = 1e-4
    fdc = (float(f(x[0] + h, x[1])) - float(f(x[0] - h, x[1]))) / (2 * h)
    fdm = (float(f(x[0], x[1] + h)) - float(f(x[0], x[1] - h))) / (2 * h)
    assert abs(gc / fdc - 1) < 1e-5 and abs(gm / fdm - 1) < 1e-4
    # massless point: finite too
    assert all(np.isfinite(float(v)) for v in g(1.0, 0.0))


def test_observables_and_belle2_spectrum(par):
    """The nu nu observables and the +invisible spectrum the Belle II reweighting asks for
    (``<BR>(B+->K+invisible)`` over arrays of narrow bins) hold the new operators."""
    cat = default_catalogue()
    wc = {"CSL_bsnutaunutau": 4.0, "CTL_bsnutaunutau": 2.0, "m_nuR_tau": 0.5}
    tot = float(cat.lookup("BR(B+->Knunu)").fn(wc, par))
    new = float(w.BR("B+->K", wc, par))
    assert tot == pytest.approx(float(b.BR("B+->K", {}, par)) + new, rel=1e-12) and new > 0
    assert float(cat.lookup("BR(B+->K+invisible)").fn(wc, par)) == pytest.approx(tot, rel=1e-12)
    edges = np.linspace(0.0, b.q2max("B+->K", par), 101)
    bins = cat.lookup("<BR>(B+->K+invisible)").fn(wc, par, edges[:-1], edges[1:])
    assert float(jnp.sum(bins)) == pytest.approx(tot, rel=2e-4)
    # arrays of bins in the nu nu observables too (one integral per bin)
    nb = cat.lookup("<BR>(B+->Knunu)").fn(wc, par, edges[:-1:10], edges[10::10])
    assert float(jnp.sum(nb)) == pytest.approx(tot, rel=2e-4)
    flb = cat.lookup("<FL>(B0->K*nunu)").fn(wc, par, np.array([0.0, 4.0]), np.array([4.0, 8.0]))
    assert flb.shape == (2,) and all(float(
        cat.lookup("<FL>(B0->K*nunu)").fn(wc, par, lo, hi)) == pytest.approx(float(v), rel=1e-10)
        for v, lo, hi in zip(flb, (0.0, 4.0), (4.0, 8.0)))


def test_bad_sterile_mass_refused():
    """A sterile-neutrino mass must be a real number >= 0 (GeV): clear error, not a NaN."""
    for v in (-0.5, "1+2j"):
        with pytest.raises(InputError, match="m_nuR_tau"):
            bkfit.predict("BR(B+->Knunu)", wc={"CSL_bsnutaunutau": 1.0, "m_nuR_tau": v})
