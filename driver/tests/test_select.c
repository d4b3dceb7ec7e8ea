/* select/poll: readiness equals acceptance (POLLIN iff a read would not block, POLLOUT iff a
 * write would be accepted), POLLHUP after delete, and notifications only on transitions. */

#include "test_util.h"

static int
open_tap_up(void)
{
	tu_if_create_ok("tap/0", true);
	return tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
}

/* poll once without waiting and return revents */
static uint16
poll_now(int fd, uint16 events)
{
	struct shim_pollfd pollfd = {fd, events, 0xffff};
	int result = shim_poll(&pollfd, 1, 0);
	assert_true(result == 0 || result == 1);
	assert_int_equal(result == 1, pollfd.revents != 0);
	return pollfd.revents;
}

static void
test_idle_poll_loop_has_no_wakeups(void** state)
{
	int fd = open_tap_up();
	int64 notifications = shim_select_notifications();
	bigtime_t start = system_time();
	bigtime_t deadline = start + TU_SECOND;
	int rounds = 0, wakeups = 0;
	for (bigtime_t now = start; now < deadline; now = system_time()) {
		bigtime_t timeout = min_c(200000, deadline - now);
		struct shim_pollfd pollfd = {fd, SHIM_POLLIN, 0};
		int result = shim_poll(&pollfd, 1, timeout);
		if (result != 0)
			wakeups++;
		/* a poll that returned before its timeout woke up for nothing */
		if (system_time() - now < timeout - 1000)
			wakeups++;
		rounds++;
	}
	assert_int_equal(wakeups, 0);
	assert_true(rounds <= 6);
	assert_int_equal(shim_select_notifications(), notifications);
	tu_finish();
}

/* tun/0, down, a non-blocking descriptor on it, and an IPv4 packet to write */
static int
open_tun_down(uint8* packet, size_t length)
{
	tu_if_create_ok("tun/0", false);
	tu_ipv4_packet(packet, length, 1);
	return tu_open_ok("/dev/tun/0", SHIM_O_RDWR | SHIM_O_NONBLOCK);
}

/* a selector waiting for room on a full to_stack queue is not woken by a packet for the
 * application (a transition to readable, not to writable), only by the room itself */
static void
test_full_queue_selector_woken_only_by_room(void** state)
{
	uint8 packet[100];
	int fd = open_tun_down(packet, sizeof(packet));
	tuntap_unit* unit = tu_unit_up_undrained("tun/0");
	tu_set_queue_limits(fd, 1, 64 * 1024);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	assert_int_equal(poll_now(fd, SHIM_POLLOUT), 0);

	struct tu_call* poller = tu_start_poll(fd, SHIM_POLLOUT, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);
	int64 notifications = shim_select_notifications();
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), 0));
	assert_int_equal(shim_select_notifications(), notifications);
	assert_int_equal(poll_now(fd, SHIM_POLLOUT), 0);

	tu_unit_take(unit, fd, packet, sizeof(packet));
	TU_EXPECT(tu_join(poller), 1);
	assert_int_equal(poller->pollfd.revents, SHIM_POLLOUT);
	assert_int_equal(shim_select_notifications(), notifications + 1);
	tu_expect_read(fd, packet, sizeof(packet));
	TU_OK(tu_close(fd));
	tu_unit_down_put(unit);
	tu_finish();
}

static void
test_one_packet_one_wakeup(void** state)
{
	int fd = open_tap_up();
	struct tu_call* poller = tu_start_poll(fd, SHIM_POLLIN, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);
	int64 notifications = shim_select_notifications();
	uint8 frame[100];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 1);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_join(poller), 1);
	assert_int_equal(poller->pollfd.revents, SHIM_POLLIN);
	assert_int_equal(shim_select_notifications(), notifications + 1);

	tu_expect_read(fd, frame, sizeof(frame));
	assert_int_equal(poll_now(fd, SHIM_POLLIN), 0);
	tu_finish();
}

static void
test_pollin_iff_read_would_not_block(void** state)
{
	int fd = open_tap_up();
	TU_OK(shim_set_nonblocking(fd, true));
	uint8 frame[100], got[200];
	for (uint32 round = 0; round < 3; round++) {
		assert_int_equal(poll_now(fd, SHIM_POLLIN), 0);
		TU_EXPECT(shim_read(fd, got, sizeof(got)), B_WOULD_BLOCK);
		for (uint32 i = 0; i <= round; i++) {
			tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, i);
			TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
		}
		for (uint32 i = 0; i <= round; i++) {
			assert_int_equal(poll_now(fd, SHIM_POLLIN), SHIM_POLLIN);
			TU_EXPECT(shim_read(fd, got, sizeof(got)), sizeof(frame));
		}
		assert_int_equal(poll_now(fd, SHIM_POLLIN), 0);
		TU_EXPECT(shim_read(fd, got, sizeof(got)), B_WOULD_BLOCK);
	}
	tu_finish();
}

static void
test_pollout_iff_write_accepted(void** state)
{
	uint8 packet[100];
	int fd = open_tun_down(packet, sizeof(packet));

	/* down: writes are accepted (and dropped), so the descriptor is writable */
	assert_int_equal(poll_now(fd, SHIM_POLLOUT), SHIM_POLLOUT);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));

	/* up with a slow stack: writable until to_stack is full, then not */
	tuntap_unit* unit = tu_unit_up_undrained("tun/0");
	tu_set_queue_limits(fd, 2, 64 * 1024);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(poll_now(fd, SHIM_POLLOUT), SHIM_POLLOUT);
		TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	}
	assert_int_equal(poll_now(fd, SHIM_POLLOUT | SHIM_POLLIN), 0);
	struct tuntap_stats before = tu_stats(fd);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), B_WOULD_BLOCK);
	struct tuntap_stats after = tu_stats(fd);
	/* a refused non-blocking write is not counted */
	assert_memory_equal(&after, &before, sizeof(after));

	/* a selector waiting for room is woken once when the stack takes a packet */
	struct tu_call* poller = tu_start_poll(fd, SHIM_POLLOUT, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);
	int64 notifications = shim_select_notifications();
	tu_unit_take(unit, fd, packet, sizeof(packet));
	TU_EXPECT(tu_join(poller), 1);
	assert_int_equal(poller->pollfd.revents, SHIM_POLLOUT);
	assert_int_equal(shim_select_notifications(), notifications + 1);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	assert_int_equal(poll_now(fd, SHIM_POLLOUT), 0);

	/* limited in bytes: whatever POLLOUT says, the next write agrees */
	tu_unit_take(unit, fd, packet, sizeof(packet));
	tu_unit_take(unit, fd, packet, sizeof(packet));
	tu_set_queue_limits(fd, 100, 1600);
	int accepted = 0;
	for (int i = 0; i < 20; i++) {
		bool writable = poll_now(fd, SHIM_POLLOUT) == SHIM_POLLOUT;
		ssize_t written = shim_write(fd, packet, sizeof(packet));
		if (writable)
			TU_EXPECT(written, sizeof(packet));
		else
			TU_EXPECT(written, B_WOULD_BLOCK);
		accepted += writable;
	}
	/* at least one packet fits, and 1600 bytes never hold 17 of them */
	assert_true(accepted >= 1 && accepted <= 16);
	assert_int_equal(tu_stats(fd).to_stack.queued, accepted);

	/* down again: writable (accepted and dropped) */
	tu_unit_down_put(unit);
	assert_int_equal(poll_now(fd, SHIM_POLLOUT), SHIM_POLLOUT);
	TU_EXPECT(shim_write(fd, packet, sizeof(packet)), sizeof(packet));
	tu_finish();
}

static void
test_pollhup_after_delete(void** state)
{
	int fd = open_tap_up();
	struct tu_call* poller = tu_start_poll(fd, SHIM_POLLIN, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);
	bigtime_t start = system_time();
	TU_OK(tu_if_delete("tap/0"));
	TU_EXPECT(tu_join(poller), 1);
	TU_PROMPTLY(tu_returned_after(poller, start));
	assert_int_equal(poller->pollfd.revents, SHIM_POLLHUP);

	/* later polls report it at once, and never POLLIN, POLLOUT or POLLERR */
	assert_int_equal(poll_now(fd, SHIM_POLLIN | SHIM_POLLOUT), SHIM_POLLHUP);
	assert_int_equal(poll_now(fd, 0), SHIM_POLLHUP);
	TU_OK(tu_close(fd));
	tu_finish();
}

static void
test_notify_only_on_transitions(void** state)
{
	int fd = open_tap_up();
	uint8 frame[100];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 1);

	/* two packets while a selector waits: one transition, one notification */
	struct tu_call* poller = tu_start_poll(fd, SHIM_POLLIN, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);
	int64 notifications = shim_select_notifications();
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_join(poller), 1);
	assert_int_equal(shim_select_notifications(), notifications + 1);

	/* data already queued: a poll is answered at once by its select, once */
	notifications = shim_select_notifications();
	assert_int_equal(poll_now(fd, SHIM_POLLIN), SHIM_POLLIN);
	assert_int_equal(shim_select_notifications(), notifications + 1);

	/* a selector waiting for POLLIN only is not notified by packets going the other way */
	TU_EXPECT(shim_read(fd, frame, sizeof(frame)), sizeof(frame));
	TU_EXPECT(shim_read(fd, frame, sizeof(frame)), sizeof(frame));
	poller = tu_start_poll(fd, SHIM_POLLIN, 300000);
	tu_wait_blocked(poller);
	notifications = shim_select_notifications();
	tu_ether_frame(frame, sizeof(frame), tu_broadcast_mac, tu_app_mac, 0x0800, 2);
	for (int i = 0; i < 5; i++)
		TU_EXPECT(shim_write(fd, frame, sizeof(frame)), sizeof(frame));
	TU_EXPECT(tu_join(poller), 0);
	assert_int_equal(poller->pollfd.revents, 0);
	for (int i = 0; i < 5; i++)
		tu_expect_stack_frame("tap/0", frame, sizeof(frame));
	/* POLLOUT never had a transition (always writable while up and drained) */
	assert_int_equal(shim_select_notifications(), notifications);
	tu_finish();
}

static void
test_select_entries_released(void** state)
{
	int fd = open_tap_up();
	for (int i = 0; i < 20; i++) {
		struct shim_pollfd pollfd = {fd, SHIM_POLLIN | SHIM_POLLOUT, 0};
		TU_EXPECT(shim_poll(&pollfd, 1, 1000), 1);
		assert_int_equal(pollfd.revents, SHIM_POLLOUT);
	}
	struct shim_objects objects;
	tu_objects(&objects);
	assert_int_equal(objects.select_entries, tu_baseline.select_entries);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

#define STRESS_PACKETS 3000

/* a blocking reader expecting frames 0 .. STRESS_PACKETS - 1 in order */
static ssize_t
ordered_reader(struct tu_call* call)
{
	int fd = *(int*)call->context;
	for (uint32 i = 0; i < STRESS_PACKETS; i++) {
		uint8 frame[200];
		ssize_t length = shim_read(fd, frame, sizeof(frame));
		if (length != 100 || tu_get_be32(frame + 14) != i)
			return length < 0 ? length : B_BAD_DATA;
	}
	return B_OK;
}

/* the stack's reader: takes STRESS_PACKETS packets from to_stack, in order */
static ssize_t
ordered_stack_reader(struct tu_call* call)
{
	tuntap_unit* unit = (tuntap_unit*)call->context;
	for (uint32 i = 0; i < STRESS_PACKETS; i++) {
		net_buffer* buffer = NULL;
		status_t status = gTuntapModule.device.receive_data(&unit->device, &buffer);
		if (status != B_OK)
			return status;
		uint8 head[24];
		status = gBufferModule->read(buffer, 20, head, 4);
		gBufferModule->free(buffer);
		if (status != B_OK || tu_get_be32(head) != i)
			return B_BAD_DATA;
	}
	return B_OK;
}

static void
test_no_lost_wakeup_with_tiny_queues(void** state)
{
	/* both directions through one-packet queues: every packet needs a wake-up */
	tu_if_create_ok("tap/0", true);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
	tu_set_queue_limits(fd, 1, 64 * 1024);
	struct tu_call* reader = tu_start_function(ordered_reader, &fd);
	uint8 frame[100];
	uint64 retries = 0;
	for (uint32 i = 0; i < STRESS_PACKETS; i++) {
		tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, i);
		status_t status;
		while ((status = shim_stack_send("tap/0", frame, sizeof(frame), 0)) == B_WOULD_BLOCK)
			retries++;
		TU_OK(status);
	}
	TU_OK(tu_join(reader));
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.dequeued, STRESS_PACKETS);
	assert_int_equal(stats.to_app.dropped, retries);
	TU_ASSERT_STATS_INVARIANT(stats);

	tu_if_create_ok("tun/0", false);
	tuntap_unit* unit = tu_unit_up_undrained("tun/0");
	int tun = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	tu_set_queue_limits(tun, 1, 64 * 1024);
	struct tu_call* stackReader = tu_start_function(ordered_stack_reader, unit);
	uint8 packet[100];
	for (uint32 i = 0; i < STRESS_PACKETS; i++) {
		tu_ipv4_packet(packet, sizeof(packet), i);
		TU_EXPECT(shim_write(tun, packet, sizeof(packet)), sizeof(packet));
	}
	TU_OK(tu_join(stackReader));
	stats = tu_stats(tun);
	assert_int_equal(stats.to_stack.dequeued, STRESS_PACKETS);
	assert_int_equal(stats.to_stack.dropped, 0);
	tu_unit_down_put(unit);
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_idle_poll_loop_has_no_wakeups),
		TU_TEST(test_one_packet_one_wakeup),
		TU_TEST(test_full_queue_selector_woken_only_by_room),
		TU_TEST(test_pollin_iff_read_would_not_block),
		TU_TEST(test_pollout_iff_write_accepted),
		TU_TEST(test_pollhup_after_delete),
		TU_TEST(test_notify_only_on_transitions),
		TU_TEST(test_select_entries_released),
		TU_TEST(test_no_lost_wakeup_with_tiny_queues),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
