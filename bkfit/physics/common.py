"""Kinematics and quadrature shared by all decay-rate modules, and the fast paths that keep
jitted likelihoods cheap when only some inputs are sampled:

* :func:`par_constant`: functions of fixed parameters (QCD running, SM amplitudes) computed
  once per parameter point and embedded as constants;
* :func:`integrate_quadratic`: q^2 integrals of kernels that are quadratic forms in traced
  form-factor parameters, as exact cached matrices;
* :func:`integrate_polynomial`: q^2 integrals of rates that are quadratic polynomials in the
  (traced) coefficients, as cached polynomial coefficients (constants, or quadratic forms in
  traced form-factor parameters).

Each falls back to the direct computation when an input it cannot treat as fixed is traced,
and :func:`fast_paths` switches them off (the reference of tests/test_fast_paths.py)."""
from __future__ import annotations

import contextlib

import jax.numpy as jnp
import numpy as np

from ..inputs import disk_cache


def evaluate_staged(fn):
    """``fn()`` (a computation on constants, e.g. an SM prediction for a report or a reference
    spectrum at set-up) evaluated as one compiled program.  Run eagerly, every JAX operation
    of it would be a program of its own, each traced, lowered and compiled (or loaded from
    the persistent cache) in every new process: ~10-20 ms apiece.  Falls back to eager
    evaluation where ``fn`` needs concrete intermediate values (Python control flow on
    array values)."""
    import jax
    try:
        return evaluate_now(fn)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
            jax.errors.TracerIntegerConversionError):
        return fn()


# Gauss-Legendre nodes on [-1, 1]; fixed at import so quadratures are pure array ops.
_GL_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] for ``n`` points (cached)."""
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


# --------------------------------------------------------------------------- fast paths
_FAST = [True]


@contextlib.contextmanager
def fast_paths(enabled: bool = True):
    """Switch the fast paths of this module (:func:`par_constant`, :func:`integrate_quadratic`,
    :func:`integrate_polynomial`) on or off inside the block; off, everything is computed
    directly (QCD running, quadratures), as in an eager call: the reference of the tests.
    The switch acts when a function is traced: jit a new function inside the block."""
    old = _FAST[0]
    _FAST[0] = bool(enabled)
    try:
        yield
    finally:
        _FAST[0] = old


# --------------------------------------------------------------------------- traced or not
def is_concrete(x) -> bool:
    """True unless ``x`` is a JAX tracer (a value known only when the program runs)."""
    import jax
    return not isinstance(x, jax.core.Tracer)


_concrete = is_concrete


class _ReadRecorder:
    """Read-only mapping view of ``par`` that records every key looked up (present or not)."""

    ABSENT = object()

    def __init__(self, par):
        self._par = par
        self.read = {}

    def __getitem__(self, k):
        try:
            v = self._par[k]
        except KeyError:
            self.read[k] = self.ABSENT
            raise
        self.read[k] = v
        return v

    def __contains__(self, k):
        try:
            self[k]
        except KeyError:
            return False
        return True

    def get(self, k, default=None):
        return self[k] if k in self else default

    def keys(self):
        return self._par.keys()

    def __iter__(self):
        return iter(self._par)

    def __len__(self):
        return len(self._par)

    def items(self):
        return [(k, self[k]) for k in self._par]

    def values(self):
        return [self[k] for k in self._par]


def _fingerprint(v):
    """Hashable identity of a concrete parameter value (None for a tracer)."""
    if v is _ReadRecorder.ABSENT:
        return ("absent",)
    if not _concrete(v):
        return None
    a = np.asarray(v)
    return (a.dtype.str, a.shape, a.tobytes())


def _param_reads(fn, par) -> dict:
    """{key: value} of the parameters that ``fn(par)`` reads (found by tracing it abstractly,
    nothing is computed); absent keys map to ``_ReadRecorder.ABSENT``."""
    import jax
    rec = _ReadRecorder(par)
    jax.eval_shape(lambda: fn(rec))
    return rec.read


def evaluate_now(f, *args):
    """f(*args) for concrete arguments, compiled as one program and run at once, also while a
    jit trace is active (its result is then a constant of that trace); numpy results.
    (Under ``jax.ensure_compile_time_eval`` a traced program would instead run op by op,
    each small op compiled on its own.)"""
    import jax
    out = jax.jit(f).lower(*args).compile()(*args)
    return jax.tree_util.tree_map(lambda x: np.asarray(x), out)


# --------------------------------------------------------------------------- caches
class _Bounded(dict):
    """dict that forgets its oldest entries beyond ``size`` (caches keyed on parameter
    values, which a scan over fixed parameters would otherwise grow without bound)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        while len(self) > self.size:
            del self[next(iter(self))]


_READS: dict = {}


def _reads_of(fn, par, static) -> tuple:
    """The parameter keys that ``fn(par)`` reads, found once per ``static`` by an abstract
    trace (they must not depend on the parameter values)."""
    if static not in _READS:
        _READS[static] = tuple(_param_reads(fn, par))
    return _READS[static]


# --------------------------------------------------------------------------- constants
_PC_CACHE: dict = _Bounded(4096)


def par_constant(fn):
    """Decorator for functions ``fn(par, *args)`` (``args`` hashable) of the parameters alone:
    when every parameter that ``fn`` reads is concrete (not a JAX tracer), the result is
    computed once per distinct value of those parameters, eagerly (also inside a jit trace),
    and returned as numpy constants; the traced program then holds the numbers instead of the
    computation (QCD running, SM mixing amplitudes, ...).  When one of them is traced (a
    sampled nuisance), ``fn`` is evaluated normally, so its gradient is kept.

    The parameters read are found by an abstract trace of ``fn`` (once per ``args``), so no
    list of them has to be maintained by hand; which ones are read must not depend on their
    values.  ``wrapper.uncached`` is the plain function."""
    import functools

    import jax

    @functools.wraps(fn)
    def wrapper(par, *args):
        if not _FAST[0]:
            return fn(par, *args)
        try:
            hash(args)
        except TypeError:                            # a traced argument
            return fn(par, *args)
        keys = _reads_of(lambda p: fn(p, *args), par, (fn, args))
        fps = tuple(_fingerprint(par[k] if k in par else _ReadRecorder.ABSENT) for k in keys)
        if any(fp is None for fp in fps):
            return fn(par, *args)                    # traced inputs: evaluate in the trace
        ident = (fn, args, fps)
        out = _PC_CACHE.get(ident)
        if out is None:
            def compute():
                with jax.ensure_compile_time_eval():   # concrete even inside a jit trace
                    res = fn(par, *args)
                return jax.tree_util.tree_map(lambda x: np.asarray(jax.device_get(x)), res)
            out = _PC_CACHE[ident] = disk_cache.cached(
                "par_constant", (fn.__module__, fn.__qualname__, args, fps), compute)
        return out

    wrapper.uncached = fn
    return wrapper


# --------------------------------------------------------------------------- quadratic forms
_QF_CACHE: dict = _Bounded(512)


def _ident(values: dict) -> tuple:
    return tuple(sorted((k, _fingerprint(v)) for k, v in values.items()))


def _other_inputs(fn, par, names, static):
    """The parameters other than ``names`` that ``fn(par)`` reads, {key: value}, or None when
    one of them is traced.  The set of keys read is found once per ``static`` (an abstract
    trace of ``fn``): it must not depend on the parameter values."""
    others = {}
    for k in _reads_of(fn, par, static):
        if k in names or k not in par:
            continue
        if not _concrete(par[k]):
            return None
        others[k] = par[k]
    return others


def _form_points(m: int):
    """Points p at which a homogeneous quadratic form of m variables determines its matrix
    (e_i, e_i + e_j for i < j) followed by one random check point."""
    iu, ju = np.triu_indices(m, k=1)
    eye = np.eye(m)
    check = np.random.default_rng(0).normal(size=(1, m))
    return np.concatenate([eye, eye[iu] + eye[ju], check])


def _form_matrix(F, m: int, key) -> np.ndarray:
    """The matrix H (on the last two axes) of a homogeneous quadratic form f(p) = 1/2 p^T H p
    (f may return an array) from its values F at :func:`_form_points` (points first); exact
    for a quadratic form: H_ii = 2 f(e_i), H_ij = f(e_i + e_j) - f(e_i) - f(e_j).  Checked at
    the random last point (rel. 1e-9)."""
    iu, ju = np.triu_indices(m, k=1)
    F = np.moveaxis(np.asarray(F), 0, -1)
    H = np.zeros(F.shape[:-1] + (m, m))
    d = np.arange(m)
    H[..., d, d] = 2.0 * F[..., :m]
    off = F[..., m:-1] - F[..., iu] - F[..., ju]
    H[..., iu, ju] = off
    H[..., ju, iu] = off
    p1 = _form_points(m)[-1]
    form = 0.5 * np.einsum("...ij,i,j->...", H, p1, p1)
    direct = F[..., -1]
    if not np.allclose(form, direct, rtol=1e-9, atol=1e-12 * np.max(np.abs(direct))):
        raise ValueError(f"{key}: kernel is not a quadratic form in the form-factor parameters")
    return H


def _contract(H, par, names):
    p = jnp.stack([jnp.asarray(par[k], dtype=float) for k in names])
    return 0.5 * jnp.einsum("...ij,i,j->...", H, p, p)


def integrate_quadratic(kernel, a, b, par: dict, names, key, n: int = 48):
    """``integrate_endpoint`` of ``kernel(q2, par)`` over [a, b] for kernels that are
    homogeneous quadratic forms in the parameters ``names`` (form-factor coefficients:
    rates are squares of amplitudes linear in them).

    The integral then equals 1/2 p^T H p with H its (constant) matrix in p = par[names]:
    H is computed once, exactly (from the integrals at p = e_i and e_i + e_j, checked at a
    random point), per ``key``, bin edges and values of the other parameters the kernel
    reads, and the call costs one small contraction (value and gradient exact).
    Falls back to the quadrature when nothing is traced (an eager call) or when the edges or
    another parameter the kernel reads are traced (e.g. a sampled mass); parameters it does
    not read may be traced.
    ``kernel`` may return a vector (several kernels at once); a, b may be arrays of bins."""
    import jax
    names = list(names)
    traced = not all(_concrete(par[k]) for k in names)
    if not (_FAST[0] and traced and _concrete(a) and _concrete(b)):
        return _integrate_vector(kernel, a, b, par, n)
    others = _other_inputs(lambda p: kernel(jnp.linspace(0.1, 1.0, n), p), par, names,
                           ("quadratic", key, tuple(names), n))
    if others is None:
        return _integrate_vector(kernel, a, b, par, n)
    a_np, b_np = np.asarray(a, float), np.asarray(b, float)
    ident = (key, tuple(names), n, a_np.shape, a_np.tobytes(), b_np.tobytes(), _ident(others))
    H = _QF_CACHE.get(ident)
    if H is None:
        def integral(p, oth):
            pp = {**oth, **dict(zip(names, p))}
            return _integrate_vector(kernel, jnp.ravel(a_np), jnp.ravel(b_np), pp, n)
        def compute():
            F = evaluate_now(jax.vmap(integral, in_axes=(0, None)), _form_points(len(names)),
                             others)
            return _form_matrix(F, len(names), key)
        H = _QF_CACHE[ident] = disk_cache.cached("quadratic", ident, compute)
    out = _contract(H, par, names)
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


# --------------------------------------------------------------------------- coupling polynomials
_POLY_CACHE: dict = _Bounded(512)


def _poly_monomials(z, xp=jnp):
    """(1, z_i, w_ij z_i z_j for i <= j) with w = 1/2 on the diagonal: the monomials whose
    coefficients are (f(0), grad f(0), Hessian upper triangle) of a quadratic f."""
    iu, ju = np.triu_indices(z.shape[0])
    w = np.where(iu == ju, 0.5, 1.0)
    return xp.concatenate([xp.ones((1,), dtype=z.dtype), z, w * z[iu] * z[ju]])


def _polarization(m: int):
    """Evaluation points z (real and imaginary parts of m coefficients, 2m components) and
    the matrix M with (f(0), grad f(0), Hessian upper triangle) = M @ f(points) for every
    quadratic polynomial f (exact: points 0, +-e_i, e_i + e_j; entries 0, +-1/2, +-1, -2)."""
    nz = 2 * m
    iu, ju = np.triu_indices(nz)
    eye = np.eye(nz)
    off = [(i, j) for i, j in zip(iu, ju) if i < j]
    pts = np.concatenate([np.zeros((1, nz)), eye, -eye]
                         + [(eye[i] + eye[j])[None] for i, j in off])
    M = np.zeros((1 + nz + len(iu), len(pts)))
    M[0, 0] = 1.0
    plus = lambda i: 1 + i               # noqa: E731
    minus = lambda i: 1 + nz + i         # noqa: E731
    for i in range(nz):
        M[1 + i, plus(i)], M[1 + i, minus(i)] = 0.5, -0.5
    pair = {ij: 1 + 2 * nz + k for k, ij in enumerate(off)}
    for t, (i, j) in enumerate(zip(iu, ju)):
        row = M[1 + nz + t]
        if i == j:       # H_ii = f(e_i) + f(-e_i) - 2 f(0)
            row[plus(i)], row[minus(i)], row[0] = 1.0, 1.0, -2.0
        else:            # H_ij = f(e_i + e_j) - f(e_i) - f(e_j) + f(0)
            row[pair[(i, j)]], row[plus(i)], row[plus(j)], row[0] = 1.0, -1.0, -1.0, 1.0
    return pts, M


def integrate_polynomial(rate, coeffs: dict, a, b, par: dict, names=(), key=None,
                         n: int = 48):
    """``integrate_endpoint`` of ``rate(q2, coeffs, par)`` (q2: array of nodes) over [a, b]
    for rates that are real polynomials of degree <= 2 in the real and imaginary parts of the
    coefficient values (squared amplitudes affine in the coefficients: SM + new physics)
    and, if ``names`` are given, homogeneous quadratic forms in the parameters ``names``
    (form-factor coefficients).

    ``coeffs`` holds the coefficients the rate depends on that are present (absent ones are
    zero; ``rate`` must read them with ``coeffs.get(k, 0.0)`` or ``coeffs[k]``).  ``key``
    identifies ``rate`` with its static arguments (the caches are keyed on it).

    When coefficients or ``names`` are traced (a fit) and the edges and the other parameters
    the rate reads are not, the integral is returned as the polynomial

        sum_T P_T m_T(z),  z = (Re C_1, Im C_1, ...),  m = (1, z_i, z_i z_j),

    whose coefficients P_T (integrals of the value, gradient and Hessian of the rate in z at
    z = 0, obtained exactly from its values at z = 0, +-e_i, e_i + e_j) are constants computed
    once (concrete ``names``) or exact quadratic forms in the traced ``names`` (as in
    :func:`integrate_quadratic`).  Both are checked against the direct quadrature at a random
    point when first built.  Otherwise (nothing traced: eager calls, or traced edges or other
    parameters) the rate is integrated directly, as :func:`integrate_endpoint` would."""
    keys = list(coeffs)
    cvals = [coeffs[k] for k in keys]
    names = list(names)
    names_concrete = all(_concrete(par[k]) for k in names)
    coeffs_concrete = all(_concrete(v) for v in cvals)

    def direct():
        return _integrate_vector(lambda q, p: rate(q, coeffs, p), a, b, par, n)

    if (not _FAST[0] or (names_concrete and coeffs_concrete)
            or not (_concrete(a) and _concrete(b))):
        return direct()
    zero = {k: 0j for k in keys}
    others = _other_inputs(lambda p: rate(jnp.linspace(0.1, 1.0, n), zero, p), par, names,
                           ("polynomial", key, tuple(keys), tuple(names), n))
    if others is None:
        return direct()
    a_np, b_np = np.asarray(a, float), np.asarray(b, float)
    fixed = {**others, **({k: par[k] for k in names} if names_concrete else {})}
    ident = (key, tuple(keys), tuple(names), names_concrete, n, a_np.shape, a_np.tobytes(),
             b_np.tobytes(), _ident(fixed))
    P = _POLY_CACHE.get(ident)
    if P is None:
        P = _POLY_CACHE[ident] = disk_cache.cached(
            "polynomial", ident, lambda: _polynomial_setup(rate, keys, names, names_concrete,
                                                           a_np, b_np, fixed, n, key))
    if not np.any(P):
        # structurally zero (e.g. a lepton-flavour-violating rate without its coefficients)
        return jnp.zeros(a_np.shape)
    if not names_concrete:
        P = _contract(P, par, names)                  # (T, m, m) -> (T,)
    if keys:
        z = jnp.stack([x for v in cvals for x in (jnp.real(jnp.asarray(v)),
                                                  jnp.imag(jnp.asarray(v)))])
    else:
        z = jnp.zeros((0,))
    return jnp.tensordot(P, _poly_monomials(z.astype(float)), axes=(-1, 0))


def _polynomial_setup(rate, keys, names, names_concrete, a_np, b_np, fixed, n, key):
    """The constant part of :func:`integrate_polynomial`, computed in one compiled program:
    the polynomial coefficients P (T,) (``names_concrete``) or their quadratic-form matrices
    (T, m, m) in the parameters ``names``; checked against the direct quadrature at a
    random coefficient point (and random ``names`` values)."""
    import jax
    pts, M = _polarization(len(keys))
    cpts = pts[:, 0::2] + 1j * pts[:, 1::2]                   # (points, coefficients)
    zr = np.random.default_rng(0).normal(size=2 * len(keys))
    crand = {k: complex(zr[2 * i], zr[2 * i + 1]) for i, k in enumerate(keys)}

    def kernel(q2, p):
        """Polynomial coefficients of the rate at the nodes q2: (len(q2), T)."""
        if not keys:
            return rate(q2, {}, p)[..., None]
        F = jax.vmap(lambda c: rate(q2, dict(zip(keys, c)), p))(cpts)
        return jnp.tensordot(F, M, axes=(0, 1))

    def both(p):
        return (_integrate_vector(kernel, a_np, b_np, p, n),
                _integrate_vector(lambda q, pp: rate(q, crand, pp), a_np, b_np, p, n))

    if names_concrete:
        P, direct = evaluate_now(both, fixed)
        form = P @ _poly_monomials(zr, np)
    else:
        fpts = _form_points(len(names))

        def at(x, oth):
            return both({**oth, **dict(zip(names, x))})
        F, D = evaluate_now(jax.vmap(at, in_axes=(0, None)), fpts, fixed)
        P = _form_matrix(F, len(names), key)                 # (T, m, m)
        form, direct = F[-1] @ _poly_monomials(zr, np), D[-1]  # at the random point
    scale = max(np.max(np.abs(direct)), np.max(np.abs(form)))
    if not np.allclose(form, direct, rtol=1e-9, atol=1e-12 * scale):
        raise ValueError(f"{key}: the rate is not a quadratic polynomial in the "
                         f"coefficients {keys[:4]}")
    return P
