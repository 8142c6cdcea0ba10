# Entry points: `make sim` (run every RTL testbench, print the summary table)
# and `make test` (the whole pytest suite, RTL on both simulators).
# Knobs: SIM BLOCK TESTCASE SEED PARAMS=<i> ALL_PARAMS=1 TB_FRAMES=<n> WAVES=1|fail COVERAGE=0 CCACHE=0 VERBOSE=1 LIST=1 JOBS=<n>
#        make regress: JOBS SEEDS=1,2,3|1-20|x20 CHANGED=<git rev>    make cov: HTML coverage report

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SIM     ?= verilator
JOBS    ?= 2

export SIM BLOCK TESTCASE SEED WAVES PARAMS ALL_PARAMS LIST TB_FRAMES VERBOSE COVERAGE CCACHE SEEDS CHANGED JOBS

.PHONY: setup debian-tools sim test lint bench firmware clean regress cov regs kpi

setup: $(STAMP) debian-tools
	@$(PY) -m rtl_verif.soc.toolchain --install

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

# Icarus (RTL) and tshark (dissector test) come from Debian; install them when
# missing and we are root, else say the one command to run.
DEBIAN_TOOLS := iverilog:iverilog tshark:tshark genhtml:lcov
debian-tools:
	@missing=""; for pair in $(DEBIAN_TOOLS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing tools: run  sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
	@if [ -n "$(WAVES)" ] && [ "$(WAVES)" != 0 ] && [ ! -e /usr/include/lz4.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing liblz4-dev zlib1g-dev (Verilator FST waves need them)"; \
	    apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblz4-dev zlib1g-dev >/dev/null; \
	  else \
	    echo "Verilator FST waves need lz4: run  sudo apt-get install liblz4-dev zlib1g-dev"; exit 1; \
	  fi; \
	fi

sim: setup
	$(PY) -m rtl_verif

test: setup
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

lint: setup
	$(PY) -m rtl_verif.lint
	$(PY) -m rtl_verif.regs --check
	$(PY) -m rtl_verif.readme_tables --check
	$(PY) -m rtl_verif.soc.docs --check
	$(PY) -m protocol.firmware_tables --check
	$(PY) -m ruff check .
	$(PY) tools/lint_firmware.py

regress: setup
	$(PY) -m rtl_verif.regress

cov: setup
	$(PY) -m rtl_verif.coverage

# The KPI report (docs/kpi.html, docs/kpi_summary.md, the README table): quick
# by default (minutes on 2 cores), FULL=1 for the full statistics.
kpi: setup
	$(PY) -m kpi $(if $(filter 1,$(FULL)),--full)

regs: setup
	$(PY) -m rtl_verif.regs
	$(PY) -m protocol.firmware_tables
	$(PY) -m protocol dissector --out protocol/meshlink.lua

firmware: setup
	$(PY) -m firmware_models build

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf build .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
