"""Model base class."""
from __future__ import annotations

from typing import ClassVar

from ..errors import ModelError  # noqa: F401  (defined with bkfit's other errors)


class Model:
    """A model = named real parameters + ``coefficients(theta) -> dict``.

    ``theta`` maps each name of ``parameters()`` to a JAX scalar.  The returned dict holds
    WCxf/flavio-basis Wilson coefficients (complex allowed) and any new-particle parameters
    the physics modules read (e.g. dark-matter masses); absent keys are zero.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    default_priors: ClassVar[str] = ""   # path under priors/, relative to the repo root
    # allowed keys of the run file's [model] table (besides "name")
    option_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: dict):
        unknown = [k for k in options if k not in self.option_keys]
        if unknown:
            raise ModelError(f"model '{self.name}' has no option(s) {unknown}; allowed: "
                             f"{list(self.option_keys)}", field=str(unknown[0]))
        self.options = dict(options)

    def parameters(self) -> list[str]:
        """Names of the free parameters, in sampling order."""
        raise NotImplementedError

    def coefficients(self, theta: dict) -> dict:
        """Wilson coefficients and new-particle parameters at parameter values ``theta``."""
        raise NotImplementedError

    def mass_parameters(self) -> dict[str, int]:
        """The free parameters that are masses, each with the number of equal-mass invisible
        particles of that mass in B -> K(*) decays (0: not produced there, so no kinematic
        limit).  Their priors must allow positive values (see :mod:`bkfit.priors`)."""
        return {}

    def report_masses(self) -> dict[str, str]:
        """The mass parameters whose preferred region the report shows, each with a label
        naming the particle (data only: the report formats it, bkfit.inference.results)."""
        return {}

    def report_marginal_modes(self) -> float | None:
        """Credibility (e.g. 0.95) of the "marginal posterior mode and highest-density
        interval" table the report adds for this model's parameters, or None for no table."""
        return None

    # observables the report should show for this model (name, args)
    def key_observables(self) -> list[tuple[str, dict]]:
        """The ``(name, args)`` observables the report shows for this model."""
        return [("BR(B+->Knunu)", {}), ("Rnunu(B+->K)", {}), ("Rnunu(B0->K*)", {})]
