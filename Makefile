# Runnel: `make run` starts the server, `make test` runs everything CI runs.
SWIFT ?= swift
JOBS ?= 2
ARGS ?=
DIST := dist

.PHONY: run test test-swift test-node test-browser test-sanitize test-fuzz fuzz release bench bench-litellm deps deps-test deps-bench clean

# --- prerequisites -----------------------------------------------------------
# Debian packages are installed when running as root (CI); otherwise the exact
# command to run is printed.
define need_deb
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "make: installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing) >/dev/null || exit 1; \
	  else echo "make: missing Debian packages:$$missing — run: sudo apt-get install$$missing"; exit 1; fi; \
	fi
endef

deps:
	@command -v $(SWIFT) >/dev/null || { echo "make: swift not found: install the Swift 6.3 toolchain (swift.org)"; exit 1; }
	$(call need_deb,zlib1g-dev)

# Python test tooling lives in a virtualenv under .build/, never in the system Python.
VENV := .build/venv
PY := $(VENV)/bin/python

deps-test: deps $(VENV)/.selenium
	$(call need_deb,chromium chromium-driver)
	@command -v node >/dev/null || { echo "make: node not found: apt-get install nodejs"; exit 1; }

$(VENV)/bin/python:
	@python3 -m venv $(VENV) 2>/dev/null || { echo "make: python3 -m venv failed: apt-get install python3-venv"; rm -rf $(VENV); exit 1; }

$(VENV)/.selenium: $(VENV)/bin/python
	@echo "make: installing selenium (PyPI) into $(VENV) for the browser tests"
	@$(PY) -m pip install -q selenium >/dev/null && touch $@

deps-bench: deps
	$(call need_deb,wrk nginx-light hyperfine libcurl4-openssl-dev)

# --- the two commands ----------------------------------------------------------
run: deps
	$(SWIFT) build -c release -j $(JOBS) --product runnel
	.build/release/runnel $(ARGS)

test: deps-test test-swift test-node test-browser

test-swift:
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build

test-node:
	node --test Tests/Frontend/

test-browser: deps-test
	$(SWIFT) build -j $(JOBS) --product runnel
	$(PY) Tests/Browser/run.py --binary .build/debug/runnel

# The XCTest suites under ThreadSanitizer, then AddressSanitizer (slow: not part of
# `make test`); each keeps its own build folder so the normal one stays incremental.
test-sanitize: deps
	$(SWIFT) build --build-tests -j $(JOBS) --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) build --build-tests -j $(JOBS) --sanitize=address --scratch-path .build-asan
	$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan

# --- shipping and measuring ----------------------------------------------------
release: deps
	$(call need_deb,libcurl4-openssl-dev)
	$(SWIFT) build -c release -j $(JOBS) --product runnel --static-swift-stdlib
	@mkdir -p $(DIST)
	cp .build/release/runnel $(DIST)/runnel
	strip $(DIST)/runnel
	@ls -l $(DIST)/runnel | awk '{printf "make: %s is %.1f MB\n", $$9, $$5/1e6}'

bench: deps-bench release bench-litellm
	bash Benchmarks/run.sh $(DIST)/runnel

# LiteLLM's proxy, measured beside runnel (bench tooling only, never part of the build):
# its own virtualenv under .build/, installed once; without PyPI the bench still runs
# and says LiteLLM was not measured.
LITELLM_VENV := .build/venv-litellm
bench-litellm:
	@if [ ! -x $(LITELLM_VENV)/bin/litellm ]; then \
	  echo "make: installing litellm[proxy] into $(LITELLM_VENV) (bench only)"; \
	  (python3 -m venv $(LITELLM_VENV) && $(LITELLM_VENV)/bin/pip install -q 'litellm[proxy]') \
	    || echo "make: could not install litellm[proxy] (is PyPI reachable?): the bench runs without the LiteLLM figures"; \
	fi

clean:
	rm -rf .build $(DIST)
