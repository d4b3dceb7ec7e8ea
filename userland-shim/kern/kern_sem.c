/* Shim semaphores with Haiku's semantics: counted FIFO waits, timeouts, interrupts, B_RELEASE_ALL
 * with a negative status, B_RELEASE_IF_WAITING_ONLY, and delete waking every waiter. */
#include "shim_private.h"

#include "kern/kern_private.h"

#include <string.h>

/*
 * Model (equivalent to Haiku's count/net_count pair): a slot holds `count`, the units banked, and
 * a FIFO of waiters (records on the waiting threads' stacks) wanting `demand` units in total.
 * get_sem_count() reports count - demand, negative while threads wait, as Haiku does.
 * An acquire succeeds at once only when nobody is queued and enough is banked. Releasing banks the
 * units, then grants waiters from the head while the head's wish fits; a head that wants more
 * blocks everyone behind it. When a waiter leaves (timeout, interrupt) the head is re-checked.
 *
 * Ids: slot = id % SEM_TABLE_SIZE, id 0 marks a free slot; ids grow and are not reused within a
 * boot (the counter restarts at 1 each boot for reproducible runs). Each slot has its own lock.
 */

#define SEM_TABLE_SIZE 4096

struct sem_slot {
	host_lock lock;
	sem_id id; /* 0: free; atomic so create can scan without the slot lock */
	int64 count;
	int64 demand;
	struct shim_waiter* head;
	struct shim_waiter* tail;
	char name[B_OS_NAME_LENGTH];
};

static host_lock sTableLock = HOST_LOCK_INITIALIZER;
static struct sem_slot sSems[SEM_TABLE_SIZE];
static int32 sTableReady;     /* atomic; slot locks initialized */
static int32 sUsedSems;       /* under sTableLock */
static sem_id sNextSemID = 1; /* under sTableLock */
static int32 sSlotsTouched;   /* under sTableLock: slots below it held a semaphore this boot */

/* callers hold sTableLock */
static void
table_init_locked(void)
{
	if (atomic_get(&sTableReady) != 0)
		return;
	for (int i = 0; i < SEM_TABLE_SIZE; i++)
		host_lock_init(&sSems[i].lock);
	atomic_set(&sTableReady, 1);
}

/* the locked slot of a live semaphore, or NULL */
static struct sem_slot*
sem_lock(sem_id id)
{
	if (id <= 0 || atomic_get(&sTableReady) == 0)
		return NULL;
	struct sem_slot* slot = &sSems[id % SEM_TABLE_SIZE];
	host_lock_acquire(&slot->lock);
	if (slot->id != id) {
		host_lock_release(&slot->lock);
		return NULL;
	}
	return slot;
}

static struct shim_waiter*
sem_dequeue_head(struct sem_slot* slot)
{
	struct shim_waiter* waiter = slot->head;
	slot->head = waiter->next;
	if (slot->head == NULL)
		slot->tail = NULL;
	slot->demand -= waiter->count;
	return waiter;
}

/* grant waiters from the head while the head's wish fits */
static void
sem_grant(struct sem_slot* slot)
{
	while (slot->head != NULL && slot->head->count <= slot->count) {
		struct shim_waiter* waiter = sem_dequeue_head(slot);
		slot->count -= waiter->count;
		shim_waiter_wake(waiter, B_OK);
	}
}

/* wake every queued waiter with `status`, leaving the count alone */
static void
sem_wake_all(struct sem_slot* slot, status_t status)
{
	while (slot->head != NULL)
		shim_waiter_wake(sem_dequeue_head(slot), status);
}

/* a waiter gives up (timeout, interrupt): unqueue it; those behind may now fit */
static void
sem_remove_waiter(struct sem_slot* slot, struct shim_waiter* waiter)
{
	struct shim_waiter** link = &slot->head;
	struct shim_waiter* previous = NULL;
	while (*link != waiter) {
		previous = *link;
		link = &(*link)->next;
	}
	*link = waiter->next;
	if (slot->tail == waiter)
		slot->tail = previous;
	slot->demand -= waiter->count;
	sem_grant(slot);
}

sem_id
create_sem(int32 count, const char* name)
{
	if (count < 0)
		return B_BAD_VALUE;
	if (shim_fault_check(SHIM_FAULT_SEM))
		return B_NO_MORE_SEMS;

	host_lock_acquire(&sTableLock);
	table_init_locked();
	if (sUsedSems == SEM_TABLE_SIZE) {
		host_lock_release(&sTableLock);
		return B_NO_MORE_SEMS;
	}
	struct sem_slot* slot;
	sem_id id;
	do {
		id = sNextSemID;
		sNextSemID = sNextSemID == INT32_MAX ? 1 : sNextSemID + 1;
		slot = &sSems[id % SEM_TABLE_SIZE];
	} while (atomic_get(&slot->id) != 0);

	if (id % SEM_TABLE_SIZE >= sSlotsTouched)
		sSlotsTouched = id % SEM_TABLE_SIZE + 1;
	host_lock_acquire(&slot->lock);
	slot->count = count;
	slot->demand = 0;
	slot->head = slot->tail = NULL;
	shim_copy_name(slot->name, name != NULL ? name : "unnamed semaphore");
	atomic_set(&slot->id, id);
	host_lock_release(&slot->lock);
	sUsedSems++;
	host_lock_release(&sTableLock);

	shim_account(SHIM_OBJ_SEM, 1);
	return id;
}

status_t
delete_sem(sem_id id)
{
	/* Haiku's ids start at 0 (sem.cpp, haiku_sem_init: slot i's first id is i), so on Haiku
	 * delete_sem(0) deletes the first semaphore the kernel made, somebody else's; the shim never
	 * hands out 0, so here 0 can only be an id field left zeroed (a cleanup path that deletes a
	 * semaphore it never created): say so rather than return B_BAD_SEM_ID quietly */
	if (id == 0)
		panic("delete_sem(0): on Haiku this deletes the kernel's first semaphore (an id left 0 "
			  "where -1 was due?)");
	struct sem_slot* slot = sem_lock(id);
	if (slot == NULL)
		return B_BAD_SEM_ID;
	sem_wake_all(slot, B_BAD_SEM_ID);
	atomic_set(&slot->id, 0);
	host_lock_release(&slot->lock);

	host_lock_acquire(&sTableLock);
	sUsedSems--;
	host_lock_release(&sTableLock);
	shim_account(SHIM_OBJ_SEM, -1);
	return B_OK;
}

status_t
acquire_sem(sem_id id)
{
	return acquire_sem_etc(id, 1, 0, 0);
}

status_t
acquire_sem_etc(sem_id id, int32 count, uint32 flags, bigtime_t timeout)
{
	shim_assert_may_block("acquire_sem_etc");
	host_schedule_point(HOST_POINT_SEM_ACQUIRE);
	if (id <= 0)
		return B_BAD_SEM_ID;
	if (count <= 0
		|| (flags & (B_RELATIVE_TIMEOUT | B_ABSOLUTE_TIMEOUT))
			   == (B_RELATIVE_TIMEOUT | B_ABSOLUTE_TIMEOUT))
		return B_BAD_VALUE;

	struct sem_slot* slot = sem_lock(id);
	if (slot == NULL)
		return B_BAD_SEM_ID;
	if (slot->head == NULL && slot->count >= count) {
		slot->count -= count;
		host_lock_release(&slot->lock);
		return B_OK;
	}
	if ((flags & B_RELATIVE_TIMEOUT) != 0 && timeout <= 0) {
		host_lock_release(&slot->lock);
		return B_WOULD_BLOCK;
	}
	if ((flags & B_ABSOLUTE_TIMEOUT) != 0 && timeout < 0) {
		host_lock_release(&slot->lock);
		return B_TIMED_OUT;
	}

	bigtime_t deadline = shim_deadline(flags, timeout);
	struct shim_thread* self = shim_thread_self();
	struct shim_waiter waiter = {.thread = self, .count = count};
	if (slot->tail != NULL)
		slot->tail->next = &waiter;
	else
		slot->head = &waiter;
	slot->tail = &waiter;
	slot->demand += count;

	if (shim_block_begin(self, SHIM_WAIT_SEM, slot->name, id, flags)) {
		sem_remove_waiter(slot, &waiter);
		host_lock_release(&slot->lock);
		return B_INTERRUPTED;
	}
	host_lock_release(&slot->lock);

	for (;;) {
		bool inTime = shim_block_park(self, deadline);
		if (__atomic_load_n(&waiter.done, __ATOMIC_ACQUIRE) != 0)
			break;
		/* the slot can't change identity while we are queued: delete wakes us first */
		host_lock_acquire(&slot->lock);
		status_t reason = B_OK;
		if (__atomic_load_n(&waiter.done, __ATOMIC_ACQUIRE) != 0)
			reason = waiter.status;
		else if (shim_block_interrupted(self, flags))
			reason = B_INTERRUPTED;
		else if (!inTime)
			reason = B_TIMED_OUT;
		if (reason != B_OK && waiter.done == 0) {
			sem_remove_waiter(slot, &waiter);
			waiter.status = reason;
			waiter.done = 1;
		}
		host_lock_release(&slot->lock);
		if (waiter.done != 0)
			break;
	}
	shim_block_end(self);
	return waiter.status;
}

status_t
release_sem(sem_id id)
{
	return release_sem_etc(id, 1, 0);
}

status_t
release_sem_etc(sem_id id, int32 count, uint32 flags)
{
	if (id <= 0)
		return B_BAD_SEM_ID;
	if (count <= 0 && (flags & B_RELEASE_ALL) == 0)
		return B_BAD_VALUE;
	if ((flags & B_DO_NOT_RESCHEDULE) == 0
		&& __atomic_load_n(&shim_thread_self()->interrupts_disabled, __ATOMIC_RELAXED))
		panic("release_sem_etc: sem %" PRId32 " released with interrupts disabled and "
			  "rescheduling allowed (use B_DO_NOT_RESCHEDULE)",
			id);

	struct sem_slot* slot = sem_lock(id);
	if (slot == NULL)
		return B_BAD_SEM_ID;

	if ((flags & B_RELEASE_ALL) != 0) {
		/* every queued waiter gets what it wants without touching the banked units; a negative
		 * count is the status their acquires return instead of B_OK */
		sem_wake_all(slot, count < 0 ? count : B_OK);
	} else if (slot->head == NULL) {
		if ((flags & B_RELEASE_IF_WAITING_ONLY) == 0)
			slot->count += count;
	} else {
		int64 banked = slot->count;
		slot->count += count;
		sem_grant(slot);
		/* IF_WAITING_ONLY: what the waiters did not take of this release is dropped */
		if ((flags & B_RELEASE_IF_WAITING_ONLY) != 0 && slot->head == NULL && slot->count > banked)
			slot->count = banked;
	}
	host_lock_release(&slot->lock);
	host_schedule_point(HOST_POINT_SEM_RELEASE);
	return B_OK;
}

status_t
get_sem_count(sem_id id, int32* _count)
{
	if (id <= 0)
		return B_BAD_SEM_ID;
	if (_count == NULL)
		return B_BAD_VALUE;
	struct sem_slot* slot = sem_lock(id);
	if (slot == NULL)
		return B_BAD_SEM_ID;
	int64 count = slot->count - slot->demand;
	host_lock_release(&slot->lock);
	*_count = (int32)max_c(min_c(count, INT32_MAX), INT32_MIN);
	return B_OK;
}

/* per boot: delete every semaphore left (waking its waiters) and restart the ids; only the slots
 * this boot used can hold one (a scan of the whole table would cost more than the boot itself) */
void
shim_sems_reset(void)
{
	host_lock_acquire(&sTableLock);
	table_init_locked();
	for (int i = 0; i < sSlotsTouched; i++) {
		struct sem_slot* slot = &sSems[i];
		if (atomic_get(&slot->id) == 0)
			continue;
		host_lock_acquire(&slot->lock);
		sem_wake_all(slot, B_BAD_SEM_ID);
		atomic_set(&slot->id, 0);
		host_lock_release(&slot->lock);
	}
	sUsedSems = 0;
	sNextSemID = 1;
	sSlotsTouched = 0;
	host_lock_release(&sTableLock);
}

/* ---- dumps ----------------------------------------------------------------------------------- */

void
shim_dump_semaphores(FILE* out)
{
	/* live semaphores counted by name: a leak shows as one name growing */
	enum { MAX_NAMES = 32 };
	char names[MAX_NAMES][B_OS_NAME_LENGTH];
	int32 counts[MAX_NAMES];
	int nameCount = 0;
	int32 other = 0, total = 0;
	host_lock_acquire(&sTableLock);
	for (int i = 0; i < SEM_TABLE_SIZE; i++) {
		struct sem_slot* slot = &sSems[i];
		if (__atomic_load_n(&slot->id, __ATOMIC_ACQUIRE) == 0)
			continue;
		char name[B_OS_NAME_LENGTH];
		host_lock_acquire(&slot->lock);
		strlcpy(name, slot->name, sizeof(name));
		host_lock_release(&slot->lock);
		total++;
		int n = 0;
		while (n < nameCount && strcmp(names[n], name) != 0)
			n++;
		if (n == nameCount && nameCount < MAX_NAMES) {
			strlcpy(names[nameCount], name, sizeof(names[0]));
			counts[nameCount++] = 0;
		}
		if (n < nameCount)
			counts[n]++;
		else
			other++;
	}
	host_lock_release(&sTableLock);
	fprintf(out, "live semaphores: %" PRId32 " of %d\n", total, SEM_TABLE_SIZE);
	for (int n = 0; n < nameCount; n++)
		fprintf(out, "  %6" PRId32 "  \"%s\"\n", counts[n], names[n]);
	if (other > 0)
		fprintf(out, "  %6" PRId32 "  (other names)\n", other);
}
