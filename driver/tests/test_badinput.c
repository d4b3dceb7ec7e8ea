/* Hostile input: every ioctl with bad pointers and lengths, odd write and read sizes, bad user
 * buffers and failing copies/allocations: documented errors, nothing lost, nothing leaked. */

#include "test_util.h"

struct ioctl_code {
	uint32 op;
	const char* name;
	size_t size;
};

static const struct ioctl_code kCodes[] = {
	{FIONREAD, "FIONREAD", sizeof(int)},
	{TUNTAP_GET_NAME, "GET_NAME", TUNTAP_NAME_LENGTH},
	{TUNTAP_GET_INFO, "GET_INFO", sizeof(struct tuntap_info)},
	{TUNTAP_SET_INFO, "SET_INFO", sizeof(struct tuntap_info)},
	{TUNTAP_GET_MTU, "GET_MTU", sizeof(uint32)},
	{TUNTAP_SET_MTU, "SET_MTU", sizeof(uint32)},
	{TUNTAP_GET_HEADER_MODE, "GET_HEADER_MODE", sizeof(uint32)},
	{TUNTAP_SET_HEADER_MODE, "SET_HEADER_MODE", sizeof(uint32)},
	{TUNTAP_GET_STATS, "GET_STATS", sizeof(struct tuntap_stats)},
};
#define CODE_COUNT (sizeof(kCodes) / sizeof(kCodes[0]))

static int
open_up(const char* name)
{
	char path[64];
	tu_if_create_ok(name, true);
	snprintf(path, sizeof(path), "/dev/%s", name);
	return tu_open_ok(path, SHIM_O_RDWR);
}

static void
ioctl_matrix(int fd, bool tap)
{
	struct tuntap_info info = tu_info(fd);
	for (size_t i = 0; i < CODE_COUNT; i++) {
		size_t size = kCodes[i].size;
		/* on TAP, setting the header mode is refused whatever the argument */
		if (tap && kCodes[i].op == TUNTAP_SET_HEADER_MODE)
			continue;
		void* pointers[] = {
			NULL, shim_user_bad_address(), shim_user_straddle_end(size), shim_user_straddle_end(1)};
		size_t lengths[] = {0, size, size + 1, 4096, (size_t)-1};
		for (size_t p = 0; p < sizeof(pointers) / sizeof(pointers[0]); p++) {
			for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
				status_t status = shim_ioctl(fd, kCodes[i].op, pointers[p], lengths[l]);
				if (status != B_BAD_ADDRESS) {
					fail_msg("%s, pointer %zu, len %zu: %s, expected B_BAD_ADDRESS", kCodes[i].name,
						p, lengths[l], shim_status_name(status));
				}
			}
		}
		/* valid memory, short lengths */
		for (size_t length = 1; length < size; length += (size > 8 ? 7 : 1)) {
			uint8 buffer[256];
			memcpy(buffer, &info, sizeof(info));
			status_t status = shim_ioctl_buf(fd, kCodes[i].op, buffer, size, length);
			if (status != B_BAD_VALUE) {
				fail_msg("%s with len %zu: %s, expected B_BAD_VALUE", kCodes[i].name, length,
					shim_status_name(status));
			}
		}
		/* valid memory, long lengths: only the argument's size is used */
		uint8 buffer[256];
		memcpy(buffer, &info, sizeof(info));
		if (kCodes[i].op == TUNTAP_SET_MTU || kCodes[i].op == TUNTAP_SET_HEADER_MODE) {
			uint32 value = kCodes[i].op == TUNTAP_SET_MTU ? info.mtu : TUNTAP_HEADER_NONE;
			memcpy(buffer, &value, sizeof(value));
		}
		TU_OK(shim_ioctl_buf(fd, kCodes[i].op, buffer, size, (size_t)-1));
	}
	struct tuntap_info after = tu_info(fd);
	assert_memory_equal(&after, &info, sizeof(info));
	TU_ASSERT_STATS_INVARIANT(tu_stats(fd));
}

static void
test_every_ioctl_with_bad_pointers_and_lengths(void** state)
{
	int tun = open_up("tun/0");
	int tap = open_up("tap/0");
	ioctl_matrix(tun, false);
	ioctl_matrix(tap, true);
	uint32 mode = TUNTAP_HEADER_AF;
	TU_EXPECT(shim_ioctl_buf(tap, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0), B_NOT_SUPPORTED);
	TU_OK(tu_close(tun));
	TU_OK(tu_close(tap));
	TU_OK(tu_if_delete("tun/0"));
	TU_OK(tu_if_delete("tap/0"));
	tu_assert_no_leak("after the ioctl matrix");
	tu_finish();
}

static void
test_odd_write_sizes(void** state)
{
	int tun = open_up("tun/0");
	int tap = open_up("tap/0");
	static uint8 big[1024 * 1024];
	tu_ipv4_packet(big, 1500, 1);
	struct shim_objects before, after;

	/* zero bytes never reach the driver */
	TU_EXPECT(shim_write(tun, big, 0), 0);
	/* 1 MiB and MTU + header + 1: refused before any allocation */
	for (int kind = 0; kind < 2; kind++) {
		int fd = kind ? tap : tun;
		size_t lengths[] = {1024 * 1024, kind ? 1515 : 1501, 65536, 16385 + 14};
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
			tu_objects(&before);
			shim_fault_clear();
			TU_EXPECT(shim_write(fd, big, lengths[l]), B_BAD_VALUE);
			TU_EXPECT(shim_fault_calls(SHIM_FAULT_ALLOC), 0);
			TU_EXPECT(shim_fault_calls(SHIM_FAULT_NET_BUFFER), 0);
			tu_objects(&after);
			assert_int_equal(after.allocations, before.allocations);
			assert_int_equal(after.net_buffers, before.net_buffers);
		}
	}
	/* one byte on TAP: not an Ethernet frame */
	TU_EXPECT(shim_write(tap, big, 1), B_BAD_VALUE);
	/* one byte on TUN saying IPv4: shorter than any IP header */
	big[0] = 0x45;
	TU_EXPECT(shim_write(tun, big, 1), B_BAD_VALUE);

	struct tuntap_stats stats = tu_stats(tun);
	assert_int_equal(stats.rejected, 5);
	assert_int_equal(stats.to_stack.enqueued, 0);
	stats = tu_stats(tap);
	assert_int_equal(stats.rejected, 5);
	assert_int_equal(stats.to_stack.enqueued, 0);
	TU_EXPECT(shim_stack_pending("tun/0"), 0);
	TU_EXPECT(shim_stack_pending("tap/0"), 0);
	tu_finish();
}

static void
test_tiny_read_buffers(void** state)
{
	int fd = open_up("tap/0");
	uint8 frame[100], got[4] = {0, 0, 0, 0};
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 1);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));

	/* zero bytes never reach the driver: the packet stays */
	TU_EXPECT(shim_read(fd, got, 0), 0);
	TU_EXPECT(tu_fionread(fd), sizeof(frame));
	assert_int_equal(tu_stats(fd).to_app.dequeued, 0);

	/* one byte: truncated and counted, the rest discarded */
	TU_EXPECT(shim_read(fd, got, 1), 1);
	assert_int_equal(got[0], frame[0]);
	assert_int_equal(got[1], 0);
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.truncated, 1);
	assert_int_equal(stats.to_app.queued, 0);
	assert_int_equal(stats.to_app.dequeued, 1);
	TU_EXPECT(tu_fionread(fd), 0);
	tu_finish();
}

static void
test_read_bad_user_buffer_keeps_packet(void** state)
{
	int fd = open_up("tun/0");
	uint8 packet[400];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	struct shim_objects before;
	tu_objects(&before);

	void* pointers[] = {NULL, shim_user_bad_address(), shim_user_straddle_end(sizeof(packet)),
		shim_user_straddle_end(1)};
	for (size_t p = 0; p < sizeof(pointers) / sizeof(pointers[0]); p++) {
		ssize_t result = shim_read_user(fd, pointers[p], sizeof(packet));
		if (result != B_BAD_ADDRESS)
			fail_msg("read to bad pointer %zu: %s", p, shim_status_name(result));
		TU_EXPECT(tu_fionread(fd), sizeof(packet));
	}
	/* a failing copy, wherever it fails */
	for (int64 nth = 1; nth <= 2; nth++) {
		shim_fault_clear();
		shim_fault_fail_nth(SHIM_FAULT_USER_COPY, nth, false);
		uint8 got[400];
		ssize_t result = shim_read(fd, got, sizeof(got));
		int64 injected = shim_fault_injected(SHIM_FAULT_USER_COPY);
		shim_fault_clear();
		if (injected == 0) {
			TU_EXPECT(result, sizeof(packet));
			TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
			continue;
		}
		TU_EXPECT(result, B_BAD_ADDRESS);
	}
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.queued, 1);
	assert_int_equal(stats.to_app.dropped, 0);
	assert_int_equal(stats.truncated, 0);
	tu_assert_same_objects(&before, "after failed reads");
	tu_expect_read(fd, packet, sizeof(packet));
	tu_finish();
}

static void
test_write_bad_user_buffer_queues_nothing(void** state)
{
	int tap = open_up("tap/0");
	int tun = open_up("tun/0");
	struct shim_objects before;
	tu_objects(&before);
	void* pointers[] = {
		NULL, shim_user_bad_address(), shim_user_straddle_end(100), shim_user_straddle_end(1)};
	for (size_t p = 0; p < sizeof(pointers) / sizeof(pointers[0]); p++) {
		ssize_t result = shim_write_user(tap, pointers[p], 100);
		if (result != B_BAD_ADDRESS)
			fail_msg("TAP write from bad pointer %zu: %s", p, shim_status_name(result));
		result = shim_write_user(tun, pointers[p], 100);
		if (result != B_BAD_ADDRESS)
			fail_msg("TUN write from bad pointer %zu: %s", p, shim_status_name(result));
	}
	tu_assert_same_objects(&before, "after writes from bad pointers");
	assert_int_equal(tu_stats(tap).to_stack.enqueued, 0);
	assert_int_equal(tu_stats(tun).to_stack.enqueued, 0);
	uint8 frame[16];
	TU_EXPECT(shim_stack_receive("tap/0", frame, sizeof(frame), 20000), B_TIMED_OUT);
	TU_EXPECT(shim_stack_receive("tun/0", frame, sizeof(frame), 20000), B_TIMED_OUT);
	tu_finish();
}

/* a write under a fault plan at `site`, for n = 1, 2, ... until it goes through */
static void
write_fault_loop(
	int fd, const char* name, enum shim_fault_site site, const uint8* packet, size_t length)
{
	int64 failures = 0;
	for (int64 nth = 1; nth < 100; nth++) {
		struct shim_objects before;
		tu_objects(&before);
		uint64 enqueued = tu_stats(fd).to_stack.enqueued;
		shim_fault_clear();
		shim_fault_fail_nth(site, nth, false);
		ssize_t result = shim_write(fd, packet, length);
		int64 injected = shim_fault_injected(site);
		shim_fault_clear();
		if (result == (ssize_t)length) {
			tu_expect_stack_frame(name, packet, length);
			assert_true(failures > 0);
			return;
		}
		assert_true(injected > 0);
		if (site == SHIM_FAULT_USER_COPY)
			TU_EXPECT(result, B_BAD_ADDRESS);
		else
			TU_EXPECT(result, B_NO_MEMORY);
		failures++;
		tu_assert_same_objects(&before, "after a failed write");
		assert_int_equal(tu_stats(fd).to_stack.enqueued, enqueued);
		uint8 frame[16];
		TU_EXPECT(shim_stack_receive(name, frame, sizeof(frame), 0), B_WOULD_BLOCK);
	}
	fail_msg("the write never succeeded");
}

static void
test_write_failures_unwind(void** state)
{
	int tun = open_up("tun/0");
	int tap = open_up("tap/0");
	uint8 packet[1500], frame[1514];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	tu_ether_frame(frame, sizeof(frame), tu_broadcast_mac, tu_app_mac, 0x0800, 2);
	static const enum shim_fault_site sites[] = {
		SHIM_FAULT_USER_COPY, SHIM_FAULT_ALLOC, SHIM_FAULT_NET_BUFFER};
	for (size_t s = 0; s < sizeof(sites) / sizeof(sites[0]); s++) {
		if (sites[s] == SHIM_FAULT_ALLOC) {
			/* the shim's net_buffer may not allocate through the kernel heap at all */
			shim_fault_clear();
			TU_EXPECT(shim_write(tun, packet, sizeof(packet)), sizeof(packet));
			tu_expect_stack_frame("tun/0", packet, sizeof(packet));
			if (shim_fault_calls(SHIM_FAULT_ALLOC) == 0)
				continue;
		}
		write_fault_loop(tun, "tun/0", sites[s], packet, sizeof(packet));
		write_fault_loop(tap, "tap/0", sites[s], frame, sizeof(frame));
	}
	TU_ASSERT_STATS_INVARIANT(tu_stats(tun));
	TU_ASSERT_STATS_INVARIANT(tu_stats(tap));
	tu_finish();
}

/* a tiny deterministic generator, so failures replay */
static uint32
next_random(uint32* seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void
test_random_garbage_writes(void** state)
{
	int tun = open_up("tun/0");
	int tap = open_up("tap/0");
	uint32 seed = 4242;
	static uint8 garbage[1600];
	uint64 refused[2] = {0, 0}, accepted[2] = {0, 0}, tunIpv6 = 0;
	for (int i = 0; i < 2000; i++) {
		int kind = i % 2;
		/* short lengths half of the time: the header boundaries are there */
		size_t range = next_random(&seed) % 2 ? 64 : sizeof(garbage);
		size_t length = 1 + next_random(&seed) % range;
		for (size_t b = 0; b < length; b++)
			garbage[b] = (uint8)next_random(&seed);
		ssize_t result = shim_write(kind ? tap : tun, garbage, length);
		/* the contract as an oracle */
		status_t expected = B_OK;
		int version = garbage[0] >> 4;
		if (kind == 1)
			expected = length < 14 || length > 1514 ? B_BAD_VALUE : B_OK;
		else if (length < 20 || length > 1500)
			expected = B_BAD_VALUE;
		else if (version == 6)
			expected = length < 40 ? B_BAD_VALUE : B_OK;
		else if (version != 4)
			expected = B_BAD_DATA;
		if (expected == B_OK) {
			TU_EXPECT(result, length);
			accepted[kind]++;
			if (kind == 0 && version == 6)
				tunIpv6++; /* reaches the stack, which has no IPv6 handler for tunnels */
		} else {
			TU_EXPECT(result, expected);
			refused[kind]++;
		}
	}
	for (int kind = 0; kind < 2; kind++) {
		const char* name = kind ? "tap/0" : "tun/0";
		struct tuntap_stats stats = tu_stats(kind ? tap : tun);
		assert_int_equal(stats.rejected, refused[kind]);
		assert_int_equal(stats.to_stack.enqueued, accepted[kind]);
		TU_ASSERT_STATS_INVARIANT(stats);
		uint64 captured = accepted[kind] - (kind == 0 ? tunIpv6 : 0);
		for (uint64 n = 0; n < captured; n++) {
			uint8 frame[2000];
			assert_true(shim_stack_receive(name, frame, sizeof(frame), TU_SECOND) > 0);
		}
		tu_expect_unhandled(name, kind == 0 ? tunIpv6 : 0);
	}
	assert_true(accepted[0] > 0 && accepted[1] > 0 && refused[0] > 0 && refused[1] > 0);
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_every_ioctl_with_bad_pointers_and_lengths),
		TU_TEST(test_odd_write_sizes),
		TU_TEST(test_tiny_read_buffers),
		TU_TEST(test_read_bad_user_buffer_keeps_packet),
		TU_TEST(test_write_bad_user_buffer_queues_nothing),
		TU_TEST(test_write_failures_unwind),
		TU_TEST(test_random_garbage_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
