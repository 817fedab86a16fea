"""Thermal averages (pure JAX): e^y K_nu(y) by quadrature, the Gondolo-Gelmini <sigma v>
of a cross section, and the thermal factor eta(x, z) of a constant-|M|^2 channel."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

PI = math.pi


# --------------------------------------------------------------------------- Bessel functions
_NB = 48
_GLB_X, _GLB_W = np.polynomial.legendre.leggauss(_NB)
_GLB_X = 0.5 * (_GLB_X + 1.0)   # on [0, 1]
_GLB_W = 0.5 * _GLB_W
_BESSEL_CUT = 60.0   # integrate while y (cosh t - 1) < _BESSEL_CUT (e^-60 ~ 1e-26)


def kne(nu, y):
    """Exponentially scaled modified Bessel function e^y K_nu(y) for y >~ 0.5 (array y).

    K_nu(y) = int_0^inf exp(-y cosh t) cosh(nu t) dt, so e^y K_nu(y) =
    int_0^inf exp(-y (cosh t - 1)) cosh(nu t) dt, integrated over t in [0, t_max(y)] with
    y (cosh t_max - 1) = 60 (the rest is < e^-60) by 48-point Gauss-Legendre:
    relative accuracy < 1e-12 for 1 <= y <= 1e6, nu = 0, 1, 2 (tests/test_relic.py checks
    against scipy.special.kve).  Finite and smooth in y (no branches).
    """
    y = jnp.asarray(y, dtype=float)
    tmax = jnp.arccosh(1.0 + _BESSEL_CUT / y)
    t = tmax[..., None] * _GLB_X
    # y (cosh t - 1) = 2 y sinh^2(t/2): no cancellation at small t
    f = jnp.exp(-2.0 * y[..., None] * jnp.sinh(0.5 * t) ** 2) * jnp.cosh(nu * t)
    return tmax * jnp.sum(_GLB_W * f, axis=-1)


def k1e(y):
    """e^y K_1(y), see :func:`kne`."""
    return kne(1.0, y)


def k2e(y):
    """e^y K_2(y), see :func:`kne`."""
    return kne(2.0, y)


# --------------------------------------------------------------------------- thermal average
N_THERMAL_NODES = 64                 # Gauss-Legendre nodes per interval in the thermal average
_GLT_X, _GLT_W = np.polynomial.legendre.leggauss(N_THERMAL_NODES)
_GLT_X = 0.5 * (_GLT_X + 1.0)
_GLT_W = 0.5 * _GLT_W
U_MAX = 60.0             # kinetic variable u = x (sqrt(s)/m - 2) runs over [0, U_MAX] (e^-60)


def v_lab(s, m):
    """Invariant relative velocity of two particles of mass m at c.m. energy^2 s:
    v = sqrt(s (s - 4 m^2)) / (s - 2 m^2) (velocity of one in the rest frame of the other).
    sigma(s) = a / v_lab(s) has <sigma v> = a at every x (Gondolo-Gelmini average)."""
    d = jnp.maximum(s - 4.0 * m * m, 0.0)
    return jnp.sqrt(s * d) / (s - 2.0 * m * m)


def _sqrt_mapped_nodes(a, b):
    """Nodes u and weights w for int_a^b du with u = a + (b - a) t^2 (removes a sqrt(u - a)
    behaviour at the lower end)."""
    t = _GLT_X
    # node positions from a span >= 1e-6 so that an empty interval (a == b, e.g. a threshold
    # below 2 m) evaluates sigma strictly inside the physical region; its weights are zero
    u = a + jnp.maximum(b - a, 1e-6) * t * t
    w = _GLT_W * 2.0 * (b - a) * t
    return u, w


def thermal_average(sigma_fn, m, x, thresholds=()):
    """Gondolo-Gelmini <sigma v>(x) [GeV^-2] for two particles of mass m [GeV] at x = m/T.

    ``sigma_fn(s)`` returns sigma(s) in GeV^-2 for an *array* of s [GeV^2] (s >= 4 m^2) and
    must be finite there (use safe ``jnp.where`` patterns below thresholds).
    ``thresholds``: sqrt(s) values [GeV] where a channel opens (e.g. 2 m_f for phi phi -> f f);
    the s-integration is split there with a square-root substitution so that sigma ~
    sqrt(s - s_th) is integrated accurately.  Their number must be static; values may be traced.

    Integral in u = x (z - 2), z = sqrt(s)/m, over [0, U_MAX] (the integrand falls like e^-u):
    <sigma v> = 1/(4 K2e(x)^2) int du sigma (u/x)(4 + u/x) z^2 K1e(x z) e^{-u}.
    Accuracy: better than 1e-8 relative for smooth sigma and 1 <= x <= 1000 (tests).
    """
    m = jnp.asarray(m, dtype=float)
    x = jnp.asarray(x, dtype=float)
    thr = jnp.atleast_1d(jnp.asarray(thresholds, dtype=float)) if len(thresholds) else None
    if thr is None:
        breaks = [jnp.zeros(()), jnp.asarray(U_MAX)]
    else:
        uth = jnp.sort(jnp.clip(x * (thr / m - 2.0), 0.0, U_MAX))
        breaks = [jnp.zeros(())] + [uth[i] for i in range(uth.shape[0])] + [jnp.asarray(U_MAX)]
    total = 0.0
    for a, b in zip(breaks[:-1], breaks[1:]):
        u, w = _sqrt_mapped_nodes(a, b)
        r = u / x
        z = 2.0 + r
        f = sigma_fn(m * m * z * z) * r * (4.0 + r) * z * z * k1e(x * z) * jnp.exp(-u)
        total = total + jnp.sum(w * f)
    return total / (4.0 * k2e(x) ** 2)


def eta(x, z):
    """Thermal factor of a constant-|M|^2 channel phi phi -> f f (final masses m_f, z = m_f^2/m^2):

        <sigma v> = S |M|^2 eta(x, z) / (64 pi m^2),

    S = 1 for distinguishable final particles, 1/2 for identical ones.  This is the seed's
    normalisation (He, Ma, Schmidt, Valencia, Volkas, arXiv:2403.12485: <sigma v(phi phi -> K K)>
    = B^2 |C|^2 eta(x, z_K) / (64 pi m_phi^2)); non-relativistic limit eta -> 2 sqrt(1 - z) for
    z < 1, exponentially small (thermal tail) for z > 1.  Computed as the Gondolo-Gelmini average of
    sigma(s) = S |M|^2 beta_f / (16 pi s beta_i), beta = sqrt(1 - 4 m^2/s), starting at the
    threshold sqrt(s) = 2 m max(1, sqrt z) with a square-root substitution.
    """
    x = jnp.asarray(x, dtype=float)
    z = jnp.asarray(z, dtype=float)
    pos = z > 0
    rz = jnp.where(pos, jnp.sqrt(jnp.where(pos, z, 1.0)), 0.0)     # m_f / m
    zth = 2.0 * jnp.maximum(1.0, rz)                                 # threshold in sqrt(s)/m
    u, w = _sqrt_mapped_nodes(0.0, U_MAX)
    r = u / x
    zz = zth + r
    dm_i = (zth - 2.0) + r             # zz - 2, computed without cancellation
    dm_f = (zth - 2.0 * rz) + r        # zz - 2 m_f/m
    beta_i = jnp.sqrt(dm_i * (zz + 2.0)) / zz
    # zz^2 beta_f^2 = dm_f (zz + 2 m_f/m) = zz^2 - 4 z.  Open channel (z < 1, zz = 2 + r):
    # written as 4 (1 - z) + r (4 + r), a function of z itself, so that d/dz stays right at
    # z = 0 (the chain rule through m_f/m = sqrt z, guarded there, would give 0); closed
    # channel: dm_f (zz + 2 m_f/m) = r (4 sqrt z + r), free of cancellation
    pf = jnp.where(z < 1.0, 4.0 * (1.0 - z) + r * (4.0 + r), dm_f * (zz + 2.0 * rz))
    beta_f = jnp.sqrt(pf) / zz
    f = beta_i * beta_f * zz * zz * k1e(x * zz) * jnp.exp(-u)
    # <sigma v> = S|M|^2/(16 pi m^2) J,  J = x/(4 K2e^2) e^{-x (zth - 2)} int dz ...; eta = 4 J
    J = jnp.exp(-x * (zth - 2.0)) * jnp.sum(w * f) / (4.0 * k2e(x) ** 2)
    return 4.0 * J


def sigma_v_threshold(m, m_f, x, msq, symmetry=1.0):
    """<sigma v> [GeV^-2] of phi phi -> f f with constant |M|^2 [dimensionless] and final mass
    m_f [GeV] (both final particles of mass m_f), symmetry = 1/2 for identical final particles.
    = symmetry * msq * eta(x, m_f^2/m^2) / (64 pi m^2)."""
    m = jnp.asarray(m, dtype=float)
    return symmetry * msq * eta(x, (m_f / m) ** 2) / (64.0 * PI * m * m)
