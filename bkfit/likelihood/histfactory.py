"""A HistFactory (pyhf JSON) workspace evaluated by bkfit's own jitted JAX code.

Model (identical to pyhf 0.7 with its default interpolation codes, validated against
``pyhf`` numpy-backend ``model.logpdf`` in tests/test_belle2_likelihood.py):

* expected yield of sample s in bin b:
  ``(nom_sb + sum_p delta_p(alpha_p)) * prod_p kappa_p(alpha_p) * gamma_sb * prod mu * r_sb``;
  ``histosys`` deltas use pyhf's default code 4p (polynomial for |alpha| <= 1, linear
  outside), ``normsys`` factors its default code 4 (6th-order polynomial for |alpha| < 1,
  exponential outside, continuous up to the 2nd derivative), ``staterror`` gammas multiply
  one bin each, ``normfactor`` parameters (``mu``) are free, r is an optional per-bin factor
  of chosen samples (the reweighting of bkfit/likelihood/pyhf_term.py);
* log L = sum_b Poisson(n_b | lambda_b) (continuous: n log lambda - lambda - lnGamma(n+1))
  + sum_alpha log N(0 | alpha, 1) + sum_gamma log N(1 | gamma, sigma), where sigma of a
  staterror bin is sqrt(sum of the squared absolute uncertainties of the samples sharing
  that modifier) / (sum of their nominal yields), as pyhf computes it.

Each modifier type has one entry reader (what one modifier of one sample contributes) and one
builder (the arrays of all modifiers of that type); ``CompiledWorkspace`` puts them together.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_TINY = 1e-300          # floor for lambda inside the log (pyhf would give NaN at lambda <= 0)
_LOG2PI = float(np.log(2.0 * np.pi))


# ---------------------------------------------------------------------------- interpolation
def _code4_coefficients(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Coefficients c_1..c_6 of f(a) = 1 + sum_i c_i a^i matching hi^a at a = +1 and
    lo^(-a) at a = -1 in value, first and second derivative (pyhf interpolation code 4,
    alpha0 = 1).  Returns shape hi.shape + (6,)."""
    i = np.arange(1, 7, dtype=float)
    rows = [np.ones(6), (-1.0) ** i,                       # f(1) - 1, f(-1) - 1
            i, i * (-1.0) ** (i - 1),                      # f'(1), f'(-1)
            i * (i - 1), i * (i - 1) * (-1.0) ** (i - 2)]  # f''(1), f''(-1)
    M = np.array(rows)
    lh, ll = np.log(hi), np.log(lo)
    rhs = np.stack([hi - 1.0, lo - 1.0, hi * lh, -lo * ll, hi * lh ** 2, lo * ll ** 2], axis=-1)
    return rhs @ np.linalg.inv(M).T


def _code4p_g(alpha):
    """g(alpha) with code-4p delta = alpha S + g(alpha) A, S = (du + dd)/2, A = (du - dd)/16:
    g = alpha^2 (3 alpha^4 - 10 alpha^2 + 15) for |alpha| <= 1 and 8 |alpha| outside
    (alpha du = alpha S + 8 alpha A for alpha > 1, alpha dd = alpha S - 8 alpha A for
    alpha < -1)."""
    a2 = alpha * alpha
    inner = a2 * (a2 * (3.0 * a2 - 10.0) + 15.0)
    return jnp.where(jnp.abs(alpha) > 1.0, 8.0 * jnp.abs(alpha), inner)


def _code4p_g_prime(alpha):
    """d g / d alpha of :func:`_code4p_g`."""
    a2 = alpha * alpha
    inner = alpha * (a2 * (18.0 * a2 - 40.0) + 30.0)
    return jnp.where(jnp.abs(alpha) > 1.0, 8.0 * jnp.sign(alpha), inner)


def _normsys_code4_dlog(alpha, lnhi, lnlo, coef):
    """d ln(factor) / d alpha of :func:`_normsys_code4` (same arguments)."""
    powers = jnp.stack([alpha ** k for k in range(0, 6)], axis=-1)
    k = jnp.arange(1, 7, dtype=float)
    poly = 1.0 + jnp.sum(coef * powers * alpha[..., None], axis=-1)
    dpoly = jnp.sum(coef * k * powers, axis=-1)
    inner = jnp.where(poly != 0.0, dpoly / jnp.where(poly != 0.0, poly, 1.0), 0.0)
    return jnp.where(alpha >= 1.0, lnhi, jnp.where(alpha > -1.0, inner, -lnlo))


def _normsys_code4(alpha, lnhi, lnlo, coef):
    """pyhf code 4 multiplicative factor (alpha broadcast against lnhi, lnlo; coef (..., 6))."""
    up = jnp.exp(alpha * lnhi)
    dn = jnp.exp(-alpha * lnlo)
    powers = jnp.stack([alpha ** k for k in range(1, 7)], axis=-1)
    poly = 1.0 + jnp.sum(coef * powers, axis=-1)
    return jnp.where(alpha >= 1.0, up, jnp.where(alpha > -1.0, poly, dn))


# ---------------------------------------------------------------------------- modifiers
# entry readers: (modifier, channel, row slice of the sample) -> what the builder needs
def _histosys_entry(m, channel, sl):
    return sl, np.asarray(m["data"]["hi_data"], float), np.asarray(m["data"]["lo_data"], float)


def _normsys_entry(m, channel, sl):
    return sl, float(m["data"]["hi"]), float(m["data"]["lo"])


def _staterror_entry(m, channel, sl):
    return channel, sl, np.asarray(m["data"], float)


def _normfactor_entry(m, channel, sl):
    return sl


MODIFIER_ENTRIES = {"histosys": _histosys_entry, "normsys": _normsys_entry,
                    "staterror": _staterror_entry, "normfactor": _normfactor_entry}


def _build_histosys(hist: dict, aidx: dict, nom: np.ndarray):
    """Code-4p arrays: alpha index per histosys name, up/down deltas per row, S and A."""
    R = len(nom)
    hnames = sorted(hist)
    h_aidx = np.array([aidx[n] for n in hnames], dtype=int)
    h_du = np.zeros((R, len(hnames)))
    h_dd = np.zeros((R, len(hnames)))
    for k, n in enumerate(hnames):
        for sl, hi, lo in hist[n]:
            h_du[sl, k] += hi - nom[sl]
            h_dd[sl, k] += nom[sl] - lo
    return h_aidx, h_du, h_dd, 0.5 * (h_du + h_dd), 0.0625 * (h_du - h_dd)


def _build_normsys(norm: dict, aidx: dict, sample_of_row: np.ndarray, n_samples: int):
    """Code-4 arrays, one factor per (sample, modifier) pair: alpha index, ln hi, ln lo,
    polynomial coefficients, and which sample each pair multiplies."""
    pairs = []                      # (alpha index, sample index, hi, lo)
    for n in sorted(norm):
        for sl, hi, lo in norm[n]:
            pairs.append((aidx[n], int(sample_of_row[sl.start]), hi, lo))
    n_aidx = np.array([p[0] for p in pairs], dtype=int)
    his = np.array([p[2] for p in pairs], dtype=float)
    los = np.array([p[3] for p in pairs], dtype=float)
    onehot = np.zeros((n_samples, len(pairs)), dtype=bool)
    for k, p in enumerate(pairs):
        onehot[p[1], k] = True
    return n_aidx, np.log(his), np.log(los), _code4_coefficients(his, los), onehot


def _build_staterror(stat: dict, nbins: dict, nom: np.ndarray):
    """One gamma block per staterror name (within one channel, as pyhf requires): the blocks
    (name, channel, nbins, sigma), their total size and the gamma index of every row (the
    total size for rows without a gamma, which then read the constant 1)."""
    gamma_sets = []
    gidx = np.full(len(nom), -1)
    goff = 0
    for n in sorted(stat):
        entries = stat[n]
        chs = {c for c, _, _ in entries}
        if len(chs) != 1:
            raise ValueError(f"staterror '{n}' spans channels {sorted(chs)}")
        c = entries[0][0]
        nb = nbins[c]
        unc2 = np.zeros(nb)
        nomsum = np.zeros(nb)
        for _, sl, d in entries:
            unc2 += d ** 2
            nomsum += nom[sl]
            gidx[sl] = goff + np.arange(nb)
        sigma = np.sqrt(unc2) / nomsum
        if not np.all(np.isfinite(sigma) & (sigma > 0)):
            raise NotImplementedError(f"staterror '{n}' has empty bins (pyhf fixes those)")
        gamma_sets.append((n, c, nb, sigma))
        goff += nb
    return gamma_sets, goff, np.where(gidx < 0, goff, gidx)


def _build_normfactor(free: dict, par_cfg: dict, n_rows: int):
    """Free parameters (alphabetical): names, row mask, initial values and bounds (from the
    measurement's parameter config; 1 and [0, 10] by default)."""
    names = sorted(free)
    mask = np.zeros((n_rows, len(names)))
    init, bounds = [], []
    for k, n in enumerate(names):
        for sl in free[n]:
            mask[sl, k] = 1.0
        cfg = par_cfg.get(n, {})
        init.append(float(cfg.get("inits", [1.0])[0]))
        bounds.append(tuple(map(float, cfg.get("bounds", [[0.0, 10.0]])[0])))
    return names, mask, np.asarray(init), bounds


def _build_reweighting(rw_keys: list, samples: list, n_rows: int):
    """Rows of the reweighted samples (order of ``rw_keys``), their total count and the index
    into r of every row (the total count for rows not reweighted, which read the constant 1)."""
    rw_rows = []
    ridx = np.full(n_rows, -1)
    roff = 0
    for key in rw_keys:
        c, s = key.rsplit("/", 1)
        sl = [sl for cc, ss, sl in samples if cc == c and ss == s][0]
        ridx[sl] = roff + np.arange(sl.stop - sl.start)
        rw_rows.append(sl)
        roff += sl.stop - sl.start
    return rw_rows, roff, np.where(ridx < 0, roff, ridx)


def _dropped(name: str, patterns) -> bool:
    return any(name == d or (d.endswith("*") and name.startswith(d[:-1])) for d in patterns)


# ---------------------------------------------------------------------------- compiled model
class CompiledWorkspace:
    """Flattened arrays of a pyhf workspace (one measurement) for jitted evaluation.

    Parameter vector ``theta = [alpha (n_alpha), gamma (n_gamma), free (n_free)]``:
    alphas in alphabetical order of their names, gamma blocks (one per staterror name,
    alphabetical), free (normfactor) parameters alphabetical.  ``r`` is the concatenation
    of the reweighting factors of the ``reweight`` samples (in the given order); modifiers
    named in ``drop_from_reweighted`` (``name*``: a prefix) are ignored on those samples.
    """

    def __init__(self, spec: dict, reweight: list[str] = (), drop_from_reweighted=(),
                 measurement: int = 0):
        meas = spec["measurements"][measurement]
        self.poi = meas["config"].get("poi")
        par_cfg = {p["name"]: p for p in meas["config"].get("parameters", [])}
        for nm, p in par_cfg.items():
            if set(p) - {"name", "inits", "bounds"}:
                raise NotImplementedError(f"measurement parameter config {p} (only inits/bounds)")
        rw_keys = list(reweight)
        obs = {o["name"]: np.asarray(o["data"], float) for o in spec["observations"]}
        self.channels = sorted(ch["name"] for ch in spec["channels"])
        self.nbins = {c: len(obs[c]) for c in self.channels}
        off = np.cumsum([0] + [self.nbins[c] for c in self.channels])
        self.bin_offset = {c: int(o) for c, o in zip(self.channels, off)}
        self.n_main = int(off[-1])
        self.observed = np.concatenate([obs[c] for c in self.channels])

        mods = self._read_samples(spec, rw_keys, drop_from_reweighted)
        R = len(self.rows)
        nom = self.nom

        # alphas: histosys + normsys names (shared names allowed, one parameter)
        self.alpha_names = sorted(set(mods["histosys"]) | set(mods["normsys"]))
        aidx = {n: i for i, n in enumerate(self.alpha_names)}
        self.h_aidx, self.h_du, self.h_dd, self.h_S, self.h_A = _build_histosys(
            mods["histosys"], aidx, nom)
        self.n_aidx, self.n_lnhi, self.n_lnlo, self.n_coef, self.n_onehot = _build_normsys(
            mods["normsys"], aidx, self.sample_of_row, len(self.samples))
        self.gamma_sets, self.n_gamma, self.gamma_idx = _build_staterror(
            mods["staterror"], self.nbins, nom)
        self.gamma_sigma = (np.concatenate([g[3] for g in self.gamma_sets])
                            if self.gamma_sets else np.zeros(0))
        self.free_names, self.free_mask, self.free_init, self.free_bounds = _build_normfactor(
            mods["normfactor"], par_cfg, R)
        self.rw_keys = rw_keys
        self.rw_rows, self.n_rw, self.rw_idx = _build_reweighting(rw_keys, self.samples, R)

        self.n_alpha = len(self.alpha_names)
        self.n_free = len(self.free_names)
        self.n_theta = self.n_alpha + self.n_gamma + self.n_free
        self.n_constrained = self.n_alpha + self.n_gamma
        from scipy.special import gammaln
        self.lgamma_obs = gammaln(self.observed + 1.0)

    def _read_samples(self, spec: dict, rw_keys: list, drop_from_reweighted) -> dict:
        """One row per (channel, sample, bin): nominal yields, main bin of each row, the
        row-to-bin sum matrix and the sample of each row; returns each modifier type's
        entries by modifier name."""
        chans = {ch["name"]: ch for ch in spec["channels"]}
        rows = []                       # (channel, sample, bin)
        self.samples = []               # (channel, sample, slice of rows)
        nom, bin_of_row = [], []
        mods = {t: {} for t in MODIFIER_ENTRIES}    # type -> name -> list of entries
        seen_rw = []
        for c in self.channels:
            for s in chans[c]["samples"]:
                key = f"{c}/{s['name']}"
                r0 = len(rows)
                nb = len(s["data"])
                if nb != self.nbins[c]:
                    raise ValueError(f"{key}: {nb} bins, channel has {self.nbins[c]}")
                rows += [(c, s["name"], b) for b in range(nb)]
                sl = slice(r0, r0 + nb)
                self.samples.append((c, s["name"], sl))
                nom += list(map(float, s["data"]))
                bin_of_row += list(range(self.bin_offset[c], self.bin_offset[c] + nb))
                is_rw = key in rw_keys
                if is_rw:
                    seen_rw.append(key)
                for m in s["modifiers"]:
                    if is_rw and _dropped(m["name"], drop_from_reweighted):
                        continue
                    t = m["type"]
                    if t not in MODIFIER_ENTRIES:
                        raise NotImplementedError(f"modifier type '{t}' ({m['name']}) is not "
                                                  "supported by bkfit's pyhf evaluation")
                    mods[t].setdefault(m["name"], []).append(MODIFIER_ENTRIES[t](m, c, sl))
        missing = set(rw_keys) - set(seen_rw)
        if missing:
            raise ValueError(f"map(s) for unknown channel/sample {sorted(missing)}")
        R = len(rows)
        self.rows = rows
        self.nom = np.asarray(nom)
        self.bin_of_row = np.asarray(bin_of_row)
        self.sum_matrix = np.zeros((self.n_main, R))
        self.sum_matrix[self.bin_of_row, np.arange(R)] = 1.0
        self.sample_of_row = np.zeros(R, dtype=int)
        for k, (_, _, sl) in enumerate(self.samples):
            self.sample_of_row[sl] = k
        return mods

    # --------------------------------------------------------------- parameter vectors
    def nominal_theta(self) -> np.ndarray:
        """Nominal parameter vector: alphas 0, gammas 1, free normalisations at their initial
        values."""
        return np.concatenate([np.zeros(self.n_alpha), np.ones(self.n_gamma), self.free_init])

    def split(self, theta):
        """Split a parameter vector into (alphas, gammas, free normalisations)."""
        a = theta[: self.n_alpha]
        g = theta[self.n_alpha: self.n_alpha + self.n_gamma]
        f = theta[self.n_alpha + self.n_gamma:]
        return a, g, f

    def bounds(self) -> list[tuple[float, float]]:
        """pyhf's suggested bounds: alpha in [-5, 5], gamma in [1e-10, 10], free as given."""
        return ([(-5.0, 5.0)] * self.n_alpha + [(1e-10, 10.0)] * self.n_gamma
                + list(self.free_bounds))

    # --------------------------------------------------------------- evaluation
    def _row_parts(self, a, g, f, r):
        """Pieces of the expected row yields at alphas ``a``, gammas ``g``, free normalisations
        ``f`` and reweighting ratios ``r`` (1 if None): the additive part nom + histosys deltas,
        the multiplicative factors other than the gamma (normsys, free, reweighting), the gamma
        of every row, and the alphas read by the histosys columns and normsys pairs."""
        nom = jnp.asarray(self.nom)
        ah = a[self.h_aidx]
        base = nom + jnp.asarray(self.h_S) @ ah + jnp.asarray(self.h_A) @ _code4p_g(ah)
        an = a[self.n_aidx]
        if len(self.n_aidx):
            kp = _normsys_code4(an, jnp.asarray(self.n_lnhi), jnp.asarray(self.n_lnlo),
                                jnp.asarray(self.n_coef))
            ks = jnp.prod(jnp.where(jnp.asarray(self.n_onehot), kp[None, :], 1.0), axis=1)
            factor = ks[self.sample_of_row]
        else:
            factor = jnp.ones(len(self.nom))
        gam = jnp.concatenate([g, jnp.ones(1)])[self.gamma_idx]
        if self.n_free:
            fm = jnp.asarray(self.free_mask)
            factor = factor * jnp.prod(jnp.where(fm > 0, f[None, :], 1.0), axis=1)
        if self.n_rw:
            rr = jnp.ones(self.n_rw) if r is None else jnp.asarray(r)
            factor = factor * jnp.concatenate([rr, jnp.ones(1)])[self.rw_idx]
        return base, factor, gam, ah, an

    def expected_rows(self, theta, r=None):
        """Expected yield of every (sample, bin) row at parameters ``theta``; ``r`` are the per-bin
        reweighting ratios of the reweighted samples (1 if None)."""
        a, g, f = self.split(jnp.asarray(theta))
        base, factor, gam, _, _ = self._row_parts(a, g, f, r)
        return base * factor * gam

    def expected_main(self, theta, r=None):
        """Expected event count of every main-measurement bin (rows summed over samples)."""
        return jnp.asarray(self.sum_matrix) @ self.expected_rows(theta, r)

    def expected_main_and_jacobian(self, x, free=None, r=None):
        """(expected main counts, their Jacobian d lam / d x) at constrained parameters
        ``x = [alpha, gamma]``, free normalisations ``free`` (their initial values if None)
        and reweighting ratios ``r``.  The Jacobian is written out (derivatives of the code-4p
        and code-4 interpolations, products over the multiplicative modifiers) instead of
        ``jax.jacrev``'s one reverse pass per bin, which made the Gauss-Newton profile of
        :meth:`profile` several times dearer than the counts themselves; the tests compare it
        with ``jax.jacrev``."""
        x = jnp.asarray(x)
        a, g = x[:self.n_alpha], x[self.n_alpha:]
        f = jnp.asarray(self.free_init if free is None else free, dtype=float)
        base, c_nogam, gam, ah, an = self._row_parts(a, g, f, r)
        rows = base * c_nogam * gam
        maps = self._jacobian_maps()
        idx = maps["bin_rows"]

        def by_bin(v):          # sum over the rows of each main bin: (R, ...) -> (bins, ...)
            ext = jnp.concatenate([v, jnp.zeros((1,) + v.shape[1:])])
            return jnp.sum(ext[idx], axis=1)

        lam = by_bin(rows)
        # alphas through the histosys deltas (additive) ...
        dbase = ((jnp.asarray(self.h_S) + jnp.asarray(self.h_A) * _code4p_g_prime(ah)[None, :])
                 * (c_nogam * gam)[:, None])
        Ja = by_bin(dbase) @ maps["histosys"]
        # ... and through the normsys factors (multiplicative: d rows = rows d ln kappa)
        if len(self.n_aidx):
            dlog = _normsys_code4_dlog(an, jnp.asarray(self.n_lnhi), jnp.asarray(self.n_lnlo),
                                       jnp.asarray(self.n_coef))
            per_row = jnp.where(jnp.asarray(self.n_onehot), dlog[None, :],
                                0.0)[self.sample_of_row]
            Ja = Ja + by_bin(rows[:, None] * per_row) @ maps["normsys"]
        # gammas: rows are linear in their own gamma, and a gamma sits in one main bin
        v = jnp.concatenate([base * c_nogam, jnp.zeros(1)])
        Jg = maps["gamma_bin"] * jnp.sum(v[maps["gamma_rows"]], axis=1)[None, :]
        return lam, jnp.concatenate([Ja, Jg], axis=1)

    def _jacobian_maps(self) -> dict:
        """Index and 0/1 arrays for :meth:`expected_main_and_jacobian`, built once: the rows of
        every main bin and of every gamma (padded with the index R of a zero row), the main bin
        of every gamma, and the maps from histosys columns and normsys pairs to alphas."""
        if getattr(self, "_jmaps", None) is None:
            R = len(self.nom)
            M = np.asarray(self.sum_matrix)
            if not np.all(np.sum(M != 0, axis=0) == 1) or not np.all((M == 0) | (M == 1)):
                raise NotImplementedError("every row must belong to exactly one main bin")
            members = [np.nonzero(M[b])[0] for b in range(M.shape[0])]
            width = max(len(m) for m in members)
            bin_rows = np.full((M.shape[0], width), R)
            for b, m in enumerate(members):
                bin_rows[b, :len(m)] = m
            h = np.zeros((len(self.h_aidx), self.n_alpha))
            h[np.arange(len(self.h_aidx)), self.h_aidx] = 1.0
            nm = np.zeros((len(self.n_aidx), self.n_alpha))
            nm[np.arange(len(self.n_aidx)), self.n_aidx] = 1.0
            # rows of every gamma (padded with R) and the main bin of every gamma
            of_gamma = [np.nonzero(self.gamma_idx == m)[0] for m in range(self.n_gamma)]
            gamma_rows = np.full((self.n_gamma, max([len(o) for o in of_gamma] + [1])), R)
            gamma_bin = np.zeros((M.shape[0], self.n_gamma))
            for m, o in enumerate(of_gamma):
                gamma_rows[m, :len(o)] = o
                bins = np.unique(np.nonzero(M[:, o])[0])
                if len(bins) != 1:
                    raise NotImplementedError(f"gamma {m} spans main bins {bins.tolist()}")
                gamma_bin[bins[0], m] = 1.0
            self._jmaps = {"bin_rows": bin_rows, "histosys": h, "normsys": nm,
                           "gamma_rows": gamma_rows, "gamma_bin": gamma_bin}
        return self._jmaps

    def main_logpdf(self, theta, r=None):
        """Poisson log-probability of the observed counts (constant terms included), without the
        constraint terms."""
        lam = self.expected_main(theta, r)
        n = jnp.asarray(self.observed)
        lam_s = jnp.where(lam > _TINY, lam, _TINY)
        return jnp.sum(n * jnp.log(lam_s) - lam_s - jnp.asarray(self.lgamma_obs))

    def constraint_logpdf(self, theta):
        """Log-density of the auxiliary constraints: standard normals for the alphas and normals of
        mean 1 and width ``gamma_sigma`` for the gammas."""
        a, g, _ = self.split(jnp.asarray(theta))
        sig = jnp.asarray(self.gamma_sigma)
        ca = -0.5 * jnp.sum(a * a) - 0.5 * _LOG2PI * self.n_alpha
        cg = jnp.sum(-0.5 * ((g - 1.0) / sig) ** 2 - jnp.log(sig)) - 0.5 * _LOG2PI * self.n_gamma
        return ca + cg

    def logpdf(self, theta, r=None):
        """pyhf's ``model.logpdf(pars, data + auxdata)`` (main Poisson + Gaussian constraints)."""
        return self.main_logpdf(theta, r) + self.constraint_logpdf(theta)

    # --------------------------------------------------------------- profiling
    def profile(self, r=None, free=None, iterations: int = 15, start=None, method="gn"):
        """Constrained nuisances maximising ``logpdf`` at fixed r and free parameters.

        Each of the ``iterations`` steps computes two directions, the Newton step on the exact
        Hessian (quadratic convergence near the optimum, but the Hessian can be indefinite
        because of the code-4p/code-4 polynomials) and the Gauss-Newton step on
        J^T diag(n / lambda^2) J + diag(constraints) (positive definite, always a descent
        direction), tries each with step lengths 1, 1/2, 1/4 and keeps the candidate with the
        lowest -logpdf (or stays put): a fixed-cost, monotone iteration.  ``method="gn"`` uses
        the Gauss-Newton direction only (no Hessian; cheaper per step, linear convergence).
        Returns the constrained part of theta."""
        free = jnp.asarray(self.free_init if free is None else free, dtype=float)
        nc = self.n_constrained
        na = self.n_alpha
        n_obs = jnp.asarray(self.observed)
        dcon = jnp.concatenate([jnp.ones(na), 1.0 / jnp.asarray(self.gamma_sigma) ** 2])

        def full(x):
            return jnp.concatenate([x, free])

        def nll(x):
            return -self.logpdf(full(x), r)

        def lam(x):
            return self.expected_main(full(x), r)

        x0 = (jnp.asarray(self.nominal_theta()[:nc]) if start is None
              else jnp.asarray(start, dtype=float))
        ts = jnp.asarray([1.0, 0.5, 0.25])

        def val(x):
            # candidates must keep the gammas positive and every expected count > 0
            v = nll(x)
            ok = jnp.isfinite(v) & jnp.all(x[na:] > 0) & jnp.all(lam(x) > 0)
            return jnp.where(ok, v, jnp.inf)

        def body(_, x):
            g = jax.grad(nll)(x)
            lm, J = self.expected_main_and_jacobian(x, free, r)
            w = n_obs / jnp.maximum(lm, _TINY) ** 2
            # Gauss-Newton direction (D + J^T W J)^-1 g, D = diag(dcon), by the Woodbury
            # identity with S = W^1/2 J (n_bins x n_par): only an n_bins x n_bins SPD system
            # (30 x 30 instead of 228 x 228; identical result, ~20x fewer flops)
            S = jnp.sqrt(w)[:, None] * J
            Dg = g / dcon
            SD = S / dcon[None, :]
            K = jnp.eye(S.shape[0]) + SD @ S.T
            dirs = [Dg - SD.T @ jax.scipy.linalg.solve(K, S @ Dg, assume_a="pos")]
            if method == "newton":
                dn = jnp.linalg.solve(jax.hessian(nll)(x), g)
                dirs.append(jnp.where(jnp.all(jnp.isfinite(dn)), dn, dirs[0]))
            cands = jnp.concatenate([x[None, :]] + [x[None, :] - ts[:, None] * d[None, :]
                                                    for d in dirs])
            vals = jax.vmap(val)(cands)
            return cands[jnp.argmin(vals)]

        return jax.lax.fori_loop(0, iterations, body, x0)
