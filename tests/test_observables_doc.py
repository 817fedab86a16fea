"""docs/observables.md lists exactly the observables of the default catalogue."""
from __future__ import annotations

import re
from pathlib import Path

from bkfit.observables import default_catalogue

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "observables.md"
BEGIN = "<!-- BEGIN observable table"
END = "<!-- END observable table -->"


def _table_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "table markers missing in docs/observables.md"
    body = text.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = []
    for line in body.splitlines():
        line = line.strip()
        if not line.startswith("| `"):
            continue                          # header and separator rows
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append(cells)
    return rows


def test_table_lists_exactly_the_catalogue():
    rows = _table_rows()
    names = [r[0].strip("`") for r in rows]
    assert len(names) == len(set(names)), "an observable is listed twice"
    cat = default_catalogue()
    missing = sorted(set(cat.names()) - set(names))
    extra = sorted(set(names) - set(cat.names()))
    assert not missing and not extra, (
        f"docs/observables.md is stale (run python docs/gen_observables_table.py): "
        f"missing {missing}, not in the catalogue {extra}")


def test_table_arguments_and_naming_match_the_catalogue():
    cat = default_catalogue()
    for name, args, naming, _ in _table_rows():
        spec = cat.lookup(name.strip("`"))
        want = ", ".join(f"`{a}`" for a in spec.args) if spec.args else "–"
        assert args == want, name
        assert naming == ("extension" if spec.extension else "flavio"), name
