/* Tests of the shim's devfs: publishing rules and Haiku's descriptor rules (close at the last
 * close, free after the last in-flight call, disconnect, blocking-mode ioctls, staging). */
#include "fake_device.h"

static void
test_publish_rules(void** state)
{
	assert_int_equal(devfs_publish_device(NULL, &sFakeHooks), B_BAD_VALUE);
	assert_int_equal(devfs_publish_device("", &sFakeHooks), B_BAD_VALUE);
	assert_int_equal(devfs_publish_device("/dev/fake/1", &sFakeHooks), B_BAD_VALUE);
	assert_int_equal(devfs_publish_device("fake/1/", &sFakeHooks), B_BAD_VALUE);
	assert_int_equal(devfs_publish_device(FAKE_PATH, &sFakeHooks), B_FILE_EXISTS);
	/* "fake" is a directory while "fake/0" exists, and a device cannot hold a directory */
	assert_int_equal(devfs_publish_device("fake", &sFakeHooks), B_FILE_EXISTS);
	assert_int_equal(devfs_publish_device("fake/0/x", &sFakeHooks), B_FILE_EXISTS);
	assert_int_equal(devfs_publish_device("fake/1", &sFakeHooks), B_OK);
	assert_int_equal(shim_count_nodes("fake/"), 2);
	assert_int_equal(shim_count_nodes("/dev/fake/1"), 1);
	assert_int_equal(shim_count_nodes(""), 2);
	assert_true(shim_node_exists("/dev/fake/1"));
	assert_true(shim_node_exists("fake/1"));
	assert_false(shim_node_exists("fake"));

	assert_int_equal(devfs_unpublish_device("fake/2", false), B_ENTRY_NOT_FOUND);
	assert_int_equal(devfs_unpublish_device("fake/1", false), B_OK);
	assert_int_equal(devfs_unpublish_device("fake/1", false), B_ENTRY_NOT_FOUND);
	assert_false(shim_node_exists("fake/1"));
	assert_int_equal(devfs_unpublish_device(FAKE_PATH, false), B_OK);
	/* with the directory gone, "fake" may be a device */
	assert_int_equal(devfs_publish_device("fake", &sFakeHooks), B_OK);
	assert_int_equal(devfs_publish_device("fake/0", &sFakeHooks), B_FILE_EXISTS);
	assert_int_equal(devfs_unpublish_device("fake", false), B_OK);
	assert_int_equal(shim_count_nodes(""), 0);
}

static void
test_publish_fault(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	shim_fault_fail_nth(SHIM_FAULT_PUBLISH, 1, false);
	assert_int_equal(devfs_publish_device("fake/1", &sFakeHooks), B_NO_MEMORY);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_PUBLISH), 1);
	assert_false(shim_node_exists("fake/1"));
	shim_objects_get(&after);
	assert_int_equal(after.nodes, before.nodes);
	assert_int_equal(devfs_publish_device("fake/1", &sFakeHooks), B_OK);
	assert_int_equal(devfs_unpublish_device("fake/1", false), B_OK);
}

static void
test_open_passes_name_and_mode(void** state)
{
	assert_int_equal(shim_open("fake/9", SHIM_O_RDWR), B_ENTRY_NOT_FOUND);
	int fd = shim_open("/dev/fake/0", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	assert_true(fd >= 0);
	assert_string_equal(sFake.open_name, "fake/0");
	assert_int_equal(sFake.open_flags, O_RDWR | O_NONBLOCK);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR | O_NONBLOCK);
	assert_int_equal(shim_close(fd), B_OK);
	assert_int_equal(sFake.closes, 1);
	assert_int_equal(sFake.frees, 1);
}

static void
test_open_error_leaves_nothing(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	sFake.open_status = B_BUSY;
	assert_int_equal(shim_open(FAKE_PATH, SHIM_O_RDWR), B_BUSY);
	shim_objects_get(&after);
	assert_int_equal(after.descriptors, before.descriptors);
	assert_int_equal(after.cookies, before.cookies);
	assert_int_equal(sFake.closes, 0);
	assert_int_equal(sFake.frees, 0);
}

static void
test_invalid_descriptors(void** state)
{
	char buffer[8];
	assert_int_equal(shim_read(999, buffer, sizeof(buffer)), B_FILE_ERROR);
	assert_int_equal(shim_write(-1, buffer, sizeof(buffer)), B_FILE_ERROR);
	assert_int_equal(shim_close(-1), B_FILE_ERROR);
	assert_int_equal(shim_ioctl(12345, FAKE_OP_FILL, NULL, 0), B_FILE_ERROR);
	assert_int_equal(shim_dup(77), B_FILE_ERROR);

	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(shim_close(fd), B_OK);
	assert_int_equal(shim_close(fd), B_FILE_ERROR);
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), B_FILE_ERROR);
	assert_int_equal(shim_set_nonblocking(fd, true), B_FILE_ERROR);
	assert_int_equal(sFake.reads, 0);
	assert_int_equal(sFake.controls, 0);
}

static void
test_close_hook_runs_while_read_blocked(void** state)
{
	sFake.block_reads = true;
	struct io_call call = {.fd = shim_open(FAKE_PATH, SHIM_O_RDWR)};
	assert_true(call.fd >= 0);
	thread_id reader = shim_thread_spawn("blocked reader", read_thread, &call);
	wait_entered(reader);

	/* the last close runs the close hook at once, with the read still inside the driver */
	assert_int_equal(shim_close(call.fd), B_OK);
	assert_int_equal(atomic_get(&sFake.closes), 1);
	assert_int_equal(atomic_get(&sFake.reads_inside_at_close), 1);
	assert_int_equal(atomic_get(&sFake.frees), 0);

	/* free runs when that call returns, in the reader's thread */
	release_sem(sFake.read_sem);
	assert_int_equal(shim_thread_join(reader, NULL), B_OK);
	assert_int_equal(call.result, 5);
	assert_int_equal(atomic_get(&sFake.frees), 1);
	assert_int_equal(atomic_get(&sFake.reads_inside_at_free), 0);
	assert_int_equal(atomic_get(&sFake.free_thread), reader);
}

static void
test_dup_shares_the_description(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_true(fd >= 0);
	int copy = shim_dup(fd);
	assert_true(copy >= 0);
	assert_int_not_equal(copy, fd);
	shim_objects_get(&after);
	assert_int_equal(after.descriptors, before.descriptors + 2);
	assert_int_equal(after.cookies, before.cookies + 1);

	assert_int_equal(shim_close(fd), B_OK);
	assert_int_equal(sFake.closes, 0);
	char buffer[8];
	assert_int_equal(shim_read(copy, buffer, sizeof(buffer)), 5);
	assert_memory_equal(buffer, "hello", 5);
	assert_int_equal(shim_close(copy), B_OK);
	assert_int_equal(sFake.closes, 1);
	assert_int_equal(sFake.frees, 1);
	assert_int_equal(sFake.opens, 1);
}

static void
test_zero_length_io_skips_driver(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	char buffer[4];
	assert_int_equal(shim_read(fd, buffer, 0), 0);
	assert_int_equal(shim_write(fd, buffer, 0), 0);
	assert_int_equal(shim_read_user(fd, shim_user_bad_address(), 0), 0);
	assert_int_equal(shim_write_user(fd, NULL, 0), 0);
	assert_int_equal(sFake.reads, 0);
	assert_int_equal(sFake.writes, 0);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_access_mode_checks(void** state)
{
	char buffer[8] = "data";
	int writeOnly = shim_open(FAKE_PATH, SHIM_O_WRONLY);
	int readOnly = shim_open(FAKE_PATH, SHIM_O_RDONLY);
	assert_int_equal(shim_read(writeOnly, buffer, sizeof(buffer)), B_FILE_ERROR);
	assert_int_equal(shim_write(readOnly, buffer, 4), B_FILE_ERROR);
	assert_int_equal(sFake.reads, 0);
	assert_int_equal(sFake.writes, 0);
	assert_int_equal(shim_write(writeOnly, buffer, 4), 4);
	assert_int_equal(shim_read(readOnly, buffer, sizeof(buffer)), 5);
	assert_int_equal(shim_close(writeOnly), B_OK);
	assert_int_equal(shim_close(readOnly), B_OK);
}

static void
test_io_is_staged_in_user_memory(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	char message[] = "packet";
	assert_int_equal(shim_write(fd, message, 6), 6);
	assert_memory_equal(sFake.written, "packet", 6);
	assert_ptr_not_equal(sFake.io_pointer, message);

	char buffer[3];
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), 3);
	assert_memory_equal(buffer, "hel", 3);
	assert_ptr_not_equal(sFake.io_pointer, buffer);

	/* the _user variants hand the pointer through: a bad one reaches the driver unchanged */
	void* bad = shim_user_bad_address();
	assert_int_equal(shim_read_user(fd, bad, 8), B_BAD_ADDRESS);
	assert_ptr_equal(sFake.io_pointer, bad);
	assert_int_equal(shim_write_user(fd, bad, 8), B_BAD_ADDRESS);
	assert_ptr_equal(sFake.io_pointer, bad);

	void* user = shim_user_alloc(8);
	shim_user_put(user, "abcdefgh", 8);
	assert_int_equal(shim_write_user(fd, user, 8), 8);
	assert_ptr_equal(sFake.io_pointer, user);
	assert_memory_equal(sFake.written, "abcdefgh", 8);
	shim_user_free(user);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_set_nonblocking_calls_control_every_time(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_int_equal(shim_set_nonblocking(fd, true), B_OK);
	assert_int_equal(sFake.control_op, B_SET_NONBLOCKING_IO);
	assert_null(sFake.control_argument);
	assert_int_equal(sFake.control_length, 0);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR | O_NONBLOCK);
	assert_int_equal(shim_set_nonblocking(fd, true), B_OK);
	assert_int_equal(sFake.controls, 2);
	assert_int_equal(shim_set_nonblocking(fd, false), B_OK);
	assert_int_equal(sFake.control_op, B_SET_BLOCKING_IO);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_failing_control_keeps_the_mode(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	sFake.control_status = B_NOT_ALLOWED;
	assert_int_equal(shim_set_nonblocking(fd, true), B_NOT_ALLOWED);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR);
	assert_int_equal(shim_fionbio(fd, true), B_NOT_ALLOWED);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR);
	assert_int_equal(sFake.controls, 2);
	/* FIONBIO returns what F_SETFL returned, before fd_ioctl's ENOTTY rewrite (fd.cpp) */
	sFake.control_status = B_DEV_INVALID_IOCTL;
	int on = 1;
	assert_int_equal(shim_ioctl_buf(fd, FIONBIO, &on, sizeof(on), 0), B_DEV_INVALID_IOCTL);
	assert_int_equal(shim_set_nonblocking(fd, true), B_DEV_INVALID_IOCTL);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR);
	sFake.control_status = B_OK;
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_fionbio(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_int_equal(shim_fionbio(fd, true), B_OK);
	assert_int_equal(sFake.control_op, B_SET_NONBLOCKING_IO);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR | O_NONBLOCK);

	/* ioctl(fd, FIONBIO, &int): the int is read with user_memcpy, then F_SETFL's path */
	int off = 0;
	assert_int_equal(shim_ioctl_buf(fd, FIONBIO, &off, sizeof(off), 0), B_OK);
	assert_int_equal(sFake.control_op, B_SET_BLOCKING_IO);
	assert_null(sFake.control_argument);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR);
	int on = 1;
	assert_int_equal(shim_ioctl_buf(fd, FIONBIO, &on, sizeof(on), sizeof(on)), B_OK);
	assert_int_equal(sFake.control_op, B_SET_NONBLOCKING_IO);

	int32 controls = sFake.controls;
	/* Haiku's fd_ioctl (fd.cpp): NULL is B_BAD_VALUE, a pointer it cannot read B_BAD_ADDRESS */
	assert_int_equal(shim_ioctl(fd, FIONBIO, shim_user_bad_address(), 0), B_BAD_ADDRESS);
	assert_int_equal(shim_ioctl(fd, FIONBIO, NULL, 0), B_BAD_VALUE);
	assert_int_equal(sFake.controls, controls);
	assert_int_equal(shim_devfs_open_mode(fd), O_RDWR | O_NONBLOCK);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_ioctl_passes_arguments(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	/* an op the driver does not know reaches user space as ENOTTY (fd.cpp, fd_ioctl) */
	sFake.control_status = B_DEV_INVALID_IOCTL;
	assert_int_equal(shim_ioctl(fd, 4242, (void*)(uintptr_t)0x1234, 7), SHIM_ENOTTY);
	assert_int_equal(sFake.control_op, 4242);
	assert_ptr_equal(sFake.control_argument, (void*)(uintptr_t)0x1234);
	assert_int_equal(sFake.control_length, 7);

	sFake.control_status = B_OK;
	char buffer[8] = "";
	assert_int_equal(shim_ioctl_buf(fd, FAKE_OP_FILL, buffer, sizeof(buffer), 0), B_OK);
	assert_string_equal(buffer, "filled");
	assert_ptr_not_equal(sFake.control_argument, buffer);
	assert_int_equal(sFake.control_length, 0);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_unpublish_keeps_open_descriptors(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_int_equal(devfs_unpublish_device(FAKE_PATH, false), B_OK);
	assert_false(shim_node_exists(FAKE_PATH));
	assert_int_equal(shim_open(FAKE_PATH, SHIM_O_RDWR), B_ENTRY_NOT_FOUND);
	/* the name can be published again while the old node lives on in its descriptor */
	assert_int_equal(devfs_publish_device(FAKE_PATH, &sFakePlainHooks), B_OK);
	char buffer[8];
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), 5);
	assert_int_equal(sFake.closes, 0);
	assert_int_equal(shim_close(fd), B_OK);
	assert_int_equal(sFake.closes, 1);
	assert_int_equal(sFake.frees, 1);
}

static void
test_disconnect_closes_idle_descriptors(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	int copy = shim_dup(fd);
	assert_int_equal(devfs_unpublish_device(FAKE_PATH, true), B_OK);
	assert_int_equal(sFake.closes, 1);
	assert_int_equal(sFake.frees, 1);
	char buffer[8];
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), B_FILE_ERROR);
	assert_int_equal(shim_ioctl(copy, FAKE_OP_FILL, NULL, 0), B_FILE_ERROR);
	assert_int_equal(shim_dup(fd), B_FILE_ERROR);
	assert_int_equal(sFake.reads, 0);
	/* Haiku: closing a disconnected descriptor reports B_FILE_ERROR but frees the slot */
	assert_int_equal(shim_close(fd), B_FILE_ERROR);
	assert_int_equal(shim_close(copy), B_FILE_ERROR);
	assert_int_equal(shim_close(copy), B_FILE_ERROR);
	shim_objects_get(&after);
	assert_int_equal(after.descriptors, before.descriptors);
	assert_int_equal(after.cookies, before.cookies);
	assert_int_equal(sFake.closes, 1);
	assert_int_equal(sFake.frees, 1);
}

static void
test_disconnect_waits_for_the_call_in_flight(void** state)
{
	sFake.block_reads = true;
	struct io_call call = {.fd = shim_open(FAKE_PATH, SHIM_O_RDWR)};
	thread_id reader = shim_thread_spawn("blocked reader", read_thread, &call);
	wait_entered(reader);
	assert_int_equal(devfs_unpublish_device(FAKE_PATH, true), B_OK);
	assert_int_equal(atomic_get(&sFake.closes), 0);
	char buffer[4];
	assert_int_equal(shim_read(call.fd, buffer, sizeof(buffer)), B_FILE_ERROR);

	release_sem(sFake.read_sem);
	assert_int_equal(shim_thread_join(reader, NULL), B_OK);
	assert_int_equal(call.result, 5);
	assert_int_equal(atomic_get(&sFake.closes), 1);
	assert_int_equal(atomic_get(&sFake.frees), 1);
	assert_int_equal(atomic_get(&sFake.free_thread), reader);
	assert_int_equal(shim_close(call.fd), B_FILE_ERROR);
}

static void
test_syscall_exit_consumes_the_interrupt(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_int_equal(shim_interrupt(shim_current_thread()), B_OK);
	assert_true(shim_interrupt_pending());
	char buffer[8];
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), 5);
	assert_false(shim_interrupt_pending());

	/* a pending interrupt fails the driver's interruptible wait, then is consumed */
	sFake.block_reads = true;
	assert_int_equal(shim_interrupt(shim_current_thread()), B_OK);
	assert_int_equal(shim_read(fd, buffer, sizeof(buffer)), B_INTERRUPTED);
	assert_false(shim_interrupt_pending());
	acquire_sem(sFake.entered_sem);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_shutdown_closes_open_descriptors(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(devfs_unpublish_device(FAKE_PATH, false), B_OK);
	delete_sem(sFake.read_sem);
	delete_sem(sFake.entered_sem);
	assert_int_equal(shim_shutdown(), B_OK);
	assert_int_equal(sFake.closes, 1);
	assert_int_equal(sFake.frees, 1);
	/* boot again for the teardown */
	assert_int_equal(shim_boot_with(NULL, NULL), B_OK);
	shim_objects_get(&sBaseline);
	sFake.read_sem = create_sem(0, "fake read");
	sFake.entered_sem = create_sem(0, "fake entered");
	assert_int_equal(shim_count_nodes(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_rules, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_publish_fault, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_open_passes_name_and_mode, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_open_error_leaves_nothing, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_descriptors, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_close_hook_runs_while_read_blocked, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_dup_shares_the_description, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_zero_length_io_skips_driver, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_access_mode_checks, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_io_is_staged_in_user_memory, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_set_nonblocking_calls_control_every_time, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_failing_control_keeps_the_mode, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_fionbio, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_ioctl_passes_arguments, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_unpublish_keeps_open_descriptors, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_disconnect_closes_idle_descriptors, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_disconnect_waits_for_the_call_in_flight, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_syscall_exit_consumes_the_interrupt, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_shutdown_closes_open_descriptors, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
