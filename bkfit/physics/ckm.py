"""CKM matrix in flavio's 'tree' parametrisation (Vus, |Vub|, Vcb, gamma), standard phase
convention, with the exact gamma -> delta relation (as in ckmutil, which flavio uses)."""
from __future__ import annotations

import jax.numpy as jnp


def _gamma_to_delta(t12, t13, t23, gamma):
    # exact inversion of gamma = arg(-V_ud V_ub^* / (V_cd V_cb^*)) in the standard
    # parametrisation (e.g. ckmutil.ckm.gamma_to_delta, derived independently here)
    s12, c12 = jnp.sin(t12), jnp.cos(t12)
    s13 = jnp.sin(t13)
    s23, c23 = jnp.sin(t23), jnp.cos(t23)
    # -V_ud V_ub*/(V_cd V_cb*) = c12 s13 e^{i d} / (c23 s12 + c12 s13 s23 e^{i d}) * c12/... ;
    # solve tan: gamma = delta - arg(c23 s12 + c12 s13 s23 e^{i delta}).  Use the closed form
    # delta = gamma + arcsin(r sin(gamma)) with r = c12 s13 s23 / (c23 s12)
    r = c12 * s13 * s23 / (c23 * s12)
    return gamma + jnp.arcsin(r * jnp.sin(gamma))


def ckm_matrix(Vus, Vub, Vcb, gamma):
    """3x3 complex CKM matrix from Vus, |Vub|, Vcb and the angle gamma (radians) in the
    standard parametrisation."""
    s13 = Vub
    c13 = jnp.sqrt(1.0 - s13 ** 2)
    s12 = Vus / c13
    s23 = Vcb / c13
    t12, t13, t23 = jnp.arcsin(s12), jnp.arcsin(s13), jnp.arcsin(s23)
    delta = _gamma_to_delta(t12, t13, t23, gamma)
    c12, c23 = jnp.cos(t12), jnp.cos(t23)
    e = jnp.exp(1j * delta)
    return jnp.array([
        [c12 * c13, s12 * c13, s13 / e],
        [-s12 * c23 - c12 * s23 * s13 * e, c12 * c23 - s12 * s23 * s13 * e, s23 * c13],
        [s12 * s23 - c12 * c23 * s13 * e, -c12 * s23 - s12 * c23 * s13 * e, c23 * c13],
    ])


_IDX = {"u": 0, "c": 1, "t": 2, "d": 0, "s": 1, "b": 2}


def xi(par, up: str, di: str, dj: str):
    """xi_up^{di dj} = V_{up,di} V_{up,dj}^*  (e.g. xi(par, 't', 'b', 's') = V_tb V_ts^*)."""
    V = ckm_matrix(par["Vus"], par["Vub"], par["Vcb"], par["gamma"])
    return V[_IDX[up], _IDX[di]] * jnp.conj(V[_IDX[up], _IDX[dj]])
