"""`python -m report` runs the same CLI as `lead-magnet`."""

from __future__ import annotations

import sys

from report.cli import main

sys.exit(main())
