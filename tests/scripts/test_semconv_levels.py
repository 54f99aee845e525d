"""scripts/semconv-levels.py: the requirement levels resolved from a semantic-conventions model in a git copy.

The model here is a small one made in a throwaway git repository, in both of the real model's file formats; the
shipped report/inputs/semconv_levels.yaml is checked against the script's pinned release."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from report.inputs.paths import PROJECT_ROOT
from report.inputs.semconv import LEVELS_FILE, LevelsFile, package_version

REGISTRY_V1 = """\
groups:
  - id: registry.http
    type: attribute_group
    attributes:
      - id: http.request.method
        type: string
        stability: stable
      - id: http.route
        type: string
        stability: stable
      - id: http.request.body.size
        type: int
        stability: development
      - id: http.request.header
        type: template[string[]]
        stability: stable
      - id: http.method
        type: string
        stability: stable
        deprecated: {reason: renamed, renamed_to: http.request.method}
"""
REGISTRY_V2 = """\
file_format: definition/2
attributes:
  - key: url.path
    type: string
    stability: stable
  - key: url.scheme
    type: string
    stability: stable
  - key: db.system.name
    type: string
    stability: stable
"""
SPANS = """\
groups:
  - id: attributes.http.common
    type: attribute_group
    attributes:
      - ref: http.request.method
        requirement_level: required
  - id: attributes.http.server
    type: attribute_group
    extends: attributes.http.common
    attributes:
      - ref: url.scheme
        requirement_level: required
      - ref: http.route
        requirement_level:
          conditionally_required: If and only if
            it's `available`
  - id: span.http.server
    type: span
    extends: attributes.http.server
    attributes:
      - ref: http.request.method
      - ref: url.path
        requirement_level: required
      - ref: url.scheme
      - ref: http.route
      - ref: http.request.body.size
        requirement_level: opt_in
      - ref: http.request.header
        requirement_level: opt_in
      - ref: http.method
  - id: span.db.client
    type: span
    attributes:
      - ref: db.system.name
        requirement_level: required
      - ref: url.path
"""


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("semconv_levels", PROJECT_ROOT / "scripts" / "semconv-levels.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["semconv_levels"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script() -> ModuleType:
    return _script()


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def model(tmp_path: Path, script: ModuleType) -> tuple[Path, str]:
    """A git copy of a small model, tagged as the script's pinned release: (repo, the tag's commit)."""
    repo = tmp_path / "semantic-conventions"
    for path, text in {
        "model/http/registry.yaml": REGISTRY_V1,
        "model/url/registry.yaml": REGISTRY_V2,
        "model/http/spans.yaml": SPANS,
        "model/README.md": "not YAML\n",
    }.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text, encoding="utf-8")
    _git(tmp_path, "init", "-q", str(repo))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "model")
    _git(repo, "tag", f"v{script.VERSION}")
    return repo, _git(repo, "rev-parse", "HEAD")


def test_levels_resolve_through_extends_and_the_registry_default(
    model: tuple[Path, str], script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, commit = model
    monkeypatch.setattr(script, "COMMIT", commit)
    out = tmp_path / "levels.yaml"
    assert script.main(["--repo", str(repo), "--out", str(out)]) == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    http = doc["conventions"]["http"]
    assert http["group"] == "span.http.server"
    # Required first, then by name; a ref without a level keeps its ancestor's; development, template and
    # deprecated attributes are left out; the condition's text is joined onto one line
    assert http["attributes"] == {
        "http.request.method": {"level": "required"},
        "url.path": {"level": "required"},
        "url.scheme": {"level": "required"},
        "http.route": {"level": "conditionally_required", "condition": "If and only if it's `available`"},
    }
    # a ref with no level anywhere gets the registry's default, recommended
    assert doc["conventions"]["db"]["attributes"] == {
        "db.system.name": {"level": "required"},
        "url.path": {"level": "recommended"},
    }
    assert (doc["version"], doc["commit"], doc["package"]) == (script.VERSION, commit, package_version())
    LevelsFile.model_validate(doc)  # the loader's schema
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Generated by scripts/semconv-levels.py; do not edit by hand.\n")
    assert f"# at tag v{script.VERSION} (commit {commit}), the YAML under model/.\n" in text


def test_a_tag_on_another_commit_is_refused_and_nothing_written(
    model: tuple[Path, str], script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, commit = model
    out = tmp_path / "levels.yaml"
    assert script.main(["--repo", str(repo), "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"semconv-levels: tag v{script.VERSION} is commit {commit} in {repo}, expected {script.COMMIT}\n"
    )
    assert not out.exists()


def test_a_release_other_than_the_packages_is_refused(
    model: tuple[Path, str],
    script: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, commit = model
    monkeypatch.setattr(script, "COMMIT", commit)
    newest = script.VERSION
    monkeypatch.setattr(script, "VERSION", "1.40.0")
    out = tmp_path / "levels.yaml"
    assert script.main(["--repo", str(repo), "--out", str(out)]) == 1
    installed = package_version()
    assert capsys.readouterr().err == (
        f"semconv-levels: the installed {installed} was generated from semantic-conventions {newest}, but this "
        f"script pins 1.40.0; pin {newest} (VERSION and COMMIT) and run it again\n"
    )
    assert not out.exists()


def test_a_group_the_model_lacks_is_named(
    model: tuple[Path, str],
    script: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, commit = model
    monkeypatch.setattr(script, "COMMIT", commit)
    monkeypatch.setattr(script, "CONVENTIONS", {"http": "span.http.server", "db": "span.db.postgresql.client"})
    assert script.main(["--repo", str(repo), "--out", str(tmp_path / "levels.yaml")]) == 1
    assert capsys.readouterr().err == "semconv-levels: no group span.db.postgresql.client in the model\n"


def test_the_shipped_levels_file_is_the_scripts_pinned_release() -> None:
    script = _script()
    doc = yaml.safe_load(LEVELS_FILE.read_text(encoding="utf-8"))
    assert (doc["source"], doc["version"], doc["commit"]) == (script.SOURCE, script.VERSION, script.COMMIT)
    assert {k: v["group"] for k, v in doc["conventions"].items()} == script.CONVENTIONS
    assert doc["package"] == package_version()
    assert LEVELS_FILE.read_text(encoding="utf-8").startswith(
        script.HEADER.format(source=script.SOURCE, version=script.VERSION, commit=script.COMMIT, package=doc["package"])
    )
