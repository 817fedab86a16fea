"""Publication figures: PDF + PNG, LaTeX axis labels from the label table, SM lines, a line
style and colour per mass, legends and titles that do not overlap the data or each other, and
per-mode HDI summaries of multimodal posteriors (tiny synthetic InferenceData, no fits)."""
from types import SimpleNamespace

import arviz as az
import matplotlib
import numpy as np
import pytest
from scipy import optimize, stats

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bkfit import observables as obsreg  # noqa: E402
from bkfit.inference import figures  # noqa: E402
from bkfit.inference.modes import hdi_modes, interval_text, is_multimodal  # noqa: E402
from bkfit.inputs import labels as lab  # noqa: E402
from bkfit.inputs import load_db  # noqa: E402

# a mixture of two well-separated normals: weights, means, standard deviations
W, MU, SD = (0.65, 0.35), (-2.0, 3.0), (0.5, 0.7)


def _mixture_draws(n, seed=1):
    rng = np.random.default_rng(seed)
    first = rng.random(n) < W[0]
    return np.where(first, rng.normal(MU[0], SD[0], n), rng.normal(MU[1], SD[1], n))


def _exact_mixture_hdi(prob):
    """The highest-density region {f > c} of the mixture holding ``prob``, from its density
    and CDF (scipy): one (low, high, mass) per mode."""
    def f(x):
        return sum(w * stats.norm.pdf(x, m, s) for w, m, s in zip(W, MU, SD))

    def cdf(x):
        return sum(w * stats.norm.cdf(x, m, s) for w, m, s in zip(W, MU, SD))

    def intervals(c):
        mid = optimize.minimize_scalar(f, bounds=MU, method="bounded").x   # the valley
        return [(optimize.brentq(lambda x: f(x) - c, MU[0] - 10, MU[0]),
                 optimize.brentq(lambda x: f(x) - c, MU[0], mid)),
                (optimize.brentq(lambda x: f(x) - c, mid, MU[1]),
                 optimize.brentq(lambda x: f(x) - c, MU[1], MU[1] + 10))]

    def mass(c):
        return sum(cdf(b) - cdf(a) for a, b in intervals(c))

    c = optimize.brentq(lambda c: mass(c) - prob, 1e-4, 0.999 * f(MU[1]))
    return [(a, b, cdf(b) - cdf(a)) for a, b in intervals(c)]


@pytest.mark.parametrize("prob", [0.68, 0.9])
def test_bimodal_posterior_gets_one_hdi_per_mode(prob):
    x = _mixture_draws(100_000).reshape(2, -1)          # (chain, draw) like a posterior
    modes = hdi_modes(x, prob)
    exact = _exact_mixture_hdi(prob)
    assert len(modes) == 2 and is_multimodal(x, prob)
    for m, (a, b, p) in zip(modes, exact):
        assert m.low == pytest.approx(a, abs=0.06)
        assert m.high == pytest.approx(b, abs=0.06)
        assert m.mass == pytest.approx(p, abs=0.01)
    assert " ∪ " in interval_text(modes)


def test_unimodal_posterior_gets_the_sample_hdi():
    x = np.random.default_rng(2).gamma(3.0, 1.0, size=(2, 20_000))      # skewed, one mode
    modes = hdi_modes(x)
    assert len(modes) == 1 and not is_multimodal(x)
    np.testing.assert_array_equal([modes[0].low, modes[0].high],
                                  az.hdi(x.reshape(-1), hdi_prob=0.68))
    assert "∪" not in interval_text(modes)


@pytest.mark.parametrize("seed", range(5))
def test_flat_posterior_is_not_cut_into_modes(seed):
    """A prior-dominated (flat) posterior: the density estimate's noise splits the HDI into
    pieces without valleys between them; they are one interval."""
    x = np.random.default_rng(seed).uniform(2.5, 5.0, size=(2, 2000))
    assert len(az.hdi(x.reshape(-1), hdi_prob=0.68, multimodal=True)) > 1   # ArviZ alone splits it
    assert not is_multimodal(x)


def test_small_bumps_are_not_modes():
    """A 2 % side population is below the 5 % rule: one interval."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 1, 49_000), rng.normal(8, 0.1, 1_000)])
    assert len(hdi_modes(x)) == 1


def test_save_figure_writes_pdf_and_png(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    paths = figures.save_figure(fig, tmp_path / "sub" / "fig.png")
    plt.close(fig)
    assert [p.name for p in paths] == ["fig.png", "fig.pdf"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG"
    assert paths[1].read_bytes()[:4] == b"%PDF"


def _synthetic_run():
    """A posterior like a fit's: a bimodal coefficient (SM value 0), a mass (no SM value)
    and the derived observable R^nunu(B+ -> K) (its SM prediction is 1)."""
    rng = np.random.default_rng(4)
    post = {"CL_bsnutaunutau": _mixture_draws(2000, seed=5).reshape(2, 1000),
            "m_phi": rng.normal(1.2, 0.2, (2, 1000)),
            "Rnunu_Bp_to_K": 1.5 + rng.gamma(4.0, 0.25, (2, 1000))}
    idata = az.from_dict(posterior=post)
    for v, label, kind in (("CL_bsnutaunutau", "CL_bsnutaunutau", "sampled"),
                           ("m_phi", "m_phi", "sampled"),
                           ("Rnunu_Bp_to_K", "Rnunu(B+->K)", "observable")):
        idata.posterior[v].attrs.update(label=label, kind=kind)
    asm = SimpleNamespace(priors={"CL_bsnutaunutau": None, "m_phi": None},
                          base_par=load_db().central,
                          cfg=SimpleNamespace(run=SimpleNamespace(name="synthetic")))
    return idata, asm


def _renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)          # the figure may be closed (pyplot let go of it)
    canvas.draw()
    return canvas.get_renderer()


def _overlap(a, b) -> bool:
    return a.overlaps(b) and a.width > 0 and b.width > 0


def test_corner_plot(tmp_path):
    idata, asm = _synthetic_run()
    out = figures.corner_plot(idata, asm, tmp_path / "corner.png")
    assert out == tmp_path / "corner.png"
    assert (tmp_path / "corner.png").is_file() and (tmp_path / "corner.pdf").is_file()
    fig = plt.gcf() if plt.get_fignums() else None
    assert fig is None                                  # closed after writing


def test_corner_plot_content(tmp_path, monkeypatch):
    idata, asm = _synthetic_run()
    kept = {}
    monkeypatch.setattr(figures, "save_figure", lambda fig, path: kept.setdefault("fig", fig))
    figures.corner_plot(idata, asm, tmp_path / "corner.png")
    fig = kept["fig"]
    names = ["CL_bsnutaunutau", "m_phi", "Rnunu(B+->K)"]
    k = len(names)
    axes = np.array(fig.axes).reshape(k, k)
    # axis labels: the table's LaTeX labels (bottom row and left column)
    assert [axes[-1, j].get_xlabel() for j in range(k)] == [lab.axis_label(n) for n in names]
    assert [axes[i, 0].get_ylabel() for i in range(1, k)] == [lab.axis_label(n)
                                                              for n in names[1:]]
    assert axes[-1, 0].get_xlabel() == r"$C_L^{\nu_\tau\nu_\tau}$"

    def sm_lines(ax):
        return [ln.get_xdata()[0] for ln in ax.get_lines()
                if ln.get_color() == figures.SM_COLOR and len(set(ln.get_xdata())) == 1]
    # SM lines: C = 0 (the table's SM value), R^nunu = 1 (bkfit's SM prediction), none for
    # the mass
    assert sm_lines(axes[0, 0]) == [0.0]
    assert sm_lines(axes[1, 1]) == []
    sm_r = float(obsreg.predict("Rnunu(B+->K)", {}, asm.base_par))
    assert sm_r == pytest.approx(1.0, abs=1e-12)
    assert sm_lines(axes[2, 2]) == [pytest.approx(sm_r)]
    # all draws of R^nunu are above 1: the axis is widened to show the SM line
    assert idata.posterior["Rnunu_Bp_to_K"].min() > 1.0 + 1e-3
    assert axes[2, 2].get_xlim()[0] < sm_r < axes[2, 2].get_xlim()[1]
    # titles: the 68 % HDI, one interval per mode of the bimodal coefficient
    titles = [axes[i, i].get_title() for i in range(k)]
    assert titles[0].count("∪") == 1 and "∪" not in titles[1]
    # nothing collides: titles with each other, the legend and suptitle with the panels
    r = _renderer(fig)
    boxes = [axes[i, i].title.get_window_extent(r) for i in range(k)]
    assert not any(_overlap(boxes[i], boxes[j]) for i in range(k) for j in range(i + 1, k))
    shown = [axes[i, j].get_window_extent(r) for i in range(k) for j in range(i + 1)]
    assert not any(axes[i, j].get_frame_on() for i in range(k) for j in range(i + 1, k))
    for artist in (fig.legends[0], fig._suptitle):
        box = artist.get_window_extent(r)
        assert not any(_overlap(box, a) for a in shown)
    plt.close(fig)


def test_spectra_styles_per_mass(tmp_path):
    from bkfit.plots.spectra import plot_spectra, spectra_figure
    panel = [("scalar", ("S", "V"), (0.3, 0.7))]
    fig = spectra_figure(panel, efficiency="none")
    ax = fig.axes[0]
    lines = ax.get_lines()
    sm = [ln for ln in lines if ln.get_label().startswith("SM")]
    assert len(sm) == 1 and sm[0].get_color() == "k"
    curves = {ln.get_label(): ln for ln in lines if ln not in sm}
    assert len(curves) == 4
    styles = {lbl: (matplotlib.colors.to_hex(ln.get_color()), str(ln.get_linestyle()))
              for lbl, ln in curves.items()}
    # every curve its own colour; one line style per mass, different between masses
    assert len({c for c, _ in styles.values()}) == 4
    by_mass = {}
    for lbl, (_, ls) in styles.items():
        by_mass.setdefault(lab.value_label("m_phi", 0.3)[1:-1] in lbl, set()).add(ls)
    assert all(len(s) == 1 for s in by_mass.values()) and by_mass[True] != by_mass[False]
    # LaTeX labels, and the legend outside (below) the axes
    assert ax.get_xlabel() == r"$q^2\ [\mathrm{GeV}^2]$"
    assert any(r"C_{V}^{\phi}" in lbl and r"m_\phi = 0.7" in lbl for lbl in curves)
    r = _renderer(fig)
    assert not _overlap(ax.get_legend().get_window_extent(r), ax.get_window_extent(r))
    plt.close(fig)
    paths = plot_spectra(panel, tmp_path / "spectra.png", efficiency="none")
    assert [p.name for p in paths] == ["spectra.png", "spectra.pdf"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_report_gives_per_mode_intervals_for_a_multimodal_parameter(tmp_path):
    from bkfit.inference.report import write_report
    from bkfit.inference.results import diagnostics
    idata, asm = _synthetic_run()
    rng = np.random.default_rng(6)
    idata.add_groups(sample_stats={"lp": rng.normal(size=(2, 1000)),
                                   "diverging": np.zeros((2, 1000), bool)})
    asm.cfg.run.description, asm.cfg.run.seed, asm.cfg.path = "", 0, "synthetic.toml"
    asm.model = SimpleNamespace(name="toy", description="toy model", report_masses=dict,
                                report_marginal_modes=lambda: None)
    asm.terms, asm.blocks = [], []
    asm.prior_text = {p: "uniform" for p in asm.priors}
    write_report(idata, asm, diagnostics(idata), [], {}, tmp_path / "report.md")
    rows = {ln.split("|")[1].strip(): ln for ln in (tmp_path / "report.md").read_text()
            .splitlines() if ln.startswith("| `")}
    x = idata.posterior["CL_bsnutaunutau"].values
    modes = hdi_modes(x)
    assert len(modes) == 2
    assert "multimodal | –" in rows["`CL_bsnutaunutau`"]
    assert f"[{modes[0].low:.4g}, {modes[0].high:.4g}]" in rows["`CL_bsnutaunutau`"]
    assert f"{x.mean():.4g}" not in rows["`CL_bsnutaunutau`"]
    m = idata.posterior["m_phi"].values
    lo, hi = az.hdi(m.reshape(-1), hdi_prob=0.68)
    assert f"| {m.mean():.4g} | {m.std():.4g} |" in rows["`m_phi`"]
    assert f"[{lo:.4g}, {hi:.4g}]" in rows["`m_phi`"]
