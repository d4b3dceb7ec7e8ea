/* A small fake devfs device for the shim's devfs and poll tests: it records every hook call and
 * can block in read, refuse opens or controls, and select through a select sync pool. */
#ifndef SHIM_TESTS_FAKE_DEVICE_H
#define SHIM_TESTS_FAKE_DEVICE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim_private.h"
#include "dev/dev_private.h"

#include <Drivers.h>
#include <KernelExport.h>
#include <fcntl.h>
#include <lock.h>
#include <sys/ioctl.h>
#include <fs/devfs.h>
#include <fs/select_sync_pool.h>

#define FAKE_PATH "fake/0"
#define FAKE_COOKIE_MAGIC 0xfacefeedu
#define FAKE_OP_FILL 7777 /* control: writes "filled" into the argument */
#define SECOND 1000000

struct fake_cookie {
	uint32 magic;
};

static struct fake_state {
	mutex lock; /* guards pool and readable */
	select_sync_pool* pool;
	bool readable;

	int32 opens, closes, frees, reads, writes, controls, selects, deselects;
	char open_name[64];
	uint32 open_flags;
	status_t open_status;
	status_t control_status;
	uint32 control_op;
	void* control_argument;
	size_t control_length;
	const void* io_pointer;
	char written[64];
	size_t written_length;

	bool block_reads;
	/* the next this many read and control calls return B_INTERRUPTED at once, with no signal
	 * (a broken driver); INT32_MAX: every one */
	int32 spurious_interrupts;
	sem_id read_sem;    /* a blocked read waits for one unit */
	sem_id entered_sem; /* released when a read blocks / the last select ran */
	int32 reads_inside;
	int32 reads_inside_at_close;
	int32 reads_inside_at_free;
	thread_id free_thread;

	int32 selected_mask;
	int32 refuse_mask;        /* events the select hook refuses (B_BAD_VALUE), keeping the sync */
	selectsync* refused_sync; /* the last sync of such a refusal */
	int32 deselected_mask;
	int32 select_refs; /* or of every ref the select hook saw */
	int32 deselects_at_close;
} sFake;

static struct fake_cookie*
fake_check(void* cookie)
{
	struct fake_cookie* fake = cookie;
	if (fake == NULL || fake->magic != FAKE_COOKIE_MAGIC)
		panic("fake device: bad cookie %p", cookie);
	return fake;
}

static status_t
fake_open(const char* name, uint32 flags, void** _cookie)
{
	snprintf(sFake.open_name, sizeof(sFake.open_name), "%s", name);
	sFake.open_flags = flags;
	if (sFake.open_status != B_OK)
		return sFake.open_status;
	struct fake_cookie* cookie = malloc(sizeof(struct fake_cookie));
	cookie->magic = FAKE_COOKIE_MAGIC;
	*_cookie = cookie;
	atomic_add(&sFake.opens, 1);
	return B_OK;
}

static status_t
fake_close(void* cookie)
{
	fake_check(cookie);
	atomic_set(&sFake.reads_inside_at_close, atomic_get(&sFake.reads_inside));
	atomic_set(&sFake.deselects_at_close, atomic_get(&sFake.deselects));
	atomic_add(&sFake.closes, 1);
	return B_OK;
}

static status_t
fake_free(void* cookie)
{
	struct fake_cookie* fake = fake_check(cookie);
	atomic_set(&sFake.reads_inside_at_free, atomic_get(&sFake.reads_inside));
	atomic_set(&sFake.free_thread, find_thread(NULL));
	fake->magic = 0;
	free(fake);
	atomic_add(&sFake.frees, 1);
	return B_OK;
}

/* one of the spurious_interrupts a broken driver returns */
static bool
fake_spurious_interrupt(void)
{
	int32 left = atomic_get(&sFake.spurious_interrupts);
	if (left == 0)
		return false;
	if (left != INT32_MAX)
		atomic_add(&sFake.spurious_interrupts, -1);
	return true;
}

static status_t
fake_control(void* cookie, uint32 op, void* data, size_t length)
{
	fake_check(cookie);
	atomic_add(&sFake.controls, 1);
	sFake.control_op = op;
	sFake.control_argument = data;
	sFake.control_length = length;
	if (fake_spurious_interrupt())
		return B_INTERRUPTED;
	if (op == FAKE_OP_FILL && user_memcpy(data, "filled", 7) != B_OK)
		return B_BAD_ADDRESS;
	return sFake.control_status;
}

static status_t
fake_read(void* cookie, off_t position, void* data, size_t* _length)
{
	fake_check(cookie);
	atomic_add(&sFake.reads, 1);
	sFake.io_pointer = data;
	if (fake_spurious_interrupt())
		return B_INTERRUPTED;
	if (sFake.block_reads) {
		atomic_add(&sFake.reads_inside, 1);
		release_sem(sFake.entered_sem);
		status_t status = acquire_sem_etc(sFake.read_sem, 1, B_CAN_INTERRUPT, 0);
		atomic_add(&sFake.reads_inside, -1);
		if (status != B_OK)
			return status;
	}
	size_t length = *_length < 5 ? *_length : 5;
	if (user_memcpy(data, "hello", length) != B_OK)
		return B_BAD_ADDRESS;
	*_length = length;
	return B_OK;
}

static status_t
fake_write(void* cookie, off_t position, const void* data, size_t* _length)
{
	fake_check(cookie);
	atomic_add(&sFake.writes, 1);
	sFake.io_pointer = data;
	size_t length = *_length < sizeof(sFake.written) ? *_length : sizeof(sFake.written);
	if (user_memcpy(sFake.written, data, length) != B_OK)
		return B_BAD_ADDRESS;
	sFake.written_length = length;
	*_length = length;
	return B_OK;
}

static status_t
fake_select(void* cookie, uint8 event, uint32 ref, selectsync* sync)
{
	fake_check(cookie);
	atomic_add(&sFake.selects, 1);
	atomic_or(&sFake.selected_mask, SELECT_FLAG(event));
	atomic_or(&sFake.select_refs, (int32)ref);
	if ((sFake.refuse_mask & SELECT_FLAG(event)) != 0) {
		sFake.refused_sync = sync;
		return B_BAD_VALUE;
	}
	mutex_lock(&sFake.lock);
	status_t status = add_select_sync_pool_entry(&sFake.pool, sync, event);
	bool ready = sFake.readable;
	mutex_unlock(&sFake.lock);
	if (status == B_OK && event == B_SELECT_READ && ready)
		notify_select_event(sync, event);
	if (event == B_SELECT_DISCONNECTED)
		release_sem(sFake.entered_sem);
	return status;
}

static status_t
fake_deselect(void* cookie, uint8 event, selectsync* sync)
{
	fake_check(cookie);
	atomic_add(&sFake.deselects, 1);
	atomic_or(&sFake.deselected_mask, SELECT_FLAG(event));
	mutex_lock(&sFake.lock);
	status_t status = remove_select_sync_pool_entry(&sFake.pool, sync, event);
	mutex_unlock(&sFake.lock);
	return status;
}

static device_hooks sFakeHooks = {fake_open, fake_close, fake_free, fake_control, fake_read,
	fake_write, fake_select, fake_deselect, NULL, NULL};
static device_hooks sFakePlainHooks = {
	fake_open, fake_close, fake_free, fake_control, fake_read, fake_write, NULL, NULL, NULL, NULL};

/* make the fake readable and notify the pool (what a driver's write path would do) */
__attribute__((unused)) static void
fake_set_readable(bool readable)
{
	mutex_lock(&sFake.lock);
	sFake.readable = readable;
	if (readable)
		notify_select_event_pool(sFake.pool, B_SELECT_READ);
	mutex_unlock(&sFake.lock);
}

static struct shim_objects sBaseline;

static int
fake_setup(void** state)
{
	memset(&sFake, 0, sizeof(sFake));
	sFake.lock = (mutex)MUTEX_INITIALIZER("fake device");
	if (shim_boot_with(NULL, NULL) != B_OK)
		return -1;
	/* boot zeroes the accounting: the baseline is what a booted shim holds */
	shim_objects_get(&sBaseline);
	sFake.read_sem = create_sem(0, "fake read");
	sFake.entered_sem = create_sem(0, "fake entered");
	return devfs_publish_device(FAKE_PATH, &sFakeHooks) == B_OK ? 0 : -1;
}

/* Leak check: what the test left open is closed (as shutdown would), then every object must be
 * back to the post-boot baseline. shim_shutdown() zeroes the accounting, so check before it. */
static int
fake_teardown(void** state)
{
	shim_fault_clear();
	devfs_unpublish_device(FAKE_PATH, false);
	delete_sem(sFake.read_sem);
	delete_sem(sFake.entered_sem);
	shim_devfs_fini();
	int leaks = shim_leak_check(&sBaseline, "teardown");
	if (shim_shutdown() != B_OK)
		return -1;
	if (sFake.pool != NULL) {
		fprintf(stderr, "fake device: select pool not empty at teardown\n");
		return -1;
	}
	return leaks == 0 ? 0 : -1;
}

/* ---- helper threads ---------------------------------------------------------------------- */

struct io_call {
	int fd;
	ssize_t result;
	char buffer[16];
};

__attribute__((unused)) static status_t
read_thread(void* data)
{
	struct io_call* call = data;
	call->result = shim_read(call->fd, call->buffer, sizeof(call->buffer));
	return B_OK;
}

struct poll_call {
	struct shim_pollfd fds[2];
	int count;
	bigtime_t timeout;
	int result;
};

__attribute__((unused)) static status_t
poll_thread(void* data)
{
	struct poll_call* call = data;
	call->result = shim_poll(call->fds, call->count, call->timeout);
	return B_OK;
}

/* wait until the fake said a thread is about to block (entered_sem), then until it blocks */
__attribute__((unused)) static void
wait_entered(thread_id thread)
{
	assert_int_equal(acquire_sem_etc(sFake.entered_sem, 1, B_RELATIVE_TIMEOUT, 5 * SECOND), B_OK);
	assert_int_equal(shim_wait_until_blocked(thread, 5 * SECOND), B_OK);
}

/* a thread polling `fd` for `events` without a timeout, blocked once it selected everything */
__attribute__((unused)) static thread_id
start_blocked_poll(struct poll_call* call, int fd, uint16 events)
{
	*call = (struct poll_call){.count = 1, .timeout = B_INFINITE_TIMEOUT};
	call->fds[0].fd = fd;
	call->fds[0].events = events;
	thread_id poller = shim_thread_spawn("poller", poll_thread, call);
	wait_entered(poller);
	return poller;
}

#endif
