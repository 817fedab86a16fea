"""Kinematics and quadrature shared by all decay-rate modules."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

# Gauss-Legendre nodes on [-1, 1]; fixed at import so quadratures are pure array ops.
_GL_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n not in _GL_CACHE:
        _GL_CACHE[n] = np.polynomial.legendre.leggauss(n)
    return _GL_CACHE[n]


def kallen(a, b, c):
    """Källén function lambda(a, b, c) = a^2 + b^2 + c^2 - 2(ab + bc + ca)."""
    return a * a + b * b + c * c - 2.0 * (a * b + b * c + c * a)


def kallen_pos(a, b, c):
    """lambda clipped at zero (so that powers stay real and differentiable at endpoints)."""
    return jnp.maximum(kallen(a, b, c), 0.0)


def safe_sqrt(x):
    """sqrt(x) for x > 0 and 0 otherwise, with a finite (zero) gradient at x <= 0."""
    pos = x > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, x, 1.0)), 0.0)


def integrate(f, a, b, n: int = 48):
    """Gauss-Legendre quadrature of a vectorised function ``f(x)`` over [a, b]."""
    x, w = gauss_legendre(n)
    half = 0.5 * (b - a)
    mid = 0.5 * (b + a)
    xs = mid + half * jnp.asarray(x)
    return half * jnp.sum(jnp.asarray(w) * f(xs))


def integrate_endpoint(f, a, b, n: int = 48, power: float = 2.0):
    """Quadrature over [a, b] after the substitution x = b - (b - a)(1 - t)^power ... mapped
    so that square-root / power-law behaviour at either end is integrated accurately.

    Uses x = a + (b - a) * s(t), s(t) = t^2 (3 - 2t) (a smooth step with s'(0)=s'(1)=0),
    which removes the leading sqrt singularities of phase-space factors at both ends.
    """
    t, w = gauss_legendre(n)
    t = 0.5 * (jnp.asarray(t) + 1.0)
    w = 0.5 * jnp.asarray(w)
    s = t * t * (3.0 - 2.0 * t)
    ds = 6.0 * t * (1.0 - t)
    xs = a + (b - a) * s
    return (b - a) * jnp.sum(w * ds * f(xs))
