/* Frame rules: TUN carries raw IPv4/IPv6 (and the AF prefix in header mode), TAP Ethernet frames;
 * write length bounds checked before any allocation; short reads truncate and are counted. */

#include "test_util.h"

#include <sys/socket.h>

#include "tuntap_private.h"

static int
open_up(const char* name)
{
	char path[64];
	tu_if_create_ok(name, true);
	snprintf(path, sizeof(path), "/dev/%s", name);
	return tu_open_ok(path, SHIM_O_RDWR);
}

/* a write refused with `expected`: counted as rejected, nothing allocated, nothing queued */
static void
expect_write_refused(int fd, const char* name, const void* data, size_t length, status_t expected)
{
	struct tuntap_stats before = tu_stats(fd);
	struct shim_objects objects, after;
	tu_objects(&objects);
	shim_fault_clear();
	TU_EXPECT(shim_write(fd, data, length), expected);
	TU_EXPECT(shim_fault_calls(SHIM_FAULT_ALLOC), 0);
	TU_EXPECT(shim_fault_calls(SHIM_FAULT_NET_BUFFER), 0);
	tu_objects(&after);
	assert_int_equal(after.allocations, objects.allocations);
	assert_int_equal(after.net_buffers, objects.net_buffers);
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.rejected, before.rejected + 1);
	assert_int_equal(stats.to_stack.enqueued, before.to_stack.enqueued);
	TU_ASSERT_STATS_INVARIANT(stats);
	uint8 frame[16];
	TU_EXPECT(shim_stack_receive(name, frame, sizeof(frame), 20000), B_TIMED_OUT);
}

static void
test_tun_ipv4_both_ways(void** state)
{
	int fd = open_up("tun/0");
	uint8 packet[1500];
	for (uint32 i = 0; i < 3; i++) {
		size_t length = tu_ipv4_packet(packet, 20 + i * 700, i);
		TU_EXPECT(shim_write(fd, packet, length), length);
		tu_expect_stack_frame("tun/0", packet, length);

		length = tu_ipv4_packet(packet, 1500 - i * 600, 100 + i);
		TU_OK(shim_stack_send("tun/0", packet, length, B_NET_FRAME_TYPE_IPV4));
		TU_EXPECT(tu_fionread(fd), length);
		tu_expect_read(fd, packet, length);
	}
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_stack.dequeued, 3);
	assert_int_equal(stats.to_app.dequeued, 3);
	assert_int_equal(stats.rejected, 0);
	assert_int_equal(stats.truncated, 0);
	TU_ASSERT_STATS_INVARIANT(stats);
	tu_finish();
}

static void
test_tun_ipv6_both_ways(void** state)
{
	int fd = open_up("tun/1");
	uint8 packet[1500];
	size_t length = tu_ipv6_packet(packet, 40, 1);
	TU_EXPECT(shim_write(fd, packet, length), length);
	tu_expect_stack_frame("tun/1", packet, length);
	length = tu_ipv6_packet(packet, 1500, 2);
	TU_EXPECT(shim_write(fd, packet, length), length);
	tu_expect_stack_frame("tun/1", packet, length);

	length = tu_ipv6_packet(packet, 1280, 3);
	TU_OK(shim_stack_send("tun/1", packet, length, B_NET_FRAME_TYPE_IPV6));
	tu_expect_read(fd, packet, length);
	tu_finish();
}

/* the frame type the stack gets: receive_data called directly, with no stack reader running */
static void
test_tun_write_sets_frame_type(void** state)
{
	tu_if_create_ok("tun/0", false);
	tuntap_unit* unit = tuntap_unit_get("tun/0");
	assert_non_null(unit);
	TU_OK(gTuntapModule.device.up(&unit->device));
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);

	uint8 packet[200], got[200];
	for (int version = 4; version <= 6; version += 2) {
		size_t length =
			version == 4 ? tu_ipv4_packet(packet, 100, 7) : tu_ipv6_packet(packet, 200, 8);
		TU_EXPECT(shim_write(fd, packet, length), length);
		net_buffer* buffer = NULL;
		TU_OK(gTuntapModule.device.receive_data(&unit->device, &buffer));
		assert_non_null(buffer);
		assert_int_equal(
			buffer->type, version == 4 ? B_NET_FRAME_TYPE_IPV4 : B_NET_FRAME_TYPE_IPV6);
		assert_int_equal(buffer->size, length);
		TU_OK(gBufferModule->read(buffer, 0, got, length));
		assert_memory_equal(got, packet, length);
		gBufferModule->free(buffer);
	}
	gTuntapModule.device.down(&unit->device);
	tuntap_unit_put(unit);
	tu_finish();
}

static void
test_check_write_header_types(void** state)
{
	tuntap_unit unit;
	memset(&unit, 0, sizeof(unit));
	unit.flavor = tu_flavor(TUNTAP_MODE_TUN);
	unit.device.mtu = 1500;
	uint8 packet[64];
	int32 type = -1;
	size_t skip = 99;

	tu_ipv4_packet(packet, 64, 1);
	TU_OK(tuntap_check_write_header(&unit, packet, 8, 64, &type, &skip));
	assert_int_equal(type, B_NET_FRAME_TYPE_IPV4);
	assert_int_equal(skip, 0);
	tu_ipv6_packet(packet, 64, 1);
	TU_OK(tuntap_check_write_header(&unit, packet, 8, 64, &type, &skip));
	assert_int_equal(type, B_NET_FRAME_TYPE_IPV6);
	packet[0] = 0x50;
	TU_EXPECT(tuntap_check_write_header(&unit, packet, 8, 64, &type, &skip), B_BAD_DATA);
	TU_EXPECT(tuntap_check_write_length(&unit, 19), B_BAD_VALUE);
	TU_OK(tuntap_check_write_length(&unit, 20));
	TU_OK(tuntap_check_write_length(&unit, 1500));
	TU_EXPECT(tuntap_check_write_length(&unit, 1501), B_BAD_VALUE);

	unit.header_mode = TUNTAP_HEADER_AF;
	tu_put_be32(packet, AF_INET6);
	tu_ipv6_packet(packet + 4, 60, 2);
	TU_OK(tuntap_check_write_header(&unit, packet, 8, 64, &type, &skip));
	assert_int_equal(type, B_NET_FRAME_TYPE_IPV6);
	assert_int_equal(skip, 4);
	tu_put_be32(packet, AF_INET);
	TU_EXPECT(tuntap_check_write_header(&unit, packet, 8, 64, &type, &skip), B_BAD_DATA);

	unit.flavor = tu_flavor(TUNTAP_MODE_TAP);
	unit.header_mode = TUNTAP_HEADER_NONE;
	assert_int_equal(tuntap_header_length(&unit), 14);
	assert_int_equal(tuntap_max_write(&unit), 1514);
	TU_OK(tuntap_check_write_length(&unit, 1514));
	TU_EXPECT(tuntap_check_write_length(&unit, 1515), B_BAD_VALUE);
	TU_EXPECT(tuntap_check_write_length(&unit, 0), B_BAD_VALUE);
	tu_finish();
}

static void
test_tun_rejects_non_ip_before_allocation(void** state)
{
	int fd = open_up("tun/0");
	uint8 packet[100];
	static const uint8 firstBytes[] = {0x00, 0x15, 0x35, 0x55, 0x75, 0x85, 0xf5, 0xff};
	for (size_t i = 0; i < sizeof(firstBytes); i++) {
		tu_ipv4_packet(packet, sizeof(packet), (uint32)i);
		packet[0] = firstBytes[i];
		TU_AT(expect_write_refused(fd, "tun/0", packet, sizeof(packet), B_BAD_DATA));
	}
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.rejected, sizeof(firstBytes));
	assert_int_equal(stats.to_stack.enqueued, 0);

	/* the descriptor still works */
	tu_ipv4_packet(packet, sizeof(packet), 50);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	tu_expect_stack_frame("tun/0", packet, sizeof(packet));
	tu_finish();
}

static void
test_tun_minimum_lengths(void** state)
{
	/* shorter than the smallest IPv4 (20) or IPv6 (40) header, plus the AF prefix: too short */
	int fd = open_up("tun/0");
	uint8 packet[64];
	memset(packet, 0, sizeof(packet));
	TU_AT(expect_write_refused(fd, "tun/0", packet, 1, B_BAD_VALUE));
	packet[0] = 0x45;
	TU_AT(expect_write_refused(fd, "tun/0", packet, 1, B_BAD_VALUE));
	tu_ipv4_packet(packet, 20, 1);
	TU_AT(expect_write_refused(fd, "tun/0", packet, 19, B_BAD_VALUE));
	TU_EXPECT(shim_write(fd, packet, 20), 20);
	tu_expect_stack_frame("tun/0", packet, 20);
	tu_ipv6_packet(packet, 40, 2);
	TU_AT(expect_write_refused(fd, "tun/0", packet, 20, B_BAD_VALUE));
	TU_AT(expect_write_refused(fd, "tun/0", packet, 39, B_BAD_VALUE));
	TU_EXPECT(shim_write(fd, packet, 40), 40);
	tu_expect_stack_frame("tun/0", packet, 40);

	uint32 mode = TUNTAP_HEADER_AF;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0));
	tu_put_be32(packet, AF_INET);
	tu_ipv4_packet(packet + 4, 20, 3);
	TU_AT(expect_write_refused(fd, "tun/0", packet, 4, B_BAD_VALUE));
	TU_AT(expect_write_refused(fd, "tun/0", packet, 23, B_BAD_VALUE));
	TU_EXPECT(shim_write(fd, packet, 24), 24);
	tu_expect_stack_frame("tun/0", packet + 4, 20);
	tu_put_be32(packet, AF_INET6);
	tu_ipv6_packet(packet + 4, 40, 4);
	TU_AT(expect_write_refused(fd, "tun/0", packet, 43, B_BAD_VALUE));
	TU_EXPECT(shim_write(fd, packet, 44), 44);
	tu_expect_stack_frame("tun/0", packet + 4, 40);
	assert_int_equal(tu_stats(fd).rejected, 8);
	tu_finish();
}

static void
test_tun_header_mode_af_both_ways(void** state)
{
	int fd = open_up("tun/0");
	uint32 mode = 0xffff;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_HEADER_MODE, &mode, sizeof(mode), sizeof(mode)));
	assert_int_equal(mode, TUNTAP_HEADER_NONE);
	mode = TUNTAP_HEADER_AF;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), sizeof(mode)));
	mode = 0xffff;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_HEADER_MODE, &mode, sizeof(mode), 0));
	assert_int_equal(mode, TUNTAP_HEADER_AF);

	uint8 framed[1504];
	/* application -> stack: the prefix is removed */
	tu_put_be32(framed, AF_INET);
	size_t length = tu_ipv4_packet(framed + 4, 300, 1);
	TU_EXPECT(shim_write(fd, framed, length + 4), length + 4);
	tu_expect_stack_frame("tun/0", framed + 4, length);
	tu_put_be32(framed, AF_INET6);
	length = tu_ipv6_packet(framed + 4, 1500, 2);
	TU_EXPECT(shim_write(fd, framed, length + 4), length + 4);
	tu_expect_stack_frame("tun/0", framed + 4, length);

	/* stack -> application: the prefix is added */
	length = tu_ipv4_packet(framed + 4, 1500, 3);
	tu_put_be32(framed, AF_INET);
	TU_OK(shim_stack_send("tun/0", framed + 4, length, B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(tu_fionread(fd), length + 4); /* what the next read returns */
	tu_expect_read(fd, framed, length + 4);
	/* a buffer shorter than the prefix gets the prefix's first bytes, written over what was there
	 */
	void* user = shim_user_alloc(3);
	for (size_t size = 1; size <= 3; size++) {
		uint8 got[3] = {0xff, 0xff, 0xff};
		shim_user_put(user, got, sizeof(got));
		TU_OK(shim_stack_send("tun/0", framed + 4, length, B_NET_FRAME_TYPE_IPV4));
		TU_EXPECT(shim_read_user(fd, user, size), size);
		shim_user_get(got, user, sizeof(got));
		assert_memory_equal(got, framed, size);
		assert_int_equal(got[2], size < 3 ? 0xff : framed[2]);
	}
	shim_user_free(user);
	length = tu_ipv6_packet(framed + 4, 100, 4);
	tu_put_be32(framed, AF_INET6);
	TU_OK(shim_stack_send("tun/0", framed + 4, length, B_NET_FRAME_TYPE_IPV6));
	tu_expect_read(fd, framed, length + 4);

	/* the prefix must match the packet; MTU + 4 is the limit */
	tu_put_be32(framed, AF_INET6);
	tu_ipv4_packet(framed + 4, 100, 5);
	TU_AT(expect_write_refused(fd, "tun/0", framed, 104, B_BAD_DATA));
	tu_put_be32(framed, AF_INET);
	tu_ipv6_packet(framed + 4, 100, 6);
	TU_AT(expect_write_refused(fd, "tun/0", framed, 104, B_BAD_DATA));
	tu_put_be32(framed, 0x00000002);
	tu_ipv4_packet(framed + 4, 100, 7);
	TU_AT(expect_write_refused(fd, "tun/0", framed, 104, B_BAD_DATA));
	/* every bit of the prefix counts: AF_INET with the top bit of any one byte set is no family */
	for (int i = 0; i < 4; i++) {
		tu_put_be32(framed, AF_INET);
		framed[i] ^= 0x80;
		tu_ipv4_packet(framed + 4, 100, 8);
		TU_AT(expect_write_refused(fd, "tun/0", framed, 104, B_BAD_DATA));
	}
	uint8 big[1505];
	tu_put_be32(big, AF_INET);
	tu_ipv4_packet(big + 4, 1500, 8);
	TU_EXPECT(shim_write(fd, big, 1504), 1504);
	tu_expect_stack_frame("tun/0", big + 4, 1500);
	TU_AT(expect_write_refused(fd, "tun/0", big, 1505, B_BAD_VALUE));
	tu_finish();
}

/* A write copies each user byte in once: a second copy of bytes already
 * checked is a double fetch, which the shim's user memory panics on (kern_fetch.c). The packet
 * still arrives whole across the seam between the checked head and the rest, AF prefix or not. */
static void
test_write_fetches_each_user_byte_once(void** state)
{
	int tun = open_up("tun/0");
	int tap = open_up("tap/0");
	uint8 packet[1514];
	static const size_t tunLengths[] = {20, 21, 40, 1500};
	for (size_t i = 0; i < sizeof(tunLengths) / sizeof(tunLengths[0]); i++) {
		size_t length = tunLengths[i] < 40 ? tu_ipv4_packet(packet, tunLengths[i], (uint32)i)
										   : tu_ipv6_packet(packet, tunLengths[i], (uint32)i);
		TU_EXPECT(shim_write(tun, packet, length), length);
		tu_expect_stack_frame("tun/0", packet, length);
	}
	uint32 mode = TUNTAP_HEADER_AF;
	TU_OK(shim_ioctl_buf(tun, TUNTAP_SET_HEADER_MODE, &mode, sizeof(mode), 0));
	for (size_t i = 0; i < sizeof(tunLengths) / sizeof(tunLengths[0]); i++) {
		bool six = tunLengths[i] >= 40;
		tu_put_be32(packet, six ? AF_INET6 : AF_INET);
		size_t length = six ? tu_ipv6_packet(packet + 4, tunLengths[i], 10 + (uint32)i)
							: tu_ipv4_packet(packet + 4, tunLengths[i], 10 + (uint32)i);
		TU_EXPECT(shim_write(tun, packet, length + 4), length + 4);
		tu_expect_stack_frame("tun/0", packet + 4, length);
	}
	static const size_t tapLengths[] = {14, 15, 60, 1514};
	for (size_t i = 0; i < sizeof(tapLengths) / sizeof(tapLengths[0]); i++) {
		size_t length =
			tu_ether_frame(packet, tapLengths[i], tu_broadcast_mac, tu_app_mac, 0x0800, (uint32)i);
		TU_EXPECT(shim_write(tap, packet, length), length);
		tu_expect_stack_frame("tap/0", packet, length);
	}
	struct tuntap_stats stats = tu_stats(tun);
	assert_int_equal(stats.to_stack.enqueued, 8);
	assert_int_equal(stats.rejected, 0);
	assert_int_equal(tu_stats(tap).to_stack.enqueued, 4);
	tu_finish();
}

static void
test_tap_ethernet_both_ways_with_broadcast(void** state)
{
	int fd = open_up("tap/0");
	struct tuntap_info info = tu_info(fd);
	uint8 frame[1514];

	/* application -> stack: unicast, broadcast, multicast, minimum and maximum length */
	size_t length = tu_ether_frame(frame, 60, info.hwaddr, tu_app_mac, 0x0800, 1);
	TU_EXPECT(shim_write(fd, frame, length), length);
	tu_expect_stack_frame("tap/0", frame, length);
	length = tu_ether_frame(frame, 1514, tu_broadcast_mac, tu_app_mac, 0x0806, 2);
	TU_EXPECT(shim_write(fd, frame, length), length);
	tu_expect_stack_frame("tap/0", frame, length);
	static const uint8 multicast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	length = tu_ether_frame(frame, 14, multicast, tu_app_mac, 0x0800, 3);
	TU_EXPECT(shim_write(fd, frame, length), length);
	tu_expect_stack_frame("tap/0", frame, length);

	/* stack -> application */
	length = tu_ether_frame(frame, 98, tu_app_mac, info.hwaddr, 0x0800, 4);
	TU_OK(shim_stack_send("tap/0", frame, length, 0));
	tu_expect_read(fd, frame, length);
	length = tu_ether_frame(frame, 1514, tu_broadcast_mac, info.hwaddr, 0x0806, 5);
	TU_OK(shim_stack_send("tap/0", frame, length, 0));
	tu_expect_read(fd, frame, length);

	/* shorter than an Ethernet header: refused */
	TU_AT(expect_write_refused(fd, "tap/0", frame, 13, B_BAD_VALUE));
	tu_finish();
}

static void
test_write_length_limit_is_mtu_plus_header(void** state)
{
	int tun = open_up("tun/0");
	int tap = open_up("tap/0");
	static uint8 buffer[TUNTAP_MAX_MTU + 20];

	tu_ipv4_packet(buffer, 1500, 1);
	TU_EXPECT(shim_write(tun, buffer, 1500), 1500);
	tu_expect_stack_frame("tun/0", buffer, 1500);
	tu_ipv4_packet(buffer, 1501, 2);
	TU_AT(expect_write_refused(tun, "tun/0", buffer, 1501, B_BAD_VALUE));

	tu_ether_frame(buffer, 1514, tu_broadcast_mac, tu_app_mac, 0x0800, 3);
	TU_EXPECT(shim_write(tap, buffer, 1514), 1514);
	tu_expect_stack_frame("tap/0", buffer, 1514);
	TU_AT(expect_write_refused(tap, "tap/0", buffer, 1515, B_BAD_VALUE));

	/* the limit follows the MTU both ways */
	uint32 mtu = 1280;
	TU_OK(shim_ioctl_buf(tun, TUNTAP_SET_MTU, &mtu, sizeof(mtu), sizeof(mtu)));
	tu_ipv4_packet(buffer, 1281, 4);
	TU_AT(expect_write_refused(tun, "tun/0", buffer, 1281, B_BAD_VALUE));
	tu_ipv4_packet(buffer, 1280, 5);
	TU_EXPECT(shim_write(tun, buffer, 1280), 1280);
	tu_expect_stack_frame("tun/0", buffer, 1280);

	mtu = TUNTAP_MAX_MTU;
	TU_OK(shim_ioctl_buf(tap, TUNTAP_SET_MTU, &mtu, sizeof(mtu), sizeof(mtu)));
	tu_ether_frame(buffer, TUNTAP_MAX_MTU + 14, tu_broadcast_mac, tu_app_mac, 0x0800, 6);
	TU_EXPECT(shim_write(tap, buffer, TUNTAP_MAX_MTU + 14), TUNTAP_MAX_MTU + 14);
	tu_expect_stack_frame("tap/0", buffer, TUNTAP_MAX_MTU + 14);
	TU_AT(expect_write_refused(tap, "tap/0", buffer, TUNTAP_MAX_MTU + 15, B_BAD_VALUE));
	tu_finish();
}

static void
test_short_read_truncates_and_counts(void** state)
{
	int fd = open_up("tap/0");
	uint8 frame[300], second[100], got[300];
	tu_ether_frame(frame, 300, tu_app_mac, tu_zero_mac, 0x0800, 1);
	tu_ether_frame(second, 100, tu_app_mac, tu_zero_mac, 0x0800, 2);
	TU_OK(shim_stack_send("tap/0", frame, 300, 0));
	TU_OK(shim_stack_send("tap/0", second, 100, 0));

	TU_EXPECT(tu_fionread(fd), 300);
	memset(got, 0, sizeof(got));
	TU_EXPECT(shim_read(fd, got, 50), 50);
	assert_memory_equal(got, frame, 50);
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.truncated, 1);
	assert_int_equal(stats.to_app.dequeued, 1);
	assert_int_equal(stats.to_app.queued, 1);
	TU_ASSERT_STATS_INVARIANT(stats);

	/* the rest of the first packet is gone: the next read is the second packet, whole */
	TU_EXPECT(tu_fionread(fd), 100);
	tu_expect_read(fd, second, 100);
	assert_int_equal(tu_stats(fd).truncated, 1);

	/* an exact-size buffer is not a truncation */
	TU_OK(shim_stack_send("tap/0", frame, 300, 0));
	TU_EXPECT(shim_read(fd, got, 300), 300);
	assert_memory_equal(got, frame, 300);
	assert_int_equal(tu_stats(fd).truncated, 1);
	TU_OK(shim_set_nonblocking(fd, true));
	TU_EXPECT(shim_read(fd, got, sizeof(got)), B_WOULD_BLOCK);
	tu_finish();
}

static void
test_default_queue_limits(void** state)
{
	/* 256 packets or 256 KiB to the application, whichever comes first; then tail drops */
	int fd = open_up("tap/0");
	uint8 frame[1514];
	tu_ether_frame(frame, 60, tu_app_mac, tu_zero_mac, 0x0800, 1);
	for (int i = 0; i < TUNTAP_DEFAULT_QUEUE_PACKETS; i++)
		TU_OK(shim_stack_send("tap/0", frame, 60, 0));
	TU_EXPECT(shim_stack_send("tap/0", frame, 60, 0), B_WOULD_BLOCK);
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.queued, TUNTAP_DEFAULT_QUEUE_PACKETS);
	assert_int_equal(stats.to_app.dropped, 1);
	/* the head is the first packet sent: drops are at the tail */
	tu_expect_read(fd, frame, 60);
	TU_OK(tu_close(fd));

	fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 2);
	int fit = TUNTAP_DEFAULT_QUEUE_BYTES / sizeof(frame); /* 173 */
	for (int i = 0; i < fit; i++)
		TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(shim_stack_send("tap/0", frame, sizeof(frame), 0), B_WOULD_BLOCK);
	stats = tu_stats(fd);
	assert_int_equal(stats.to_app.queued, fit);
	assert_int_equal(stats.to_app.queued_bytes, fit * sizeof(frame));
	TU_ASSERT_STATS_INVARIANT(stats);
	tu_finish();
}

static void
test_packet_boundaries_kept(void** state)
{
	int fd = open_up("tun/0");
	static const size_t sizes[] = {20, 21, 1500, 64, 576};
	uint8 packets[5][1500];
	for (uint32 i = 0; i < 5; i++) {
		tu_ipv4_packet(packets[i], sizes[i], i);
		TU_OK(shim_stack_send("tun/0", packets[i], sizes[i], B_NET_FRAME_TYPE_IPV4));
	}
	assert_int_equal(tu_stats(fd).to_app.queued, 5);
	for (uint32 i = 0; i < 5; i++) {
		TU_EXPECT(tu_fionread(fd), sizes[i]);
		tu_expect_read(fd, packets[i], sizes[i]);
	}
	for (uint32 i = 0; i < 5; i++)
		TU_EXPECT(shim_write(fd, packets[i], sizes[i]), sizes[i]);
	for (uint32 i = 0; i < 5; i++)
		tu_expect_stack_frame("tun/0", packets[i], sizes[i]);
	TU_EXPECT(tu_fionread(fd), 0);
	tu_finish();
}

/* a packet written to a TUN unit goes to the stack with unspecified addresses of its own
 * family, each as long as that family's sockaddr (sockaddr_in 16, sockaddr_in6 28) */
static void
test_ip_metadata_addresses_fit_the_family(void** state)
{
	static const struct {
		int32 type;
		uint8 family, length;
	} kCases[] = {{B_NET_FRAME_TYPE_IPV4, AF_INET, 16}, {B_NET_FRAME_TYPE_IPV6, AF_INET6, 28}};
	for (size_t i = 0; i < sizeof(kCases) / sizeof(kCases[0]); i++) {
		net_buffer* buffer = gBufferModule->create(0);
		assert_non_null(buffer);
		/* whatever an earlier receive left there: every byte past the family must become 0
		 * (the port, the address, IPv6's flow and scope); kills 71c726912f (memset deleted) and
		 * 8064de412f (memset with 1s) */
		memset(buffer->source, 0xa5, kCases[i].length);
		memset(buffer->destination, 0xa5, kCases[i].length);
		tuntap_set_ip_metadata(buffer, kCases[i].type);
		assert_int_equal(buffer->type, kCases[i].type);
		uint8 bytes[2][28];
		memcpy(bytes[0], buffer->source, kCases[i].length);
		memcpy(bytes[1], buffer->destination, kCases[i].length);
		gBufferModule->free(buffer);
		for (int a = 0; a < 2; a++) {
			assert_int_equal(bytes[a][0], kCases[i].length);
			assert_int_equal(bytes[a][1], kCases[i].family);
			for (size_t b = 2; b < kCases[i].length; b++) {
				if (bytes[a][b] != 0)
					fail_msg("family %u, address %d: byte %zu is 0x%02x, not 0", kCases[i].family,
						a, b, bytes[a][b]);
			}
		}
	}
	tu_finish();
}

/* send_data's caller still owns a buffer the driver refuses (Haiku's stack may look at it again
 * or send it elsewhere): a refusal leaves its type as the stack set it; an accepted one gets the
 * type its IP version names, which the AF prefix of header mode reads */
static void
test_refused_send_leaves_the_buffer_alone(void** state)
{
	tu_if_create_ok("tun/0", true);
	tuntap_unit* unit = tuntap_unit_get("tun/0");
	assert_non_null(unit);
	uint8 packet[100];
	size_t length = tu_ipv4_packet(packet, sizeof(packet), 1);
	net_buffer* buffer = gBufferModule->create(0);
	assert_non_null(buffer);
	TU_OK(gBufferModule->append(buffer, packet, length));
	const int32 stackType = 0x7e57;

	/* nobody has the unit open */
	buffer->type = stackType;
	TU_EXPECT(gTuntapModule.device.send_data(&unit->device, buffer), B_WOULD_BLOCK);
	assert_int_equal(buffer->type, stackType);

	/* a full queue: one packet fits */
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	tu_set_queue_limits(fd, 1, TUNTAP_DEFAULT_QUEUE_BYTES);
	TU_OK(shim_stack_send("tun/0", packet, length, B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(gTuntapModule.device.send_data(&unit->device, buffer), B_WOULD_BLOCK);
	assert_int_equal(buffer->type, stackType);
	assert_int_equal(tu_stats(fd).to_app.dropped, 2);
	tu_expect_read(fd, packet, length);

	/* accepted: the driver's own now, typed by its version */
	TU_OK(gTuntapModule.device.send_data(&unit->device, buffer));
	assert_int_equal(buffer->type, B_NET_FRAME_TYPE_IPV4);
	tu_expect_read(fd, packet, length);
	tuntap_unit_put(unit);
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_tun_ipv4_both_ways),
		TU_TEST(test_tun_ipv6_both_ways),
		TU_TEST(test_tun_write_sets_frame_type),
		TU_TEST(test_check_write_header_types),
		TU_TEST(test_tun_rejects_non_ip_before_allocation),
		TU_TEST(test_tun_minimum_lengths),
		TU_TEST(test_tun_header_mode_af_both_ways),
		TU_TEST(test_tap_ethernet_both_ways_with_broadcast),
		TU_TEST(test_write_fetches_each_user_byte_once),
		TU_TEST(test_write_length_limit_is_mtu_plus_header),
		TU_TEST(test_short_read_truncates_and_counts),
		TU_TEST(test_default_queue_limits),
		TU_TEST(test_packet_boundaries_kept),
		TU_TEST(test_ip_metadata_addresses_fit_the_family),
		TU_TEST(test_refused_send_leaves_the_buffer_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
