# Overnight stress suite and benchmarks (stress/README.md). Included by ../Makefile.
#
#   make stress [DURATION=60|90s|10m|8h] [SCENARIO=name[,name]] [SEED=n] [SAN=address|thread|none]
#               [RESUME=1|<run folder>] [STALL_TIMEOUT=10] [OP_BOUND=5] [CALL_BOUND=10]
#               [PROMPT_BOUND=2] [PROGRESS=10] [INJECT_STALL=unit|global] [SLOT_MAX=300]
#               [STOP_ON_FAIL=1] [STRESS_LOGS=stress-logs]
#   make stress-smoke   CI-sized: every scenario, 45 s of running in all, ASan+UBSan
#   make stress-build   the stress binary of every variant: $(BUILD)/stress/<variant>/stress
#   make bench          benchmarks, one run: $(BUILD)/bench/results.txt and results.json
#
# One binary per sanitizer variant holds every scenario (stress/main.c + one file per scenario);
# stress/run.sh drives it: one process per slot, logs in stress-logs/<time>/.

STRESS_SRCS := $(filter-out stress/bench_%.c,$(sort $(wildcard stress/*.c)))
STRESS_DEPS := $(STRESS_SRCS) $(wildcard stress/*.h) stress/stress.mk \
	$(wildcard userland-shim/*.h driver/*.h)
# SAN as the issue spells it (address, thread, none) or as the Makefile does (asan, tsan, none)
stress_variant = $(or $(if $(filter address asan,$(1)),asan),$(if $(filter thread tsan,$(1)),tsan),\
	$(if $(filter none,$(1)),none))
STRESS_VARIANT := $(call stress_variant,$(SAN))
STRESS_BIN = $(BUILD)/stress/$(STRESS_VARIANT)/stress

define stress_binary
$(BUILD)/stress/$(1)/stress: $(STRESS_DEPS) $(BUILD)/$(1)/libshim.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) -Istress $(STRESS_SRCS) \
		-Wl,--whole-archive $(BUILD)/$(1)/libshim.a -Wl,--no-whole-archive $$(LDLIBS) -o $$@
endef
$(foreach v,asan tsan none,$(eval $(call stress_binary,$(v))))

.PHONY: stress stress-smoke stress-build stress-help
stress: check-deps
	@test -n "$(STRESS_VARIANT)" || \
		{ echo "stress: SAN=$(SAN): use SAN=address, thread or none" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(STRESS_BIN)
	@DURATION="$(DURATION)" SCENARIO="$(SCENARIO)" SEED="$(SEED)" RESUME="$(RESUME)" \
		STALL_TIMEOUT="$(STALL_TIMEOUT)" OP_BOUND="$(OP_BOUND)" CALL_BOUND="$(CALL_BOUND)" \
		PROMPT_BOUND="$(PROMPT_BOUND)" PROGRESS="$(PROGRESS)" STOP_ON_FAIL="$(STOP_ON_FAIL)" \
		INJECT_STALL="$(INJECT_STALL)" SLOT_MAX="$(SLOT_MAX)" STRESS_LOGS="$(STRESS_LOGS)" \
		bash stress/run.sh $(STRESS_BIN) $(STRESS_VARIANT)

# CI: 45 s of scenarios (7 s each) plus teardown, well under a minute once built
stress-smoke:
	@$(MAKE) --no-print-directory stress DURATION=45 SAN=address SEED= SCENARIO= RESUME=

stress-build: $(foreach v,asan tsan none,$(BUILD)/stress/$(v)/stress)

stress-help:
	@echo "make stress [DURATION=60|90s|10m|8h] [SCENARIO=a,b] [SEED=n] [SAN=address|thread|none]"
	@echo "            [RESUME=1|<dir>] [STALL_TIMEOUT=s] [OP_BOUND=s] [INJECT_STALL=unit|global]"
	@echo "make stress-smoke   make stress-build   make bench"
	@$(MAKE) --no-print-directory $(BUILD)/stress/none/stress >/dev/null && \
		$(BUILD)/stress/none/stress --list

# ---- benchmarks: active once the Makefile's own bench block (BENCH_SRCS ...) is deleted ---------
ifndef BENCH_SRCS
BENCH_NAMES := bench_handoff bench_wakeup
.PHONY: bench
bench: check-deps $(addprefix $(BUILD)/bench/,$(BENCH_NAMES))
	@echo "== make bench: $$(nproc) CPUs of $$(uname -n), $$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		>$(BUILD)/bench/results.txt
	@$(BUILD)/bench/bench_handoff --json $(BUILD)/bench/handoff.json >>$(BUILD)/bench/results.txt \
		|| { cat $(BUILD)/bench/results.txt; exit 1; }
	@$(BUILD)/bench/bench_wakeup --json $(BUILD)/bench/wakeup.json >>$(BUILD)/bench/results.txt \
		|| { cat $(BUILD)/bench/results.txt; exit 1; }
	@bash stress/bench_fuzz.sh $(FZ) $(BUILD)/bench/fuzz.json $(FUZZ_TARGETS) \
		>>$(BUILD)/bench/results.txt || { cat $(BUILD)/bench/results.txt; exit 1; }
	@printf '{"handoff":%s,"wakeup":%s,"fuzz":%s}\n' "$$(cat $(BUILD)/bench/handoff.json)" \
		"$$(cat $(BUILD)/bench/wakeup.json)" "$$(cat $(BUILD)/bench/fuzz.json)" \
		>$(BUILD)/bench/results.json
	@cat $(BUILD)/bench/results.txt
	@echo "bench: $(BUILD)/bench/results.txt, $(BUILD)/bench/results.json"

$(addprefix $(BUILD)/bench/,$(BENCH_NAMES)): $(BUILD)/bench/%: stress/%.c $(BUILD)/none/libshim.a \
		stress/stress.mk
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -O2 $< -Wl,--whole-archive $(BUILD)/none/libshim.a -Wl,--no-whole-archive \
		$(LDLIBS) -o $@
endif
