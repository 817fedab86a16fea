"""Thermal relic solver (bkfit/physics/relic/) and the interpolated_upper_limit term.

References used (all independent of the code under test):
* scipy.special.kve / scipy.integrate.quad / scipy.integrate.solve_ivp (Radau) for Bessel
  functions, thermal averages and the Boltzmann equation;
* analytic identities: <sigma v> = a for sigma(s) v_lab(s) = a; <b v_lab^2> -> 6 b / x;
  eta(x, z) -> 2 sqrt(1 - z) for x -> infinity; half-Gaussian 90 % CL value;
* published curve: Steigman, Dasgupta, Beacom, PRD 86 (2012) 023506, arXiv:1204.3622, Fig. 5.
"""
from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.special import erfinv, kve

import bkfit  # noqa: F401  (float64)
from bkfit.physics import relic as R

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- Bessel, g*
def test_bessel_against_scipy():
    y = np.array([1.0, 1.7, 2.0, 5.0, 13.0, 60.0, 200.0, 1e3, 2.06e3, 1e4, 1e5])
    for nu in (0, 1, 2):
        got = np.asarray(R.kne(float(nu), jnp.asarray(y)))
        assert np.max(np.abs(got / kve(nu, y) - 1)) < 1e-12
    g = jax.grad(lambda v: R.k2e(v))(3.0)     # d/dy (e^y K2) = e^y (K2 - (K1 + 2 K2 / y))... via scipy
    ref = kve(2, 3.0) - (kve(1, 3.0) + 2 * kve(2, 3.0) / 3.0)
    assert g == pytest.approx(ref, rel=1e-10)


def test_gstar_table_values():
    """Interpolation reproduces the DHS table rows (read independently with numpy) and the
    physical limits (3.91/3.36 after e+e- annihilation with N_eff ~ 3.045: 3.94/3.38; 106.83)."""
    rows = [l for l in open(ROOT / "bkfit/inputs/data/gstar_DHS2015.csv")
            if l.strip() and not l.startswith("#")][1:]
    tab = np.array([[float(c) for c in l.split(",")] for l in rows])
    idx = [0, 50, 137, 200, 274]
    assert np.allclose(np.asarray(R.gstars(jnp.asarray(tab[idx, 0]))), tab[idx, 1], rtol=1e-12)
    assert np.allclose(np.asarray(R.gstar(jnp.asarray(tab[idx, 0]))), tab[idx, 2], rtol=1e-12)
    assert float(R.gstars(1e-6)) == pytest.approx(3.94, abs=0.01)
    assert float(R.gstar(1e5)) == pytest.approx(106.83, abs=0.01)
    assert float(R.gstar(5e-3)) == pytest.approx(10.75, abs=0.1)


# ----------------------------------------------------------------------------- thermal average
def _gg_reference(sig_of_z, x, points=()):
    """Gondolo-Gelmini average with scipy (z = sqrt(s)/m): x/(4 K2^2) int sig (z^2-4) z^2 K1(xz)."""
    f = lambda z: sig_of_z(z) * (z * z - 4) * z * z * kve(1, x * z) * math.exp(-x * (z - 2))
    pts = [p for p in points if 2 < p < 2 + 80 / x]
    I = quad(f, 2, 2 + 80 / x, points=pts or None, limit=400, epsabs=0, epsrel=1e-12)[0]
    return x / (4 * kve(2, x) ** 2) * I


@pytest.mark.parametrize("x", [1.0, 3.0, 20.0, 300.0, 1000.0])
def test_constant_sigma_v_is_reproduced(x):
    """sigma(s) v_lab(s) = a (v_lab the invariant relative velocity) averages to exactly a."""
    a, m = 2.0e-9, 0.7
    got = float(R.thermal_average(lambda s: a / R.v_lab(s, m), m, x))
    assert got == pytest.approx(a, rel=1e-10)


def test_pwave_nonrelativistic_limit():
    """sigma v_lab = b v_lab^2: <sigma v> = 6 b / x (1 + O(1/x)); measured (scipy) correction
    -4.5/x: within 5/x of 6b/x for x >= 20, within 0.5 % at x = 1000; and equal to the scipy
    Gondolo-Gelmini integral to 1e-8 at all x."""
    b, m = 1.0e-9, 2.0
    for x in (1.0, 20.0, 100.0, 1000.0):
        got = float(R.thermal_average(lambda s: b * R.v_lab(s, m), m, x))
        vl = lambda z: math.sqrt(z * z * (z * z - 4)) / (z * z - 2)
        assert got == pytest.approx(b * _gg_reference(vl, x), rel=1e-8)
        if x >= 20:
            assert abs(got / (6 * b / x) - 1) < 5.0 / x
    got = float(R.thermal_average(lambda s: b * R.v_lab(s, m), m, 1000.0))
    assert got == pytest.approx(6 * b / 1000.0, rel=5e-3)


def _eta_reference(x, z):
    zth = 2 * max(1.0, math.sqrt(z))
    f = lambda Z: (math.sqrt(1 - 4 / Z ** 2) * math.sqrt(max(0.0, 1 - 4 * z / Z ** 2)) * Z * Z
                   * kve(1, x * Z) * math.exp(-x * (Z - 2)))
    I = quad(f, zth, zth + 80 / x, limit=400, epsabs=0, epsrel=1e-12)[0]
    return x / kve(2, x) ** 2 * I


@pytest.mark.parametrize("x,z", [(1.0, 0.2), (20.0, 0.0), (20.0, 0.5), (20.0, 1.0),
                                 (20.0, 1.1), (5.0, 2.0), (1000.0, 0.9)])
def test_eta_against_scipy(x, z):
    assert float(R.eta(x, z)) == pytest.approx(_eta_reference(x, z), rel=1e-9)


def test_eta_nonrelativistic_limit():
    """eta -> 2 sqrt(1 - z) (s-wave, sigma v_rel = |M|^2 beta_f / (32 pi m^2)) for x -> inf."""
    for z in (0.0, 0.3, 0.8):
        assert float(R.eta(3000.0, z)) == pytest.approx(2 * math.sqrt(1 - z), rel=2e-3)


def test_threshold_helper_vs_direct_average():
    """sigma_v_threshold == thermal_average of the explicit sigma(s) = S |M|^2 beta_f/(16 pi s
    beta_i), with the threshold passed, and == scipy; also below threshold (thermal tail)."""
    m, msq, S = 0.45, 3.7, 0.5
    for mf in (0.1396, 0.4937, 0.5479):          # channel open, open near threshold, closed
        def sig(s):
            bi = jnp.sqrt(jnp.maximum(1 - 4 * m * m / s, 0.0))
            bf2 = 1 - 4 * mf * mf / s
            bf = jnp.sqrt(jnp.where(bf2 > 0, bf2, 0.0))
            return S * msq * bf / (16 * math.pi * s * bi)
        for x in (3.0, 20.0, 200.0):
            h = float(R.sigma_v_threshold(m, mf, x, msq, S))
            d = float(R.thermal_average(sig, m, x, thresholds=(2 * mf,)))
            zf = mf * mf / (m * m)
            ref = S * msq * _eta_reference(x, zf) / (64 * math.pi * m * m)
            assert h == pytest.approx(ref, rel=1e-9)
            # thermal_average integrates up to u = x (sqrt(s)/m - 2) = 60: a channel whose
            # threshold lies beyond (here x = 200, closed channel, ~e^-87) gives 0
            assert d == pytest.approx(ref, rel=1e-7, abs=1e-25)


def test_threshold_gradients_vs_finite_differences():
    """d/dm and d/dx of sigma_v_threshold below, at (m = m_f) and above the final-state threshold
    against central differences (step 1e-6 relative, tolerance 1e-6; measured < 7e-9)."""
    f = lambda m, x: R.sigma_v_threshold(m, 0.4937, x, 1.0)  # noqa: E731
    x = 20.0
    for m in (0.3, 0.4937, 0.6):
        gm, gx = jax.grad(f, argnums=(0, 1))(m, x)
        hm, hx = 1e-6 * m, 1e-6 * x
        fdm = (float(f(m + hm, x)) - float(f(m - hm, x))) / (2 * hm)
        fdx = (float(f(m, x + hx)) - float(f(m, x - hx))) / (2 * hx)
        assert float(gm) == pytest.approx(fdm, rel=1e-6), (m, float(gm), fdm)
        assert float(gx) == pytest.approx(fdx, rel=1e-6), (m, float(gx), fdx)
    # z = m_f^2/m^2 = 0 (massless final state) is the edge of the physical region: finite there
    assert np.isfinite(float(jax.grad(lambda z: R.eta(20.0, z))(0.0)))


def test_eta_gradient_at_massless_final_state():
    """d eta/dz at z = 0 (x = 20) against a second-order one-sided difference of the scipy
    reference: -0.80358 (1e-6); and at x = 3 and 200 and just above z = 0 (1e-6) against
    central differences of bkfit's eta, which is continuous there."""
    h = 1e-4
    ref = (-3 * _eta_reference(20.0, 0.0) + 4 * _eta_reference(20.0, h)
           - _eta_reference(20.0, 2 * h)) / (2 * h)
    assert ref == pytest.approx(-0.80358, rel=1e-4)
    assert float(jax.grad(lambda z: R.eta(20.0, z))(0.0)) == pytest.approx(ref, rel=1e-6)
    for x in (3.0, 200.0):
        g0 = float(jax.grad(lambda z: R.eta(x, z))(0.0))
        fd = (-3 * float(R.eta(x, 0.0)) + 4 * float(R.eta(x, h)) - float(R.eta(x, 2 * h))) / (2 * h)
        assert g0 == pytest.approx(fd, rel=1e-6), x
    z1, d = 1e-6, 1e-8
    g1 = float(jax.grad(lambda z: R.eta(20.0, z))(z1))
    fd1 = (float(R.eta(20.0, z1 + d)) - float(R.eta(20.0, z1 - d))) / (2 * d)
    assert g1 == pytest.approx(fd1, rel=1e-5)


# ----------------------------------------------------------------------------- Boltzmann solver
def _boltzmann_reference(m, sv, g):
    """Independent solution: scipy Radau on dW/dx in W = Y, with g* from numpy interpolation of
    the CSV, K2 from scipy, then the same late-time tail; returns Omega h^2."""
    import yaml
    rows = [l for l in open(ROOT / "bkfit/inputs/data/gstar_DHS2015.csv")
            if l.strip() and not l.startswith("#")][1:]
    tab = np.array([[float(c) for c in l.split(",")] for l in rows])
    lnT, gs, gr = np.log(tab[:, 0]), tab[:, 1], tab[:, 2]
    dlg = np.gradient(np.log(gs), lnT)
    C = {k: float(v["value"]) for k, v in yaml.safe_load(open(ROOT / "bkfit/inputs/data/cosmology.yaml")).items()
         if isinstance(v, dict) and "value" in v}

    def lam(x):
        T = m / x
        l = np.clip(np.log(T), lnT[0], lnT[-1])
        gsv, grv = np.interp(l, lnT, gs), np.interp(l, lnT, gr)
        d = np.interp(l, lnT, dlg) if lnT[0] < np.log(T) < lnT[-1] else 0.0
        s = 2 * math.pi ** 2 / 45 * gsv * T ** 3
        H = math.sqrt(4 * math.pi ** 3 * grv / 45) * T * T / C["M_Planck"]
        yeq = 45 * g / (4 * math.pi ** 4 * gsv) * x * x * kve(2, x) * math.exp(-x)
        return s * sv * (1 + d / 3) / (H * x), yeq

    def rhs(x, y):
        l, ye = lam(x)
        return [-l * (y[0] ** 2 - ye ** 2)]

    def jac(x, y):
        l, _ = lam(x)
        return [[-2 * l * y[0]]]

    y0 = lam(1.0)[1]
    sol = solve_ivp(rhs, (1.0, 1000.0), [y0], method="Radau", jac=jac, rtol=1e-10, atol=1e-25)
    yend = sol.y[0, -1]
    l1, l2 = lam(1000.0)[0], lam(1000.0 * 1.001)[0]
    p = -math.log(l2 / l1) / math.log(1.001)
    yinf = yend / (1 + yend * l1 * 1000.0 / (p - 1))
    return m * yinf * C["s0"] / C["rho_crit_over_h2"]


@pytest.mark.parametrize("m,sv_cm3s", [(0.1, 4.7e-26), (3.0, 3e-26), (100.0, 2.2e-26)])
def test_boltzmann_solver_against_radau(m, sv_cm3s):
    sv = R.cm3s_to_gev2(sv_cm3s)
    got = float(R.omega_h2_swave(m, sv, g_dm=1.0))
    assert got == pytest.approx(_boltzmann_reference(m, sv, 1.0), rel=2e-3)


# Steigman, Dasgupta, Beacom, arXiv:1204.3622, Fig. 5 (Majorana WIMP, g = 2, self-conjugate,
# s-wave), <sigma v> [1e-26 cm^3/s] giving the WMAP-era Omega_DM h^2 = 0.11 used there; values
# read off Fig. 5 (2 significant digits) as tabulated in TjarkMiener/likelihood_combiner,
# likelihood_combiner/plotter.py (thermal_relic_mass / thermal_relic_sigmav).
SDB_FIG5 = {0.1: 4.8, 1.0: 4.7, 10.0: 2.5, 100.0: 2.2}
SDB_OMEGA_H2 = 0.11


def test_required_cross_section_vs_steigman_dasgupta_beacom():
    om = jax.jit(lambda m, sv: R.omega_h2_swave(m, sv, g_dm=2.0, self_conjugate=True))
    for m, ref in SDB_FIG5.items():
        sv = R.cm3s_to_gev2(ref * 1e-26)
        for _ in range(6):                        # fixed point: Omega ~ 1/<sigma v>
            sv = sv * float(om(m, sv)) / SDB_OMEGA_H2
        got = R.gev2_to_cm3s(sv) / 1e-26
        # measured: 4.72, 4.72, 2.50, 2.23 (-1.6 %, +0.5 %, +0.1 %, +1.2 %)
        assert got == pytest.approx(ref, rel=0.05), (m, got, ref)


def test_dirac_needs_twice_the_cross_section():
    """Not self-conjugate (g = 2 per particle, total density tracked): the same Omega needs
    about twice <sigma v> (SDB: twice for a Dirac WIMP); the doubled number of states delays
    freeze-out by Delta x_f ~ ln 2, raising Omega by ~ ln2 / x_f ~ 3-4 % (measured 4.0 %)."""
    m = 10.0
    sv = R.cm3s_to_gev2(2.5e-26)
    o_maj = float(R.omega_h2_swave(m, sv, g_dm=2.0))
    o_dir = float(R.omega_h2_swave(m, 2 * sv, g_dm=2.0, self_conjugate=False))
    assert o_dir == pytest.approx(o_maj, rel=0.06)
    assert o_dir > o_maj


def test_gradients_against_finite_differences():
    f = jax.jit(lambda m, lsv: R.omega_h2_swave(m, jnp.exp(lsv)))
    for m in (0.3, 20.0):
        lsv = math.log(R.cm3s_to_gev2(3e-26))
        gm, gs = jax.grad(f, argnums=(0, 1))(m, lsv)
        hm, hs = 1e-4 * m, 1e-4
        fdm = (float(f(m + hm, lsv)) - float(f(m - hm, lsv))) / (2 * hm)
        fds = (float(f(m, lsv + hs)) - float(f(m, lsv - hs))) / (2 * hs)
        assert float(gs) == pytest.approx(fds, rel=1e-4)
        assert float(gm) == pytest.approx(fdm, rel=2e-3, abs=1e-6 * abs(float(f(m, lsv))) / m)
        assert np.isfinite(float(gm)) and np.isfinite(float(gs))


def test_thermal_average_inside_solver_and_gradient():
    """omega_h2 with <sigma v>(x) from the thermal average of an explicit threshold channel:
    finite value and gradient w.r.t. the mass and the coupling (|M|^2)."""
    def om(m, msq):
        return R.omega_h2(m, lambda x: R.sigma_v_threshold(m, 0.1396, x, msq), n_steps=800)
    m, msq = 0.5, 1e-6
    v, g = jax.value_and_grad(om, argnums=(0, 1))(m, msq)
    assert np.isfinite(float(v))
    h = 1e-3 * msq
    fd = (float(om(m, msq + h)) - float(om(m, msq - h))) / (2 * h)
    assert float(g[1]) == pytest.approx(fd, rel=1e-4)
    h = 1e-5 * m                                   # measured agreement 1e-9 ... 3e-10
    fd = (float(om(m + h, msq)) - float(om(m - h, msq))) / (2 * h)
    assert float(g[0]) == pytest.approx(fd, rel=1e-5)


# ----------------------------------------------------------------------------- limit term
def _term(tmp_path, rows, **over):
    from bkfit.likelihood.interpolated_limit import InterpolatedUpperLimitTerm
    f = tmp_path / "curve.csv"
    f.write_text("# test curve\nmass_GeV,sigma_SI_cm2\n" + "".join(f"{a},{b}\n" for a, b in rows))
    entry = dict(name="t", type="interpolated_upper_limit", observable="o", mass_observable="mo",
                 file="curve.csv", limit_unit="cm2", observable_unit="cm2", cl=0.9,
                 reference={"citation": "arXiv:0000.00000"})
    entry.update(over)
    return InterpolatedUpperLimitTerm.from_entry(entry, tmp_path)


def test_limit_term_half_gaussian_and_interpolation(tmp_path):
    rows = [(0.1, 1e-36), (0.3, 2e-38), (1.0, 5e-40), (3.0, 1e-40)]
    t = _term(tmp_path, rows)
    z90 = math.sqrt(2) * erfinv(0.9)                      # 1.6449
    for mm, lim in rows:                                   # tabulated points reproduced
        assert float(t.limit_at(mm)) == pytest.approx(lim, rel=1e-12)
        assert float(t.log_likelihood([lim, mm], {})) == pytest.approx(-0.5 * z90 ** 2, rel=1e-12)
    # log-log interpolation: straight line between (0.3, 2e-38) and (1, 5e-40) in logs
    mm = 0.5
    w = math.log(mm / 0.3) / math.log(1.0 / 0.3)
    lim = math.exp((1 - w) * math.log(2e-38) + w * math.log(5e-40))
    assert float(t.limit_at(mm)) == pytest.approx(lim, rel=1e-12)
    assert float(t.log_likelihood([lim, mm], {})) == pytest.approx(-0.5 * z90 ** 2, rel=1e-12)
    assert float(t.log_likelihood([0.0, mm], {})) == 0.0
    # outside the curve: no contribution
    assert float(t.log_likelihood([1e-30, 0.05], {})) == 0.0
    assert float(t.log_likelihood([1e-30, 5.0], {})) == 0.0
    # gradients: inside the curve both against central differences; at a node (0.3 GeV) the
    # log-log interpolation has a kink in the mass, so there only d/dx is compared and d/dm
    # must be finite; outside the curve both vanish
    F = lambda x, m_: t.log_likelihood([x, m_], {})  # noqa: E731
    x0 = 1e-39
    for mm in (0.5, 0.3, 5.0):
        gx, gm = (float(v) for v in jax.grad(F, argnums=(0, 1))(x0, mm))
        hx, hm = 1e-6 * x0, 1e-6 * mm
        fdx = (float(F(x0 + hx, mm)) - float(F(x0 - hx, mm))) / (2 * hx)
        fdm = (float(F(x0, mm + hm)) - float(F(x0, mm - hm))) / (2 * hm)
        if mm == 5.0:
            assert gx == 0.0 and gm == 0.0
            continue
        assert gx == pytest.approx(fdx, rel=1e-6), (mm, gx, fdx)
        if mm == 0.3:
            assert np.isfinite(gm)
        else:
            assert gm == pytest.approx(fdm, rel=1e-6), (mm, gm, fdm)
    # digitisation uncertainty d adds d * sigma in quadrature
    t2 = _term(tmp_path, rows, digitisation_uncertainty=0.2)
    assert float(t2.log_likelihood([5e-40, 1.0], {})) == pytest.approx(-0.5 * z90 ** 2 / 1.04,
                                                                      rel=1e-12)
    # units: limits in cm2, observable in GeV^-2 (hbar c = 1.973269804e-14 GeV cm, PDG)
    t3 = _term(tmp_path, rows, observable_unit="GeV-2")
    assert float(t3.limit_at(1.0)) == pytest.approx(5e-40 / 1.973269804e-14 ** 2, rel=1e-12)


@pytest.mark.parametrize("rows,over,msg", [
    ([(0.1, 1e-36), (0.1, 1e-37)], {}, "increase"),
    ([(0.3, 1e-36), (0.1, 1e-37)], {}, "increase"),
    ([(0.1, 1e-36), (0.2, -1e-37)], {}, "positive"),
    ([(0.1, 1e-36), (0.2, 1e-37)], {"cl": 90}, "cl"),
    ([(0.1, 1e-36), (0.2, 1e-37)], {"cl": 1.0}, "cl"),
    ([(0.1, 1e-36), (0.2, 1e-37)], {"file": "nope.csv"}, "not found"),
    ([(0.1, 1e-36), (0.2, 1e-37)], {"limit_unit": "barn"}, "limit_unit"),
    ([(0.1, 1e-36), (0.2, 1e-37)], {"digitisation_uncertainty": -0.1}, "digitisation"),
    ([(0.1, 1e-36), (0.2, 1e-37)], {"limt": 3}, "unknown"),
])
def test_limit_term_validation(tmp_path, rows, over, msg):
    with pytest.raises((ValueError, FileNotFoundError), match=msg):
        _term(tmp_path, rows, **over)


def test_loader_routes_the_type_and_reports_errors(tmp_path):
    """Through bkfit.likelihood.loader with test-only observables in a catalogue of their own."""
    from bkfit.errors import InputError
    from bkfit.likelihood.loader import load_file
    from bkfit.observables import Catalogue
    cat = Catalogue()
    for nm in ("test_relic::sigma", "test_relic::mass"):
        cat.register(nm, extension=True)(lambda coeffs, par: 0.0)
    (tmp_path / "c.csv").write_text("mass_GeV,sigma_SI_cm2\n0.1,1e-36\n1.0,1e-39\n")
    good = ("entries:\n  - name: dd\n    type: interpolated_upper_limit\n"
            "    observable: 'test_relic::sigma'\n    mass_observable: 'test_relic::mass'\n"
            "    file: c.csv\n    limit_unit: cm2\n    observable_unit: cm2\n    cl: 0.9\n"
            "    reference: {citation: 'arXiv:1907.12771'}\n")
    (tmp_path / "good.yaml").write_text(good)
    [t] = load_file(tmp_path / "good.yaml", catalogue=cat)
    assert t.requests() == [("test_relic::sigma", {}), ("test_relic::mass", {})]
    (tmp_path / "bad.yaml").write_text(good.replace("cl: 0.9", "cl: 1.5"))
    with pytest.raises(InputError, match="cl"):
        load_file(tmp_path / "bad.yaml", catalogue=cat)


def test_shipped_curves():
    """The copied Migdal curves: the two independent XENON1T digitisations agree within 12 %
    over 0.2-2 GeV (measured <= 9 %) except at the near-vertical step at 0.55-0.57 GeV, whose
    position differs by ~0.01 GeV between them (up to 45 % there); the shipped YAML loads once
    the model module registers sigma_SI_N(phi) and m(phi)."""
    from bkfit.likelihood.interpolated_limit import read_curve
    d = ROOT / "likelihoods" / "dd_migdal"
    m1, l1 = read_curve(d / "XENON1T_Migdal_2019.csv")
    m2, l2 = read_curve(d / "XENON1T_Migdal_2019_DarkLim_coarse.csv")
    sel = (m2 >= 0.2) & (m2 <= 2.0) & ~((m2 > 0.54) & (m2 < 0.58))
    interp = np.exp(np.interp(np.log(m2[sel]), np.log(m1), np.log(l1)))
    assert np.max(np.abs(interp / l2[sel] - 1)) < 0.12
    from bkfit import observables as obsreg
    names = obsreg.all_names()
    if "sigma_SI_N(phi)" not in names or "m(phi)" not in names:
        pytest.skip("sigma_SI_N(phi) / m(phi) not registered yet (VLQ model module)")
    from bkfit.likelihood.loader import load_file
    assert len(load_file(ROOT / "likelihoods" / "dd_migdal.yaml")) == 3


def test_darkside_nr_curve_is_the_original_file():
    """DarkSide50_2022_NR.csv holds the numbers of the source file (original/, sha256 in the
    README) token for token."""
    import hashlib
    d = ROOT / "likelihoods" / "dd_migdal"
    raw = (d / "original" / "OHare_DarkSide-50_2022.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == \
        "a512299b7cd7479b630be2b9bb3eb56e5e8fa8aa89f31fd630eac18bec44dac4"
    src = [ln.split() for ln in raw.decode().splitlines() if ln.strip() and not ln.startswith("#")]
    rows = [ln.split(",") for ln in (d / "DarkSide50_2022_NR.csv").read_text().splitlines()[1:]]
    assert src == rows


def test_relative_theory_error_gaussian_is_normalised_and_bounded():
    """Gaussian with a theory error proportional to the prediction x (relic.yaml):
    sigma^2 = e^2 + (r x)^2.  For any fixed prediction x the density in the measured value v,
    exp(ln L) / (e sqrt(2 pi)), integrates to 1 (numerical quadrature over v); at x = v it
    equals -ln(sigma/e); for x -> infinity ln L -> -1/(2 r^2) - ln(r x / e) (analytic)."""
    import jax.numpy as jnp
    from scipy import integrate
    from bkfit.likelihood.terms import GaussianTerm
    e, r = 0.001, 0.1
    for x in (0.05, 0.12, 3.0):
        def dens(v):
            t = GaussianTerm(name="t", observable="o", value=v, error=e, relative_error=r)
            return float(jnp.exp(t.log_likelihood([jnp.asarray(x)], {}))) / (e * np.sqrt(2 * np.pi))
        sig = np.hypot(e, r * x)
        tot, _ = integrate.quad(dens, x - 12 * sig, x + 12 * sig, points=[x], limit=200)
        assert tot == pytest.approx(1.0, rel=1e-6), (x, tot)
    t = GaussianTerm(name="t", observable="o", value=0.12, error=e, relative_error=r)
    assert float(t.log_likelihood([jnp.asarray(0.12)], {})) == pytest.approx(
        -np.log(np.hypot(e, r * 0.12) / e))
    big = 1e6
    assert float(t.log_likelihood([jnp.asarray(big)], {})) == pytest.approx(
        -0.5 / r ** 2 - np.log(r * big / e), rel=1e-6)
