# One entry point for people and for the blog repo's Makefile.
#   make pdf    set up .venv (first run only) and build output/backend-language-comparison.pdf
#   make test   set up, install the checkers the tests use, and run the test suite
#   make preview  serve the report on http://127.0.0.1:8000/, rebuilt and reloaded on every save
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DATA    ?= data
OUT     ?= output
LM      := $(BIN)/lead-magnet
# Go 1.27 for every go command a recipe runs (the harness builds the Go services): the machine's go fetches
# this toolchain from the Go module proxy. services/go/go.mod names the same toolchain.
export GOTOOLCHAIN := go1.27.3

.PHONY: pdf html check build-deps test test-fast fuzz lint typecheck clean distclean system-deps bench-deps bench look perf preview venv lock verify new-edition conformance conformance-deps

pdf: $(STAMP) build-deps
	$(LM) build --data $(DATA) --out $(OUT)

html: $(STAMP) build-deps
	$(LM) build --data $(DATA) --out $(OUT) --html

check: $(STAMP)
	$(LM) check --data $(DATA)

# Serve the report at http://127.0.0.1:$(PORT)/ and rebuild it on every save; Ctrl+C stops it.
# Another port: make preview PORT=8001 (set here, not from the environment, so a stray $$PORT can't move it).
PORT = 8000
preview: $(STAMP) build-deps
	$(LM) preview --data $(DATA) --port $(PORT)

# Start the next edition: make new-edition EDITION=2027.01
new-edition: $(STAMP)
	@test -n "$(EDITION)" || { echo "usage: make new-edition EDITION=2027.01" >&2; exit 2; }
	$(LM) new-edition "$(EDITION)" --data $(DATA) --out $(OUT)

venv: $(STAMP)

# Reinstall only when the dependency list or the lock changes; the lock pins every
# package that shapes the PDF's bytes so two machines build the same sha256.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

# After changing dependencies in pyproject.toml: reinstall, then pin what got installed.
lock:
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python scripts/update-lock.py

# Exit 0 only when the latest build in $(OUT) matches its manifest.
verify: $(STAMP)
	$(LM) verify --out $(OUT)

# Command-line PDF checkers the tests call (poppler's pdftoppm/pdffonts, qpdf).
system-deps:
	@bash scripts/system-deps.sh

# What the build itself needs from Debian: HarfBuzz's font subsetter (without it the PDF's fonts would carry the
# build's clock time, so report/output/pdf.py refuses to build). Installed by `make pdf` on a fresh machine.
build-deps:
	@bash scripts/system-deps.sh --build

# veraPDF, the reference PDF/A and PDF/UA validator, pinned and cached in ~/.cache/lead-magnet (needs Java 17;
# Maven fetches it once from Maven Central). Without Java it says so and the conformance tests skip, except in CI.
conformance-deps:
	@bash scripts/verapdf.sh

# On every core (pytest-xdist), a test file per worker; the PDFs the read-only tests need are built once per run
# and shared (tests/conftest.py). `make test-fast` skips the tests marked slow (own builds, browsers, veraPDF).
# One worker more than cores: the harness smoke run (tests/bench/test_smoke.py) spends most of its ~45 s waiting
# on the services it starts, and the extra worker uses that core time (2 cores: 101 s instead of 113 s).
# Files with slow tests go out first (tests/conftest.py), so xdist must not reorder them by size.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST_XDIST := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: $(STAMP) system-deps conformance-deps
	$(BIN)/python -m pytest -q $(PYTEST_XDIST)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) -m "not slow"

# The deep input fuzz: 2,000 mutated input files instead of the 200 `make test` runs (tests/inputs/test_fuzz.py).
fuzz: $(STAMP)
	LEAD_MAGNET_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/inputs/test_fuzz.py

# Re-check conformance alone: veraPDF on the A4, Letter and 12-stack builds (PDF/UA-1) and the PDF/A-3B build.
conformance: $(STAMP) conformance-deps
	$(BIN)/python -m pytest -q tests/output/test_conformance.py

lint: $(STAMP)
	$(BIN)/ruff check report tests
	$(BIN)/ruff format --check report tests

typecheck: $(STAMP)
	$(BIN)/mypy

# Every page as a small PNG in output/pages/, for a quick look (poppler's pdftoppm, from make system-deps).
look: pdf system-deps
	rm -rf $(OUT)/pages && mkdir -p $(OUT)/pages
	pdftoppm -r 60 -png $(OUT)/backend-language-comparison.pdf $(OUT)/pages/page
	@echo "pages in $(OUT)/pages/"

# Build speed, measured side by side (cold, WeasyPrint floor, no-op, 12-stack scale); prints ratios.
perf: $(STAMP)
	$(BIN)/python perf/build_speed.py

bench-deps:
	bash services/install-deps.sh

bench: $(STAMP)
	$(LM) bench --out $(DATA)/benchmarks

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) services/.work
