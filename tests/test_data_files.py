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
