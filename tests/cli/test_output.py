"""Table output: text is shown as it is (never read as rich markup), records read down."""

from __future__ import annotations

import pytest

from leolink.cli._output import Format, emit

CELL = "85754e67fffffff"


def test_square_brackets_survive_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    emit(
        [{"reason": "switched off [confidence: high]", "note": "[bold]not bold[/bold]"}],
        Format.table,
        title="[red]title[/red]",
    )
    out = capsys.readouterr().out
    assert "[confidence: high]" in out
    assert "[bold]not bold[/bold]" in out
    assert "[red]title[/red]" in out


def test_one_record_is_a_key_value_table_that_cuts_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = {
        "code": "CELL_IS_DISABLED",
        "cell": CELL,
        "reasons": ["cell " + CELL + " is switched off by geofence gf-0001 [reviewed]"] * 3,
    }
    emit(record, Format.table, title="Decision")
    lines = capsys.readouterr().out.splitlines()
    assert any("code" in line and "CELL_IS_DISABLED" in line for line in lines)
    assert any("cell" in line and CELL in line for line in lines)
    assert "[reviewed]" in "".join(lines)
