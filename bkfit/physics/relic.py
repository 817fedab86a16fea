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


_PLASMA = jnp.stack([_GR, _GS, _DLNGS])


def _plasma(T):
    """(g_rho, g_s, d ln g_s/d ln T) at T: :func:`gstar`, :func:`gstars`,
    :func:`dln_gstars_dlnT` with one table search (the same linear interpolation in ln T)."""
    lnT = jnp.log(jnp.maximum(T, 1e-300))
    inside = (lnT > _LNT[0]) & (lnT < _LNT[-1])
    u = jnp.clip(lnT, _LNT[0], _LNT[-1])
    i = jnp.clip(jnp.searchsorted(_LNT, u, side="right"), 1, _LNT.shape[0] - 1)
    t = (u - _LNT[i - 1]) / (_LNT[i] - _LNT[i - 1])
    v = _PLASMA[:, i - 1] * (1.0 - t) + _PLASMA[:, i] * t
    return v[0], v[1], jnp.where(inside, v[2], 0.0)


def cm3s_to_gev2(sv):
    """Convert a cross section times velocity from cm^3/s to GeV^-2."""
    return sv / GEV2_TO_CM3S


def gev2_to_cm3s(sv):
    """Convert a cross section times velocity from GeV^-2 to cm^3/s."""
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
    """e^y K_1(y), see :func:`kne`."""
    return kne(1.0, y)


def k2e(y):
    """e^y K_2(y), see :func:`kne`."""
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
    """Entropy density s(T) = 2 pi^2/45 g_s(T) T^3 in GeV^3 (T in GeV)."""
    return 2.0 * PI ** 2 / 45.0 * gstars(T) * T ** 3


def _bdf2_solve(lnx, g, yeq, y0=None):
    """Y on the grid for dY/dlnx = -g (Y^2 - Yeq^2) by backward Euler (1st step) then BDF2,
    from Y = ``y0`` (default Y_eq) at the first node; (last Y, Y on every node)."""
    h = lnx[1] - lnx[0]
    y0 = yeq[0] if y0 is None else y0
    a1 = h * g[1]
    y1 = _quad_root(a1, y0 + a1 * yeq[1] ** 2)

    def step(carry, inp):
        ym1, y = carry
        gn, yeqn = inp
        a = (2.0 / 3.0) * h * gn
        yn = _quad_root(a, (4.0 / 3.0) * y - (1.0 / 3.0) * ym1 + a * yeqn ** 2)
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
    _, ys = _bdf2_solve(lnx, lam * x, yeq)
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


# --------------------------------------------------------------------------- fast path
# Omega h^2 for a sum of constant-|M|^2 two-body channels phi phi -> f1 f2 without any quadrature
# at run time: the thermal factors are tabulated once per Boltzmann grid (numpy + scipy kve, the
# same Gauss-Legendre rule as :func:`eta`) on the ln x nodes of the solver and on a grid in
# w = (m1 + m2)/(2 m) that is geometrically refined towards the threshold w = 1, then
# interpolated in w by cubic splines (separately on w <= 1 and w >= 1) inside JAX.
N_STEPS_FAST = 800         # BDF2 steps of the fast path (+ Richardson: < 5e-4 vs the converged solution)
W_MAX = 10.0               # w above this: the tabulated prefactor is frozen, e^{-2x(w-1)} kept
_W_H0 = 2e-4               # w-grid spacing at the threshold w = 1 ...
_W_ALPHA = 0.03            # ... growing by a factor e^0.03 per node away from it
# Unequal final masses: beta_f = beta_f(equal masses (m1+m2)/2) sqrt(1 - y), y = delta^2/zz^2,
# delta = (m2 - m1)/m, zz = sqrt(s)/m.  sqrt(1 - y) is expanded to 3rd order about y_c, its value
# at the lower end of the s-integration (zz = 2 max(1, w)), where the thermal weight sits:
# error |binom(1/2, 4)| (1 - y_c)^{-7/2} (y_c - y)^4, i.e. < 1e-6 of the channel for x >= 10 and
# < 1e-3 at x = 1 for pi0 eta (y_c <= ((m_eta - m_pi0)/(m_eta + m_pi0))^2 = 0.37).  The table
# therefore holds the moments with an extra zz^{-2k}, k = 0..3.
_N_MOM = 4
_Y_MAX_SERIES = 0.4        # y_c above this is refused (the error bound grows like y_c^4)


def _binom_half(j: int) -> float:
    """Binomial coefficient binom(1/2, j)."""
    out = 1.0
    for i in range(j):
        out *= (0.5 - i) / (i + 1)
    return out


def _w_nodes() -> np.ndarray:
    """w nodes: 0 ... 1 ... W_MAX, spacing _W_H0 at w = 1 growing geometrically."""
    def side(D):
        K = int(math.ceil(math.log(1.0 + D * _W_ALPHA / _W_H0) / _W_ALPHA))
        k = np.arange(K + 1)
        return D * np.expm1(_W_ALPHA * k) / math.expm1(_W_ALPHA * K)
    left = 1.0 - side(1.0)[::-1]
    right = 1.0 + side(W_MAX - 1.0)
    left[0] = 0.0
    return np.concatenate([left, right[1:]])


def _eta_moments_np(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Scaled thermal moments F_k(x, w) = e^{2x max(w-1, 0)} eta_k(x, w), shape (4, nx, nw):
    eta_k is :func:`eta` (z = w^2) with an extra zz^{-2k} in the integrand (numpy, scipy kve)."""
    from scipy.special import kve
    t, wt = np.polynomial.legendre.leggauss(_NT)
    t, wt = 0.5 * (t + 1.0), 0.5 * wt
    u = U_MAX * t * t                      # same substitution and nodes as eta()
    wu = wt * 2.0 * U_MAX * t
    out = np.empty((_N_MOM, x.size, w.size))
    zth = 2.0 * np.maximum(1.0, w)[:, None]
    for i, xi in enumerate(x):
        r = u[None, :] / xi
        zz = zth + r
        dm_i = (zth - 2.0) + r
        dm_f = (zth - 2.0 * w[:, None]) + r
        f = (np.sqrt(dm_i * (zz + 2.0)) * np.sqrt(dm_f * (zz + 2.0 * w[:, None]))
             * kve(1, xi * zz) * np.exp(-u)[None, :]) * wu[None, :]
        norm = 1.0 / kve(2, xi) ** 2
        inv = 1.0 / (zz * zz)
        for k in range(_N_MOM):
            out[k, i] = norm * np.sum(f, axis=1)
            f = f * inv
    return out


@functools.lru_cache(maxsize=4)
def _fast_table(x_start: float, x_end: float, n_steps: int):
    """Spline coefficients of F_k(x_n, w) on the Boltzmann grid nodes x_n (built once, cached)."""
    from scipy.interpolate import CubicSpline
    lnx = np.linspace(math.log(x_start), math.log(x_end), n_steps + 1)
    x = np.exp(lnx)
    w = _w_nodes()
    F = _eta_moments_np(x, w)                              # (K, nx, nw)
    j1 = int(np.flatnonzero(w == 1.0)[0])
    coefs = []
    for a, b in ((0, j1 + 1), (j1, w.size)):               # no spline across the kink at w = 1
        cs = CubicSpline(w[a:b], F[..., a:b], axis=2, bc_type="not-a-knot")
        coefs.append(cs.c)                                 # (4, nseg, K, nx)
    c = np.concatenate(coefs, axis=1)
    from scipy.special import kve
    # numpy arrays (turned into jnp constants where used: no arrays created inside a trace are
    # cached)
    return {"lnx": lnx, "x": x, "w": w[:-1],
            "coef": np.ascontiguousarray(np.moveaxis(c, 1, 0)),     # (nseg, 4, K, nx)
            "coef0": np.ascontiguousarray(np.moveaxis(c, 1, 0)[:, :, 0, :]),  # k = 0 only
            "k2e": kve(2, x)}


def _eta_on_grid(tab, m, m1, m2):
    """Thermal factor of phi phi -> f1 f2 (constant |M|^2) on the grid nodes, (nx,):
    S |M|^2 eta / (64 pi m^2) is the channel's <sigma v>.  Equal masses: = eta(x, (m1/m)^2)."""
    wbar = 0.5 * (m1 + m2) / m
    wc = jnp.clip(wbar, 0.0, W_MAX)
    wn = jnp.asarray(tab["w"])
    i = jnp.clip(jnp.searchsorted(wn, wc, side="right") - 1, 0, wn.shape[0] - 1)
    dw = wc - wn[i]
    x = jnp.asarray(tab["x"])
    if (not isinstance(m1, jax.core.Tracer) and not isinstance(m2, jax.core.Tracer)
            and float(m1) == float(m2)):
        # equal final masses: only the k = 0 moment (a quarter of the table)
        c = jnp.asarray(tab["coef0"])[i]                     # (4, nx)
        F0 = ((c[0] * dw + c[1]) * dw + c[2]) * dw + c[3]
        return F0 * jnp.exp(-2.0 * x * jnp.maximum(wbar - 1.0, 0.0))
    c = jnp.asarray(tab["coef"])[i]                         # (4, K, nx)
    F = ((c[0] * dw + c[1]) * dw + c[2]) * dw + c[3]        # (K, nx)
    d2 = ((m2 - m1) / m) ** 2
    yc = d2 / (2.0 * jnp.maximum(wbar, 1.0)) ** 2
    # sqrt(1 - y) = sum_j b_j (y - y_c)^j = sum_k e_k y^k, b_j = binom(1/2, j) (-1)^j (1-y_c)^(1/2-j)
    b = [_binom_half(j) * (-1) ** j * (1.0 - yc) ** (0.5 - j)
         for j in range(_N_MOM)]
    acc = 0.0
    for k in range(_N_MOM - 1, -1, -1):                    # Horner in delta^2
        e_k = sum(b[j] * math.comb(j, k) * (-yc) ** (j - k) for j in range(k, _N_MOM))
        acc = F[k] * e_k + d2 * acc
    return acc * jnp.exp(-2.0 * x * jnp.maximum(wbar - 1.0, 0.0))


def sigmav_channels_grid(m, channels, x_start=1.0, x_end=1000.0, n_steps=N_STEPS_FAST):
    """(x nodes, <sigma v> [GeV^-2] on them) for constant-|M|^2 channels, see omega_h2_channels."""
    tab = _fast_table(float(x_start), float(x_end), int(n_steps))
    m = jnp.asarray(m, dtype=float)
    x = jnp.asarray(tab["x"])
    sv = 0.0
    equal, weights = [], []
    for msq, m1, m2, S in channels:
        if (not isinstance(m1, jax.core.Tracer) and not isinstance(m2, jax.core.Tracer)
                and float(m1) == float(m2)):
            equal.append(float(m1))
            weights.append(S * msq)
        else:
            sv = sv + S * msq * _eta_on_grid(tab, m, m1, m2)
    if equal:
        # all equal-mass channels at once: k = 0 moment, one gather (see _eta_on_grid)
        wbar = jnp.asarray(np.array(equal)) / m
        wc = jnp.clip(wbar, 0.0, W_MAX)
        wn = jnp.asarray(tab["w"])
        i = jnp.clip(jnp.searchsorted(wn, wc, side="right") - 1, 0, wn.shape[0] - 1)
        dw = (wc - wn[i])[:, None]
        c = jnp.asarray(tab["coef0"])[i]                      # (n_equal, 4, nx)
        F0 = ((c[:, 0] * dw + c[:, 1]) * dw + c[:, 2]) * dw + c[:, 3]
        F0 = F0 * jnp.exp(-2.0 * x[None, :] * jnp.maximum(wbar - 1.0, 0.0)[:, None])
        sv = sv + jnp.stack(weights) @ F0
    return x, sv / (64.0 * PI * m * m) * jnp.ones_like(x)


WINDOW_DELTA = 0.1         # the window of the fast solver starts where Y/Y_eq - 1 ~ this ...
WINDOW_LNX = 1.1           # ... and runs over this length in ln x; Y_eq is negligible after it


def _quad_root(a, c):
    """Positive root of a Y^2 + Y - c = 0 (a >= 0, c >= 0), cancellation-free."""
    c = jnp.maximum(c, 0.0)
    return 2.0 * c / (1.0 + jnp.sqrt(1.0 + 4.0 * a * c))


def _boltzmann_inputs(m, lnx, x, sv, k2e_x, g_dm, self_conjugate):
    """(lambda, ln Y_eq) on the grid, as in :func:`_solve_on_grid` (one g* table search)."""
    if self_conjugate:
        g_tot, sv_eff = g_dm, sv
    else:
        g_tot, sv_eff = 2.0 * g_dm, 0.5 * sv
    T = m / x
    gr, gs, dlngs = _plasma(T)
    s_T = 2.0 * PI ** 2 / 45.0 * gs * T ** 3
    h_T = jnp.sqrt(4.0 * PI ** 3 * gr / 45.0) * T * T / M_PLANCK
    lam = s_T * sv_eff * (1.0 + dlngs / 3.0) / (h_T * x)
    lny = jnp.log(45.0 * g_tot / (4.0 * PI ** 4 * gs) * k2e_x) + 2.0 * lnx - x
    return lam, lny


def _omega_window(m, lnx, x, lam, lny, n_window):
    """Omega h^2 from lambda and ln Y_eq on the ln x grid (:func:`_boltzmann_inputs`),
    integrating the Boltzmann equation only where
    it matters: before the window Y sits on its quasi-static value
    Y_eq (1 + delta), delta = -(d ln Y_eq/d ln x) / (2 g Y_eq) (first order in delta), which the
    window starts from where delta first exceeds WINDOW_DELTA; ``n_window`` BDF2 steps follow
    (the stiff decay removes the O(delta^2) start error); after the window,
    1/Y_inf = 1/Y_b + int g (1 - Y_eq^2/Y_b^2) d ln x (exact when Y stays Y_b; Y_eq/Y_b is
    exponentially small there) on the remaining nodes (trapezoid) plus the analytic tail of
    :func:`_omega_from_grid` after x_end.  The same equation as :func:`omega_h2`."""
    yeq = jnp.exp(lny)
    g = lam * x
    h = lnx[1] - lnx[0]
    n = x.shape[0]
    # quasi-static departure delta on the grid (inf where nothing annihilates)
    gy = jax.lax.stop_gradient(g * yeq)          # only picks the window
    pos = gy > 0
    dlny = jnp.gradient(lny, h)
    past = jnp.where(pos, -jax.lax.stop_gradient(dlny) > 2.0 * WINDOW_DELTA * gy, True)
    i0 = jnp.where(jnp.any(past), jnp.argmax(past), n - 1 - n_window)
    i0 = jnp.clip(i0 - 2, 0, n - 1 - n_window)
    gs = jax.lax.dynamic_slice(g, (i0,), (n_window + 1,))
    ys = jax.lax.dynamic_slice(yeq, (i0,), (n_window + 1,))
    gy0 = gs[0] * ys[0]
    ok0 = (i0 > 0) & (gy0 > 0)
    d0 = jnp.where(ok0, -dlny[i0] / (2.0 * jnp.where(ok0, gy0, 1.0)), 0.0)
    yb, _ = _bdf2_solve(lnx, gs, ys, y0=ys[0] * (1.0 + d0))
    idx = jnp.arange(n)
    wts = h * ((idx >= i0 + n_window) - 0.5 * ((idx == i0 + n_window) | (idx == n - 1)))
    after = jnp.sum(wts * g * (1.0 - (yeq / yb) ** 2))
    ok = (lam[-1] > 0) & (lam[-2] > 0)
    l1, l2 = jnp.where(ok, lam[-1], 1.0), jnp.where(ok, lam[-2], 1.0)
    p = jnp.where(ok, -(jnp.log(l1) - jnp.log(l2)) / (lnx[-1] - lnx[-2]), 2.0)
    tail = lam[-1] * x[-1] / (jnp.maximum(p, 1.5) - 1.0)
    y_inf = yb / (1.0 + yb * (after + tail))
    return m * y_inf * S0 / RHO_CRIT_H2


def omega_h2_channels(m, channels, g_dm=1.0, self_conjugate=True, x_start=1.0, x_end=1000.0,
                      n_steps=N_STEPS_FAST, richardson=True, window_lnx=WINDOW_LNX):
    """Fast Omega h^2 for <sigma v>(x) = sum_c S_c |M_c|^2 eta_c(x) / (64 pi m^2).

    ``channels``: iterable of ``(msq, m1, m2, S)``: constant |M|^2 (dimensionless, may be traced),
    final masses m1, m2 [GeV] (traced allowed), S = 1/2 for identical final particles.  Each
    channel's thermal factor is exactly that of :func:`eta` / the Gondolo-Gelmini average of
    sigma = S |M|^2 p_f/(16 pi s p_i), up to the table interpolation (< 1e-4 relative, docs)
    and, for m1 != m2, a 3rd-order expansion in ((m2-m1)/sqrt s)^2 about its threshold value
    (< 1e-6 for x >= 10; requires ((m2-m1)/(m1+m2))^2 <= 0.4).  The Boltzmann equation is the
    one of :func:`omega_h2` on a grid of ``n_steps`` (default 800) steps in ln x, integrated
    with BDF2 only in a window of length ``window_lnx`` in ln x around freeze-out (quasi-static before it,
    Y_eq negligible after it: :func:`_omega_window`), with Richardson extrapolation (the same
    window on every 2nd node).  Within 0.5 % of :func:`omega_h2` (tests/test_relic.py,
    tests/test_vlq.py).  The table (about 2 s to build) is cached per (x_start, x_end, n_steps).
    """
    channels = list(channels)
    for _, m1, m2, _ in channels:
        if not isinstance(m1, jax.core.Tracer) and not isinstance(m2, jax.core.Tracer):
            tot = float(m1) + float(m2)
            if tot > 0 and ((float(m2) - float(m1)) / tot) ** 2 > _Y_MAX_SERIES:
                raise ValueError("omega_h2_channels: final masses too different for the series")
    tab = _fast_table(float(x_start), float(x_end), int(n_steps))
    m = jnp.asarray(m, dtype=float)
    x, sv = sigmav_channels_grid(m, channels, x_start, x_end, n_steps)
    lnx, k2e_x = jnp.asarray(tab["lnx"]), jnp.asarray(tab["k2e"])
    h = (math.log(x_end) - math.log(x_start)) / int(n_steps)
    n_window = min(2 * int(math.ceil(0.5 * window_lnx / h)), 2 * (int(n_steps) // 4))
    lam, lny = _boltzmann_inputs(m, lnx, x, sv, k2e_x, g_dm, self_conjugate)
    om = _omega_window(m, lnx, x, lam, lny, n_window)
    if not richardson:
        return om
    # the same on every 2nd node (step 2h); BDF2's error is O(h^2): (4 om_h - om_2h)/3
    om2 = _omega_window(m, lnx[::2], x[::2], lam[::2], lny[::2], n_window // 2)
    return (4.0 * om - om2) / 3.0


__all__ = ["gstar", "gstars", "dln_gstars_dlnT", "thermal_average", "eta", "sigma_v_threshold",
           "omega_h2", "omega_h2_swave",
           "omega_h2_channels", "sigmav_channels_grid", "N_STEPS_FAST", "y_eq", "hubble", "entropy_density", "v_lab", "kne",
           "k1e", "k2e", "boltzmann_grid", "cm3s_to_gev2", "gev2_to_cm3s", "GEV2_TO_CM3S",
           "M_PLANCK", "S0", "RHO_CRIT_H2", "cosmology"]
