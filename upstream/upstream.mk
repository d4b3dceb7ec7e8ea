# DRIVER=upstream: Haiku's in-tree TUN/TAP driver (tunnel.cpp, from HAIKU_SRC) built unmodified
# into the shim as the suite's second target. Included by ../Makefile; fuzz/fuzz.mk links it.
#
# The source is HAIKU_SRC, else ../shared/haiku (HAIKU_DEFAULT) when it is there; without either,
# every goal made with DRIVER=upstream prints one "skipped" line and succeeds (../Makefile).
# Compiled with clang++ (C++17, no exceptions, no RTTI) against the shim's headers, then Haiku's
# own header-only kernel utilities, reached through symlinks in $(UPSTREAM_INC) (nothing of
# Haiku's is copied). Its object's C++ runtime references are renamed to the shim's kernel runtime
# (userland-shim/kern/kern_cxx.c); anything else of the C++ runtime it needs fails the build.

## DRIVER=ours|upstream  the driver fuzz, repro, stress, bench and e2e use (default ours)
DRIVER ?= ours
HAIKU_DEFAULT ?= ../shared/haiku
UPSTREAM_SRC = $(or $(HAIKU_SRC),$(if $(wildcard $(HAIKU_DEFAULT)/src),$(HAIKU_DEFAULT)))
UPSTREAM_CPP = $(UPSTREAM_SRC)/src/add-ons/kernel/network/devices/tunnel/tunnel.cpp
# DRIVER=upstream and no Haiku source: ../Makefile turns every goal into its "skipped" line
UPSTREAM_MISSING := $(if $(filter upstream,$(DRIVER)),$(if $(UPSTREAM_SRC),,1))

# the goals that take DRIVER=upstream; ../Makefile refuses any other before anything runs (the
# tests and coverage still build our driver only; fuse-build builds both daemons)
UPSTREAM_GOALS := fuzz fuzz-build fuzz-seeds repro minimize merge findings fuzz-smoke fuzz-ci \
	upstream-check stress stress-smoke bench e2e e2e-build fuse-build help

# why the others refuse it (../Makefile names the goal and this)
UPSTREAM_WHY_stress-build := it builds our driver's stress binaries (make stress builds upstream's)

UPSTREAM_INC := $(BUILD)/upstream/include
# Haiku's header-only utilities tunnel.cpp includes, each linked as <name> -> HAIKU_SRC/<path>
UPSTREAM_HAIKU_HEADERS := util/AutoLock.h:headers/private/kernel/util/AutoLock.h \
	util/Random.h:headers/private/kernel/util/Random.h \
	shared/AutoLocker.h:headers/private/shared/AutoLocker.h
UPSTREAM_CXXFLAGS = -std=gnu++17 -fno-exceptions -fno-rtti -Wall -Wno-unused-parameter -g \
	-fno-omit-frame-pointer -D_KERNEL_MODE -DSHIM_POSIX_ERRNO_NAMES $(SHIM_INC) -I$(UPSTREAM_INC)
# UBSan's function check needs RTTI type info, which a kernel (-fno-rtti) does not have; its
# other checks stay (after the flavor's flags, so that it wins over -fsanitize=undefined)
UPSTREAM_NO_RTTI_SAN := -fno-sanitize=function
# the Itanium names of new, new(std::nothrow), delete (plain and sized, scalar and array) and
# std::nothrow, bound to kern_cxx.c's C symbols
UPSTREAM_CXX_RUNTIME := _ZSt7nothrow=shim_cxx_nothrow _Znwm=shim_cxx_new \
	_ZnwmRKSt9nothrow_t=shim_cxx_new_nothrow _Znam=shim_cxx_new_array \
	_ZnamRKSt9nothrow_t=shim_cxx_new_array_nothrow _ZdlPv=shim_cxx_delete \
	_ZdaPv=shim_cxx_delete_array _ZdlPvm=shim_cxx_delete_sized _ZdaPvm=shim_cxx_delete_array_sized

# its statics in sections the shim resets at every boot, as a fresh image load would
# (userland-shim/kern/addon_image.c)
UPSTREAM_SECTIONS := --rename-section .data=shim_addon_data --rename-section .bss=shim_addon_bss

# $(eval $(call upstream_rule,OUTPUT,COMPILER,FLAGS,DEPENDENCIES)): the rule for one build of the
# driver's object: link the headers (cheap: every time, so a new HAIKU_SRC takes effect), compile
# tunnel.cpp, rename its runtime symbols, refuse any other C++ runtime symbol it would import
define upstream_rule
$(1): $$(UPSTREAM_CPP) $$(SHIM_HDRS) upstream/upstream.mk upstream/link-headers.sh $(4)
	@mkdir -p $$(dir $$@)
	@bash upstream/link-headers.sh "$$(UPSTREAM_SRC)" $$(UPSTREAM_INC) $$(UPSTREAM_HAIKU_HEADERS)
	$(2) $$(UPSTREAM_CXXFLAGS) $(3) $$(UPSTREAM_NO_RTTI_SAN) -c $$(UPSTREAM_CPP) -o $$@.tmp
	objcopy $$(addprefix --redefine-sym ,$$(UPSTREAM_CXX_RUNTIME)) $$(UPSTREAM_SECTIONS) $$@.tmp $$@
	@rm -f $$@.tmp
	@bash upstream/link-headers.sh --check-imports $$@
endef

# ---- make upstream-check ----------------------------------------------------------------------
# both drivers' deterministic replayers, each built by its own make (their builds share no file)
UPSTREAM_CHECK_HARNESSES = $(sort $(shell sed -s -n '1s/^\# harness: //p' corpora/upstream/*.txt \
	2>/dev/null))
.PHONY: upstream-check
upstream-check: check-deps ## corpora/upstream/*: each fails 20/20 on Haiku's driver, passes on ours
ifeq ($(UPSTREAM_SRC),)
	@echo "upstream-check: skipped: no Haiku source (HAIKU_SRC unset, no $(HAIKU_DEFAULT))"
else
	@$(MAKE) --no-print-directory DRIVER=ours FZ_DET=1 \
		$(addprefix $(BUILD)/fuzz/det/rp/,$(UPSTREAM_CHECK_HARNESSES))
	@$(MAKE) --no-print-directory DRIVER=upstream FZ_DET=1 \
		$(addprefix $(BUILD)/fuzz/det-upstream/rp/,$(UPSTREAM_CHECK_HARNESSES))
	@bash upstream/check.sh $(BUILD)/fuzz/det/rp $(BUILD)/fuzz/det-upstream/rp
endif
