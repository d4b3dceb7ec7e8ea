# Benchmarks (bench/README.md): the driver's hand-off throughput and wake-up latency through the
# shim, an idle poll loop's cost, and the fuzz harnesses' exec/s. Included by ../Makefile.
#
#   make bench          one run: $(BUILD)/bench/results.txt and results.json, each figure against its
#                       goal (bench/goals.py: MET/MISSED, status 1 if one is missed), and one line
#                       per run appended to $(BUILD)/bench/history.jsonl (make clean keeps it; the
#                       last 200 runs, report/collect.py trim), then the report updated

BENCH_NAMES := bench_handoff bench_wakeup
# DRIVER=upstream: the same benchmarks built on Haiku's tunnel.cpp too (upstream/upstream.mk), run
# after ours in the same make bench, then a side-by-side table; the goals (and the fuzz exec/s:
# our harness builds) judge ours only
BENCH_UPSTREAM := $(if $(filter upstream,$(DRIVER)),$(UPSTREAM_SRC))
BENCH_BINS := $(addprefix $(BUILD)/bench/,$(BENCH_NAMES)) \
	$(if $(BENCH_UPSTREAM),$(addprefix $(BUILD)/bench/upstream/,$(BENCH_NAMES)))
.PHONY: bench
bench: check-deps $(BENCH_BINS) ## hand-off, wake-up, idle poll, fuzz exec/s (DRIVER=upstream: beside)
	@echo "== make bench: $$(nproc) CPUs of $$(uname -n), $$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		>$(BUILD)/bench/results.txt
	@$(BUILD)/bench/bench_handoff --json $(BUILD)/bench/handoff.json >>$(BUILD)/bench/results.txt \
		|| { cat $(BUILD)/bench/results.txt; exit 1; }
	@$(BUILD)/bench/bench_wakeup --json $(BUILD)/bench/wakeup.json >>$(BUILD)/bench/results.txt \
		|| { cat $(BUILD)/bench/results.txt; exit 1; }
	@bash bench/bench_fuzz.sh $(subst -upstream,,$(FZ)) $(BUILD)/bench/fuzz.json $(FUZZ_TARGETS) \
		>>$(BUILD)/bench/results.txt || { cat $(BUILD)/bench/results.txt; exit 1; }
ifneq ($(BENCH_UPSTREAM),)
	@echo "== Haiku's tunnel.cpp (DRIVER=upstream): the same benchmarks" >>$(BUILD)/bench/results.txt
	@$(BUILD)/bench/upstream/bench_handoff --json $(BUILD)/bench/upstream/handoff.json \
		>>$(BUILD)/bench/results.txt || { cat $(BUILD)/bench/results.txt; exit 1; }
	@$(BUILD)/bench/upstream/bench_wakeup --json $(BUILD)/bench/upstream/wakeup.json \
		>>$(BUILD)/bench/results.txt || { cat $(BUILD)/bench/results.txt; exit 1; }
	@python3 bench/side_by_side.py $(BUILD)/bench/handoff.json $(BUILD)/bench/wakeup.json \
		$(BUILD)/bench/upstream/handoff.json $(BUILD)/bench/upstream/wakeup.json \
		>>$(BUILD)/bench/results.txt || { cat $(BUILD)/bench/results.txt; exit 1; }
endif
	@printf '{"handoff":%s,"wakeup":%s,"fuzz":%s}\n' "$$(cat $(BUILD)/bench/handoff.json)" \
		"$$(cat $(BUILD)/bench/wakeup.json)" "$$(cat $(BUILD)/bench/fuzz.json)" \
		>$(BUILD)/bench/results.json
	@cat $(BUILD)/bench/results.txt
	@st=0; python3 bench/goals.py $(BUILD)/bench/results.json $(BUILD)/bench/history.jsonl \
		>$(BUILD)/bench/goals.txt || st=$$?; cat $(BUILD)/bench/goals.txt; \
		cat $(BUILD)/bench/goals.txt >>$(BUILD)/bench/results.txt; \
		python3 report/collect.py trim $(BUILD)/bench/history.jsonl 200 >/dev/null; \
		echo "bench: $(BUILD)/bench/results.txt, $(BUILD)/bench/results.json"; \
		$(REPORT_UPDATE); exit $$st

$(addprefix $(BUILD)/bench/,$(BENCH_NAMES)): $(BUILD)/bench/%: bench/%.c $(BUILD)/none/libshim.a \
		bench/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -O2 $< -Wl,--whole-archive $(BUILD)/none/libshim.a -Wl,--no-whole-archive \
		$(LDLIBS) -o $@

ifneq ($(UPSTREAM_SRC),)
$(addprefix $(BUILD)/bench/upstream/,$(BENCH_NAMES)): $(BUILD)/bench/upstream/%: bench/%.c \
		$(BUILD)/bench/upstream/tunnel.o $(call objs,none,$(call shim_srcs,none)) bench/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -O2 -DBENCH_UPSTREAM $< $(filter %.o,$^) $(LDLIBS) -o $@
$(eval $(call upstream_rule,$(BUILD)/bench/upstream/tunnel.o,clang++,-O2,bench/bench.mk))
endif
