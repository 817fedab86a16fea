"""Light invisible particles in b -> s transitions (seed: He, Ma, Valencia, JHEP 03 (2023) 037
and arXiv:2309.12741).  Operator definitions and normalisations: bkfit/physics/invisible.py
and docs/invisible.md.

* ``dm_scalar``: one operator of a scalar pair phi.  Options: ``operator`` (S, P, V, A),
  ``field`` (complex | real; real allows only S, P), ``parametrisation`` (scale |
  coefficient).  Parameters: ``m_phi`` [GeV] and ``log10_Lambda`` (Lambda in GeV; C = 1/Lambda
  for S, P and 1/Lambda^2 for V, A), or the coefficient itself (parameter named after it,
  e.g. ``CS_bsphiphi``).
* ``dm_fermion``: one operator of a fermion pair chi.  Options ``operator`` (SS, SP, PS, PP,
  VV, VA, AV, AA, TT, TT5 or the seed's S1, S2, V1, V2, T1, T2), ``fermion`` (dirac |
  majorana; Majorana excludes VV, AV, TT, TT5), ``parametrisation``.  Parameters ``m_chi``
  and ``log10_Lambda`` (C = 1/Lambda^2).
* ``dm_vector``: one operator of the seed's eq. (18) for a vector pair X.  Options
  ``operator`` (S, T1, T2, V2, V3, V4, V5, V6), ``field`` (complex | real; real allows S, V2,
  V3), ``parametrisation``.  Parameters ``m_X`` and ``log10_Lambda``; eq. (19):
  C = m^2/Lambda^3 (S, T1, T2), m^2/Lambda^4 (V2, V4, V5), m/Lambda^3 (V3, V6), passed as the
  mass-stripped coefficient ``C{op}hat_bsXX`` = 1/Lambda^k (finite for m -> 0).  With
  ``parametrisation = "coefficient"`` the parameter is the full coefficient ``C{op}_bsXX``.
* ``two_body``: B -> K(*) X with one narrow invisible X.  Options ``spin`` (scalar | vector),
  ``parametrisation`` (coupling | branching).  Parameters ``m_X`` [GeV] and
  ``log10_g`` (g = gS_bsX [GeV] for a scalar, gV_bsX for a vector; couplings to
  (sbar b) X resp. (sbar g^mu b) X_mu) or ``log10_BR`` (BR(B+ -> K+ X) x P_inv).
"""
from __future__ import annotations

from typing import ClassVar

from .base import Model, ModelError

_PARAM = ("scale", "coefficient")


def _choice(model: str, options: dict, key: str, allowed, default=None):
    val = options.get(key, default)
    if val is None:
        raise ModelError(f"model '{model}' needs option '{key}'; allowed values: "
                         f"{', '.join(map(str, allowed))}", field=key)
    if not isinstance(val, str) or val not in allowed:
        raise ModelError(f"model '{model}': option '{key}' = {val!r} is not allowed; "
                         f"allowed values: {', '.join(map(str, allowed))}", field=key)
    return val


class _DMPair(Model):
    """One operator of a pair of invisible particles; subclasses set the tables."""

    option_keys = ("operator", "field", "parametrisation")
    kind_option: ClassVar[str] = "field"
    kinds: ClassVar[tuple[str, ...]] = ("complex", "real")
    mass_param: ClassVar[str] = ""
    operators: ClassVar[dict] = {}      # name -> (coefficient key, power of 1/Lambda)
    aliases: ClassVar[dict] = {}
    vanishing: ClassVar[tuple[str, ...]] = ()   # operators absent for the second kind

    def __init__(self, options):
        super().__init__(options)
        ops = list(self.operators) + list(self.aliases)
        op = _choice(self.name, options, "operator", ops)
        self.operator = self.aliases.get(op, op)
        self.kind = _choice(self.name, options, self.kind_option, self.kinds, self.kinds[0])
        self.parametrisation = _choice(self.name, options, "parametrisation", _PARAM, "scale")
        if self.kind == self.kinds[1] and self.operator in self.vanishing:
            allowed = [o for o in self.operators if o not in self.vanishing]
            raise ModelError(f"model '{self.name}': operator '{op}' vanishes identically for "
                             f"{self.kind_option} = '{self.kind}'; allowed operators: "
                             f"{', '.join(allowed)}", field="operator")
        self.key, self.power = self.operators[self.operator]

    def parameters(self):
        second = "log10_Lambda" if self.parametrisation == "scale" else self.coefficient_param()
        return [self.mass_param, second]

    def coefficient_param(self):
        return self.key

    def mass_parameters(self):
        """The mass of the invisible pair (GeV): two particles in B -> K(*) decays."""
        return {self.mass_param: 2}

    def flags(self) -> dict:
        return {}

    def coefficient_value(self, theta):
        if self.parametrisation == "scale":
            return 10.0 ** (-self.power * theta["log10_Lambda"])
        return theta[self.coefficient_param()]

    def coefficients(self, theta):
        out = {self.key: self.coefficient_value(theta), self.mass_key: theta[self.mass_param]}
        out.update(self.flags())
        return out

    def report_masses(self):
        """``{mass parameter: '<model> (<operator>)'}``."""
        return {self.mass_param: f"{self.name} ({self.operator})"}

    def key_observables(self):
        tag = self.tag
        return [(f"BR(B+->K{tag})", {}), (f"BR(B0->K*{tag})", {}),
                ("BR(B+->K+invisible)", {}), ("Rnunu(B+->K)", {})]


class DMScalar(_DMPair):
    """B -> K(*) phi phi with a pair of light invisible scalars (complex, or real with option
    ``field = 'real'``) and one operator; mass parameter ``m_phi`` in GeV."""
    name = "dm_scalar"
    description = "pair of light invisible scalars phi: one operator (S, P, V, A)"
    default_priors = "priors/dm_scalar.yaml"
    mass_param = "m_phi"
    mass_key = "m_phi"
    tag = "phiphi"
    operators = {"S": ("CS_bsphiphi", 1), "P": ("CP_bsphiphi", 1),
                 "V": ("CV_bsphiphi", 2), "A": ("CA_bsphiphi", 2)}
    vanishing = ("V", "A")

    def flags(self):
        """Extra coefficient-dict flags: ``phi_real`` for a real scalar."""
        return {"phi_real": True} if self.kind == "real" else {}


class DMFermion(_DMPair):
    """B -> K(*) chi chi with a pair of light invisible Dirac or Majorana fermions and one
    operator; mass parameter ``m_chi`` in GeV."""
    name = "dm_fermion"
    description = "pair of light invisible fermions chi: one of ten operators (seed's six)"
    default_priors = "priors/dm_fermion.yaml"
    option_keys = ("operator", "fermion", "parametrisation")
    kind_option = "fermion"
    kinds = ("dirac", "majorana")
    mass_param = "m_chi"
    mass_key = "m_chi"
    tag = "chichi"
    operators = {k: (f"C{k}_bschichi", 2) for k in
                 ("SS", "SP", "PS", "PP", "VV", "VA", "AV", "AA", "TT", "TT5")}
    aliases = {"S1": "SS", "S2": "SP", "V1": "VV", "V2": "VA", "T1": "TT", "T2": "TT5"}
    vanishing = ("VV", "AV", "TT", "TT5")

    def flags(self):
        """Extra coefficient-dict flags: ``chi_majorana`` for Majorana fermions."""
        return {"chi_majorana": True} if self.kind == "majorana" else {}


class DMVector(_DMPair):
    """B -> K(*) X X with a pair of light invisible vectors and one operator; mass parameter
    ``m_X`` in GeV (the coefficient scales with powers of m_X, seed eq. (19))."""
    name = "dm_vector"
    description = "pair of light invisible vectors X: one operator of the seed's eq. (18)"
    default_priors = "priors/dm_vector.yaml"
    mass_param = "m_X"
    mass_key = "m_X"
    tag = "XX"
    # name -> (hat key, power of 1/Lambda in Chat); C = m^n Chat (seed eq. (19))
    operators = {"S": ("CShat_bsXX", 3), "T1": ("CT1hat_bsXX", 3), "T2": ("CT2hat_bsXX", 3),
                 "V2": ("CV2hat_bsXX", 4), "V3": ("CV3hat_bsXX", 3),
                 "V4": ("CV4hat_bsXX", 4), "V5": ("CV5hat_bsXX", 4),
                 "V6": ("CV6hat_bsXX", 3)}
    vanishing = ("T1", "T2", "V4", "V5", "V6")

    def coefficient_param(self):
        """Name of the free coefficient parameter (``parametrisation = 'coefficient'``)."""
        return f"C{self.operator}_bsXX"

    def coefficients(self, theta):
        """The operator's coefficient (from ``log10_Lambda`` or given directly), the mass ``m_X``
        and the ``X_real`` flag for a real vector."""
        if self.parametrisation == "scale":
            out = {self.key: 10.0 ** (-self.power * theta["log10_Lambda"])}
        else:
            out = {self.coefficient_param(): theta[self.coefficient_param()]}
        out[self.mass_key] = theta[self.mass_param]
        if self.kind == "real":
            out["X_real"] = True
        return out


class TwoBody(Model):
    """B -> K(*) X with one narrow invisible scalar or vector X of mass ``m_X`` (GeV), given by
    a coupling (``log10_g``) or by BR(B+ -> K+ X) (``log10_BR``)."""
    name = "two_body"
    description = "B -> K(*) X with one narrow invisible scalar or vector X"
    default_priors = "priors/two_body.yaml"
    option_keys = ("spin", "parametrisation")

    def __init__(self, options):
        super().__init__(options)
        self.spin = _choice(self.name, options, "spin", ("scalar", "vector"), "scalar")
        self.parametrisation = _choice(self.name, options, "parametrisation",
                                       ("coupling", "branching"), "coupling")

    def parameters(self):
        """``m_X`` and either ``log10_g`` or ``log10_BR``."""
        return ["m_X", "log10_g" if self.parametrisation == "coupling" else "log10_BR"]

    def coefficients(self, theta):
        """Mass ``m_X2`` and either the coupling ``gS_bsX`` / ``gV_bsX`` or the branching ratio
        ``BR_BpKX`` (with the spin flag for a vector)."""
        out = {"m_X2": theta["m_X"]}
        if self.parametrisation == "coupling":
            key = "gS_bsX" if self.spin == "scalar" else "gV_bsX"
            out[key] = 10.0 ** theta["log10_g"]
        else:
            out["BR_BpKX"] = 10.0 ** theta["log10_BR"]
            if self.spin == "vector":
                out["X_vector"] = True
        return out

    def mass_parameters(self):
        """``m_X`` (GeV): one particle in B -> K(*) X."""
        return {"m_X": 1}

    def report_masses(self):
        """``{'m_X': 'two-body X (<spin>)'}``."""
        return {"m_X": f"two-body X ({self.spin})"}

    def key_observables(self):
        """BR(B -> K X) for B+ and B0, and the total BR(B+ -> K+ invisible)."""
        return [("BR(B+->KX)", {}), ("BR(B0->KX)", {}), ("BR(B+->K+invisible)", {})]
