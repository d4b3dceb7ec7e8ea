# Haiku TUN/TAP driver and its fuzzing/stress suite: the one entry point (GNU Make only).
# `make test` builds the driver into the userland shim under ASan+UBSan and TSan and runs every test.

CC ?= clang
ifeq ($(origin CC),default)
CC := clang
endif

SAN ?= asan
BUILD := build
CSTD := -std=gnu11
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
OPT := -O1 -g -fno-omit-frame-pointer

SAN_asan := -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_tsan := -fsanitize=thread
SAN_none :=

SHIM_INC := -Iuserland-shim/include
# driver code: compiled as a Haiku kernel add-on would be, against the shim's Haiku headers
DRIVER_CFLAGS = $(CSTD) $(WARN) $(OPT) -D_KERNEL_MODE $(SHIM_INC) -Idriver
# shim and tests: Linux userland (pthreads), seeing the Haiku names through the same headers
SHIM_CFLAGS = $(CSTD) $(WARN) $(OPT) -D_GNU_SOURCE $(SHIM_INC) -Iuserland-shim -Idriver
LDLIBS := -lpthread

DRIVER_SRCS := $(sort $(wildcard driver/*.c))
SHIM_SRCS := $(sort $(wildcard userland-shim/*.c))
TEST_SRCS := $(sort $(wildcard driver/tests/*.c userland-shim/tests/*.c))
TEST_NAMES := $(basename $(notdir $(TEST_SRCS)))

# $(call objs,variant,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

# ==== deterministic variant: make tests-built|run-tests|test-det SAN=det ==========================
# ASan+UBSan, linking userland-shim/host_det.c instead of host.c (same host.h): one shim thread runs
# at a time, the next one read from a choice tape; virtual time (userland-shim/shim_sched.h).
# Variants named det or *-det (a fuzzing build, say) link host_det.c, all others host.c:
# $(call shim_srcs,variant) is the variant's userland-shim/*.c. test_sched needs the deterministic
# scheduler: built only here. The det run skips DET_SKIP_TESTS, which cannot run deterministically:
#   test_kern: test_wait_until_blocked spins on plain variables (`while (atomic_get(&flag) == 0);`)
#   with no shim call inside, so the spinner never reaches a scheduling point and keeps the baton.
shim_srcs = $(filter-out userland-shim/$(if $(filter det %-det,$(1)),host,host_det).c,$(SHIM_SRCS))
SAN_det = $(SAN_asan)
DET_SKIP_TESTS := test_kern
ifeq ($(SAN),det)
TEST_NAMES := $(filter-out $(DET_SKIP_TESTS),$(TEST_NAMES))
else
TEST_NAMES := $(filter-out test_sched,$(TEST_NAMES))
endif
$(BUILD)/det/tests/test_sched: userland-shim/shim_sched.h
.PHONY: test-det
test-det: check-deps
	@$(MAKE) --no-print-directory run-tests SAN=det
# ==== end of the deterministic variant block ======================================================

.PHONY: all test test-asan test-tsan check-deps clean format format-check help
.DEFAULT_GOAL := all

all: check-deps
	$(MAKE) --no-print-directory tests-built SAN=asan

help:
	@echo "make test          build and run every test under ASan+UBSan, TSan and deterministic mode"
	@echo "make test-det      only the deterministic-scheduler run (one thread at a time, choice tape)"
	@echo "make bench         benchmarks (no sanitizers), results in build/bench/"
	@echo "make test-asan     only the ASan+UBSan run"
	@echo "make test-tsan     only the TSan run"
	@echo "make format        clang-format every C file in place"
	@echo "make fuzz          not yet: the fuzzing issue delivers it (see README)"

check-deps:
	@bash .ci/deps.sh test

# ---- per-variant rules -----------------------------------------------------------------------

define variant
$(BUILD)/$(1)/driver/%.o: driver/%.c $(wildcard driver/*.h) $(wildcard userland-shim/include/*.h userland-shim/include/*/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(DRIVER_CFLAGS) $$(SAN_$(1)) -c $$< -o $$@

$(BUILD)/$(1)/userland-shim/%.o: userland-shim/%.c $(wildcard userland-shim/*.h) $(wildcard userland-shim/include/*.h userland-shim/include/*/*.h) $(wildcard driver/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) -c $$< -o $$@

$(BUILD)/$(1)/libshim.a: $(call objs,$(1),$(call shim_srcs,$(1))) $(call objs,$(1),$(DRIVER_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/$(1)/tests/%: $(BUILD)/$(1)/libshim.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) $$(filter %/$$*.c,$(TEST_SRCS)) \
		-Wl,--whole-archive $(BUILD)/$(1)/libshim.a -Wl,--no-whole-archive -lcmocka $$(LDLIBS) -o $$@
endef
$(foreach v,asan tsan none det,$(eval $(call variant,$(v))))

# tests depend on their own source too
$(foreach v,asan tsan none det,$(foreach t,$(TEST_SRCS),$(eval $(BUILD)/$(v)/tests/$(basename $(notdir $(t))): $(t) $(wildcard driver/tests/*.h userland-shim/tests/*.h) userland-shim/shim.h)))

.PHONY: tests-built
tests-built: $(addprefix $(BUILD)/$(SAN)/tests/,$(TEST_NAMES))

# ---- running tests -------------------------------------------------------------------------

export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS := halt_on_error=1:second_deadlock_stack=1

test: check-deps
	@$(MAKE) --no-print-directory run-tests SAN=asan
	@$(MAKE) --no-print-directory run-tests SAN=tsan
	@$(MAKE) --no-print-directory run-tests SAN=det
	@echo "make test: all test binaries passed under ASan+UBSan, TSan and the deterministic scheduler"

test-asan: check-deps
	@$(MAKE) --no-print-directory run-tests SAN=asan
test-tsan: check-deps
	@$(MAKE) --no-print-directory run-tests SAN=tsan

.PHONY: run-tests
run-tests: tests-built
	@bash .ci/run-tests.sh $(SAN) $(addprefix $(BUILD)/$(SAN)/tests/,$(TEST_NAMES))

# ==== Haiku add-on, Haiku-header checks, lint (one block; see README "Trying it on Haiku") =========
# make haiku-check HAIKU_SRC=<dir with a Haiku checkout's headers/ and build/config_headers/>:
#   cross-compile driver/*.c, link with lld, audit imports/exports, drift-check the shim's headers.
#   Without HAIKU_SRC it explains itself in one line and exits 2 (CI skips it then).
# make haiku / make haiku-install: on Haiku only (system compiler, _KERNEL_, non-packaged add-ons).
# make lint: clang and gcc warnings, clang-tidy (.clang-tidy), cppcheck; a prerequisite of test.
# Scripts: .ci/haiku-check.sh, .ci/symbol-audit.sh, .ci/drift-check.sh, .ci/lint.sh;
# build glue: driver/haiku/ (build.sh, exports.map). All take their sources from DRIVER_SRCS.
.PHONY: haiku-check haiku haiku-install lint
HAIKU_SRC ?=
# the issue's exact flags: the driver has no unused parameter or missing field to excuse
HAIKU_WARN := -Wall -Wextra -Werror

haiku-check:
	@bash .ci/haiku-check.sh "$(HAIKU_SRC)" $(BUILD)/haiku-check "$(HAIKU_WARN)" $(DRIVER_SRCS)

haiku:
	@bash driver/haiku/build.sh build "$(HAIKU_SRC)" $(BUILD)/haiku "$(HAIKU_WARN)" $(DRIVER_SRCS)

haiku-install: haiku
	@bash driver/haiku/build.sh install $(BUILD)/haiku

lint: check-deps
	@bash .ci/lint.sh "$(DRIVER_CFLAGS)" "$(SHIM_CFLAGS)" "$(DRIVER_SRCS)" "$(SHIM_SRCS)"

# lint is a step of make test: it runs (after check-deps) before the test binaries are built
test: lint
# ==== end of the Haiku/lint block ==================================================================

# ---- housekeeping ---------------------------------------------------------------------------

C_FILES = $(shell find driver userland-shim fuzz stress -name '*.[ch]' 2>/dev/null)

format:
	clang-format -i $(C_FILES)

# every C file must already be formatted (.clang-format): a step of make test
format-check:
	@clang-format --dry-run -Werror $(C_FILES) && echo "format-check: $(words $(C_FILES)) files ok"

test: format-check

# every reproducer in corpora/regressions/ replays clean, 20 times each (fuzz/fuzz.mk)
ifneq ($(wildcard fuzz/fuzz.mk),)
test: test-repro
.PHONY: test-repro
test-repro: check-deps
	@$(MAKE) --no-print-directory repro
endif

# fuzzing (libFuzzer, AFL++, replayer, repro, corpora): fuzz/fuzz.mk
ifneq ($(wildcard fuzz/fuzz.mk),)
include fuzz/fuzz.mk
-include fuzz/bugs.mk
else
fuzz:
	@echo "make fuzz: the fuzzing harnesses are not built yet (issue 3); run 'make test'." >&2
	@exit 2
endif

clean:
	rm -rf $(BUILD)

# overnight stress suite and benchmarks (stress, stress-smoke, bench): stress/stress.mk
ifneq ($(wildcard stress/stress.mk),)
include stress/stress.mk
endif
-include userland-shim/fuse/fuse.mk
-include userland-shim/e2e/e2e.mk
