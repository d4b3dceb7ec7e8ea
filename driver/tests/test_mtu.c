/* MTU changes from a descriptor go through the stack (SIOCSIFMTU), as ifconfig's do, so the stack
 * sends its interface-changed notification; a stale descriptor never reaches a namesake unit. */

#include "test_util.h"

/* the stack's interface-changed notifications for `name` so far */
static uint64
changes(const char* name)
{
	struct shim_if_info interface;
	TU_OK(shim_if_info(name, &interface));
	return interface.changes;
}

static void
test_set_mtu_notifies_the_stack(void** state)
{
	tu_if_create_ok("tun/0", false);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	uint64 before = changes("tun/0");
	uint32 mtu = 1400;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_MTU, &mtu, sizeof(mtu), sizeof(mtu)));
	struct shim_if_info interface;
	TU_OK(shim_if_info("tun/0", &interface));
	assert_int_equal(interface.mtu, 1400);
	assert_int_equal(interface.changes, before + 1);

	/* refused by the hook: nothing changes, nothing is notified */
	mtu = TUNTAP_MAX_MTU + 1;
	TU_EXPECT(shim_ioctl_buf(fd, TUNTAP_SET_MTU, &mtu, sizeof(mtu), 0), B_BAD_VALUE);
	assert_int_equal(changes("tun/0"), before + 1);

	/* SET_INFO: a new MTU is one notification, queue limits alone none */
	struct tuntap_info info = tu_info(fd);
	info.queue_packets = 16;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info)));
	assert_int_equal(changes("tun/0"), before + 1);
	info.mtu = 9000;
	info.queue_bytes = 10000;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info)));
	assert_int_equal(changes("tun/0"), before + 2);
	/* down again, with queues too small for the old MTU: the MTU must go first */
	info.mtu = 1500;
	info.queue_bytes = 2000;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info)));
	info = tu_info(fd);
	assert_int_equal(info.mtu, 1500);
	assert_int_equal(info.queue_bytes, 2000);
	assert_int_equal(info.queue_packets, 16);
	assert_int_equal(changes("tun/0"), before + 3);
	tu_finish();
}

/* A stale descriptor's request the stack routes by name to a new unit of the same name (deleted
 * and created again between the descriptor's check and the stack's lookup) changes nothing */
static void
test_stale_request_never_reaches_a_namesake(void** state)
{
	tu_if_create_ok("tun/0", false);
	tuntap_unit* stale = tuntap_unit_get("tun/0");
	assert_non_null(stale);
	TU_OK(tu_if_delete("tun/0"));
	tu_if_create_ok("tun/0", false);
	uint64 before = changes("tun/0");
	TU_EXPECT(tuntap_stack_set_mtu(stale, 1280), B_DEVICE_NOT_FOUND);
	struct shim_if_info interface;
	TU_OK(shim_if_info("tun/0", &interface));
	assert_int_equal(interface.mtu, TUNTAP_DEFAULT_MTU);
	assert_int_equal(interface.changes, before);
	tuntap_unit_put(stale);
	tu_finish();
}

/* The window of a delete between the stack unlisting the interface and its uninit_device: the
 * node still opens, the stack no longer knows the name (its SIOCSIFMTU lookup fails with
 * B_BAD_VALUE, our hook never called), so the descriptor's request is B_DEVICE_NOT_FOUND, as for a
 * unit already gone, and the MTU stays. Kills 6f149a1995 (mtu.c: `status == B_BAD_VALUE` ->
 * `!=`, which let the stack's B_BAD_VALUE through). */
static void
test_set_mtu_of_an_interface_the_stack_dropped(void** state)
{
	net_device* device = NULL;
	TU_OK(gTuntapModule.device.init_device("tun/7", &device));
	assert_non_null(device);
	int fd = tu_open_ok("/dev/tun/7", SHIM_O_RDWR);
	/* the results first: the device is not the stack's, so the teardown could not delete it */
	uint32 mtu = 1400;
	status_t setMtu = shim_ioctl_buf(fd, TUNTAP_SET_MTU, &mtu, sizeof(mtu), sizeof(mtu));
	struct tuntap_info info = tu_info(fd);
	info.mtu = 1280;
	status_t setInfo = shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info));
	uint32 mtuAfter = tu_info(fd).mtu;
	TU_OK(tu_close(fd));
	TU_OK(gTuntapModule.device.uninit_device(device));
	TU_EXPECT(setMtu, B_DEVICE_NOT_FOUND);
	TU_EXPECT(setInfo, B_DEVICE_NOT_FOUND);
	assert_int_equal(mtuAfter, TUNTAP_DEFAULT_MTU);
	tu_finish();
}

/* A stack without an IPv4 domain (no ipv4 add-on: get_domain(AF_INET) is NULL) has nothing to
 * send SIOCSIFMTU through: the descriptor's MTU change is B_NOT_SUPPORTED, as a clone open is,
 * and nothing changes. Kills deb7dcfc18 (mtu.c tuntap_stack_set_mtu: B_NOT_SUPPORTED -> B_OK). */
static void
test_set_mtu_without_ipv4_is_not_supported(void** state)
{
	tu_if_create_ok("tun/0", false);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	uint64 before = changes("tun/0");
	shim_stack_without_inet(true);
	uint32 mtu = 1400;
	status_t setMtu = shim_ioctl_buf(fd, TUNTAP_SET_MTU, &mtu, sizeof(mtu), sizeof(mtu));
	shim_stack_without_inet(false);
	TU_EXPECT(setMtu, B_NOT_SUPPORTED);
	assert_int_equal(tu_info(fd).mtu, TUNTAP_DEFAULT_MTU);
	assert_int_equal(changes("tun/0"), before);
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_set_mtu_notifies_the_stack),
		TU_TEST(test_stale_request_never_reaches_a_namesake),
		TU_TEST(test_set_mtu_of_an_interface_the_stack_dropped),
		TU_TEST(test_set_mtu_without_ipv4_is_not_supported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
