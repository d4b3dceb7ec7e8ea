/* A fresh boot, as Haiku's: no device module loaded, no clone node until /dev/tun is looked up;
 * then devfs loads the add-on's devfs driver part, and clone opens work before any ifconfig. */

#include "test_util.h"

#include <fcntl.h>

/* a boot and nothing else: no lookup, unlike tu_setup */
static int
fresh_setup(void** state)
{
	(void)state;
	for (int i = 0; i < TU_MAX_FDS; i++)
		tu_fds[i] = -1;
	memset(tu_ifs, 0, sizeof(tu_ifs));
	return shim_boot() == B_OK ? 0 : -1;
}

#define FRESH_TEST(function) cmocka_unit_test_setup_teardown(function, fresh_setup, tu_teardown)

static void
expect_image(int32 refs, bool mapped, int32 unloads)
{
	struct shim_image_state image;
	shim_image_info(&image);
	assert_int_equal(image.refs, refs);
	assert_int_equal(image.mapped, mapped);
	assert_int_equal(image.unloads, unloads);
}

static void
expect_driver(bool loaded, bool updated, uint32 used, int32 loads)
{
	struct shim_devfs_driver driver;
	shim_devfs_driver_info(&driver);
	assert_int_equal(driver.loaded, loaded);
	assert_int_equal(driver.binary_updated, updated);
	assert_int_equal(driver.devices_used, used);
	assert_int_equal(driver.loads, loads);
}

/* a clone open that must create `unit`; the unit is deleted at teardown */
static int
open_clone(const char* path, const char* unit)
{
	int fd = tu_open_ok(path, O_RDWR);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(fd, name);
	assert_string_equal(name, unit);
	tu_track_if(name);
	return fd;
}

static void
test_boot_publishes_nothing(void** state)
{
	/* The shim's old boot loaded every device module, whose B_MODULE_INIT published the clone
	 * nodes: these held there before any interface was configured, and fail on it. */
	assert_false(shim_node_exists("/dev/tun/clone"));
	assert_false(shim_node_exists("/dev/tap/clone"));
	assert_int_equal(shim_count_nodes(""), 0);
	expect_image(0, false, 0);
	struct shim_devfs_driver driver;
	shim_devfs_driver_info(&driver);
	assert_false(driver.known);
	expect_driver(false, false, 0, 0);
}

static void
test_clone_open_on_a_fresh_boot(void** state)
{
	/* the application's open: /dev, then /dev/tun scanned, the driver loaded, its init_driver got
	 * the module (image: the driver's reference and the module's) */
	int fd = tu_open_ok("/dev/tun/clone", O_RDWR);
	expect_driver(true, false, 1, 1);
	expect_image(2, true, 0);
	assert_true(shim_node_exists("/dev/tap/clone"));
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(fd, name);
	assert_string_equal(name, "tun/0");
	tu_track_if(name);
	assert_true(shim_if_exists("tun/0"));
	assert_true(shim_node_exists("/dev/tun/0"));

	/* it carries packets */
	TU_OK(shim_if_up("tun/0"));
	uint8 packet[64];
	size_t length = tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_EXPECT(shim_write(fd, packet, length), length);
	tu_expect_stack_frame("tun/0", packet, length);

	/* close, delete: the unit goes, the devfs driver and the module stay */
	TU_OK(tu_close(fd));
	expect_driver(true, false, 0, 1);
	TU_OK(tu_if_delete("tun/0"));
	assert_false(shim_node_exists("/dev/tun/0"));
	assert_true(shim_node_exists("/dev/tun/clone"));
	expect_image(2, true, 0);

	/* shutdown: the driver's devices unpublished, uninit_driver puts the module, the module's
	 * uninit runs and the image's last reference goes; the leak check is clean */
	TU_OK(shim_shutdown());
	expect_image(0, false, 1);
	TU_OK(shim_boot());
}

static void
test_second_directory_reloads_the_driver(void** state)
{
	/* /dev/tap scanned after /dev/tun finds the same driver again: Haiku marks it updated; an
	 * open reloads it only while none of its devices is in use and the device still knows its
	 * driver (test_updated_driver_reloaded_at_first_open); here neither holds. The module,
	 * B_KEEP_LOADED, and the units stay. */
	int tun = tu_open_ok("/dev/tun/clone", O_RDWR);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(tun, name);
	tu_track_if(name);
	TU_OK(shim_lookup("/dev/tap"));
	expect_driver(true, false, 1, 1);
	TU_EXPECT(shim_lookup("/dev/tap/clone"), B_OK);
	expect_driver(true, true, 1, 1);

	/* a device in use: no reload */
	int tap = tu_open_ok("/dev/tap/clone", O_RDWR);
	expect_driver(true, true, 2, 1);
	TU_OK(tu_close(tap));
	TU_OK(tu_close(tun));
	/* LegacyDevice forgets its driver at its last UninitDevice: later opens do not count */
	expect_driver(true, true, 0, 1);
	tap = tu_open_ok("/dev/tap/clone", O_RDWR);
	expect_driver(true, true, 0, 1);
	tu_get_name(tap, name);
	assert_string_equal(name, "tap/1");
	tu_track_if(name);
	tu_track_if("tap/0");
	assert_true(shim_if_exists("tun/0"));
	TU_OK(tu_close(tap));
	expect_image(2, true, 0);

	/* the reload's uninit_driver put what its init_driver got: at shutdown the module's and
	 * the image's last references go */
	TU_OK(shim_shutdown());
	expect_image(0, false, 1);
	TU_OK(shim_boot());
}

static void
test_updated_driver_reloaded_at_first_open(void** state)
{
	/* both directories looked up before any open: the first open of a clone node reloads the
	 * driver (LegacyDevice::InitDevice: none of its devices in use, binary_updated) */
	TU_OK(shim_lookup("/dev/tun/clone"));
	TU_OK(shim_lookup("/dev/tap/clone"));
	expect_driver(true, true, 0, 1);
	expect_image(2, true, 0);
	int fd = open_clone("/dev/tap/clone", "tap/0");
	expect_driver(true, false, 1, 2);
	/* uninit_driver put the module, init_driver got it again: still loaded, the image too */
	expect_image(2, true, 0);
	assert_true(shim_node_exists("/dev/tun/clone"));
	assert_true(shim_node_exists("/dev/tap/0"));
	TU_OK(tu_close(fd));
	expect_driver(true, false, 0, 2);
	TU_OK(shim_shutdown());
	expect_image(0, false, 1);
	TU_OK(shim_boot());
}

static void
test_ifconfig_first_then_clone(void** state)
{
	/* ifconfig on a fresh boot: the stack asks the module (get_device_interface), which
	 * publishes /dev/tun/0; the devfs driver is not loaded until /dev/tun is looked up */
	tu_if_create_ok("tun/0", true);
	assert_true(shim_node_exists("/dev/tun/0"));
	assert_false(shim_node_exists("/dev/tun/clone"));
	expect_driver(false, false, 0, 0);
	expect_image(1, true, 0);

	/* OpenVPN's probe loop opens /dev/tun/0 first: that lookup loads the driver */
	int fd = tu_open_ok("/dev/tun/0", O_RDWR);
	expect_driver(true, false, 0, 1);
	assert_true(shim_node_exists("/dev/tun/clone"));
	expect_image(2, true, 0);
	TU_OK(tu_close(open_clone("/dev/tun/clone", "tun/1")));
	TU_OK(tu_close(fd));
}

static void
test_missing_names_on_a_fresh_boot(void** state)
{
	/* no such unit: not found, but the lookup loaded the driver of /dev/tun */
	TU_EXPECT(shim_open("/dev/tun/7", O_RDWR), B_ENTRY_NOT_FOUND);
	expect_driver(true, false, 0, 1);
	/* no driver directory: nothing is loaded for it */
	TU_EXPECT(shim_open("/dev/nothing/clone", O_RDWR), B_ENTRY_NOT_FOUND);
	TU_EXPECT(shim_lookup("/dev/nothing"), B_ENTRY_NOT_FOUND);
	TU_OK(shim_lookup("/dev/tap"));
	expect_driver(true, false, 0, 1);
	TU_OK(shim_lookup("/dev"));
	/* find_device knows only the names publish_devices gave: anything else is NULL, read within
	 * the flavour table (an overrun is an ASan report; `make mutate` found it unchecked) */
	assert_non_null(find_device("tun/clone"));
	assert_non_null(find_device("tap/clone"));
	assert_null(find_device("tun/7"));
	assert_null(find_device(""));
}

static void
test_clone_open_fails_cleanly_on_a_fresh_boot(void** state)
{
	/* a failure inside the clone open (the unit's publish, so init_device fails and the stack
	 * finds no module for the name) leaves the driver loaded and no unit; the next open works */
	shim_fault_fail_nth(SHIM_FAULT_PUBLISH, 3, false); /* tun/clone, tap/clone, then tun/0 */
	TU_EXPECT(shim_open("/dev/tun/clone", O_RDWR), B_DEVICE_NOT_FOUND);
	TU_EXPECT(shim_fault_injected(SHIM_FAULT_PUBLISH), 1);
	shim_fault_clear();
	expect_driver(true, false, 0, 1);
	assert_false(shim_if_exists("tun/0"));
	TU_OK(tu_close(open_clone("/dev/tun/clone", "tun/0")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FRESH_TEST(test_boot_publishes_nothing),
		FRESH_TEST(test_clone_open_on_a_fresh_boot),
		FRESH_TEST(test_second_directory_reloads_the_driver),
		FRESH_TEST(test_updated_driver_reloaded_at_first_open),
		FRESH_TEST(test_ifconfig_first_then_clone),
		FRESH_TEST(test_missing_names_on_a_fresh_boot),
		FRESH_TEST(test_clone_open_fails_cleanly_on_a_fresh_boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
