SHELL := /bin/bash
# Thin wrapper so that a plain `make` builds everything into build/.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SRCS = $(shell find src tests bench -name '*.[ch]' 2>/dev/null)

.PHONY: all check check-asan demo format format-check lint fuzz fuzz-smoke clean

all: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

check: all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

$(ASAN_BUILD)/Makefile:
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNS_SANITIZE=ON -DNS_WERROR=ON

check-asan: $(ASAN_BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(ASAN_BUILD) -j$(JOBS)
	@# NS_SANITIZED: the purely statistical regressions (hundreds of seeds of the
	@# same code path) skip here; the plain build runs them, and their code is
	@# covered under the sanitizers by the unit and conservation tests
	cd $(ASAN_BUILD) && NS_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

demo: all
	./$(BUILD)/netsift probe -r samples/sample.pcap -w - | ./$(BUILD)/netsift read -r -

format:
	clang-format -i $(SRCS)

format-check:
	clang-format --dry-run --Werror $(SRCS)

lint: all
	@# the build's gcc LTO flags (-fno-fat-lto-objects) mean nothing to clang
	clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*' \
	  --extra-arg=-Wno-ignored-optimization-argument $(shell find src -name '*.c')
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -I src src

fuzz:
	CC=clang cmake -S . -B build-fuzz -DNS_FUZZ=ON -DNS_SANITIZE=ON
	@$(MAKE) --no-print-directory -C build-fuzz -j$(JOBS)

# A short run of every fuzz target (CI), seeded from tests/fuzz/corpus/NAME
# when the repository has seeds for it; a crash fails.
FUZZ_SECONDS ?= 30
fuzz-smoke: fuzz
	@for f in build-fuzz/fuzz_*; do \
	  echo "$$f: $(FUZZ_SECONDS) s"; \
	  mkdir -p build-fuzz/corpus-$$(basename $$f); \
	  if [ -d tests/fuzz/corpus/$$(basename $$f) ]; then \
	    cp -n tests/fuzz/corpus/$$(basename $$f)/* build-fuzz/corpus-$$(basename $$f)/; fi; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 \
	      build-fuzz/corpus-$$(basename $$f) 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY" ; \
	  test $${PIPESTATUS[0]:-0} -eq 0 || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
