# One entry point for people and for the blog repo's Makefile.
#   make pdf    set up .venv (first run only) and build output/backend-language-comparison.pdf
#   make test   set up, install the checkers the tests use, and run the test suite
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DATA    ?= data
OUT     ?= output
LM      := $(BIN)/lead-magnet

.PHONY: pdf html check test lint typecheck clean distclean system-deps bench-deps bench look perf preview venv lock verify

pdf: $(STAMP)
	$(LM) build --data $(DATA) --out $(OUT)

html: $(STAMP)
	$(LM) build --data $(DATA) --out $(OUT) --html

check: $(STAMP)
	$(LM) check --data $(DATA)

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

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check report tests
	$(BIN)/ruff format --check report tests

typecheck: $(STAMP)
	$(BIN)/mypy

# Build speed, measured side by side (cold, WeasyPrint floor, no-op, 12-stack scale); prints ratios.
perf: $(STAMP)
	$(BIN)/python benchmarks/build_speed.py

bench-deps:
	bash bench/install-deps.sh

bench: $(STAMP)
	$(LM) bench --out $(DATA)/benchmarks

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) bench/.work
