"""notes.yaml: every entry is text, every figure a template asks for is named, and braces are balanced."""

from __future__ import annotations

import pytest

from report.bench.wording import fields, sentence, templates


def test_every_template_is_text_and_formats_with_its_own_fields() -> None:
    names = templates()
    assert {"drift_calibration", "drift_rps", "pinning_cores", "queue_rerun_line", "tool_versions"} <= set(names)
    for name in names:
        filled = sentence(name, **dict.fromkeys(fields(name), 1))
        assert filled and "{" not in filled and "\n" not in filled, name


def test_fields_and_a_missing_figure() -> None:
    assert fields("pinning_cores") == ["server", "load"]
    with pytest.raises(KeyError, match="load"):
        sentence("pinning_cores", server="0")


def test_the_closed_loop_caveat_is_the_reports_not_a_note() -> None:
    # the report's Limitations list states it (templates/report.html.j2); a note would print it twice
    assert "closed_loop" not in templates()
