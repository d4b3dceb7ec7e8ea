# make mutate: mutation testing of driver/*.c (tools/mutate/README.md); included by ../../Makefile.
# tools/mutate/run.sh does the work in build/mutate/ (copies of the tree, never driver/).

## MUTATE_FILES=<driver/x.c,..>  make mutate: the files to mutate (default: every driver/*.c)
## MUTATE_ONLY=<A..B>  make mutate: only the lines that git range changed
## MUTATE_MAX=<n>  make mutate: at most n mutants, spread evenly over the list
## MUTATE_FUZZ=<duration>  make mutate: also fuzz-ci that long on each mutant still alive (off)
## MUTATE_RERUN=survived|all  make mutate: run again the survivors on file, or all (default: none)
MUTATE_ENV = $(foreach v,MUTATE_FILES MUTATE_ONLY MUTATE_MAX MUTATE_FUZZ MUTATE_RERUN,\
	$(call bugs_user,$(v)))

.PHONY: mutate mutate-test mutate-cost
mutate: check-deps ## mutants of driver/*.c: score per file and kind, survivors, build/mutate/
	@$(MUTATE_ENV) bash tools/mutate/run.sh
	@bash tools/mutate/html.sh build/mutate

mutate-test: check-deps ## the tool's own check: a known mutant is killed, a known equivalent survives
	@bash tools/mutate/selftest.sh

# ---- the mutant copies' cmocka build: shim and driver as one shared object -------------------
# A mutant then rebuilds one object and libshim.so and relinks no test binary: the 25 ASan test
# binaries are linked once in the base copy, against the library's interface (order-only), and
# find it through $ORIGIN, so each slot's copy runs its own. -fPIC: the shim's thread-local
# current thread needs it in a shared object. No -Bsymbolic: a test that reads the shim's data
# sees the same object the library does, as in the static build (tools/mutate/run.sh).
MSO := $(BUILD)/mutate-so
$(MSO)/driver/%.o: driver/%.c $(DRIVER_HDRS) $(SHIM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DRIVER_CFLAGS) $(SAN_asan) -fPIC -c $< -o $@
$(MSO)/$(SHIM)/%.o: $(SHIM)/%.c $(SHIM_HDRS) $(DRIVER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) $(SAN_asan) -fPIC -c $< -o $@
$(MSO)/libshim.so: $(call objs,mutate-so,$(call shim_srcs,asan) $(DRIVER_SRCS))
	$(CC) -shared $(SAN_asan) $^ $(LDLIBS) -o $@
$(MSO)/tests/%: $(TEST_HDRS) $(SHIM)/shim.h | $(MSO)/libshim.so
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) $(SAN_asan) $(filter %/$*.c,$(TEST_SRCS)) -L$(MSO) -lshim \
		'-Wl,-rpath,$$ORIGIN/..' -lcmocka $(LDLIBS) -o $@
$(foreach t,$(TEST_SRCS),$(eval $(MSO)/tests/$(basename $(notdir $(t))): $(t)))
.PHONY: mutate-so-tests
mutate-so-tests: $(addprefix $(MSO)/tests/,$(filter-out test_sched,$(TEST_NAMES)))

# both ways side by side on the same mutants (MUTATE_MAX of them, default 12) at the same time
mutate-cost: check-deps ## make mutate's cost per mutant, tests relinked statically vs libshim.so
	@$(MUTATE_ENV) MUTATE_MAX=$(or $(MUTATE_MAX),12) MUTATE_COST=1 MUTATE_OUT=build/mutate-cost \
		bash tools/mutate/run.sh
