r"""Dirac and Lorentz algebra of bkfit's explicit amplitudes (light invisible pairs, the b -> s nu nu
scalar/tensor operators): Weyl-representation gamma matrices, gamma5 = i g0 g1 g2 g3,
sigma^{mu nu} = i/2 [g^mu, g^nu], metric (+,-,-,-), eps^{0123} = -1, and the small contractions
built on them.  Conventions: ``docs/invisible.md``."""
from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np

_S1 = np.array([[0, 1], [1, 0]], complex)
_S2 = np.array([[0, -1j], [1j, 0]], complex)
_S3 = np.array([[1, 0], [0, -1]], complex)
_Z2 = np.zeros((2, 2), complex)
_I2 = np.eye(2, dtype=complex)
_G_NP = np.array([np.block([[_Z2, _I2], [_I2, _Z2]])]
                 + [np.block([[_Z2, s], [-s, _Z2]]) for s in (_S1, _S2, _S3)])   # Weyl rep.
_G5_NP = 1j * _G_NP[0] @ _G_NP[1] @ _G_NP[2] @ _G_NP[3]
_METRIC = np.diag([1.0, -1.0, -1.0, -1.0])
_SIG_NP = np.array([[0.5j * (_G_NP[m] @ _G_NP[n] - _G_NP[n] @ _G_NP[m]) for n in range(4)]
                    for m in range(4)])
_EPS_NP = np.zeros((4, 4, 4, 4))
for _p in itertools.permutations(range(4)):
    _EPS_NP[_p] = -np.linalg.det(np.eye(4)[list(_p)])      # eps^{0123} = -1


def _dual_constant() -> complex:
    """c with sigma^{mu nu} g5 = c eps^{mu nu rho sigma} sigma_{rho sigma} (checked)."""
    sig_low = np.einsum("ra,sb,abij->rsij", _METRIC, _METRIC, _SIG_NP)
    rhs = np.einsum("mnrs,rsij->mnij", _EPS_NP, sig_low)
    lhs = np.einsum("mnij,jk->mnik", _SIG_NP, _G5_NP)
    i = np.unravel_index(np.argmax(np.abs(rhs)), rhs.shape)
    c = lhs[i] / rhs[i]
    assert np.allclose(lhs, c * rhs)
    return complex(c)


C_DUAL = _dual_constant()           # = -i/2 in these conventions
# numpy, not jax arrays: module constants built at import must not run (and compile)
# eager jax operations; inside jitted code they become constants all the same
G = _G_NP
G5 = _G5_NP
SIG = _SIG_NP
EPS = _EPS_NP
METRIC = _METRIC
ETA_DIAG = np.asarray([1.0, -1.0, -1.0, -1.0])


def low(v):
    """Lower the Lorentz index of contravariant vectors (last axis)."""
    return v * ETA_DIAG


def eps_contract(a, b, c):
    """eps^{mu nu rho sigma} a_nu b_rho c_sigma (inputs contravariant, batched on axis 0)."""
    return jnp.einsum("mnrs,...n,...r,...s->...m", EPS, low(a), low(b), low(c))


def dot(a, b):
    """Minkowski product a.b over the last axis."""
    return jnp.sum(a * b * ETA_DIAG, axis=-1)
