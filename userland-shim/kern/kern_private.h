/* Private seam between the shim's kernel-primitive files (kern_thread.c, kern_sem.c, kern_lock.c,
 * kern_mem.c, kern_user.c): the shim thread record and the blocking protocol all waits share. */
#ifndef SHIM_KERN_PRIVATE_H
#define SHIM_KERN_PRIVATE_H

#include "shim_private.h"

#include <inttypes.h>

#include "host/host.h"

/*
 * Blocking protocol (semaphores, mutexes, thread joins; snooze uses the same state machine):
 *
 *   lock the object (a host_lock)
 *   queue a struct shim_waiter that lives on the waiting thread's stack
 *   if (shim_block_begin(...))   -> an interrupt is pending and the wait is interruptible:
 *       unqueue, unlock, return B_INTERRUPTED (shim_block_begin already undid the blocked state)
 *   unlock the object
 *   loop: shim_block_park(); if the waiter is done -> its status; otherwise lock the object and
 *       re-check done / shim_block_interrupted() / the deadline, unqueueing on interrupt/timeout
 *   shim_block_end()
 *
 * A waker holds the object lock, unqueues the waiter and calls shim_waiter_wake(): that is the
 * last touch of the waiter record (the waiting thread may return as soon as it sees `done`).
 * The thread record stays alive through a reference the waker holds while unparking.
 */

enum shim_thread_state {
	SHIM_THREAD_RUNNING = 0,
	SHIM_THREAD_BLOCKED = 1,
	SHIM_THREAD_SUSPENDED = 2, /* spawned, not yet resumed */
	SHIM_THREAD_EXITED = 3,
	SHIM_THREAD_STATE_MASK = 0xff,
	SHIM_THREAD_INTERRUPTIBLE = 0x100 /* or'ed into BLOCKED for B_CAN_INTERRUPT waits */
};

enum shim_wait_kind {
	SHIM_WAIT_NONE,
	SHIM_WAIT_SEM,   /* object: the sem_id */
	SHIM_WAIT_MUTEX, /* object: the holder when the wait began */
	SHIM_WAIT_SNOOZE,
	SHIM_WAIT_THREAD /* object: the thread waited for */
};

struct shim_waiter {
	struct shim_waiter* next;
	struct shim_thread* thread;
	int32 count;     /* semaphore units wanted */
	status_t status; /* set by the waker before `done` */
	int32 done;      /* atomic; 1 once a waker has taken the waiter off the queue */
};

#define SHIM_HELD_MAX 8
/* user ranges one syscall copied in, kept to see a second copy of the same bytes (kern_user.c) */
#define SHIM_FETCHES_MAX 8

struct shim_fetch {
	addr_t start;
	size_t size;
	void* site; /* the return address of the user_memcpy/user_strlcpy call */
};

struct shim_thread {
	struct shim_thread* next; /* registry list, under the registry lock */
	struct shim_thread* previous;
	thread_id id;
	char name[B_OS_NAME_LENGTH];
	int32 refs;                /* atomic; the registry holds one */
	int32 state;               /* atomic; enum shim_thread_state */
	int32 interrupt_pending;   /* atomic: SHIM_SIGNAL_BIT()s of the signals pending */
	int32 spinlocks;           /* written by the thread itself; atomic for dumps */
	int32 interrupts_disabled; /* idem */
	host_parker parker;

	/* mutexes the thread holds, oldest first, so a stall dump names what a stuck thread keeps;
	 * written by the thread itself (past SHIM_HELD_MAX only counted) */
	int32 held_count; /* atomic for dumps */
	struct mutex* held[SHIM_HELD_MAX];

	/* shim_syscall_enter/exit nesting; the user ranges copied in since the outermost enter
	 * (past SHIM_FETCHES_MAX the oldest are overwritten); written by the thread itself */
	int32 syscall_depth;
	int32 fetch_count;
	struct shim_fetch fetches[SHIM_FETCHES_MAX];

	host_lock info_lock; /* what the thread waits on, for dumps */
	int32 wait_kind;
	int32 wait_object;
	char wait_name[B_OS_NAME_LENGTH];

	/* kernel threads (spawn_kernel_thread); the rest under the registry lock */
	bool kernel;
	int32 resumed; /* atomic */
	thread_func function;
	void* data;
	status_t exit_status;
	bool reaped;
	struct shim_waiter* joiners;
	host_thread host;
};

/* the calling thread's record, registering a foreign (test) thread on first use */
struct shim_thread* shim_thread_self(void);
/* panic unless the caller may block: no spinlock held, interrupts enabled (Haiku KDEBUG checks
 * this on every acquire/lock, blocking or not) */
void shim_assert_may_block(const char* what);
void shim_may_block_failed(struct shim_thread* self, const char* what)
	__attribute__((noreturn, cold));

static inline void
shim_assert_may_block_self(struct shim_thread* self, const char* what)
{
	if (__builtin_expect(__atomic_load_n(&self->spinlocks, __ATOMIC_RELAXED) != 0
							 || __atomic_load_n(&self->interrupts_disabled, __ATOMIC_RELAXED) != 0,
			0))
		shim_may_block_failed(self, what);
}

bool shim_block_begin(struct shim_thread* self, enum shim_wait_kind kind, const char* name,
	int32 object, uint32 flags);
/* park once; false when the deadline (absolute, or B_INFINITE_TIMEOUT) has passed */
bool shim_block_park(struct shim_thread* self, bigtime_t deadline);
/* an interrupt is pending and `flags` (the wait's) has B_CAN_INTERRUPT */
bool shim_block_interrupted(struct shim_thread* self, uint32 flags);
void shim_block_end(struct shim_thread* self);
void shim_waiter_wake(struct shim_waiter* waiter, status_t status);

/* copy a name into a B_OS_NAME_LENGTH buffer, truncating; NULL gives "" */
static inline void
shim_copy_name(char* to, const char* from)
{
	size_t i = 0;
	for (; from != NULL && i < B_OS_NAME_LENGTH - 1 && from[i] != '\0'; i++)
		to[i] = from[i];
	to[i] = '\0';
}

/* absolute deadline for a Haiku timeout/flags pair (B_INFINITE_TIMEOUT when none) */
bigtime_t shim_deadline(uint32 flags, bigtime_t timeout);

/* the kernel heap (include/stdlib.h declares these for _KERNEL_MODE code only) */
void* shim_kmalloc(size_t size);
void* shim_kcalloc(size_t count, size_t size);
void* shim_krealloc(void* block, size_t size);
void shim_kfree(void* block);

/* kern_fetch.c: `size` bytes at `userAddress` were copied in from user memory by the call at
 * `site` (a return address); panics when the current syscall copied any of them in before */
void shim_user_fetched(const void* userAddress, size_t size, void* site);
/* kern_fetch.c: "in function file:line" of a return address (or the address) for a report */
void shim_describe_site(void* site, char* buffer, size_t size);

/* ---- info leaks (kern_leak.c) ------------------------------------------------------------------
 */
/* what uninitialised kernel memory holds: clang's -ftrivial-auto-var-init=pattern byte for the
 * driver's stack, and the heap's fill (kern_mem.c) */
#define SHIM_FILL_PATTERN 0xaa
/* a copy-out holding a run of this many pattern bytes (or more) is a leak */
#define SHIM_LEAK_RUN 4
/* bytes copied in from user memory (now at kernelCopy): remember their longest pattern run */
void shim_leak_note_in(const void* kernelCopy, size_t size);
/* the longest run noted since then (tests) */
int32 shim_leak_external_run(void);
/* a copy of [kernelSource, +size) to user memory by the call at `site`: panics on a leak */
void shim_leak_check_out(const void* kernelSource, size_t size, const void* userTarget, void* site);

/* per-boot resets, called by shim_kern_init/shim_kern_fini (kern_boot.c) */
void shim_threads_reset(void);
void shim_sems_reset(void);
void shim_mem_reset(void);    /* accounting, fault plans */
void shim_user_reset(void);   /* forget every user allocation; the arena stays mapped */
void shim_random_reset(void); /* a new seed for the random source (kern_random.c) */

/* ---- random numbers (kern_random.c): Haiku's util/Random.h C calls --------------------------- */
/* Haiku declares them in private/kernel/util/Random.h (C++ only): our driver declares
 * secure_random_value itself (tuntap_private.h), Haiku's tunnel.cpp includes that header */
unsigned int fast_random_value(void);
unsigned int random_value(void);
unsigned int secure_random_value(void);

#endif
