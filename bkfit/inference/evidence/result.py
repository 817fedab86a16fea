"""The result of one evidence estimator (what ``evidence.json`` stores per method)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvidenceResult:
    """One estimator's result: ln Z with its error, number of likelihood calls, wall time in
    seconds, the settings used and estimator-specific extra information."""
    method: str
    log_z: float
    log_z_err: float
    n_loglike: int
    seconds: float
    settings: dict
    info: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready dict with the keys used in evidence.json (``ln_Z``, ``ln_Z_err``, ...)."""
        return {"method": self.method, "ln_Z": self.log_z, "ln_Z_err": self.log_z_err,
                "likelihood_evaluations": int(self.n_loglike), "time_s": self.seconds,
                "settings": self.settings, **self.info}
