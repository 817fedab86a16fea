"""The evidence setup of a run and the SM reference on the same likelihood terms
(docs/evidence.md): used by ``bkfit evidence`` and by the comparison table."""
from __future__ import annotations


def evidence_setup(cfg, asm=None):
    """The evidence setup of a run (docs/evidence.md): nuisance sets at their central values
    and the Belle II workspace nuisances profiled (2 Gauss-Newton steps from the best-fit
    start), so that the integral runs over the model parameters only.  Modifies ``cfg``;
    ``asm``: the run already assembled (to find its pyhf terms), else assembled here."""
    from ..likelihood.pyhf_term import PyhfTerm
    from .assemble import assemble
    asm = asm if asm is not None else assemble(cfg)
    pyhf = [t.name for t in asm.terms if isinstance(t, PyhfTerm)]
    cfg.nuisances.sets = []
    cfg.nuisances.parameters = []
    for n in pyhf:
        cfg.likelihood.options[n] = {**cfg.likelihood.options.get(n, {}),
                                     "nuisances": "profile", "profile_iterations": 2,
                                     "profile_start": "bestfit"}
    return cfg


def sm_same_data(cfg, full_likelihood: bool = False) -> dict:
    """ln Z of the SM on exactly the likelihood terms of ``cfg`` with the same evidence setup.
    The SM has no free parameters there, so Z = L at the SM point (no new-physics
    coefficients): exact, error 0.  This is the reference a Bayes factor of the run needs:
    evidences of runs with different likelihood terms are normalised on different data and
    cannot be compared with each other."""
    import jax.numpy as jnp

    from ..config import PriorsSection
    from .assemble import assemble
    from .evidence import problem_from_assembled
    c = cfg.model_copy(deep=True)
    c.model = {"name": "sm"}
    c.priors = PriorsSection()
    c.sampler.dense_mass = False       # the run's dense blocks name its own (now absent) sites
    if not full_likelihood:
        c = evidence_setup(c)
    asm = assemble(c)
    prob = problem_from_assembled(asm)
    if prob.dim == 0:
        ll = float(prob.loglike_unit(jnp.zeros(0)))
        note = "SM point, nuisances as in the evidence setup: Z = L (exact)"
    else:  # --full-likelihood: the nuisances stay latent; not computed here
        return {"ln_Z": None, "note": "SM reference with latent nuisances: run the SM "
                "evidence on the same likelihood files"}
    return {"ln_Z": ll, "ln_Z_err": 0.0, "terms": [t.name for t in asm.terms], "note": note}
