# Two commands: `make demo` and `make test`.  Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= 2

.PHONY: demo test run check-config install install-test lint dry-run clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml

test: install-test
	$(BIN)/python -m pytest -q

# Your own data: make run CONFIG=my.yaml [CORES=8]. The config is checked first (YAML
# syntax with file and line, then every key against the schema).
run: install
	@test -n "$(CONFIG)" || { echo "usage: make run CONFIG=my.yaml [CORES=8]"; exit 2; }
	$(BIN)/carbonbalance check-config $(CONFIG)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

check-config: install
	$(BIN)/carbonbalance check-config $(CONFIG)

dry-run: install
	$(BIN)/snakemake -n --cores $(CORES)

lint: install
	$(BIN)/snakemake --lint

clean:
	rm -rf results logs .snakemake resources/demo
