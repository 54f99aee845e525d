"""Build and output options: which settings enter the up-to-date hash, and campaign links on our URLs."""

from __future__ import annotations

from pathlib import Path

from report.inputs.options import DEFAULT_PORT, BuildOptions, OutputOptions, same_url, with_query
from report.inputs.paths import TEMPLATES


def test_the_defaults_are_what_the_cli_documents() -> None:
    options = BuildOptions(data_dir=Path("data"), out_dir=Path("output"))
    assert (options.page_size, options.html, options.force, options.templates) == ("a4", False, False, TEMPLATES)
    assert options.output == OutputOptions()
    assert (TEMPLATES / "report.html.j2").is_file()
    assert DEFAULT_PORT == 8000


def test_only_options_that_change_the_bytes_are_settings() -> None:
    assert OutputOptions().settings() == {"pdf_variant": "pdf/ua-1"}
    campaign = OutputOptions(utm_campaign="spring", utm_source="news")
    assert campaign.settings() == {
        "pdf_variant": "pdf/ua-1",
        "utm_campaign": "spring",
        "utm_source": "news",
        "utm_medium": "pdf",
    }
    # source and medium without a campaign add nothing to the links, so they do not invalidate a build
    assert OutputOptions(utm_source="news").settings() == OutputOptions().settings()


def test_links_get_campaign_parameters_only_when_a_campaign_is_named() -> None:
    assert OutputOptions().link() is None
    link = OutputOptions(utm_campaign="spring").link()
    assert link is not None
    assert link("https://works-on-my.cloud/blog/x?ref=a&utm_source=old") == (
        "https://works-on-my.cloud/blog/x?ref=a&utm_source=lead-magnet&utm_medium=pdf&utm_campaign=spring"
    )
    assert same_url("https://example.com/") == "https://example.com/"


def test_with_query_leaves_other_schemes_alone() -> None:
    assert with_query("mailto:team@example.com", {"utm_source": "x"}) == "mailto:team@example.com"
    assert with_query("https://example.com/#top", {"a": "1"}) == "https://example.com/?a=1#top"


def test_pdf_options_ask_weasyprint_for_a_tagged_pdf() -> None:
    assert OutputOptions("pdf/a-3b").pdf_options() == {
        "pdf_variant": "pdf/a-3b",
        "pdf_tags": True,
        "custom_metadata": True,
    }
