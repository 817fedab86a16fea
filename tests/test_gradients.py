"""Gradients of the B -> K(*) nu nu predictions: autodiff vs central finite differences, and
no NaN anywhere in the physical region (zero coefficients, q^2 endpoints)."""
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


def test_no_nan_at_zero_and_endpoints(par):
    names = ["dBR/dq2(B+->Knunu)", "dBR/dq2(B0->K*nunu)", "FL(B+->K*nunu)"]
    for n in names:
        mode = n.split("(")[1].split("nunu")[0]
        for q2 in [1e-6, 0.5 * q2max(mode, par), q2max(mode, par) * (1 - 1e-12),
                   q2max(mode, par)]:
            def f(c, m):
                p = dict(par)
                p["m_B0"] = m
                p["m_B+"] = m
                return obsreg.predict(n, {"CL_bsnutaunutau": c}, p, q2=q2)
            v, g = jax.value_and_grad(f, argnums=(0, 1))(0.0, par["m_B0"])
            assert np.isfinite(float(v)), (n, q2)
            assert np.all(np.isfinite(np.asarray(g))), (n, q2, g)
    # total rates with all coefficients zero
    for n in ["BR(B+->Knunu)", "BR(B0->K*nunu)", "Rnunu(B+->K*)"]:
        g = jax.grad(lambda c: obsreg.predict(n, {"CR_bsnuenue": c, "CLprime_bsnumunumu": c}, par))(0.0)
        assert np.isfinite(float(g))


def test_vmap_and_jit(par):
    f = jax.jit(jax.vmap(lambda c: obsreg.predict("BR(B+->Knunu)", {"CL_bsnutaunutau": c}, par)))
    out = np.asarray(f(jnp.linspace(-5, 5, 11)))
    assert out.shape == (11,) and np.all(np.isfinite(out))
    # binned vector observable
    e = np.linspace(0, 20, 11)
    v = obsreg.predict("<BR>(B+->K+invisible)", {}, par, q2min=e[:-1], q2max=e[1:])
    assert v.shape == (10,)
    assert float(v.sum()) == pytest.approx(
        float(obsreg.predict("<BR>(B+->Knunu)", {}, par, q2min=0.0, q2max=20.0)), rel=1e-6)
