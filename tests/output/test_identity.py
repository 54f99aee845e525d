"""The default build's identity: works-on-my.cloud and its series on the cover, in the footer, the metadata and
the closing page; links only to the blog's real routes; every stack's framework where the stack is introduced."""

from __future__ import annotations

import re

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import BUNDLED, ROOT, SharedBuilds

PDF = "backend-language-comparison.pdf"
SITE = "https://works-on-my.cloud/"
SERIES = "AWS From Zero to Production"
# The blog (Astro) serves each post of src/content/blog/<series>/<file>.mdx at /blog/<series>/<file>.
BLOG_POST = re.compile(r"^https://works-on-my\.cloud/blog/aws-for-startups/\d{2}[a-z]?-[a-z0-9-]+$")


@pytest.fixture(scope="module")
def pdf(shared: SharedBuilds) -> PdfReader:
    return PdfReader(shared.pdf("bundled-a4"))


def _page_text(reader: PdfReader, index: int) -> str:
    return " ".join(reader.pages[index].extract_text().split())


def _uris(reader: PdfReader) -> list[str]:
    found = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.append(str(action["/URI"]))
    return found


def test_cover_footer_and_closing_page_carry_the_blog_and_its_series(pdf: PdfReader) -> None:
    cover = _page_text(pdf, 0)
    assert "works-on-my.cloud" in cover and SERIES in cover
    for index in (2, len(pdf.pages) - 1):  # a chapter page and the closing page
        assert f"works-on-my.cloud · {SERIES}" in _page_text(pdf, index)  # the running footer
    closing = _page_text(pdf, len(pdf.pages) - 1)
    assert "Backend on EC2: Go API with Traces" in closing and "Part 32" in closing


def test_metadata_names_the_blog(pdf: PdfReader) -> None:
    meta = pdf.metadata
    assert meta is not None
    assert str(meta["/Author"]) == "works-on-my.cloud"
    assert SERIES in str(meta["/Subject"]) and SERIES in str(meta["/Keywords"])


def test_the_cta_is_part_32_and_every_own_link_is_a_real_blog_route(pdf: PdfReader) -> None:
    uris = _uris(pdf)
    assert "https://works-on-my.cloud/blog/aws-for-startups/32-backend-go-api" in uris
    own = [u for u in uris if u.startswith("https://works-on-my.cloud")]
    assert SITE in own
    assert all(u == SITE or BLOG_POST.match(u) for u in own), own
    assert not [u for u in uris if ".example" in u]


def test_every_stack_framework_is_shown_where_the_stack_is_introduced(pdf: PdfReader) -> None:
    stacks = yaml.safe_load((BUNDLED / "report.yaml").read_text(encoding="utf-8"))["stacks"]
    key = _page_text(pdf, 1)  # the contents page's colour key
    methodology = next(_page_text(pdf, i) for i in range(len(pdf.pages)) if "Stacks and versions" in _page_text(pdf, i))
    for stack in stacks:
        assert f"{stack['name']}: {stack['framework']}" in key, stack
        assert stack["framework"] in methodology, stack


def test_no_placeholder_domain_is_shipped() -> None:
    shipped = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(p for p in BUNDLED.rglob("*") if p.is_file())]
    fixtures = [p for p in (ROOT / "tests" / "fixtures").rglob("*") if p.is_file() and p.suffix in {".yaml", ".md"}]
    offenders = [str(p.relative_to(ROOT)) for p in [*shipped, *fixtures] if ".example" in p.read_text(encoding="utf-8")]
    assert offenders == []
