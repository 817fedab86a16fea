"""Fast Omega h^2 for a sum of constant-|M|^2 two-body channels (pure JAX at run time): the
thermal factors tabulated once per grid, the Boltzmann equation integrated only in a window
around freeze-out, Richardson-extrapolated (docs/relic.md)."""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ...inputs import disk_cache
from .boltzmann import bdf2_solve
from .plasma import M_PLANCK, RHO_CRIT_H2, S0, plasma
from .thermal import N_THERMAL_NODES, U_MAX

jax.config.update("jax_enable_x64", True)

PI = math.pi


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
    t, wt = np.polynomial.legendre.leggauss(N_THERMAL_NODES)
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
    F = disk_cache.cached("relic_eta_moments", (x.tobytes(), w.tobytes(), N_THERMAL_NODES,
                                                 U_MAX, _N_MOM),
                          lambda: _eta_moments_np(x, w))   # (K, nx, nw)
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


K_COARSE = 16              # the coarse grid (window search, after-window integral): every 16th node


@functools.lru_cache(maxsize=4)
def _coarse_table(x_start: float, x_end: float, n_steps: int):
    """The columns of :func:`_fast_table` on every ``K_COARSE``-th node (jnp constants)."""
    tab = _fast_table(x_start, x_end, n_steps)
    sl = slice(None, None, K_COARSE)
    return {"lnx": tab["lnx"][sl], "x": tab["x"][sl], "k2e": tab["k2e"][sl],
            "coef0": np.ascontiguousarray(tab["coef0"][..., sl]),
            "coef": np.ascontiguousarray(tab["coef"][..., sl])}


def sigmav_channels_grid(m, channels, x_start=1.0, x_end=1000.0, n_steps=N_STEPS_FAST):
    """(x nodes, <sigma v> [GeV^-2] on every node) for constant-|M|^2 channels, see
    omega_h2_channels: S |M|^2 eta / (64 pi m^2) per channel, eta the Gondolo-Gelmini
    thermal factor read from the table (:func:`_sigmav_columns`)."""
    tab = _fast_table(float(x_start), float(x_end), int(n_steps))
    x = jnp.asarray(tab["x"])
    sv = _sigmav_columns(jnp.asarray(tab["w"]), jnp.asarray(tab["coef0"]),
                         jnp.asarray(tab["coef"]), x, m, list(channels))
    return x, sv * jnp.ones_like(x)


WINDOW_DELTA = 0.1         # the window of the fast solver starts where Y/Y_eq - 1 ~ this ...
WINDOW_LNX = 1.1           # ... and runs over this length in ln x; Y_eq is negligible after it


def _boltzmann_inputs(m, lnx, x, sv, k2e_x, g_dm, self_conjugate):
    """(lambda, ln Y_eq) on the grid, as in :func:`_solve_on_grid` (one g* table search)."""
    if self_conjugate:
        g_tot, sv_eff = g_dm, sv
    else:
        g_tot, sv_eff = 2.0 * g_dm, 0.5 * sv
    T = m / x
    gr, gs, dlngs = plasma(T)
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
    yb, _ = bdf2_solve(lnx, gs, ys, y0=ys[0] * (1.0 + d0))
    idx = jnp.arange(n)
    wts = h * ((idx >= i0 + n_window) - 0.5 * ((idx == i0 + n_window) | (idx == n - 1)))
    after = jnp.sum(wts * g * (1.0 - (yeq / yb) ** 2))
    ok = (lam[-1] > 0) & (lam[-2] > 0)
    l1, l2 = jnp.where(ok, lam[-1], 1.0), jnp.where(ok, lam[-2], 1.0)
    p = jnp.where(ok, -(jnp.log(l1) - jnp.log(l2)) / (lnx[-1] - lnx[-2]), 2.0)
    tail = lam[-1] * x[-1] / (jnp.maximum(p, 1.5) - 1.0)
    y_inf = yb / (1.0 + yb * (after + tail))
    return m * y_inf * S0 / RHO_CRIT_H2


def _columns(arr, iw, start, length):
    """Row ``iw`` (axis 0) of a table on the x columns start ... start + length - 1 (last
    axis): a dynamic slice, not a gather over the whole row."""
    iw, start = jnp.asarray(iw, dtype=int), jnp.asarray(start, dtype=int)
    starts = (iw,) + (jnp.zeros((), dtype=int),) * (arr.ndim - 2) + (start,)
    sizes = (1,) + arr.shape[1:-1] + (length,)
    return jax.lax.dynamic_slice(arr, starts, sizes)[0]


def _rows_columns(table, idx, start, length):
    """Rows ``idx`` (axis 0) of a table, on the x columns start ... start + length - 1 of its
    last axis (all columns if ``start`` is None)."""
    if start is None:
        return table[idx]
    return jax.vmap(lambda i: _columns(table, i, start, length))(idx)


def _spline_rows(w_nodes, table, wbar, start, length):
    """Cubic-spline values in w of the table rows at ``wbar`` (C,), on the chosen columns."""
    wc = jnp.clip(wbar, 0.0, W_MAX)
    idx = jnp.clip(jnp.searchsorted(w_nodes, wc, side="right") - 1, 0, w_nodes.shape[0] - 1)
    c = _rows_columns(table, idx, start, length)                    # (C, 4, ..., L)
    dw = (wc - w_nodes[idx]).reshape((-1,) + (1,) * (c.ndim - 2))
    return ((c[:, 0] * dw + c[:, 1]) * dw + c[:, 2]) * dw + c[:, 3]


def _is_equal(m1, m2):
    return (not isinstance(m1, jax.core.Tracer) and not isinstance(m2, jax.core.Tracer)
            and float(m1) == float(m2))


def _sigmav_columns(w_nodes, coef0, coef, x, m, channels, start=None, length=None):
    """<sigma v> [GeV^-2] of the channels on a set of x columns of the tables (``coef0``:
    (nseg, 4, nx) the k = 0 moment, ``coef``: (nseg, 4, K, nx) all moments): the same thermal
    factors of :func:`eta` (cubic spline in w; for unequal final masses the series in
    delta^2), the equal-mass channels at once from ``coef0``, the others at once from ``coef``,
    each reading its rows only on the columns start ... start + length - 1 when ``start`` is
    given."""
    m = jnp.asarray(m, dtype=float)
    out = 0.0
    for equal in (True, False):
        chs = [c for c in channels if _is_equal(c[1], c[2]) == equal]
        if not chs:
            continue
        m1s = jnp.stack([jnp.asarray(c[1], dtype=float) for c in chs])
        m2s = jnp.stack([jnp.asarray(c[2], dtype=float) for c in chs])
        wts = jnp.stack([c[3] * jnp.asarray(c[0], dtype=float) for c in chs])
        wbar = 0.5 * (m1s + m2s) / m
        supp = jnp.exp(-2.0 * x[None, :] * jnp.maximum(wbar - 1.0, 0.0)[:, None])
        if equal:
            F = _spline_rows(w_nodes, coef0, wbar, start, length)   # (C, L)
        else:
            Fk = _spline_rows(w_nodes, coef, wbar, start, length)   # (C, K, L)
            d2 = ((m2s - m1s) / m) ** 2
            yc = d2 / (2.0 * jnp.maximum(wbar, 1.0)) ** 2
            # sqrt(1 - y) = sum_j b_j (y - y_c)^j = sum_k e_k y^k,
            # b_j = binom(1/2, j) (-1)^j (1 - y_c)^(1/2 - j), e_k = sum_j b_j C(j, k) (-y_c)^(j-k);
            # powers by products (no pow at 0, whose derivative is not finite)
            one = jnp.ones_like(yc)
            pyc, pd2 = [one], [one]
            for _ in range(1, _N_MOM):
                pyc.append(pyc[-1] * (-yc))
                pd2.append(pd2[-1] * d2)
            inv = 1.0 / (1.0 - yc)
            b, bj = [], jnp.sqrt(1.0 - yc)
            for jj in range(_N_MOM):
                b.append(_binom_half(jj) * (-1) ** jj * bj)
                bj = bj * inv
            ek = jnp.stack([sum(b[jj] * math.comb(jj, k) * pyc[jj - k]
                                for jj in range(k, _N_MOM)) * pd2[k]
                            for k in range(_N_MOM)], axis=1)          # (C, K): e_k delta^(2k)
            F = jnp.einsum("ckl,ck->cl", Fk, ek)
        out = out + wts @ (F * supp)
    return out / (64.0 * PI * m * m)


def _after_integral(f, jb, H):
    """int f d ln x from coarse node ``jb`` to the last node: trapezoid with the Euler-Maclaurin
    end correction -H^2/12 (f'(end) - f'(start)) (one-sided 2nd-order differences)."""
    nc = f.shape[0]
    idx = jnp.arange(nc)
    trap = H * jnp.sum(f * ((idx >= jb) - 0.5 * ((idx == jb) | (idx == nc - 1))))
    j = jnp.clip(jb, 0, nc - 3)
    fa = jax.lax.dynamic_slice(f, (j,), (3,))
    d_start = (-3.0 * fa[0] + 4.0 * fa[1] - fa[2]) / (2.0 * H)
    d_end = (3.0 * f[-1] - 4.0 * f[-2] + f[-3]) / (2.0 * H)
    corr = jnp.where(jb <= nc - 3, -H * H / 12.0 * (d_end - d_start), 0.0)
    return trap + corr


def _omega_two_grids(m, channels, fine, coarse, n_window, g_dm, self_conjugate, richardson):
    """Omega h^2 with the thermal factors evaluated only where they are used: on the coarse
    grid (every K_COARSE-th node: the window search and the after-window integral) and on the
    fine nodes of the window (BDF2).  The same equations as :func:`_omega_window`."""
    wn = jnp.asarray(fine["w"])
    K = K_COARSE
    lnxc, xc = jnp.asarray(coarse["lnx"]), jnp.asarray(coarse["x"])
    H = float(coarse["lnx"][1] - coarse["lnx"][0])
    svc = _sigmav_columns(wn, jnp.asarray(coarse["coef0"]), jnp.asarray(coarse["coef"]), xc, m,
                          channels)
    lamc, lnyc = _boltzmann_inputs(m, lnxc, xc, svc, jnp.asarray(coarse["k2e"]), g_dm,
                                   self_conjugate)
    gc, yeqc = lamc * xc, jnp.exp(lnyc)
    nc = xc.shape[0]
    n = fine["x"].shape[0]
    # window start: one coarse step before the quasi-static departure first exceeds WINDOW_DELTA
    gy = jax.lax.stop_gradient(gc * yeqc)
    dlnyc = jax.lax.stop_gradient(jnp.gradient(lnyc, H))
    past = jnp.where(gy > 0, -dlnyc > 2.0 * WINDOW_DELTA * gy, True)
    jp = jnp.where(jnp.any(past), jnp.argmax(past), nc - 1)
    i0 = jnp.clip(K * (jp - 1), 0, n - 1 - n_window)
    L = n_window + 1
    lnxw = jax.lax.dynamic_slice(jnp.asarray(fine["lnx"]), (i0,), (L,))
    xw = jax.lax.dynamic_slice(jnp.asarray(fine["x"]), (i0,), (L,))
    k2w = jax.lax.dynamic_slice(jnp.asarray(fine["k2e"]), (i0,), (L,))
    svw = _sigmav_columns(wn, jnp.asarray(fine["coef0"]), jnp.asarray(fine["coef"]), xw, m,
                          channels, start=i0, length=L)
    lamw, lnyw = _boltzmann_inputs(m, lnxw, xw, svw, k2w, g_dm, self_conjugate)
    gw, yw = lamw * xw, jnp.exp(lnyw)
    h = float(fine["lnx"][1] - fine["lnx"][0])
    gy0 = gw[0] * yw[0]
    ok0 = (i0 > 0) & (gy0 > 0)
    dlny0 = (-3.0 * lnyw[0] + 4.0 * lnyw[1] - lnyw[2]) / (2.0 * h)
    d0 = jnp.where(ok0, -dlny0 / (2.0 * jnp.where(ok0, gy0, 1.0)), 0.0)
    y0 = yw[0] * (1.0 + d0)
    # the tail after x_end, as in _omega_window
    ok = (lamc[-1] > 0) & (lamc[-2] > 0)
    l1, l2 = jnp.where(ok, lamc[-1], 1.0), jnp.where(ok, lamc[-2], 1.0)
    p = jnp.where(ok, -(jnp.log(l1) - jnp.log(l2)) / H, 2.0)
    tail = lamc[-1] * xc[-1] / (jnp.maximum(p, 1.5) - 1.0)
    jb = (i0 + n_window) // K

    def y_inf(lnx, g, yeq):
        yb, _ = bdf2_solve(lnx, g, yeq, y0=y0)
        after = _after_integral(gc * (1.0 - (yeqc / yb) ** 2), jb, H)
        return yb / (1.0 + yb * (after + tail))

    y = y_inf(lnxw, gw, yw)
    if richardson:
        y = (4.0 * y - y_inf(lnxw[::2], gw[::2], yw[::2])) / 3.0
    return m * y * S0 / RHO_CRIT_H2


def omega_h2_channels(m, channels, g_dm=1.0, self_conjugate=True, x_start=1.0, x_end=1000.0,
                      n_steps=N_STEPS_FAST, richardson=True, window_lnx=WINDOW_LNX,
                      two_grids=True):
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
    window on every 2nd node).  ``two_grids`` (default): the thermal factors are evaluated only
    on every ``K_COARSE``-th node (window search, after-window integral with the Euler-Maclaurin
    correction) and on the window's nodes (:func:`_omega_two_grids`), ~2x cheaper with its
    gradient; ``two_grids=False`` evaluates them on every node (:func:`_omega_window`).  Within
    0.5 % of :func:`omega_h2` (tests/test_relic.py, tests/test_vlq.py).  The table (about 2 s to build) is cached per (x_start, x_end, n_steps).
    """
    channels = list(channels)
    for _, m1, m2, _ in channels:
        if not isinstance(m1, jax.core.Tracer) and not isinstance(m2, jax.core.Tracer):
            tot = float(m1) + float(m2)
            if tot > 0 and ((float(m2) - float(m1)) / tot) ** 2 > _Y_MAX_SERIES:
                raise ValueError("omega_h2_channels: final masses too different for the series")
    tab = _fast_table(float(x_start), float(x_end), int(n_steps))
    m = jnp.asarray(m, dtype=float)
    if two_grids:
        if int(n_steps) % K_COARSE:
            raise ValueError(f"omega_h2_channels: n_steps must be a multiple of {K_COARSE}")
        h = (math.log(x_end) - math.log(x_start)) / int(n_steps)
        n_window = K_COARSE * int(math.ceil(window_lnx / (h * K_COARSE)))
        n_window = min(n_window, K_COARSE * (int(n_steps) // (2 * K_COARSE)))
        return _omega_two_grids(m, channels, tab,
                                _coarse_table(float(x_start), float(x_end), int(n_steps)),
                                n_window, g_dm, self_conjugate, richardson)
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


