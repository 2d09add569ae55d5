# Two commands: `make demo` and `make test`.  Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= 2

.PHONY: demo demo-products readme-figures test run plan check-config install install-test lint docs dry-run clean bench-national

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

# The demo with every input in its product's delivered layout (HDF-EOS, NetCDF, ESRI GRID).
demo-products: install
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo_products.yaml

# The national benchmark (benchmarks/README.md): every county of China at 1 km, two years,
# about 3 GB of inputs and 25 minutes on 2 cores. BENCH_DIR holds inputs and results.
BENCH_DIR ?= /tmp/carbonbalance-national
bench-national: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/national.py generate --workdir $(BENCH_DIR) --years 2019 2020
	$(BIN)/python benchmarks/national.py run --workdir $(BENCH_DIR) --cores $(CORES)
	$(BIN)/python benchmarks/national.py report --workdir $(BENCH_DIR)

# The README's thumbnails (docs/img/) from the demo with the test ensemble: CASA maps of its
# last year, CBI of every year on one scale, the county time series, the zone stability maps.
readme-figures: install
	$(BIN)/snakemake results/demo/figures/casa_2021.png results/demo/figures/budget_years_cbi.png \
		results/demo/figures/budget_trends_county.png results/demo/figures/ensemble_zone_stability.png \
		--cores $(CORES) --configfile config/demo.yaml config/test_ensemble.yaml
	$(BIN)/python tools/readme_figures.py results/demo/figures docs/img

# Static checks first (seconds), then the suite on TEST_WORKERS pytest-xdist workers (a test
# module stays on one worker); the suite also runs the test config in the background, locally
# and on a single-node SLURM that it starts (tools/local_slurm.sh, root; tests/runs.py).
TEST_WORKERS ?= 2
test: lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# Lint and format (ruff, snakefmt), the import layers of pyproject.toml (import-linter)
# and Snakemake's own lint of the rules.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/lint-imports
	$(BIN)/snakemake --lint

# docs/config.md is generated from the schema (a test checks that it is current).
docs: install
	$(BIN)/carbonbalance config-reference > docs/.config.md.tmp
	mv docs/.config.md.tmp docs/config.md

# Your own data: make run CONFIG=my.yaml [CORES=8]. The config is checked first (YAML
# syntax with file and line, then every key against the schema).
run: install
	@test -n "$(CONFIG)" || { echo "usage: make run CONFIG=my.yaml [CORES=8]"; exit 2; }
	$(BIN)/carbonbalance check-config $(CONFIG)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

# What a run will ask of a cluster before it is submitted: jobs per rule, CPU-hours, memory
# and runtime per job, disk.  make plan CONFIG=my.yaml [YEARS=2000-2021] [RESOLUTION=250]
plan: install
	@test -n "$(CONFIG)" || { echo "usage: make plan CONFIG=my.yaml [YEARS=2000-2021] [RESOLUTION=250]"; exit 2; }
	$(BIN)/carbonbalance plan $(CONFIG) $(if $(YEARS),--years $(YEARS)) $(if $(RESOLUTION),--resolution $(RESOLUTION))

check-config: install
	$(BIN)/carbonbalance check-config $(CONFIG)

dry-run: install
	$(BIN)/snakemake -n --cores $(CORES)

clean:
	rm -rf results logs .snakemake resources/demo
