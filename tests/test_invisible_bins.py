"""The tabulated bin integrals of the light-invisible pair families
(bkfit/physics/invisible_bins.py, the likelihood path of every ``<BR>(...)`` and total rate
of a fit with a sampled mass) against the explicit amplitudes (``_PairFamily._dbr_reference``:
spinors, polarisation vectors and the direction average, checked against an independent
phase-space integration in test_invisible.py), integrated here bin by bin with their own
quadrature.

Acceptance of the speed issue: agreement within 0.1 % at random points of every family and
field type (operators interfering with complex couplings), masses near zero, at the
thresholds of bin edges and near the endpoint included; gradients against finite
differences.  Measured agreement: ~1e-6 relative or better.
"""
import numpy as np
import pytest

import jax
import jax.numpy as jnp

import bkfit  # noqa: F401
from bkfit.physics import invisible as inv
from bkfit.physics import invisible_bins as ib
from bkfit.physics.common import gauss_legendre

TOL = 1e-3
# narrow bins at both ends (Belle II width 0.23 GeV^2), wide ones between; the last edge lies
# beyond the B+ -> K+ endpoint (clipped there, as the Belle II binning is)
EDGES = np.array([0.0, 0.23, 0.46, 1.0, 2.53, 4.0, 7.5, 11.73, 16.0, 20.0, 22.5, 22.77, 23.5])
FAMILIES = {"scalar": (inv.SCALAR, "phi_real", list(inv.SCALAR_KEYS)),
            "fermion": (inv.FERMION, "chi_majorana", list(inv.FERMION_OPS)),
            "vector": (inv.VECTOR, "X_real", [inv.vector_keys(op)[1] for op in inv.VECTOR_OPS])}


def _reference(fam, mode, coeffs, par, m, lo, hi, n=64):
    """Bins of the explicit-amplitude rate, Gauss-Legendre in v = sqrt(q^2) after a smooth-step
    substitution at both ends of each bin (above the threshold, below the endpoint)."""
    top = float(inv.q2max(mode, par))
    a = np.sqrt(np.clip(np.maximum(lo, 4 * m * m), 0, top))
    b = np.sqrt(np.clip(hi, 0, top))
    b = np.maximum(a, b)
    t, w = gauss_legendre(n)
    t, w = 0.5 * (t + 1), 0.5 * w
    s, ds = t * t * (3 - 2 * t), 6 * t * (1 - t)
    v = a[:, None] + (b - a)[:, None] * s[None]
    wv = (b - a)[:, None] * (w * ds)[None]
    flags = tuple((k, v_) for k, v_ in coeffs.items() if isinstance(v_, bool))
    num = {k: v_ for k, v_ in coeffs.items() if not isinstance(v_, bool)}
    f = _reference_rate(fam, mode, tuple(num), flags, par)(m, list(num.values()),
                                                           jnp.asarray(v.ravel()))
    return np.sum(wv * 2 * v * np.asarray(f).reshape(v.shape), axis=1)


_RATES = {}


def _reference_rate(fam, mode, keys, flags, par):
    """Jitted explicit-amplitude dBR/dq2 at v^2 for coefficient values in the order ``keys``
    (``flags``: the field-type switches, static)."""
    ident = (fam, mode, keys, flags)
    if ident not in _RATES:
        def rate(m, vals, v):
            c = {**dict(zip(keys, vals)), **dict(flags), fam.mass_key: m}
            return jax.vmap(lambda x: fam._dbr_reference(mode, x * x, c, par))(v)
        _RATES[ident] = jax.jit(rate)
    return _RATES[ident]


def _fast(fam, mode, keys, flag, real, lo, hi, par):
    """Jitted table bins as a function of (m, couplings): the mass is traced, as in a fit."""
    def f(m, cv):
        out = ib.fast_bins(fam, mode, lo, hi, {**dict(zip(keys, cv)), flag: real,
                                               fam.mass_key: m}, par)
        assert out is not None, "the table path must apply when the mass is traced"
        return out
    return jax.jit(f)


def _masses(rng, top_mass, edges):
    """Near zero, random, just below/above the threshold mass of a random inner edge, near the
    endpoint."""
    inner = edges[(edges > 0.5) & (edges < 4 * top_mass ** 2)]
    me = 0.5 * np.sqrt(rng.choice(inner)) if inner.size else rng.uniform(0, top_mass)
    return [1e-5, 2e-3, rng.uniform(0, top_mass), me * (1 - 1e-6), me * (1 + 1e-6),
            top_mass * (1 - 1e-5)]


def _check(fast, ref):
    scale = np.max(np.abs(ref))
    if scale == 0:
        assert np.all(np.asarray(fast) == 0)
        return
    fast = np.asarray(fast)
    assert np.max(np.abs(fast - ref)) <= TOL * scale * 1e-2, (fast, ref)
    big = np.abs(ref) > 1e-8 * scale
    assert np.all(np.abs(fast[big] - ref[big]) <= TOL * np.abs(ref[big])), (fast, ref)


# (family, field type, operators of the B+ -> K bins, operators of the B0 -> K* total): several
# interfering operators (complex couplings); the other field type for K*
CASES = [("scalar", False, ["CS_bsphiphi", "CV_bsphiphi", "CA_bsphiphi"], True,
          ["CS_bsphiphi", "CP_bsphiphi"]),
         ("fermion", False, ["CSS_bschichi", "CVV_bschichi", "CTT_bschichi"], True,
          ["CPP_bschichi", "CAA_bschichi"]),
         ("vector", False, ["CShat_bsXX", "CV2hat_bsXX", "CV3hat_bsXX"], True,
          ["CShat_bsXX", "CV2hat_bsXX"])]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bins_match_explicit_amplitudes(case, par):
    """B+ -> K bins and the B0 -> K* total rate at masses near zero, at edge thresholds and near
    the endpoint (all pair families and field types, interfering operators)."""
    family, real_k, keys_k, real_ks, keys_ks = case
    fam, flag, _ = FAMILIES[family]
    rng = np.random.default_rng(len(family))
    for mode, lo, hi, real, keys in [("B+->K", EDGES[:-1], EDGES[1:], real_k, keys_k),
                                     ("B0->K*", np.array([0.0]), np.array([30.0]), real_ks,
                                      keys_ks)]:
        cv = 1e-8 * (rng.normal(size=len(keys)) + 1j * rng.normal(size=len(keys)))
        f = _fast(fam, mode, keys, flag, real, lo, hi, par)
        top_mass = 0.5 * np.sqrt(float(inv.q2max(mode, par)))
        for m in _masses(rng, top_mass, np.concatenate([lo, hi])):
            ref = _reference(fam, mode, {**dict(zip(keys, cv)), flag: real}, par, m, lo, hi)
            _check(f(m, cv), ref)


def test_gradients_against_finite_differences(par):
    """d(weighted sum of bins) / d(mass, coupling, form-factor parameter) of the table path
    against central differences, near m = 0, at a bin threshold and in between."""
    ffkey = "B->K BSZ a1_f+"
    lo, hi = EDGES[:-1], EDGES[1:]
    wts = np.linspace(1.0, 2.0, len(lo))
    for family, real, keys, _, _ in CASES:
        fam, flag, _ = FAMILIES[family]
        c = dict(zip(keys, 1e-8 * np.linspace(1.0, 0.3, len(keys))))

        @jax.jit
        def f(x):
            m, cc, a1 = x
            p = {**par, ffkey: a1}
            coeffs = {**{k: v * cc for k, v in c.items()}, flag: real, fam.mass_key: m}
            return jnp.sum(wts * ib.fast_bins(fam, "B+->K", lo, hi, coeffs, p)) / 1e-9
        for m in [1e-3, 0.5 * np.sqrt(2.53) * 0.999, 0.9]:
            x0 = jnp.array([m, 1.0, par[ffkey]])
            g = np.asarray(jax.grad(f)(x0))
            assert np.all(np.isfinite(g))
            for i in range(3):
                h = 1e-5 * max(abs(float(x0[i])), 1e-2)
                e = np.zeros(3)
                e[i] = h
                fd = (float(f(x0 + e)) - float(f(x0 - e))) / (2 * h)
                assert abs(g[i] - fd) <= 1e-5 * max(abs(fd), abs(g[i])) + 1e-9 * abs(
                    float(f(x0))) / h, (fam.tag, m, i, g[i], fd)


def test_gradient_finite_at_zero_mass_and_above_every_threshold(par):
    lo, hi = EDGES[:-1], EDGES[1:]
    c = dict.fromkeys(CASES[2][2], 1e-8)
    for m in [0.0, 2.5]:
        g = jax.jit(jax.grad(lambda mm: jnp.sum(ib.fast_bins(inv.VECTOR, "B+->K", lo, hi, {
            **c, "X_real": False, "m_X": mm}, par))))(m)
        assert np.isfinite(float(g))


def test_fallbacks(par):
    """Eager calls (nothing traced), traced edges and fast paths off take the quadrature."""
    from bkfit.physics.common import fast_paths
    c = {"CV_bsphiphi": 1e-8, "m_phi": 0.3}
    lo, hi = EDGES[:-1], EDGES[1:]
    assert ib.fast_bins(inv.SCALAR, "B+->K", lo, hi, c, par) is None
    seen = []

    def traced_mass(m):
        seen.append(ib.fast_bins(inv.SCALAR, "B+->K", lo, hi, {**c, "m_phi": m}, par))
        return 0.0

    def traced_edges(a):
        seen.append(ib.fast_bins(inv.SCALAR, "B+->K", a, a + 0.1, {**c, "m_phi": a[0]}, par))
        return 0.0
    def many_operators(m):
        cc = {**dict.fromkeys(inv.FERMION_OPS, 1e-8), "m_chi": m}
        seen.append(ib.fast_bins(inv.FERMION, "B+->K", np.linspace(0, 22, 101)[:-1],
                                 np.linspace(0, 22, 101)[1:], cc, par))
        return 0.0
    with fast_paths(False):
        jax.jit(traced_mass)(0.3)
    jax.jit(traced_edges)(jnp.asarray(lo))
    jax.jit(many_operators)(0.3)        # a table of 100 bins x 100 coupling pairs: too large
    assert seen == [None, None, None]


def test_observable_uses_tables_and_agrees_with_quadrature(par):
    """``<BR>(B+->K+invisible)`` over narrow bins and ``BR(B0->K*+invisible)`` in a jit with a
    traced mass (tables) against the same jit with the fast paths off (Gram quadrature)."""
    from bkfit import observables as obsreg
    from bkfit.physics.common import fast_paths
    lo = np.linspace(0.0, 22.77, 21)
    c = {"CVV_bschichi": 1e-8, "CAA_bschichi": 3e-9}

    def preds(m):
        cc = {**c, "m_chi": m}
        return (obsreg.predict("<BR>(B+->K+invisible)", cc, par, q2min=lo[:-1], q2max=lo[1:]),
                obsreg.predict("BR(B0->K*+invisible)", cc, par))
    n0 = len(ib._TABLES)
    a = jax.jit(preds)(0.8)
    assert len(ib._TABLES) > n0
    with fast_paths(False):
        b = jax.jit(preds)(0.8)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-4)


def test_mode_without_a_contribution_is_zero_in_the_tables(par):
    """A scalar current (CS_bsphiphi) does not contribute to B -> K* phi phi (parity): with a
    traced coupling and mass the table path has no coupling feature and must give exactly 0,
    as the Gram quadrature with the fast paths off does, while B -> K phi phi is non-zero
    and the two paths agree (the report observables of a dm_scalar run with operator S
    failed here before)."""
    from bkfit import observables as obsreg
    from bkfit.physics.common import fast_paths

    def preds(cs, m):
        cc = {"CS_bsphiphi": cs, "m_phi": m}
        return (obsreg.predict("BR(B0->K*phiphi)", cc, par),
                obsreg.predict("BR(B+->Kphiphi)", cc, par))
    a = jax.jit(preds)(2e-8, 0.6)
    with fast_paths(False):
        b = jax.jit(preds)(2e-8, 0.6)
    assert float(a[0]) == 0.0 and abs(float(b[0])) < 1e-20
    assert float(a[1]) > 0
    np.testing.assert_allclose(float(a[1]), float(b[1]), rtol=1e-4)
    g = jax.grad(lambda cs: preds(cs, 0.6)[0])(2e-8)
    assert float(g) == 0.0
