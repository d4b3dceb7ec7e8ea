# make e2e: socat, iperf3, ping and Linux's own stack use the driver through the FUSE daemon, in
# network namespaces (e2e/README.md). Included by ../Makefile.

#   make e2e         preflight (root, /dev/fuse, /dev/net/tun, ip netns; else one "skipped" line
#                    and status 0; installs missing Debian packages), fuse-build, e2e-build, run.sh
#                    DRIVER=upstream: Haiku's tunnel.cpp in build/fuse/upstream/tuntapfs
#   make e2e-build   the two helper programs: $(BUILD)/e2e/openvpn_like, $(BUILD)/e2e/blocked_read

E2E_DIR := e2e
E2E_BINS := $(BUILD)/e2e/openvpn_like $(BUILD)/e2e/blocked_read

$(E2E_BINS): $(BUILD)/e2e/%: $(E2E_DIR)/%.c $(E2E_DIR)/e2e.mk
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -g $< -o $@

.PHONY: e2e e2e-build
e2e-build: $(E2E_BINS) ## the two helper programs of the end-to-end run

e2e: ## root: socat/ping/iperf3/ctrl+c/delete on the driver behind FUSE (DRIVER=ours|upstream)
	@st=0; bash $(E2E_DIR)/run.sh --preflight || st=$$?; \
	if [ $$st = 3 ]; then exit 0; elif [ $$st != 0 ]; then exit $$st; fi; \
	st=0; $(MAKE) --no-print-directory fuse-build e2e-build && \
		DRIVER=$(DRIVER) bash $(E2E_DIR)/run.sh || st=$$?; \
	$(REPORT_UPDATE); exit $$st
