"""The fast paths of bkfit.physics.common against the direct computations they replace.

* ``integrate_quadratic`` / ``integrate_polynomial``: q^2 integrals of rates that are quadratic
  polynomials in the coefficients (real and imaginary parts, SM part included) and homogeneous
  quadratic forms in the form-factor parameters, returned as cached polynomial coefficients
  (constants, or exact quadratic forms in traced form-factor nuisances);
* ``par_constant``: functions of fixed parameters (QCD running, SM mixing amplitude) computed
  once and embedded as constants in traced programs.

References are the same functions with the fast paths switched off (``common.fast_paths(False)``
: direct quadrature and running, as in an eager call).  Values agree to 1e-10 relative, jax
gradients of the fast paths agree with the jax gradients of the direct computation (1e-9) and
with central finite differences (1e-6)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bkfit  # noqa: F401  (float64)
from bkfit.inputs import NUISANCE_SETS
from bkfit.observables import all_names, predict
from bkfit.physics import common

FF = NUISANCE_SETS["ff_BK"] + NUISANCE_SETS["ff_BKstar"]


@pytest.fixture(scope="module", autouse=True)
def _load():
    all_names()


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------ synthetic rates
def _toy_rate(q2, c, p):
    """|A0(q2) p.f + c1 A1 p.g + c2 A2 p.f|^2 + |c3|^2 (p.g)^2 q2 with complex q2-dependent SM
    amplitude A0, written with abs() (derivatives at zero amplitude vanish: the fast path
    must not rely on them)."""
    x = jnp.stack([p[f"f{i}"] for i in range(3)])
    f = x[0] + x[1] * q2 + x[2] * q2 * q2
    g = x[0] - 0.5 * x[2] * q2
    a0 = (1.0 + 0.3j * q2) / (1.0 + p["mass"] * q2)
    amp = a0 * f + c.get("c1", 0.0) * (2.0 - 1j) * g + c.get("c2", 0.0) * q2 * f
    return jnp.abs(amp) ** 2 + jnp.abs(c.get("c3", 0.0)) ** 2 * g * g * q2


TOY_PAR = {"f0": 0.7, "f1": -0.4, "f2": 0.25, "mass": 0.3, "unused": 1.0}
TOY_NAMES = ("f0", "f1", "f2")


def _toy(x, ff, names=TOY_NAMES, key="toy"):
    """Integral over [0.2, 3] with coefficients c1, c2 (complex), c3 from x (5 reals)."""
    c = {"c1": x[0] + 1j * x[1], "c2": x[2] + 1j * x[3], "c3": x[4]}
    par = {**TOY_PAR, **dict(zip(("f0", "f1", "f2"), ff))}
    return common.integrate_polynomial(_toy_rate, c, 0.2, 3.0, par, names, key=key, n=40)


@pytest.mark.parametrize("ff_traced", [True, False])
def test_polynomial_fast_path_equals_quadrature(ff_traced):
    """Traced coefficients with traced (quadratic-form path) or fixed (constant polynomial)
    form-factor parameters: value and gradient equal those of the direct quadrature (1e-10 /
    1e-9) and central differences (1e-6); the eager call is the direct quadrature itself."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=5)
    ff = np.array([TOY_PAR[k] for k in TOY_NAMES]) * (1 + 0.1 * rng.normal(size=3))
    if ff_traced:
        def f(x, ff):
            return _toy(x, ff, key="toy-traced")
        argnums = (0, 1)
    else:
        def f(x):
            return _toy(x, ff, key="toy-fixed")
        argnums = (0,)
    args = (x, ff)[:len(argnums)]
    n_before = len(common._POLY_CACHE)
    v_f, g_f = jax.jit(jax.value_and_grad(f, argnums=argnums))(*args)
    assert len(common._POLY_CACHE) == n_before + 1               # the fast path was taken
    with common.fast_paths(False):
        v_s, g_s = jax.jit(jax.value_and_grad(f, argnums=argnums))(*args)
    assert len(common._POLY_CACHE) == n_before + 1
    assert _rel(v_f, v_s) < 1e-10
    for a, b in zip(g_f, g_s):
        assert _rel(a, b) < 1e-9
    assert _rel(f(*args), v_s) < 1e-13                           # eager: the quadrature
    fj = jax.jit(f)
    h = 1e-6
    for j, arg in enumerate(args):
        for i in range(len(arg)):
            e = [np.zeros_like(a) for a in args]
            e[j][i] = h
            fd = (fj(*[a + d for a, d in zip(args, e)])
                  - fj(*[a - d for a, d in zip(args, e)])) / (2 * h)
            assert float(g_f[j][i]) == pytest.approx(float(fd), rel=1e-6, abs=1e-9 * abs(float(v_f)))


def test_polynomial_falls_back_when_another_input_is_traced():
    """A traced parameter that the rate reads (here the mass) or traced edges: the direct
    quadrature is used (no constants are built from a tracer); a traced parameter that the
    rate does not read does not matter."""
    x = np.array([0.3, -0.2, 0.1, 0.4, -0.5])

    def with_mass(m, c1):
        c = {"c1": c1, "c3": x[4]}
        return common.integrate_polynomial(_toy_rate, c, 0.2, 3.0, {**TOY_PAR, "mass": m},
                                           TOY_NAMES, key="toy-mass", n=40)
    n_before = len(common._POLY_CACHE)
    v, g = jax.jit(jax.value_and_grad(with_mass))(0.3, 0.5)
    assert len(common._POLY_CACHE) == n_before                   # no fast path
    h = 1e-6
    fd = (with_mass(0.3 + h, 0.5) - with_mass(0.3 - h, 0.5)) / (2 * h)
    assert float(g) == pytest.approx(float(fd), rel=1e-6)
    assert _rel(v, with_mass(0.3, 0.5)) < 1e-12
    # traced edges

    def with_edge(a, c1):
        return common.integrate_polynomial(_toy_rate, {"c1": c1}, a, 3.0, TOY_PAR, TOY_NAMES,
                                           key="toy-edge", n=40)
    v = jax.jit(with_edge)(0.2, 0.5)
    assert len(common._POLY_CACHE) == n_before
    assert _rel(v, with_edge(0.2, 0.5)) < 1e-12

    def with_unused(u, c1):
        return common.integrate_polynomial(_toy_rate, {"c1": c1}, 0.2, 3.0,
                                           {**TOY_PAR, "unused": u}, TOY_NAMES,
                                           key="toy-unused", n=40)
    n_before = len(common._POLY_CACHE)
    v2 = jax.jit(with_unused)(2.0, 0.5)
    assert len(common._POLY_CACHE) == n_before + 1               # the fast path was taken
    assert _rel(v2, with_unused(2.0, 0.5)) < 1e-10


def test_polynomial_rejects_non_polynomial_rates():
    """A rate that is not quadratic in the coefficients is detected when the polynomial is
    built (check against the quadrature at a random point)."""
    def bad(q2, c, p):
        return jnp.abs(c.get("c1", 0.0)) ** 3 * q2 + 0 * p["f0"]
    with pytest.raises(ValueError, match="not a quadratic polynomial"):
        jax.jit(lambda c1: common.integrate_polynomial(
            bad, {"c1": c1}, 0.2, 3.0, TOY_PAR, (), key="bad", n=16))(0.5)


def test_quadratic_form_with_abs_squared_kernel_and_bins():
    """integrate_quadratic with a kernel written as |complex amplitude|^2 (zero derivatives at
    p = 0) and vectors of bins: the exact form equals the quadrature (1e-10), gradients too."""
    def kernel(q2, p):
        amp = (p["f0"] + 1j * p["f1"] * q2) * (1.0 + 0.5j * q2) + p["f2"] * q2 * q2
        return jnp.stack([jnp.abs(amp) ** 2, (p["f0"] * q2) ** 2], axis=-1)
    lo, hi = np.linspace(0.1, 2.0, 5), np.linspace(0.3, 2.5, 5)

    def f(ff):
        par = {**TOY_PAR, **dict(zip(TOY_NAMES, ff))}
        return jnp.sum(common.integrate_quadratic(kernel, lo, hi, par, TOY_NAMES, "toy-qf", 24)
                       * np.arange(1, 11).reshape(5, 2))
    ff = np.array([0.4, -0.3, 0.2])
    v_f, g_f = jax.jit(jax.value_and_grad(f))(ff)
    with common.fast_paths(False):
        v_s, g_s = jax.jit(jax.value_and_grad(f))(ff)
    assert _rel(v_f, v_s) < 1e-10 and _rel(g_f, g_s) < 1e-9


# ------------------------------------------------------------------ par_constant
def test_par_constant_running_and_mixing(par):
    """Running masses, alpha_s and the SM mixing amplitude: cached constants equal the direct
    computation (eager and jitted), distinguish parameter values, and keep their gradient
    when a parameter they read is traced."""
    from bkfit.physics import bsll, mixing, qcd
    for fn, args in ((qcd.m_b, (4.8,)), (qcd.m_c, (4.8,)), (qcd.m_s, (4.2,)),
                     (qcd.a_s, (4.2, 5)), (mixing.mt_mt, ()), (mixing.M12_SM, ()),
                     (qcd.m_b, (1.5,))):
        ref = fn.uncached(par, *args)
        assert _rel(fn(par, *args), ref) < 1e-13
        assert _rel(jax.jit(lambda: fn(par, *args))(), ref) < 1e-13   # constant in a trace
        assert _rel(jax.jit(lambda p: fn(p, *args))(par), ref) < 1e-12  # traced inputs
        # a different (fixed) value of an input is a different constant
        other = {**par, "alpha_s": par["alpha_s"] * 1.01}
        assert _rel(fn(other, *args), fn.uncached(other, *args)) < 1e-13
        assert _rel(fn(other, *args), ref) > 1e-6
    for k in bsll.running_inputs(par):
        assert _rel(bsll.running_inputs(par)[k], bsll.running_inputs.uncached(par)[k]) < 1e-13
    # traced input: gradient of the direct computation
    g = jax.grad(lambda a: mixing.DeltaM_s({}, {**par, "alpha_s": a}))(par["alpha_s"])
    h = 1e-6
    fd = (mixing.DeltaM_s({}, {**par, "alpha_s": par["alpha_s"] + h})
          - mixing.DeltaM_s({}, {**par, "alpha_s": par["alpha_s"] - h})) / (2 * h)
    assert float(g) == pytest.approx(float(fd), rel=1e-6)


# ------------------------------------------------------------------ physics observables
CASES = [
    ("BR(B+->Ktaumu)", {"C9p_bstaumu": 0.3 + 0.1j, "C10p_bstaumu": -0.3 + 0.05j}),
    ("BR(B0->K*mutau)", {"C9_bsmutau": 0.3 + 0.1j, "C10_bsmutau": -0.3, "CS_bsmutau": 0.05j}),
    ("BR(B+->Kemu)", {}),
    ("BR(B+->Ktautau)", {"C9_bstautau": 3.0 + 0.1j, "C10_bstautau": -3.0, "C7_bs": 0.01}),
    ("BR(B0->Ktautau)", {"C9p_bstautau": 2.0, "C10p_bstautau": -2.0 + 1j}),
    ("Rtaul(B->Dlnu)", {"CVL_bctaunutau": 0.1 + 0.02j, "CSL_bctaunutau": 0.1,
                        "CT_bctaunutau": 0.02j}),
    ("Rtaul(B->D*lnu)", {"CVL_bctaunutau": 0.1 + 0.02j, "CT_bctaunutau": 0.05,
                         "CVL_bcmunumu": 0.01}),
    ("Rtaul_ratio(B->Dlnu)", {"CSR_bctaunutau": 0.2 - 0.1j}),
    ("DeltaM_s", {"CVLL_bsbs": 1e-11 + 1e-12j, "CSLL_bsbs": 1e-12}),
    ("BR(Bs->tautau)", {"C10_bstautau": 3.0 + 0.5j, "CS_bstautau": 0.2}),
    ("BR(B0->K*+invisible)", {"CL_bsnutaunutau": 1.0 + 0.3j}),
]


def _obs(name, coeffs, scale, ffnames, ffvals, par):
    c = {k: scale[i] * v for i, (k, v) in enumerate(coeffs.items())}
    return jnp.real(predict(name, c, {**par, **dict(zip(ffnames, ffvals))}))


@pytest.mark.parametrize("name,coeffs", CASES, ids=[c[0] for c in CASES])
def test_observable_fast_paths_equal_direct(name, coeffs, par):
    """Coefficients traced, B -> K(*) form-factor nuisances traced (as in a fit) or fixed:
    value and gradient (coefficients and form factors) of the fast path equal those of the
    direct computation (1e-10 / 1e-9) and the eager value; gradient vs central differences."""
    rng = np.random.default_rng(7)
    ffvals = np.array([par[k] for k in FF]) * (1 + 0.02 * rng.normal(size=len(FF)))
    s = np.ones(len(coeffs)) * (1 + 0.1 * rng.normal(size=len(coeffs)))

    def f(s, ff):
        return _obs(name, coeffs, s, FF, ff, par)
    fast = jax.jit(jax.value_and_grad(f, argnums=(0, 1)))
    v_f, (gs_f, gf_f) = fast(s, ffvals)
    with common.fast_paths(False):
        v_s, (gs_s, gf_s) = jax.jit(jax.value_and_grad(f, argnums=(0, 1)))(s, ffvals)
    eager = f(s, ffvals)
    if float(v_s) == 0.0:
        assert float(v_f) == 0.0 and not np.any(gf_f) and not np.any(gs_f)
        return
    assert _rel(v_f, v_s) < 1e-10 and _rel(v_f, eager) < 1e-10
    gnorm = max(np.max(np.abs(gs_s)), np.max(np.abs(gf_s)))
    assert np.max(np.abs(gs_f - gs_s)) < 1e-9 * gnorm
    assert np.max(np.abs(gf_f - gf_s)) < 1e-9 * gnorm
    # concrete form factors (the constant-polynomial path)
    fc = jax.jit(jax.value_and_grad(lambda s: f(s, ffvals)))
    v_c, g_c = fc(s)
    assert _rel(v_c, v_s) < 1e-10 and np.max(np.abs(g_c - gs_s)) < 1e-9 * gnorm
    # central differences in the coefficients and a few form-factor directions
    fj = jax.jit(f)
    h = 1e-6
    for i in range(len(s)):
        e = np.zeros(len(s))
        e[i] = h
        fd = (fj(s + e, ffvals) - fj(s - e, ffvals)) / (2 * h)
        assert float(gs_f[i]) == pytest.approx(float(fd), rel=1e-6, abs=1e-8 * gnorm)
    for i in rng.choice(len(FF), size=4, replace=False):
        e = np.zeros(len(FF))
        e[i] = h
        fd = (fj(s, ffvals + e) - fj(s, ffvals - e)) / (2 * h)
        assert float(gf_f[i]) == pytest.approx(float(fd), rel=1e-6, abs=1e-8 * gnorm)


@pytest.mark.parametrize("run", ["lq_S1", "lq_V_half", "lq_V1_mfree"])
def test_leptoquark_run_predictions_fast_equal_direct(run, repo_root):
    """Every prediction of a shipped leptoquark run (B -> K(*) nu nu incl. the Belle II bins,
    lepton-flavour-violating and tau-pair modes, R(D(*)), Delta M_s) at a random point of the
    couplings and form-factor nuisances: fast paths vs direct computation, values (1e-10
    relative) and the gradient of a weighted sum of all of them (1e-9)."""
    from bkfit.config import load_run
    from bkfit.inference.assemble import assemble
    asm = assemble(load_run(f"{repo_root}/runs/{run}.toml"))
    rng = np.random.default_rng(5)
    th = {p: jnp.asarray(rng.uniform(0.2, 0.8)) for p in asm.priors}
    nz = {b.site: jnp.asarray(rng.normal(size=len(b.names))) for b in asm.blocks}

    def preds(th, nz):
        return asm.predictions(th, asm.par_from(nz))
    ref_vals = {k: np.asarray(v) for k, v in preds(th, nz).items()}       # eager: direct
    scale = {k: 1.0 / np.max(np.abs(v)) if np.any(v) else 0.0 for k, v in ref_vals.items()}

    def total(th, nz):
        return sum(jnp.sum(jnp.real(v)) * scale[k] * (1 + 0.1 * i)
                   for i, (k, v) in enumerate(preds(th, nz).items()))
    v_f = jax.jit(preds)(th, nz)
    g_f = jax.jit(jax.grad(total, argnums=(0, 1)))(th, nz)
    with common.fast_paths(False):
        v_s = jax.jit(preds)(th, nz)
        g_s = jax.jit(jax.grad(total, argnums=(0, 1)))(th, nz)
    for k in ref_vals:
        a, b = np.asarray(v_f[k]), np.asarray(v_s[k])
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), k
        assert np.max(np.abs(a - ref_vals[k])) <= 1e-10 * np.max(np.abs(b)), k
    flat_f = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(g_f)])
    flat_s = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(g_s)])
    assert np.max(np.abs(flat_f - flat_s)) <= 1e-9 * np.max(np.abs(flat_s))
