/* A TAP unit's MAC: drawn from the kernel's random source for every unit (so hosts and units do
 * not share one), unicast and locally administered; TUNTAP_SET_HWADDR sets it while down. */

#include "test_util.h"

#include <net/if.h>

#define UNITS 8

/* tap/N's MAC, as the descriptor and the stack see it (the two must agree) */
static void
mac_of(const char* name, uint8 mac[6])
{
	char path[64];
	snprintf(path, sizeof(path), "/dev/%s", name);
	int fd = tu_open_ok(path, SHIM_O_RDWR);
	tu_hwaddr(fd, name, mac);
	TU_OK(tu_close(fd));
}

/* unicast (group bit clear) and locally administered (local bit set) */
static void
expect_local_unicast(const uint8 mac[6])
{
	assert_int_equal(mac[0] & 0x01, 0);
	assert_int_equal(mac[0] & 0x02, 0x02);
}

/* create tap/`number` (down) into `name`; its MAC, which must be local unicast, into `mac` */
static void
create_tap(int number, char name[TUNTAP_NAME_LENGTH], uint8 mac[6])
{
	snprintf(name, TUNTAP_NAME_LENGTH, "tap/%d", number);
	tu_if_create_ok(name, false);
	mac_of(name, mac);
	expect_local_unicast(mac);
}

static void
test_each_unit_gets_a_random_local_unicast_mac(void** state)
{
	uint8 macs[UNITS][6];
	char name[TUNTAP_NAME_LENGTH];
	for (int i = 0; i < UNITS; i++) {
		create_tap(i, name, macs[i]);
		/* drawing the MAC wrote its six bytes and nothing around them */
		tuntap_unit* unit = tuntap_unit_get(name);
		assert_non_null(unit);
		assert_int_equal(unit->device.header_length, 14);
		assert_int_equal(unit->device.address.length, 6);
		tuntap_unit_put(unit);
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(macs[i], macs[j], 6);
	}
	/* the same name again (a reboot-free re-create) is a new unit with a new MAC */
	uint8 again[6];
	TU_OK(tu_if_delete("tap/0"));
	tu_if_create_ok("tap/0", false);
	mac_of("tap/0", again);
	expect_local_unicast(again);
	assert_memory_not_equal(again, macs[0], 6);

	/* TUN has no link-layer address */
	tu_if_create_ok("tun/0", false);
	int tun = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	assert_memory_equal(tu_info(tun).hwaddr, tu_zero_mac, 6);
	tu_finish();
}

/* Every bit of the MAC but the group and local bits comes from the random source, each byte drawn
 * on its own: over 32 units each of those 46 bits takes both values, and no byte repeats another
 * in every unit. A MAC whose first byte is not drawn (a constant 0x02) or is copied from another
 * byte fails; a correct driver fails only when one bit of 32 independent draws never changes
 * (46 bits x 2 x 2^-32, about 2e-8). Kills mutants 4625200ef3, 584275292f (unit_table.c). */
static void
test_every_random_bit_of_the_mac_varies(void** state)
{
	enum { COUNT = 32 };
	uint8 macs[COUNT][6];
	char name[TUNTAP_NAME_LENGTH];
	for (int i = 0; i < COUNT; i++)
		create_tap(i, name, macs[i]);
	for (int byte = 0; byte < 6; byte++) {
		uint8 random = byte == 0 ? 0xfc : 0xff; /* the bits not fixed by the driver */
		uint8 seenSet = 0, seenClear = 0;
		for (int i = 0; i < COUNT; i++) {
			seenSet |= macs[i][byte];
			seenClear |= (uint8)~macs[i][byte];
		}
		if ((seenSet & random) != random || (seenClear & random) != random)
			fail_msg("MAC byte %d: random bits that never change: %#x", byte,
				(unsigned)(random & ~(seenSet & seenClear)));
		for (int other = byte + 1; other < 6; other++) {
			int same = 0;
			for (int i = 0; i < COUNT; i++)
				same += (macs[i][byte] & random) == (macs[i][other] & random);
			if (same == COUNT)
				fail_msg("MAC byte %d repeats byte %d in every unit", byte, other);
		}
	}
	tu_finish();
}

/* Two hosts (two boots) running the same configuration: their tap/0 must not share a MAC, or a
 * bridge between them over the VPN (or the two ends of a TAP tunnel) could not tell them apart */
static void
test_two_hosts_do_not_share_a_mac(void** state)
{
	uint8 first[6], second[6];
	tu_if_create_ok("tap/0", false);
	mac_of("tap/0", first);
	assert_int_equal(tu_teardown(NULL), 0);
	assert_int_equal(tu_setup(NULL), 0);
	tu_if_create_ok("tap/0", false);
	mac_of("tap/0", second);
	expect_local_unicast(second);
	assert_memory_not_equal(first, second, 6);
	tu_finish();
}

static void
test_set_hwaddr_while_down(void** state)
{
	tu_if_create_ok("tap/3", false);
	int fd = tu_open_ok("/dev/tap/3", SHIM_O_RDWR);
	uint8 before[6], mac[6] = {0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c}; /* universal is fine too */
	memcpy(before, tu_info(fd).hwaddr, 6);
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_HWADDR, mac, sizeof(mac), sizeof(mac)));
	struct shim_if_info interface;
	TU_OK(shim_if_info("tap/3", &interface));
	assert_memory_equal(interface.hwaddr, mac, 6);
	assert_memory_equal(tu_info(fd).hwaddr, mac, 6);

	/* refused, and nothing changes: a group address, the broadcast, zero, a short argument, a
	 * bad pointer, an interface that is up */
	static const uint8 kBad[3][6] = {
		{0x01, 0, 0x5e, 0, 0, 1}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 0, 0, 0}};
	for (int i = 0; i < 3; i++) {
		uint8 bad[6];
		memcpy(bad, kBad[i], 6);
		TU_EXPECT(shim_ioctl_buf(fd, TUNTAP_SET_HWADDR, bad, 6, 0), B_BAD_VALUE);
	}
	uint8 other[6] = {0x02, 1, 2, 3, 4, 5};
	TU_EXPECT(shim_ioctl_buf(fd, TUNTAP_SET_HWADDR, other, 6, 5), B_BAD_VALUE);
	TU_EXPECT(shim_ioctl(fd, TUNTAP_SET_HWADDR, shim_user_bad_address(), 6), B_BAD_ADDRESS);
	TU_OK(shim_if_up("tap/3"));
	TU_EXPECT(shim_ioctl_buf(fd, TUNTAP_SET_HWADDR, other, 6, 6), B_BUSY);
	assert_memory_equal(tu_info(fd).hwaddr, mac, 6);
	TU_OK(shim_if_down("tap/3"));
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_HWADDR, other, 6, 0));
	assert_memory_equal(tu_info(fd).hwaddr, other, 6);
	assert_memory_not_equal(before, other, 6);

	/* TUN has no MAC to set */
	tu_if_create_ok("tun/3", false);
	int tun = tu_open_ok("/dev/tun/3", SHIM_O_RDWR);
	TU_EXPECT(shim_ioctl_buf(tun, TUNTAP_SET_HWADDR, other, 6, 6), B_NOT_SUPPORTED);
	tu_finish();
}

/* the stack's ARP replies come from the MAC that was set (the peer answers from the device's) */
static void
test_stack_answers_arp_from_the_set_mac(void** state)
{
	tu_if_create_ok("tap/1", false);
	int fd = tu_open_ok("/dev/tap/1", SHIM_O_RDWR);
	uint8 mac[6] = {0x0a, 0x11, 0x22, 0x33, 0x44, 0x55};
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_HWADDR, mac, sizeof(mac), sizeof(mac)));
	TU_OK(shim_if_up("tap/1"));
	uint32 server = tu_ipv4_address(10, 9, 8, 1), client = tu_ipv4_address(10, 9, 8, 2);
	TU_OK(shim_if_set_ipv4("tap/1", server));
	uint8 request[TU_ARP_FRAME_LENGTH], reply[TU_ARP_FRAME_LENGTH];
	tu_arp_frame(request, tu_broadcast_mac, tu_app_mac, TU_ARP_REQUEST, tu_app_mac, client,
		tu_zero_mac, server);
	tu_arp_frame(reply, tu_app_mac, mac, TU_ARP_REPLY, mac, server, tu_app_mac, client);
	TU_EXPECT(shim_write(fd, request, sizeof(request)), sizeof(request));
	struct shim_pollfd pollfd = {fd, SHIM_POLLIN, 0};
	TU_EXPECT(shim_poll(&pollfd, 1, TU_SECOND), 1);
	tu_expect_read(fd, reply, sizeof(reply));
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_each_unit_gets_a_random_local_unicast_mac),
		TU_TEST(test_every_random_bit_of_the_mac_varies),
		TU_TEST(test_two_hosts_do_not_share_a_mac),
		TU_TEST(test_set_hwaddr_while_down),
		TU_TEST(test_stack_answers_arp_from_the_set_mac),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
