"""The joint log-likelihood of an assembled run as a jitted function of a dict of sampled
values (``bkfit.log_likelihood`` returns it), for samplers and optimisers of one's own."""
from __future__ import annotations


class LogLikelihood:
    """The joint log-likelihood of a run as a function of a dict of sampled values (what
    ``log_likelihood(run)`` returns), for samplers and optimisers of one's own.

    Its parameters (``names``; shapes in ``shapes``, meanings in ``describe()``) are the
    run's sampled sites, the same as in a fit's posterior:

    * the model's free parameters by name (``bkfit list parameters MODEL``);
    * ``nuis::<set>`` for each nuisance set of ``[nuisances] sets``: a vector of standard
      normal variables z; the physical parameters are mean + L z (L the Cholesky factor of
      the set's covariance);
    * each likelihood term's own nuisances (e.g. the Belle II workspace's vectors).

    ``ll(x)`` is the total ln L (a JAX scalar), ``ll.grad(x)`` its gradient (a dict like
    ``x``), ``ll.value_and_grad(x)`` both, ``ll.terms(x)`` ln L per term, ``ll.log_prior(x)``
    the run's log-prior density of ``x`` (the fit samples ln L + ln prior).  All are jitted
    (compiled on the first call).  ``x`` is checked first (unknown or missing names,
    shapes); ``ll.function`` is the unchecked pure JAX function, to compose inside your own
    jit / grad / vmap.  ``ll.example(seed)`` is a draw from the prior.
    """

    def __init__(self, asm):
        import jax
        import jax.numpy as jnp
        from numpyro import handlers

        from .health import term_logliks

        self._asm = asm
        tr = handlers.trace(handlers.seed(
            lambda: asm.numpyro_model(record=False, likelihood=False), 0)).get_trace()
        sites = {n: s for n, s in tr.items() if s["type"] == "sample"}
        self.shapes = {n: tuple(jnp.shape(s["value"])) for n, s in sites.items()}
        self._dists = {n: s["fn"] for n, s in sites.items()}
        self.term_names = [t.name for t in asm.terms]
        per_term = term_logliks(asm, record=False)
        self._per_term = jax.jit(per_term)

        def total(x):
            return jnp.sum(per_term(x))

        def log_prior(x):
            return sum(jnp.sum(d.log_prob(x[n])) for n, d in self._dists.items())

        self.function = total
        self._total = jax.jit(total)
        self._value_and_grad = jax.jit(jax.value_and_grad(total))
        self._log_prior_fn = log_prior
        self._log_prior = jax.jit(log_prior)

    @property
    def names(self) -> list[str]:
        """The parameter names a parameter dict must have (in the order of the fit)."""
        return list(self.shapes)

    def describe(self) -> dict:
        """``{name: what it is}`` for every parameter."""
        out = {}
        blocks = {b.site: b for b in self._asm.blocks}
        for n in self.names:
            if n in self._asm.prior_text:
                out[n] = f"model parameter, prior {self._asm.prior_text[n]}"
            elif n in blocks:
                out[n] = ("standard normal vector; physical values mean + L z of "
                          + ", ".join(blocks[n].names))
            else:
                term = next((t.name for t in self._asm.terms if n in t.nuisance_sites()), "?")
                out[n] = f"nuisance of likelihood term {term}, shape {self.shapes[n]}"
        return out

    def _check(self, x) -> dict:
        import jax.numpy as jnp

        from ..errors import InputError, did_you_mean
        if not isinstance(x, dict):
            raise InputError(f"the parameters must be a dict {{name: value}}, got "
                             f"{type(x).__name__}")
        unknown = [k for k in x if k not in self.shapes]
        if unknown:
            raise InputError(f"'{unknown[0]}' is not a parameter of this run."
                             f"{did_you_mean(unknown[0], self.shapes)} Parameters: "
                             f"{', '.join(self.names)}")
        missing = [k for k in self.shapes if k not in x]
        if missing:
            raise InputError(f"missing parameter(s) {missing} (ll.names lists them all; "
                             "ll.example() gives a complete dict)")
        out = {}
        for k, v in x.items():
            a = jnp.asarray(v, dtype=float)
            if a.shape != self.shapes[k]:
                raise InputError(f"parameter '{k}' has shape {a.shape}, expected "
                                 f"{self.shapes[k]}")
            out[k] = a
        return out

    def __call__(self, x):
        return self._total(self._check(x))

    def value_and_grad(self, x):
        """``(ln L, gradient)`` at the checked parameter dict ``x`` (jitted)."""
        return self._value_and_grad(self._check(x))

    def grad(self, x):
        """The gradient of ln L at ``x``: a dict with the keys and shapes of ``x``."""
        return self._value_and_grad(self._check(x))[1]

    def terms(self, x) -> dict:
        """ln L of each likelihood term at ``x``, ``{term name: JAX scalar}``."""
        vals = self._per_term(self._check(x))
        return {n: vals[i] for i, n in enumerate(self.term_names)}

    def log_prior(self, x):
        """The run's log-prior density at ``x`` (the fit samples ln L + ln prior)."""
        return self._log_prior(self._check(x))

    def example(self, seed: int = 0) -> dict:
        """A draw from the run's prior: a complete, valid parameter dict."""
        import numpy as np
        from numpyro import handlers
        tr = handlers.trace(handlers.seed(
            lambda: self._asm.numpyro_model(record=False, likelihood=False), seed)).get_trace()
        return {n: np.asarray(tr[n]["value"]) for n in self.shapes}

    def _bounds(self, n):
        """(low, high) arrays (shape of site ``n``) of its prior support; +-inf if unbounded."""
        import numpy as np
        sup = getattr(self._dists[n], "support", None)
        out = []
        for attr, inf in (("lower_bound", -np.inf), ("upper_bound", np.inf)):
            v = getattr(sup, attr, None)
            out.append(np.broadcast_to(np.asarray(inf if v is None else v, float),
                                       self.shapes[n]))
        return out

    def posterior_mode(self, start: dict, maxiter: int = 5000) -> tuple[dict, float]:
        """The joint posterior mode (maximum of ln L + ln prior over every parameter, the
        nuisances included) found from ``start`` by scipy's L-BFGS-B inside the prior
        supports (bounded priors: their bounds); returns ``(x, ln L + ln prior at x)``.
        With flat priors on the model's parameters this is their maximum-likelihood point with
        the constrained nuisances.  A local search: start it from the best posterior draw."""
        import jax
        import numpy as np
        from jax.flatten_util import ravel_pytree
        from scipy.optimize import minimize

        from ..errors import BkfitError
        x0 = self._check(start)
        flat0, unravel = ravel_pytree(x0)
        lows, highs = zip(*(self._bounds(n) for n in x0))
        lo = np.concatenate([np.ravel(a) for a in lows])
        hi = np.concatenate([np.ravel(a) for a in highs])
        lp = jax.jit(jax.value_and_grad(
            lambda f: -(self.function(unravel(f)) + self._log_prior_fn(unravel(f)))))

        def fun(f):
            v, g = lp(f)
            return float(v), np.asarray(g, float)
        f0 = np.clip(np.asarray(flat0, float), lo, hi)
        res = minimize(fun, f0, jac=True, method="L-BFGS-B",
                       bounds=[(None if not np.isfinite(a) else a, None if not np.isfinite(b)
                                else b) for a, b in zip(lo, hi)],
                       options={"maxiter": maxiter, "maxfun": 4 * maxiter, "ftol": 1e-13,
                                "gtol": 1e-7})
        if not np.isfinite(res.fun):
            raise BkfitError(f"posterior_mode: no finite log posterior reached ({res.message})")
        return ({k: np.asarray(v) for k, v in unravel(res.x).items()}, -float(res.fun))

    def __repr__(self) -> str:
        return (f"LogLikelihood(run '{self._asm.cfg.run.name}', {len(self.names)} parameter "
                f"site(s), {len(self.term_names)} term(s))")
