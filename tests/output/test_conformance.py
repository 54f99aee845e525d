"""Conformance proven by the reference validator: veraPDF finds no failed rule in PDF/UA-1 and PDF/A-3B.

veraPDF is installed by scripts/verapdf.sh (`make conformance-deps`, which `make test` runs first). Without Java
these tests skip with the reason, except under CI=true, where they fail: CI has to prove conformance.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from report.inputs.options import PDF_VARIANTS
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # veraPDF, a Java program, on five PDFs

VERSION = "1.28.2"  # the version scripts/verapdf.sh pins
# where scripts/verapdf.sh installs it: ${LEAD_MAGNET_CACHE:-${XDG_CACHE_HOME:-~/.cache}/lead-magnet}/verapdf/VERSION
_XDG = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
CACHE = Path(os.environ.get("LEAD_MAGNET_CACHE") or _XDG / "lead-magnet")
LAUNCHER = CACHE / "verapdf" / VERSION / "verapdf"
PDF = "backend-language-comparison.pdf"
UA_CASES = ["default-a4", "default-letter", "twelve-a4"]


def _verapdf() -> Path:
    """The installed launcher; skip (or fail in CI) with the reason when it cannot run."""
    reason = None
    if shutil.which("java") is None:
        reason = "no Java runtime: veraPDF needs Java 17 (apt-get install openjdk-17-jre-headless)"
    elif not LAUNCHER.is_file():
        reason = f"veraPDF {VERSION} is not installed at {LAUNCHER}: run `make conformance-deps`"
    if reason is None:
        return LAUNCHER
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the conformance tests)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Failure:
    """One failed rule of a profile, with how many checks failed and where the first one was."""

    rule: str
    description: str
    failed: int
    first: str


@dataclass(frozen=True)
class Verdict:
    """veraPDF's verdict on one file against one profile."""

    profile: str
    passed_rules: int
    failures: list[Failure]

    def report(self) -> str:
        """Every failed rule on its own line, for the assertion message."""
        lines = [f"{self.profile}: {len(self.failures)} failed rule(s), {self.passed_rules} passed"]
        for f in self.failures:
            lines.append(f"  {f.rule} ({f.failed} failed checks): {f.description}")
            lines.append(f"      first at {f.first}")
        return "\n".join(lines)


def validate(flavour: str, pdfs: list[Path]) -> dict[Path, Verdict]:
    """Run veraPDF once over several files (one JVM start) and read its JSON report."""
    launcher = _verapdf()
    done = subprocess.run(
        [str(launcher), "--flavour", flavour, "--format", "json", "--maxfailuresdisplayed", "1", *map(str, pdfs)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # exit 0: all compliant, 1: some not compliant; anything else is veraPDF failing to run
    assert done.returncode in (0, 1), f"veraPDF exited {done.returncode}: {done.stderr[-2000:]}"
    return parse(json.loads(done.stdout))


def parse(report: dict[str, Any]) -> dict[Path, Verdict]:
    """Verdicts by file from veraPDF's JSON report."""
    out: dict[Path, Verdict] = {}
    for job in report["report"]["jobs"]:
        name = Path(job["itemDetails"]["name"])
        results = job.get("validationResult")
        assert results, f"veraPDF did not validate {name}: {job.get('taskException') or job}"
        for result in results:
            details = result["details"]
            failures = [
                Failure(
                    rule=f"{r['specification']} {r['clause']}-{r['testNumber']}",
                    description=" ".join(str(r["description"]).split()),
                    failed=int(r["failedChecks"]),
                    first=str((r.get("checks") or [{}])[0].get("errorMessage") or "")
                    + f" [{str((r.get('checks') or [{}])[0].get('context') or '')[-160:]}]",
                )
                for r in details["ruleSummaries"]
                if r.get("status") == "failed" or int(r.get("failedChecks", 0)) > 0
            ]
            out[name] = Verdict(str(result["profileName"]), int(details["passedRules"]), failures)
    return out


@pytest.fixture(scope="session")
def ua_verdicts(built: dict[str, Path]) -> Iterator[dict[str, Verdict]]:
    """PDF/UA-1 verdicts for the default report (A4, Letter) and the 12-stack one, in one veraPDF run."""
    _verapdf()
    verdicts = validate("ua1", [built[case] for case in UA_CASES])
    yield {case: verdicts[built[case]] for case in UA_CASES}


@pytest.mark.parametrize("case", UA_CASES)
def test_pdf_ua_1_has_no_failed_rule(ua_verdicts: dict[str, Verdict], case: str) -> None:
    verdict = ua_verdicts[case]
    assert verdict.profile.startswith("PDF/UA-1"), verdict.profile
    assert verdict.passed_rules > 0
    assert not verdict.failures, verdict.report()


def test_pdf_a_3b_has_no_failed_rule(built_pdfa: Path) -> None:
    verdict = validate("3b", [built_pdfa])[built_pdfa]
    assert verdict.profile.startswith("PDF/A-3B"), verdict.profile
    assert verdict.passed_rules > 0
    assert not verdict.failures, verdict.report()


def test_the_manifest_records_the_variant_each_pdf_was_built_as(built: dict[str, Path], built_pdfa: Path) -> None:
    cases = [(built["default-a4"], "pdf/ua-1"), (built["twelve-letter"], "pdf/ua-1"), (built_pdfa, "pdf/a-3b")]
    for pdf, variant in cases:
        manifest = json.loads((pdf.parent / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["pdf_variant"] == variant
    schema = json.loads((ROOT / "report" / "output" / "manifest.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["pdf_variant"]["enum"] == list(PDF_VARIANTS)


def test_the_script_pins_the_version_the_tests_expect() -> None:
    script = (ROOT / "scripts" / "verapdf.sh").read_text(encoding="utf-8")
    assert f"VERSION={VERSION}\n" in script


def test_a_failing_report_names_each_rule_with_its_count() -> None:
    # the shape of veraPDF 1.28's JSON report, cut down to one failed rule
    report = {
        "report": {
            "jobs": [
                {
                    "itemDetails": {"name": "/tmp/x.pdf"},
                    "validationResult": [
                        {
                            "profileName": "PDF/UA-1 validation profile",
                            "details": {
                                "passedRules": 105,
                                "failedRules": 1,
                                "ruleSummaries": [
                                    {
                                        "specification": "ISO 14289-1:2014",
                                        "clause": "7.4.2",
                                        "testNumber": 1,
                                        "status": "failed",
                                        "failedChecks": 8,
                                        "description": "Heading tags shall\n be used as follows",
                                        "checks": [{"errorMessage": "Heading level 4 is skipped", "context": "H5"}],
                                    }
                                ],
                            },
                        }
                    ],
                }
            ]
        }
    }
    verdict = parse(report)[Path("/tmp/x.pdf")]
    text = verdict.report()
    assert "1 failed rule(s), 105 passed" in text
    assert "ISO 14289-1:2014 7.4.2-1 (8 failed checks): Heading tags shall be used as follows" in text
    assert "Heading level 4 is skipped [H5]" in text
