/* Interface names: tuntap_parse_name and init_device's naming rules (exactly tun/N or tap/N,
 * N 0..65535 without leading zeros), duplicate names, and many creates and deletes. */

#include "test_util.h"

#include "tuntap_private.h"

static const char* const kBadNames[] = {
	"tun/",
	"tun/a",
	"tun/01",
	"tun/65536",
	"tun/1/2",
	"eth/0",
	"tun0",
	"",
	"tap/",
	"tap/00",
	"tap/-1",
	"tap/+1",
	"tun/ 1",
	"tun/1 ",
	"TUN/0",
	"Tap/0",
	"tun//0",
	"tun/0x1",
	"tun/1e3",
	"tun/99999",
	"tun/100000",
	"tun/4294967296",
	"tun/4294967297",
	"tun/clone",
	"tap/clone",
	"tuntap/0",
	"tu/0",
	"tun",
	"/dev/tun/0",
	"tun/0/",
	"tun/1\n",
};
#define BAD_NAME_COUNT (sizeof(kBadNames) / sizeof(kBadNames[0]))

static void
expect_parse(const char* name, uint32 mode, uint32 number)
{
	const tuntap_flavor* gotFlavor = NULL;
	uint32 gotNumber = 0xbeef;
	status_t status = tuntap_parse_name(name, &gotFlavor, &gotNumber);
	if (status != B_OK)
		fail_msg("tuntap_parse_name(\"%s\") = %s", name, shim_status_name(status));
	assert_ptr_equal(gotFlavor, tu_flavor(mode));
	assert_int_equal(gotFlavor->mode, mode);
	assert_int_equal(gotNumber, number);
}

static void
test_parse_accepts_exact_names(void** state)
{
	expect_parse("tun/0", TUNTAP_MODE_TUN, 0);
	expect_parse("tap/0", TUNTAP_MODE_TAP, 0);
	expect_parse("tap/65535", TUNTAP_MODE_TAP, 65535);
	expect_parse("tun/65535", TUNTAP_MODE_TUN, 65535);
	expect_parse("tun/7", TUNTAP_MODE_TUN, 7);
	expect_parse("tap/10", TUNTAP_MODE_TAP, 10);
	expect_parse("tun/1000", TUNTAP_MODE_TUN, 1000);
	expect_parse("tap/60000", TUNTAP_MODE_TAP, 60000);
	tu_finish();
}

/* the clone path names the unit it creates with tuntap_format_name: parse must give it back */
static void
test_format_name_round_trips(void** state)
{
	static const uint32 kNumbers[] = {0, 1, 9, 10, 99, 100, 4095, 10000, 65534, 65535};
	for (int mode = TUNTAP_MODE_TUN; mode <= TUNTAP_MODE_TAP; mode++) {
		for (size_t i = 0; i < sizeof(kNumbers) / sizeof(kNumbers[0]); i++) {
			char name[TUNTAP_NAME_LENGTH], expected[TUNTAP_NAME_LENGTH];
			memset(name, 'x', sizeof(name));
			tuntap_format_name(name, tu_flavor((uint32)mode), kNumbers[i]);
			snprintf(expected, sizeof(expected), "%s%" B_PRIu32,
				mode == TUNTAP_MODE_TUN ? "tun/" : "tap/", kNumbers[i]);
			assert_string_equal(name, expected);
			expect_parse(name, (uint32)mode, kNumbers[i]);
		}
	}
	tu_finish();
}

static void
test_parse_refuses_everything_else(void** state)
{
	for (size_t i = 0; i < BAD_NAME_COUNT; i++) {
		const tuntap_flavor* flavor = NULL;
		uint32 number = 0;
		status_t status = tuntap_parse_name(kBadNames[i], &flavor, &number);
		if (status != B_BAD_VALUE) {
			fail_msg("tuntap_parse_name(\"%s\") = %s, expected B_BAD_VALUE", kBadNames[i],
				shim_status_name(status));
		}
	}
	tu_finish();
}

static void
test_init_device_refuses_bad_names_without_side_effect(void** state)
{
	for (size_t i = 0; i < BAD_NAME_COUNT; i++) {
		net_device* device = (net_device*)(uintptr_t)0x1234;
		struct shim_objects before;
		tu_objects(&before);
		status_t status = gTuntapModule.device.init_device(kBadNames[i], &device);
		if (status != B_BAD_VALUE) {
			fail_msg("init_device(\"%s\") = %s, expected B_BAD_VALUE", kBadNames[i],
				shim_status_name(status));
		}
		assert_ptr_equal(device, (net_device*)(uintptr_t)0x1234);
		tu_assert_same_objects(&before, kBadNames[i]);
	}
	assert_int_equal(shim_count_nodes("tun/"), 1); /* the clone node only */
	assert_int_equal(shim_count_nodes("tap/"), 1);
	tu_finish();
}

static void
test_if_create_bad_names_leaves_nothing(void** state)
{
	int nodes = shim_count_nodes("");
	for (size_t i = 0; i < BAD_NAME_COUNT; i++) {
		if (kBadNames[i][0] == '\0')
			continue;
		/* no device module accepts it */
		status_t status = shim_if_create(kBadNames[i]);
		if (status != B_DEVICE_NOT_FOUND) {
			fail_msg("shim_if_create(\"%s\") = %s, expected B_DEVICE_NOT_FOUND", kBadNames[i],
				shim_status_name(status));
		}
		assert_false(shim_if_exists(kBadNames[i]));
		assert_int_equal(shim_count_nodes(""), nodes);
		tu_assert_no_leak(kBadNames[i]);
	}
	assert_int_equal(shim_if_count(), 0);
	tu_finish();
}

static void
test_same_name_twice_is_name_in_use(void** state)
{
	tu_if_create_ok("tun/0", false);
	struct shim_objects before;
	tu_objects(&before);

	/* the driver's own rule, whatever the stack does before asking it */
	net_device* device = NULL;
	TU_EXPECT(gTuntapModule.device.init_device("tun/0", &device), B_NAME_IN_USE);
	assert_null(device);
	tu_assert_same_objects(&before, "init_device twice");

	/* through the stack, SIOCAIFADDR on an existing interface only adds an address (Haiku):
	 * the driver is not asked again and the first unit is intact */
	int fd0 = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	tu_objects(&before);
	TU_OK(shim_if_create("tun/0"));
	assert_int_equal(shim_if_count(), 1);
	assert_int_equal(shim_count_nodes("tun/"), 2);
	tu_assert_same_objects(&before, "SIOCAIFADDR on an existing interface");
	TU_OK(tu_close(fd0));
	assert_true(shim_if_exists("tun/0"));
	assert_true(shim_node_exists("/dev/tun/0"));
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(fd, name);
	assert_string_equal(name, "tun/0");
	TU_OK(tu_close(fd));

	/* a TAP unit with the same number is a different name */
	tu_if_create_ok("tap/0", false);
	assert_true(shim_node_exists("/dev/tap/0"));
	TU_OK(tu_if_delete("tap/0"));
	TU_OK(tu_if_delete("tun/0"));
	tu_finish();
}

static void
test_node_follows_interface(void** state)
{
	assert_false(shim_node_exists("/dev/tun/3"));
	TU_EXPECT(shim_open("/dev/tun/3", SHIM_O_RDWR) < 0, true);
	tu_if_create_ok("tun/3", false);
	assert_true(shim_node_exists("/dev/tun/3"));
	assert_true(shim_node_exists("tun/3"));
	assert_false(shim_node_exists("/dev/tun/30"));
	TU_OK(tu_if_delete("tun/3"));
	assert_false(shim_node_exists("/dev/tun/3"));
	assert_false(shim_if_exists("tun/3"));
	tu_finish();
}

static void
test_clone_nodes_published_by_the_devfs_driver(void** state)
{
	/* tu_setup looked /dev/tun and /dev/tap up: devfs loaded the add-on's devfs driver part,
	 * which published both clone nodes and nothing else (test_lazy.c: the boot before that) */
	struct shim_devfs_driver driver;
	shim_devfs_driver_info(&driver);
	assert_true(driver.loaded);
	assert_true(shim_node_exists("/dev/tun/clone"));
	assert_true(shim_node_exists("/dev/tap/clone"));
	assert_int_equal(shim_count_nodes("tun/"), 1);
	assert_int_equal(shim_count_nodes("tap/"), 1);
	tu_finish();
}

static void
test_create_and_delete_many_names(void** state)
{
	static const uint32 numbers[] = {0, 1, 2, 9, 10, 99, 100, 999, 1000, 4097, 12345, 65534, 65535};
	const int count = (int)(sizeof(numbers) / sizeof(numbers[0]));
	char name[TUNTAP_NAME_LENGTH];

	for (int round = 0; round < 3; round++) {
		for (int kind = 0; kind < 2; kind++) {
			for (int i = 0; i < count; i++) {
				snprintf(name, sizeof(name), "%s%u", kind ? "tap/" : "tun/", numbers[i]);
				if (shim_if_create(name) != B_OK)
					fail_msg("create %s failed", name);
			}
		}
		assert_int_equal(shim_if_count(), 2 * count);
		assert_int_equal(shim_count_nodes("tun/"), count + 1);
		assert_int_equal(shim_count_nodes("tap/"), count + 1);

		for (int kind = 0; kind < 2; kind++) {
			for (int i = 0; i < count; i++) {
				snprintf(name, sizeof(name), "/dev/%s%u", kind ? "tap/" : "tun/", numbers[i]);
				assert_true(shim_node_exists(name));
				int fd = shim_open(name, SHIM_O_RDWR);
				assert_true(fd >= 0);
				struct tuntap_info info = tu_info(fd);
				assert_int_equal(info.unit, numbers[i]);
				assert_int_equal(info.mode, kind ? TUNTAP_MODE_TAP : TUNTAP_MODE_TUN);
				char got[TUNTAP_NAME_LENGTH];
				tu_get_name(fd, got);
				assert_string_equal(got, name + 5);
				TU_OK(shim_close(fd));
			}
		}

		/* delete in an order different from creation */
		for (int kind = 0; kind < 2; kind++) {
			for (int i = count - 1; i >= 0; i--) {
				snprintf(name, sizeof(name), "%s%u", kind ? "tap/" : "tun/", numbers[i]);
				TU_OK(shim_if_delete(name));
				snprintf(name, sizeof(name), "/dev/%s%u", kind ? "tap/" : "tun/", numbers[i]);
				assert_false(shim_node_exists(name));
			}
		}
		assert_int_equal(shim_if_count(), 0);
		tu_assert_no_leak("after a round of creates and deletes");
	}
	tu_finish();
}

static void
test_highest_unit_number_works(void** state)
{
	tu_if_create_ok("tap/65535", true);
	int fd = tu_open_ok("/dev/tap/65535", SHIM_O_RDWR);
	char name[TUNTAP_NAME_LENGTH];
	tu_get_name(fd, name);
	assert_string_equal(name, "tap/65535");
	struct tuntap_info info = tu_info(fd);
	assert_int_equal(info.unit, 65535);
	assert_int_equal(info.mode, TUNTAP_MODE_TAP);

	uint8 frame[60];
	tu_ether_frame(frame, sizeof(frame), tu_broadcast_mac, tu_app_mac, 0x88b5, 1);
	TU_EXPECT(shim_write(fd, frame, sizeof(frame)), sizeof(frame));
	tu_expect_stack_frame("tap/65535", frame, sizeof(frame));
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/65535"));
	tu_finish();
}

/* Each unit's mutex carries the unit's name, "tuntap unit <name>": what a stall dump prints for
 * a thread waiting on it (shim_dump_threads, Haiku's KDL) and what the stress stall helper finds
 * the lock by (shim_mutex_hold, stress/stall.c). The longest name fits. Kills mutants 3c6c6fc5f7
 * and 7c34b2cfed (unit_table.c: the name not appended, the prefix not copied). */
static void
test_unit_lock_is_named_after_the_unit(void** state)
{
	static const char* const kNames[] = {"tun/0", "tap/65535"};
	char expected[64];
	for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); i++) {
		tu_if_create_ok(kNames[i], false);
		tuntap_unit* unit = tuntap_unit_get(kNames[i]);
		assert_non_null(unit);
		char name[64];
		strlcpy(name, unit->lock.name, sizeof(name));
		tuntap_unit_put(unit); /* before the check, so a failure leaves no reference behind */
		snprintf(expected, sizeof(expected), "tuntap unit %s", kNames[i]);
		assert_string_equal(name, expected);
	}
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_parse_accepts_exact_names),
		TU_TEST(test_format_name_round_trips),
		TU_TEST(test_parse_refuses_everything_else),
		TU_TEST(test_init_device_refuses_bad_names_without_side_effect),
		TU_TEST(test_if_create_bad_names_leaves_nothing),
		TU_TEST(test_same_name_twice_is_name_in_use),
		TU_TEST(test_node_follows_interface),
		TU_TEST(test_clone_nodes_published_by_the_devfs_driver),
		TU_TEST(test_create_and_delete_many_names),
		TU_TEST(test_highest_unit_number_works),
		TU_TEST(test_unit_lock_is_named_after_the_unit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
