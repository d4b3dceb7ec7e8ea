/* ctrl+c: a signal to a thread blocked in read, write or poll returns B_INTERRUPTED promptly,
 * consumes and loses no packet, leaks nothing and leaves the descriptor working; SA_RESTART. */

#include "test_util.h"

static int
open_tap_up(void)
{
	tu_if_create_ok("tap/0", true);
	return tu_open_ok("/dev/tap/0", SHIM_O_RDWR);
}

/* the descriptor still moves packets both ways */
static void
expect_descriptor_works(int fd, const char* name, uint32 sequence)
{
	uint8 frame[200];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, sequence);
	TU_OK(shim_stack_send(name, frame, sizeof(frame), 0));
	tu_expect_read(fd, frame, sizeof(frame));
	tu_ether_frame(frame, sizeof(frame), tu_broadcast_mac, tu_app_mac, 0x0800, sequence + 1);
	TU_EXPECT(shim_write(fd, frame, sizeof(frame)), sizeof(frame));
	tu_expect_stack_frame(name, frame, sizeof(frame));
}

static void
test_ctrlc_blocked_read(void** state)
{
	int fd = open_tap_up();
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);

	bigtime_t start = system_time();
	TU_OK(shim_interrupt(reader->thread));
	TU_EXPECT(tu_join(reader), B_INTERRUPTED);
	TU_PROMPTLY(tu_returned_after(reader, start));

	/* nothing was consumed: the next packet is read whole, by the same descriptor */
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.dequeued, 0);
	assert_int_equal(stats.to_app.enqueued, 0);
	expect_descriptor_works(fd, "tap/0", 1);

	/* and a new blocked reader is woken by data as usual */
	reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);
	uint8 frame[64];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 9);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_join(reader), sizeof(frame));
	assert_memory_equal(reader->buffer, frame, sizeof(frame));
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

static void
test_ctrlc_blocked_poll(void** state)
{
	int fd = open_tap_up();
	struct tu_call* poller = tu_start_poll(fd, SHIM_POLLIN, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);

	bigtime_t start = system_time();
	TU_OK(shim_interrupt(poller->thread));
	TU_EXPECT(tu_join(poller), B_INTERRUPTED);
	TU_PROMPTLY(tu_returned_after(poller, start));

	/* a new poll sees data as usual, and nothing was lost */
	uint8 frame[80];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 3);
	poller = tu_start_poll(fd, SHIM_POLLIN, B_INFINITE_TIMEOUT);
	tu_wait_blocked(poller);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_join(poller), 1);
	assert_int_equal(poller->pollfd.revents, SHIM_POLLIN);
	tu_expect_read(fd, frame, sizeof(frame));
	expect_descriptor_works(fd, "tap/0", 4);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

static void
test_ctrlc_pending_before_read_and_poll(void** state)
{
	int fd = open_tap_up();
	uint8 buffer[2000];
	struct shim_pollfd pollfd = {fd, SHIM_POLLIN, 0};

	/* a signal already pending: the read returns B_INTERRUPTED at once... */
	TU_OK(shim_interrupt(shim_current_thread()));
	bigtime_t start = system_time();
	TU_EXPECT(shim_read(fd, buffer, sizeof(buffer)), B_INTERRUPTED);
	TU_PROMPTLY(system_time() - start);
	/* ...and the signal was consumed at its end: a poll now times out normally */
	start = system_time();
	TU_EXPECT(shim_poll(&pollfd, 1, 20000), 0);
	assert_true(system_time() - start >= 20000);

	TU_OK(shim_interrupt(shim_current_thread()));
	TU_EXPECT(shim_poll(&pollfd, 1, B_INFINITE_TIMEOUT), B_INTERRUPTED);
	TU_EXPECT(shim_poll(&pollfd, 1, 20000), 0);

	assert_int_equal(tu_stats(fd).to_app.dequeued, 0);
	expect_descriptor_works(fd, "tap/0", 1);
	tu_finish();
}

static void
test_ctrlc_blocked_write(void** state)
{
	/* to_stack full: the interface is up but no stack reader drains it (a slow stack) */
	tu_if_create_ok("tun/0", false);
	tuntap_unit* unit = tu_unit_up_undrained("tun/0");
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	uint8 first[100], second[200];
	tu_ipv4_packet(first, sizeof(first), 1);
	tu_ipv4_packet(second, sizeof(second), 2);
	struct tu_call* writer =
		tu_start_blocked_write(fd, first, sizeof(first), second, sizeof(second));
	struct shim_objects blocked;
	tu_objects(&blocked);
	bigtime_t start = system_time();
	TU_OK(shim_interrupt(writer->thread));
	TU_EXPECT(tu_join(writer), B_INTERRUPTED);
	TU_PROMPTLY(tu_returned_after(writer, start));

	/* nothing queued or counted for the interrupted write; its buffer is freed */
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_stack.enqueued, 1);
	assert_int_equal(stats.to_stack.queued, 1);
	assert_int_equal(stats.to_stack.dropped, 0);
	struct shim_objects after;
	tu_objects(&after);
	assert_true(after.net_buffers <= blocked.net_buffers);
	assert_int_equal(after.net_buffers, tu_baseline.net_buffers + 1);

	/* the queued packet is intact, and the descriptor writes again */
	tu_unit_take(unit, fd, first, sizeof(first));
	TU_EXPECT(shim_write(fd, second, sizeof(second)), sizeof(second));
	tu_unit_take(unit, fd, second, sizeof(second));

	/* pending before a write that would block: same result */
	TU_EXPECT(shim_write(fd, first, sizeof(first)), sizeof(first));
	TU_OK(shim_interrupt(shim_current_thread()));
	TU_EXPECT(shim_write(fd, second, sizeof(second)), B_INTERRUPTED);
	assert_int_equal(tu_stats(fd).to_stack.enqueued, 3);
	tu_unit_take(unit, fd, first, sizeof(first));
	TU_OK(tu_close(fd));
	tu_unit_down_put(unit);
	tu_finish();
}

static void
test_ctrlc_repeated_leaves_no_waiter_behind(void** state)
{
	int fd = open_tap_up();
	for (int i = 0; i < 50; i++) {
		struct tu_call* call =
			i % 2 ? tu_start_read(fd, 2000) : tu_start_poll(fd, SHIM_POLLIN, B_INFINITE_TIMEOUT);
		tu_wait_blocked(call);
		TU_OK(shim_interrupt(call->thread));
		TU_EXPECT(tu_join(call), B_INTERRUPTED);
	}
	/* each interrupted reader unregistered itself: no waiter counted, no token banked (a phantom
	 * waiter would make every wake-up release a token nobody takes) */
	tuntap_unit* unit = tuntap_unit_get("tap/0");
	assert_non_null(unit);
	assert_non_null(unit->owner);
	assert_int_equal(unit->owner->read_waiters.waiters, 0);
	int32 tokens = -1;
	TU_OK(get_sem_count(unit->owner->read_waiters.sem, &tokens));
	assert_int_equal(tokens, 0);
	tuntap_unit_put(unit);
	/* a stale wake-up token would let this reader return early or not at all */
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);
	uint8 frame[100];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 77);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_join(reader), sizeof(frame));
	assert_memory_equal(reader->buffer, frame, sizeof(frame));
	TU_EXPECT(tu_fionread(fd), 0);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

/* ctrl+c and a wake-up at once: the waker counts the reader as woken and releases its token, but
 * the reader has left interrupted; it must take that token back, or the next reader on the
 * descriptor would wake for nothing */
static void
test_ctrlc_racing_a_wakeup_takes_the_token_back(void** state)
{
	int fd = open_tap_up();
	tuntap_unit* unit = tuntap_unit_get("tap/0");
	assert_non_null(unit);
	assert_non_null(unit->owner);
	tuntap_wait_queue* queue = &unit->owner->read_waiters;
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);

	mutex_lock(&unit->lock); /* the interrupted reader cannot come back in before the wake-up */
	TU_OK(shim_interrupt(reader->thread));
	int32 tokens = -1;
	bigtime_t deadline = system_time() + TU_BLOCK_TIMEOUT;
	while (get_sem_count(queue->sem, &tokens) == B_OK && tokens < 0 && system_time() < deadline)
		snooze(1000);
	assert_int_equal(tokens, 0);         /* it left the semaphore, */
	assert_int_equal(queue->waiters, 1); /* still counted */
	tuntap_wait_queue_wake(queue, false);
	assert_int_equal(queue->waiters, 0);
	mutex_unlock(&unit->lock);

	TU_EXPECT(tu_join(reader), B_INTERRUPTED);
	TU_OK(get_sem_count(queue->sem, &tokens));
	assert_int_equal(tokens, 0);
	tuntap_unit_put(unit);
	expect_descriptor_works(fd, "tap/0", 1);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

static void
test_ctrlc_racing_a_packet_loses_nothing(void** state)
{
	int fd = open_tap_up();
	int delivered = 0, interrupted = 0;
	for (uint32 i = 0; i < 100; i++) {
		uint8 frame[100];
		tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, i);
		struct tu_call* reader = tu_start_read(fd, 2000);
		tu_wait_blocked(reader);
		/* the signal first (and handled), both together, or the packet first */
		if (i % 3 == 2)
			TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
		TU_OK(shim_interrupt(reader->thread));
		if (i % 3 == 0)
			tu_wait_done(reader, TU_SECOND);
		if (i % 3 != 2)
			TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
		ssize_t result = tu_join(reader);
		if (result == (ssize_t)sizeof(frame)) {
			assert_memory_equal(reader->buffer, frame, sizeof(frame));
			TU_EXPECT(tu_fionread(fd), 0);
			delivered++;
		} else {
			TU_EXPECT(result, B_INTERRUPTED);
			/* the packet was not consumed: it is still at the head */
			TU_EXPECT(tu_fionread(fd), sizeof(frame));
			tu_expect_read(fd, frame, sizeof(frame));
			interrupted++;
		}
	}
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_app.dequeued, 100);
	assert_int_equal(stats.to_app.dropped, 0);
	assert_int_equal(delivered + interrupted, 100);
	assert_true(interrupted >= 34 && delivered >= 1);
	print_message("racing ctrl+c: %d delivered, %d interrupted\n", delivered, interrupted);
	TU_OK(tu_close(fd));
	TU_OK(tu_if_delete("tap/0"));
	tu_finish();
}

static void
test_ctrlc_on_another_thread_does_not_disturb(void** state)
{
	/* an interrupt to a thread outside the driver leaves a blocked reader alone */
	int fd = open_tap_up();
	tu_if_create_ok("tap/1", true);
	int other = tu_open_ok("/dev/tap/1", SHIM_O_RDWR);
	struct tu_call* reader = tu_start_read(fd, 2000);
	struct tu_call* bystander = tu_start_poll(other, SHIM_POLLIN, 3 * TU_SECOND);
	tu_wait_blocked(reader);
	tu_wait_blocked(bystander);
	TU_OK(shim_interrupt(bystander->thread));
	TU_EXPECT(tu_join(bystander), B_INTERRUPTED);
	assert_false(tu_call_done(reader));
	TU_OK(shim_wait_until_blocked(reader->thread, TU_BLOCK_TIMEOUT));
	uint8 frame[60];
	tu_ether_frame(frame, sizeof(frame), tu_app_mac, tu_zero_mac, 0x0800, 5);
	TU_OK(shim_stack_send("tap/0", frame, sizeof(frame), 0));
	TU_EXPECT(tu_join(reader), sizeof(frame));
	assert_memory_equal(reader->buffer, frame, sizeof(frame));
	expect_descriptor_works(other, "tap/1", 6);
	tu_finish();
}

/* A signal whose handler has SA_RESTART: Haiku runs the interrupted read or write again, which
 * must then simply block again and complete once, with nothing lost or doubled */
static void
test_sa_restart_signal_resumes_read_and_write(void** state)
{
	tu_if_create_ok("tun/0", false);
	tuntap_unit* unit = tu_unit_up_undrained("tun/0");
	int fd = tu_open_ok("/dev/tun/0", SHIM_O_RDWR);
	struct tu_call* reader = tu_start_read(fd, 2000);
	tu_wait_blocked(reader);
	TU_OK(shim_signal(reader->thread, SHIM_SIGNAL_RESTART));
	tu_wait_blocked(reader);
	uint8 packet[120];
	tu_ipv4_packet(packet, sizeof(packet), 5);
	TU_OK(shim_stack_send("tun/0", packet, sizeof(packet), B_NET_FRAME_TYPE_IPV4));
	TU_EXPECT(tu_join(reader), sizeof(packet));
	assert_memory_equal(reader->buffer, packet, sizeof(packet));

	/* a writer blocked on a full to_stack */
	uint8 second[90];
	tu_ipv4_packet(second, sizeof(second), 6);
	struct tu_call* writer =
		tu_start_blocked_write(fd, packet, sizeof(packet), second, sizeof(second));
	TU_OK(shim_signal(writer->thread, SHIM_SIGNAL_RESTART));
	tu_wait_blocked(writer);
	assert_int_equal(tu_stats(fd).to_stack.enqueued, 1);
	tu_unit_take(unit, fd, packet, sizeof(packet));
	TU_EXPECT(tu_join(writer), sizeof(second));
	tu_unit_take(unit, fd, second, sizeof(second));
	struct tuntap_stats stats = tu_stats(fd);
	assert_int_equal(stats.to_stack.enqueued, 2);
	assert_int_equal(stats.to_app.dequeued, 1);
	TU_ASSERT_STATS_INVARIANT(stats);
	TU_OK(tu_close(fd));
	tu_unit_down_put(unit);
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_ctrlc_blocked_read),
		TU_TEST(test_ctrlc_blocked_poll),
		TU_TEST(test_ctrlc_pending_before_read_and_poll),
		TU_TEST(test_ctrlc_blocked_write),
		TU_TEST(test_sa_restart_signal_resumes_read_and_write),
		TU_TEST(test_ctrlc_repeated_leaves_no_waiter_behind),
		TU_TEST(test_ctrlc_racing_a_wakeup_takes_the_token_back),
		TU_TEST(test_ctrlc_racing_a_packet_loses_nothing),
		TU_TEST(test_ctrlc_on_another_thread_does_not_disturb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
