/* select support as drivers see it: select sync pools, notify_select_event(), and the per-poll
 * sync object behind each selectsync (its wake-up, its references). poll itself is poll.c. */
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
	/* only events the poll waits for wake it (Haiku's wait_for_objects_sync::Notify,
	 * system/kernel/events/wait_for_objects.cpp); the others still show in revents */
	if ((atomic_get(&sync->wakes) & flags) != 0)
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
