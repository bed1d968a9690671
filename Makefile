# seqcli: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SEQCLI := $(BIN)/seqcli

.PHONY: install demo test bench models lint format clean

install: $(VENV)/.installed

# torch first, pinned: a bare `torch` requirement would pull a multi-GB CUDA build
# where the CPU build is what the machine has
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: install
	@echo "== a char-LM trained for 45 s on corpora/story.txt"
	$(SEQCLI) train charlm corpora/story.txt --name demo-fables --force \
		--hidden 256 --batch-size 16 --lr 0.004 --time-budget 45 --eval-every 100
	$(SEQCLI) generate -m demo-fables --prime "THE FOX" -n 300 -t 0.6 --seed 1
	@echo "== the built-in Shakespeare model"
	echo "ROMEO:" | $(SEQCLI) generate -n 300 --seed 1
	@echo "== the built-in taggers (CoNLL-2003 news, WNUT-17 social media) and translator (Multi30k)"
	echo "Angela Merkel met Emmanuel Macron in Paris on Tuesday." | $(SEQCLI) tag
	echo "just saw taylor swift live in new york tonight !!" | $(SEQCLI) tag -m wnut17-en
	echo "A man is riding a horse on the beach." | $(SEQCLI) translate
	@echo "== a tagger trained for 25 s on corpora/ner.conll"
	$(SEQCLI) train tagger corpora/ner.conll --dev corpora/ner.conll --name demo-ner \
		--force --embedding 50 --hidden 64 --time-budget 25
	echo "Anna Berg flew from Oslo to Lima on Monday." | $(SEQCLI) tag -m demo-ner
	@echo "== a translator trained for 30 s on corpora/phrases.tsv"
	$(SEQCLI) train translator --pairs corpora/phrases.tsv --name demo-en-de --force \
		--embedding 64 --hidden 128 --batch-size 32 --lr 0.005 --time-budget 30 \
		--eval-every 50
	echo "A young woman is reading a newspaper in the park." \
		| $(SEQCLI) translate -m demo-en-de
	@echo "== the built-in sentiment classifier (IMDB), then one trained for 20 s on corpora/reviews.tsv"
	printf "What a wonderful, moving film.\nTwo hours of my life I will never get back.\n" \
		| $(SEQCLI) classify --format jsonl
	$(SEQCLI) train classifier corpora/reviews.tsv --name demo-reviews --force \
		--embedding 32 --hidden 32 --lr 0.01 --time-budget 20
	printf "The camera was superb . Worth every penny .\nThe hotel was quiet .\n" \
		| $(SEQCLI) classify -m demo-reviews
	$(SEQCLI) models list

# the tests on two workers (pytest-xdist), one per core of the machine CI runs on;
# then the tests that compare floating-point results once more, with PyTorch's kernels
# and oneDNN held to AVX2: what a CPU without AVX-512 computes (onnxruntime and fbgemm
# have no such switch; bench/int8.py runs onnxruntime on an emulated AVX2 CPU)
test: install
	$(BIN)/ruff check seqcli tests bench corpora scripts
	$(BIN)/ruff format --check seqcli tests bench corpora scripts
	$(BIN)/python -m pytest -q -n 2
	ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 $(BIN)/python -m pytest -q -n 2 -m numeric

bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/charlm.py
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/units.py
	$(BIN)/python bench/crf.py
	$(BIN)/python bench/translator.py
	$(BIN)/python bench/tagger.py
	$(BIN)/python bench/tagger.py --skip-quality --builtin
	$(BIN)/python bench/int8.py export build/int8
	$(BIN)/python bench/int8.py score build/int8 --label "$$(lscpu | sed -n 's/^Model name: *//p')"
	$(BIN)/python bench/tagger.py --recipe --corpus wnut17 --time-budget 900
	$(BIN)/python bench/distributed.py
	$(BIN)/python bench/classifier.py --lm sentiment-lm
	$(BIN)/python bench/ngram_ensemble.py
	$(BIN)/python bench/robustness.py --classifier
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/serve.py --soak 10000
	$(BIN)/python bench/report.py

models: install
	$(BIN)/python scripts/build_defaults.py charlm
	$(BIN)/python scripts/build_defaults.py tagger
	$(BIN)/python scripts/build_defaults.py wnut17
	$(BIN)/python scripts/build_defaults.py translator
	$(BIN)/python scripts/build_defaults.py classifier
	$(BIN)/python scripts/calibrate.py sentiment-en

lint: install
	$(BIN)/ruff check seqcli tests bench corpora scripts

format: install
	$(BIN)/ruff format seqcli tests bench corpora scripts

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
