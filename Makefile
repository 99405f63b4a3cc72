# Runnel: `make run` starts the server, `make test` runs everything CI runs.
SWIFT ?= swift
JOBS ?= 2
ARGS ?=
DIST := dist

.PHONY: help run test test-swift test-node test-browser test-sdk test-sanitize test-tsan test-asan test-fuzz fuzz release bench bench-litellm deps deps-test deps-bench clean
.DEFAULT_GOAL := help

# `make` alone lists the targets, each with its `## ` comment.
help:
	@echo "Runnel: make TARGET"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 18

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

deps: ## check the toolchain and zlib (installs Debian packages as root)
	@command -v $(SWIFT) >/dev/null || { echo "make: swift not found: install the Swift 6.3 toolchain (swift.org)"; exit 1; }
	$(call need_deb,zlib1g-dev)

# Python test tooling lives in a virtualenv under .build/, never in the system Python.
VENV := .build/venv
PY := $(VENV)/bin/python

deps-test: deps $(VENV)/.selenium $(VENV)/.prometheus $(VENV)/.sdks ## what the tests need: chromium, chromedriver, node, nginx-light, selenium, prometheus_client and the provider SDKs in .build/venv
	$(call need_deb,chromium chromium-driver nginx-light)
	@command -v node >/dev/null || { echo "make: node not found: apt-get install nodejs"; exit 1; }

$(VENV)/bin/python:
	@python3 -m venv $(VENV) 2>/dev/null || { echo "make: python3 -m venv failed: apt-get install python3-venv"; rm -rf $(VENV); exit 1; }

$(VENV)/.selenium: $(VENV)/bin/python
	@echo "make: installing selenium (PyPI) into $(VENV) for the browser tests"
	@$(PY) -m pip install -q selenium >/dev/null && touch $@

# /metrics is checked with the Prometheus client's own parser (MetricsTests).
$(VENV)/.prometheus: $(VENV)/bin/python
	@echo "make: installing prometheus_client (PyPI) into $(VENV) for the metrics test"
	@$(PY) -m pip install -q prometheus_client >/dev/null && touch $@

# The provider endpoints (/v1/chat/completions, /v1/messages, /v1beta/models/…) are
# tested with the providers' own Python SDKs as clients (Tests/SDK).
$(VENV)/.sdks: $(VENV)/bin/python
	@echo "make: installing openai, anthropic and google-genai (PyPI) into $(VENV) for the SDK tests"
	@$(PY) -m pip install -q openai anthropic google-genai >/dev/null && touch $@

deps-bench: deps ## what make bench needs: wrk, nginx-light, hyperfine, gcc (Benchmarks/streamload.c)
	$(call need_deb,wrk nginx-light hyperfine libcurl4-openssl-dev gcc)

# --- the two commands ----------------------------------------------------------
run: deps ## build (release) and serve http://127.0.0.1:8080/ (options: ARGS="--port 9000")
	$(SWIFT) build -c release -j $(JOBS) --product runnel
	.build/release/runnel $(ARGS)

test: deps-test test-swift test-node test-browser test-sdk test-fuzz test-sanitize ## everything CI runs: Swift, node, browser, SDK tests, the fuzzers and the sanitizers

test-swift: ## the XCTest suites
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build

test-node: ## the node tests of the UI's parsers and renderer
	node --test Tests/Frontend/

test-browser: deps-test ## the real-browser tests (headless Chromium)
	$(SWIFT) build -j $(JOBS) --product runnel
	$(PY) Tests/Browser/run.py --binary .build/debug/runnel

test-sdk: deps-test ## the provider endpoints with the official openai, anthropic and google-genai SDKs
	$(SWIFT) build -j $(JOBS) --product runnel
	$(PY) Tests/SDK/run.py --binary .build/debug/runnel

# libFuzzer on the parsers (Tests/Fuzz, a package of its own so plain builds never see
# it): each target for FUZZ_SECONDS, starting from its seed corpus in Tests/Fuzz/Corpus;
# a crash, an input slower than FUZZ_TIMEOUT seconds, a leak or an out-of-memory fails.
# New inputs it finds land in .build-fuzz/corpus, a crashing one in .build-fuzz/. (Swift's
# backtracer is off there: it trips over AddressSanitizer, and libFuzzer prints the stack.)
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_TARGETS := FuzzRequestParser FuzzChunkedBody FuzzSSEDecoder FuzzJSONExtraction
FUZZ_BUILD := .build-fuzz

fuzz: deps #test-sdk: deps-test ## the provider endpoints with the official openai, anthropic and google-genai SDKs
	$(SWIFT) build -j $(JOBS) --product runnel
	$(PY) Tests/SDK/run.py --binary .build/debug/runnel

# libFuzzer on the parsers for FUZZ_SECONDS each
	$(SWIFT) build --package-path Tests/Fuzz --scratch-path $(FUZZ_BUILD) -c release -j $(JOBS) \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$target; \
	  echo "make: fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/release/$$target -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 \
	    -detect_leaks=1 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$target- \
	    $(FUZZ_BUILD)/corpus/$$target Tests/Fuzz/Corpus/$$target > $(FUZZ_BUILD)/$$target.log 2>&1 \
	  || { tail -n 60 $(FUZZ_BUILD)/$$target.log; echo "make: $$target failed; the input is in $(FUZZ_BUILD)/$$target-*"; exit 1; }; \
	  grep -h -E '^stat::number_of_executed_units|^Done' $(FUZZ_BUILD)/$$target.log | sed "s/^/  /"; \
	done

test-fuzz: fuzz

# The XCTest suites under ThreadSanitizer and under AddressSanitizer with LeakSanitizer
# (README "Tests"); both run even when the first fails, and any report fails the run: TSan
# and LSan set the exit code when the tests are over. Each keeps its own build folder so
# the normal one stays incremental. Leak suppressions (only the toolchain's, each with
# its reason) are in Tests/Sanitizers/leaks.supp.
test-sanitize: ## the XCTest suites under TSan, then ASan and LSan (~3.5 min from scratch)
	$(MAKE) --keep-going test-tsan test-asan

test-tsan: deps
	$(SWIFT) build --build-tests -j $(JOBS) --sanitize=thread --scratch-path .build-tsan
	RUNNEL_SANITIZER=thread TSAN_OPTIONS="exitcode=66 $(TSAN_OPTIONS)" \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan

test-asan: deps
	$(SWIFT) build --build-tests -j $(JOBS) --sanitize=address --scratch-path .build-asan
	RUNNEL_SANITIZER=address ASAN_OPTIONS="detect_leaks=1 $(ASAN_OPTIONS)" LSAN_OPTIONS="suppressions=$(CURDIR)/Tests/Sanitizers/leaks.supp $(LSAN_OPTIONS)" \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan

# --- shipping and measuring ----------------------------------------------------
release: deps ## dist/runnel: one stripped binary with the UI inside; prints what it needs at run time
	$(call need_deb,libcurl4-openssl-dev)
	$(SWIFT) build -c release -j $(JOBS) --product runnel --static-swift-stdlib
	@mkdir -p $(DIST)
	cp .build/release/runnel $(DIST)/runnel
	strip $(DIST)/runnel
	@ls -l $(DIST)/runnel | awk '{printf "make: %s is %.1f MB\n", $$9, $$5/1e6}'
	@echo "make: at run time it needs these shared libraries (readelf -d; ldd adds what libcurl pulls in):"; \
	  readelf -d $(DIST)/runnel | sed -n 's/.*Shared library: \[\(.*\)\]/  \1/p'; \
	  echo "  Debian packages: libc6 libstdc++6 libgcc-s1 zlib1g libcurl4 ($$(ldd $(DIST)/runnel | wc -l) libraries in all under ldd)"

bench: deps-bench release bench-litellm ## measure dist/runnel beside nginx, a direct client and LiteLLM (Benchmarks/README.md)
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

clean: ## remove .build and dist
	rm -rf .build $(DIST)
