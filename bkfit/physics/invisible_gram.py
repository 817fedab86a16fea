r"""Light-invisible pair rates at the cost of a contraction: the dark Gram matrices.

The direction-averaged squared amplitude of a pair family (``invisible.msq_averaged``) is a
Hermitian form in the "slots" a (one per operator and J = 0 / J = 1 part):

    <sum |M|^2> = sum_ab H0_ab X0_ab + 1/3 sum_ab H1_ab X1_ab ,
    H_ab = sum_{eta, i} h_a h_b^*   (hadronic: coefficients x form factors, per K(*) helicity)
    X_ab = sum_{c, k} d_a d_b^*     (dark: summed over dark spins c and components k)

The dark Gram matrices X depend only on the pair's energy E = sqrt(q^2)/2 and mass m, not on
the couplings or the form factors.  They are rotation invariant (functions of |p|^2 = E^2 -
m^2), homogeneous in (E, m) and finite at m -> 0, hence

    X_ab(E, m) = E^(d_ab) P_ab(u),   u = m / E in [0, 1],

with P_ab a polynomial (spin sums of spinor bilinears and polarisation sums are polynomials
in the momenta; the 1/m^2 of massive polarisation sums cancels against the m^n of the seed's
C = m^n Chat).  :func:`build` evaluates the explicit-amplitude code of ``invisible.py`` (the
reference, kept off the likelihood path) once at Chebyshev nodes in u, checks homogeneity and
that the Chebyshev series terminates (both are exact properties, violated only by a bug), and
stores the coefficients.  On the likelihood path a rate then costs the hadronic amplitudes
and a Clenshaw sum per slot pair; the form-factor nuisances enter through H as before.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

_NODES = 24          # Chebyshev nodes in u (the polynomials found have degree <= 8)
_TAIL = 1e-12        # relative size of the coefficients dropped after the series ends


class GramTable(NamedTuple):
    """Chebyshev coefficients of the dark Gram matrices of one family and field type."""
    keys: tuple            # operator keys with a non-vanishing dark structure
    gammas: dict           # key -> quark Gamma ('S', 'P', 'V', 'A', 'T', 'T5')
    slots0: dict           # key -> indices of its J = 0 slots in X0
    slots1: dict           # key -> indices of its J = 1 slots in X1
    deg0: np.ndarray       # (n0, n0) homogeneity degree in E
    cheb0: np.ndarray      # (n0, n0, K) complex Chebyshev coefficients in t = 2u - 1
    deg1: np.ndarray
    cheb1: np.ndarray
    factor: float          # 1/2 for identical particles (real fields, Majorana)


def tensor_EB(d):
    """(E, B) of contravariant antisymmetric tensors d[..., 4, 4]."""
    E = d[..., 0, 1:]
    B = jnp.stack([d[..., 2, 3], d[..., 3, 1], d[..., 1, 2]], axis=-1)
    return E, B


def dark_slots(Q, d):
    """Split one operator's dark structure ``d`` into J = 0 and J = 1 slots, in the order
    of :func:`hadronic_slots` (S/P: J0; V/A: J0 time part + J1 spatial; T/T5: J1 E and B)."""
    if Q in ("S", "P"):
        return [d], []
    if Q in ("V", "A"):
        return [d[:, 0]], [d[:, 1:]]
    dE, dB = tensor_EB(d)
    return [], [dE, dB]


def hadronic_slots(Q, C, had):
    """The hadronic partner of :func:`dark_slots`: C times the helicity amplitudes, with
    the signs of J.D = J0 D0 - J.D and T.D = -2 E_T.E_D + 2 B_T.B_D."""
    if Q in ("S", "P"):
        return [C * had[Q]], []
    if Q in ("V", "A"):
        h0, hv = had[Q]
        return [C * h0], [-C * hv]
    hE, hB = had[Q]
    return [], [-2.0 * C * hE, 2.0 * C * hB]


def _fit(values, nodes):
    """Chebyshev coefficients (in t = 2u - 1) of values[..., j] sampled at u = nodes[j];
    checks that the series ends well before the number of nodes (an exact polynomial)."""
    t = 2.0 * nodes - 1.0
    V = np.polynomial.chebyshev.chebvander(t, len(nodes) - 1)
    coef = np.linalg.solve(V, values.reshape(-1, len(nodes)).T).T
    scale = max(np.max(np.abs(coef)), 1e-300)
    big = np.nonzero(np.max(np.abs(coef), axis=0) > _TAIL * scale)[0]
    K = int(big[-1]) + 1 if big.size else 1
    if K > len(nodes) - 6:
        raise RuntimeError(f"dark Gram matrix is not a polynomial in m/E (degree {K})")
    return coef[:, :K].reshape(values.shape[:-1] + (K,))


def build(family, flags: tuple) -> GramTable:
    """Tabulate the dark Gram matrices of ``family`` (an ``invisible._PairFamily``) for the
    field-type flags ``flags`` (``family.flag_values``) from its explicit dark structures."""
    nodes = 0.5 * (1.0 - np.cos(np.pi * (np.arange(_NODES) + 0.5) / _NODES))   # u in (0, 1)
    base = dict(zip(family.flag_keys, flags))
    found = {}                       # filled while tracing: key -> (Gamma, factor)

    def slots_at(q2, m):
        out = {}
        for key in family.op_keys:
            ops, fac = family.dark_ops(q2, m, {**base, key: 1.0})
            if ops:
                (Q, _, d), = ops
                found[key] = (Q, fac)
                out[key] = dark_slots(Q, d)
        return out

    # one compiled evaluation at all nodes, for E = 1 and E = 2 (homogeneity check)
    E = np.repeat([1.0, 2.0], _NODES)
    with jax.ensure_compile_time_eval():     # concrete even when first asked inside a jit
        vals = jax.jit(jax.vmap(slots_at))(jnp.asarray(4.0 * E * E),
                                           jnp.asarray(np.tile(nodes, 2) * E))
        vals = jax.tree_util.tree_map(np.asarray, vals)
    keys = [k for k in family.op_keys if k in found]
    factor = found[keys[0]][1] if keys else 1.0
    slots = ({}, {})
    arrays = ([], [])
    for key in keys:
        for part in (0, 1):
            n = len(arrays[part])
            arrays[part].extend(np.asarray(x) for x in vals[key][part])
            slots[part][key] = list(range(n, len(arrays[part])))

    def grams(rows, part):
        """X_ab at the nodes ``rows``: shape (n, n, nodes)."""
        if not arrays[part]:
            return np.zeros((0, 0, _NODES), complex)
        a = np.stack([d[rows].reshape(_NODES, -1) for d in arrays[part]], axis=1)
        return np.einsum("jsf,jtf->stj", a, a.conj())

    tables = []
    for part in (0, 1):
        g1, g2 = grams(slice(0, _NODES), part), grams(slice(_NODES, None), part)
        deg = np.zeros(g1.shape[:2], int)
        for a, b in np.ndindex(*deg.shape):
            big = np.abs(g1[a, b]) > 1e-12 * max(np.max(np.abs(g1)), 1e-300)
            if big.any():
                r = np.abs(g2[a, b][big] / g1[a, b][big])
                deg[a, b] = int(round(np.log2(np.median(r))))
                if not np.allclose(g2[a, b], 2.0 ** deg[a, b] * g1[a, b], rtol=1e-9,
                                   atol=1e-12 * np.max(np.abs(g2))):
                    raise RuntimeError("dark Gram matrix is not homogeneous in (E, m)")
        tables.append((deg, _fit(g1, nodes) if g1.size else np.zeros(g1.shape[:2] + (1,))))
    (deg0, cheb0), (deg1, cheb1) = tables
    return GramTable(tuple(keys), {k: found[k][0] for k in keys}, slots[0], slots[1], deg0,
                     cheb0, deg1, cheb1, float(factor))


@functools.lru_cache(maxsize=None)
def table(family, flags: tuple) -> GramTable:
    """:func:`build`, once per family and field type."""
    return build(family, flags)


def _clenshaw(coef, t):
    """sum_k coef[..., k] T_k(t) (coef: numpy, t: scalar JAX)."""
    K = coef.shape[-1]
    b1 = jnp.zeros(coef.shape[:-1], complex)
    b2 = jnp.zeros(coef.shape[:-1], complex)
    for k in range(K - 1, 0, -1):
        b1, b2 = 2.0 * t * b1 - b2 + coef[..., k], b1
    return t * b1 - b2 + coef[..., 0]


def _contract(h, coef, deg, E, t):
    if not h:
        return 0.0
    h = jnp.stack([x.reshape(x.shape[0], -1) for x in h], axis=1)     # (eta, s, comp)
    H = jnp.einsum("esi,eti->st", h, jnp.conj(h))
    X = _clenshaw(coef, t) * E ** jnp.asarray(deg, dtype=float)
    return jnp.real(jnp.sum(H * X))


def msq(tab: GramTable, had, couplings: dict, E, m):
    """<sum |M|^2> (times the identical-particle factor) from the table, for the couplings
    ``{key: C}`` of the active operators and the hadronic amplitudes ``had``."""
    act = [k for k in tab.keys if k in couplings]
    if not act:
        return jnp.zeros_like(E)
    h0, h1 = [], []
    for k in act:
        a, b = hadronic_slots(tab.gammas[k], couplings[k], had)
        h0 += a
        h1 += b
    i0 = np.array([i for k in act for i in tab.slots0[k]], int)
    i1 = np.array([i for k in act for i in tab.slots1[k]], int)
    u = jnp.clip(m / E, 0.0, 1.0)
    t = 2.0 * u - 1.0
    out = _contract(h0, tab.cheb0[np.ix_(i0, i0)], tab.deg0[np.ix_(i0, i0)], E, t) if i0.size \
        else 0.0
    if i1.size:
        out = out + _contract(h1, tab.cheb1[np.ix_(i1, i1)], tab.deg1[np.ix_(i1, i1)], E,
                              t) / 3.0
    return tab.factor * out
