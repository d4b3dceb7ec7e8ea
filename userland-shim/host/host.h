/* Host layer of the userland shim: the only code that touches pthreads, host clocks, sleeping,
 * yielding and mmap. Two builds: host.c (free-running pthreads), host_det.c (deterministic). */
#ifndef SHIM_HOST_H
#define SHIM_HOST_H

/*
 * Everything in the shim that can block, hand over the CPU or read the time goes through here:
 *
 * - host_lock: a short-term lock for the shim's own object state (semaphore slots, the thread
 *   registry, the user arena). Never held across a park. Static ones use HOST_LOCK_INITIALIZER.
 * - host_parker: one per shim thread. host_park() returns when host_unpark() was called since the
 *   last return (the "permit" is consumed), when the deadline passes, or spuriously; callers
 *   always re-check their condition. host_unpark() before host_park() is not lost.
 * - host_thread: a host thread running entry(argument); joined once with host_thread_join().
 * - host_time(): monotonic microseconds. host_sleep_until(), host_yield(), host_cpu_relax().
 * - host_tls_*: a per-thread destructor hook, so threads that registered themselves with the shim
 *   (test threads) are unregistered when they exit.
 * - host_thread_local(): a __thread pointer that belongs to the shim thread, not the host thread
 *   (host_det.c runs every shim thread as a fiber on one host thread and switches it with them).
 * - host_map()/host_unmap(): anonymous memory for the user arena.
 * - host_schedule_point(): a place where another thread may run next (kernel primitives call it);
 *   host_sched_boot(): shim_boot() starts a fresh schedule. Both do nothing in host.c.
 *
 * Two implementations, chosen at build time: host.c (free-running pthreads) and host_det.c (one
 * runner at a time, the next one read from a choice tape, virtual time, threads as fibers; see
 * there and shim_sched.h). Every park, unpark, thread create/join, yield and sleep is a scheduling
 * point in host_det.c; it never switches threads while the caller holds a host_lock.
 *
 * The types are visible only so callers can embed them; callers never touch their members. They
 * are the same in both builds: each implementation leaves the other one's members unused.
 */

#include <pthread.h>

#include <SupportDefs.h>

typedef struct host_lock {
	pthread_mutex_t mutex; /* host.c */
	int32 held;            /* host_det.c: one host thread, no switch while held: a flag */
} host_lock;

#define HOST_LOCK_INITIALIZER     \
	{                             \
		PTHREAD_MUTEX_INITIALIZER \
	}

typedef struct host_parker {
	pthread_mutex_t mutex;
	pthread_cond_t condition;
	int32 permit;
	void* waiter; /* host_det.c: the virtual thread parked on it */
} host_parker;

typedef struct host_thread {
	pthread_t handle;
	void* context; /* host_det.c: the virtual thread */
	void (*entry)(void*);
	void* argument;
} host_thread;

/* explicit scheduling points of the kernel primitives (named in host_det.c's trace) */
enum host_point {
	HOST_POINT_SEM_ACQUIRE,
	HOST_POINT_SEM_RELEASE,
	HOST_POINT_MUTEX_LOCK,
	HOST_POINT_MUTEX_UNLOCK,
	HOST_POINT_MUTEX_RELEASED, /* just after: a thread may run before the unlocker goes on */
	HOST_POINT_SPINLOCK,
	HOST_POINT_USER_COPY,
	HOST_POINT_ALLOC,
	HOST_POINT_NOTIFY,
	HOST_POINT_BUSY_WAIT, /* a failed try: like a yield, other threads go first */
	HOST_POINT_COUNT
};

#ifdef __cplusplus
extern "C" {
#endif

void host_lock_init(host_lock* lock);
void host_lock_destroy(host_lock* lock);
void host_lock_acquire(host_lock* lock);
bool host_lock_try(host_lock* lock);
void host_lock_release(host_lock* lock);

void host_parker_init(host_parker* parker);
void host_parker_destroy(host_parker* parker);
/* deadline: absolute host_time(), or B_INFINITE_TIMEOUT; returns false once the deadline passed
 * without an unpark */
bool host_park(host_parker* parker, bigtime_t deadline);
void host_unpark(host_parker* parker);

/* B_OK or B_NO_MORE_THREADS; `thread` must stay valid until host_thread_join() returns */
status_t host_thread_create(host_thread* thread, void (*entry)(void*), void* argument);
void host_thread_join(host_thread* thread);

bigtime_t host_time(void);
void host_sleep_until(bigtime_t deadline);
void host_yield(void);
void host_cpu_relax(void);

/* once per process: destructor(value) runs when a thread that called host_tls_set() exits */
void host_tls_init(void (*destructor)(void*));
void host_tls_set(void* value);
/* `slot` (a __thread pointer) follows the shim thread: host_det.c saves and restores it at every
 * switch, new threads start with NULL in it; host.c: nothing to do. Idempotent. */
void host_thread_local(void** slot);

/* the calling thread's name, for the deterministic scheduler's trace: a line "# thread 2 is t1"
 * maps the scheduler's ids to the names harnesses and tests gave (host.c: nothing to do) */
void host_thread_name(const char* name);

/* a seed for the kernel's random source, asked at every boot: host.c the host's entropy;
 * host_det.c a value fixed by how many boots the process made (runs repeat, boots differ) */
uint64 host_random_seed(void);

void* host_map(size_t size); /* zeroed, never NULL (aborts) */
void host_unmap(void* address, size_t size);

/* once per process (host_signal.c, both builds): on SIGQUIT, print a line and call dump(), then
 * end the process with SIGQUIT's default action. A hung test binary gets it from its runner
 * (tools/run-tests.sh), so it ends with the shim's stall dump: who waits on what, who holds it.
 * Best effort: a dump that needs a lock the interrupted thread holds never finishes, and the
 * runner's kill follows. Nothing happens if SIGQUIT already has a handler. */
void host_on_quit(void (*dump)(void));

void host_schedule_point(enum host_point point);
/* shim_boot(): rewind the choice tape, restart the virtual clock and the decision count */
void host_sched_boot(void);
/* shim_boot() is done: the schedule's state now is where shim_sched_restart() starts an input */
void host_sched_booted(void);

#ifdef __cplusplus
}
#endif

#endif
