# Two commands: `make demo` and `make test`. Both create .venv on first use and install the
# project with every extra (TensorFlow included, for the parity tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
FASHION := /usr/share/datasets/fashion-mnist
PYTEST_ARGS ?=

.PHONY: test demo install lint data parity-report benchmark clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	touch $(STAMP)

install: $(STAMP)

# Debian's package ships the real Fashion-MNIST: CI exercises the IDX loader on it.
data:
	@test -d $(FASHION) || $(SUDO) apt-get install -y -q dataset-fashion-mnist \
	  || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q dataset-fashion-mnist)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) data lint
	MPLBACKEND=Agg $(PY) -m pytest -q $(PYTEST_ARGS)

demo: $(STAMP)
	MPLBACKEND=Agg $(PY) -m demos

parity-report: $(STAMP)
	$(PY) -m parity_tests.report

benchmark: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) demos_out .pytest_cache
