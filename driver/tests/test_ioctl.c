/* The control hook: every ioctl of tuntap.h plus FIONREAD and the blocking-mode pair, len 0 and
 * len >= size, short len, bad pointers, unknown codes, value ranges and user-copy faults. */

#include "test_util.h"

#include <net/if.h>

struct ioctl_case {
	uint32 op;
	const char* name;
	size_t size;
	bool in; /* the driver reads the argument */
};

static const struct ioctl_case kIoctls[] = {
	{FIONREAD, "FIONREAD", sizeof(int), false},
	{TUNTAP_GET_NAME, "GET_NAME", TUNTAP_NAME_LENGTH, false},
	{TUNTAP_GET_INFO, "GET_INFO", sizeof(struct tuntap_info), false},
	{TUNTAP_SET_INFO, "SET_INFO", sizeof(struct tuntap_info), true},
	{TUNTAP_GET_MTU, "GET_MTU", sizeof(uint32), false},
	{TUNTAP_SET_MTU, "SET_MTU", sizeof(uint32), true},
	{TUNTAP_GET_HEADER_MODE, "GET_HEADER_MODE", sizeof(uint32), false},
	{TUNTAP_SET_HEADER_MODE, "SET_HEADER_MODE", sizeof(uint32), true},
	{TUNTAP_GET_STATS, "GET_STATS", sizeof(struct tuntap_stats), false},
};
#define IOCTL_COUNT (sizeof(kIoctls) / sizeof(kIoctls[0]))

/* a valid argument for `op` on a TUN unit whose state is the default (MTU 1500) */
static void
valid_argument(int fd, const struct ioctl_case* test, uint8* argument)
{
	memset(argument, 0, 256);
	if (test->op == TUNTAP_SET_INFO) {
		struct tuntap_info info = tu_info(fd);
		memcpy(argument, &info, sizeof(info));
	} else if (test->op == TUNTAP_SET_MTU) {
		uint32 mtu = 1500;
		memcpy(argument, &mtu, sizeof(mtu));
	} else if (test->op == TUNTAP_SET_HEADER_MODE) {
		uint32 mode = TUNTAP_HEADER_NONE;
		memcpy(argument, &mode, sizeof(mode));
	}
}

/* a valid argument that would change the unit's state if the call went through */
static void
changing_argument(int fd, const struct ioctl_case* test, uint8* argument)
{
	valid_argument(fd, test, argument);
	if (test->op == TUNTAP_SET_MTU) {
		uint32 mtu = 1400;
		memcpy(argument, &mtu, sizeof(mtu));
	} else if (test->op == TUNTAP_SET_HEADER_MODE) {
		uint32 mode = TUNTAP_HEADER_AF;
		memcpy(argument, &mode, sizeof(mode));
	} else if (test->op == TUNTAP_SET_INFO) {
		struct tuntap_info info = tu_info(fd);
		info.mtu = 1400;
		info.queue_packets = 3;
		memcpy(argument, &info, sizeof(info));
	}
}

/* the state the SET ioctls change, to prove a failed call changed nothing */
struct unit_state {
	struct tuntap_info info;
	uint32 mtu;
	uint32 header_mode;
};

static struct unit_state
unit_state(int fd)
{
	struct unit_state state;
	state.info = tu_info(fd);
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_MTU, &state.mtu, sizeof(state.mtu), 0));
	TU_OK(shim_ioctl_buf(
		fd, TUNTAP_GET_HEADER_MODE, &state.header_mode, sizeof(state.header_mode), 0));
	return state;
}

static void
expect_unchanged(int fd, const struct unit_state* before, const char* what)
{
	struct unit_state now = unit_state(fd);
	if (memcmp(&now, before, sizeof(now)) != 0)
		fail_msg("%s changed the unit's state", what);
}

static int
open_tun(void)
{
	tu_if_create_ok("tun/0", true);
	return tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
}

static void
test_every_ioctl_with_len_zero_and_exact(void** state)
{
	int fd = open_tun();
	uint8 packet[100];
	tu_ipv4_packet(packet, 100, 1);
	TU_OK(shim_stack_send("tun/0", packet, 100, B_NET_FRAME_TYPE_IPV4));

	for (size_t i = 0; i < IOCTL_COUNT; i++) {
		uint8 zero[256], exact[256];
		valid_argument(fd, &kIoctls[i], zero);
		valid_argument(fd, &kIoctls[i], exact);
		status_t a = shim_ioctl_buf(fd, kIoctls[i].op, zero, kIoctls[i].size, 0);
		status_t b = shim_ioctl_buf(fd, kIoctls[i].op, exact, kIoctls[i].size, kIoctls[i].size);
		if (a != B_OK || b != B_OK) {
			fail_msg("%s: len 0 -> %s, len %zu -> %s", kIoctls[i].name, shim_status_name(a),
				kIoctls[i].size, shim_status_name(b));
		}
		if (!kIoctls[i].in && kIoctls[i].op != TUNTAP_GET_STATS)
			assert_memory_equal(zero, exact, kIoctls[i].size);
	}
	/* FIONREAD and GET_NAME values through both forms */
	int available = 0;
	TU_OK(shim_ioctl_buf(fd, FIONREAD, &available, sizeof(available), 0));
	assert_int_equal(available, 100);
	char name[TUNTAP_NAME_LENGTH] = "";
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_NAME, name, sizeof(name), 0));
	assert_string_equal(name, "tun/0");
	tu_finish();
}

static void
test_short_len_is_bad_value_and_long_len_ok(void** state)
{
	int fd = open_tun();
	struct unit_state before = unit_state(fd);
	for (size_t i = 0; i < IOCTL_COUNT; i++) {
		uint8 argument[512];
		size_t shortLengths[] = {1, kIoctls[i].size - 1};
		for (int s = 0; s < 2; s++) {
			changing_argument(fd, &kIoctls[i], argument);
			status_t status =
				shim_ioctl_buf(fd, kIoctls[i].op, argument, kIoctls[i].size, shortLengths[s]);
			if (status != B_BAD_VALUE) {
				fail_msg("%s with len %zu: %s, expected B_BAD_VALUE", kIoctls[i].name,
					shortLengths[s], shim_status_name(status));
			}
			expect_unchanged(fd, &before, kIoctls[i].name);
		}
		valid_argument(fd, &kIoctls[i], argument);
		status_t status = shim_ioctl_buf(fd, kIoctls[i].op, argument, 512, 512);
		if (status != B_OK)
			fail_msg("%s with len 512: %s", kIoctls[i].name, shim_status_name(status));
	}
	tu_finish();
}

static void
test_null_and_bad_pointers_are_bad_address(void** state)
{
	int fd = open_tun();
	struct unit_state before = unit_state(fd);
	for (size_t i = 0; i < IOCTL_COUNT; i++) {
		size_t size = kIoctls[i].size;
		void* pointers[] = {NULL, shim_user_bad_address(), shim_user_straddle_end(size)};
		const char* kinds[] = {"NULL", "bad address", "straddling the arena's end"};
		for (int p = 0; p < 3; p++) {
			for (int withLength = 0; withLength < 2; withLength++) {
				status_t status = shim_ioctl(fd, kIoctls[i].op, pointers[p], withLength ? size : 0);
				if (status != B_BAD_ADDRESS) {
					fail_msg("%s with a %s pointer (len %zu): %s, expected B_BAD_ADDRESS",
						kIoctls[i].name, kinds[p], withLength ? size : 0, shim_status_name(status));
				}
			}
		}
		expect_unchanged(fd, &before, kIoctls[i].name);
	}
	/* the blocking-mode pair takes no argument: any pointer is fine */
	TU_OK(shim_ioctl(fd, B_SET_NONBLOCKING_IO, NULL, 0));
	TU_OK(shim_ioctl(fd, B_SET_BLOCKING_IO, shim_user_bad_address(), 4));
	tu_finish();
}

static void
test_kernel_pointers_work_as_in_haiku(void** state)
{
	/* user_memcpy accepts kernel addresses (the stack may call with them); the low page not */
	int fd = open_tun();
	uint32 mtu = 0;
	TU_OK(shim_ioctl(fd, TUNTAP_GET_MTU, &mtu, sizeof(mtu)));
	assert_int_equal(mtu, 1500);
	mtu = 1280;
	TU_OK(shim_ioctl(fd, TUNTAP_SET_MTU, &mtu, 0));
	assert_int_equal(tu_info(fd).mtu, 1280);
	struct tuntap_stats stats;
	memset(&stats, 0xa5, sizeof(stats));
	TU_OK(shim_ioctl(fd, TUNTAP_GET_STATS, &stats, sizeof(stats)));
	assert_int_equal(stats.to_app.enqueued, 0);
	assert_int_equal(stats.rejected, 0);
	char name[TUNTAP_NAME_LENGTH];
	TU_OK(shim_ioctl(fd, TUNTAP_GET_NAME, name, 0));
	assert_string_equal(name, "tun/0");
	TU_EXPECT(shim_ioctl(fd, TUNTAP_GET_MTU, (void*)(uintptr_t)0x1000, 4), B_BAD_ADDRESS);
	TU_EXPECT(shim_ioctl(fd, TUNTAP_SET_MTU, (void*)(uintptr_t)0x10, 4), B_BAD_ADDRESS);
	assert_int_equal(tu_info(fd).mtu, 1280);
	tu_finish();
}

/* unknown codes: the hook says B_DEV_INVALID_IOCTL, which Haiku's fd layer hands to user space as
 * ENOTTY (fd.cpp, fd_ioctl) */
static void
test_unknown_codes_are_enotty(void** state)
{
	int fd = open_tun();
	static const uint32 codes[] = {0, B_GET_DEVICE_SIZE, B_GET_GEOMETRY, B_GET_PATH_FOR_DEVICE,
		B_DEVICE_OP_CODES_END, TUNTAP_IOCTL_BASE - 1, TUNTAP_IOCTL_LAST + 1,
		TUNTAP_IOCTL_LAST + 0x100, FIONREAD + 1, 0x7fffffff, 0x80000000, 0xffffffff};
	struct unit_state before = unit_state(fd);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint8 argument[64];
		memset(argument, 0, sizeof(argument));
		status_t a = shim_ioctl_buf(fd, codes[i], argument, sizeof(argument), 0);
		status_t b = shim_ioctl_buf(fd, codes[i], argument, sizeof(argument), sizeof(argument));
		status_t c = shim_ioctl(fd, codes[i], NULL, 0);
		if (a != SHIM_ENOTTY || b != SHIM_ENOTTY || c != SHIM_ENOTTY) {
			fail_msg("op %#x: %s / %s / %s, expected ENOTTY", codes[i], shim_status_name(a),
				shim_status_name(b), shim_status_name(c));
		}
	}
	expect_unchanged(fd, &before, "unknown codes");

	/* the hook itself, called as devfs would */
	tu_if_create_ok("tun/7", false);
	void* cookie = NULL;
	TU_OK(gTuntapDeviceHooks.open("tun/7", SHIM_O_RDWR, &cookie));
	TU_EXPECT(
		gTuntapDeviceHooks.control(cookie, TUNTAP_IOCTL_LAST + 1, NULL, 0), B_DEV_INVALID_IOCTL);
	TU_OK(gTuntapDeviceHooks.close(cookie));
	TU_OK(gTuntapDeviceHooks.free(cookie));
	tu_finish();
}

static void
test_set_mtu_range(void** state)
{
	int fd = open_tun();
	static const uint32 good[] = {TUNTAP_MIN_MTU, 1280, TUNTAP_MAX_MTU, 1500};
	static const uint32 bad[] = {0, 1, TUNTAP_MIN_MTU - 1, TUNTAP_MAX_MTU + 1, 65536, 0xffffffff};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint32 mtu = good[i], got = 0;
		TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_MTU, &mtu, sizeof(mtu), sizeof(mtu)));
		TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_MTU, &got, sizeof(got), sizeof(got)));
		assert_int_equal(got, good[i]);
		assert_int_equal(tu_info(fd).mtu, good[i]);
		struct shim_if_info interface;
		TU_OK(shim_if_info("tun/0", &interface));
		assert_int_equal(interface.mtu, good[i]);
	}
	struct unit_state before = unit_state(fd);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32 mtu = bad[i];
		status_t status = shim_ioctl_buf(fd, TUNTAP_SET_MTU, &mtu, sizeof(mtu), 0);
		if (status != B_BAD_VALUE)
			fail_msg("SET_MTU %u: %s, expected B_BAD_VALUE", bad[i], shim_status_name(status));
		expect_unchanged(fd, &before, "a refused SET_MTU");
	}
	tu_finish();
}

static void
test_get_info_defaults(void** state)
{
	tu_if_create_ok("tap/12", false);
	tu_if_create_ok("tun/3", false);
	int tap = tu_open_ok("/dev/tap/12", SHIM_O_RDWR);
	int tun = tu_open_ok("/dev/tun/3", SHIM_O_RDWR);
	struct tuntap_info info = tu_info(tap);
	struct shim_if_info interface;
	TU_OK(shim_if_info("tap/12", &interface));
	assert_int_equal(info.mode, TUNTAP_MODE_TAP);
	assert_int_equal(info.unit, 12);
	assert_int_equal(info.mtu, TUNTAP_DEFAULT_MTU);
	assert_int_equal(info.header_mode, TUNTAP_HEADER_NONE);
	assert_int_equal(info.queue_packets, TUNTAP_DEFAULT_QUEUE_PACKETS);
	assert_int_equal(info.queue_bytes, TUNTAP_DEFAULT_QUEUE_BYTES);
	assert_memory_equal(info.hwaddr, interface.hwaddr, 6);
	assert_memory_not_equal(info.hwaddr, tu_zero_mac, 6);
	assert_int_equal(info.hwaddr[0] & 1, 0); /* unicast */
	assert_int_equal(info.flags, interface.flags);
	assert_int_equal(info.flags & IFF_UP, 0);
	TU_OK(shim_if_up("tap/12"));
	info = tu_info(tap);
	TU_OK(shim_if_info("tap/12", &interface));
	assert_int_equal(info.flags, interface.flags);
	assert_int_not_equal(info.flags & IFF_UP, 0);

	info = tu_info(tun);
	assert_int_equal(info.mode, TUNTAP_MODE_TUN);
	assert_int_equal(info.unit, 3);
	assert_int_equal(info.mtu, 1500);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(tun, name);
	assert_string_equal(name, "tun/3");
	tu_get_name(tap, name);
	assert_string_equal(name, "tap/12");
	tu_finish();
}

static void
test_set_info_applies_limits_and_refuses_bad_values(void** state)
{
	int fd = open_tun();
	struct tuntap_info info = tu_info(fd);
	info.mtu = 1400;
	info.queue_packets = 2;
	info.queue_bytes = 4000;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), 0));
	struct tuntap_info now = tu_info(fd);
	assert_int_equal(now.mtu, 1400);
	assert_int_equal(now.queue_packets, 2);
	assert_int_equal(now.queue_bytes, 4000);
	assert_int_equal(now.mode, TUNTAP_MODE_TUN);
	assert_int_equal(now.unit, 0);

	/* the packet limit is in force: the third packet to the application is tail-dropped */
	uint8 packet[100];
	for (uint32 i = 0; i < 3; i++) {
		tu_ipv4_packet(packet, sizeof(packet), i);
		TU_EXPECT(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4),
			i < 2 ? B_OK : B_WOULD_BLOCK);
	}
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.queued, 2);
	assert_int_equal(stats.to_app.dropped, 1);
	TU_ASSERT_STATS_INVARIANT(stats);

	/* the largest limits are taken (4096 packets, 16 MiB), one more of either is not */
	struct tuntap_info largest = tu_info(fd);
	largest.queue_packets = 4096;
	largest.queue_bytes = 16 * 1024 * 1024;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &largest, sizeof(largest), 0));
	now = tu_info(fd);
	assert_int_equal(now.queue_packets, 4096);
	assert_int_equal(now.queue_bytes, 16 * 1024 * 1024);
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), 0));

	struct unit_state before = unit_state(fd);
	struct {
		uint32 mtu, packets, bytes;
	} bad[] = {
		{1400, 2, 16 * 1024 * 1024 + 1},
		{1400, 0, 4000},
		{1400, 4097, 4000},
		{1400, 2, 1399},
		{67, 2, 4000},
		{16385, 2, 1 << 20},
		{1400, 0xffffffff, 4000},
		{16384, 2, 16383},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tuntap_info attempt = tu_info(fd);
		attempt.mtu = bad[i].mtu;
		attempt.queue_packets = bad[i].packets;
		attempt.queue_bytes = bad[i].bytes;
		status_t status =
			shim_ioctl_buf(fd, TUNTAP_SET_INFO, &attempt, sizeof(attempt), sizeof(attempt));
		if (status != B_BAD_VALUE) {
			fail_msg("SET_INFO mtu %u packets %u bytes %u: %s, expected B_BAD_VALUE", bad[i].mtu,
				bad[i].packets, bad[i].bytes, shim_status_name(status));
		}
		expect_unchanged(fd, &before, "a refused SET_INFO");
	}

	/* read-only fields are not changed by SET_INFO */
	struct tuntap_info attempt = tu_info(fd);
	attempt.mode = TUNTAP_MODE_TAP;
	attempt.unit = 77;
	attempt.header_mode = TUNTAP_HEADER_AF;
	attempt.flags = 0xffff;
	memset(attempt.hwaddr, 0x42, sizeof(attempt.hwaddr));
	status_t status = shim_ioctl_buf(fd, TUNTAP_SET_INFO, &attempt, sizeof(attempt), 0);
	assert_true(status == B_OK || status == B_BAD_VALUE);
	now = tu_info(fd);
	assert_int_equal(now.mode, TUNTAP_MODE_TUN);
	assert_int_equal(now.unit, 0);
	assert_int_equal(now.header_mode, TUNTAP_HEADER_NONE);
	assert_int_equal(now.flags, before.info.flags);
	assert_memory_equal(now.hwaddr, before.info.hwaddr, 6);
	tu_finish();
}

static void
test_header_mode_tun_only(void** state)
{
	tu_if_create_ok("tun/0", false);
	tu_if_create_ok("tap/0", false);
	int tun = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	int tap = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	uint32 mode = TUNTAP_HEADER_AF;
	TU_OK(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), sizeof(mode)));
	assert_int_equal(tu_info(tun).header_mode, TUNTAP_HEADER_AF);
	mode = 2;
	TU_EXPECT(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0), B_BAD_VALUE);
	mode = 0xffffffff;
	TU_EXPECT(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0), B_BAD_VALUE);
	assert_int_equal(tu_info(tun).header_mode, TUNTAP_HEADER_AF);
	mode = TUNTAP_HEADER_NONE;
	TU_OK(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0));
	assert_int_equal(tu_info(tun).header_mode, TUNTAP_HEADER_NONE);

	/* the prefix needs room in the byte limit beside a whole MTU: exactly enough is enough */
	struct tuntap_info info = tu_info(tun);
	tu_set_queue_limits(tun, info.queue_packets, info.mtu + 4);
	mode = TUNTAP_HEADER_AF;
	TU_OK(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0));
	assert_int_equal(tu_info(tun).header_mode, TUNTAP_HEADER_AF);
	mode = TUNTAP_HEADER_NONE;
	TU_OK(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0));
	tu_set_queue_limits(tun, info.queue_packets, info.mtu + 3);
	mode = TUNTAP_HEADER_AF;
	TU_EXPECT(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0), B_BAD_VALUE);
	assert_int_equal(tu_info(tun).header_mode, TUNTAP_HEADER_NONE);

	TU_EXPECT(shim_ioctl_buf(tap, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0), B_NOT_SUPPORTED);
	uint32 got = 0xffff;
	TU_OK(shim_ioctl_buf(tap, TUNTAP_GET_HEADER_MODE, &got, sizeof(got), 0));
	assert_int_equal(got, TUNTAP_HEADER_NONE);
	tu_finish();
}

/* a smaller MTU and a byte limit below the old MTU + header but holding the new one, in one
 * SET_INFO: the MTU goes first, so the limit is never below the MTU in force (TAP: header 14) */
static void
test_set_info_lowers_mtu_before_the_byte_limit(void** state)
{
	tu_if_create_ok("tap/0", false);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	struct tuntap_info info = tu_info(fd);
	assert_int_equal(info.mtu, 1500);
	info.mtu = 1000;
	info.queue_bytes = 1500 + 14 - 1;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), 0));
	struct tuntap_info now = tu_info(fd);
	assert_int_equal(now.mtu, 1000);
	assert_int_equal(now.queue_bytes, 1500 + 14 - 1);

	/* a byte limit one short of the new MTU + header: refused as a whole, the MTU unchanged */
	info.mtu = 900;
	info.queue_bytes = 900 + 14 - 1;
	TU_EXPECT(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), 0), B_BAD_VALUE);
	now = tu_info(fd);
	assert_int_equal(now.mtu, 1000);
	assert_int_equal(now.queue_bytes, 1500 + 14 - 1);
	tu_finish();
}

/* the stack's per-device control hook takes no request (the stack answers its own ioctls) */
static void
test_device_control_hook_refuses_every_op(void** state)
{
	tu_if_create_ok("tun/0", false);
	tuntap_unit* unit = tuntap_unit_get("tun/0");
	assert_non_null(unit);
	static const int32 kOps[] = {0, 1, 0x6900, INT32_MAX, -1};
	uint32 argument = 0;
	for (size_t i = 0; i < sizeof(kOps) / sizeof(kOps[0]); i++)
		TU_EXPECT(gTuntapModule.device.control(&unit->device, kOps[i], &argument, sizeof(argument)),
			B_BAD_VALUE);
	tuntap_unit_put(unit);
	tu_finish();
}

static void
test_blocking_mode_ioctls(void** state)
{
	int fd = open_tun();
	uint8 buffer[100];
	TU_OK(shim_ioctl(fd, B_SET_NONBLOCKING_IO, NULL, 0));
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	TU_OK(shim_ioctl(fd, B_SET_BLOCKING_IO, NULL, 0));

	/* blocking again: a reader waits until a packet comes */
	struct tu_call* reader = tu_start_read(fd, sizeof(buffer));
	tu_wait_blocked(reader);
	tu_ipv4_packet(buffer, 60, 1);
	TU_OK(shim_stack_send("tun/0", buffer, 60, B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(tu_join(reader), 60);
	assert_memory_equal(reader->buffer, buffer, 60);

	/* fcntl(F_SETFL) and FIONBIO arrive the same way */
	TU_OK(shim_fionbio(fd, true));
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	TU_OK(shim_fionbio(fd, false));
	TU_OK(shim_set_nonblocking(fd, true));
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_WOULD_BLOCK);
	TU_OK(shim_set_nonblocking(fd, false));
	reader = tu_start_read(fd, sizeof(buffer));
	tu_wait_blocked(reader);
	TU_OK(shim_stack_send("tun/0", buffer, 60, B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(tu_join(reader), 60);
	tu_finish();
}

static void
test_user_copy_fault_changes_nothing(void** state)
{
	int fd = open_tun();
	struct unit_state before = unit_state(fd);
	int64 injected = 0;
	for (size_t i = 0; i < IOCTL_COUNT; i++) {
		uint8 argument[256];
		changing_argument(fd, &kIoctls[i], argument);
		for (int withLength = 0; withLength < 2; withLength++) {
			shim_fault_clear();
			shim_fault_fail_nth(SHIM_FAULT_USER_COPY, 1, false);
			status_t status = shim_ioctl_buf(
				fd, kIoctls[i].op, argument, kIoctls[i].size, withLength ? kIoctls[i].size : 0);
			injected += shim_fault_injected(SHIM_FAULT_USER_COPY);
			shim_fault_clear();
			if (status != B_BAD_ADDRESS) {
				fail_msg("%s with a failing user_memcpy: %s, expected B_BAD_ADDRESS",
					kIoctls[i].name, shim_status_name(status));
			}
			expect_unchanged(fd, &before, kIoctls[i].name);
		}
	}
	assert_int_equal(injected, 2 * IOCTL_COUNT);
	tu_finish();
}

static void
test_fionread_follows_the_head_packet(void** state)
{
	int fd = open_tun();
	TU_EXPECT(tu_fionread(fd), 0);
	uint8 packet[1500];
	tu_ipv4_packet(packet, 1500, 1);
	TU_OK(shim_stack_send("tun/0", packet, 1500, B_NET_FRAME_TYPE_IPV4));
	tu_ipv6_packet(packet, 77, 2);
	TU_OK(shim_stack_send("tun/0", packet, 77, B_NET_FRAME_TYPE_IPV6));
	TU_EXPECT(tu_fionread(fd), 1500);
	TU_EXPECT(shim_read(fd, packet, sizeof(packet)), 1500);
	TU_EXPECT(tu_fionread(fd), 77);
	TU_EXPECT(shim_read(fd, packet, sizeof(packet)), 77);
	TU_EXPECT(tu_fionread(fd), 0);
	tu_finish();
}

static void
test_stale_descriptor_ioctls_are_device_not_found(void** state)
{
	int fd = open_tun();
	TU_OK(tu_if_delete("tun/0"));
	for (size_t i = 0; i < IOCTL_COUNT; i++) {
		uint8 argument[256];
		memset(argument, 0, sizeof(argument));
		status_t a = shim_ioctl_buf(fd, kIoctls[i].op, argument, kIoctls[i].size, 0);
		status_t b = shim_ioctl_buf(fd, kIoctls[i].op, argument, kIoctls[i].size, kIoctls[i].size);
		if (a != B_DEVICE_NOT_FOUND || b != B_DEVICE_NOT_FOUND) {
			fail_msg("%s on a stale descriptor: %s / %s, expected B_DEVICE_NOT_FOUND",
				kIoctls[i].name, shim_status_name(a), shim_status_name(b));
		}
	}
	TU_OK(shim_ioctl(fd, B_SET_NONBLOCKING_IO, NULL, 0));
	TU_OK(shim_ioctl(fd, B_SET_BLOCKING_IO, NULL, 0));
	TU_OK(tu_close(fd));
	tu_finish();
}

/* Every byte of a get's output is the driver's own: the name NUL-padded to its length, the info's
 * reserved bytes (and a TUN unit's hwaddr) zero. A byte the driver never wrote would be a leak of
 * kernel memory, which the shim's copy-out check also panics on (kern_leak.c). */
static void
test_get_outputs_hold_no_kernel_bytes(void** state)
{
	tu_if_create_ok("tun/3", false);
	tu_if_create_ok("tap/12", true);
	const char* const paths[] = {"/dev/tun/3", "/dev/tap/12"};
	const char* const names[] = {"tun/3", "tap/12"};
	for (int unit = 0; unit < 2; unit++) {
		int fd = tu_open_ok(paths[unit], SHIM_O_RDWR);
		for (size_t i = 0; i < IOCTL_COUNT; i++) {
			if (kIoctls[i].in)
				continue;
			uint8 output[256];
			memset(output, 0x5c, sizeof(output));
			TU_OK(shim_ioctl_buf(fd, kIoctls[i].op, output, kIoctls[i].size, 0));
			assert_int_equal(output[kIoctls[i].size], 0x5c); /* nothing beyond it */
		}
		char name[TUNTAP_NAME_LENGTH];
		tu_get_name(fd, name);
		char expected[TUNTAP_NAME_LENGTH] = {0};
		strcpy(expected, names[unit]);
		assert_memory_equal(name, expected, sizeof(name));
		struct tuntap_info info = tu_info(fd);
		const uint8 zero[6] = {0};
		assert_memory_equal(info.reserved, zero, sizeof(info.reserved));
		if (unit == 0)
			assert_memory_equal(info.hwaddr, zero, sizeof(info.hwaddr));
		TU_OK(tu_close(fd));
	}
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_every_ioctl_with_len_zero_and_exact),
		TU_TEST(test_short_len_is_bad_value_and_long_len_ok),
		TU_TEST(test_null_and_bad_pointers_are_bad_address),
		TU_TEST(test_kernel_pointers_work_as_in_haiku),
		TU_TEST(test_unknown_codes_are_enotty),
		TU_TEST(test_set_mtu_range),
		TU_TEST(test_get_info_defaults),
		TU_TEST(test_set_info_applies_limits_and_refuses_bad_values),
		TU_TEST(test_header_mode_tun_only),
		TU_TEST(test_set_info_lowers_mtu_before_the_byte_limit),
		TU_TEST(test_device_control_hook_refuses_every_op),
		TU_TEST(test_blocking_mode_ioctls),
		TU_TEST(test_user_copy_fault_changes_nothing),
		TU_TEST(test_fionread_follows_the_head_packet),
		TU_TEST(test_stale_descriptor_ioctls_are_device_not_found),
		TU_TEST(test_get_outputs_hold_no_kernel_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
