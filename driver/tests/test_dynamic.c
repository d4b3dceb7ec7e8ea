/* Dynamic units: any number, clone opens take the lowest free unit, concurrent creation never
 * shares a unit, every failure while creating unwinds completely, exclusive open. */

#include "test_util.h"

static void
clone_name(int fd, char name[TUNTAP_NAME_LENGTH])
{
	tu_get_name(fd, name);
}

static void
test_thousand_units_and_lowest_free_clone(void** state)
{
	char name[TUNTAP_NAME_LENGTH];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "tun/%d", i);
		if (shim_if_create(name) != B_OK)
			fail_msg("creating %s failed", name);
	}
	assert_int_equal(shim_if_count(), 1000);
	assert_int_equal(shim_count_nodes("tun/"), 1001);
	for (int i = 1; i < 1000; i += 2) {
		snprintf(name, sizeof(name), "tun/%d", i);
		TU_OK(shim_if_delete(name));
	}
	assert_int_equal(shim_if_count(), 500);

	int fds[12];
	for (int i = 0; i < 12; i++) {
		fds[i] = tu_open_ok("/dev/tun/clone", SHIM_O_RDWR);
		clone_name(fds[i], name);
		char expected[TUNTAP_NAME_LENGTH];
		snprintf(expected, sizeof(expected), "tun/%d", 2 * i + 1);
		assert_string_equal(name, expected);
		snprintf(expected, sizeof(expected), "/dev/tun/%d", 2 * i + 1);
		assert_true(shim_node_exists(expected));
		assert_int_equal(tu_info(fds[i]).unit, 2 * i + 1);
	}
	/* the clone's unit works like any other */
	TU_OK(shim_if_up("tun/1"));
	uint8 packet[100];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_EXPECT(shim_write(fds[0], packet, sizeof(packet)), sizeof(packet));
	tu_expect_stack_frame("tun/1", packet, sizeof(packet));

	for (int i = 0; i < 12; i++)
		TU_OK(tu_close(fds[i]));
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "tun/%d", i);
		if (i % 2 == 0 || i < 24)
			TU_OK(shim_if_delete(name));
	}
	assert_int_equal(shim_if_count(), 0);
	tu_finish();
}

/* a clone open creates its unit through the stack's IPv4 domain, as ifconfig does: a stack
 * without one (no ipv4 add-on) refuses the open and nothing is created or left bound */
static void
test_clone_open_without_ipv4_creates_nothing(void** state)
{
	shim_stack_without_inet(true);
	TU_EXPECT(shim_open("/dev/tun/clone", SHIM_O_RDWR), B_NOT_SUPPORTED);
	TU_EXPECT(shim_open("/dev/tap/clone", SHIM_O_RDWR), B_NOT_SUPPORTED);
	shim_stack_without_inet(false);
	assert_int_equal(shim_if_count(), 0);
	tu_assert_no_leak("after the refused clone opens");
	/* with the domain back the same open creates tap/0 */
	int fd = tu_open_ok("/dev/tap/clone", SHIM_O_RDWR);
	assert_true(shim_if_exists("tap/0"));
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

static void
test_clone_units_stay_after_close(void** state)
{
	char name[TUNTAP_NAME_LENGTH];
	int fd = tu_open_ok("/dev/tun/clone", SHIM_O_RDWR);
	clone_name(fd, name);
	assert_string_equal(name, "tun/0");
	assert_true(shim_if_exists("tun/0"));
	TU_OK(tu_close(fd));
	assert_true(shim_if_exists("tun/0"));
	assert_true(shim_node_exists("/dev/tun/0"));

	/* taken, though not open: the next clone gets tun/1; tun/0 opens by name */
	fd = tu_open_ok("/dev/tun/clone", SHIM_O_RDWR);
	clone_name(fd, name);
	assert_string_equal(name, "tun/1");
	int byName = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);

	/* TAP units are numbered separately */
	int tap = tu_open_ok("/dev/tap/clone", SHIM_O_RDWR);
	clone_name(tap, name);
	assert_string_equal(name, "tap/0");
	assert_int_equal(tu_info(tap).mode, TUNTAP_MODE_TAP);

	/* deleting the lowest makes it the next clone's */
	TU_OK(tu_close(byName));
	TU_OK(shim_if_delete("tun/0"));
	int again = tu_open_ok("/dev/tun/clone", SHIM_O_NONBLOCK | SHIM_O_RDWR);
	clone_name(again, name);
	assert_string_equal(name, "tun/0");
	/* open flags apply to clone opens too */
	TU_EXPECT(shim_read(again, name, sizeof(name)), B_WOULD_BLOCK);
	TU_OK(tu_close(fd));
	TU_OK(tu_close(tap));
	TU_OK(tu_close(again));
	TU_OK(shim_if_delete("tun/0"));
	TU_OK(shim_if_delete("tun/1"));
	TU_OK(shim_if_delete("tap/0"));
	tu_finish();
}

#define CONCURRENT_OPENS 40

struct opener {
	bool clone;
	int fds[CONCURRENT_OPENS];
	char names[CONCURRENT_OPENS][TUNTAP_NAME_LENGTH];
	/* ifconfig + open: the units whose open was refused with B_BUSY */
	char busy[CONCURRENT_OPENS][TUNTAP_NAME_LENGTH];
	int busyCount;
	status_t otherError;
};

static ssize_t
opener_thread(struct tu_call* call)
{
	struct opener* opener = (struct opener*)call->context;
	for (int i = 0; i < CONCURRENT_OPENS; i++) {
		opener->fds[i] = -1;
		opener->names[i][0] = '\0';
		if (opener->clone) {
			opener->fds[i] = shim_open("/dev/tun/clone", SHIM_O_RDWR);
		} else {
			/* ifconfig tun/N, then open it, for numbers the clones also want */
			char name[TUNTAP_NAME_LENGTH], path[64];
			snprintf(name, sizeof(name), "tun/%d", i);
			if (shim_if_create(name) != B_OK)
				continue;
			snprintf(path, sizeof(path), "/dev/%s", name);
			opener->fds[i] = shim_open(path, SHIM_O_RDWR);
			if (opener->fds[i] == B_BUSY)
				strcpy(opener->busy[opener->busyCount++], name);
			else if (opener->fds[i] < 0)
				opener->otherError = opener->fds[i];
		}
		if (opener->fds[i] >= 0) {
			if (shim_ioctl_buf(
					opener->fds[i], TUNTAP_GET_NAME, opener->names[i], TUNTAP_NAME_LENGTH, 0)
				!= B_OK)
				return B_ERROR;
		} else if (opener->clone) {
			return opener->fds[i];
		}
	}
	return B_OK;
}

static void
run_concurrent_openers(bool secondIsClone)
{
	static struct opener openers[2];
	memset(openers, 0, sizeof(openers));
	openers[0].clone = true;
	openers[1].clone = secondIsClone;
	struct tu_call* a = tu_start_function(opener_thread, &openers[0]);
	struct tu_call* b = tu_start_function(opener_thread, &openers[1]);
	TU_OK(tu_join(a));
	TU_OK(tu_join(b));

	int count = 0;
	char seen[2 * CONCURRENT_OPENS][TUNTAP_NAME_LENGTH];
	for (int o = 0; o < 2; o++) {
		TU_OK(openers[o].otherError);
		for (int i = 0; i < CONCURRENT_OPENS; i++) {
			if (openers[o].fds[i] < 0)
				continue;
			for (int j = 0; j < count; j++) {
				if (strcmp(seen[j], openers[o].names[i]) == 0)
					fail_msg("%s given to two descriptors", seen[j]);
			}
			strcpy(seen[count++], openers[o].names[i]);
			TU_OK(shim_close(openers[o].fds[i]));
		}
	}
	if (secondIsClone)
		assert_int_equal(count, 2 * CONCURRENT_OPENS);
	else
		assert_true(count >= CONCURRENT_OPENS);
	/* an ifconfig'd unit that could not be opened is one a clone descriptor holds (SIOCAIFADDR
	 * on an existing interface succeeds, as in Haiku); never one nobody holds */
	for (int b = 0; b < openers[1].busyCount; b++) {
		bool held = false;
		for (int i = 0; i < CONCURRENT_OPENS; i++)
			held =
				held
				|| (openers[0].fds[i] >= 0 && strcmp(openers[0].names[i], openers[1].busy[b]) == 0);
		if (!held)
			fail_msg("%s was busy but no clone descriptor held it", openers[1].busy[b]);
	}
	for (int j = 0; j < count; j++)
		TU_OK(shim_if_delete(seen[j]));
	assert_int_equal(shim_if_count(), 0);
}

static void
test_concurrent_clone_opens_never_share(void** state)
{
	run_concurrent_openers(true);
	tu_finish();
}

static void
test_concurrent_create_and_clone_never_share(void** state)
{
	run_concurrent_openers(false);
	tu_finish();
}

enum step_kind { STEP_CREATE, STEP_CLONE_OPEN };

/* one attempt under a fault plan; B_OK when the operation succeeded (and was undone again) */
static status_t
fault_step(enum step_kind kind, enum shim_fault_site site, int64 nth, int64* injected)
{
	struct shim_objects before;
	tu_objects(&before);
	shim_fault_clear();
	shim_fault_fail_nth(site, nth, false);
	int fd = -1;
	status_t status = kind == STEP_CREATE ? shim_if_create("tun/0")
					  : (fd = shim_open("/dev/tun/clone", SHIM_O_RDWR)) >= 0 ? B_OK
																			 : fd;
	*injected += shim_fault_injected(site);
	shim_fault_clear();

	if (status == B_OK) {
		if (fd >= 0) {
			char name[TUNTAP_NAME_LENGTH];
			tu_get_name(fd, name);
			assert_string_equal(name, "tun/0");
			TU_OK(shim_close(fd));
		}
		TU_OK(shim_if_delete("tun/0"));
		tu_assert_same_objects(&before, "after a successful step");
		return B_OK;
	}

	/* unwound completely: no unit, no node, nothing allocated, the name is free */
	char where[64];
	snprintf(where, sizeof(where), "site %d, failing call %lld", (int)site, (long long)nth);
	tu_assert_same_objects(&before, where);
	assert_false(shim_if_exists("tun/0"));
	assert_false(shim_node_exists("/dev/tun/0"));
	assert_int_equal(shim_if_count(), 0);
	TU_OK(shim_if_create("tun/0"));
	int check = shim_open("/dev/tun/0", SHIM_O_RDWR);
	assert_true(check >= 0);
	TU_OK(shim_close(check));
	TU_OK(shim_if_delete("tun/0"));
	tu_assert_same_objects(&before, where);
	return status;
}

static void
fault_loop(enum step_kind kind)
{
	static const enum shim_fault_site sites[] = {
		SHIM_FAULT_ALLOC, SHIM_FAULT_SEM, SHIM_FAULT_PUBLISH};
	for (size_t s = 0; s < sizeof(sites) / sizeof(sites[0]); s++) {
		int64 injected = 0, failures = 0, nth;
		for (nth = 1; nth < 1000; nth++) {
			status_t status = fault_step(kind, sites[s], nth, &injected);
			if (status == B_OK)
				break;
			failures++;
		}
		if (nth == 1000)
			fail_msg("site %d: the operation never succeeded", (int)sites[s]);
		if (injected == 0 || failures == 0)
			fail_msg("site %d: no failure was injected, the loop proved nothing", (int)sites[s]);
		print_message("%s, site %d: %lld failing steps unwound\n",
			kind == STEP_CREATE ? "create" : "clone open", (int)sites[s], (long long)failures);
	}
}

static void
test_create_unwinds_at_every_failure(void** state)
{
	fault_loop(STEP_CREATE);
	tu_finish();
}

static void
test_clone_open_unwinds_at_every_failure(void** state)
{
	fault_loop(STEP_CLONE_OPEN);
	tu_finish();
}

static void
test_exclusive_open(void** state)
{
	tu_if_create_ok("tun/0", true);
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	TU_EXPECT(shim_open("/dev/tun/0", SHIM_O_RDWR), B_BUSY);
	TU_EXPECT(shim_open("/dev/tun/0", SHIM_O_RDONLY | SHIM_O_NONBLOCK), B_BUSY);
	/* a dup is the same descriptor, not a second open */
	int copy = shim_dup(fd);
	assert_true(copy >= 0);
	TU_OK(shim_close(fd));
	tu_untrack_fd(fd);
	TU_EXPECT(shim_open("/dev/tun/0", SHIM_O_RDWR), B_BUSY);
	uint8 packet[60];
	tu_ipv4_packet(packet, sizeof(packet), 1);
	TU_EXPECT(shim_write(copy, packet, sizeof(packet)), sizeof(packet));
	tu_expect_stack_frame("tun/0", packet, sizeof(packet));
	TU_OK(shim_close(copy));
	/* the last close frees it for the next opener */
	fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	TU_OK(tu_close(fd));
	tu_finish();
}

static status_t
create_tun0(void* result)
{
	*(status_t*)result = shim_if_create("tun/0");
	return B_OK;
}

/* a number a clone open reserved is created only by that open: an ifconfig of the same name in
 * the window between the reservation and the clone's SIOCAIFADDR must not take it over */
static void
test_reserved_number_belongs_to_the_clone(void** state)
{
	uint32 number;
	TU_OK(tuntap_reserve_number(tu_flavor(TUNTAP_MODE_TUN), &number));
	assert_int_equal(number, 0);

	status_t other = B_OK;
	thread_id thread = shim_thread_spawn("ifconfig", create_tun0, &other);
	assert_true(thread >= 0);
	TU_OK(shim_thread_join(thread, NULL));
	assert_true(other < B_OK);
	assert_false(shim_if_exists("tun/0"));
	assert_false(shim_node_exists("/dev/tun/0"));

	/* the reserving thread itself (the clone open's path) creates it */
	TU_OK(shim_if_create("tun/0"));
	tu_track_if("tun/0");
	assert_true(shim_node_exists("/dev/tun/0"));
	tuntap_unreserve_number(tu_flavor(TUNTAP_MODE_TUN), number);
	tu_finish();
}

/* reserve the next free number of `mode`, which must be `expected` */
static void
reserve_expect(uint32 mode, uint32 expected)
{
	uint32 number = UINT32_MAX;
	TU_OK(tuntap_reserve_number(tu_flavor(mode), &number));
	assert_int_equal(number, expected);
}

/* Clone reservations are per flavour and number: giving one back frees exactly that one, never
 * another flavour's with the same number nor another number of the same flavour, so two clone
 * opens in progress never get the same unit. Kills mutants a371995f96 and a1fbf18d4f
 * (unit_table.c, tuntap_unreserve_number's match: && -> ||, == -> !=). */
static void
test_unreserve_frees_only_that_number(void** state)
{
	const tuntap_flavor* tun = tu_flavor(TUNTAP_MODE_TUN);
	const tuntap_flavor* tap = tu_flavor(TUNTAP_MODE_TAP);
	reserve_expect(TUNTAP_MODE_TUN, 0);
	reserve_expect(TUNTAP_MODE_TAP, 0);
	reserve_expect(TUNTAP_MODE_TUN, 1);
	tuntap_unreserve_number(tap, 0);
	reserve_expect(TUNTAP_MODE_TUN, 2); /* tun 0 and 1 are still reserved */
	reserve_expect(TUNTAP_MODE_TAP, 0); /* tap 0 is free again */
	tuntap_unreserve_number(tun, 1);
	reserve_expect(TUNTAP_MODE_TUN, 1);
	const struct {
		const tuntap_flavor* flavor;
		uint32 number;
	} kHeld[] = {{tun, 0}, {tun, 1}, {tun, 2}, {tap, 0}};
	for (size_t i = 0; i < sizeof(kHeld) / sizeof(kHeld[0]); i++)
		tuntap_unreserve_number(kHeld[i].flavor, kHeld[i].number);
	tu_finish(); /* every reservation was freed */
}

/* A reservation whose allocation fails is B_NO_MEMORY (a clone open's ENOMEM) with no number
 * handed out and nothing reserved: without it a clone open went on with an unset number and
 * failed as B_DEVICE_NOT_FOUND. Kills mutant bf86059033 (unit_table.c: B_NO_MEMORY -> B_OK). */
static void
test_reservation_without_memory_reserves_nothing(void** state)
{
	uint32 number = 12345;
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	TU_EXPECT(tuntap_reserve_number(tu_flavor(TUNTAP_MODE_TAP), &number), B_NO_MEMORY);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_ALLOC), 1);
	shim_fault_clear();
	assert_int_equal(number, 12345);
	reserve_expect(TUNTAP_MODE_TAP, 0);
	tuntap_unreserve_number(tu_flavor(TUNTAP_MODE_TAP), 0);
	tu_finish();
}

/* OpenVPN's open_tun_generic(): try /dev/tun/0 .. /dev/tun/255, keep the first that opens */
static int
openvpn_open(char name[TUNTAP_NAME_LENGTH])
{
	for (int i = 0; i < 256; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/tun/%d", i);
		int fd = shim_open(path, SHIM_O_RDWR);
		if (fd >= 0) {
			tu_track_fd(fd);
			snprintf(name, TUNTAP_NAME_LENGTH, "tun/%d", i);
			TU_OK(shim_set_nonblocking(fd, true));
			return fd;
		}
		if (shim_node_exists(path))
			TU_EXPECT(fd, B_BUSY);
	}
	return -1;
}

static void
test_openvpn_probe_loop(void** state)
{
	tu_if_create_ok("tun/0", true);
	tu_if_create_ok("tun/1", true);
	tu_if_create_ok("tun/5", true);
	char name[TUNTAP_NAME_LENGTH];
	int first = openvpn_open(name);
	assert_string_equal(name, "tun/0");
	int second = openvpn_open(name);
	assert_string_equal(name, "tun/1");
	int third = openvpn_open(name);
	assert_string_equal(name, "tun/5");
	assert_true(openvpn_open(name) < 0);

	/* each instance has its own unit */
	uint8 packet[100], got[100];
	tu_ipv4_packet(packet, sizeof(packet), 5);
	TU_OK(shim_stack_send("tun/1", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(shim_read(first, got, sizeof(got)), B_WOULD_BLOCK);
	TU_EXPECT(shim_read(third, got, sizeof(got)), B_WOULD_BLOCK);
	tu_expect_read(second, packet, sizeof(packet));

	/* the first instance exits: the next one gets its unit */
	TU_OK(tu_close(first));
	int fourth = openvpn_open(name);
	assert_string_equal(name, "tun/0");
	TU_OK(tu_close(fourth));
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_thousand_units_and_lowest_free_clone),
		TU_TEST(test_clone_open_without_ipv4_creates_nothing),
		TU_TEST(test_clone_units_stay_after_close),
		TU_TEST(test_concurrent_clone_opens_never_share),
		TU_TEST(test_concurrent_create_and_clone_never_share),
		TU_TEST(test_create_unwinds_at_every_failure),
		TU_TEST(test_clone_open_unwinds_at_every_failure),
		TU_TEST(test_exclusive_open),
		TU_TEST(test_reserved_number_belongs_to_the_clone),
		TU_TEST(test_unreserve_frees_only_that_number),
		TU_TEST(test_reservation_without_memory_reserves_nothing),
		TU_TEST(test_openvpn_probe_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
