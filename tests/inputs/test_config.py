"""report.yaml: the identity, brand and stacks load as typed values, and every mistake is one file:line problem."""

from __future__ import annotations

from pathlib import Path

from report.inputs.config import LOGO_TYPES, check_asset, load_config, stack_order_problem
from tests.conftest import edit


def test_the_bundled_config_loads_with_its_stacks_in_display_order(data_dir: Path) -> None:
    config, problems = load_config(data_dir, "data")
    assert problems == []
    assert config is not None
    assert config.stack_ids == ["go", "bun", "fastapi"]
    assert config.brand.primary_color == "#14213D"
    assert config.published.isoformat() == "2026-11-21"


def test_a_bad_colour_is_reported_at_its_line(data_dir: Path) -> None:
    edit(data_dir / "report.yaml", 'primary_color: "#14213D"', 'primary_color: "navy"')
    config, problems = load_config(data_dir, "data")
    assert config is None
    [problem] = problems
    assert (problem.file, problem.line, problem.where) == ("data/report.yaml", 10, "brand.primary_color")


def test_every_problem_is_reported_at_once(data_dir: Path) -> None:
    edit(data_dir / "report.yaml", 'primary_color: "#14213D"', 'primary_color: "navy"')
    edit(data_dir / "report.yaml", "lang: en", "lang: en\nunknown_key: 1")
    config, problems = load_config(data_dir, "data")
    assert config is None
    assert {p.where for p in problems} == {"brand.primary_color", "unknown_key"}


def test_a_list_at_the_top_is_not_a_config(data_dir: Path) -> None:
    (data_dir / "report.yaml").write_text("- title\n- subtitle\n", encoding="utf-8")
    config, problems = load_config(data_dir, "data")
    assert config is None
    assert [(p.line, p.message) for p in problems] == [(1, "expected a mapping of keys at the top of the file")]


def test_a_logo_outside_the_data_folder_is_refused_at_its_line(data_dir: Path) -> None:
    edit(data_dir / "report.yaml", "logo: brand/logo.svg", "logo: ../secrets.svg")
    config, problems = load_config(data_dir, "data")
    assert config is None
    [problem] = problems
    assert (problem.line, problem.where) == (12, "brand.logo")
    assert "points outside it" in problem.message


def test_check_asset_names_each_way_a_path_can_be_unusable(data_dir: Path) -> None:
    assert check_asset(data_dir, "brand/logo.svg", LOGO_TYPES) is None
    assert "inside the data folder" in str(check_asset(data_dir, "https://example.com/logo.svg", LOGO_TYPES))
    assert "inside the data folder" in str(check_asset(data_dir, "/etc/logo.svg", LOGO_TYPES))
    assert "expected a file ending in" in str(check_asset(data_dir, "report.yaml", LOGO_TYPES))
    assert "file not found" in str(check_asset(data_dir, "brand/missing.svg", LOGO_TYPES))


def test_a_title_that_lists_the_stacks_lists_them_in_the_report_order(data_dir: Path) -> None:
    edit(data_dir / "report.yaml", 'subtitle: "Go vs Bun vs FastAPI:', 'subtitle: "Bun vs FastAPI vs Go:')
    _config, problems = load_config(data_dir, "data")
    assert [str(p) for p in problems] == [
        "data/report.yaml:3: subtitle: expected the stacks in the order of `stacks` (Go, Bun, FastAPI), "
        "found Bun, FastAPI, Go"
    ]


def test_a_name_inside_another_word_is_not_a_listed_stack() -> None:
    assert stack_order_problem("Good for Bun and FastAPI", ["Go", "Bun", "FastAPI"]) is None
