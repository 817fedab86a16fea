"""Low-energy models: the SM (no free new-physics parameters), ``left`` (any subset of the
low-energy coefficients free) and ``sm_mu`` (SM nu nu spectrum times a signal strength)."""
from __future__ import annotations

import jax.numpy as jnp

from ..errors import did_you_mean
from .base import Model, ModelError
from .wc_names import known_coefficients


def parse_complex(v, what: str, field: str | None = None) -> complex:
    """A real or complex number from a run-file value (numbers, or strings like ``'1+2j'`` or
    ``'1+2i'``); ModelError naming ``what`` otherwise."""
    if isinstance(v, (int, float)):
        return complex(v)
    if isinstance(v, str):
        try:
            return complex(v.replace(" ", "").replace("i", "j"))
        except ValueError:
            pass
    raise ModelError(f"{what}: {v!r} is not a number or a complex literal such as '1+2j'",
                     field=field)


class SM(Model):
    """The Standard Model: no free parameters, so only nuisances are sampled."""
    name = "sm"
    description = "Standard Model: no new-physics parameters (nuisances only)"
    default_priors = ""
    option_keys = ()

    def parameters(self):
        """None: the SM has no free parameters."""
        return []

    def coefficients(self, theta):
        """No new-physics coefficients."""
        return {}


class LEFT(Model):
    """Any subset of the b -> s nu nu (and other WCxf flavio-basis) coefficients free.

    Options (run file ``[model]``):

    * ``free``: coefficient names sampled as REAL parameters (parameter name = coefficient);
    * ``free_complex``: coefficient names sampled as complex numbers: parameters
      ``re_<name>`` and ``im_<name>``;
    * ``fixed``: {name: value} held fixed (value a number or a string like '1+2j').
    """
    name = "left"
    description = "low-energy EFT: chosen coefficients free, the rest zero or fixed"
    default_priors = "priors/left.yaml"
    option_keys = ("free", "free_complex", "fixed")

    def __init__(self, options):
        super().__init__(options)
        known = known_coefficients()
        self.free = list(options.get("free", []))
        self.free_complex = list(options.get("free_complex", []))
        fixed = options.get("fixed", {}) or {}
        if not isinstance(fixed, dict):
            raise ModelError("model option 'fixed' must be a table {name = value}", field="fixed")
        for key, names in (("free", self.free), ("free_complex", self.free_complex),
                           ("fixed", list(fixed))):
            for n in names:
                if n not in known:
                    raise ModelError(f"model option '{key}': unknown coefficient '{n}'."
                                     f"{did_you_mean(n, known)}",
                                     field=f"fixed.{n}" if key == "fixed" else key)
        both = set(self.free) & set(self.free_complex) | (set(self.free) | set(self.free_complex)) & set(fixed)
        if both:
            first = sorted(both)[0]         # at fault where it is listed the second time
            raise ModelError(f"coefficient(s) {sorted(both)} listed more than once in "
                             "free / free_complex / fixed",
                             field=f"fixed.{first}" if first in fixed else "free_complex")
        if not (self.free or self.free_complex):
            raise ModelError("model 'left' needs at least one coefficient in 'free' or "
                             "'free_complex' (use model 'sm' for none)", field="free")
        self.fixed = {k: parse_complex(v, f"model option 'fixed.{k}'", field=f"fixed.{k}")
                      for k, v in fixed.items()}
        for k, v in self.fixed.items():
            if k.startswith("m_nuR_") and not (v.imag == 0 and v.real >= 0):
                raise ModelError(f"model option 'fixed.{k}' = {fixed[k]!r}: a sterile-neutrino "
                                 "mass must be a real number >= 0 (GeV)", field=f"fixed.{k}")

    def parameters(self):
        """The real free coefficients, then ``re_<name>`` and ``im_<name>`` for each complex one."""
        return self.free + [f"{p}_{n}" for n in self.free_complex for p in ("re", "im")]

    def mass_parameters(self):
        """Free sterile-neutrino masses ``m_nuR_*`` (one such neutrino in the lightest final
        state N nubar, so the kinematic limit is m_B - m_K)."""
        return {n: 1 for n in self.free if n.startswith("m_nuR_")}

    def coefficients(self, theta):
        """The fixed coefficients plus the free ones at ``theta`` (complex ones from re/im)."""
        c = {k: v for k, v in self.fixed.items()}
        for n in self.free:
            c[n] = theta[n]
        for n in self.free_complex:
            c[n] = theta[f"re_{n}"] + 1j * theta[f"im_{n}"]
        return c


class SMmu(Model):
    """SM nu nu spectrum times a free signal strength mu >= 0.

    Realised by a flavour-universal real C_L^ii = (sqrt(mu) - 1) C_L^SM, which multiplies
    the B -> K(*) nu nu rates (and the whole q^2 spectrum) by exactly mu.
    """
    name = "sm_mu"
    description = "SM B -> K(*) nu nu spectrum times a signal strength mu"
    default_priors = "priors/sm_mu.yaml"
    option_keys = ()

    def parameters(self):
        """The signal strength ``mu``."""
        return ["mu"]

    def coefficients(self, theta):
        """The signal strength, passed to the physics as ``nunu_signal_strength``."""
        return {"nunu_signal_strength": theta["mu"]}

    def key_observables(self):
        """BR(B+ -> K+ nu nu) and its ratio to the SM."""
        return [("BR(B+->Knunu)", {}), ("Rnunu(B+->K)", {})]
