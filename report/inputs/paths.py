"""Where the project's own files live: the package, the project root and the templates (one constant each)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_ROOT = PACKAGE_DIR.parent
TEMPLATES = PROJECT_ROOT / "templates"
