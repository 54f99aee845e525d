#!/usr/bin/env bash
# Installs veraPDF, the PDF Association's reference validator for PDF/A and PDF/UA, for the conformance tests
# (tests/output/test_conformance.py) and `make conformance`.
#
# It fetches one pinned release from Maven Central with Maven (org.verapdf.apps:greenfield-apps, a single jar
# with the validation profiles built in), checks its sha256, and keeps it outside the repository in
#   ${LEAD_MAGNET_CACHE:-~/.cache/lead-magnet}/verapdf/<version>/
# with a `verapdf` launcher beside it. A second run finds it there and uses no network.
#
# Without Java (or Maven for the first fetch) it says so and exits 0, so the tests skip with that reason;
# with CI=true the same is a failure (exit 1): CI must prove conformance, not skip it.
set -euo pipefail

VERSION=1.28.2
ARTIFACT=org.verapdf.apps:greenfield-apps:$VERSION
SHA256=687d4d8bcfec48c9f7e931cf78ed061f1eeccfba55d4cdc000ba9b4d8aa46ce6
MAIN=org.verapdf.apps.GreenfieldCliWrapper

CACHE="${LEAD_MAGNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lead-magnet}/verapdf/$VERSION"
JAR="$CACHE/greenfield-apps-$VERSION.jar"
LAUNCHER="$CACHE/verapdf"

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "verapdf: $1; CI must run the conformance tests, so this is an error" >&2
    exit 1
  fi
  echo "verapdf: $1; the conformance tests will be skipped" >&2
  exit 0
}

command -v java >/dev/null 2>&1 || missing "no Java runtime (java) on PATH; install Java 17, e.g. apt-get install openjdk-17-jre-headless"

if [ -x "$LAUNCHER" ] && [ -f "$JAR" ] && echo "$SHA256  $JAR" | sha256sum --check --status; then
  exit 0  # installed and intact: nothing to fetch
fi

command -v mvn >/dev/null 2>&1 || missing "Maven (mvn) is needed once to fetch veraPDF $VERSION; install it, e.g. apt-get install maven"

echo "verapdf: fetching veraPDF $VERSION ($ARTIFACT) from Maven Central"
mkdir -p "$CACHE"
# dependency:copy puts the artifact (through the local ~/.m2 repository) straight into the cache folder
mvn -B -q -ntp dependency:copy -Dartifact="$ARTIFACT:jar" -DoutputDirectory="$CACHE" -Dmdep.overWriteReleases=true \
  >"$CACHE/fetch.log" 2>&1 || { cat "$CACHE/fetch.log" >&2; echo "verapdf: Maven could not fetch $ARTIFACT" >&2; exit 1; }
if ! echo "$SHA256  $JAR" | sha256sum --check --status; then
  rm -f "$JAR"
  echo "verapdf: $JAR does not have the pinned sha256 $SHA256; removed it" >&2
  exit 1
fi

tmp="$LAUNCHER.$$"
cat >"$tmp" <<EOF
#!/bin/sh
# veraPDF $VERSION, installed by scripts/verapdf.sh; arguments as veraPDF's own command line (--help).
exec java -XX:+UseSerialGC -Xshare:auto -cp "$JAR" $MAIN "\$@"
EOF
chmod +x "$tmp"
mv "$tmp" "$LAUNCHER"
rm -f "$CACHE/fetch.log"
"$LAUNCHER" --version 2>/dev/null | head -1
echo "verapdf: installed in $CACHE"
