#!/usr/bin/env bash
# Builds the CPython the FastAPI services run on, from source, into services/.work/cpython-<version>, and prints the
# path of its python3 on stdout (progress on stderr). Idempotent: a build whose stamp matches is reused at once.
#
# Why from source: python.org publishes no Linux binaries, Debian 12 carries 3.11 and the machine's pyenv has no newer
# than 3.13.0 (3.13 has had security fixes only since October 2026). The newest CPython release these machines can
# reach is 3.14.7 (the 3.14 line has bugfix support until October 2027; 3.15.0 came out in October 2026 but no
# registry here serves its source). The source comes from the Go module proxy, which serves CPython's release tag
# as a module zip (github.com/python/cpython@v3.14.7+incompatible) and whose checksum database (sum.golang.org)
# vouches for it; the go command checks that, and this script checks the hash pinned below as well.
#
# How: the configure options and compiler flags of the official Docker images (docker-library/python's
# 3.14/slim-bookworm Dockerfile): profile-guided and link-time optimisation, a shared libpython, Debian's hardening
# CFLAGS with frame pointers, stripped binaries. Not taken from there: the experimental JIT (`yes-off`, built but off
# by default; it needs clang-19, which Debian 12 lacks), so the interpreter that runs is the same.
# The profile-guided build runs CPython's PGO task: about 25 minutes on 2 cores, once per machine.
set -euo pipefail

VERSION="${CPYTHON_VERSION:-3.14.7}"
# sum.golang.org's h1: hash of the module zip of tag v3.14.7 (go mod download -json prints it as "Sum")
SUM_3_14_7="h1:VAY+1Ox2/E68BOZZvT06dMumxgyvcJLzKZgCkEEZamY="
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/services/.work"
PREFIX="$WORK/cpython-$VERSION"
# the module download needs no particular Go: the machine's own (any 1.21+) does it, so no toolchain is fetched
say() { printf 'bench-deps: %s\n' "$*" >&2; }

arch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE 2>/dev/null || gcc -dumpmachine)"
cflags="$(dpkg-buildflags --get CFLAGS 2>/dev/null || echo '-g -O2 -fstack-protector-strong') -fno-omit-frame-pointer"
[[ "$arch" == x86_64-* || "$arch" == aarch64-* ]] && cflags="$cflags -mno-omit-leaf-frame-pointer"
ldflags="$(dpkg-buildflags --get LDFLAGS 2>/dev/null || true) -Wl,--strip-all -Wl,--enable-new-dtags -Wl,-rpath,$PREFIX/lib"
configure=(--build="$arch" --prefix="$PREFIX" --enable-loadable-sqlite-extensions --enable-optimizations
  --enable-option-checking=fatal --enable-shared --with-lto --with-ensurepip)
want="$(printf '%s\n' "$VERSION" "${configure[*]}" "$cflags" "$ldflags" | sha256sum | cut -c1-16)"

if [[ -x "$PREFIX/bin/python3" && "$(cat "$PREFIX/.build-stamp" 2>/dev/null)" == "$want" ]]; then
  echo "$PREFIX/bin/python3"
  exit 0
fi

need=()
for lib in libssl-dev zlib1g-dev libbz2-dev libffi-dev liblzma-dev libsqlite3-dev uuid-dev libreadline-dev \
  libncurses-dev; do
  if ! dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$lib")
  fi
done
if ((${#need[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "apt-get install ${need[*]} (CPython's build dependencies)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "CPython $VERSION needs ${need[*]} (sudo apt-get install ${need[*]})"
    exit 1
  fi
fi

GO="$(command -v go || echo /usr/local/go/bin/go)"
modcache="$(mktemp -d "$WORK/cpython-modcache.XXXXXX")"
build="$(mktemp -d "$WORK/cpython-build.XXXXXX")"
trap 'chmod -R u+w "$modcache" 2>/dev/null; rm -rf "$modcache" "$build"' EXIT
say "CPython $VERSION: source from the Go module proxy (github.com/python/cpython@v$VERSION+incompatible)"
info="$(GOTOOLCHAIN=local GOMODCACHE="$modcache" GOFLAGS=-modcacherw "$GO" mod download -json \
  "github.com/python/cpython@v$VERSION+incompatible")" || { say "go mod download of CPython $VERSION failed"; exit 1; }
sum="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p')"
dir="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
if [[ "$VERSION" == 3.14.7 && "$sum" != "$SUM_3_14_7" ]]; then
  say "CPython $VERSION: module hash $sum, expected $SUM_3_14_7"
  exit 1
fi
cp -r "$dir/." "$build/"
chmod -R u+w "$build"
# module zips keep no file modes: the scripts the build runs get their execute bit back
find "$build" -type f \( -name configure -o -name '*.sh' -o -name install-sh -o -name 'config.guess' \
  -o -name 'config.sub' -o -name makesetup -o -name '*.py' \) -exec chmod +x {} +

say "CPython $VERSION: configure and build with PGO + LTO into $PREFIX (about 25 minutes on 2 cores)"
rm -rf "$PREFIX"
log="$WORK/cpython-$VERSION-build.log"
(
  cd "$build"
  ./configure "${configure[@]}"
  make -j "$(nproc)" "EXTRA_CFLAGS=$cflags" "LDFLAGS=$ldflags"
  make install
) >"$log" 2>&1 || { say "CPython $VERSION build failed: see $log"; tail -5 "$log" >&2; exit 1; }
"$PREFIX/bin/python3" -c "import ssl, ctypes, sqlite3, lzma, bz2, zlib, uuid, venv, ensurepip" \
  || { say "CPython $VERSION built without a module the services need: see $log"; exit 1; }
echo "$want" >"$PREFIX/.build-stamp"
say "CPython $VERSION ready: $("$PREFIX/bin/python3" --version)"
echo "$PREFIX/bin/python3"
