"""bkfit.inputs.data_files: one cached reader for bkfit/inputs/data/."""
import pytest

from bkfit.inputs import data_files


def test_every_yaml_file_reads():
    for p in sorted(data_files.DATA_DIR.glob("*.yaml")):
        assert data_files.read_yaml(p.name) is not None, p.name


def test_copies_do_not_leak():
    a = data_files.read_yaml("bclnu_mixing.yaml")
    a["running"]["mb_threshold"] = -1.0
    assert data_files.read_yaml("bclnu_mixing.yaml")["running"]["mb_threshold"] == 4.8
    v = data_files.read_values("higgs.yaml")
    v.clear()
    assert data_files.read_values("higgs.yaml")


def test_unknown_file_names_the_files_there():
    with pytest.raises(FileNotFoundError, match="vlq.yaml"):
        data_files.read_yaml("vlq.yml")


def test_csv_reader_matches_the_csv_module():
    """read_csv against the standard library's csv reader on the g* table; copies do not
    leak."""
    import csv
    import numpy as np
    cols = data_files.read_csv("gstar_DHS2015.csv")
    with open(data_files.path("gstar_DHS2015.csv"), newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    header = [h.strip() for h in rows[0]]
    assert list(cols) == header and len(rows) > 100
    for i, h in enumerate(header):
        np.testing.assert_array_equal(cols[h], [float(r[i]) for r in rows[1:]])
    cols["T_GeV"][:] = -1.0
    assert data_files.read_csv("gstar_DHS2015.csv")["T_GeV"][0] > 0


def test_cosmology_inputs():
    """The constants of cosmology.yaml and the g* table it names (bkfit.inputs.cosmology)."""
    from bkfit.inputs.cosmology import cosmology, gstar_table
    c = cosmology()
    assert c["hbar_c"] == 1.973269804e-14 and c["gstar_file"] == "gstar_DHS2015.csv"
    c["hbar_c"] = 0.0
    assert cosmology()["hbar_c"] == 1.973269804e-14
    tab = gstar_table()
    assert tab.shape[0] == 3 and tab[0][0] == pytest.approx(2.0e-5, rel=0.05)
