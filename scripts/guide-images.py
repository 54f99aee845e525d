"""Re-render the pictures in docs/editing-the-report.md from the real report and the real preview.

Run after a design change: .venv/bin/python scripts/guide-images.py
Needs pdftoppm and chromium (make system-deps). Builds into a temporary folder; writes only docs/images/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
# each picture is the first page carrying this heading (pages move as chapters grow); the cover is page 1
PAGES = {
    "page-cover": None,
    "page-at-a-glance": "At a glance",
    "page-startup": "Startup time",
    "page-otel": "OpenTelemetry integration complexity",
    "page-about": "About this report",
}
CHROMIUM = (
    "chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def small_png(source: Path, target: Path, width: int) -> None:
    """Scale to `width` pixels and keep 256 colours, so the guide stays light in the repository."""
    image = Image.open(source).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)


def screenshot(url: str, target: Path, profile: Path, size: str = "1000,640") -> None:
    """A headless Chromium screenshot of one page, after its fonts and charts have loaded."""
    subprocess.run(
        [
            *CHROMIUM,
            f"--user-data-dir={profile}",
            f"--window-size={size}",
            "--virtual-time-budget=3000",
            f"--screenshot={target}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def page_with(pdf: Path, heading: str | None) -> int:
    """The number of the first page (after the contents) that shows `heading` as a line of its own."""
    if heading is None:
        return 1
    info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    for number in range(2, count + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), pdf, "-"], check=True, capture_output=True, text=True
        ).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines and lines[0] != "Contents" and heading in lines:
            return number
    raise SystemExit(f"guide-images: no page of {pdf.name} has the heading {heading!r}")


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="guide-images-") as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(ROOT / "data", tmp / "data")
        subprocess.run(
            [sys.executable, "-m", "report", "build", "--data", tmp / "data", "--out", tmp / "out"],
            check=True,
            cwd=ROOT,
        )
        pdf = tmp / "out" / "backend-language-comparison.pdf"
        for name, heading in PAGES.items():
            number = page_with(pdf, heading)
            subprocess.run(
                ["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", str(number), "-l", str(number), pdf, tmp / name],
                check=True,
            )
            small_png(tmp / f"{name}.png", IMAGES / f"{name}.png", 480)

        server = subprocess.Popen(
            [sys.executable, "-m", "report", "preview", "--data", "data", "--port", "0"],
            cwd=tmp,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = next(line.rsplit(" at ", 1)[1].strip() for line in server.stdout if line.startswith("Previewing"))
            screenshot(url, tmp / "preview.png", tmp / "profile")
            small_png(tmp / "preview.png", IMAGES / "preview.png", 720)
            report = tmp / "data" / "report.yaml"
            report.write_text(report.read_text().replace('primary_color: "#14213D"', 'primary_color: "navy"'))
            deadline = time.monotonic() + 20
            while status(url) == 200 and time.monotonic() < deadline:  # the error page answers 422
                time.sleep(0.2)
            screenshot(url, tmp / "preview-error.png", tmp / "profile", "1000,520")
            small_png(tmp / "preview-error.png", IMAGES / "preview-error.png", 720)
        finally:
            server.terminate()
            server.wait(timeout=10)
    total = sum(p.stat().st_size for p in IMAGES.glob("*.png"))
    print(f"wrote {len(list(IMAGES.glob('*.png')))} images to {IMAGES.relative_to(ROOT)} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
