"""The disk cache of precomputed tables (bkfit/inputs/disk_cache.py): an entry is computed
once, read back equal, recomputed when its inputs or the code change or the file is corrupt,
never written when switched off; and a likelihood built from tables read from disk gives the
same values as one built from freshly computed tables."""
import numpy as np
import pytest

from bkfit.inputs import disk_cache


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BKFIT_TABLE_CACHE", str(tmp_path))
    return tmp_path


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value
    return compute, calls


def test_computed_once_then_read(folder):
    value = {"a": np.arange(5.0), "b": (1, "x")}
    compute, calls = _counting(value)
    first = disk_cache.cached("t", ("k", 1, b"\x00"), compute)
    second = disk_cache.cached("t", ("k", 1, b"\x00"), compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(second["a"], value["a"])
    assert second["b"] == value["b"] and first is value
    assert len(list(folder.glob("*/t-*.pkl"))) == 1


def test_other_inputs_or_code_are_other_entries(folder, monkeypatch):
    compute, calls = _counting(np.ones(3))
    disk_cache.cached("t", ("k", 1), compute)
    disk_cache.cached("t", ("k", 2), compute)
    disk_cache.cached("u", ("k", 1), compute)
    assert len(calls) == 3
    monkeypatch.setattr(disk_cache, "code_version", lambda: "another version of bkfit")
    disk_cache.cached("t", ("k", 1), compute)
    assert len(calls) == 4


def test_old_code_versions_are_pruned(folder, monkeypatch):
    compute, calls = _counting(0)
    for i in range(disk_cache.KEEP_VERSIONS + 2):
        monkeypatch.setattr(disk_cache, "code_version", lambda i=i: f"{i:016d}")
        disk_cache.cached("t", ("k",), compute)
        (folder / f"{i:016d}").touch()          # distinct modification times, oldest first
    kept = sorted(d.name for d in folder.iterdir())
    assert len(kept) == disk_cache.KEEP_VERSIONS
    assert kept[-1] == f"{disk_cache.KEEP_VERSIONS + 1:016d}"      # the newest is kept


def test_corrupt_entry_is_recomputed(folder):
    compute, calls = _counting(np.arange(3.0))
    disk_cache.cached("t", ("k",), compute)
    (path,) = folder.glob("*/t-*.pkl")
    path.write_bytes(b"not a pickle")
    out = disk_cache.cached("t", ("k",), compute)
    assert len(calls) == 2
    np.testing.assert_array_equal(out, np.arange(3.0))
    np.testing.assert_array_equal(disk_cache.cached("t", ("k",), compute), np.arange(3.0))
    assert len(calls) == 2


def test_switched_off_and_unpicklable(tmp_path, monkeypatch):
    monkeypatch.setenv("BKFIT_TABLE_CACHE", "0")
    compute, calls = _counting(1.0)
    disk_cache.cached("t", ("k",), compute)
    disk_cache.cached("t", ("k",), compute)
    assert len(calls) == 2 and disk_cache.folder() is None
    monkeypatch.setenv("BKFIT_TABLE_CACHE", str(tmp_path))
    disk_cache.cached("t", (lambda: 0,), compute)          # no stable key: not stored
    assert len(calls) == 3 and not list(tmp_path.rglob("*.pkl"))


def _clear_memory_caches():
    from bkfit.physics import common, invisible_bins
    from bkfit.physics.relic import fast
    invisible_bins._TABLES.clear()
    common._QF_CACHE.clear()
    common._POLY_CACHE.clear()
    common._PC_CACHE.clear()
    fast._fast_table.cache_clear()
    fast._coarse_table.cache_clear()


def test_likelihood_from_disk_tables_equals_fresh(folder):
    """A light-invisible run (bin tables, form-factor quadratic forms):
    every term's ln L with the tables computed fresh (in-memory caches emptied) equals, to
    1e-13, the one with the tables read back from disk."""
    from bkfit import log_likelihood
    _clear_memory_caches()
    ll = log_likelihood("runs/dm_scalar_V.toml")
    x = ll.example(3)
    fresh = {k: float(v) for k, v in ll.terms(x).items()}
    stored = {p.name.split("-")[0] for p in folder.glob("*/*.pkl")}
    assert {"invisible_bins", "quadratic"} <= stored
    _clear_memory_caches()
    again = {k: float(v) for k, v in log_likelihood("runs/dm_scalar_V.toml").terms(x).items()}
    assert again.keys() == fresh.keys()
    for k in fresh:
        assert again[k] == pytest.approx(fresh[k], rel=1e-13, abs=1e-13), k


def test_relic_table_from_disk_equals_fresh(folder):
    """Omega h^2 from the relic thermal table computed fresh and read back from disk."""
    from bkfit.physics.relic import fast
    channels = [(1e-3, 0.135, 0.135, 0.5), (2e-3, 0.494, 0.494, 1.0)]
    _clear_memory_caches()
    fresh = float(fast.omega_h2_channels(0.6, channels))
    assert list(folder.glob("*/relic_eta_moments-*.pkl"))
    _clear_memory_caches()
    assert float(fast.omega_h2_channels(0.6, channels)) == pytest.approx(fresh, rel=1e-14)


def test_parameter_constant_from_disk_equals_fresh(folder):
    """A ``par_constant`` value (the MSbar m_b at 4.2 GeV, three-loop running) stored and read
    back equals the uncached function, and a changed input parameter is another entry."""
    from bkfit.inputs import load_db
    from bkfit.physics import common, qcd
    par = dict(load_db().central)
    _clear_memory_caches()
    stored = float(qcd.m_b(par, 4.2))
    _clear_memory_caches()
    again = float(qcd.m_b(par, 4.2))
    assert again == stored == pytest.approx(float(qcd.m_b.uncached(par, 4.2)), rel=1e-14)
    assert list(folder.glob("*/par_constant-*.pkl"))
    shifted = float(qcd.m_b({**par, "m_b": par["m_b"] * 1.01}, 4.2))
    assert shifted != pytest.approx(stored, rel=1e-4)
    del common
