"""The brand typefaces, from pinned Python font packages rather than whatever the OS has installed."""

from __future__ import annotations

from pathlib import Path

import fontpkg_fira_sans
import fontpkg_ibm_plex_mono

TEXT_FAMILY = "Fira Sans"
MONO_FAMILY = "IBM Plex Mono"

_SANS = Path(fontpkg_fira_sans.ROOT) / "files"
_MONO = Path(fontpkg_ibm_plex_mono.ROOT) / "files"

# (family, weight, style) -> file; only the faces the design uses, so the PDF embeds few fonts
FACES: dict[tuple[str, int, str], Path] = {
    (TEXT_FAMILY, 300, "normal"): _SANS / "FiraSans-Light.ttf",
    (TEXT_FAMILY, 400, "normal"): _SANS / "FiraSans-Regular.ttf",
    (TEXT_FAMILY, 400, "italic"): _SANS / "FiraSans-Italic.ttf",
    (TEXT_FAMILY, 600, "normal"): _SANS / "FiraSans-SemiBold.ttf",
    (TEXT_FAMILY, 700, "normal"): _SANS / "FiraSans-Bold.ttf",
    (MONO_FAMILY, 400, "normal"): _MONO / "IBMPlexMono-Regular.ttf",
}
FONT_FILES: dict[str, Path] = {path.stem: path for path in FACES.values()}
FONT_DIRS: tuple[Path, ...] = (_SANS, _MONO)
