r"""Further constraints on the vector-like quark + real scalar dark-matter model
(He, Ma, Schmidt, Valencia, Volkas, JHEP 07 (2024) 168, arXiv:2403.12485, Sec. 5): pure JAX.
Derivations, conventions and tests: docs/vlq.md; inputs: bkfit/inputs/data/vlq_constraints.yaml
and the parameter database.  One module per process: ``radiative`` (dipoles, B -> X_s gamma),
``meson_mixing`` (Delta F = 2), ``hgammagamma`` (kappa_gamma), ``charm`` (D0 -> (pi0) phi phi);
``shared`` holds the data file and the SM-piece cache.

Matching (called from bkfit.physics.vlq.left_coefficients; the heavy sector is Q_d, D with
the mass matrix M = [[m_Q, y1 v/sqrt2], [y2^* v/sqrt2, m_D]] in (Qbar_L, Dbar_L) x (Q_R, D_R)):

* one-loop dipoles b -> s gamma, b -> s g (phi neutral: the photon/gluon couples to the heavy
  fermions only).  For a single Dirac fermion F of mass M, a massless scalar and
  L = sbar (a_R P_R + a_L P_L) F phi + Fbar (c_R P_R + c_L P_L) b phi + h.c.:

      L_eff = C_R sbar sigma^{mu nu} P_R b F_{mu nu} + (R <-> L),
      C_R = -(e Q_F / 64 pi^2) [a_R c_R / M + (m_b a_R c_L + m_s a_L c_R) / (6 M^2)]

  (covariant derivative d + i e Q A; checked against the neutral-scalar g-2 integral of
  Leveille, Nucl. Phys. B137 (1978) 63, in tests/test_vlq.py).  With the Q-D mixing the
  chirality-flipping sum over mass eigenstates is [M^dag I(M M^dag)]_{QD} with
  M I(M^2) = 1/(2M), i.e. (1/2)[M^{-1}]_{QD}: the same combination as the tree-level
  coefficient of sbar_L b_R phi^2.  Hence, exactly for m_phi -> 0 and independent of y2,

      C_R(flip) = -(e Q_D / 64 pi^2) c_LR^{sb},   c_LR^{sb} = (C_S + i C_P)^{sb}/2 |_{y1 part}.

  Converted to flavio's C7_bs (O7 = (4G_F/sqrt2) V_tb V_ts^* (e/16pi^2) m_b (sbar sigma P_R b)F),
  C8_bs (Q_D -> 1), with LO QCD running from mu_NP = sqrt(m_Q m_D) to 4.8 GeV (n_f = 6 above
  m_t) in the basis m_b C7, m_b C8 and m_b(4.8 GeV) in the normalisation.
* Delta F = 2: the phi loop with two insertions of the chirality-flipping phi^2 vertices
  (the chirality-conserving parts of the direct and crossed boxes cancel for a real scalar);
  the vertex keeps its full momentum dependence
      j(t) = y_q^i y_d^j (k1 y1 m_Q m_D - k2 y2 t) / ((t + m_Q^2)(t + m_D^2)),  t = k_E^2,
  k1 = y1_factor v/2 (the model's y1 normalisation), k2 = v/sqrt2, and
      C_SRR = (1/16pi^2) int_0^inf dt t j_R(t)^2 / (t + mu_IR^2)^2    (C_SLL: j_L, C_SLR: 2 j_R j_L)
  with mu_IR^2 = m_phi^2 + mu_M^2 (mu_M: scale of the matrix elements).

Observables: BR(B->Xsgamma), DeltaM_d, eps_K (flavio names), DeltaM_K_NP, kappa_gamma,
BR(D0->phiphi), BR(D0->pi0phiphi) (extensions).
"""
from __future__ import annotations

from .charm import br_D0_phiphi, br_D0_pi0phiphi, dgamma_dq2_D0_pi0phiphi, f0_Dpi
from .hgammagamma import A_half, A_one, hgaga_sm_amplitudes, kappa_gamma
from .meson_mixing import (ME_KEYS, M12_NP, M12_SM_B0, M12_SM_K0, DeltaM_d, DeltaM_K_NP,
                           deltaf2_coefficients, eps_K, matrix_elements, phi_loop_integral,
                           vertex_function)
from .radiative import br_bxsgamma, dipole_C_single, dipole_coefficients, dipole_X
from .shared import data

__all__ = ["A_half", "A_one", "DeltaM_K_NP", "DeltaM_d", "M12_NP", "M12_SM_B0", "M12_SM_K0",
           "ME_KEYS", "br_D0_phiphi", "br_D0_pi0phiphi", "br_bxsgamma", "data",
           "deltaf2_coefficients", "dgamma_dq2_D0_pi0phiphi", "dipole_C_single", "dipole_X",
           "dipole_coefficients", "eps_K", "f0_Dpi", "hgaga_sm_amplitudes", "kappa_gamma",
           "matrix_elements", "phi_loop_integral", "register", "vertex_function"]


def register(catalogue) -> None:
    """Add the VLQ constraint observables (B -> X_s gamma, Delta M_d, eps_K, Delta M_K,
    h gamma gamma, D0 -> (pi0) phi phi) to ``catalogue``."""
    register = catalogue.register

    register("BR(B->Xsgamma)",
             description="BR(B -> X_s gamma), E_gamma > 1.6 GeV (flavio's formula; C7, C7', C8, "
                         "C8' NP at 4.8 GeV)")(lambda coeffs, par: br_bxsgamma(coeffs, par))
    register("DeltaM_d", description="B_d mass difference in GeV (SM + Delta B = 2 NP; flavio)")(
        lambda coeffs, par: DeltaM_d(coeffs, par))
    register("eps_K", description="|epsilon_K| (SM with u-t unitarity + Delta S = 2 NP; flavio)")(
        lambda coeffs, par: eps_K(coeffs, par))
    register("DeltaM_K_NP", extension=True,
             description="new-physics contribution to Delta M_K, 2|M12^NP| [GeV]")(
        lambda coeffs, par: DeltaM_K_NP(coeffs, par))
    register("kappa_gamma", extension=True,
             description="h gamma gamma coupling modifier (heavy Q_d, D loops tied to kappa_g; "
                         "rG_hgg, rGt_hgg)")(lambda coeffs, par: kappa_gamma(coeffs, par))
    register("BR(D0->phiphi)", extension=True,
             description="BR(D0 -> phi phi), phi invisible real scalar (CP_cuphiphi, m_phi)")(
        lambda coeffs, par: br_D0_phiphi(coeffs, par))
    register("BR(D0->pi0phiphi)", extension=True,
             description="BR(D0 -> pi0 phi phi), phi invisible real scalar (CS_cuphiphi, m_phi)")(
        lambda coeffs, par: br_D0_pi0phiphi(coeffs, par))
