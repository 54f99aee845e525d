"""Artifact size on one basis for every stack: what a bare Debian host needs to run the service, runtime included.

Go's static binary and Bun's compiled executable are their own size; a FastAPI service needs CPython as far as a
service uses it, the venv's site-packages without the installer, and the host libraries beyond glibc they load.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_INSTALLER = ("pip", "setuptools", "wheel", "_distutils_hack", "pkg_resources", "distutils-precedence")


def dir_size(path: Path, skip_installer: bool = False) -> int:
    """Bytes of regular files under `path` (symlinks not followed), optionally without pip/setuptools."""
    total = 0
    for top in path.iterdir() if path.is_dir() else []:
        # pip and setuptools come with every venv and are not needed to run the service.
        if skip_installer and top.name.lower().startswith(_INSTALLER):
            continue
        files = [top] if top.is_file() else top.rglob("*")
        total += sum(p.stat().st_size for p in files if p.is_file() and not p.is_symlink())
    return total


# The parts of a CPython installation a service never loads: the test suite, IDLE and Tk, the bundled pip wheels,
# the base installation's own site-packages (the venv has its own), and what only builds extensions (config dir).
_STDLIB_UNUSED = ("test", "idlelib", "tkinter", "turtledemo", "ensurepip", "site-packages", "lib2to3")
# glibc is on every Debian host, so no stack's size counts it.
_GLIBC = ("libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "libutil.so", "ld-linux", "linux-vdso")


def cpython_runtime_files(base_prefix: Path, stdlib: Path, executable: Path) -> list[Path]:
    """The files of a CPython installation a service needs: the interpreter, libpython, the standard library
    (with lib-dynload, less `_STDLIB_UNUSED`, the `config-*` build directory and -O/-OO bytecode)."""
    files = [executable.resolve()]
    files += [p for p in sorted((base_prefix / "lib").glob("libpython*.so*")) if p.is_file() and not p.is_symlink()]
    for top in sorted(stdlib.iterdir()) if stdlib.is_dir() else []:
        if top.name in _STDLIB_UNUSED or top.name.startswith("config-"):
            continue
        if top.is_file():
            files.append(top)
        else:
            files += [p for p in sorted(top.rglob("*")) if p.is_file() and not p.is_symlink() and not _optimized(p)]
    return files


def _optimized(path: Path) -> bool:
    """Bytecode for `python -O`/`-OO` (`*.opt-1.pyc`, `*.opt-2.pyc`): a service run without them never loads it."""
    return path.name.endswith((".opt-1.pyc", ".opt-2.pyc"))


def host_libraries(binaries: list[Path]) -> set[Path]:
    """Shared libraries outside glibc that `binaries` load from the host (ldd), e.g. Debian's libssl for CPython."""
    found: set[Path] = set()
    for binary in binaries:
        try:
            out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            continue
        for line in out.stdout.splitlines():
            parts = line.split("=>")
            target = parts[1].split("(")[0].strip() if len(parts) == 2 else ""
            if target.startswith("/") and not any(g in target for g in _GLIBC):
                found.add(Path(target).resolve())
    return found


def python_runtime_size(python: Path) -> int:
    """Bytes a bare Debian host needs for the venv's interpreter: CPython's needed files plus the host libraries
    they load beyond glibc (libpython's own directory excluded, it is already counted)."""
    code = (
        "import sys, sysconfig; print(sys.base_prefix); print(sysconfig.get_paths()['stdlib']); print(sys.executable)"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60, check=True)
    base, stdlib, exe = out.stdout.splitlines()[:3]
    files = cpython_runtime_files(Path(base), Path(stdlib), Path(exe))
    counted = {f.resolve() for f in files}
    native = [f for f in files if f.suffix == ".so" or ".so." in f.name or f == Path(exe).resolve()]
    extra = host_libraries(native) - counted
    return sum(f.stat().st_size for f in files) + sum(f.stat().st_size for f in extra if f.is_file())


def venv_native_libraries(venv: Path) -> list[Path]:
    """Compiled extension modules in a venv's site-packages (their host libraries count too)."""
    return [p for p in site_packages(venv).rglob("*.so") if p.is_file()]


def traced_python_artifact(venv: Path) -> int:
    """The FastAPI service's artefact on the common basis: CPython as needed, the venv's site-packages without the
    installer, and host libraries beyond glibc the extension modules load."""
    extra = host_libraries(venv_native_libraries(venv))
    return (
        python_runtime_size(venv / "bin" / "python")
        + dir_size(site_packages(venv), True)
        + sum(f.stat().st_size for f in extra if f.is_file() and not str(f).startswith(str(venv.resolve())))
    )


def site_packages(venv: Path) -> Path:
    """The venv's site-packages directory."""
    found = sorted(venv.glob("lib/python*/site-packages"))
    return found[0] if found else venv / "lib" / "site-packages"
