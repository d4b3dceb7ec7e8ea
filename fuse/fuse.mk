# tuntapfs (the FUSE daemon hosting the driver) and tuntapctl: fuse/README.md.
# Included by ../Makefile.
#
#   make fuse-build   build/fuse/tuntapfs, build/fuse/tuntapctl (no sanitizer) and
#                     build/fuse/asan/tuntapfs (ASan+UBSan)
#
# The daemon's files see the host's headers first (-idirafter): the shim's include/ shadows
# fcntl.h, sys/socket.h, net/if.h ... with Haiku's values for the driver, which a Linux program
# must not get. Haiku's own names (SupportDefs.h, OS.h, Drivers.h) are still found there.

FUSE_DIR := fuse
FUSE_DAEMON_SRCS := $(filter-out $(FUSE_DIR)/tuntapctl.c,$(sort $(wildcard $(FUSE_DIR)/*.c)))
FUSE_DEPS := $(wildcard $(FUSE_DIR)/*.h) $(SHIM)/shim.h driver/tuntap.h $(FUSE_DIR)/fuse.mk
FUSE_PKG_CFLAGS = $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_PKG_LIBS = $(shell pkg-config --libs fuse3 2>/dev/null)
FUSE_CFLAGS = $(CSTD) $(WARN) $(OPT) -D_GNU_SOURCE $(FUSE_PKG_CFLAGS) \
	-idirafter $(SHIM)/include -I$(SHIM) -Idriver -I$(FUSE_DIR)

.PHONY: fuse-build fuse-deps
fuse-build: fuse-deps ## the FUSE daemon tuntapfs and the CLI tuntapctl (fuse/README.md)
	@$(MAKE) --no-print-directory $(BUILD)/fuse/tuntapfs $(BUILD)/fuse/tuntapctl \
		$(BUILD)/fuse/asan/tuntapfs $(FUSE_UPSTREAM)

fuse-deps:
	@pkg-config --exists fuse3 && test -e /usr/include/fuse3/fuse_lowlevel.h || { \
		echo "fuse-build: libfuse3 is missing; install it with:" >&2; \
		echo "  apt-get install -y fuse3 libfuse3-dev" >&2; exit 2; }

$(BUILD)/fuse/tuntapfs: $(FUSE_DAEMON_SRCS) $(FUSE_DEPS) $(BUILD)/none/libshim.a
	@mkdir -p $(dir $@)
	$(CC) $(FUSE_CFLAGS) $(FUSE_DAEMON_SRCS) \
		-Wl,--whole-archive $(BUILD)/none/libshim.a -Wl,--no-whole-archive \
		$(FUSE_PKG_LIBS) $(LDLIBS) -o $@

$(BUILD)/fuse/asan/tuntapfs: $(FUSE_DAEMON_SRCS) $(FUSE_DEPS) $(BUILD)/asan/libshim.a
	@mkdir -p $(dir $@)
	$(CC) $(FUSE_CFLAGS) $(SAN_asan) $(FUSE_DAEMON_SRCS) \
		-Wl,--whole-archive $(BUILD)/asan/libshim.a -Wl,--no-whole-archive \
		$(FUSE_PKG_LIBS) $(LDLIBS) -o $@

$(BUILD)/fuse/tuntapctl: $(FUSE_DIR)/tuntapctl.c $(FUSE_DIR)/fuse.mk
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -D_GNU_SOURCE $< -o $@

# DRIVER=upstream: a second daemon hosting Haiku's tunnel.cpp (upstream/upstream.mk) instead of our
# driver: the shim's objects without driver/, and the add-on's modules[] from tunnel.o
FUSE_UPSTREAM := $(if $(filter upstream,$(DRIVER)),$(if $(UPSTREAM_SRC),\
	$(BUILD)/fuse/upstream/tuntapfs))
ifneq ($(UPSTREAM_SRC),)
$(BUILD)/fuse/upstream/tuntapfs: $(FUSE_DAEMON_SRCS) $(FUSE_DEPS) $(BUILD)/fuse/upstream/tunnel.o \
		$(call objs,none,$(call shim_srcs,none))
	@mkdir -p $(dir $@)
	$(CC) $(FUSE_CFLAGS) $(FUSE_DAEMON_SRCS) $(filter %.o,$^) $(FUSE_PKG_LIBS) $(LDLIBS) -o $@
$(eval $(call upstream_rule,$(BUILD)/fuse/upstream/tunnel.o,clang++,-O2,$(FUSE_DIR)/fuse.mk))
endif
