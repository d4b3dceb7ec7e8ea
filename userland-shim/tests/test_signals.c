/* Signals as Haiku handles them at a syscall's exit: an interrupted read, write or ioctl returns
 * B_INTERRUPTED only after a handler without SA_RESTART, else it starts over; endless restarts. */
#include "fake_device.h"

#include "child_test.h"

/* a reader blocked inside the fake's read hook */
static thread_id
start_blocked_read(struct io_call* call)
{
	sFake.block_reads = true;
	call->fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	thread_id reader = shim_thread_spawn("reader", read_thread, call);
	wait_entered(reader);
	return reader;
}

static void
test_handler_without_sa_restart_interrupts(void** state)
{
	struct io_call call = {0};
	thread_id reader = start_blocked_read(&call);
	assert_int_equal(shim_signal(reader, SHIM_SIGNAL_HANDLER), B_OK);
	assert_int_equal(shim_thread_join(reader, NULL), B_OK);
	assert_int_equal(call.result, B_INTERRUPTED);
	assert_int_equal(sFake.reads, 1);
	assert_int_equal(shim_close(call.fd), B_OK);
}

static void
test_sa_restart_restarts_the_read(void** state)
{
	struct io_call call = {0};
	thread_id reader = start_blocked_read(&call);
	assert_int_equal(shim_signal(reader, SHIM_SIGNAL_RESTART), B_OK);
	/* the handler ran at the exit, the read started over and waits in the driver again */
	wait_entered(reader);
	assert_int_equal(atomic_get(&sFake.reads), 2);
	release_sem(sFake.read_sem);
	assert_int_equal(shim_thread_join(reader, NULL), B_OK);
	assert_int_equal(call.result, 5);
	assert_memory_equal(call.buffer, "hello", 5);
	assert_int_equal(shim_close(call.fd), B_OK);
}

/* handle_signals() clears the restart for any handler without SA_RESTART among those it runs */
static void
test_one_handler_without_sa_restart_is_enough(void** state)
{
	struct io_call call = {0};
	thread_id reader = start_blocked_read(&call);
	assert_int_equal(shim_signal(reader, SHIM_SIGNAL_RESTART), B_OK);
	assert_int_equal(shim_signal(reader, SHIM_SIGNAL_HANDLER), B_OK);
	assert_int_equal(shim_thread_join(reader, NULL), B_OK);
	/* both may have landed before the reader left its wait, or the first restarted it */
	assert_int_equal(call.result, B_INTERRUPTED);
	assert_int_equal(shim_close(call.fd), B_OK);
	assert_int_equal(shim_signal(reader, (enum shim_signal_action)7), B_BAD_VALUE);
}

/* no signal at all: Haiku restarts the call silently */
static void
test_interrupted_without_signal_is_restarted(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	char buffer[8];
	sFake.spurious_interrupts = 3;
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), 5);
	assert_int_equal(sFake.reads, 4);
	sFake.spurious_interrupts = 2;
	assert_int_equal(shim_ioctl_buf(fd, FAKE_OP_FILL, buffer, sizeof(buffer), 0), B_OK);
	assert_string_equal(buffer, "filled");
	assert_int_equal(sFake.controls, 3);
	sFake.spurious_interrupts = 1;
	assert_int_equal(shim_ioctl(fd, FAKE_OP_FILL + 1, NULL, 0), B_OK);
	assert_int_equal(sFake.controls, 5);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
endless_read(void)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	sFake.spurious_interrupts = INT32_MAX;
	char buffer[8];
	shim_read(fd, buffer, sizeof(buffer));
}

static void
endless_ioctl(void)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	sFake.spurious_interrupts = INT32_MAX;
	shim_ioctl(fd, FAKE_OP_FILL + 1, NULL, 0);
}

/* what spins forever on Haiku ends the shim with a panic naming the call */
static void
test_endless_restart_panics(void** state)
{
	expect_abort(
		endless_read, "PANIC: read on fd ", "restarted 100 times in a row without a signal");
	expect_abort(endless_ioctl, "PANIC: ioctl on fd ", "restarted 100 times in a row");
}

/* _user_poll() has no restart wrapper: poll returns B_INTERRUPTED whatever the handler */
static void
test_poll_is_never_restarted(void** state)
{
	struct poll_call call;
	thread_id poller = start_blocked_poll(&call, shim_open(FAKE_PATH, SHIM_O_RDWR), SHIM_POLLIN);
	assert_int_equal(shim_signal(poller, SHIM_SIGNAL_RESTART), B_OK);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, B_INTERRUPTED);
	assert_int_equal(sFake.selects, 3);
	assert_int_equal(shim_close(call.fds[0].fd), B_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_handler_without_sa_restart_interrupts, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_sa_restart_restarts_the_read, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_one_handler_without_sa_restart_is_enough, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_interrupted_without_signal_is_restarted, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_endless_restart_panics, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_is_never_restarted, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
