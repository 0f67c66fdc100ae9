# Two commands on a fresh machine: `make demo` (the main job on real data) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the [gpu] extra (CuPy) only where an NVIDIA GPU answers
comma   := ,
HAS_GPU := $(shell nvidia-smi -L >/dev/null 2>&1 && echo 1)
EXTRAS  := dev$(if $(HAS_GPU),$(comma)gpu)

.PHONY: demo test test-oldest docs install sync-check nbtest pytest bench gpu-check gpu-rehearse gpu-wheels clean

$(BIN)/.installed: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip check
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/trainfer demo

# nbdev_export and nbdev_clean must leave the tree as it was: the library and the notebooks agree
sync-check: install
	@before="$$(git status --porcelain; git diff)"; \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean || exit 1; \
	after="$$(git status --porcelain; git diff)"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev_export / nbdev_clean changed files: export and clean the notebooks, then commit"; git status --short; exit 1; \
	fi; echo "sync-check: nbdev_export and nbdev_clean leave no diff"

nbtest: install
	# one thread per notebook: two workers of OpenMP libraries spinning on two cores slow each other down many times over
	OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 $(BIN)/nbdev_test --flags slow --n_workers 2 --timing

pytest: install
	$(BIN)/pytest -q tests

test: sync-check nbtest pytest

# Every test again on the oldest Python and the oldest release line of every requirement that settings.ini admits
# (tools/oldest_requirements.py), in .venv-oldest: the floors it declares are tested, not guessed. Not part of
# `make test`, whose time it doubles; run it when a requirement or its floor changes
MIN_PY := $(shell sed -n 's/^min_python *= *//p' settings.ini)
# pyenv's own build where there is one: its shim answers only for the versions made global
OLDEST_PYTHON ?= $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/$(MIN_PY).*/bin/python$(MIN_PY))),python$(MIN_PY))
OLD := .venv-oldest/bin
test-oldest:
	$(OLDEST_PYTHON) -m venv .venv-oldest
	$(OLD)/python -m pip install -q --upgrade pip
	$(OLD)/python -m pip install -q $$(python3 tools/oldest_requirements.py)
	$(OLD)/python -m pip install -q --no-deps -e .
	$(OLD)/python -m pip check
	$(OLD)/python -c "import sys, numpy, pandas, sklearn, xgboost, lightgbm, numba; print('oldest:', sys.version.split()[0], *(f'{m.__name__} {m.__version__}' for m in (numpy, pandas, sklearn, xgboost, lightgbm, numba)))"
	PATH=$(CURDIR)/$(OLD):$$PATH OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 $(OLD)/nbdev_test --flags slow --n_workers 2 --timing
	PATH=$(CURDIR)/$(OLD):$$PATH $(OLD)/pytest -q tests

# The documentation site in _docs/ without Quarto (nbdev's processing, nbconvert's HTML), the notebooks run first so that
# examples show their output; tests/test_docs.py builds it without running them
docs: install
	OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 $(BIN)/python tools/docs.py --execute

# The CPU benchmarks, rewriting bench/results/; the peers' packages (ONNX Runtime, Treelite) are the [bench] extra. Run alone: they time
bench: install
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS),bench]" && $(BIN)/python -m pip check
	$(BIN)/python bench/infer.py
	$(BIN)/python bench/infer_linear.py
	$(BIN)/python bench/input_forms.py
	$(BIN)/python bench/float64_reading.py
	$(BIN)/python bench/expf_rounding.py
	$(BIN)/python bench/train_overhead.py
	$(BIN)/python bench/data_shards.py

# On a machine with an NVIDIA GPU: the `#| gpu` cells and the demo on the GPU (see README)
gpu-check:
	tools/gpu-check

# Where no GPU is: the GPU check walked in the lent machine's environment (Python 3.12, its packages, the carried wheels), on the CuPy stand-in
gpu-rehearse:
	tools/gpu-rehearse

# Wheels the lent GPU machine lacks (it has no network); carried there in .whl/
gpu-wheels:
	tools/gpu-wheels

clean:
	rm -rf $(VENV) *.egg-info _proc _docs
