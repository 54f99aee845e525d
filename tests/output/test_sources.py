"""A build's inputs: one list for the no-op check and the build, one hash that ignores where the data lives,
and the Make depfile that lists exactly those inputs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from report.inputs.options import BuildOptions, OutputOptions
from report.output import publish
from report.output.manifest import COVER_NAME, PDF_NAME
from report.output.sources import for_build, make_escape, write_depfile
from tests.conftest import BUNDLED, DATA, ROOT, SharedBuilds, lm


@pytest.fixture
def out(shared: SharedBuilds, tmp_path: Path) -> Path:
    """A private copy of the shared sample build that a test may change."""
    target = tmp_path / "output"
    shutil.copytree(shared.out("default-a4"), target)
    return target


def _options(
    data: Path, out: Path, page_size: str = "a4", html: bool = False, output: OutputOptions | None = None
) -> BuildOptions:
    return BuildOptions(data_dir=data, out_dir=out, page_size=page_size, html=html, output=output or OutputOptions())


def test_the_no_op_check_and_the_build_hash_the_same_list(out: Path) -> None:
    options = _options(DATA, out)
    found = publish.quick_check(options)
    assert found is not None
    manifest, sources = found
    assert sources == for_build(options)
    assert manifest["inputs_sha256"] == sources.digest()


def test_the_list_covers_data_templates_fonts_the_tool_and_every_byte_shaping_option(tmp_path: Path) -> None:
    sources = for_build(_options(DATA, tmp_path))
    names = [name for name, _path in sources.files]
    assert "data/report.yaml" in names and "templates/report.html.j2" in names
    assert "fonts/FiraSans-Regular.ttf" in names and "tool/pipeline.py" in names
    assert not any(name.startswith("tool/bench/") or "__pycache__" in name for name in names)
    settings = dict(sources.settings)
    assert settings["page_size"] == "a4" and settings["pdf_variant"] == "pdf/ua-1" and settings["html"] == "false"
    assert "package/weasyprint" in settings
    assert "package/opentelemetry-semantic-conventions" in settings  # the trace tables' attribute names
    digest = sources.digest()
    assert for_build(_options(DATA, tmp_path, page_size="letter")).digest() != digest
    assert for_build(_options(DATA, tmp_path, html=True)).digest() != digest
    assert for_build(_options(DATA, tmp_path, output=OutputOptions("pdf/a-3b"))).digest() != digest
    assert for_build(_options(DATA, tmp_path / "elsewhere")).digest() == digest  # --out is not an input


def test_the_up_to_date_check_notices_changed_inputs_and_changed_outputs(out: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    assert publish.up_to_date(out, for_build(_options(data, out))) is not None
    (data / "copy" / "about.md").write_text(
        (data / "copy" / "about.md").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert publish.up_to_date(out, for_build(_options(data, out))) is None
    assert publish.up_to_date(out, for_build(_options(DATA, out, page_size="letter"))) is None
    (out / COVER_NAME).write_bytes(b"\x89PNG not the cover")
    assert publish.up_to_date(out, for_build(_options(DATA, out))) is None


def test_the_captured_traces_are_a_build_input(tmp_path: Path) -> None:
    names = [name for name, _path in for_build(_options(BUNDLED, tmp_path)).files]
    assert "data/benchmarks/traces.json" in names


def test_inputs_sha256_does_not_depend_on_where_the_data_lives(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "data"
    shutil.copytree(DATA, copy)
    assert for_build(_options(copy, tmp_path)).digest() == for_build(_options(DATA, tmp_path)).digest()


@pytest.mark.slow
def test_the_depfile_lists_every_input(out: Path, tmp_path: Path) -> None:
    depfile = tmp_path / "deps" / "report.d"
    done = lm("build", "--data", DATA, "--out", out, "--depfile", depfile)
    assert done.returncode == 0, done.stderr
    expected = [str(p) for p in for_build(_options(DATA, out)).paths]
    assert {str(DATA / "report.yaml"), str(ROOT / "templates" / "report.html.j2")} <= set(expected)
    assert any(p.endswith("FiraSans-Regular.ttf") for p in expected)
    assert str(DATA / "benchmarks" / "startup.csv") in expected
    # Make itself reads the file: the PDF's prerequisites are exactly the inputs
    makefile = tmp_path / "check.mk"
    makefile.write_text(f"include {depfile}\n{out / PDF_NAME}:\n\t@printf '%s\\n' $^\n", encoding="utf-8")
    listed = subprocess.run(
        ["make", "-s", "-B", "-f", str(makefile), str(out / PDF_NAME)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(listed) == sorted(expected)


def test_a_depfile_refuses_an_input_whose_name_has_a_line_break(tmp_path: Path) -> None:
    from report.errors import PublishError

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "copy" / "odd\nname.md").write_text("x", encoding="utf-8")
    with pytest.raises(PublishError, match="its name contains a line break"):
        write_depfile(tmp_path / "report.d", for_build(_options(data, tmp_path)), tmp_path / "out")
    assert not (tmp_path / "report.d").exists()


def test_make_escapes_what_make_would_misread() -> None:
    assert make_escape("a b$c#d:e%f") == "a\\ b$$c\\#d\\:e\\%f"
