/* Shim kernel mutexes (FIFO hand-off, one atomic each way when uncontended), spinlocks spinning on
 * atomics, and the per-thread interrupt-disable state, with Haiku KDEBUG's panics. */
#include "shim_private.h"

#include <string.h>

#include <lock.h>

#include "kern/kern_private.h"
#include "host/host_tsan.h"
#include "shim_sched.h"

/*
 * Mutex: `holder` is the lock word (-1 free, else the holder's thread id), taken by compare and
 * swap. Blocked threads queue on `waiters` (records on their stacks), guarded by one of a few
 * striped host locks chosen by the mutex's address, so MUTEX_INITIALIZER needs nothing else.
 * Unlock with waiters hands the mutex straight to the head (holder becomes its id; no barging).
 * The race "a locker queues while the holder unlocks" is closed Dekker-style: the locker
 * publishes `waiters` then retries the swap; the unlocker stores holder = -1 then re-reads
 * `waiters` (both sequentially consistent), so either the locker gets the mutex or the unlocker
 * sees it queued and hands the mutex over.
 *
 * Under TSan the lock word's atomics only order memory; TSan would not know these are locks, so
 * it could report no lock-order inversion. Each mutex operation is annotated (host/host_tsan.h):
 * the lock order graph then has every shim mutex, and an inversion is reported the first time
 * both orders have run, without the deadlock having to happen. TSan would ignore the accesses and
 * synchronization between a pre and a post annotation; a divert region spans the whole operation,
 * so TSan keeps seeing them as it did without the annotations (the stripes, the waiter records).
 * The misuse panics come before the annotations, so a test expecting one sees the panic and not
 * TSan's own report of the misuse.
 */

#define MUTEX_FLAG_INITIALIZED 0x80000000 /* private: mutex_init ran (accounted) */
#define MUTEX_STRIPES 64

static host_lock sStripes[MUTEX_STRIPES] = {[0 ... MUTEX_STRIPES - 1] = HOST_LOCK_INITIALIZER};

static host_lock*
mutex_stripe(mutex* lock)
{
	uintptr_t address = (uintptr_t)lock;
	return &sStripes[((address >> 4) ^ (address >> 12)) % MUTEX_STRIPES];
}

static const char*
mutex_name(mutex* lock)
{
	return lock->name != NULL ? lock->name : "(unnamed)";
}

/* TSan's annotations around a lock operation (flags: 0 or SHIM_TSAN_TRY_LOCK) */
static inline void
tsan_lock_begin(mutex* lock, unsigned flags)
{
	(void)lock, (void)flags;
	SHIM_TSAN_MUTEX(pre_lock, lock, flags);
	SHIM_TSAN_MUTEX(pre_divert, lock, 0);
}

/* a lock that failed (a trylock finding the mutex held, a lock whose mutex was destroyed while it
 * waited: B_ERROR) holds nothing */
static inline void
tsan_lock_end(mutex* lock, unsigned flags, status_t status)
{
	(void)lock, (void)flags, (void)status;
	SHIM_TSAN_MUTEX(post_divert, lock, 0);
	SHIM_TSAN_MUTEX(post_lock, lock, flags | (status == B_OK ? 0 : SHIM_TSAN_TRY_LOCK_FAILED), 0);
}

/* an unlock: pre and post around a release that has happened, or happens between them */
static inline void
tsan_unlock_begin(mutex* lock)
{
	(void)lock;
	SHIM_TSAN_MUTEX(pre_unlock, lock, 0);
	SHIM_TSAN_MUTEX(pre_divert, lock, 0);
}

static inline void
tsan_unlock_end(mutex* lock)
{
	(void)lock;
	SHIM_TSAN_MUTEX(post_divert, lock, 0);
	SHIM_TSAN_MUTEX(post_unlock, lock, 0);
}

static bool
holder_swap(mutex* lock, thread_id from, thread_id to, thread_id* _previous)
{
	/* read first: a visibly taken mutex costs no write (and no false TSan race with a holder
	 * reading `holder` plainly) */
	thread_id expected = __atomic_load_n(&lock->holder, __ATOMIC_SEQ_CST);
	if (expected != from) {
		if (_previous != NULL)
			*_previous = expected;
		return false;
	}
	bool swapped = __atomic_compare_exchange_n(
		&lock->holder, &expected, to, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	if (_previous != NULL)
		*_previous = expected;
	return swapped;
}

static struct shim_waiter*
waiters_head(mutex* lock)
{
	return __atomic_load_n(&lock->waiters, __ATOMIC_SEQ_CST);
}

/* unqueue `waiter` (callers hold the stripe) */
static void
waiters_remove(mutex* lock, struct shim_waiter* waiter)
{
	struct shim_waiter* previous = NULL;
	struct shim_waiter* current = lock->waiters;
	while (current != waiter) {
		previous = current;
		current = current->next;
	}
	if (previous == NULL)
		__atomic_store_n(&lock->waiters, waiter->next, __ATOMIC_SEQ_CST);
	else
		previous->next = waiter->next;
	if (lock->waiters_tail == waiter)
		lock->waiters_tail = previous;
}

/* the per-thread list of held mutexes, for dumps (shim_dump_threads) */
static void
held_add(struct shim_thread* self, mutex* lock)
{
	int32 count = self->held_count;
	if (count < SHIM_HELD_MAX)
		__atomic_store_n(&self->held[count], lock, __ATOMIC_RELAXED);
	__atomic_store_n(&self->held_count, count + 1, __ATOMIC_RELEASE);
}

static void
held_remove(struct shim_thread* self, mutex* lock)
{
	int32 count = self->held_count;
	int32 last = min_c(count, SHIM_HELD_MAX) - 1;
	for (int32 i = last; i >= 0; i--) {
		if (self->held[i] == lock) {
			/* keep the order: a dump lists them oldest first */
			for (int32 j = i; j < last; j++)
				__atomic_store_n(&self->held[j], self->held[j + 1], __ATOMIC_RELAXED);
			break;
		}
	}
	if (count > 0)
		__atomic_store_n(&self->held_count, count - 1, __ATOMIC_RELEASE);
}

/*
 * Live mutexes, for shim_mutex_hold() (the stress watchdog's stall demonstration), once a program
 * turned the registry on (shim_mutex_registry_enable, before its boot): mutex_init adds one,
 * mutex_destroy removes it; a static one (MUTEX_INITIALIZER) is listed by its owner with
 * shim_mutex_list(). Off, it costs mutex_init and mutex_destroy one load (the fuzzers run with it
 * off: a scan per init and destroy was 3% of an ops execution). Bounded: past MUTEX_REGISTRY_SIZE
 * live mutexes new ones go unlisted, which only means shim_mutex_hold() cannot find them. Never a
 * scheduling point (one host lock).
 */
#define MUTEX_REGISTRY_SIZE 4096
static int32 sRegistryOn; /* atomic; once on, it stays on */
static host_lock sRegistryLock = HOST_LOCK_INITIALIZER;
static mutex* sRegistry[MUTEX_REGISTRY_SIZE];
static int32 sRegistryUsed; /* slots [0, sRegistryUsed) may be taken; under sRegistryLock */

void
shim_mutex_registry_enable(void)
{
	atomic_set(&sRegistryOn, 1);
}

void
shim_mutex_list(mutex* lock)
{
	if (atomic_get(&sRegistryOn) == 0)
		return;
	host_lock_acquire(&sRegistryLock);
	int32 slot = 0;
	while (slot < sRegistryUsed && sRegistry[slot] != NULL && sRegistry[slot] != lock)
		slot++;
	if (slot < MUTEX_REGISTRY_SIZE) {
		sRegistry[slot] = lock;
		if (slot == sRegistryUsed)
			sRegistryUsed++;
	}
	host_lock_release(&sRegistryLock);
}

static void
mutex_unlist(mutex* lock)
{
	if (atomic_get(&sRegistryOn) == 0)
		return;
	host_lock_acquire(&sRegistryLock);
	for (int32 slot = 0; slot < sRegistryUsed; slot++) {
		if (sRegistry[slot] == lock) {
			sRegistry[slot] = NULL;
			break;
		}
	}
	while (sRegistryUsed > 0 && sRegistry[sRegistryUsed - 1] == NULL)
		sRegistryUsed--;
	host_lock_release(&sRegistryLock);
}

/* Found and taken under the registry lock, so the mutex cannot be destroyed in between (destroy
 * unlists it first); taken with the bare lock word, no scheduling point under a host lock. */
status_t
shim_mutex_hold(const char* name)
{
	if (name == NULL)
		return B_BAD_VALUE;
	if (shim_sched_is_deterministic())
		return B_NOT_ALLOWED;
	if (atomic_get(&sRegistryOn) == 0)
		return B_NO_INIT;
	struct shim_thread* self = shim_thread_self();
	for (;;) {
		bool found = false;
		host_lock_acquire(&sRegistryLock);
		for (int32 slot = 0; slot < sRegistryUsed; slot++) {
			mutex* lock = sRegistry[slot];
			if (lock == NULL || lock->name == NULL || !shim_str_equal(lock->name, name))
				continue;
			found = true;
			if (holder_swap(lock, -1, self->id, NULL)) {
				held_add(self, lock);
				host_lock_release(&sRegistryLock);
				return B_OK;
			}
		}
		host_lock_release(&sRegistryLock);
		if (!found)
			return B_NAME_NOT_FOUND;
		snooze(1000); /* held by somebody: try again once it is let go */
	}
}

void
mutex_init(mutex* lock, const char* name)
{
	mutex_init_etc(lock, name, 0);
}

void
mutex_init_etc(mutex* lock, const char* name, uint32 flags)
{
	if ((flags & MUTEX_FLAG_CLONE_NAME) != 0 && name != NULL) {
		size_t length = strlen(name) + 1;
		char* copy = shim_host_alloc(length);
		memcpy(copy, name, length);
		name = copy;
		shim_account(SHIM_OBJ_MUTEX_NAME, 1);
	} else
		flags &= ~(uint32)MUTEX_FLAG_CLONE_NAME;
	lock->name = name;
	lock->holder = -1;
	lock->flags = (flags & MUTEX_FLAG_CLONE_NAME) | MUTEX_FLAG_INITIALIZED;
	lock->waiters = NULL;
	lock->waiters_tail = NULL;
	SHIM_TSAN_MUTEX(create, lock, 0);
	shim_account(SHIM_OBJ_MUTEX, 1);
	shim_mutex_list(lock);
}

/* Threads still waiting get B_ERROR from mutex_lock. Destroying a mutex another thread holds
 * panics; the caller may hold it itself. */
void
mutex_destroy(mutex* lock)
{
	if (lock == NULL)
		return;
	struct shim_thread* self = shim_thread_self();
	thread_id holder = __atomic_load_n(&lock->holder, __ATOMIC_SEQ_CST);
	if (holder != -1 && holder != self->id)
		panic("mutex_destroy: mutex \"%s\" (%p) is held by thread %" PRId32, mutex_name(lock), lock,
			holder);
	if (holder == self->id) {
		held_remove(self, lock);
		tsan_unlock_begin(lock);
		tsan_unlock_end(lock);
	}
	SHIM_TSAN_MUTEX(destroy, lock, 0);
	mutex_unlist(lock);

	host_lock* stripe = mutex_stripe(lock);
	host_lock_acquire(stripe);
	struct shim_waiter* waiter;
	while ((waiter = lock->waiters) != NULL) {
		__atomic_store_n(&lock->waiters, waiter->next, __ATOMIC_SEQ_CST);
		shim_waiter_wake(waiter, B_ERROR);
	}
	lock->waiters_tail = NULL;
	__atomic_store_n(&lock->holder, -1, __ATOMIC_SEQ_CST);
	host_lock_release(stripe);

	if ((lock->flags & MUTEX_FLAG_CLONE_NAME) != 0) {
		shim_host_free((char*)lock->name);
		shim_account(SHIM_OBJ_MUTEX_NAME, -1);
	}
	if ((lock->flags & MUTEX_FLAG_INITIALIZED) != 0)
		shim_account(SHIM_OBJ_MUTEX, -1);
	lock->name = "destroyed mutex";
	lock->flags = 0;
}

static void unlock_held(mutex* lock);

/* queue on `lock` and wait; `from` (mutex_switch_lock) is unlocked once we are queued */
static status_t
mutex_lock_slow(mutex* lock, struct shim_thread* self, mutex* from)
{
	host_lock* stripe = mutex_stripe(lock);
	struct shim_waiter waiter = {.thread = self};

	host_lock_acquire(stripe);
	if (lock->waiters_tail != NULL)
		lock->waiters_tail->next = &waiter;
	else
		__atomic_store_n(&lock->waiters, &waiter, __ATOMIC_SEQ_CST);
	lock->waiters_tail = &waiter;

	thread_id holder;
	if (holder_swap(lock, -1, self->id, &holder)) {
		waiters_remove(lock, &waiter);
		host_lock_release(stripe);
		held_add(self, lock);
		if (from != NULL)
			unlock_held(from);
		return B_OK;
	}
	shim_block_begin(self, SHIM_WAIT_MUTEX, mutex_name(lock), holder, 0);
	host_lock_release(stripe);

	if (from != NULL)
		unlock_held(from);
	while (__atomic_load_n(&waiter.done, __ATOMIC_ACQUIRE) == 0)
		shim_block_park(self, B_INFINITE_TIMEOUT);
	shim_block_end(self);
	if (waiter.status == B_OK)
		held_add(self, lock);
	return waiter.status;
}

status_t
mutex_lock(mutex* lock)
{
	struct shim_thread* self = shim_thread_self();
	shim_assert_may_block_self(self, "mutex_lock");
	host_schedule_point(HOST_POINT_MUTEX_LOCK);
	thread_id holder;
	tsan_lock_begin(lock, 0);
	if (holder_swap(lock, -1, self->id, &holder)) {
		held_add(self, lock);
		tsan_lock_end(lock, 0, B_OK);
		return B_OK;
	}
	if (holder == self->id)
		panic("mutex_lock: thread %" PRId32 " locks mutex \"%s\" (%p) it already holds", self->id,
			mutex_name(lock), lock);
	status_t status = mutex_lock_slow(lock, self, NULL);
	tsan_lock_end(lock, 0, status);
	return status;
}

status_t
mutex_trylock(mutex* lock)
{
	host_schedule_point(HOST_POINT_MUTEX_LOCK);
	struct shim_thread* self = shim_thread_self();
	tsan_lock_begin(lock, SHIM_TSAN_TRY_LOCK);
	if (holder_swap(lock, -1, self->id, NULL)) {
		held_add(self, lock);
		tsan_lock_end(lock, SHIM_TSAN_TRY_LOCK, B_OK);
		return B_OK;
	}
	tsan_lock_end(lock, SHIM_TSAN_TRY_LOCK, B_WOULD_BLOCK);
	host_schedule_point(HOST_POINT_BUSY_WAIT); /* callers may spin on it: let the holder run */
	return B_WOULD_BLOCK;
}

static void mutex_release(mutex* lock);

/* Two scheduling points: before the release (a contender may come and queue) and after it (a
 * thread may run before the unlocker goes on, so code the unlocker runs unlocked can race).
 * Not annotated: mutex_unlock does that, mutex_switch_lock before it locks `to`. */
static void
unlock_held(mutex* lock)
{
	host_schedule_point(HOST_POINT_MUTEX_UNLOCK);
	mutex_release(lock);
	host_schedule_point(HOST_POINT_MUTEX_RELEASED);
}

void
mutex_unlock(mutex* lock)
{
	struct shim_thread* self = shim_thread_self();
	thread_id holder = __atomic_load_n(&lock->holder, __ATOMIC_SEQ_CST);
	if (holder != self->id)
		panic("mutex_unlock: thread %" PRId32 " unlocks mutex \"%s\" (%p) held by %" PRId32,
			self->id, mutex_name(lock), lock, holder);
	tsan_unlock_begin(lock);
	unlock_held(lock);
	tsan_unlock_end(lock);
}

/* the caller holds `lock` (checked by mutex_unlock, mutex_switch_lock) */
static void
mutex_release(mutex* lock)
{
	struct shim_thread* self = shim_thread_self();
	held_remove(self, lock);

	if (waiters_head(lock) == NULL) {
		__atomic_store_n(&lock->holder, -1, __ATOMIC_SEQ_CST);
		if (waiters_head(lock) == NULL)
			return;
		/* a locker queued meanwhile: give it the mutex unless someone took it already */
		host_lock* stripe = mutex_stripe(lock);
		host_lock_acquire(stripe);
		struct shim_waiter* waiter = lock->waiters;
		if (waiter != NULL && holder_swap(lock, -1, waiter->thread->id, NULL)) {
			waiters_remove(lock, waiter);
			shim_waiter_wake(waiter, B_OK);
		}
		host_lock_release(stripe);
		return;
	}

	host_lock* stripe = mutex_stripe(lock);
	host_lock_acquire(stripe);
	struct shim_waiter* waiter = lock->waiters;
	if (waiter == NULL) {
		__atomic_store_n(&lock->holder, -1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_store_n(&lock->holder, waiter->thread->id, __ATOMIC_SEQ_CST);
		waiters_remove(lock, waiter);
		shim_waiter_wake(waiter, B_OK);
	}
	host_lock_release(stripe);
}

status_t
mutex_switch_lock(mutex* from, mutex* to)
{
	struct shim_thread* self = shim_thread_self();
	thread_id holder = __atomic_load_n(&from->holder, __ATOMIC_SEQ_CST);
	if (holder != self->id)
		panic("mutex_switch_lock: thread %" PRId32 " does not hold mutex \"%s\" (%p)", self->id,
			mutex_name(from), from);
	shim_assert_may_block_self(self, "mutex_switch_lock");
	/* Haiku unlocks `from` before it locks `to` (lock.cpp, mutex_switch_lock): for TSan the two
	 * are never held together, so no order between them */
	tsan_unlock_begin(from);
	tsan_unlock_end(from);
	tsan_lock_begin(to, 0);
	if (holder_swap(to, -1, self->id, &holder)) {
		held_add(self, to);
		unlock_held(from);
		tsan_lock_end(to, 0, B_OK);
		return B_OK;
	}
	if (holder == self->id)
		panic("mutex_switch_lock: thread %" PRId32 " already holds mutex \"%s\" (%p)", self->id,
			mutex_name(to), to);
	status_t status = mutex_lock_slow(to, self, from);
	tsan_lock_end(to, 0, status);
	return status;
}

/* ---- interrupts and spinlocks ------------------------------------------------------------- */

/* cpu_status: 1 when interrupts were enabled before the call, 0 when already disabled */
cpu_status
disable_interrupts(void)
{
	struct shim_thread* self = shim_thread_self();
	int32 wasDisabled = self->interrupts_disabled;
	__atomic_store_n(&self->interrupts_disabled, 1, __ATOMIC_RELAXED);
	return wasDisabled ? 0 : 1;
}

void
restore_interrupts(cpu_status status)
{
	struct shim_thread* self = shim_thread_self();
	if (status != 0 && self->spinlocks > 0)
		panic("restore_interrupts: thread %" PRId32 " enables interrupts holding %" PRId32
			  " spinlock(s)",
			self->id, self->spinlocks);
	__atomic_store_n(&self->interrupts_disabled, status != 0 ? 0 : 1, __ATOMIC_RELAXED);
}

/* The lock word holds the owner's thread id (> 0, so B_SPINLOCK_IS_LOCKED works). As in Haiku
 * (SMP), acquiring with interrupts enabled panics; so do recursion and foreign release. */
void
acquire_spinlock(spinlock* lock)
{
	struct shim_thread* self = shim_thread_self();
	if (!self->interrupts_disabled)
		panic("acquire_spinlock: thread %" PRId32 " acquires spinlock %p with interrupts enabled",
			self->id, lock);
	if (__atomic_load_n(&lock->lock, __ATOMIC_RELAXED) == self->id)
		panic("acquire_spinlock: thread %" PRId32 " already holds spinlock %p", self->id, lock);
	host_schedule_point(HOST_POINT_SPINLOCK);

	for (uint32 spins = 1;; spins++) {
		int32 expected = 0;
		if (__atomic_load_n(&lock->lock, __ATOMIC_RELAXED) == 0
			&& __atomic_compare_exchange_n(
				&lock->lock, &expected, self->id, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		/* the holder may be preempted on a small host: let it run now and then */
		if (spins % 1024 == 0)
			host_yield();
		else
			host_cpu_relax();
	}
	__atomic_store_n(&self->spinlocks, self->spinlocks + 1, __ATOMIC_RELAXED);
}

void
release_spinlock(spinlock* lock)
{
	struct shim_thread* self = shim_thread_self();
	int32 owner = __atomic_load_n(&lock->lock, __ATOMIC_RELAXED);
	if (owner != self->id)
		panic("release_spinlock: thread %" PRId32 " releases spinlock %p owned by %" PRId32,
			self->id, lock, owner);
	__atomic_store_n(&lock->lock, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&self->spinlocks, self->spinlocks - 1, __ATOMIC_RELAXED);
}
