"""QCD running of alpha_s and of MSbar quark masses, shared by every physics module (pure JAX).

Notation: ``a = alpha_s/(4 pi)``, ``t = ln mu^2``;

    da/dt     = -a^2 (b0 + b1 a + b2 a^2 + b3 a^3)
    d ln m/dt = -a (g0 + g1 a + g2 a^2)

Loop orders (each the one its comparison with flavio in tests/ was validated with):

* :func:`a_s`, :func:`run_mass`, :func:`m_b`, :func:`m_c`, :func:`m_s`, :func:`m_light`:
  alpha_s and masses at **three loops** (RK4 in t), continuous matching of alpha_s at the
  thresholds of ``bclnu_mixing.yaml`` (``running``), as wilson.util.qcd (RunDec) that flavio
  calls.  Used by b -> c l nu (R(D(*))), B_s mixing (bag factor, m_t(m_t) with six flavours),
  the VLQ matching inputs and the VLQ constraints (B -> X_s gamma, Delta F = 2).
* :func:`run_alpha` with ``loops=4`` and :func:`mass_ratio_two_loop`: **four-loop** alpha_s
  and **two-loop** mass running, for the SM inputs of b -> s l l
  (:func:`bkfit.physics.bsll.running_inputs`).
* :func:`alpha_s_one_loop`: **one-loop** alpha_s, for the leading-order running of the dipole
  coefficients of B -> X_s gamma (consistent with LO anomalous dimensions).

Coefficients: beta function to four loops (van Ritbergen, Vermaseren, Larin hep-ph/9701390),
mass anomalous dimension to three loops (Chetyrkin hep-ph/9703278; Vermaseren, Larin, van
Ritbergen hep-ph/9703284).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from ..inputs.data_files import read_yaml
from .common import par_constant

ZETA3 = 1.2020569031595942
RUNNING = read_yaml("bclnu_mixing.yaml")["running"]   # thresholds, reference scale of m_s


def beta(nf, loops: int = 4) -> tuple:
    """The first ``loops`` (<= 4) beta-function coefficients b0, b1, ... for n_f flavours."""
    b = (11.0 - 2.0 * nf / 3.0,
         102.0 - 38.0 * nf / 3.0,
         2857.0 / 2.0 - 5033.0 * nf / 18.0 + 325.0 * nf ** 2 / 54.0,
         149753.0 / 6.0 + 3564.0 * ZETA3 - (1078361.0 / 162.0 + 6508.0 / 27.0 * ZETA3) * nf
         + (50065.0 / 162.0 + 6472.0 / 81.0 * ZETA3) * nf ** 2 + 1093.0 / 729.0 * nf ** 3)
    return b[:loops]


def gamma_m(nf, loops: int = 3) -> tuple:
    """The first ``loops`` (<= 3) mass anomalous-dimension coefficients g0, g1, g2."""
    g = (4.0,
         202.0 / 3.0 - 20.0 * nf / 9.0,
         1249.0 - (2216.0 / 27.0 + 160.0 / 3.0 * ZETA3) * nf - 140.0 / 81.0 * nf ** 2)
    return g[:loops]


def log_scale(mu):
    """t = ln mu^2."""
    return 2.0 * jnp.log(mu)


# ============================================================================ integrators
def run_alpha(a0, t0, t1, nf, loops: int = 4, steps: int = 12):
    """a(t1) from a(t0) = a0 in the n_f-flavour theory at ``loops`` loops (RK4, ``steps``)."""
    b = beta(nf, loops)

    def f(a):
        acc = b[-1]
        for bk in b[-2::-1]:
            acc = bk + a * acc
        return -a * a * acc

    h = (t1 - t0) / steps
    a = a0
    for _ in range(steps):
        k1 = f(a)
        k2 = f(a + 0.5 * h * k1)
        k3 = f(a + 0.5 * h * k2)
        k4 = f(a + h * k3)
        a = a + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6.0
    return a


def run_alpha_mass(a, lm, t0, t1, nf, steps):
    """(a, ln m) at t1 from their values at t0, both at three loops in the n_f-flavour theory
    (RK4 with ``steps`` steps in a rolled loop, so that the traced program stays small)."""
    b0, b1, b2 = beta(nf, 3)
    g0, g1, g2 = gamma_m(nf, 3)

    def f(a_):
        return (-a_ * a_ * (b0 + a_ * (b1 + a_ * b2)), -a_ * (g0 + a_ * (g1 + a_ * g2)))

    h = (t1 - t0) / steps

    def step(_, c):
        a, lm = c
        k1a, k1m = f(a)
        k2a, k2m = f(a + 0.5 * h * k1a)
        k3a, k3m = f(a + 0.5 * h * k2a)
        k4a, k4m = f(a + h * k3a)
        return (a + h * (k1a + 2 * k2a + 2 * k3a + k4a) / 6.0,
                lm + h * (k1m + 2 * k2m + 2 * k3m + k4m) / 6.0)

    dt = jnp.result_type(float)
    a, lm, h = jnp.asarray(a, dt), jnp.asarray(lm, dt), jnp.asarray(h, dt)
    a, lm = jnp.broadcast_arrays(a, lm)   # the loop carry keeps one shape
    return jax.lax.fori_loop(0, steps, step, (a, lm))


def mass_ratio_two_loop(a1, a0, nf):
    """m(mu1)/m(mu0) at two loops (exact integral of gamma_m/beta), a_i = a(mu_i)."""
    b0, b1 = beta(nf, 2)
    g0, g1 = gamma_m(nf, 2)
    A = g0 / b0
    B = g1 - g0 * b1 / b0
    return jnp.exp(A * jnp.log(a1 / a0) + B / b1 * jnp.log((b0 + b1 * a1) / (b0 + b1 * a0)))


def alpha_s_one_loop(alpha_ref, mu_ref, mu, nf):
    """One-loop alpha_s(mu) in the n_f-flavour theory from alpha_s(mu_ref) = alpha_ref."""
    return alpha_ref / (1.0 + beta(nf, 1)[0] * alpha_ref / (2.0 * math.pi)
                        * jnp.log(mu / mu_ref))


# ============================================================================ three-loop running
@par_constant
def a_s(par, mu, nf):
    """a = alpha_s(mu)/(4 pi) in the n_f-flavour theory from alpha_s(m_Z) (n_f = 5), three
    loops, continuous at the thresholds of RUNNING."""
    a = par["alpha_s"] / (4.0 * jnp.pi)
    t = log_scale(par["m_Z"])
    for n, thr in ((5, RUNNING["mb_threshold"]), (4, RUNNING["mc_threshold"])):
        if nf == n:
            return run_alpha_mass(a, 0.0, t, log_scale(mu), n, 24)[0]
        a = run_alpha_mass(a, 0.0, t, log_scale(thr), n, 24)[0]
        t = log_scale(thr)
    return run_alpha_mass(a, 0.0, t, log_scale(mu), 3, 24)[0]


def run_mass(m0, mu0, nf0, mu1, nf1, par):
    """MSbar mass m(mu0) of the n_f0-flavour theory run to mu1 in the n_f1 theory (three loops,
    continuous at the thresholds)."""
    thr = {5: RUNNING["mb_threshold"], 4: RUNNING["mc_threshold"]}  # lower edge of n_f region
    a = a_s(par, mu0, nf0)
    lm = jnp.log(m0)
    t = log_scale(mu0)
    nf = nf0
    while nf != nf1:
        if nf1 < nf:   # down to the lower threshold of this region
            edge = thr[nf]
            a, lm = run_alpha_mass(a, lm, t, log_scale(edge), nf, 16)
            nf -= 1
        else:          # up to the upper threshold (lower edge of nf + 1)
            edge = thr[nf + 1]
            a, lm = run_alpha_mass(a, lm, t, log_scale(edge), nf, 16)
            nf += 1
        t = log_scale(edge)
    a, lm = run_alpha_mass(a, lm, t, log_scale(mu1), nf, 16)
    return jnp.exp(lm)


def nf_at(mu) -> int:
    """Number of active flavours at the scale mu (flavio's 'RGE thresholds')."""
    return 5 if mu >= RUNNING["nf_choice_mb"] else (4 if mu >= RUNNING["nf_choice_mc"] else 3)


@par_constant
def m_b(par, mu):
    """MSbar m_b(mu) from m_b(m_b) (flavio 'm_b'), n_f = 5 at m_b(m_b)."""
    return run_mass(par["m_b"], par["m_b"], 5, mu, nf_at(mu), par)


@par_constant
def m_c(par, mu):
    """MSbar m_c(mu) from m_c(m_c) (flavio 'm_c'), n_f = 4 at m_c(m_c)."""
    return run_mass(par["m_c"], par["m_c"], 4, mu, nf_at(mu), par)


@par_constant
def m_s(par, mu):
    """MSbar m_s(mu) from m_s(2 GeV) (flavio 'm_s', taken as a 3-flavour quantity as
    wilson.util.qcd does)."""
    return run_mass(par["m_s"], RUNNING["ms_reference_scale"], 3, mu, nf_at(mu), par)


def m_light(par, q, mu, decoupling_c2):
    """MSbar m_d(mu) or m_s(mu) (``q`` = 'd', 's') from its 2 GeV value (a three-flavour
    quantity, as wilson.util.qcd), run at three loops with the O(alpha_s^2) decoupling
    m^(nf+1) = m^(nf)/(1 + c2 (alpha_s^(nf+1)/pi)^2) at each threshold crossed upwards
    (c2 = 89/432; Chetyrkin, Kniehl, Steinhauser hep-ph/9708255), as RunDec's mL2mH."""
    nf = nf_at(mu)
    m = run_mass(par[f"m_{q}"], RUNNING["ms_reference_scale"], 3, mu, nf, par)
    for n, thr in ((4, RUNNING["mc_threshold"]), (5, RUNNING["mb_threshold"])):
        if nf >= n:
            m = m / (1.0 + decoupling_c2 * (4.0 * a_s(par, thr, n)) ** 2)
    return m
