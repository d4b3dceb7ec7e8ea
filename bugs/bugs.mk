# Injected bugs: proof that the fuzzers and the stress suite find bugs (bugs/README.md).
# Included by ../Makefile after fuzz/fuzz.mk; bugs/bug.sh does the work in build/bugs/<bug>/.
#
#   make bugs-list                                   the bugs, one line each
#   make fuzz-bug BUG=<name> [TARGET=] [FUZZ_TIME=600] [JOBS=] [ENGINE=]
#   make stress-bug BUG=<name> [SCENARIO=] [DURATION=60] [SAN=] [SEED=]
#   make repro-bug BUG=<name> FILE=<input>            replay against the bug's build (20 runs)
#   make minimize-bug BUG=<name> FILE=<input>         libFuzzer -minimize_crash there: FILE.min
#   make bugs-check                   corpora/injected/*: bug's build fails 20/20, real passes 20/20
#   make time-to-find [TTF_BUGS=] [TTF_SCHEDS=] [TTF_TRIALS=10] [FUZZ_TIME=60]   per strategy
#
# Each builds a patched copy of the tree (build/bugs/<bug>/tree); the default driver never changes.

## BUG=<name>  the injected bug of the *-bug targets (make bugs-list)
BUG ?=
# only what the user set reaches the script: the bug's own defaults (patch header) apply otherwise
bugs_user = $(if $(filter command line environment,$(origin $(1))),$(1)="$($(1))")
BUGS_SH = $(foreach v,TARGET FUZZ_TIME JOBS ENGINE MAX_LEN BUG_CORPUS SCENARIO DURATION SAN SEED \
	REPRO_RUNS SCHED,\
	$(call bugs_user,$(v))) bash bugs/bug.sh

.PHONY: bugs-list fuzz-bug stress-bug repro-bug minimize-bug bugs-check
bugs-list: ## the injected bugs (bugs/*.patch), one line each
	@bash bugs/bug.sh list

fuzz-bug: fuzz-deps ## fuzz a copy of the tree with BUG applied; status 0 when it is found
	@st=0; $(BUGS_SH) fuzz "$(BUG)" || st=$$?; $(REPORT_UPDATE); exit $$st

stress-bug: check-deps ## stress a copy of the tree with BUG applied
	@st=0; $(BUGS_SH) stress "$(BUG)" || st=$$?; $(REPORT_UPDATE); exit $$st

repro-bug: check-deps ## replay FILE against BUG's build (20 runs)
	@$(BUGS_SH) repro "$(BUG)" "$(FILE)"

minimize-bug: fuzz-deps ## shrink FILE against BUG's build to FILE.min
	@$(BUGS_SH) minimize "$(BUG)" "$(FILE)"

bugs-check: check-deps ## corpora/injected/*: each fails 20/20 on its bug, passes 20/20 on the driver
	@$(BUGS_SH) check

# time to find each bug per schedule strategy (tools/time-to-find.sh; bugs/time-to-find.md)
## TTF_BUGS=<bug,...>  make time-to-find: the injected bugs to measure (default: all)
TTF_BUGS ?=
## TTF_SCHEDS=<strategy,...>  make time-to-find: of tape pct chaos mix (default: all four)
TTF_SCHEDS ?=
## TTF_TRIALS=<n>  make time-to-find: libFuzzer seeds per bug and strategy (default 10)
TTF_TRIALS ?= 10
.PHONY: time-to-find
time-to-find: fuzz-deps ## per bug and strategy: found of TTF_TRIALS, median s and execs (FUZZ_TIME cap)
	@TTF_BUGS="$(TTF_BUGS)" TTF_SCHEDS="$(TTF_SCHEDS)" TTF_TRIALS="$(TTF_TRIALS)" \
		FUZZ_TIME="$(FUZZ_TIME)" bash tools/time-to-find.sh
