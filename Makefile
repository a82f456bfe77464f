# One place for the project's commands. `make install` builds .venv from scratch; `make test` runs
# the whole suite (slow tests included) offline against the real files in ../shared/data.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0
export HYPERPEFT_DATA_DIR ?= $(abspath ../shared/data)
export WANDB_MODE ?= offline
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install test test-fast lint format bench bench-speed bench-quality clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==$(TORCH_VERSION)
	$(BIN)/pip install -e '.[dev]'

# the fast tests on both cores, then the slow ones (real models, two threads each) on their own
test:
	$(BIN)/python -m pytest tests -q -m "not slow" -n 2
	$(BIN)/python -m pytest tests -q -m slow

test-fast:
	$(BIN)/python -m pytest tests -q -m "not slow" -n 2

lint:
	$(BIN)/ruff check hyperpeft hydra_plugins tests benchmarks
	$(BIN)/ruff format --check hyperpeft hydra_plugins tests benchmarks

format:
	$(BIN)/ruff check --fix hyperpeft hydra_plugins tests benchmarks
	$(BIN)/ruff format hyperpeft hydra_plugins tests benchmarks

# every method of ours, the frozen backbone, full fine-tuning and the peers (adapters, peft, in an
# environment of their own under outputs/) on the same real batches; the same command resumes.
# Settings: make bench-speed BENCH_ARGS="--rounds 5 --steps 20" (see BENCHMARKS.md)
BENCH_ARGS ?=
bench-speed:
	$(BIN)/python -m benchmarks.speed $(BENCH_ARGS)

# quality on real data: every method of ours (and the peers on MRPC and RTE) trained on the GLUE
# and SuperGLUE tasks present, one run per cell into outputs/bench-quality/cells/; the same command
# resumes. Settings: make bench-quality BENCH_ARGS="--only 'rte.*' --seeds 0" (see BENCHMARKS.md)
bench-quality:
	$(BIN)/python -m benchmarks.quality $(BENCH_ARGS)

clean:
	rm -rf $(VENV) outputs/*/ multirun/
