# Two commands on a fresh machine (see README.md):
#   make workflow   run the whole workflow on the embedded offline default config (CPU)
#   make test       run the test suite
# Both first install every dependency into .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: workflow test install

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

workflow: $(INSTALLED)
	snakemake --cores 2

test: $(INSTALLED)
	pytest
