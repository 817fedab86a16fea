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
    xs, wts = endpoint_nodes(a, b, n)
    return jnp.sum(wts * f(xs))


def endpoint_nodes(a, b, n: int = 48):
    """Nodes and weights of :func:`integrate_endpoint` on [a, b] (scalars)."""
    t, w = gauss_legendre(n)
    t = 0.5 * (jnp.asarray(t) + 1.0)
    w = 0.5 * jnp.asarray(w)
    s = t * t * (3.0 - 2.0 * t)
    ds = 6.0 * t * (1.0 - t)
    return a + (b - a) * s, (b - a) * w * ds


# --------------------------------------------------------------------------- quadratic forms
_QF_CACHE: dict = {}


def _concrete(x) -> bool:
    import jax
    return not isinstance(x, jax.core.Tracer)


def integrate_quadratic(kernel, a, b, par: dict, names, key, n: int = 48):
    """``integrate_endpoint`` of ``kernel(q2, par)`` over [a, b] for kernels that are
    homogeneous quadratic forms in the parameters ``names`` (form-factor coefficients:
    rates are squares of amplitudes linear in them).

    The integral then equals 1/2 p^T H p with H its (constant) Hessian in p = par[names]:
    H is computed once, exactly, per ``key``, bin edges and values of every other parameter,
    and the call costs one small contraction (value and gradient exact).  Falls back to the
    quadrature when nothing is traced (an eager call) or when the edges or another
    parameter are traced (e.g. a sampled mass).
    ``kernel`` may return a vector (several kernels at once); a, b may be arrays of bins."""
    import jax
    names = list(names)
    others = {k: v for k, v in par.items() if k not in names}
    traced = not all(_concrete(par[k]) for k in names)
    if not (traced and _concrete(a) and _concrete(b)
            and all(_concrete(v) for v in others.values())):
        # eager calls (nothing to gain) and traced edges / other parameters: quadrature
        return _integrate_vector(kernel, a, b, par, n)
    a_np, b_np = np.asarray(a, float), np.asarray(b, float)
    ident = (key, n, a_np.shape, a_np.tobytes(), b_np.tobytes(),
             tuple(sorted((k, float(np.asarray(v))) for k, v in others.items()
                          if np.ndim(v) == 0)))
    H = _QF_CACHE.get(ident)
    if H is None:
        with jax.ensure_compile_time_eval():
            def integral(p):
                pp = {**others, **dict(zip(names, p))}
                return _integrate_vector(kernel, jnp.ravel(a_np), jnp.ravel(b_np), pp, n)
            H = np.asarray(jax.jit(jax.hessian(integral))(jnp.zeros(len(names))))
            # the kernel must be a homogeneous quadratic form in p: check at a random point
            p1 = np.random.default_rng(0).normal(size=len(names))
            direct = np.asarray(integral(jnp.asarray(p1)))
            form = 0.5 * np.einsum("...ij,i,j->...", H, p1, p1)
            if not np.allclose(form, direct, rtol=1e-9, atol=1e-12 * np.max(np.abs(direct))):
                raise ValueError(f"{key}: kernel is not a quadratic form in {names[:3]}...")
        _QF_CACHE[ident] = H
    p = jnp.stack([jnp.asarray(par[k], dtype=float) for k in names])
    out = 0.5 * jnp.einsum("...ij,i,j->...", H, p, p)
    return out.reshape(a_np.shape + out.shape[1:])


def _integrate_vector(kernel, a, b, par, n):
    """integrate_endpoint of kernel(q2[n], par) -> (n,) or (n, k), for scalar or 1-d edges;
    the result has the shape of the edges (+ the kernel axis)."""
    import jax

    def one(lo, hi):
        xs, wts = endpoint_nodes(lo, hi, n)
        f = kernel(xs, par)
        return jnp.tensordot(wts, f, axes=(0, 0))
    a, b = jnp.asarray(a, dtype=float), jnp.asarray(b, dtype=float)
    if a.ndim == 0 and b.ndim == 0:
        return one(a, b)
    a, b = jnp.broadcast_arrays(a, b)
    out = jax.vmap(one)(a.ravel(), b.ravel())
    return out.reshape(a.shape + out.shape[1:])

