"""What a command was asked to do: build options and the output options that change the PDF's bytes.

Light, so the CLI can parse arguments and the no-op path can hash them without importing the renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from report.inputs.paths import TEMPLATES

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_VARIANT = "pdf/ua-1"
DEFAULT_PORT = 8000  # `lead-magnet preview` serves on 127.0.0.1 at this port unless told otherwise


@dataclass(frozen=True)
class OutputOptions:
    """PDF flavour and campaign links."""

    pdf_variant: str = DEFAULT_VARIANT
    utm_campaign: str | None = None
    utm_source: str = "lead-magnet"
    utm_medium: str = "pdf"

    def settings(self) -> dict[str, str]:
        """These options as settings of the up-to-date hash."""
        out = {"pdf_variant": self.pdf_variant}
        if self.utm_campaign:
            out.update(utm_campaign=self.utm_campaign, utm_source=self.utm_source, utm_medium=self.utm_medium)
        return out

    def link(self) -> Callable[[str], str] | None:
        """How CTA and blog links are written: with campaign parameters when a campaign is named."""
        if not self.utm_campaign:
            return None
        params = {"utm_source": self.utm_source, "utm_medium": self.utm_medium, "utm_campaign": self.utm_campaign}
        return lambda url: with_query(url, params)

    def pdf_options(self) -> dict[str, object]:
        """WeasyPrint options: tagged for screen readers, our <meta> fields (the edition) in the document info."""
        return {"pdf_variant": self.pdf_variant, "pdf_tags": True, "custom_metadata": True}


def same_url(url: str) -> str:
    """Links without campaign parameters."""
    return url


def with_query(url: str, params: Mapping[str, str]) -> str:
    """The URL with campaign parameters added (existing ones kept, ours replacing same-named ones)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


@dataclass(frozen=True)
class BuildOptions:
    """What `lead-magnet build` was asked to do."""

    data_dir: Path
    out_dir: Path
    page_size: str = "a4"
    html: bool = False
    templates: Path = TEMPLATES
    force: bool = False
    output: OutputOptions = field(default_factory=lambda: OutputOptions())
