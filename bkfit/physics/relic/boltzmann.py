"""The Boltzmann equation of freeze-out, dY/dx = -lambda(x) (Y^2 - Y_eq^2), solved by
BDF2 on a uniform grid in ln x (each implicit step a quadratic solved in closed form), and
Omega h^2 from its solution plus the analytic late-time tail (pure JAX)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .plasma import RHO_CRIT_H2, S0, dln_gstars_dlnT, entropy_density, gstars, hubble
from .thermal import k2e

jax.config.update("jax_enable_x64", True)

PI = math.pi


def y_eq(x, m, g_dm=1.0):
    """Equilibrium yield n_eq/s, Maxwell-Boltzmann with the full Bessel form
    n_eq = g m^2 T K2(m/T) / (2 pi^2), s = (2 pi^2/45) g_s T^3."""
    x = jnp.asarray(x, dtype=float)
    T = m / x
    return 45.0 * g_dm / (4.0 * PI ** 4 * gstars(T)) * x * x * k2e(x) * jnp.exp(-x)


def quad_root(a, c):
    """Positive root of a Y^2 + Y - c = 0 (a >= 0, c >= 0), cancellation-free."""
    c = jnp.maximum(c, 0.0)
    return 2.0 * c / (1.0 + jnp.sqrt(1.0 + 4.0 * a * c))


def bdf2_solve(lnx, g, yeq, y0=None):
    """Y on the grid for dY/dlnx = -g (Y^2 - Yeq^2) by backward Euler (1st step) then BDF2,
    from Y = ``y0`` (default Y_eq) at the first node; (last Y, Y on every node)."""
    h = lnx[1] - lnx[0]
    y0 = yeq[0] if y0 is None else y0
    a1 = h * g[1]
    y1 = quad_root(a1, y0 + a1 * yeq[1] ** 2)

    def step(carry, inp):
        ym1, y = carry
        gn, yeqn = inp
        a = (2.0 / 3.0) * h * gn
        yn = quad_root(a, (4.0 / 3.0) * y - (1.0 / 3.0) * ym1 + a * yeqn ** 2)
        return (y, yn), yn

    (_, ylast), ys = jax.lax.scan(step, (y0, y1), (g[2:], yeq[2:]))
    return ylast, jnp.concatenate([jnp.stack([y0, y1]), ys])


def _as_sigmav_fn(sigmav_of_x):
    if callable(sigmav_of_x):
        return sigmav_of_x
    return lambda x: sigmav_of_x * jnp.ones_like(x)


def boltzmann_grid(m, sigmav_of_x, g_dm=1.0, self_conjugate=True, x_start=1.0, x_end=1000.0,
                   n_steps=3000):
    """(x, Y, Y_eq, lambda) on the ln x grid (diagnostics; see :func:`omega_h2`)."""
    m = jnp.asarray(m, dtype=float)
    lnx = jnp.linspace(math.log(x_start), math.log(x_end), n_steps + 1)
    x = jnp.exp(lnx)
    fn = _as_sigmav_fn(sigmav_of_x)
    sv = jax.vmap(fn)(x) if callable(sigmav_of_x) else fn(x)
    return _solve_on_grid(m, lnx, x, sv, g_dm, self_conjugate)


def _solve_on_grid(m, lnx, x, sv, g_dm, self_conjugate, k2e_x=None):
    """(x, Y, Y_eq, lambda) given <sigma v> on the ln x grid (k2e_x: e^x K2(x) there, optional)."""
    if self_conjugate:
        g_tot, sv_eff = g_dm, sv
    else:
        # Y counts particles + antiparticles; only particle-antiparticle pairs annihilate
        g_tot, sv_eff = 2.0 * g_dm, 0.5 * sv
    T = m / x
    lam = entropy_density(T) * sv_eff * (1.0 + dln_gstars_dlnT(T) / 3.0) / (hubble(T) * x)
    if k2e_x is None:
        yeq = y_eq(x, m, g_tot)
    else:
        yeq = 45.0 * g_tot / (4.0 * PI ** 4 * gstars(T)) * x * x * k2e_x * jnp.exp(-x)
    _, ys = bdf2_solve(lnx, lam * x, yeq)
    return x, ys, yeq, lam


def _omega_from_grid(m, x, ys, lam):
    """Omega h^2 from the grid solution plus the analytic tail after x_end (see omega_h2)."""
    # safe logs: lambda underflows to 0 when every channel is closed (forbidden, huge Omega)
    ok = (lam[-1] > 0) & (lam[-2] > 0)
    l1, l2 = jnp.where(ok, lam[-1], 1.0), jnp.where(ok, lam[-2], 1.0)
    p = jnp.where(ok, -(jnp.log(l1) - jnp.log(l2)) / (jnp.log(x[-1]) - jnp.log(x[-2])), 2.0)
    p = jnp.maximum(p, 1.5)
    tail = lam[-1] * x[-1] / (p - 1.0)
    y_inf = ys[-1] / (1.0 + ys[-1] * tail)
    return m * y_inf * S0 / RHO_CRIT_H2


def omega_h2(m, sigmav_of_x, g_dm=1.0, self_conjugate=True, x_start=1.0, x_end=1000.0,
             n_steps=3000):
    """Relic density Omega h^2 of a dark-matter particle of mass m [GeV].

    ``sigmav_of_x``: <sigma v>(x) in GeV^-2, a function of the scalar x = m/T (called through
    ``jax.vmap``, e.g. ``lambda x: thermal_average(sigma_fn, m, x)``), or a constant.
    ``g_dm``: internal degrees of freedom of one particle (real scalar 1, Majorana 2).
    ``self_conjugate``: True for a real scalar / Majorana fermion (sigma v of the pair phi phi);
    False for a complex scalar / Dirac fermion, sigma v being that of particle + antiparticle;
    the result is then the total (particle + antiparticle) density.

    Integrates from ``x_start`` (Y = Y_eq) to ``x_end`` with ``n_steps`` BDF2 steps in ln x and
    adds the tail int_{x_end}^inf lambda dx = lambda(x_end) x_end / (p - 1), p = -d ln lambda /
    d ln x at x_end (p = 2 for s-wave, 3 for p-wave at constant g*), which assumes Y_eq << Y there.
    """
    x, ys, _, lam = boltzmann_grid(m, sigmav_of_x, g_dm, self_conjugate, x_start, x_end, n_steps)
    return _omega_from_grid(jnp.asarray(m, dtype=float), x, ys, lam)


def omega_h2_swave(m, sigmav, g_dm=1.0, self_conjugate=True, **kw):
    """Omega h^2 for a constant <sigma v> [GeV^-2]."""
    return omega_h2(m, sigmav, g_dm=g_dm, self_conjugate=self_conjugate, **kw)
