# Entry points: `make sim` (run every RTL testbench, print the summary table)
# and `make test` (the whole pytest suite, RTL on both simulators).
# Knobs: SIM=verilator|icarus  BLOCK=<name>  TESTCASE=<test>  SEED=<int>  WAVES=1

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SIM     ?= verilator
JOBS    ?= 2

export SIM BLOCK TESTCASE SEED WAVES

.PHONY: setup sim test lint bench clean

setup: $(STAMP) iverilog

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

# Icarus comes from Debian; install it when missing and we are root, else say how.
iverilog:
	@if ! command -v iverilog >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing iverilog (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog >/dev/null; \
	  else \
	    echo "Icarus Verilog is missing: run  sudo apt-get install iverilog"; exit 1; \
	  fi; \
	fi
	@if [ "$(WAVES)" = 1 ] && [ ! -e /usr/include/lz4.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblz4-dev zlib1g-dev >/dev/null; \
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
	$(PY) -m ruff check .

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf build .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
