"""Gradients of the B -> K(*) nu nu predictions: autodiff vs central finite differences
(generic points, zero coefficients), and no NaN at the q^2 endpoints, where the m_B dependence
has a kink and finite differences do not apply."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bkfit  # noqa: F401
from bkfit import observables as obsreg
from bkfit.physics.bsnunu import q2max

NUIS = ["B->K BSZ a0_f+", "B->K BSZ a1_f+", "B->K* BSZ a0_V", "B->K* BSZ a1_A1",
        "B->K* BSZ a0_A0", "Vcb", "tau_B+", "Xt_di->djnunu"]


def _fd(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("obs", ["BR(B+->Knunu)", "BR(B0->K*nunu)", "FLtot(B+->K*nunu)"])
def test_gradient_wrt_coefficients_and_nuisances(obs, par):
    def f(x):
        re_l, im_l, re_r, nuis = x[0], x[1], x[2], x[3:]
        p = dict(par)
        for i, n in enumerate(NUIS):
            p[n] = nuis[i]
        wc = {"CL_bsnutaunutau": re_l + 1j * im_l, "CR_bsnutaunutau": re_r,
              "CL_bsnumunue": 1.5 + 0.0j}
        return obsreg.predict(obs, wc, p)

    x0 = jnp.array([1.3, -0.7, 2.1] + [par[n] for n in NUIS])
    g = np.asarray(jax.grad(f)(x0))
    for i in range(len(x0)):
        h = 1e-4 * max(abs(float(x0[i])), 1e-3)
        e = jnp.zeros_like(x0).at[i].set(h)
        fd = float((f(x0 + e) - f(x0 - e)) / (2 * h))
        assert g[i] == pytest.approx(fd, rel=2e-5, abs=1e-12 * abs(float(f(x0))) / h), i


def _fd_ok(g, f, x, h):
    """jax gradient g against the central difference of f at x (float64): 1e-5 relative, plus
    the rounding floor 1e-9 |f| / h."""
    fd = (float(f(x + h)) - float(f(x - h))) / (2 * h)
    return float(g) == pytest.approx(fd, rel=1e-5, abs=1e-9 * abs(float(f(x))) / h), (float(g), fd)


def test_gradients_at_zero_and_endpoints(par):
    """d/dC_L at C = 0 (every q^2, the endpoints included: the rate is a polynomial in C) and
    d/dm_B at q^2 -> 0 and mid-range against central finite differences; at q^2 = q^2_max
    (1 - 1e-12) and q^2_max itself the rate has a sqrt(lambda) kink in m_B, so there the
    gradient is only required to be finite (no NaN from 0/0 or sqrt(0))."""
    names = ["dBR/dq2(B+->Knunu)", "dBR/dq2(B0->K*nunu)", "FL(B+->K*nunu)"]
    for n in names:
        mode = n.split("(")[1].split("nunu")[0]
        mkey = "m_" + mode.split("->")[0]               # the decaying meson's mass
        m0 = par[mkey]
        qmax = q2max(mode, par)
        for q2, interior in [(1e-6, True), (0.5 * qmax, True), (qmax * (1 - 1e-12), False),
                             (qmax, False)]:
            def f(c, m):
                p = dict(par)
                p[mkey] = m
                return obsreg.predict(n, {"CL_bsnutaunutau": c}, p, q2=q2)
            v, (gc, gm) = jax.value_and_grad(f, argnums=(0, 1))(0.0, m0)
            assert np.isfinite(float(v)) and np.isfinite(float(gc)) and np.isfinite(float(gm)), \
                (n, q2, v, gc, gm)
            ok, info = _fd_ok(gc, lambda c: f(c, m0), 0.0, 1e-6)
            assert ok, (n, q2, "d/dC", info)
            if interior:
                ok, info = _fd_ok(gm, lambda m: f(0.0, m), m0, 1e-6 * m0)
                assert ok, (n, q2, "d/dm", info)
            if n.startswith("dBR") and q2 == qmax:
                assert float(v) == 0.0                  # no phase space at the endpoint
    # total rates with all coefficients zero: interference of C_R^ee with the SM (and none of
    # the right-handed-neutrino C'_L^mumu) against finite differences
    for n in ["BR(B+->Knunu)", "BR(B0->K*nunu)", "Rnunu(B+->K*)"]:
        F = lambda c: obsreg.predict(n, {"CR_bsnuenue": c, "CLprime_bsnumunumu": c}, par)  # noqa: E731
        g = jax.grad(F)(0.0)
        assert float(g) != 0.0
        ok, info = _fd_ok(g, F, 0.0, 1e-6)
        assert ok, (n, info)


def test_vmap_and_jit(par):
    """jit(vmap) gives the eager values point by point, and the independent analytic shape:
    with lepton-universal SM and new physics in nu_tau only, BR(C) = BR_SM (2 + (1 + C/C_SM)^2)/3
    is a parabola in real C (exact quadratic fit) whose minimum is 2/3 BR_SM."""
    f = jax.jit(jax.vmap(lambda c: obsreg.predict("BR(B+->Knunu)", {"CL_bsnutaunutau": c}, par)))
    cs = np.linspace(-10, 5, 11)
    out = np.asarray(f(jnp.asarray(cs)))
    assert out.shape == (11,)
    eager = [float(obsreg.predict("BR(B+->Knunu)", {"CL_bsnutaunutau": float(c)}, par)) for c in cs]
    np.testing.assert_allclose(out, eager, rtol=1e-12)
    sm = float(obsreg.predict("BR(B+->Knunu)", {}, par))
    coef = np.polyfit(cs, out / sm, 2)
    np.testing.assert_allclose(np.polyval(coef, cs), out / sm, rtol=0, atol=1e-12)
    c_min = -coef[1] / (2 * coef[0])
    assert np.polyval(coef, c_min) == pytest.approx(2 / 3, rel=1e-10)
    assert np.polyval(coef, 0.0) == pytest.approx(1.0, rel=1e-12)
    # binned vector observable
    e = np.linspace(0, 20, 11)
    v = obsreg.predict("<BR>(B+->K+invisible)", {}, par, q2min=e[:-1], q2max=e[1:])
    assert v.shape == (10,)
    assert float(v.sum()) == pytest.approx(
        float(obsreg.predict("<BR>(B+->Knunu)", {}, par, q2min=0.0, q2max=20.0)), rel=1e-6)
