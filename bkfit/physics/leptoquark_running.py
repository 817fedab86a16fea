r"""Leptoquark running: SMEFT at mu = M -> WET (flavio basis) at 4.8 GeV, as a linear map.

The tree-level SMEFT coefficients a leptoquark induces at its mass (``lq1``, ``lq3``, ``ld``,
``lequ1``, ``lequ3``; Warsaw basis, down-quark mass basis, GeV^-2) are run to m_W, matched to
the WET and run to 4.8 GeV exactly as the ``wilson`` package does; because the running is
linear in the dimension-6 coefficients, ``wilson`` is called only once, offline
(bkfit/inputs/refresh_lq_running.py), for unit inputs on a grid in ln M, and the result is read
from ``bkfit/inputs/data/lq_running.yaml`` and interpolated with a cubic spline in ln M (scipy's
``CubicSpline``, not-a-knot; evaluated in jnp, so differentiable in M).

Conventions (see the data file's ``notes``):

* ``T[op][l, j, i, k]``: coefficient of ``op_{l j i k}`` (lepton indices l, j; quark indices
  i, k; 0-based here) for the hermitian operators ``lq1``, ``lq3``, ``ld`` (all 81 entries,
  T[l, j, i, k] = conj(T[j, l, k, i]));
* ``E[op][p, r, k]``: coefficient of ``op_{p r 3 k}`` for ``lequ1``, ``lequ3`` (p doublet
  lepton, r singlet lepton, quark doublet b, up-type singlet k);
* the result ``out[X][l, j]`` for the output types ``OUTPUT_TYPES``: the coefficient of the
  operator in L_eff (GeV^-2) for the lepton pair of ``op_{l j ..}`` (for ``lequ``:
  l = r, j = p), so that a b -> s output names ``{X}_bsnu{j}nu{l}`` / ``{X}_bs{j}{l}`` and a
  b -> c output ``{X}_bc{l}nu{j}`` in WCxf (see bkfit/models/leptoquarks.py).

The map per lepton pair is taken from inputs with lepton indices (tau, tau): ``same`` (stays in
the pair) plus, for lepton-diagonal pairs, ``univ`` x (sum over the diagonal inputs) from gauge
penguins.  For lepton-diagonal hermitian inputs the map is exact (real-linear in the real and
imaginary parts of each stored entry); for lepton-flavour-violating pairs it assumes the
running is complex-linear within each pair (true for gauge and Yukawa running of a coefficient
matrix; wilson 2.x cannot check it: it drops the phase of LFV entries).  Lepton-Yukawa effects
(~1e-6) are neglected.
"""
from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

HERMITIAN_OPS = ("lq1", "lq3", "ld")
LEQU_OPS = ("lequ1", "lequ3")
OUTPUT_TYPES = ("CL_bsnu", "CR_bsnu", "C9_bs", "C10_bs", "C9p_bs", "C10p_bs",
                "CVL_bc", "CVR_bc", "CSL_bc", "CSR_bc", "CT_bc")
# the same, as the data file names them (lepton indices dropped from the WCxf names)
STORED_OUTPUTS = ("CL_bsnunu", "CR_bsnunu", "C9_bs", "C10_bs", "C9p_bs", "C10p_bs", "CVL_bcnu",
                  "CVR_bcnu", "CSL_bcnu", "CSR_bcnu", "CT_bcnu")
FILE = "lq_running.yaml"


class _Spline:
    """Cubic spline in ln M (TeV) of arrays, from scipy's CubicSpline; jnp evaluation."""

    def __init__(self, masses_tev, values):
        from scipy.interpolate import CubicSpline
        x = np.log(np.asarray(masses_tev, dtype=float))
        values = np.asarray(values)
        self.x = jnp.asarray(x)
        parts = [CubicSpline(x, values.real, axis=0).c, CubicSpline(x, values.imag, axis=0).c]
        self.c = jnp.asarray(parts[0] + 1j * parts[1]) if np.iscomplexobj(values) \
            else jnp.asarray(parts[0])
        self.masses = tuple(float(m) for m in masses_tev)

    def __call__(self, mass_tev):
        """Spline value at ``mass_tev`` (end polynomials continue outside the grid)."""
        xq = jnp.log(mass_tev)
        i = jnp.clip(jnp.searchsorted(self.x, xq) - 1, 0, self.x.shape[0] - 2)
        dx = xq - self.x[i]
        c = self.c[:, i]
        return ((c[0] * dx + c[1]) * dx + c[2]) * dx + c[3]


@functools.lru_cache(maxsize=1)
def running_map() -> dict:
    """The map of the data file as splines: {'K': {op: spline of (3, 3, n_out)},
    'B': {op: ...} (universal part), 'R'/'I': {lequ op: spline of (3, n_out)} (+ 'BR', 'BI'),
    'box': {'VLL': spline, 'VRR': spline}, 'masses': grid}."""
    from ..inputs.data_files import read_yaml
    d = read_yaml(FILE)
    outputs = tuple(d["outputs"])
    if outputs != STORED_OUTPUTS:
        raise ValueError(f"{FILE}: outputs {outputs} differ from {STORED_OUTPUTS}; regenerate "
                         "it with python -m bkfit.inputs.refresh_lq_running")
    masses = d["masses_TeV"]
    same = np.asarray(d["same"]["re"]) + 1j * np.asarray(d["same"]["im"])
    univ = np.asarray(d["univ"]["re"]) + 1j * np.asarray(d["univ"]["im"])
    nm, nout = len(masses), len(outputs)
    K = {op: np.zeros((nm, 3, 3, nout), complex) for op in HERMITIAN_OPS}
    B = {op: np.zeros((nm, 3, 3, nout), complex) for op in HERMITIAN_OPS}
    R = {op: np.zeros((nm, 3, nout), complex) for op in LEQU_OPS}
    I_ = {op: np.zeros((nm, 3, nout), complex) for op in LEQU_OPS}
    BR = {op: np.zeros((nm, 3, nout), complex) for op in LEQU_OPS}
    BI = {op: np.zeros((nm, 3, nout), complex) for op in LEQU_OPS}
    cols = {tuple(c): n for n, c in enumerate(d["columns"])}
    for (op, i, k, part), n in cols.items():
        i, k = int(i) - 1, int(k) - 1
        if op in LEQU_OPS:
            (R if part == "re" else I_)[op][:, k] = same[:, n]
            (BR if part == "re" else BI)[op][:, k] = univ[:, n]
            continue
        for tgt, src in ((K, same), (B, univ)):
            if i == k:
                tgt[op][:, i, i] = src[:, n]
            elif part == "re":            # resp(E_ik) = (R - i I)/2, resp(E_ki) = (R + i I)/2
                tgt[op][:, i, k] += src[:, n] / 2
                tgt[op][:, k, i] += src[:, n] / 2
            else:
                tgt[op][:, i, k] += -1j * src[:, n] / 2
                tgt[op][:, k, i] += 1j * src[:, n] / 2
    return {
        "K": {op: _Spline(masses, v) for op, v in K.items()},
        "B": {op: _Spline(masses, v) for op, v in B.items()},
        "R": {op: _Spline(masses, v) for op, v in R.items()},
        "I": {op: _Spline(masses, v) for op, v in I_.items()},
        "BR": {op: _Spline(masses, v) for op, v in BR.items()},
        "BI": {op: _Spline(masses, v) for op, v in BI.items()},
        "box": {k: _Spline(masses, np.asarray(v, dtype=float)) for k, v in d["box"].items()},
        "masses": tuple(float(m) for m in masses),
        "source": d["source"],
    }


def run_to_wet(T: dict, E: dict, mass_tev) -> jnp.ndarray:
    """L_eff coefficients (GeV^-2) at 4.8 GeV, array ``out[X, l, j]`` (X in OUTPUT_TYPES),
    from the SMEFT coefficients at mu = M: ``T[op]`` (3, 3, 3, 3) for op in HERMITIAN_OPS and
    ``E[op]`` (3, 3, 3) for op in LEQU_OPS (missing = zero); pure jnp."""
    rm = running_map()
    out = jnp.zeros((len(OUTPUT_TYPES), 3, 3), dtype=complex)
    eye = jnp.eye(3)
    for op, t in T.items():
        K, B = rm["K"][op](mass_tev), rm["B"][op](mass_tev)           # (3, 3, n_out)
        out = out + jnp.einsum("ikx,ljik->xlj", K, t)
        diag = jnp.einsum("mmik->ik", t)
        out = out + jnp.einsum("ikx,ik,lj->xlj", B, diag, eye)
    for op, e in E.items():
        R, I_ = rm["R"][op](mass_tev), rm["I"][op](mass_tev)           # (3, n_out)
        # pair (l, j) = (r, p): e[p, r, k]
        out = out + jnp.einsum("kx,prk->xrp", R, jnp.real(e)) \
            + jnp.einsum("kx,prk->xrp", I_, jnp.imag(e))
        dr = jnp.einsum("mmk->k", jnp.real(e))
        di = jnp.einsum("mmk->k", jnp.imag(e))
        out = out + jnp.einsum("x,lj->xlj", rm["BR"][op](mass_tev).T @ dr
                               + rm["BI"][op](mass_tev).T @ di, eye)
    return out


def box_running(key: str, mass_tev):
    """C(4.8 GeV)/C(M) of the B_s-mixing operator ``'VLL'`` or ``'VRR'`` (wilson's WET
    running, spline in ln M)."""
    return running_map()["box"][key](mass_tev)
