# Haiku TUN/TAP driver and its fuzzing/stress suite: the one entry point (GNU Make only).
# Read top to bottom: toolchain, sources, the test builds, `make test`, then each part's makefile.
#
# `make help` lists every public target and knob, read from every makefile by tools/help.awk so the
# list cannot drift: a rule is public when its line ends with "## <one line>", a variable when a
# line "## VAR=<values>  <one line>" stands above it.

CC ?= clang
ifeq ($(origin CC),default)
CC := clang
endif

## SAN=asan|tsan|det|none  the build the test targets use (asan: ASan+UBSan; det: deterministic)
SAN ?= asan
BUILD := build
CSTD := -std=gnu11
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
OPT := -O1 -g -fno-omit-frame-pointer

SAN_asan := -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_tsan := -fsanitize=thread
SAN_det = $(SAN_asan)
SAN_none :=
# make coverage runs the tests too (fuzz/fuzz.mk): driver and shim with clang's source coverage
SAN_cov := -fprofile-instr-generate -fcoverage-mapping

# ---- sources --------------------------------------------------------------------------------
# driver/: the driver, Haiku's kernel API only. userland-shim/: the model of Haiku's kernel, one
# folder per subsystem (kern, dev, net, host) behind the test-facing API at its root (shim.h).
SHIM := userland-shim
SHIM_SUBSYSTEMS := kern dev net host
SHIM_INC := -I$(SHIM)/include
# driver code: compiled as a Haiku kernel add-on would be, against the shim's Haiku headers; its
# uninitialised locals hold 0xaa bytes, which a copy to user memory must not carry (kern_leak.c)
DRIVER_CFLAGS = $(CSTD) $(WARN) $(OPT) -D_KERNEL_MODE $(SHIM_INC) -Idriver \
	-ftrivial-auto-var-init=pattern
# shim and tests: Linux userland (pthreads), seeing the Haiku names through the same headers
SHIM_CFLAGS = $(CSTD) $(WARN) $(OPT) -D_GNU_SOURCE $(SHIM_INC) -I$(SHIM) -Idriver
LDLIBS := -lpthread

DRIVER_SRCS := $(sort $(wildcard driver/*.c))
DRIVER_HDRS := $(wildcard driver/*.h)
SHIM_SRCS := $(sort $(wildcard $(SHIM)/*.c $(foreach s,$(SHIM_SUBSYSTEMS),$(SHIM)/$(s)/*.c)))
SHIM_HDRS := $(wildcard $(SHIM)/*.h $(foreach s,$(SHIM_SUBSYSTEMS),$(SHIM)/$(s)/*.h) \
	$(SHIM)/include/*.h $(SHIM)/include/*/*.h)
TEST_SRCS := $(sort $(wildcard driver/tests/*.c $(SHIM)/tests/*.c))
TEST_HDRS := $(wildcard driver/tests/*.h $(SHIM)/tests/*.h)
TEST_NAMES := $(basename $(notdir $(TEST_SRCS)))

# The host seam has two builds: host/host.c (free-running pthreads) and host/host_det.c (one shim
# thread at a time, the next read from a choice tape, virtual time; shim_sched.h). Variants named
# det or *-det link host_det.c, all others host.c: $(call shim_srcs,variant).
shim_srcs = $(filter-out $(SHIM)/host/$(if $(filter det %-det,$(1)),host,host_det).c,$(SHIM_SRCS))
# $(call objs,variant,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

# test_sched and test_sched_strategy need the deterministic scheduler: built only there. The det run skips DET_SKIP_TESTS,
# which cannot run deterministically:
#   test_kern: test_wait_until_blocked spins on plain variables (`while (atomic_get(&flag) == 0);`)
#   with no shim call inside, so the spinner never reaches a scheduling point and keeps the baton.
DET_SKIP_TESTS := test_kern
ifeq ($(SAN),det)
TEST_NAMES := $(filter-out $(DET_SKIP_TESTS),$(TEST_NAMES))
else
TEST_NAMES := $(filter-out test_sched test_sched_strategy,$(TEST_NAMES))
endif

# ---- knobs: every one the user set is checked before anything runs ---------------------------
# tools/knobs.sh is the one parser (durations, counts, seeds, choices, lists); a bad value stops
# make with one line naming the knob, its value and what is accepted, and status 2.
KNOBS := SAN TARGET FUZZ_TIME SMOKE_TIME CI_TIME CI_RUNS OSS_FUZZ_TIME MINIMIZE_TIME JOBS MAX_LEN \
	REPRO_RUNS \
	ENGINE FZ_DET DURATION SCENARIO SEED SLOT_MAX STALL_TIMEOUT OP_BOUND CALL_BOUND PROMPT_BOUND \
	PROGRESS INJECT_STALL STOP_ON_FAIL BUG BENCH_FUZZ_SECONDS TEST_TIMEOUT REPORT_AFTER GOOD BAD \
	DRIVER FILE DIR MUTATE_FILES MUTATE_ONLY MUTATE_MAX MUTATE_FUZZ MUTATE_RERUN SCHED TTF_BUGS \
	TTF_SCHEDS TTF_TRIALS
KNOBS_SET := $(foreach k,$(KNOBS),$(if $(filter command line environment,$(origin $(k))),$(k)))
ifneq ($(KNOBS_SET),)
KNOBS_PROBLEM := $(shell bash tools/knobs.sh check \
	$(foreach k,$(KNOBS_SET),'$(k)=$(subst ','\'',$($(k)))'))
ifneq ($(KNOBS_PROBLEM),)
$(error $(KNOBS_PROBLEM))
endif
endif

# ---- DRIVER=upstream: Haiku's tunnel driver from HAIKU_SRC (upstream/upstream.mk) -------------
include upstream/upstream.mk
ifeq ($(DRIVER),upstream)
UPSTREAM_REFUSED := $(filter-out $(UPSTREAM_GOALS) build/%,$(MAKECMDGOALS))
ifneq ($(UPSTREAM_REFUSED),)
$(error DRIVER=upstream: '$(firstword $(UPSTREAM_REFUSED))' does not take it: $(or \
	$(UPSTREAM_WHY_$(firstword $(UPSTREAM_REFUSED))),it builds our driver only); use it with: \
	$(UPSTREAM_GOALS))
endif
endif
ifneq ($(UPSTREAM_MISSING),)
# no Haiku source: every goal is one "skipped" line and success, and nothing else is read
$(or $(MAKECMDGOALS),help):
	@echo "make $@ DRIVER=upstream: skipped: no Haiku source (HAIKU_SRC unset, no $(HAIKU_DEFAULT))"
.PHONY: $(or $(MAKECMDGOALS),help)
else

# ---- the test builds: $(BUILD)/<variant>/{libshim.a,tests/*} ------------------------------------
define variant
$(BUILD)/$(1)/driver/%.o: driver/%.c $(DRIVER_HDRS) $(SHIM_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(DRIVER_CFLAGS) $$(SAN_$(1)) -c $$< -o $$@

$(BUILD)/$(1)/$(SHIM)/%.o: $(SHIM)/%.c $(SHIM_HDRS) $(DRIVER_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) -c $$< -o $$@

$(BUILD)/$(1)/libshim.a: $(call objs,$(1),$(call shim_srcs,$(1))) $(call objs,$(1),$(DRIVER_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/$(1)/tests/%: $(BUILD)/$(1)/libshim.a $(TEST_HDRS) $(SHIM)/shim.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) $$(filter %/$$*.c,$(TEST_SRCS)) \
		-Wl,--whole-archive $(BUILD)/$(1)/libshim.a -Wl,--no-whole-archive -lcmocka $$(LDLIBS) -o $$@
endef
$(foreach v,asan tsan none det cov,$(eval $(call variant,$(v))))
# each test binary also depends on its own source
$(foreach v,asan tsan none det cov,$(foreach t,$(TEST_SRCS),\
	$(eval $(BUILD)/$(v)/tests/$(basename $(notdir $(t))): $(t))))
$(BUILD)/det/tests/test_sched $(BUILD)/det/tests/test_sched_strategy: $(SHIM)/shim_sched.h

# ---- make test ------------------------------------------------------------------------------
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
# detect_deadlocks (TSan's default, named here): the shim's annotated mutexes are in TSan's lock
# order graph, so an inversion is reported the first time both orders run (kern/kern_lock.c)
export TSAN_OPTIONS := halt_on_error=1:second_deadlock_stack=1:detect_deadlocks=1

.PHONY: test test-asan test-tsan test-det tests-built run-tests check-deps test-tools lint format \
	format-check
.DEFAULT_GOAL := help

# before the test binaries: dependencies, lint, formatting, the tools' own knob checks, and every
# reproducer in corpora/regressions/ replayed 20 times (make repro, fuzz/fuzz.mk)
# test-tools runs after repro, not beside it: its own makes (repro, repro-bug) work in this tree
# too, and a replayer relinked under a running repro is rc=126 (seen twice in make -j test)
test: check-deps lint format-check repro ## checks and regressions, then all tests
	@$(MAKE) --no-print-directory test-tools
	@$(MAKE) --no-print-directory run-tests SAN=asan
	@$(MAKE) --no-print-directory run-tests SAN=tsan
	@$(MAKE) --no-print-directory run-tests SAN=det
	@echo "make test: all test binaries passed under ASan+UBSan, TSan and the deterministic scheduler"

test-asan: check-deps ## only the ASan+UBSan test run
	@$(MAKE) --no-print-directory run-tests SAN=asan
test-tsan: check-deps ## only the TSan test run
	@$(MAKE) --no-print-directory run-tests SAN=tsan
test-det: check-deps ## only the deterministic-scheduler test run
	@$(MAKE) --no-print-directory run-tests SAN=det

tests-built: $(addprefix $(BUILD)/$(SAN)/tests/,$(TEST_NAMES)) ## build SAN's tests, run none

## TEST_TIMEOUT=<seconds>  a test binary still running then is hung: stall dump, next binary (60)
run-tests: tests-built
	@bash tools/run-tests.sh $(SAN) $(addprefix $(BUILD)/$(SAN)/tests/,$(TEST_NAMES))

check-deps:
	@bash tools/deps.sh test

lint: check-deps ## warnings (clang, gcc), clang-tidy, cppcheck on driver/, the layout rules
	@bash tools/lint.sh "$(DRIVER_CFLAGS)" "$(SHIM_CFLAGS)" "$(DRIVER_SRCS)" "$(SHIM_SRCS)"

C_FILES = $(shell find driver $(SHIM) fuzz stress bench fuse e2e tools -name '*.[ch]' 2>/dev/null)

format: ## clang-format every C file in place
	clang-format -i $(C_FILES)

# every C file must already be formatted (.clang-format)
format-check:
	@clang-format --dry-run -Werror $(C_FILES) && echo "format-check: $(words $(C_FILES)) files ok"

# ---- the parts: fuzzing, injected bugs, stress, benchmarks, the FUSE device, end to end, report --
include fuzz/fuzz.mk
include bugs/bugs.mk
include stress/stress.mk
include bench/bench.mk
include fuse/fuse.mk
include e2e/e2e.mk
include report/report.mk
include tools/mutate/mutate.mk

# the tools' own test (a step of make test), here because it needs the fuzz build's replayer
test-tools: $(BUILD)/asan/libshim.a $(FZ)/rp/ops ## bad knobs, inputs stop first; hangs dumped
	@bash tools/test-tools.sh $(BUILD)/asan/libshim.a

# ---- Haiku: the add-on, checks against Haiku's headers (README "Trying it on Haiku") -----------
# make haiku-check HAIKU_SRC=<dir with a Haiku checkout's headers/ and build/config_headers/>:
#   cross-compile driver/*.c, link with lld, audit imports/exports, drift-check the shim's headers.
#   Without HAIKU_SRC it explains itself in one line and exits 2.
# make haiku / make haiku-install: on Haiku only (system compiler, _KERNEL_, non-packaged add-ons).
# Scripts: tools/haiku-check.sh, tools/symbol-audit.sh, tools/drift-check.sh; build glue:
# driver/haiku/ (build.sh, exports.map). All take their sources from DRIVER_SRCS.
.PHONY: haiku-check haiku haiku-install
## HAIKU_SRC=<dir>  a Haiku checkout (or its headers/ and build/config_headers/): haiku targets
HAIKU_SRC ?=
# the driver has no unused parameter or missing field to excuse
HAIKU_WARN := -Wall -Wextra -Werror

haiku-check: ## cross-compile, link and audit the add-on, drift-check the shim's headers (HAIKU_SRC)
	@bash tools/haiku-check.sh "$(HAIKU_SRC)" $(BUILD)/haiku-check "$(HAIKU_WARN)" $(DRIVER_SRCS)

haiku: ## on Haiku: build the add-on to build/haiku/tunnel (HAIKU_SRC)
	@bash driver/haiku/build.sh build "$(HAIKU_SRC)" $(BUILD)/haiku "$(HAIKU_WARN)" $(DRIVER_SRCS)

haiku-install: haiku ## on Haiku: install it as a non-packaged add-on
	@bash driver/haiku/build.sh install $(BUILD)/haiku

# ---- bisecting a finding: tools/bisect.sh (README "Bisecting") -------------------------------
# git bisect run in a temporary clone, each step the file's deterministic replayer built at that
# commit; bisect-test runs it on a throwaway history with an injected bug (CI).
.PHONY: bisect bisect-test
## GOOD=<rev>  make bisect: a commit where FILE passes
GOOD ?=
## BAD=<rev>  make bisect: a later commit where FILE fails (HEAD, a hash, a tag)
BAD ?=
bisect: ## the commit that made FILE fail, between GOOD and BAD: steps, exact verdicts
	@bash tools/bisect.sh "$(FILE)" "$(GOOD)" "$(BAD)" \
		"$(if $(filter command line environment,$(origin TARGET)),$(TARGET))"

bisect-test: ## make bisect on a throwaway history: it must name the injected bug's commit
	@bash tools/bisect-test.sh

# ---- housekeeping ---------------------------------------------------------------------------
.PHONY: clean distclean help
clean: ## remove what rebuilds in minutes; keep corpora, AFL output, coverage, logs, bench history
	@bash tools/clean.sh clean

distclean: ## remove build/, findings/ and stress-logs/: everything make clean keeps too
	@bash tools/clean.sh distclean

help: ## this list
	@awk -f tools/help.awk $(MAKEFILE_LIST)

endif # UPSTREAM_MISSING
