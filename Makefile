# seqcli: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SEQCLI := $(BIN)/seqcli

.PHONY: install demo test test-all bench models lint format clean

install: $(VENV)/.installed

# torch first, pinned: a bare `torch` requirement would pull a multi-GB CUDA build
# where the CPU build is what the machine has
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: install
	$(SEQCLI) train charlm corpora/story.txt --name demo-fables --force \
		--hidden 256 --time-budget 60 --eval-every 50
	$(SEQCLI) generate -m demo-fables --prime "THE FOX" -n 400 -t 0.6 --seed 1
	echo "ROMEO:" | $(SEQCLI) generate -n 300 --seed 1
	$(SEQCLI) models list

test: install
	$(BIN)/python -m pytest -q

test-all: install
	$(BIN)/python -m pytest -q --slow

bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/charlm.py
	$(BIN)/python bench/crf.py

models: install
	$(BIN)/python scripts/build_defaults.py charlm

lint: install
	$(BIN)/ruff check seqcli tests bench corpora

format: install
	$(BIN)/ruff format seqcli tests bench corpora

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
