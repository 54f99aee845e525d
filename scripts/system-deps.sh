#!/usr/bin/env bash
# Installs the command-line tools the tests use to read PDFs independently of our own code,
# and Debian's Chromium + ChromeDriver for the preview's real-browser test (tests/test_preview.py),
# and Debian's openssh-server + iproute2 for the multi-host harness tests (tests/bench/netns_hosts.py: one sshd
# per network namespace, started by the test with its own config; the package's own service is not used).
# Also HarfBuzz's font subsetter, which the build itself needs (report/output/pdf.py refuses to build without it:
# WeasyPrint's fallback would stamp the clock into the PDF's fonts). Idempotent: does nothing when all are there.
# With --build: only what building the PDF needs (make pdf, html, preview), so a fresh machine's `make pdf` works.
set -euo pipefail
need=()
{ /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true; } | grep -q 'libharfbuzz-subset\.so\.0 ' ||
  need+=(libharfbuzz-subset0)
if [ "${1:-}" != "--build" ]; then
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]} (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
