/* select support: select sync pools, notify_select_event() and shim_poll() with Haiku's poll
 * semantics (select hooks, one semaphore per call, deselect, SELECT_FLAG revents). */
#include "shim_private.h"

#include <string.h>

#include <fs/select_sync_pool.h>

#include "host/host.h"
#include "dev/dev_private.h"

struct select_sync_pool_entry {
	struct select_sync_pool_entry* next;
	struct selectsync* sync;
	uint16 events;
};

struct select_sync_pool {
	struct select_sync_pool_entry* entries;
};

static int64 sNotifications;


/* ---- sync pools (no locking: the caller serializes, as in Haiku) ----------------------------- */

status_t
add_select_sync_pool_entry(select_sync_pool** _pool, struct selectsync* sync, uint8 event)
{
	if (_pool == NULL || sync == NULL || event < 1 || event > 16)
		return B_BAD_VALUE;

	select_sync_pool* pool = *_pool;
	struct select_sync_pool_entry* entry = NULL;
	if (pool != NULL) {
		for (entry = pool->entries; entry != NULL; entry = entry->next) {
			if (entry->sync == sync)
				break;
		}
	}
	if (entry == NULL) {
		/* kernel heap allocations in Haiku: they can fail */
		if (shim_fault_check(SHIM_FAULT_ALLOC))
			return B_NO_MEMORY;
		if (pool == NULL) {
			pool = shim_host_alloc(sizeof(select_sync_pool));
			pool->entries = NULL;
			*_pool = pool;
		}
		entry = shim_host_alloc(sizeof(struct select_sync_pool_entry));
		entry->sync = sync;
		entry->events = 0;
		entry->next = pool->entries;
		pool->entries = entry;
		shim_account(SHIM_OBJ_SELECT_ENTRY, 1);
	}
	entry->events |= SELECT_FLAG(event);
	return B_OK;
}

status_t
remove_select_sync_pool_entry(select_sync_pool** _pool, struct selectsync* sync, uint8 event)
{
	if (_pool == NULL || event < 1 || event > 16)
		return B_BAD_VALUE;
	select_sync_pool* pool = *_pool;
	if (pool == NULL)
		return B_ENTRY_NOT_FOUND;

	struct select_sync_pool_entry** link = &pool->entries;
	while (*link != NULL && (*link)->sync != sync)
		link = &(*link)->next;
	struct select_sync_pool_entry* entry = *link;
	if (entry == NULL)
		return B_ENTRY_NOT_FOUND;

	entry->events &= ~SELECT_FLAG(event);
	if (entry->events == 0) {
		*link = entry->next;
		shim_host_free(entry);
		shim_account(SHIM_OBJ_SELECT_ENTRY, -1);
		if (pool->entries == NULL) {
			shim_host_free(pool);
			*_pool = NULL;
		}
	}
	return B_OK;
}

void
delete_select_sync_pool(select_sync_pool* pool)
{
	if (pool == NULL)
		return;
	while (pool->entries != NULL) {
		struct select_sync_pool_entry* entry = pool->entries;
		pool->entries = entry->next;
		shim_host_free(entry);
		shim_account(SHIM_OBJ_SELECT_ENTRY, -1);
	}
	shim_host_free(pool);
}

void
notify_select_event_pool(select_sync_pool* pool, uint8 event)
{
	if (pool == NULL || event < 1 || event > 16)
		return;
	for (struct select_sync_pool_entry* entry = pool->entries; entry != NULL; entry = entry->next) {
		if ((entry->events & SELECT_FLAG(event)) != 0)
			notify_select_event(entry->sync, event);
	}
}


/* ---- notification ---------------------------------------------------------------------------- */

void
shim_select_wake(struct selectsync* sync, uint16 flags)
{
	atomic_or(&sync->events, flags);
	/* only events the poll waits for wake it (Haiku's notify_select_events) */
	if ((sync->wanted & flags) != 0)
		release_sem_etc(sync->poll->sem, 1, B_DO_NOT_RESCHEDULE);
}

status_t
notify_select_event(selectsync* sync, uint8 event)
{
	host_schedule_point(HOST_POINT_NOTIFY);
	atomic_add64(&sNotifications, 1);
	if (sync == NULL || event < 1 || event > 16)
		return B_BAD_VALUE;
	shim_select_wake(sync, SELECT_FLAG(event));
	return B_OK;
}

int64
shim_select_notifications(void)
{
	return atomic_get64(&sNotifications);
}

void
shim_select_reset(void)
{
	atomic_set64(&sNotifications, 0);
}

void
shim_poll_sync_acquire(struct shim_poll_sync* poll)
{
	atomic_add(&poll->refs, 1);
}

void
shim_poll_sync_release(struct shim_poll_sync* poll)
{
	if (atomic_add(&poll->refs, -1) != 1)
		return;
	delete_sem(poll->sem);
	/* freed now: a driver that notifies a selectsync after deselect touches freed memory */
	shim_host_free(poll);
}


/* ---- poll ------------------------------------------------------------------------------------ */

int
shim_poll(struct shim_pollfd* fds, int count, bigtime_t timeout)
{
	if (count < 0 || (count > 0 && fds == NULL)) {
		shim_syscall_exit();
		return B_BAD_VALUE;
	}

	size_t size = sizeof(struct shim_poll_sync) + sizeof(struct selectsync) * (size_t)count;
	struct shim_poll_sync* poll = shim_host_alloc(size);
	memset(poll, 0, size);
	poll->sem = create_sem(0, "poll");
	if (poll->sem < 0) {
		status_t status = poll->sem;
		shim_host_free(poll);
		shim_syscall_exit();
		return status;
	}
	poll->refs = 1;
	poll->count = count;

	for (int i = 0; i < count; i++) {
		struct selectsync* sync = &poll->entries[i];
		sync->poll = poll;
		sync->fd = fds[i].fd;
		sync->requested = fds[i].events;
		sync->wanted = fds[i].events | SHIM_POLLERR | SHIM_POLLHUP | SHIM_POLLNVAL;
		fds[i].revents = 0;
	}

	/* select: every negative fd is ignored, as POSIX says */
	for (int i = 0; i < count; i++) {
		if (fds[i].fd >= 0)
			shim_devfs_select(&poll->entries[i]);
	}

	status_t status = acquire_sem_etc(poll->sem, 1, B_CAN_INTERRUPT | B_RELATIVE_TIMEOUT, timeout);

	for (int i = 0; i < count; i++) {
		if (fds[i].fd >= 0)
			shim_devfs_deselect(&poll->entries[i]);
	}

	int result;
	if (status == B_OK) {
		result = 0;
		for (int i = 0; i < count; i++) {
			struct selectsync* sync = &poll->entries[i];
			fds[i].revents = (uint16)(atomic_get(&sync->events) & sync->wanted);
			if (fds[i].revents != 0)
				result++;
		}
	} else if (status == B_TIMED_OUT || status == B_WOULD_BLOCK)
		result = 0;
	else
		result = status;

	shim_poll_sync_release(poll);
	shim_syscall_exit();
	return result;
}
