"""The Belle II reference ("null") SM spectrum of B+ -> K+ nu nu and its 101 bin integrals.

Belle II generated the q^2 reweighting maps of its B+ -> K+ nu nu likelihood
(arXiv:2311.14647, reinterpretation material arXiv:2507.12393) with the spectrum

    dB/dq2 = tau_B G_F^2 alpha^2 X_t^2 |V_tb V_ts*|^2 / (32 pi^5 sin^4 theta_W)
             * |p_K|^3 * f+(q2)^2,        |p_K| = sqrt(lambda(m_B^2, m_K^2, q2)) / (2 m_B)

(arXiv:2207.13371, eq. 16) and the HPQCD f+ (arXiv:2207.12468), see
``bkfit.physics.formfactors.fplus_hpqcd``.  The numbers are not bkfit's parameters: they
are the fixed constants of that reference spectrum, read from
``likelihoods/belle2_kpnunu_2023/null_spectrum.yaml`` (parsed by the caller and handed in
as a plain dict; this module does no file I/O).

The reweighting weights are w_j = A_j / N_j with N_j the integral of this spectrum over the
true-q^2 bin j of the maps: column 0 is the sentinel bin [-1, 0) (no physical rate; N_0 = 0),
columns 1..100 are the uniform bins of [0, 22.885] GeV^2.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .common import gauss_legendre, kallen_pos
from .formfactors import fplus_hpqcd


def constants_from_yaml(data: dict) -> dict:
    """Flatten the parsed ``null_spectrum.yaml`` into ``{name: value}`` plus the derived
    ``tau_B`` (GeV^-1) and ``alpha``."""
    c = {k: float(v["value"]) for k, v in data["constants"].items()}
    c["tau_B"] = c["tau_B_ps"] * 1e-12 / c["hbar_GeV_s"]
    c["alpha"] = 1.0 / c["alpha_inv"]
    return c


def bin_edges(data: dict) -> np.ndarray:
    """The 102 edges of the map columns: the sentinel's lower edge, then the 101 edges of
    the 100 physical bins (``[-1] + linspace(0, 22.885, 101)``)."""
    b = data["bins"]
    phys = np.linspace(float(b["q2_low"]), float(b["q2_high"]), int(b["n"]) + 1)
    return np.concatenate([[float(b["sentinel"][0])], phys])


def normalisation(c: dict):
    """Everything in dB/dq2 except |p_K|^3 f+^2 (GeV^-4 x GeV^-1 ... -> dB/dq2 in GeV^-2)."""
    return (c["tau_B"] * c["GF"] ** 2 * c["alpha"] ** 2 * c["Xt"] ** 2 * c["VtbVts"] ** 2
            / (32.0 * np.pi ** 5 * c["s2w"] ** 2))


def fplus(q2, c: dict):
    """HPQCD f+(q2) with the reference constants."""
    return fplus_hpqcd(q2, c)


def dbr_dq2(q2, c: dict):
    """Reference dB/dq2(B+ -> K+ nu nu) in GeV^-2; zero outside 0 <= q2 <= (m_B - m_K)^2."""
    q2 = jnp.asarray(q2)
    mB, mK = c["m_B"], c["m_K"]
    lam = kallen_pos(mB ** 2, mK ** 2, q2)
    pk3 = lam ** 1.5 / (2.0 * mB) ** 3
    inside = (q2 >= 0.0) & (q2 <= (mB - mK) ** 2)
    q2s = jnp.where(inside, q2, 0.0)          # keep f+ away from its pole/branch cut
    return jnp.where(inside, normalisation(c) * pk3 * fplus(q2s, c) ** 2, 0.0)


def bin_integrals(edges, c: dict, n: int = 64):
    """N_j = integral of ``dbr_dq2`` over each bin [edges[j], edges[j+1]] (Gauss-Legendre with
    ``n`` nodes per bin).  The last bin ends 2e-4 GeV^2 below the lambda^(3/2) branch point,
    which slows the convergence there: n = 24 / 48 / 64 / 96 give 1e-8 / 5e-11 / 3e-12 /
    5e-15 relative accuracy in that bin (vs n = 400), all others are exact to ~1e-15.
    Bins below q2 = 0 give 0."""
    edges = jnp.asarray(edges, dtype=float)
    lo, hi = edges[:-1], edges[1:]
    x, w = gauss_legendre(n)
    half = 0.5 * (hi - lo)[:, None]
    mid = 0.5 * (hi + lo)[:, None]
    q2 = mid + half * jnp.asarray(x)[None, :]
    return jnp.sum(half * jnp.asarray(w)[None, :] * dbr_dq2(q2, c), axis=1)


def total_br(c: dict, q2max: float | None = None, n: int = 200):
    """Integral of the reference spectrum over [0, q2max] (default: the kinematic endpoint)."""
    end = (c["m_B"] - c["m_K"]) ** 2 if q2max is None else q2max
    # substitution q2 = end * (1 - (1-t)^2) smooths the lambda^(3/2) endpoint behaviour
    x, w = gauss_legendre(n)
    t = 0.5 * (jnp.asarray(x) + 1.0)
    q2 = end * (1.0 - (1.0 - t) ** 2)
    jac = end * 2.0 * (1.0 - t)
    return 0.5 * jnp.sum(jnp.asarray(w) * jac * dbr_dq2(q2, c))
