# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and installs the project (with its dev extras) into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install specs schemas docs bench bench-evidently clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) specs
	$(BIN)/python -m galfriday_gitops.demo.run

specs:
	bash tools/fetch-github-specs.sh
	bash tools/fetch-axe-core.sh
	bash tools/fetch-clients.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) specs
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

schemas: $(STAMP)
	$(BIN)/gfops schema --write

docs: $(STAMP)
	$(BIN)/gfops rules --markdown > docs/rules.md

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(if $(filter 1,$(BENCH_FULL)),--full,)

# The drift calibration table with Evidently's preset beside ours (Evidently needs pandas 2:
# its own environment, see tools/evidently-venv.sh).
bench-evidently:
	PYTHONPATH=. "$$(bash tools/evidently-venv.sh)" benchmarks/bench_drift_calibration.py --evidently

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
