/* One regression test per bug of Haiku's current tunnel driver (research/haiku.md §2) that applies
 * to this driver, named after it, with the bug's one-line description above each. */

#include "test_util.h"

#include <net/if.h>

/* the stack's reader, played by a helper: receive_data until it fails */
static ssize_t
stack_reader(struct tu_call* call)
{
	tuntap_unit* unit = (tuntap_unit*)call->context;
	for (;;) {
		net_buffer* buffer = NULL;
		status_t status = gTuntapModule.device.receive_data(&unit->device, &buffer);
		if (status != B_OK)
			return status;
		gBufferModule->free(buffer);
	}
}

/* Bug 1: uninit_device returns EBUSY while the node is open; the stack ignores it, leaving a
 * zombie unit whose name can never be created again and hooks in an unloadable image. */
static void
test_bug01_uninit_while_open_not_refused(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	tuntap_unit* unit = tuntap_unit_get("tun/0");
	assert_non_null(unit);
	TU_OK(tu_if_delete("tun/0"));
	assert_false(shim_node_exists("/dev/tun/0"));
	/* the name is free at once, the stale descriptor fails definitely */
	tu_if_create_ok("tun/0", true);
	uint8 packet[60];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), B_DEVICE_NOT_FOUND);
	/* B_KEEP_LOADED: Haiku never unloads it; its B_MODULE_UNINIT (only the shim's shutdown
	 * calls it) refuses while a unit or descriptor exists */
	assert_int_not_equal(gTuntapModule.device.info.flags & B_KEEP_LOADED, 0);
	TU_EXPECT(gTuntapModule.device.info.std_ops(B_MODULE_UNINIT), B_BUSY);
	tuntap_unit_put(unit);
	TU_OK(tu_if_delete("tun/0"));
	TU_EXPECT(gTuntapModule.device.info.std_ops(B_MODULE_UNINIT), B_BUSY);
	TU_OK(tu_close(fd));
	tu_finish();
}

/* Bug 2: tunnel_down and tunnel_close broadcast on a semaphore, so a reader between its check
 * and acquire_sem misses the wake-up and `ifconfig down` hangs in wait_for_thread. */
static void
test_bug02_no_lost_wakeup_on_down(void** state)
{
	tu_if_create_ok("tun/0", false);
	for (int round = 0; round < 200; round++) {
		tuntap_unit* unit = tu_unit_up_undrained("tun/0");
		struct tu_call* reader = tu_start_function(stack_reader, unit);
		/* no waiting for it to block: down lands anywhere in its way into the wait */
		for (int spin = 0; spin < round % 7; spin++)
			shim_wait_until_blocked(reader->thread, 0);
		gTuntapModule.device.down(&unit->device);
		tu_wait_done(reader, TU_SECOND);
		TU_EXPECT(tu_join(reader), B_INTERRUPTED);
		tuntap_unit_put(unit);
	}
	/* and the same through the stack, with close racing a reader too */
	for (int round = 0; round < 50; round++) {
		TU_OK(shim_if_up("tun/0"));
		int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
		struct tu_call* reader = tu_start_read(fd, 100);
		bigtime_t start = system_time();
		TU_OK(shim_if_down("tun/0"));
		TU_PROMPTLY(system_time() - start);
		TU_OK(tu_close(fd));
		tu_wait_done(reader, TU_SECOND);
		ssize_t result = tu_join(reader);
		assert_true(result == B_FILE_ERROR);
	}
	tu_finish();
}

/* Bug 3: tunnel_read ignores O_NONBLOCK and always waits forever (the GSoC version returned 0
 * bytes instead): programs that drain until EAGAIN hang. */
static void
test_bug03_nonblocking_read_honoured(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	uint8 buffer[100];
	bigtime_t start = system_time();
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	TU_PROMPTLY(system_time() - start);
	/* drain until EAGAIN */
	for (uint32 i = 0; i < 3; i++) {
		tu_ipv4_packet(buffer, sizeof(buffer), i);
		TU_OK(shim_stack_send("tun/0", buffer, sizeof(buffer), B_NET_FRAME_TYPE_IPV4));
	}
	int drained = 0;
	while (shim_read(fd, buffer, sizeof(buffer)) == (ssize_t)sizeof(buffer))
		drained++;
	assert_int_equal(drained, 3);
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	/* B_SET_BLOCKING_IO was unsupported: fcntl(F_SETFL, 0) failed */
	TU_OK(shim_set_nonblocking(fd, false));
	TU_OK(shim_set_nonblocking(fd, true));
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	tu_finish();
}

/* Bug 4: B_INTERRUPTED is used as "device closed", so Haiku silently restarts the read on the
 * same descriptor number instead of reporting an error. */
static void
test_bug04_delete_error_is_not_interrupted(void** state)
{
	tu_if_create_ok("tap/0", true);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);
	TU_OK(tu_if_delete("tap/0"));
	TU_EXPECT(tu_join(reader), B_DEVICE_NOT_FOUND);
	/* a restarted call gets the same definite error, never B_INTERRUPTED again */
	uint8 buffer[64];
	for (int i = 0; i < 3; i++)
		TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_DEVICE_NOT_FOUND);
	TU_OK(tu_close(fd));
	tu_finish();
}

/* Bug 5: tunnel_init's error paths free the device but leave it in gDevices (dangling pointer,
 * slot lost) when init_fifo or devfs_publish_device fails. */
static void
test_bug05_init_failure_leaves_no_trace(void** state)
{
	static const enum shim_fault_site sites[] = {
		SHIM_FAULT_PUBLISH, SHIM_FAULT_SEM, SHIM_FAULT_ALLOC};
	for (size_t s = 0; s < 3; s++) {
		shim_fault_clear();
		shim_fault_fail_nth(sites[s], 1, false);
		status_t status = shim_if_create("tap/3");
		int64 injected = shim_fault_injected(sites[s]);
		shim_fault_clear();
		assert_true(injected == 1 && status < 0);
		assert_false(shim_node_exists("/dev/tap/3"));
		tu_assert_no_leak("after a failed init");
		/* the unit number is free and every other unit unaffected */
		tu_if_create_ok("tap/3", true);
		int fd = tu_open_ok("/dev/tap/3", SHIM_O_RDWR);
		char name[TUNTAP_NAME_LENGTH];
		tu_get_name(fd, name);
		assert_string_equal(name, "tap/3");
		TU_OK(tu_close(fd));
		TU_OK(tu_if_delete("tap/3"));
	}
	tu_finish();
}

/* Bug 6: the device is put in gDevices before its name is set, so two concurrent inits of one
 * name can both succeed. */
static ssize_t
init_tun7(struct tu_call* call)
{
	net_device** device = (net_device**)call->context;
	return gTuntapModule.device.init_device("tun/7", device);
}

static void
test_bug06_concurrent_init_of_one_name(void** state)
{
	for (int round = 0; round < 100; round++) {
		net_device* devices[2] = {NULL, NULL};
		struct tu_call* a = tu_start_function(init_tun7, &devices[0]);
		struct tu_call* b = tu_start_function(init_tun7, &devices[1]);
		status_t results[2] = {(status_t)tu_join(a), (status_t)tu_join(b)};
		int winner = results[0] == B_OK ? 0 : 1;
		TU_OK(results[winner]);
		TU_EXPECT(results[1 - winner], B_NAME_IN_USE);
		assert_non_null(devices[winner]);
		assert_true(shim_node_exists("/dev/tun/7"));
		TU_OK(gTuntapModule.device.uninit_device(devices[winner]));
		assert_false(shim_node_exists("/dev/tun/7"));
	}
	tu_finish();
}

/* Bug 7: tunnel_open sets open_count before allocating the cookie; on B_NO_MEMORY the device
 * stays "busy" forever (EBUSY on open and on uninit). */
static void
test_bug07_open_oom_does_not_leak_busy(void** state)
{
	tu_if_create_ok("tun/0", true);
	struct shim_objects before;
	tu_objects(&before);
	shim_fault_clear();
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, true);
	int fd = shim_open("/dev/tun/0", SHIM_O_RDWR);
	assert_true(shim_fault_injected(SHIM_FAULT_ALLOC) > 0);
	shim_fault_clear();
	TU_EXPECT(fd, B_NO_MEMORY);
	tu_assert_same_objects(&before, "after a failed open");
	fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tun/0"));
	tu_finish();
}

/* Bug 8: when copying to the user fails, the dequeued buffer is neither freed nor requeued:
 * a leak and a lost packet. */
static void
test_bug08_read_fault_keeps_packet(void** state)
{
	tu_if_create_ok("tap/0", true);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	uint8 frame[300];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 1);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	struct shim_objects before;
	tu_objects(&before);
	TU_EXPECT(shim_read_user(fd, shim_user_bad_address(), sizeof(frame)), B_BAD_ADDRESS);
	TU_EXPECT(
		shim_read_user(fd, shim_user_straddle_end(sizeof(frame)), sizeof(frame)), B_BAD_ADDRESS);
	tu_assert_same_objects(&before, "after failed reads");
	assert_int_equal(tu_stats(fd).to_app.queued, 1);
	tu_expect_read(fd, frame, sizeof(frame));
	tu_finish();
}

/* Bug 9: write allocates create(256) + append(length) for any user length before any check:
 * arbitrarily large kernel allocations, frames above the MTU accepted. */
static void
test_bug09_write_length_checked_before_alloc(void** state)
{
	tu_if_create_ok("tap/0", true);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	static uint8 huge[4 * 1024 * 1024];
	size_t lengths[] = {sizeof(huge), 48449, 1515};
	for (size_t i = 0; i < 3; i++) {
		shim_fault_clear();
		TU_EXPECT(shim_write(fd, huge, lengths[i]), B_BAD_VALUE);
		TU_EXPECT(shim_fault_calls(SHIM_FAULT_ALLOC), 0);
		TU_EXPECT(shim_fault_calls(SHIM_FAULT_NET_BUFFER), 0);
	}
	assert_int_equal(tu_stats(fd).rejected, 3);
	assert_int_equal(tu_stats(fd).to_stack.enqueued, 0);
	tu_finish();
}

/* Bug 10: a packet larger than the read buffer is silently truncated. */
static void
test_bug10_truncation_counted(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	uint8 packet[1500], got[1500];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(tu_fionread(fd), sizeof(packet));
	TU_EXPECT(shim_read(fd, got, 1000), 1000);
	assert_memory_equal(got, packet, 1000);
	assert_int_equal(tu_stats(fd).truncated, 1);
	tu_finish();
}

/* Bug 11: a fixed table of 10 devices (ENOSPC) and no clone device. */
static void
test_bug11_more_than_10_units(void** state)
{
	char name[TUNTAP_NAME_LENGTH];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "tun/%d", i);
		TU_OK(shim_if_create(name));
	}
	int fd = tu_open_ok("/dev/tun/clone", SHIM_O_RDWR);
	tu_get_name(fd, name);
	assert_string_equal(name, "tun/40");
	int unit37 = tu_open_ok("/dev/tun/37", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	int unit38 = tu_open_ok("/dev/tun/38", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	TU_OK(shim_if_up("tun/37"));
	uint8 packet[80];
	tu_ipv4_packet(packet, sizeof(packet), 37);
	TU_OK(shim_stack_send("tun/37", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(shim_read(unit38, packet, sizeof(packet)), B_WOULD_BLOCK);
	tu_ipv4_packet(packet, sizeof(packet), 37);
	tu_expect_read(unit37, packet, sizeof(packet));
	TU_OK(tu_close(fd));
	TU_OK(tu_close(unit37));
	TU_OK(tu_close(unit38));
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "tun/%d", i);
		TU_OK(shim_if_delete(name));
	}
	tu_finish();
}

/* Bug 12: select rejects B_SELECT_DISCONNECTED (no POLLHUP on removal) and WRITE is always
 * ready, even when the queue is full and the write then fails. */
static void
test_bug12_select_write_and_hup(void** state)
{
	tu_if_create_ok("tun/0", false);
	tuntap_unit* unit = tu_unit_up_undrained("tun/0");
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	tu_set_queue_limits(fd, 1, 64 * 1024);
	uint8 packet[100];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	struct shim_pollfd pollfd = {fd, SHIM_POLLOUT, 0};
	TU_EXPECT(shim_poll(&pollfd, 1, 0), 0);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), B_WOULD_BLOCK);
	tuntap_unit_put(unit);
	TU_OK(tu_if_delete("tun/0"));
	TU_EXPECT(shim_poll(&pollfd, 1, 0), 1);
	assert_int_equal(pollfd.revents, SHIM_POLLHUP);
	tu_finish();
}

/* Bug 13: the application is not told about down: writes while down are queued and delivered
 * stale after the next up, and the next opener reads the previous opener's packets. */
static void
test_bug13_app_sees_down_and_no_stale_packets(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	TU_OK(shim_if_down("tun/0"));
	uint8 packet[100];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	assert_int_equal(tu_stats(fd).to_stack.dropped, 1);
	TU_OK(shim_if_up("tun/0"));
	TU_EXPECT(shim_stack_receive("tun/0", packet, sizeof(packet), 50000), B_TIMED_OUT);

	/* packets queued for one opener are not read by the next */
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	TU_OK(tu_close(fd));
	fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	TU_EXPECT(tu_fionread(fd), 0);
	TU_EXPECT(shim_read(fd, packet, sizeof(packet)), B_WOULD_BLOCK);
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.dropped, 1);
	TU_ASSERT_STATS_INVARIANT(stats);
	tu_finish();
}

/* Bug 15: MTU 1514 for TUN and TAP (TAP's IP MTU is 1500, frame 1514); set_mtu accepts
 * 16..65536. */
static void
test_bug15_mtu_1500(void** state)
{
	tu_if_create_ok("tun/0", true);
	tu_if_create_ok("tap/0", true);
	struct shim_if_info info;
	TU_OK(shim_if_info("tun/0", &info));
	assert_int_equal(info.mtu, 1500);
	TU_OK(shim_if_info("tap/0", &info));
	assert_int_equal(info.mtu, 1500);
	int tap = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	uint8 frame[1514];
	tu_ether_frame(frame, sizeof(frame), tu_broadcast_mac, tu_app_mac, 0x0800, 1);
	TU_EXPECT(shim_write(tap, frame, sizeof(frame)), sizeof(frame));
	tu_expect_stack_frame("tap/0", frame, sizeof(frame));
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	tu_expect_read(tap, frame, sizeof(frame));
	/* the stack's set_mtu hook keeps the same range as the ioctl */
	tuntap_unit* unit = tuntap_unit_get("tap/0");
	TU_EXPECT(gTuntapModule.device.set_mtu(&unit->device, 16), B_BAD_VALUE);
	TU_EXPECT(gTuntapModule.device.set_mtu(&unit->device, 65536), B_BAD_VALUE);
	TU_OK(gTuntapModule.device.set_mtu(&unit->device, 9000));
	tuntap_unit_put(unit);
	assert_int_equal(tu_info(tap).mtu, 9000);
	tu_finish();
}

/* Bug 16: IPv6 over TUN is dropped (sockaddr_in with AF_INET6, no IPv6 frame type). */
static void
test_bug16_ipv6_tun(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	uint8 packet[1280];
	tu_ipv6_packet(packet, sizeof(packet), 6);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	tu_expect_stack_frame("tun/0", packet, sizeof(packet));
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV6));
	tu_expect_read(fd, packet, sizeof(packet));
	tu_finish();
}

/* Bug 17: name validation is only a prefix check: "tun/a/b" or "tun/" go straight to devfs. */
static void
test_bug17_name_validation(void** state)
{
	static const char* const names[] = {"tun/a/b", "tun/", "tap/1/2", "tun/x", "tap/007"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		net_device* device = NULL;
		TU_EXPECT(gTuntapModule.device.init_device(names[i], &device), B_BAD_VALUE);
		assert_null(device);
		TU_EXPECT(shim_if_create(names[i]), B_DEVICE_NOT_FOUND);
	}
	assert_int_equal(shim_count_nodes("tun/"), 1);
	assert_int_equal(shim_count_nodes("tap/"), 1);
	tu_finish();
}

/* Bug 18: the devfs side knows only the two blocking ioctls: no FIONREAD, no way to ask the
 * interface name, no statistics. */
static void
test_bug18_fionread_and_get_name(void** state)
{
	tu_if_create_ok("tap/5", true);
	int fd = tu_open_ok("/dev/tap/5", SHIM_O_RDWR);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(fd, name);
	assert_string_equal(name, "tap/5");
	TU_EXPECT(tu_fionread(fd), 0);
	uint8 frame[77];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 1);
	TU_OK(shim_stack_send("tap/5", frame, sizeof(frame), 0));
	TU_EXPECT(tu_fionread(fd), sizeof(frame));
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.enqueued, 1);
	assert_int_equal(stats.to_app.queued, 1);
	assert_int_equal(stats.to_app.queued_bytes, sizeof(frame));
	tu_finish();
}

int
main(void)
{
	/* not applicable: 14 (panic when unpublish fails: no fault site makes devfs refuse it;
	 * the driver only logs), 19 (readv/writev: devfs ignores them for published hooks) */
	const struct CMUnitTest tests[] = {
		TU_TEST(test_bug01_uninit_while_open_not_refused),
		TU_TEST(test_bug02_no_lost_wakeup_on_down),
		TU_TEST(test_bug03_nonblocking_read_honoured),
		TU_TEST(test_bug04_delete_error_is_not_interrupted),
		TU_TEST(test_bug05_init_failure_leaves_no_trace),
		TU_TEST(test_bug06_concurrent_init_of_one_name),
		TU_TEST(test_bug07_open_oom_does_not_leak_busy),
		TU_TEST(test_bug08_read_fault_keeps_packet),
		TU_TEST(test_bug09_write_length_checked_before_alloc),
		TU_TEST(test_bug10_truncation_counted),
		TU_TEST(test_bug11_more_than_10_units),
		TU_TEST(test_bug12_select_write_and_hup),
		TU_TEST(test_bug13_app_sees_down_and_no_stale_packets),
		TU_TEST(test_bug15_mtu_1500),
		TU_TEST(test_bug16_ipv6_tun),
		TU_TEST(test_bug17_name_validation),
		TU_TEST(test_bug18_fionread_and_get_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
