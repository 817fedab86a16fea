r"""Vector-like quarks + real scalar dark matter (He, Ma, Schmidt, Valencia, Volkas,
JHEP 07 (2024) 168, arXiv:2403.12485), model ``vlq_scalar_dm``:

    L = y_q^p qbar_Lp Q_R phi + y_d^p Dbar_L d_Rp phi - y1 Qbar_L D_R H - y2 Qbar_R D_L H + h.c.

Q ~ (3,2,1/6), D ~ (3,1,-1/3), phi ~ (1,1,0) real, all Z2-odd.  Tree-level matching to the
seed's LEFT (bkfit.physics.vlq.left_matrices) with the quark masses and CKM matrix of the
central parameter values (taken once at construction): m_u, m_d, m_s at 2 GeV, m_c(m_c),
m_b(m_b) (MSbar); no QCD running of the coefficients (as in the seed).  Output keys:
CS/CP_{bs,bd,sd,dd,ss,bb,uu,cc,cu}phiphi (GeV^-1), rG_hgg, rGt_hgg, m_phi, phi_real = True.

Parameters: ``m_Q_TeV``, ``m_D_TeV``, ``m_phi`` [GeV], ``y1`` (real by rephasing), ``y2``
(``re_y2``/``im_y2`` with ``complex = true``), and the free Yukawas listed in option
``couplings`` from yq_d, yq_s, yq_b, yd_d, yd_s, yd_b.

Options (run file ``[model]`` table):
* ``couplings = ["yq_s", "yq_b", "yd_s", "yd_b"]``: free Yukawas (others zero unless fixed);
* ``complex = true``: every free Yukawa complex (``re_``/``im_``) except ``real_coupling``
  (default: the first y_q in ``couplings``; the seed's rephasing freedom), and y2 complex;
* ``fixed = {m_Q_TeV = 3.0, y1 = 1.0, yd_d = "0.1+0.1j"}``: parameters held fixed (any
  parameter name, or a Yukawa not in ``couplings``);
* ``y1_normalisation = "lagrangian"`` (default: y1 v/(sqrt2 mQ mD), what the Lagrangian above
  gives with <H> = (0, v/sqrt2), v = 246 GeV -- the seed's eq. (3.2a) times <H>; checked
  against a numerical diagonalisation of the down-quark mass matrix in a constant phi
  background in tests/test_vlq.py) or ``"seed"`` (y1 v/(2 mQ mD), the seed's LEFT formula
  and slides, a factor 1/sqrt2 smaller); see docs/vlq.md.
"""
from __future__ import annotations

import functools
import math

import jax.numpy as jnp

from ..errors import did_you_mean
from .base import Model, ModelError
from .left import parse_complex

YUKAWAS = tuple(f"y{t}_{q}" for t in ("q", "d") for q in ("d", "s", "b"))
SCALARS = ("m_Q_TeV", "m_D_TeV", "m_phi", "y1", "y2")
# factor on the seed's LEFT y1 terms y1 v/(2 mQ mD): "lagrangian" = <H> = v/sqrt2 (default)
Y1_NORMALISATIONS = {"lagrangian": math.sqrt(2.0), "seed": 1.0}


@functools.lru_cache(maxsize=1)
def _inputs():
    from ..inputs import load_db
    from ..physics.vlq import matching_inputs
    return matching_inputs(load_db().central)


class VLQScalarDM(Model):
    """Vector-like quarks Q and D (masses in TeV) with real scalar dark matter phi (mass in
    GeV) and Yukawa couplings to the down-type quarks (arXiv:2403.12485)."""
    name = "vlq_scalar_dm"
    description = ("vector-like quarks Q, D + real scalar dark matter phi (arXiv:2403.12485): "
                   "b -> s phi phi, B_s -> phi phi, relic density, direct detection, h -> gg")
    default_priors = "priors/vlq_scalar_dm.yaml"
    option_keys = ("couplings", "complex", "fixed", "real_coupling", "y1_normalisation")

    def __init__(self, options):
        super().__init__(options)
        couplings = options.get("couplings", ["yq_s", "yq_b", "yd_s", "yd_b"])
        if isinstance(couplings, str) or not isinstance(couplings, (list, tuple)):
            raise ModelError(f"model '{self.name}': option 'couplings' must be a list such as "
                             "[\"yq_s\", \"yd_b\"]", field="couplings")
        for c in couplings:
            if c not in YUKAWAS:
                raise ModelError(f"model '{self.name}' option 'couplings': unknown Yukawa "
                                 f"'{c}'.{did_you_mean(c, list(YUKAWAS))} Known: "
                                 f"{', '.join(YUKAWAS)}", field="couplings")
        if len(set(couplings)) != len(couplings):
            raise ModelError(f"model '{self.name}': a coupling is listed twice",
                             field="couplings")
        fixed = options.get("fixed", {}) or {}
        if not isinstance(fixed, dict):
            raise ModelError(f"model '{self.name}': option 'fixed' must be a table",
                             field="fixed")
        known = list(YUKAWAS) + list(SCALARS)
        for k in fixed:
            if k not in known:
                raise ModelError(f"model '{self.name}' option 'fixed': unknown name '{k}'."
                                 f"{did_you_mean(k, known)} Known: {', '.join(known)}",
                                 field=f"fixed.{k}")
            if k in couplings:
                raise ModelError(f"model '{self.name}': '{k}' is both free and fixed",
                                 field=f"fixed.{k}")
        for k in ("m_Q_TeV", "m_D_TeV", "m_phi", "y1"):
            if k in fixed and not isinstance(fixed[k], (int, float)):
                raise ModelError(f"model '{self.name}': fixed.{k} must be a real number",
                                 field=f"fixed.{k}")
        self.free = list(couplings)
        self.complex = bool(options.get("complex", False))
        qs = [c for c in self.free if c.startswith("yq")]
        self.real_coupling = options.get("real_coupling", qs[0] if qs else None)
        if self.complex and self.real_coupling is not None \
                and self.real_coupling not in self.free:
            raise ModelError(f"model '{self.name}': real_coupling '{self.real_coupling}' "
                             "must be one of the free couplings", field="real_coupling")
        self.fixed = {k: (float(v) if k in ("m_Q_TeV", "m_D_TeV", "m_phi", "y1")
                          else parse_complex(v, f"model option 'fixed.{k}'"))
                      for k, v in fixed.items()}
        norm = options.get("y1_normalisation", "lagrangian")
        if norm not in Y1_NORMALISATIONS:
            raise ModelError(f"model '{self.name}': y1_normalisation must be one of "
                             f"{', '.join(map(repr, Y1_NORMALISATIONS))}, not {norm!r}"
                             + did_you_mean(str(norm), Y1_NORMALISATIONS),
                             field="y1_normalisation")
        self.y1_normalisation = norm
        self.y1_factor = Y1_NORMALISATIONS[norm]
        self._inp = _inputs()

    def _is_complex(self, n):
        return self.complex and n != self.real_coupling

    def parameters(self):
        """Free parameters: the masses and y1/y2 not fixed by options, then the free Yukawas (re/im
        parts for complex ones)."""
        p = [k for k in ("m_Q_TeV", "m_D_TeV", "m_phi", "y1") if k not in self.fixed]
        if "y2" not in self.fixed:
            p += ["re_y2", "im_y2"] if self.complex else ["y2"]
        for n in self.free:
            p += [f"re_{n}", f"im_{n}"] if self._is_complex(n) else [n]
        return p

    def mass_parameters(self):
        """The free masses: ``m_Q_TeV``, ``m_D_TeV`` (TeV) and ``m_phi`` (GeV).  ``m_phi`` gets
        no B -> K kinematic limit: the model's other observables (relic density, direct
        detection, h -> gg) constrain it above the B -> K phi phi threshold too."""
        return {p: 0 for p in ("m_Q_TeV", "m_D_TeV", "m_phi") if p not in self.fixed}

    def _check_theta(self, theta):
        """ModelError for a name in ``theta`` that is not a parameter of this model (with the
        close names) or for a parameter that ``theta`` lacks."""
        params = self.parameters()
        for k in theta:
            if k not in params:
                raise ModelError(f"model '{self.name}': unknown parameter '{k}'."
                                 f"{did_you_mean(k, params)} Parameters: {', '.join(params)}",
                                 field=k)
        missing = [p for p in params if p not in theta]
        if missing:
            raise ModelError(f"model '{self.name}': no value for parameter '{missing[0]}' "
                             f"(parameters: {', '.join(params)})", field=missing[0])

    def _value(self, theta, n, is_complex):
        """Value of coupling or mass ``n``: fixed, sampled (``re_n`` + i ``im_n`` if complex),
        or 0 for a Yukawa coupling the model leaves out."""
        if n in self.fixed:
            return self.fixed[n]
        if n in YUKAWAS and n not in self.free:
            return 0.0
        if is_complex:
            return theta[f"re_{n}"] + 1j * theta[f"im_{n}"]
        return theta[n]

    def coefficients(self, theta):
        """LEFT coefficients and phi parameters from the VLQ couplings; ModelError for unknown or
        missing parameter names in ``theta``."""
        from ..physics.vlq import left_coefficients
        self._check_theta(theta)
        yq = jnp.stack([jnp.asarray(self._value(theta, f"yq_{q}", self._is_complex(f"yq_{q}")),
                                    dtype=complex) for q in "dsb"])
        yd = jnp.stack([jnp.asarray(self._value(theta, f"yd_{q}", self._is_complex(f"yd_{q}")),
                                    dtype=complex) for q in "dsb"])
        y1 = self._value(theta, "y1", False)
        y2 = jnp.asarray(self._value(theta, "y2", self.complex), dtype=complex)
        mQ = 1e3 * self._value(theta, "m_Q_TeV", False)
        mD = 1e3 * self._value(theta, "m_D_TeV", False)
        m_phi = self._value(theta, "m_phi", False)
        out = left_coefficients(yq, yd, y1, y2, mQ, mD, self._inp, self.y1_factor, m_phi)
        out["m_phi"] = m_phi
        out["phi_real"] = True
        return out

    def key_observables(self):
        """b -> s phi phi rates, B_s -> phi phi, relic density, direct detection on xenon and
        kappa_g."""
        return [("BR(B+->Kphiphi)", {}), ("BR(B0->K*phiphi)", {}), ("BR(Bs->phiphi)", {}),
                ("Omega_h2(phi)", {}), ("sigma_SI_N(phi)", {"Z": 54, "A": 131.293}),
                ("kappa_g", {})]

    def report_masses(self):
        """``{'m_phi': 'vlq_scalar_dm (phi)'}``."""
        return {"m_phi": "vlq_scalar_dm (phi)"}
