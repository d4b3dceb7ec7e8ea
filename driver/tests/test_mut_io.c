/* Read/write, wake-up and lifecycle rules that only `make mutate`'s survivors showed unchecked:
 * each test names the contract rule it checks; the mutants it kills are listed above it. */

#include "test_util.h"

static ssize_t
read_into_bad_address(struct tu_call* call)
{
	return shim_read_user(*(const int*)call->context, shim_user_bad_address(), 2000);
}

/* Two threads blocked in read on one descriptor, one packet: the first in line is woken and its
 * buffer faults (B_BAD_ADDRESS, the packet stays queued); it must hand the wake-up on, or the
 * other reader sleeps beside a queued packet. Kills 3b10818a14, 5d2dd67863, 6d26590302
 * (devfs_hooks.c tuntap_read: the hand-on condition negated, `count > 1`, `status == B_OK`). */
static void
test_reader_leaving_without_the_packet_hands_the_wakeup_on(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	/* the shim's semaphores wake in FIFO order (Haiku's too): the faulting reader is first */
	struct tu_call* faulting = tu_start_function(read_into_bad_address, &fd);
	tu_wait_blocked(faulting);
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);

	uint8 packet[300];
	size_t length = tu_ipv4_packet(packet, sizeof(packet), 7);
	TU_OK(shim_stack_send("tun/0", packet, length, B_NET_FRAME_TYPE_IPV4));
	tu_wait_done(faulting, TU_SECOND);
	TU_EXPECT(tu_join(faulting), B_BAD_ADDRESS);
	tu_wait_done(reader, TU_SECOND);
	TU_EXPECT(tu_join(reader), length);
	assert_memory_equal(reader->buffer, packet, length);

	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.dequeued, 1);
	assert_int_equal(stats.to_app.queued, 0);
	assert_int_equal(stats.to_app.dropped, 0);
	TU_OK(tu_close(fd));
	tu_finish();
}

/* A read that fails with nothing queued changes no state, so it wakes no other reader of the
 * descriptor: one blocked before the descriptor went non-blocking stays blocked (still counted
 * waiting) and gets the next packet, not B_WOULD_BLOCK. Kills aa3c35eed2 and d10dff64df
 * (devfs_hooks.c tuntap_read's hand-on: `&&` -> `||`, `count > 0` -> `>= 0`). */
static void
test_failed_read_wakes_no_other_reader(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	tuntap_unit* unit = tuntap_unit_get("tun/0");
	assert_non_null(unit);
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);
	TU_OK(shim_ioctl(fd, B_SET_NONBLOCKING_IO, NULL, 0));
	uint8 buffer[100];
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	TU_EXPECT(shim_read_user(fd, shim_user_bad_address(), sizeof(buffer)), B_WOULD_BLOCK);
	/* the wake-up a failed read would give is counted at once, in this thread */
	mutex_lock(&unit->lock);
	int32 waiters = unit->owner->read_waiters.waiters;
	mutex_unlock(&unit->lock);
	tuntap_unit_put(unit);
	assert_int_equal(waiters, 1);

	uint8 packet[200];
	size_t length = tu_ipv4_packet(packet, sizeof(packet), 3);
	TU_OK(shim_stack_send("tun/0", packet, length, B_NET_FRAME_TYPE_IPV4));
	tu_wait_done(reader, TU_SECOND);
	TU_EXPECT(tu_join(reader), length);
	assert_memory_equal(reader->buffer, packet, length);
	TU_OK(tu_close(fd));
	tu_finish();
}

/* A clone open creates its interface as `ifconfig tap/N` without an address does: every address
 * of the SIOCAIFADDR request AF_UNSPEC, so the interface owns no IPv4 address and the stack
 * answers no ARP request, whatever address it asks for. Kills 6351264836 (the request filled
 * with 1s: AF_INET, address 1.1.1.1). */
static void
test_clone_open_interface_has_no_address(void** state)
{
	int fd = tu_open_ok("/dev/tap/clone", SHIM_O_RDWR);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(fd, name);
	assert_string_equal(name, "tap/0");
	tu_track_if(name);
	TU_OK(shim_if_up(name));

	const uint32 targets[] = {tu_ipv4_address(0, 0, 0, 0), tu_ipv4_address(1, 1, 1, 1),
		tu_ipv4_address(255, 255, 255, 255), tu_ipv4_address(10, 0, 0, 1)};
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		uint8 request[TU_ARP_FRAME_LENGTH];
		tu_arp_frame(request, tu_broadcast_mac, tu_app_mac, TU_ARP_REQUEST, tu_app_mac,
			tu_ipv4_address(10, 0, 0, 2), tu_zero_mac, targets[i]);
		TU_EXPECT(shim_write(fd, request, sizeof(request)), sizeof(request));
		tu_expect_stack_frame(name, request, sizeof(request));
	}
	struct shim_pollfd pollfd = {fd, SHIM_POLLIN, 0};
	TU_EXPECT(shim_poll(&pollfd, 1, 100000), 0);
	struct shim_if_info interface;
	TU_OK(shim_if_info(name, &interface));
	assert_int_equal(interface.arp_replies, 0);
	assert_int_equal(interface.received, 4);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete(name));
	tu_finish();
}

/* send_data takes any TAP frame of at least the 14-byte Ethernet header (a header alone too)
 * and refuses a shorter one with B_BAD_VALUE (counted dropped), leaving nothing queued. Kills
 * 59122a6ba4 (framing.c tuntap_check_send: `size < link` -> `<=`). */
static void
test_tap_send_of_a_bare_ethernet_header(void** state)
{
	tu_if_create_ok("tap/0", true);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	uint8 frame[TU_ETHER_HEADER];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 1);
	TU_EXPECT(shim_stack_send("tap/0", frame, sizeof(frame) - 1, 0), B_BAD_VALUE);
	TU_EXPECT(tu_fionread(fd), 0);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_fionread(fd), sizeof(frame));
	tu_expect_read(fd, frame, sizeof(frame));
	/* the refused one is offered and dropped, the bare header delivered */
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.enqueued, 2);
	assert_int_equal(stats.to_app.dropped, 1);
	assert_int_equal(stats.to_app.dequeued, 1);
	TU_ASSERT_STATS_INVARIANT(stats);
	TU_OK(tu_close(fd));
	tu_finish();
}

/* send_data takes any non-empty TUN packet whose first nibble is an IP version, a single byte
 * too (TUN has no link header), and refuses an empty one with B_BAD_VALUE. Kills 7ab1223009
 * (framing.c tuntap_check_send: `size == 0` -> `size == 1`). */
static void
test_tun_send_of_a_single_byte(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	const uint8 packet[1] = {0x45};
	TU_EXPECT(shim_stack_send("tun/0", packet, 0, B_NET_FRAME_TYPE_IPV4), B_BAD_VALUE);
	TU_EXPECT(tu_fionread(fd), 0);
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	tu_expect_read(fd, packet, sizeof(packet));
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.dropped, 1);
	assert_int_equal(stats.to_app.dequeued, 1);
	TU_OK(tu_close(fd));
	tu_finish();
}

/* A write from an unmapped buffer is B_BAD_ADDRESS at every length, the shortest too (the head
 * is copied before any check reads it): never B_BAD_VALUE, nothing counted rejected or queued.
 * Kills e24ac3e941 (devfs_hooks.c tuntap_write: `headLength > 0` -> `> 1`). */
static void
test_write_from_unmapped_memory_is_bad_address_at_any_length(void** state)
{
	const char* names[] = {"tun/0", "tap/0"};
	for (int n = 0; n < 2; n++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/%s", names[n]);
		tu_if_create_ok(names[n], true);
		int fd = tu_open_ok(path, SHIM_O_RDWR);
		for (size_t length = 1; length <= 24; length++) {
			ssize_t result = shim_write_user(fd, shim_user_bad_address(), length);
			if (result != B_BAD_ADDRESS)
				fail_msg("%s, %zu bytes: %s", names[n], length, shim_status_name(result));
		}
		struct tuntap_stats stats = tu_stats(fd);
		assert_int_equal(stats.rejected, 0);
		assert_int_equal(stats.to_stack.enqueued, 0);
		TU_OK(tu_close(fd));
	}
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_reader_leaving_without_the_packet_hands_the_wakeup_on),
		TU_TEST(test_failed_read_wakes_no_other_reader),
		TU_TEST(test_clone_open_interface_has_no_address),
		TU_TEST(test_tap_send_of_a_bare_ethernet_header),
		TU_TEST(test_tun_send_of_a_single_byte),
		TU_TEST(test_write_from_unmapped_memory_is_bad_address_at_any_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
