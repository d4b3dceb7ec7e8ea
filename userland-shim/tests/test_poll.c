/* Tests of the shim's select support: poll with and without select hooks, notification,
 * timeout, interrupt, POLLNVAL, close during poll, and the select sync pool functions. */
#include "fake_device.h"

static void
test_poll_without_select_hook_is_ready(void** state)
{
	assert_int_equal(devfs_publish_device("fake/plain", &sFakePlainHooks), B_OK);
	int fd = shim_open("fake/plain", SHIM_O_RDWR);
	struct shim_pollfd fds[1] = {{fd, SHIM_POLLIN | SHIM_POLLOUT, 0}};
	assert_int_equal(shim_poll(fds, 1, B_INFINITE_TIMEOUT), 1);
	assert_int_equal(fds[0].revents, SHIM_POLLIN | SHIM_POLLOUT);
	fds[0].events = SHIM_POLLIN;
	assert_int_equal(shim_poll(fds, 1, 0), 1);
	assert_int_equal(fds[0].revents, SHIM_POLLIN);
	assert_int_equal(shim_close(fd), B_OK);
	assert_int_equal(devfs_unpublish_device("fake/plain", false), B_OK);
}

static void
test_poll_selects_and_deselects(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	fake_set_readable(true);
	struct shim_pollfd fds[1] = {{fd, SHIM_POLLIN, 0}};
	assert_int_equal(shim_poll(fds, 1, B_INFINITE_TIMEOUT), 1);
	assert_int_equal(fds[0].revents, SHIM_POLLIN);
	/* the requested event plus ERROR and DISCONNECTED, always with ref 0 */
	int32 expected = SELECT_FLAG(B_SELECT_READ) | SELECT_FLAG(B_SELECT_ERROR)
					 | SELECT_FLAG(B_SELECT_DISCONNECTED);
	assert_int_equal(sFake.selected_mask, expected);
	assert_int_equal(sFake.selects, 3);
	assert_int_equal(sFake.select_refs, 0);
	assert_int_equal(sFake.deselected_mask, expected);
	assert_int_equal(sFake.deselects, 3);
	assert_null(sFake.pool);
	assert_int_equal(shim_select_notifications(), 1);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_poll_timeout(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	struct shim_pollfd fds[1] = {{fd, SHIM_POLLIN | SHIM_POLLOUT, 0x55}};
	bigtime_t start = system_time();
	assert_int_equal(shim_poll(fds, 1, 20000), 0);
	assert_true(system_time() - start >= 20000);
	assert_int_equal(fds[0].revents, 0);
	assert_int_equal(shim_poll(fds, 1, 0), 0);
	assert_int_equal(sFake.deselects, sFake.selects);
	assert_null(sFake.pool);
	assert_int_equal(shim_close(fd), B_OK);
	shim_objects_get(&after);
	assert_int_equal(after.select_entries, before.select_entries);
	assert_int_equal(after.semaphores, before.semaphores);
}

static void
test_poll_woken_by_notification(void** state)
{
	struct poll_call call;
	thread_id poller = start_blocked_poll(&call, shim_open(FAKE_PATH, SHIM_O_RDWR), SHIM_POLLIN);
	assert_int_equal(shim_select_notifications(), 0);
	fake_set_readable(true);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, 1);
	assert_int_equal(call.fds[0].revents, SHIM_POLLIN);
	assert_int_equal(shim_select_notifications(), 1);
	assert_null(sFake.pool);
	assert_int_equal(shim_close(call.fds[0].fd), B_OK);
}

static void
test_poll_reports_hangup_unrequested(void** state)
{
	struct poll_call call;
	thread_id poller = start_blocked_poll(&call, shim_open(FAKE_PATH, SHIM_O_RDWR), SHIM_POLLIN);
	/* an event nobody waits for does not wake the poll ... */
	mutex_lock(&sFake.lock);
	notify_select_event_pool(sFake.pool, B_SELECT_WRITE);
	mutex_unlock(&sFake.lock);
	assert_int_equal(shim_wait_until_blocked(poller, SECOND), B_OK);
	/* ... DISCONNECTED always does */
	mutex_lock(&sFake.lock);
	notify_select_event_pool(sFake.pool, B_SELECT_DISCONNECTED);
	mutex_unlock(&sFake.lock);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, 1);
	assert_int_equal(call.fds[0].revents, SHIM_POLLHUP);
	assert_int_equal(shim_close(call.fds[0].fd), B_OK);
}

static void
test_poll_interrupted(void** state)
{
	struct poll_call call;
	thread_id poller = start_blocked_poll(&call, shim_open(FAKE_PATH, SHIM_O_RDWR), SHIM_POLLIN);
	assert_int_equal(shim_interrupt(poller), B_OK);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, B_INTERRUPTED);
	assert_int_equal(sFake.deselects, 3);
	assert_null(sFake.pool);

	/* an interrupt already pending when poll starts has the same effect, and is consumed */
	shim_interrupt(shim_current_thread());
	assert_int_equal(shim_poll(call.fds, 1, B_INFINITE_TIMEOUT), B_INTERRUPTED);
	assert_false(shim_interrupt_pending());
	assert_int_equal(shim_close(call.fds[0].fd), B_OK);
}

static void
test_poll_invalid_descriptor(void** state)
{
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	struct shim_pollfd fds[3] = {
		{4321, SHIM_POLLIN, 0}, {-1, SHIM_POLLIN, 0x77}, {fd, SHIM_POLLIN, 0}};
	assert_int_equal(shim_poll(fds, 3, B_INFINITE_TIMEOUT), 1);
	assert_int_equal(fds[0].revents, SHIM_POLLNVAL);
	assert_int_equal(fds[1].revents, 0);
	assert_int_equal(fds[2].revents, 0);
	assert_int_equal(sFake.deselects, 3);
	assert_int_equal(shim_poll(NULL, 1, 0), B_BAD_VALUE);
	assert_int_equal(shim_poll(NULL, 0, 0), 0);
	assert_int_equal(shim_close(fd), B_OK);
}

static void
test_close_during_poll_deselects_first(void** state)
{
	struct poll_call call;
	thread_id poller =
		start_blocked_poll(&call, shim_open(FAKE_PATH, SHIM_O_RDWR), SHIM_POLLIN | SHIM_POLLOUT);
	assert_int_equal(shim_close(call.fds[0].fd), B_OK);
	/* every selected event was deselected before the close hook ran */
	assert_int_equal(atomic_get(&sFake.closes), 1);
	assert_int_equal(atomic_get(&sFake.deselects_at_close), 4);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, 1);
	assert_int_equal(call.fds[0].revents, SHIM_POLLNVAL);
	assert_int_equal(sFake.deselects, 4);
	assert_int_equal(sFake.frees, 1);
	assert_null(sFake.pool);
}

static void
test_poll_two_descriptors(void** state)
{
	int first = shim_open(FAKE_PATH, SHIM_O_RDWR);
	assert_int_equal(devfs_publish_device("fake/plain", &sFakePlainHooks), B_OK);
	int second = shim_open("fake/plain", SHIM_O_RDWR);
	struct shim_pollfd fds[2] = {{first, SHIM_POLLIN, 0}, {second, SHIM_POLLOUT, 0}};
	assert_int_equal(shim_poll(fds, 2, B_INFINITE_TIMEOUT), 1);
	assert_int_equal(fds[0].revents, 0);
	assert_int_equal(fds[1].revents, SHIM_POLLOUT);
	fake_set_readable(true);
	assert_int_equal(shim_poll(fds, 2, 0), 2);
	assert_int_equal(fds[0].revents, SHIM_POLLIN);
	assert_int_equal(shim_close(first), B_OK);
	assert_int_equal(shim_close(second), B_OK);
	assert_int_equal(devfs_unpublish_device("fake/plain", false), B_OK);
}

/* Only events whose select hook succeeded wake a poll (Haiku's select_fd() narrows
 * selected_events to them once the hooks ran): a driver notifying an event it refused to select
 * marks it, and a later wake-up reports it, but it does not wake the poll itself */
static void
test_poll_woken_only_by_selected_events(void** state)
{
	sFake.refuse_mask = SELECT_FLAG(B_SELECT_READ);
	struct poll_call call;
	thread_id poller = start_blocked_poll(&call, shim_open(FAKE_PATH, SHIM_O_RDWR), SHIM_POLLIN);
	assert_non_null(sFake.refused_sync);
	assert_int_equal(notify_select_event(sFake.refused_sync, B_SELECT_READ), B_OK);
	/* a wake-up would have been granted at once, before the interrupt: it ends the poll */
	assert_int_equal(shim_interrupt(poller), B_OK);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, B_INTERRUPTED);
	assert_int_equal(
		sFake.deselected_mask, SELECT_FLAG(B_SELECT_ERROR) | SELECT_FLAG(B_SELECT_DISCONNECTED));

	/* the mark shows once a selected event wakes the poll */
	poller = shim_thread_spawn("poller", poll_thread, &call);
	wait_entered(poller);
	assert_int_equal(notify_select_event(sFake.refused_sync, B_SELECT_READ), B_OK);
	mutex_lock(&sFake.lock);
	notify_select_event_pool(sFake.pool, B_SELECT_DISCONNECTED);
	mutex_unlock(&sFake.lock);
	assert_int_equal(shim_thread_join(poller, NULL), B_OK);
	assert_int_equal(call.result, 1);
	assert_int_equal(call.fds[0].revents, SHIM_POLLIN | SHIM_POLLHUP);
	assert_null(sFake.pool);
	assert_int_equal(shim_close(call.fds[0].fd), B_OK);
}

/* opaque selectsync stand-ins: the pool functions only compare them */
static struct selectsync*
fake_sync(int n)
{
	return (struct selectsync*)(uintptr_t)(0x1000 * n);
}

static void
test_select_pool_functions(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	select_sync_pool* pool = NULL;
	assert_int_equal(
		remove_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_READ), B_ENTRY_NOT_FOUND);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_READ), B_OK);
	assert_non_null(pool);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_WRITE), B_OK);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(2), B_SELECT_READ), B_OK);
	shim_objects_get(&after);
	assert_int_equal(after.select_entries, before.select_entries + 2);

	assert_int_equal(
		remove_select_sync_pool_entry(&pool, fake_sync(3), B_SELECT_READ), B_ENTRY_NOT_FOUND);
	assert_int_equal(remove_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_READ), B_OK);
	shim_objects_get(&after);
	assert_int_equal(after.select_entries, before.select_entries + 2);
	assert_int_equal(remove_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_WRITE), B_OK);
	assert_int_equal(
		remove_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_WRITE), B_ENTRY_NOT_FOUND);
	assert_non_null(pool);
	assert_int_equal(remove_select_sync_pool_entry(&pool, fake_sync(2), B_SELECT_READ), B_OK);
	assert_null(pool);
	shim_objects_get(&after);
	assert_int_equal(after.select_entries, before.select_entries);

	/* delete frees whatever is left; notifying a NULL pool is harmless */
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(4), B_SELECT_READ), B_OK);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(5), B_SELECT_READ), B_OK);
	delete_select_sync_pool(pool);
	notify_select_event_pool(NULL, B_SELECT_READ);
	shim_objects_get(&after);
	assert_int_equal(after.select_entries, before.select_entries);
}

static void
test_select_pool_allocation_failure(void** state)
{
	select_sync_pool* pool = NULL;
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_READ), B_NO_MEMORY);
	assert_null(pool);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_READ), B_OK);
	/* a second event of the same entry allocates nothing */
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	assert_int_equal(add_select_sync_pool_entry(&pool, fake_sync(1), B_SELECT_WRITE), B_OK);
	shim_fault_clear();
	delete_select_sync_pool(pool);
}

static void
test_poll_select_failure_means_not_selected(void** state)
{
	/* a select hook that fails (pool allocation) leaves that event unselected: no deselect */
	int fd = shim_open(FAKE_PATH, SHIM_O_RDWR);
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	struct shim_pollfd fds[1] = {{fd, SHIM_POLLIN, 0}};
	assert_int_equal(shim_poll(fds, 1, 0), 0);
	assert_int_equal(sFake.selects, 3);
	assert_int_equal(sFake.deselects, 2);
	assert_int_equal(
		sFake.deselected_mask, SELECT_FLAG(B_SELECT_ERROR) | SELECT_FLAG(B_SELECT_DISCONNECTED));
	assert_null(sFake.pool);
	assert_int_equal(shim_close(fd), B_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_poll_without_select_hook_is_ready, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_selects_and_deselects, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_timeout, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_woken_by_notification, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_poll_reports_hangup_unrequested, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_interrupted, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_invalid_descriptor, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_close_during_poll_deselects_first, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_poll_two_descriptors, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_poll_woken_only_by_selected_events, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_select_pool_functions, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_select_pool_allocation_failure, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_poll_select_failure_means_not_selected, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
