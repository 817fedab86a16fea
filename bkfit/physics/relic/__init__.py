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
``bkfit/inputs/data/cosmology.yaml`` and g*(T) from ``gstar_DHS2015.csv``
(:mod:`bkfit.inputs.cosmology`).

One module per job: ``plasma`` (g*, H, s, constants, units), ``thermal`` (Bessel functions,
thermal averages, eta), ``boltzmann`` (the BDF2 solver, Omega h^2), ``fast`` (tabulated
thermal factors and the freeze-out window: :func:`omega_h2_channels`).
"""
from .boltzmann import boltzmann_grid, omega_h2, omega_h2_swave, y_eq
from .fast import N_STEPS_FAST, omega_h2_channels, sigmav_channels_grid
from .plasma import (GEV2_TO_CM3S, M_PLANCK, RHO_CRIT_H2, S0, T_RANGE, cm3s_to_gev2,
                     dln_gstars_dlnT, entropy_density, gev2_to_cm3s, gstar, gstars, hubble)
from .thermal import eta, k1e, k2e, kne, sigma_v_threshold, thermal_average, v_lab
from ...inputs.cosmology import cosmology

__all__ = ["gstar", "gstars", "dln_gstars_dlnT", "thermal_average", "eta", "sigma_v_threshold",
           "omega_h2", "omega_h2_swave", "omega_h2_channels", "sigmav_channels_grid",
           "N_STEPS_FAST", "y_eq", "hubble", "entropy_density", "v_lab", "kne", "k1e", "k2e",
           "boltzmann_grid", "cm3s_to_gev2", "gev2_to_cm3s", "GEV2_TO_CM3S", "M_PLANCK", "S0",
           "RHO_CRIT_H2", "T_RANGE", "cosmology"]
