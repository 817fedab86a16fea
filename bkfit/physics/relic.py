"""Thermal relic abundance of a self-annihilating dark-matter particle (pure JAX).

Conventions (details and references in docs/relic.md):

* ``x = m / T`` with T the photon temperature in GeV; cross sections in GeV^-2,
  ``<sigma v>`` in GeV^-2 (multiply by :data:`GEV2_TO_CM3S` for cm^3/s).
* ``gstar(T)`` = g_rho(T), ``gstars(T)`` = g_s(T) of the Standard-Model plasma, interpolated
  linearly in ln T from the Drees-Hajkarim-Schmitz table (arXiv:1503.03513), clamped to the
  end values outside 2.0e-5 ... 1.26e4 GeV.
* ``thermal_average(sigma_fn, m, x)``: relativistic Gondolo-Gelmini average
  <sigma v> = x / (4 K2(x)^2) * int_2^inf dz sigma(m^2 z^2) (z^2 - 4) z^2 K1(x z),  z = sqrt(s)/m,
  for two identical-mass particles (Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145, eq. 3.8).
  ``sigma`` is the annihilation cross section of the two-particle initial state (no 1/2 for
  identical initial particles).  A constant ``sigma(s) v_lab(s) = a`` averages to a exactly.
* ``omega_h2(m, sigmav_of_x)``: solves dY/dx = -lambda(x) (Y^2 - Y_eq^2) with
  lambda = s <sigma v> / (H x) * (1 + (1/3) d ln g_s / d ln T) from ``x_start`` to ``x_end``
  with the 2nd-order backward-differentiation formula on a uniform grid in ln x (each implicit
  step is a quadratic in Y_{n+1}, solved in closed form: unconditionally stable, differentiable),
  plus the analytic post-``x_end`` tail; Omega h^2 = m Y_0 s_0 / (rho_c / h^2).

Nothing here holds a physics number: M_Pl, s_0, rho_c/h^2, hbar c, c are read from
``bkfit/inputs/data/cosmology.yaml`` and g*(T) from ``gstar_DHS2015.csv``.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import yaml

jax.config.update("jax_enable_x64", True)

_DATA = Path(__file__).resolve().parents[1] / "inputs" / "data"
PI = math.pi


# --------------------------------------------------------------------------- inputs
@functools.lru_cache(maxsize=None)
def cosmology() -> dict:
    """The constants of ``cosmology.yaml`` as ``name -> float`` (plus the g* file name)."""
    with open(_DATA / "cosmology.yaml") as fh:
        raw = yaml.safe_load(fh)
    out = {k: float(v["value"]) for k, v in raw.items() if isinstance(v, dict) and "value" in v}
    out["gstar_file"] = raw["gstar_table"]["file"]
    return out


def _read_gstar_table(path: Path) -> np.ndarray:
    rows = []
    header = None
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if header is None:
                header = [c.strip() for c in line.split(",")]
                continue
            rows.append([float(c) for c in line.split(",")])
    tab = np.asarray(rows)
    cols = {h: tab[:, i] for i, h in enumerate(header)}
    T, gs, gr = cols["T_GeV"], cols["g_s"], cols["g_rho"]
    if not (np.all(np.diff(T) > 0) and np.all(gs > 0) and np.all(gr > 0)):
        raise ValueError(f"{path}: temperatures must increase and g* be positive")
    return np.stack([T, gs, gr])


_C = cosmology()
_TAB = _read_gstar_table(_DATA / _C["gstar_file"])
_LNT = jnp.asarray(np.log(_TAB[0]))
_GS = jnp.asarray(_TAB[1])
_GR = jnp.asarray(_TAB[2])
# d ln g_s / d ln T at the nodes (2nd-order differences on the non-uniform grid), then
# interpolated linearly like g_s itself: continuous, unlike the derivative of the linear interpolant
_DLNGS = jnp.asarray(np.gradient(np.log(_TAB[1]), np.log(_TAB[0])))

M_PLANCK = _C["M_Planck"]
S0 = _C["s0"]                          # cm^-3
RHO_CRIT_H2 = _C["rho_crit_over_h2"]   # GeV cm^-3
GEV2_TO_CM3S = _C["hbar_c"] ** 2 * _C["c_light"]   # 1 GeV^-2 x c in cm^3/s
T_RANGE = (float(_TAB[0][0]), float(_TAB[0][-1]))


def _interp_lnT(T, table):
    lnT = jnp.log(jnp.maximum(T, 1e-300))
    return jnp.interp(jnp.clip(lnT, _LNT[0], _LNT[-1]), _LNT, table)


def gstar(T):
    """Energy-density degrees of freedom g_rho(T) (T in GeV)."""
    return _interp_lnT(T, _GR)


def gstars(T):
    """Entropy degrees of freedom g_s(T) (T in GeV)."""
    return _interp_lnT(T, _GS)


def dln_gstars_dlnT(T):
    """d ln g_s / d ln T (zero outside the table)."""
    lnT = jnp.log(jnp.maximum(T, 1e-300))
    inside = (lnT > _LNT[0]) & (lnT < _LNT[-1])
    return jnp.where(inside, _interp_lnT(T, _DLNGS), 0.0)


def cm3s_to_gev2(sv):
    return sv / GEV2_TO_CM3S


def gev2_to_cm3s(sv):
    return sv * GEV2_TO_CM3S


# --------------------------------------------------------------------------- Bessel functions
_NB = 48
_GLB_X, _GLB_W = np.polynomial.legendre.leggauss(_NB)
_GLB_X = jnp.asarray(0.5 * (_GLB_X + 1.0))   # on [0, 1]
_GLB_W = jnp.asarray(0.5 * _GLB_W)
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
    return kne(1.0, y)


def k2e(y):
    return kne(2.0, y)


# --------------------------------------------------------------------------- thermal average
_NT = 64                 # Gauss-Legendre nodes per interval in the thermal average
_GLT_X, _GLT_W = np.polynomial.legendre.leggauss(_NT)
_GLT_X = jnp.asarray(0.5 * (_GLT_X + 1.0))
_GLT_W = jnp.asarray(0.5 * _GLT_W)
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
    beta_f = jnp.sqrt(dm_f * (zz + 2.0 * rz)) / zz
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


# --------------------------------------------------------------------------- Boltzmann equation
def y_eq(x, m, g_dm=1.0):
    """Equilibrium yield n_eq/s, Maxwell-Boltzmann with the full Bessel form
    n_eq = g m^2 T K2(m/T) / (2 pi^2), s = (2 pi^2/45) g_s T^3."""
    x = jnp.asarray(x, dtype=float)
    T = m / x
    return 45.0 * g_dm / (4.0 * PI ** 4 * gstars(T)) * x * x * k2e(x) * jnp.exp(-x)


def hubble(T):
    """H(T) = sqrt(4 pi^3 g_rho / 45) T^2 / M_Pl [GeV]."""
    return jnp.sqrt(4.0 * PI ** 3 * gstar(T) / 45.0) * T * T / M_PLANCK


def entropy_density(T):
    return 2.0 * PI ** 2 / 45.0 * gstars(T) * T ** 3


def _bdf2_solve(lnx, g, yeq):
    """Y on the grid for dY/dlnx = -g (Y^2 - Yeq^2) by backward Euler (1st step) then BDF2."""
    h = lnx[1] - lnx[0]

    def quad_root(a, c):
        # positive root of a Y^2 + Y - c = 0 (a >= 0, c >= 0), cancellation-free
        c = jnp.maximum(c, 0.0)
        return 2.0 * c / (1.0 + jnp.sqrt(1.0 + 4.0 * a * c))

    y0 = yeq[0]
    a1 = h * g[1]
    y1 = quad_root(a1, y0 + a1 * yeq[1] ** 2)

    def step(carry, inp):
        ym1, y = carry
        gn, yeqn = inp
        a = (2.0 / 3.0) * h * gn
        c = (4.0 / 3.0) * y - (1.0 / 3.0) * ym1 + a * yeqn ** 2
        yn = quad_root(a, c)
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
    if self_conjugate:
        g_tot, sv_eff = g_dm, sv
    else:
        # Y counts particles + antiparticles; only particle-antiparticle pairs annihilate
        g_tot, sv_eff = 2.0 * g_dm, 0.5 * sv
    T = m / x
    lam = entropy_density(T) * sv_eff * (1.0 + dln_gstars_dlnT(T) / 3.0) / (hubble(T) * x)
    yeq = y_eq(x, m, g_tot)
    _, ys = _bdf2_solve(lnx, lam * x, yeq)
    return x, ys, yeq, lam


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
    p = -(jnp.log(lam[-1]) - jnp.log(lam[-2])) / (jnp.log(x[-1]) - jnp.log(x[-2]))
    p = jnp.maximum(p, 1.5)
    tail = lam[-1] * x[-1] / (p - 1.0)
    y_inf = ys[-1] / (1.0 + ys[-1] * tail)
    return m * y_inf * S0 / RHO_CRIT_H2


def omega_h2_swave(m, sigmav, g_dm=1.0, self_conjugate=True, **kw):
    """Omega h^2 for a constant <sigma v> [GeV^-2]."""
    return omega_h2(m, sigmav, g_dm=g_dm, self_conjugate=self_conjugate, **kw)


__all__ = ["gstar", "gstars", "dln_gstars_dlnT", "thermal_average", "eta", "sigma_v_threshold",
           "omega_h2", "omega_h2_swave", "y_eq", "hubble", "entropy_density", "v_lab", "kne",
           "k1e", "k2e", "boltzmann_grid", "cm3s_to_gev2", "gev2_to_cm3s", "GEV2_TO_CM3S",
           "M_PLANCK", "S0", "RHO_CRIT_H2", "cosmology"]
