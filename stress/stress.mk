# Overnight stress suite (stress/README.md). Included by ../Makefile.
#
#   make stress [DURATION=60|90s|10m|8h] [SCENARIO=name[,name]] [SEED=n] [SAN=address|thread|none]
#               [RESUME=1|<run folder>] [STALL_TIMEOUT=10] [OP_BOUND=5] [CALL_BOUND=10]
#               [PROMPT_BOUND=2] [PROGRESS=10] [INJECT_STALL=unit|global] [SLOT_MAX=300]
#               [STOP_ON_FAIL=1] [STRESS_LOGS=stress-logs]
#   make stress-smoke   CI-sized: every scenario, 45 s of running in all, ASan+UBSan
#   make stress-build   the stress binary of every variant: $(BUILD)/stress/<variant>/stress
#
# One binary per sanitizer variant holds every scenario (stress/main.c + one file per scenario);
# stress/run.sh drives it: one process per slot, logs in stress-logs/<time>/.

## DURATION=<s>|<n>s|<n>m|<n>h  make stress: running time in all (default 60)
## SCENARIO=<name>[,<name>]  make stress: which scenarios (default: all; make stress-help)
## SEED=<n>  make stress: the first slot's seed (default: from the clock)
## RESUME=1|<run folder>  make stress: continue an interrupted run
STRESS_SRCS := $(sort $(wildcard stress/*.c))
STRESS_DEPS := $(STRESS_SRCS) $(wildcard stress/*.h) stress/stress.mk \
	$(SHIM)/shim.h $(DRIVER_HDRS)
# SAN as stress spells it (address, thread, none) or as the test builds do (asan, tsan, none)
stress_variant = $(or $(if $(filter address asan,$(1)),asan),$(if $(filter thread tsan,$(1)),tsan),\
	$(if $(filter none,$(1)),none))
STRESS_VARIANT := $(call stress_variant,$(SAN))
# DRIVER=upstream: its own binaries (build/stress/<variant>-upstream/), the universal tier only
STRESS_UPSTREAM := $(filter upstream,$(DRIVER))
STRESS_BIN = $(BUILD)/stress/$(STRESS_VARIANT)$(if $(STRESS_UPSTREAM),-upstream)/stress

define stress_binary
$(BUILD)/stress/$(1)/stress: $(STRESS_DEPS) $(BUILD)/$(1)/libshim.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) -Istress $(STRESS_SRCS) \
		-Wl,--whole-archive $(BUILD)/$(1)/libshim.a -Wl,--no-whole-archive $$(LDLIBS) -o $$@
endef
$(foreach v,asan tsan none,$(eval $(call stress_binary,$(v))))

# Haiku's tunnel.cpp (upstream/upstream.mk) with the variant's sanitizer, linked with the
# variant's shim objects instead of libshim.a (which holds our driver); -DSTRESS_UPSTREAM drops
# the contract tier (stress/README.md)
define stress_upstream_binary
$(BUILD)/stress/$(1)-upstream/stress: $(STRESS_DEPS) $(BUILD)/stress/$(1)-upstream/tunnel.o \
		$(call objs,$(1),$(call shim_srcs,$(1)))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SHIM_CFLAGS) $$(SAN_$(1)) -DSTRESS_UPSTREAM -Istress $(STRESS_SRCS) \
		$$(filter %.o,$$^) $$(LDLIBS) -o $$@
endef
ifneq ($(UPSTREAM_SRC),)
$(foreach v,asan tsan none,$(eval $(call stress_upstream_binary,$(v))))
# (the flags by name: the sanitizer list has a comma, which would split the call's arguments)
$(foreach v,asan tsan none,$(eval STRESS_UPSTREAM_CXXFLAGS_$(v) = $$(OPT) $$(SAN_$(v))))
$(foreach v,asan tsan none,$(eval $(call upstream_rule,$(BUILD)/stress/$(v)-upstream/tunnel.o,\
	clang++,$$(STRESS_UPSTREAM_CXXFLAGS_$(v)),stress/stress.mk)))
endif

.PHONY: stress stress-smoke stress-build stress-help
stress: check-deps ## overnight stress: DURATION, SCENARIO, SEED, SAN=address|thread|none, RESUME
	@test -n "$(STRESS_VARIANT)" || \
		{ echo "stress: SAN=$(SAN): use SAN=address, thread or none" >&2; exit 2; }
	@test -z "$(STRESS_UPSTREAM)" -o -z "$(INJECT_STALL)" || { echo "stress: INJECT_STALL=$(INJECT_STALL):" \
		"needs our driver (it holds our driver's unit locks by name), not DRIVER=upstream" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(STRESS_BIN)
	@st=0; DURATION="$(DURATION)" SCENARIO="$(SCENARIO)" SEED="$(SEED)" RESUME="$(RESUME)" \
		STALL_TIMEOUT="$(STALL_TIMEOUT)" OP_BOUND="$(OP_BOUND)" CALL_BOUND="$(CALL_BOUND)" \
		PROMPT_BOUND="$(PROMPT_BOUND)" PROGRESS="$(PROGRESS)" STOP_ON_FAIL="$(STOP_ON_FAIL)" \
		INJECT_STALL="$(INJECT_STALL)" SLOT_MAX="$(SLOT_MAX)" STRESS_LOGS="$(STRESS_LOGS)" \
		DRIVER="$(DRIVER)" bash stress/run.sh $(STRESS_BIN) $(STRESS_VARIANT) || st=$$?; $(REPORT_UPDATE); exit $$st

# CI: 45 s of scenarios (7 s each) plus teardown, well under a minute once built
stress-smoke: ## CI-sized: every scenario, 45 s in all, ASan+UBSan
	@$(MAKE) --no-print-directory stress DURATION=45 SAN=address SEED= SCENARIO= RESUME=

stress-build: $(foreach v,asan tsan none,$(BUILD)/stress/$(v)/stress) ## the stress binary of every variant

stress-help: ## the stress knobs and every scenario, one line each
	@echo "make stress [DURATION=60|90s|10m|8h] [SCENARIO=a,b] [SEED=n] [SAN=address|thread|none]"
	@echo "            [RESUME=1|<dir>] [STALL_TIMEOUT=s] [OP_BOUND=s] [INJECT_STALL=unit|global]"
	@$(MAKE) --no-print-directory $(BUILD)/stress/none/stress >/dev/null && \
		$(BUILD)/stress/none/stress --list
