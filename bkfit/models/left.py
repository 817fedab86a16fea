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


# EOS's b -> s nu nu operators (eos/parameters/sm-and-eft.yaml, "sbnunu WET Parameters"):
#   H = 4 G_F/sqrt2 alpha_e/(2 pi) V_tb^* V_ts sum_i C_i O_i,
#   O_VL = [sbar g^mu P_L b][nubar g_mu P_L nu],  O_SL(SR) = [sbar P_L(R) b][nubar^c_L P_L nu_L],
#   O_TL = [sbar s^{mu nu} P_L b][nubar^c_L s_{mu nu} P_L nu_L],
# three diagonal neutrino flavours with one coefficient each (EOS's B -> K nu nu rate is
# 3 x the one-flavour rate).  bkfit's normalisation N = 4 G_F/sqrt2 V_tb V_ts^* alpha_e/(4 pi)
# with minus sign and (1 - g5) = 2 P_L in O_L makes |C_L| = |C_VL^EOS| (EOS's SM value is
# +X_t/s_W^2, flavio's -X_t/s_W^2, hence the sign).  The lepton-number-violating scalar and
# tensor bilinears nubar^c P_L nu produce two identical neutrinos: two contractions (x4 in the
# rate) and a symmetry factor 1/2, against one Dirac pair N_i nubar_i of bkfit's CSL/CTL with a
# massless N_i and half EOS's prefactor (x4): rate per unit coefficient 8 times bkfit's, so
# C_{S,T}^bkfit = 2 sqrt2 C_{S,T}^EOS.  tests/test_wet_eos.py checks both factors against a
# transcription of EOS's B -> K nu nu rate formula (eos/rare-b-decays/b-to-psd-nu-nu.cc).
EOS_VECTOR_FACTOR = -1.0
EOS_SCALAR_TENSOR_FACTOR = 2.0 * 2.0 ** 0.5


class WETEOS(Model):
    """Flavour-universal b -> s nu nu WET in EOS's normalisation, the parametrisation of Belle
    II's reinterpretation of B+ -> K+ nu nu (arXiv:2507.12393).

    Parameters: ``CVL_eos`` = C_VL + C_VR (the total vector coefficient, SM included: EOS's SM
    value is X_t/s_W^2 = 6.6; bkfit's own |C_L^SM| is 6.53), ``CSL_eos`` = C_SL + C_SR and
    ``CTL_eos`` = C_TL, each the same for the three diagonal neutrino flavours and real (in
    B -> K nu nu only their magnitudes matter: the vector, scalar and tensor rates do not
    interfere for massless neutrinos).  Mapped to bkfit's coefficients for i = e, mu, tau:
    CL_bsnu{i}nu{i} = -CVL_eos with the SM part switched off (``nunu_signal_strength`` = 0),
    CSL_bsnu{i}nu{i} = 2 sqrt2 CSL_eos, CTL_bsnu{i}nu{i} = 2 sqrt2 CTL_eos (right-handed
    neutrinos massless); the factors are derived above the class.  Only B -> K is meant: in
    B -> K* the split into C_VL and C_VR and into C_SL and C_SR matters, and the model puts
    everything into the left-handed quark current.

    Option ``free``: the subset of the three parameters sampled (default all); the others are
    held at their SM values (CVL_eos = |C_L^SM|, i.e. no new physics in the vector current;
    CSL_eos = CTL_eos = 0).
    """
    name = "wet_eos"
    description = ("flavour-universal C_VL+C_VR, C_SL+C_SR, C_TL in EOS's normalisation "
                   "(Belle II's B+ -> K+ nu nu reinterpretation)")
    default_priors = "priors/wet_eos.yaml"
    option_keys = ("free",)
    PARAMETERS = ("CVL_eos", "CSL_eos", "CTL_eos")

    def __init__(self, options):
        super().__init__(options)
        free = options.get("free", list(self.PARAMETERS))
        if isinstance(free, str) or not isinstance(free, (list, tuple)):
            raise ModelError(f"model option 'free' must be a list of names from "
                             f"{list(self.PARAMETERS)}, not {free!r}", field="free")
        for n in free:
            if n not in self.PARAMETERS:
                raise ModelError(f"model option 'free': unknown parameter {n!r}."
                                 f"{did_you_mean(str(n), self.PARAMETERS)} Allowed: "
                                 f"{list(self.PARAMETERS)}", field="free")
        if len(set(free)) != len(free) or not free:
            raise ModelError("model option 'free' needs at least one parameter, each listed "
                             "once", field="free")
        self.free = [p for p in self.PARAMETERS if p in free]

    def parameters(self):
        """The free ones of ``CVL_eos``, ``CSL_eos``, ``CTL_eos`` (in that order)."""
        return list(self.free)

    def coefficients(self, theta):
        """bkfit's C_L (total, SM part switched off), C_SL and C_TL for the three diagonal
        neutrino pairs; a parameter that is not free keeps its SM value."""
        out = {}
        if "CVL_eos" in theta:
            out["nunu_signal_strength"] = 0.0
            cl = EOS_VECTOR_FACTOR * theta["CVL_eos"]
        for f in ("e", "mu", "tau"):
            pair = f"bsnu{f}nu{f}"
            if "CVL_eos" in theta:
                out[f"CL_{pair}"] = cl
            for p, name in (("CSL", "CSL_eos"), ("CTL", "CTL_eos")):
                if name in theta:
                    out[f"{p}_{pair}"] = EOS_SCALAR_TENSOR_FACTOR * theta[name]
        return out

    def report_marginal_modes(self):
        """0.95: the report quotes each magnitude's marginal posterior mode and 95 % HDI, as
        Belle II does."""
        return 0.95

    def key_observables(self):
        """BR(B+ -> K+ nu nu) and its ratio to the SM (B -> K only: see the class docstring)."""
        return [("BR(B+->Knunu)", {}), ("Rnunu(B+->K)", {})]
