# Fuzzing: libFuzzer, AFL++ and a standalone replayer built from each harness fuzz/targets/<target>.c
# (every .c there is a harness), seed compilation, fuzz runs, repro, minimize, merge, coverage, the
# CI smoke. Included by ../Makefile. Engine glue (AFL++ and replayer mains, the seed compiler) is in
# fuzz/engine/; the harnesses' shared core (input decoder, text format, lifecycle) in fuzz/.
#
#   make fuzz [TARGET=ioctl] [FUZZ_TIME=60] [JOBS=1] [ENGINE=libfuzzer|afl]
#   make repro [FILE=findings/ioctl/crash-...]   make minimize FILE=...   make merge
#   make coverage                                 make fuzz-smoke (each harness 15 s + repro)
#   make fuzz-ci (CI: fixed seed, bounded runs)   make oss-fuzz-check (fuzz/oss-fuzz/build.sh)
#
# Harnesses link the deterministic shim (userland-shim/host/host_det.c, -DFZ_DET); FZ_DET= forces
# the free-running one (host.c). Builds: $(BUILD)/fuzz/{det,free}/.

FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard fuzz/targets/*.c))))
FUZZ_ENGINE_MAINS := afl_main replay compile_seed
## TARGET=<harness>[,<harness>]  which harnesses (default: every one in fuzz/targets/)
TARGET ?= $(FUZZ_TARGETS)
fz_comma := ,
# the harnesses TARGET names, commas or spaces between them
FZ_TARGET := $(subst $(fz_comma), ,$(TARGET))
## FUZZ_TIME=<seconds>  make fuzz: time per harness (default 60)
FUZZ_TIME ?= 60
## SCHED=tape|pct|chaos|mix  make fuzz, fuzz-bug: schedule strategy of inputs with no sched line
SCHED ?=
## SMOKE_TIME=<seconds>  make fuzz-smoke: time per harness (default 15)
## MINIMIZE_TIME=<seconds>  make fuzz: time to shrink each new finding's reproducer (default 30)
SMOKE_TIME ?= 15
## JOBS=<n>  make fuzz: processes per harness (default 1)
JOBS ?= 1
## MAX_LEN=<bytes>  make fuzz: longest input (default: the harness's, fuzz/settings.sh)
MAX_LEN ?=
## ENGINE=libfuzzer|afl  make fuzz: the engine (default libfuzzer)
ENGINE ?= libfuzzer
## FILE=<input>  make repro, minimize, bisect, fault-sweep: the input (repro: else the regressions)
FILE ?=
## REPRO_RUNS=<n>  make repro: the runs that must agree, the first one traced (default 20)
REPRO_RUNS ?= 20

## FZ_DET=1|  fuzz builds: empty forces the free-running shim (default 1: deterministic)
FZ_DET ?= 1
# DRIVER=upstream (upstream/upstream.mk): its own builds, the harnesses' universal tier only
FZ_UPSTREAM := $(filter upstream,$(DRIVER))
FZ := $(BUILD)/fuzz/$(if $(FZ_DET),det,free)$(if $(FZ_UPSTREAM),-upstream)
FZ_SHIM_SRCS := $(filter-out $(SHIM)/host/$(if $(FZ_DET),host,host_det).c,$(SHIM_SRCS))
FZ_DEFS := $(if $(FZ_DET),-DFZ_DET) $(if $(FZ_UPSTREAM),-DFZ_UPSTREAM)
FZ_KHDRS := $(SHIM_HDRS) $(DRIVER_HDRS)
FZ_HDRS := $(FZ_KHDRS) $(wildcard fuzz/*.h)
FZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The model (shim, harness, decoder) skips three UBSan checks that guard every pointer use:
# alignment, null and pointer-overflow cost ~7% of an execution there, a null dereference in the
# model still ends in ASan's SEGV report, and what they find is not a driver bug. The driver keeps
# every check; so do the model's tests (make test).
FZ_MODEL_SAN := -fno-sanitize=alignment,null,pointer-overflow
# Shim files that touch only memory the model owns (the scheduler, threads, semaphores, devfs and
# the syscall layer, modules) are built without ASan's inline checks: ~8% of an ioctl execution.
# Those that touch driver memory keep them: locks, lists, strings, user copies, the heap,
# net_buffers, select pools and the stack (it reads the driver's net_device). SHIM_ASAN=1 keeps
# their poisoning and fiber annotations, and their memcpy and memset calls still go through ASan's
# interceptors. The model's tests (make test) run every shim file under ASan.
FZ_SHIM_UNCHECKED := boot dev/devfs dev/devfs_calls dev/syscalls host/host_det kern/kern_sem \
	kern/kern_thread kern/module status_name
FZ_SHIM_UNCHECKED_SAN := -DSHIM_ASAN=1 -fsanitize=undefined -fno-sanitize-recover=undefined
# fuzz builds are built for speed: -O2 runs an input ~10% faster than the tests' -O1 under ASan
# (the coverage build keeps OPT: its line counts map to the source)
FZ_OPT ?= -O2
FZ_AFL_ENV := AFL_QUIET=1

# flavors: compiler, flags for driver + harness code, the shim objects they link, link flags, main
FZ_CC_lf := $(CC)
FZ_CF_lf := $(FZ_SANITIZE) -fsanitize=fuzzer-no-link
# the harness (fuzz/targets/<target>.c) gets edge coverage only: its comparisons are the model's, not the
# driver's; their trace-cmp callbacks cost ~5% of an execution. The driver keeps trace-cmp where it
# compares what an input chose (ioctl codes, lengths, flags, frame headers); the bookkeeping files
# below compare list links with NULL and counters with limits, callbacks that cost ~6% of an ioctl
# execution and give the mutator nothing: edge coverage only.
FZ_CF_HARNESS_lf := -fno-sanitize-coverage=trace-cmp
FZ_NO_TRACE_CMP := unit_table packet_queue wait_queue module
FZ_CF_NOCMP_lf := -fno-sanitize-coverage=trace-cmp
FZ_SHIM_lf := san
FZ_LD_lf := $(FZ_SANITIZE) -fsanitize=fuzzer
FZ_MAIN_lf :=
FZ_CC_rp := $(CC)
FZ_CF_rp := $(FZ_SANITIZE)
# the replayer's driver records each op's last driver line for reports (driver_line.c says why);
# no-prune: every basic block calls back, so the last one is the line the result came from
FZ_CF_DRIVER_rp := -fsanitize-coverage=trace-pc-guard,no-prune
FZ_SHIM_rp := san
FZ_LD_rp := $(FZ_SANITIZE)
FZ_MAIN_rp := replay
FZ_CC_afl := $(FZ_AFL_ENV) afl-clang-fast
FZ_CF_afl :=
FZ_SHIM_afl := plain
FZ_LD_afl :=
FZ_MAIN_afl := afl_main
FZ_CC_aflcmp := $(FZ_AFL_ENV) AFL_LLVM_CMPLOG=1 afl-clang-fast
FZ_CF_aflcmp :=
FZ_SHIM_aflcmp := plain
FZ_LD_aflcmp :=
FZ_MAIN_aflcmp := afl_main
FZ_CC_aflasan := $(FZ_AFL_ENV) afl-clang-fast
FZ_CF_aflasan := $(FZ_SANITIZE)
FZ_SHIM_aflasan := san
FZ_LD_aflasan := $(FZ_SANITIZE)
FZ_MAIN_aflasan := afl_main
FZ_CC_cov := $(CC)
FZ_CF_cov := -fprofile-instr-generate -fcoverage-mapping
FZ_SHIM_cov := plain
FZ_LD_cov := -fprofile-instr-generate
FZ_MAIN_cov := replay
FZ_FLAVORS := lf rp afl aflcmp aflasan cov
# the upstream driver's C++ compiler per flavor: the C compiler's C++ driver
$(foreach f,lf rp cov,$(eval FZ_CXX_$(f) := clang++))
FZ_CXX_afl := $(FZ_AFL_ENV) afl-clang-fast++
FZ_CXX_aflcmp := $(FZ_AFL_ENV) AFL_LLVM_CMPLOG=1 afl-clang-fast++
FZ_CXX_aflasan := $(FZ_AFL_ENV) afl-clang-fast++
# the driver objects a flavor links: ours (driver/*.c) or the upstream tunnel.o
fz_driver_objs = $(if $(FZ_UPSTREAM),$(FZ)/$(1)/upstream/tunnel.o,$(patsubst \
	%.c,$(FZ)/$(1)/%.o,$(DRIVER_SRCS)))
$(foreach f,$(filter-out cov,$(FZ_FLAVORS)),$(eval FZ_OPT_$(f) := $(FZ_OPT)))
FZ_CF_COMMON_lf := $(FZ_SANITIZE)
FZ_CF_COMMON_rp := $(FZ_SANITIZE)
FZ_CF_COMMON_aflasan := $(FZ_SANITIZE)

# the shim itself is never instrumented for coverage: only the driver and the harness are
$(FZ)/shim-san/%.o: $(SHIM)/%.c $(FZ_KHDRS) fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) $(FZ_OPT) \
		$(if $(filter $*,$(FZ_SHIM_UNCHECKED)),$(FZ_SHIM_UNCHECKED_SAN),$(FZ_SANITIZE)) \
		$(FZ_MODEL_SAN) -c $< -o $@
$(FZ)/shim-plain/%.o: $(SHIM)/%.c $(FZ_KHDRS) fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) $(FZ_OPT) -c $< -o $@

FZ_SHARED_NAMES := common format units driver_line known frame_log growth
fz_shared = $(patsubst %,$(FZ)/$(1)/fuzz/%.o,$(FZ_SHARED_NAMES))
$(foreach f,$(FZ_FLAVORS),$(eval FZ_SHARED_$(f) := $(call fz_shared,$(f))))

define fz_flavor
$(FZ)/$(1)/driver/%.o: driver/%.c $(FZ_KHDRS) fuzz/fuzz.mk
	@mkdir -p $$(dir $$@)
	$(FZ_CC_$(1)) $$(DRIVER_CFLAGS) $(FZ_OPT_$(1)) $(FZ_CF_$(1)) $(FZ_CF_DRIVER_$(1)) \
		$$(if $$(filter $$*,$(FZ_NO_TRACE_CMP)),$(FZ_CF_NOCMP_$(1))) -c $$< -o $$@
$(FZ)/$(1)/fuzz/%.o: fuzz/%.c $(FZ_HDRS) fuzz/fuzz.mk
	@mkdir -p $$(dir $$@)
	$(FZ_CC_$(1)) $$(SHIM_CFLAGS) $(FZ_OPT_$(1)) -Ifuzz $(FZ_DEFS) $(FZ_CF_$(1)) \
		$(FZ_CF_HARNESS_$(1)) $(FZ_MODEL_SAN) -c $$< -o $$@
# the shared code (decoder, lifecycle) is not worth coverage feedback: plain clang
$(FZ_SHARED_$(1)): $(FZ)/$(1)/fuzz/%.o: fuzz/%.c $(FZ_HDRS) fuzz/fuzz.mk
	@mkdir -p $$(dir $$@)
	$(CC) $$(SHIM_CFLAGS) $(FZ_OPT_$(1)) -Ifuzz $(FZ_DEFS) $(FZ_CF_COMMON_$(1)) $(FZ_MODEL_SAN) \
		-c $$< -o $$@
$(addprefix $(FZ)/$(1)/,$(FUZZ_TARGETS)): $(FZ)/$(1)/%: $(FZ)/$(1)/fuzz/targets/%.o \
		$(FZ_SHARED_$(1)) $(if $(FZ_MAIN_$(1)),$(FZ)/$(1)/fuzz/engine/$(FZ_MAIN_$(1)).o) \
		$(call fz_driver_objs,$(1)) \
		$(patsubst $(SHIM)/%.c,$(FZ)/shim-$(FZ_SHIM_$(1))/%.o,$(FZ_SHIM_SRCS))
	$(FZ_CC_$(1)) $(FZ_LD_$(1)) $$^ $$(LDLIBS) -o $$@
endef
$(foreach f,$(FZ_FLAVORS),$(eval $(call fz_flavor,$(f))))
$(foreach f,$(FZ_FLAVORS),$(eval $(call upstream_rule,$(FZ)/$(f)/upstream/tunnel.o,\
	$(FZ_CXX_$(f)),$(FZ_OPT_$(f)) $(FZ_CF_$(f)) $(FZ_CF_DRIVER_$(f)),fuzz/fuzz.mk)))

# the seed compiler links a harness for its op table (the replayer's objects)
# objects reached only through pattern rules are kept, not deleted as intermediates
# (and the seed compilers: SCHED= findings get their sched line with them, fuzz/settings.sh)
.SECONDARY: $(foreach f,$(FZ_FLAVORS),$(foreach o,$(addprefix targets/,$(FUZZ_TARGETS)) \
	$(FZ_SHARED_NAMES) $(addprefix engine/,$(FUZZ_ENGINE_MAINS)),$(FZ)/$(f)/fuzz/$(o).o)) \
	$(foreach t,$(FUZZ_TARGETS),$(FZ)/rp/$(t)-compile-seed)
$(FZ)/rp/%-compile-seed: $(FZ)/rp/fuzz/engine/compile_seed.o $(FZ)/rp/fuzz/targets/%.o \
		$(FZ_SHARED_rp) $(call fz_driver_objs,rp) \
		$(patsubst $(SHIM)/%.c,$(FZ)/shim-san/%.o,$(FZ_SHIM_SRCS))
	$(CC) $(FZ_LD_rp) $^ $(LDLIBS) -o $@


# ---- seeds: corpora/<target>/src/*.txt compiled to $(FZ)/seeds/<target>/<name> ----------------
FZ_SEED_SRCS := $(wildcard $(foreach t,$(FUZZ_TARGETS),corpora/$(t)/src/*.txt))
FZ_SEEDS := $(foreach s,$(FZ_SEED_SRCS),$(FZ)/seeds/$(word 2,$(subst /, ,$(s)))/$(basename \
	$(notdir $(s))))
define fz_seed_rule
$(FZ)/seeds/$(1)/%: corpora/$(1)/src/%.txt $(FZ)/rp/$(1)-compile-seed
	@mkdir -p $$(dir $$@)
	@$(FZ)/rp/$(1)-compile-seed $$< $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fz_seed_rule,$(t))))

.PHONY: fuzz fuzz-deps fuzz-build fuzz-seeds repro minimize merge coverage findings fuzz-smoke \
	fault-sweep \
	fuzz-ci oss-fuzz-check
fuzz-deps:
	@bash tools/deps.sh fuzz

fuzz-seeds: $(FZ_SEEDS)

FZ_BINS_libfuzzer := $(foreach t,$(FZ_TARGET),$(FZ)/lf/$(t) $(FZ)/rp/$(t))
FZ_BINS_afl := $(foreach t,$(FZ_TARGET),$(FZ)/afl/$(t) $(FZ)/aflcmp/$(t) $(FZ)/aflasan/$(t) \
	$(FZ)/rp/$(t))
fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FZ_BINS_$(ENGINE)) fuzz-seeds

FZ_RUN := bash fuzz/run.sh
FZ_RUN_ENV := FZ="$(FZ)" FUZZ_TIME="$(FUZZ_TIME)" JOBS="$(JOBS)" FZ_DET="$(FZ_DET)" \
	MAX_LEN="$(MAX_LEN)" REPRO_RUNS="$(REPRO_RUNS)" DRIVER="$(DRIVER)" SCHED="$(SCHED)"

fuzz: fuzz-build ## the main job: every harness FUZZ_TIME s (libFuzzer or AFL++), a table, repro lines
	@st=0; $(FZ_RUN_ENV) $(FZ_RUN) $(ENGINE) $(FZ_TARGET) || st=$$?; $(REPORT_UPDATE); exit $$st

# ---- reproduction ----------------------------------------------------------------------------
# the harness a file belongs to: TARGET= if given alone, else a path component naming one, else
# a first line "# harness: <name>" (corpora/upstream/)
fz_target_of = $(or $(filter $(FUZZ_TARGETS),$(if $(filter 1,$(words $(FZ_TARGET))),$(FZ_TARGET))),\
	$(firstword $(filter $(FUZZ_TARGETS),$(subst /, ,$(1)))),$(filter $(FUZZ_TARGETS),$(shell \
	sed -n '1s/^\# harness: //p' $(1) 2>/dev/null)))

# The replayers are prerequisites, not a sub-make: in make -j test, test-tools needs rp/ops too,
# and two makes linking one binary let repro run it half-written (CI, 8a2b246: rc=126).
FZ_REPRO_BINS = $(addprefix $(FZ)/rp/,$(if $(FILE),$(call fz_target_of,$(FILE)),$(FUZZ_TARGETS)))
repro: $(FZ_REPRO_BINS)
repro: check-deps ## replay FILE (or every regression) with its trace; 20 more runs must agree
ifeq ($(FILE),)
	@$(FZ_RUN_ENV) $(FZ_RUN) repro-all $(FUZZ_TARGETS)
else
	@test -n "$(call fz_target_of,$(FILE))" || \
		{ echo "repro: which harness is $(FILE) for? add TARGET=$(firstword $(FUZZ_TARGETS))" \
			"(or $(wordlist 2,9,$(FUZZ_TARGETS)))" >&2; exit 2; }
	@$(FZ_RUN_ENV) $(FZ_RUN) repro $(call fz_target_of,$(FILE)) $(FILE)
endif

minimize: fuzz-deps ## shrink a crashing FILE to FILE.min (libFuzzer -minimize_crash)
	@test -n "$(FILE)" -a -n "$(call fz_target_of,$(FILE))" || \
		{ echo "usage: make minimize FILE=<input> [TARGET=<harness>]" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(FZ)/lf/$(call fz_target_of,$(FILE)) \
		$(FZ)/rp/$(call fz_target_of,$(FILE)) $(FZ)/rp/$(call fz_target_of,$(FILE))-compile-seed
	@$(FZ_RUN_ENV) $(FZ_RUN) minimize $(call fz_target_of,$(FILE)) $(FILE)

# ---- fault sweeps: tools/fault-sweep.sh (README "Fault sweeps") --------------------------------
## DIR=<dir>  make fault-sweep: every input in this directory (default: the corpora of TARGET)
DIR ?=
fault-sweep: $(foreach t,$(FZ_TARGET),$(FZ)/rp/$(t))
fault-sweep: check-deps ## fail each input's 1st, 2nd, ... fault point till none is left (FILE, DIR)
	@bash tools/fault-sweep.sh $(FZ) "$(FZ_TARGET)" "$(FILE)" "$(DIR)"

merge: fuzz-deps ## corpora/<target>/ := the working corpus merged, shortest inputs first
	@$(MAKE) --no-print-directory $(foreach t,$(FZ_TARGET),$(FZ)/lf/$(t)) fuzz-seeds
	@$(FZ_RUN_ENV) $(FZ_RUN) merge $(FZ_TARGET)

findings: ## the findings grouped by signature: count, first and last seen, smallest reproducer
	@FINDINGS_INDEX=$(if $(FZ_UPSTREAM),findings/upstream/INDEX,findings/INDEX) \
		bash fuzz/findings.sh index

# the driver's tests count too: their binaries built with coverage ($(BUILD)/cov/tests/)
FZ_COV_TESTS := $(addprefix $(BUILD)/cov/tests/,$(filter-out test_sched test_sched_strategy,$(basename $(notdir \
	$(TEST_SRCS)))))
coverage: fuzz-deps ## llvm-cov HTML of driver/: tests, corpora, seeds, regressions, working corpus
	@$(MAKE) --no-print-directory $(foreach t,$(FUZZ_TARGETS),$(FZ)/cov/$(t)) fuzz-seeds \
		$(FZ_COV_TESTS)
	@$(FZ_RUN_ENV) COV_TESTS="$(FZ_COV_TESTS)" $(FZ_RUN) coverage $(FUZZ_TARGETS)

# CI-sized: every harness SMOKE_TIME seconds from its corpus, then every regression 20 times
fuzz-smoke: fuzz-deps ## every harness SMOKE_TIME s, then make repro
	@$(MAKE) --no-print-directory $(foreach t,$(FUZZ_TARGETS),$(FZ)/lf/$(t) $(FZ)/rp/$(t)) \
		fuzz-seeds
	@$(FZ_RUN_ENV) FUZZ_TIME=$(SMOKE_TIME) JOBS=1 $(FZ_RUN) libfuzzer $(FUZZ_TARGETS)
	@$(FZ_RUN_ENV) $(FZ_RUN) repro-all $(FUZZ_TARGETS)

# CI: each harness from its committed corpus with a fixed seed, at most CI_RUNS executions and
# CI_TIME seconds (whichever ends first); fails on any finding. make test replays the regressions (make repro).
## CI_RUNS=<n>  make fuzz-ci: most executions per harness (default 30000)
CI_RUNS ?= 30000
## CI_TIME=<seconds>  make fuzz-ci: most time per harness (default 12)
CI_TIME ?= 12
fuzz-ci: check-deps ## CI: each harness from its corpus, fixed seed, at most CI_RUNS runs or CI_TIME s
	@$(MAKE) --no-print-directory $(foreach t,$(FZ_TARGET),$(FZ)/lf/$(t)) fuzz-seeds
	@$(FZ_RUN_ENV) CI_RUNS=$(CI_RUNS) CI_TIME=$(CI_TIME) $(FZ_RUN) ci $(FZ_TARGET)

# OSS-Fuzz / ClusterFuzzLite: fuzz/oss-fuzz/build.sh run as OSS-Fuzz would (libFuzzer, ASan+UBSan),
# then every target OSS_FUZZ_TIME seconds from its seed zip with its .options and dictionary
OSS_FUZZ_OUT ?= $(BUILD)/oss-fuzz/out
## OSS_FUZZ_TIME=<seconds>  make oss-fuzz-check: time per target (default 5)
OSS_FUZZ_TIME ?= 5
oss-fuzz-check: check-deps ## fuzz/oss-fuzz/build.sh as OSS-Fuzz runs it, each target OSS_FUZZ_TIME s
	@CC=clang CXX=clang++ CFLAGS='-fsanitize=address,undefined -fsanitize=fuzzer-no-link' \
		CXXFLAGS='-fsanitize=address,undefined -fsanitize=fuzzer-no-link' \
		LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=$(abspath $(OSS_FUZZ_OUT)) \
		WORK=$(abspath $(BUILD)/oss-fuzz) JOBS=2 bash fuzz/oss-fuzz/build.sh >$(BUILD)/oss-fuzz.log \
		2>&1 || { tail -n 30 $(BUILD)/oss-fuzz.log; exit 1; }
	@bash fuzz/oss-fuzz/check.sh $(OSS_FUZZ_OUT) $(OSS_FUZZ_TIME)

