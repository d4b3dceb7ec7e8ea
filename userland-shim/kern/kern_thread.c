/* Shim threads: the thread registry, Haiku's kernel thread API and time, the blocking protocol all
 * shim waits share, and the per-thread interrupt ("ctrl+c") model. */
#include "shim_private.h"

#include <string.h>

#include "kern/kern_private.h"

#include <lock.h>

/*
 * Every pthread that calls into the shim has a struct shim_thread: kernel threads get one from
 * spawn_kernel_thread(), any other thread (the test's main thread, cmocka) registers itself on
 * first use and is unregistered by a TLS destructor when it exits. Ids are positive, increase
 * and are never reused within the process. Records are reference counted: the registry holds one
 * reference; a waker or interrupter holds one while it unparks the thread.
 *
 * Signals: shim_signal() adds its action's bit to interrupt_pending and, when the thread is
 * blocked in a B_CAN_INTERRUPT wait (state BLOCKED|INTERRUPTIBLE), flips it to RUNNING and
 * unparks it. A waiting thread stores its state before it reads interrupt_pending and the
 * signaller stores the bit before it reads the state (all sequentially consistent), so one of
 * them sees the other: a signal can't fall between "checked" and "parked". The bits stay set
 * until the thread's syscall exit takes them (shim_syscall_exit_signals(): the handlers run).
 */

static host_lock sRegistryLock = HOST_LOCK_INITIALIZER;
static struct shim_thread* sThreads;
static int32 sNextThreadID = 1; /* under sRegistryLock */
static bool sThreadIDsWrapped;  /* under sRegistryLock: ids past INT32_MAX started at 1 again */
/* void*: host_thread_local() saves it per shim thread in the deterministic build */
static __thread void* sCurrentThread;
/* records of exited threads, for the next spawn (a fuzz input spawns a stack reader or two) */
static SHIM_OBJECT_CACHE(sRecordCache, sizeof(struct shim_thread));

static void
thread_unref(struct shim_thread* thread)
{
	if (atomic_add(&thread->refs, -1) != 1)
		return;
	host_parker_destroy(&thread->parker);
	host_lock_destroy(&thread->info_lock);
	shim_cache_free(&sRecordCache, thread);
}

static struct shim_thread*
thread_create_record(const char* name, bool kernel)
{
	struct shim_thread* thread = shim_cache_alloc(&sRecordCache);
	memset(thread, 0, sizeof(*thread));
	shim_copy_name(thread->name, name);
	thread->refs = 1;
	thread->state = kernel ? SHIM_THREAD_SUSPENDED : SHIM_THREAD_RUNNING;
	thread->kernel = kernel;
	host_parker_init(&thread->parker);
	host_lock_init(&thread->info_lock);
	return thread;
}

static struct shim_thread* registry_find(thread_id id);

/* registry list; callers hold sRegistryLock. The thread gets its id here: ids grow, so a stale one
 * names no thread, and after INT32_MAX they start at 1 again, skipping those still in use (a
 * fuzzer or an overnight stress run spawns billions of threads). */
static void
registry_add(struct shim_thread* thread)
{
	do {
		thread->id = sNextThreadID;
		sThreadIDsWrapped |= sNextThreadID == INT32_MAX;
		sNextThreadID = sNextThreadID == INT32_MAX ? 1 : sNextThreadID + 1;
	} while (sThreadIDsWrapped && registry_find(thread->id) != NULL);
	thread->previous = NULL;
	thread->next = sThreads;
	if (sThreads != NULL)
		sThreads->previous = thread;
	sThreads = thread;
}

static void
registry_remove(struct shim_thread* thread)
{
	if (thread->previous != NULL)
		thread->previous->next = thread->next;
	else
		sThreads = thread->next;
	if (thread->next != NULL)
		thread->next->previous = thread->previous;
	thread->next = thread->previous = NULL;
}

static struct shim_thread*
registry_find(thread_id id)
{
	for (struct shim_thread* thread = sThreads; thread != NULL; thread = thread->next) {
		if (thread->id == id)
			return thread;
	}
	return NULL;
}

/* a referenced record for `id`, or NULL */
static struct shim_thread*
thread_get(thread_id id)
{
	host_lock_acquire(&sRegistryLock);
	struct shim_thread* thread = registry_find(id);
	if (thread != NULL)
		atomic_add(&thread->refs, 1);
	host_lock_release(&sRegistryLock);
	return thread;
}

static void
foreign_thread_exit(void* value)
{
	struct shim_thread* thread = value;
	host_lock_acquire(&sRegistryLock);
	registry_remove(thread);
	atomic_set(&thread->state, SHIM_THREAD_EXITED);
	host_lock_release(&sRegistryLock);
	sCurrentThread = NULL;
	thread_unref(thread);
}

struct shim_thread*
shim_thread_self(void)
{
	struct shim_thread* thread = sCurrentThread;
	if (thread != NULL)
		return thread;

	thread = thread_create_record("user thread", false);
	host_thread_local(&sCurrentThread);
	host_tls_init(foreign_thread_exit);
	host_tls_set(thread);
	host_lock_acquire(&sRegistryLock);
	registry_add(thread);
	host_lock_release(&sRegistryLock);
	sCurrentThread = thread;
	return thread;
}

void
shim_may_block_failed(struct shim_thread* self, const char* what)
{
	int32 spinlocks = __atomic_load_n(&self->spinlocks, __ATOMIC_RELAXED);
	if (spinlocks > 0)
		panic("%s: thread %" PRId32 " may block while holding %" PRId32 " spinlock(s)", what,
			self->id, spinlocks);
	panic("%s: thread %" PRId32 " may block with interrupts disabled", what, self->id);
}

void
shim_assert_may_block(const char* what)
{
	shim_assert_may_block_self(shim_thread_self(), what);
}

/* ---- the blocking protocol ----------------------------------------------------------------- */

bool
shim_block_begin(struct shim_thread* self, enum shim_wait_kind kind, const char* name, int32 object,
	uint32 flags)
{
	bool interruptible = (flags & B_CAN_INTERRUPT) != 0;

	host_lock_acquire(&self->info_lock);
	self->wait_kind = kind;
	self->wait_object = object;
	shim_copy_name(self->wait_name, name);
	host_lock_release(&self->info_lock);

	atomic_set(&self->state, SHIM_THREAD_BLOCKED | (interruptible ? SHIM_THREAD_INTERRUPTIBLE : 0));
	if (interruptible && atomic_get(&self->interrupt_pending) != 0) {
		shim_block_end(self);
		return true;
	}
	return false;
}

bool
shim_block_park(struct shim_thread* self, bigtime_t deadline)
{
	if (deadline != B_INFINITE_TIMEOUT && host_time() >= deadline)
		return false;
	return host_park(&self->parker, deadline);
}

bool
shim_block_interrupted(struct shim_thread* self, uint32 flags)
{
	return (flags & B_CAN_INTERRUPT) != 0 && atomic_get(&self->interrupt_pending) != 0;
}

void
shim_block_end(struct shim_thread* self)
{
	atomic_set(&self->state, SHIM_THREAD_RUNNING);
}

void
shim_waiter_wake(struct shim_waiter* waiter, status_t status)
{
	struct shim_thread* thread = waiter->thread;
	atomic_add(&thread->refs, 1);
	atomic_set(&thread->state, SHIM_THREAD_RUNNING);
	waiter->status = status;
	__atomic_store_n(&waiter->done, 1, __ATOMIC_RELEASE);
	/* the waiter record may be gone from here on; the thread record is ours until unref */
	host_unpark(&thread->parker);
	thread_unref(thread);
}

bigtime_t
shim_deadline(uint32 flags, bigtime_t timeout)
{
	if ((flags & B_ABSOLUTE_TIMEOUT) != 0)
		return timeout;
	if ((flags & B_RELATIVE_TIMEOUT) == 0 || timeout == B_INFINITE_TIMEOUT)
		return B_INFINITE_TIMEOUT;
	bigtime_t now = host_time();
	if (timeout <= 0)
		return now;
	if (timeout >= B_INFINITE_TIMEOUT - now)
		return B_INFINITE_TIMEOUT;
	return now + timeout;
}

/* ---- kernel threads ------------------------------------------------------------------------ */

static void
kernel_thread_entry(void* argument)
{
	struct shim_thread* self = argument;
	sCurrentThread = self;
	host_thread_name(self->name);
	while (atomic_get(&self->resumed) == 0)
		host_park(&self->parker, B_INFINITE_TIMEOUT);

	status_t status = self->function(self->data);

	if (self->spinlocks > 0 || self->interrupts_disabled)
		panic("thread %" PRId32 " \"%s\" exits holding a spinlock or with interrupts disabled",
			self->id, self->name);

	host_lock_acquire(&sRegistryLock);
	self->exit_status = status;
	atomic_set(&self->state, SHIM_THREAD_EXITED);
	while (self->joiners != NULL) {
		struct shim_waiter* joiner = self->joiners;
		self->joiners = joiner->next;
		shim_waiter_wake(joiner, status);
	}
	host_lock_release(&sRegistryLock);
	sCurrentThread = NULL;
}

thread_id
spawn_kernel_thread(thread_func function, const char* name, int32 priority, void* data)
{
	if (function == NULL)
		return B_BAD_VALUE;

	struct shim_thread* thread = thread_create_record(name != NULL ? name : "kernel thread", true);
	thread->function = function;
	thread->data = data;

	host_lock_acquire(&sRegistryLock);
	registry_add(thread);
	thread_id id = thread->id;
	host_lock_release(&sRegistryLock);

	host_thread_local(&sCurrentThread);
	status_t error = host_thread_create(&thread->host, kernel_thread_entry, thread);
	if (error != B_OK) {
		host_lock_acquire(&sRegistryLock);
		registry_remove(thread);
		host_lock_release(&sRegistryLock);
		thread_unref(thread);
		return error;
	}
	shim_account(SHIM_OBJ_THREAD, 1);
	return id;
}

/* callers hold sRegistryLock */
static void
resume_locked(struct shim_thread* thread)
{
	if (!thread->kernel || atomic_get(&thread->resumed) != 0)
		return;
	atomic_test_and_set(&thread->state, SHIM_THREAD_RUNNING, SHIM_THREAD_SUSPENDED);
	atomic_set(&thread->resumed, 1);
	host_unpark(&thread->parker);
}

status_t
resume_thread(thread_id id)
{
	if (id <= 0)
		return B_BAD_VALUE;
	host_lock_acquire(&sRegistryLock);
	struct shim_thread* thread = registry_find(id);
	if (thread != NULL)
		resume_locked(thread);
	host_lock_release(&sRegistryLock);
	return thread != NULL ? B_OK : B_BAD_THREAD_ID;
}

/* Not interruptible (Haiku's kernel wait_for_thread); resumes a suspended thread first. The
 * first waiter to return reaps the host thread and drops the registry's reference. */
status_t
wait_for_thread(thread_id id, status_t* _returnValue)
{
	struct shim_thread* self = shim_thread_self();
	if (id <= 0 || id == self->id)
		return B_BAD_THREAD_ID;
	shim_assert_may_block("wait_for_thread");

	host_lock_acquire(&sRegistryLock);
	struct shim_thread* thread = registry_find(id);
	if (thread == NULL || !thread->kernel) {
		host_lock_release(&sRegistryLock);
		return B_BAD_THREAD_ID;
	}
	atomic_add(&thread->refs, 1);
	resume_locked(thread);

	if ((atomic_get(&thread->state) & SHIM_THREAD_STATE_MASK) != SHIM_THREAD_EXITED) {
		struct shim_waiter waiter = {.thread = self};
		waiter.next = thread->joiners;
		thread->joiners = &waiter;
		shim_block_begin(self, SHIM_WAIT_THREAD, thread->name, id, 0);
		host_lock_release(&sRegistryLock);
		while (__atomic_load_n(&waiter.done, __ATOMIC_ACQUIRE) == 0)
			shim_block_park(self, B_INFINITE_TIMEOUT);
		shim_block_end(self);
		host_lock_acquire(&sRegistryLock);
	}

	status_t status = thread->exit_status;
	bool reap = !thread->reaped;
	if (reap) {
		thread->reaped = true;
		registry_remove(thread);
	}
	host_lock_release(&sRegistryLock);

	if (reap) {
		host_thread_join(&thread->host);
		shim_account(SHIM_OBJ_THREAD, -1);
		thread_unref(thread);
	}
	thread_unref(thread);
	if (_returnValue != NULL)
		*_returnValue = status;
	return B_OK;
}

thread_id
find_thread(const char* name)
{
	if (name == NULL)
		return shim_thread_self()->id;

	thread_id id = B_NAME_NOT_FOUND;
	host_lock_acquire(&sRegistryLock);
	for (struct shim_thread* thread = sThreads; thread != NULL; thread = thread->next) {
		if (strncmp(thread->name, name, B_OS_NAME_LENGTH - 1) == 0)
			id = thread->id;
	}
	host_lock_release(&sRegistryLock);
	return id;
}

thread_id
shim_thread_spawn(const char* name, status_t (*function)(void*), void* argument)
{
	thread_id id = spawn_kernel_thread(function, name, B_NORMAL_PRIORITY, argument);
	if (id >= 0)
		resume_thread(id);
	return id;
}

status_t
shim_thread_join(thread_id thread, status_t* returnValue)
{
	return wait_for_thread(thread, returnValue);
}

thread_id
shim_current_thread(void)
{
	return shim_thread_self()->id;
}

/* ---- time ---------------------------------------------------------------------------------- */

bigtime_t
system_time(void)
{
	return host_time();
}

/* Kernel snooze()/snooze_until() are not interruptible (as in Haiku); snooze_etc() is when
 * flags has B_CAN_INTERRUPT. Without B_ABSOLUTE_TIMEOUT, `amount` is relative. */
status_t
snooze_etc(bigtime_t amount, int timeBase, uint32 flags)
{
	if (timeBase != B_SYSTEM_TIMEBASE)
		return B_BAD_VALUE;
	struct shim_thread* self = shim_thread_self();
	shim_assert_may_block("snooze_etc");

	bigtime_t deadline =
		(flags & B_ABSOLUTE_TIMEOUT) != 0 ? amount : shim_deadline(B_RELATIVE_TIMEOUT, amount);
	if (deadline != B_INFINITE_TIMEOUT && deadline <= host_time())
		return B_OK;
	if (shim_block_begin(self, SHIM_WAIT_SNOOZE, "snooze", 0, flags))
		return B_INTERRUPTED;

	status_t status = B_OK;
	for (;;) {
		bool inTime = shim_block_park(self, deadline);
		if (shim_block_interrupted(self, flags)) {
			status = B_INTERRUPTED;
			break;
		}
		if (!inTime)
			break;
	}
	shim_block_end(self);
	return status;
}

status_t
snooze(bigtime_t amount)
{
	return snooze_etc(amount, B_SYSTEM_TIMEBASE, B_RELATIVE_TIMEOUT);
}

status_t
snooze_until(bigtime_t time, int timeBase)
{
	return snooze_etc(time, timeBase, B_ABSOLUTE_TIMEOUT);
}

/* ---- signals ("ctrl+c") --------------------------------------------------------------------- */

status_t
shim_signal(thread_id id, enum shim_signal_action action)
{
	if (action != SHIM_SIGNAL_HANDLER && action != SHIM_SIGNAL_RESTART)
		return B_BAD_VALUE;
	host_lock_acquire(&sRegistryLock);
	struct shim_thread* thread = registry_find(id);
	if (thread != NULL) {
		atomic_or(&thread->interrupt_pending, SHIM_SIGNAL_BIT(action));
		int32 blocked = SHIM_THREAD_BLOCKED | SHIM_THREAD_INTERRUPTIBLE;
		if (atomic_test_and_set(&thread->state, SHIM_THREAD_RUNNING, blocked) == blocked)
			host_unpark(&thread->parker);
	}
	host_lock_release(&sRegistryLock);
	return thread != NULL ? B_OK : B_BAD_THREAD_ID;
}

status_t
shim_interrupt(thread_id id)
{
	return shim_signal(id, SHIM_SIGNAL_HANDLER);
}

/* The syscall boundary also scopes the double-fetch check (kern_user.c): user ranges are
 * remembered from the outermost enter to its exit. An exit without an enter (the FUSE daemon's
 * own "syscalls") only takes the signals. */
void
shim_syscall_enter(void)
{
	struct shim_thread* self = shim_thread_self();
	if (self->syscall_depth++ == 0)
		self->fetch_count = 0;
}

int32
shim_syscall_exit_signals(void)
{
	struct shim_thread* self = shim_thread_self();
	if (self->syscall_depth > 0)
		self->syscall_depth--;
	return atomic_get_and_set(&self->interrupt_pending, 0);
}

void
shim_syscall_exit(void)
{
	shim_syscall_exit_signals();
}

bool
shim_interrupt_pending(void)
{
	return atomic_get(&shim_thread_self()->interrupt_pending) != 0;
}

/* polls with a backoff: yields first, then sleeps 20 µs growing to 1 ms */
status_t
shim_wait_until_blocked(thread_id id, bigtime_t timeout)
{
	struct shim_thread* thread = thread_get(id);
	if (thread == NULL)
		return B_BAD_THREAD_ID;

	bigtime_t deadline = shim_deadline(B_RELATIVE_TIMEOUT, timeout);
	bigtime_t pause = 20;
	status_t status;
	for (int round = 0;; round++) {
		int32 state = atomic_get(&thread->state) & SHIM_THREAD_STATE_MASK;
		if (state == SHIM_THREAD_BLOCKED) {
			status = B_OK;
			break;
		}
		if (state == SHIM_THREAD_EXITED) {
			status = B_BAD_THREAD_ID;
			break;
		}
		bigtime_t now = host_time();
		if (now >= deadline) {
			status = B_TIMED_OUT;
			break;
		}
		if (round < 50) {
			host_yield();
		} else {
			host_sleep_until(min_c(now + pause, deadline));
			pause = min_c(pause * 2, 1000);
		}
	}
	thread_unref(thread);
	return status;
}

/* ---- dumps and per-boot reset -------------------------------------------------------------- */

/* the name of a registered thread, for dumps (registry lock held or the registry busy) */
static const char*
thread_name_of(thread_id id)
{
	for (struct shim_thread* thread = sThreads; thread != NULL; thread = thread->next) {
		if (thread->id == id)
			return thread->name;
	}
	return "?";
}

static void
dump_thread(FILE* out, struct shim_thread* thread)
{
	int32 state = atomic_get(&thread->state);
	fprintf(out, "  thread %" PRId32 " \"%s\"%s: ", thread->id, thread->name,
		thread->kernel ? "" : " (host)");
	switch (state & SHIM_THREAD_STATE_MASK) {
		case SHIM_THREAD_BLOCKED:
			host_lock_acquire(&thread->info_lock);
			if (thread->wait_kind == SHIM_WAIT_SEM)
				fprintf(out, "waits on semaphore %" PRId32 " \"%s\"", thread->wait_object,
					thread->wait_name);
			else if (thread->wait_kind == SHIM_WAIT_MUTEX)
				/* the holder when it queued: hand-offs may have moved the mutex on since; the
				 * threads' "holds mutex" lists say who has it now */
				fprintf(out,
					"waits on mutex \"%s\" (held by thread %" PRId32 " \"%s\" when it queued)",
					thread->wait_name, thread->wait_object, thread_name_of(thread->wait_object));
			else if (thread->wait_kind == SHIM_WAIT_THREAD)
				fprintf(out, "waits for thread %" PRId32 " \"%s\"", thread->wait_object,
					thread->wait_name);
			else
				fprintf(out, "snoozes");
			host_lock_release(&thread->info_lock);
			if ((state & SHIM_THREAD_INTERRUPTIBLE) != 0)
				fprintf(out, " (interruptible)");
			break;
		case SHIM_THREAD_SUSPENDED:
			fprintf(out, "suspended");
			break;
		case SHIM_THREAD_EXITED:
			fprintf(out, "exited, not joined");
			break;
		default:
			fprintf(out, "running");
	}
	if (atomic_get(&thread->interrupt_pending) != 0)
		fprintf(out, ", interrupt pending");
	int32 spinlocks = __atomic_load_n(&thread->spinlocks, __ATOMIC_RELAXED);
	if (spinlocks > 0)
		fprintf(out, ", holds %" PRId32 " spinlock(s)", spinlocks);
	if (__atomic_load_n(&thread->interrupts_disabled, __ATOMIC_RELAXED))
		fprintf(out, ", interrupts disabled");
	int32 held = __atomic_load_n(&thread->held_count, __ATOMIC_ACQUIRE);
	for (int32 i = 0; i < min_c(held, SHIM_HELD_MAX); i++) {
		struct mutex* lock = __atomic_load_n(&thread->held[i], __ATOMIC_RELAXED);
		fprintf(out, "%s\"%s\"", i == 0 ? ", holds mutex " : ", ",
			lock != NULL && lock->name != NULL ? lock->name : "?");
	}
	if (held > SHIM_HELD_MAX)
		fprintf(out, " and %" PRId32 " more", held - SHIM_HELD_MAX);
	fprintf(out, "\n");
}

void
shim_dump_threads(FILE* out)
{
	/* panic() calls this: don't hang on a registry lock a stuck thread holds */
	bool locked = false;
	for (int i = 0; i < 1000 && !(locked = host_lock_try(&sRegistryLock)); i++)
		host_yield();
	fprintf(out, "shim threads%s:\n", locked ? "" : " (registry busy, unlocked view)");
	for (struct shim_thread* thread = sThreads; thread != NULL; thread = thread->next)
		dump_thread(out, thread);
	if (locked)
		host_lock_release(&sRegistryLock);
}

void
shim_threads_set_next_id(thread_id id)
{
	host_lock_acquire(&sRegistryLock);
	sNextThreadID = id > 0 ? id : 1;
	host_lock_release(&sRegistryLock);
}

void
shim_threads_reset(void)
{
	struct shim_thread* self = shim_thread_self();
	__atomic_store_n(&self->spinlocks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&self->interrupts_disabled, 0, __ATOMIC_RELAXED);
	host_lock_acquire(&sRegistryLock);
	for (struct shim_thread* thread = sThreads; thread != NULL; thread = thread->next)
		atomic_set(&thread->interrupt_pending, 0);
	host_lock_release(&sRegistryLock);
}
