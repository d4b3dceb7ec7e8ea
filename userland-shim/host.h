/* Host layer of the userland shim: the only code that touches pthreads, host clocks, sleeping,
 * yielding and mmap. A deterministic single-runner scheduler replaces host.c (and these types). */
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
 * - host_map()/host_unmap(): anonymous memory for the user arena.
 *
 * The types are visible only so callers can embed them; callers never touch their members.
 */

#include <pthread.h>

#include <SupportDefs.h>

typedef struct host_lock {
	pthread_mutex_t mutex;
} host_lock;

#define HOST_LOCK_INITIALIZER                                                                      \
	{                                                                                              \
		PTHREAD_MUTEX_INITIALIZER                                                                  \
	}

typedef struct host_parker {
	pthread_mutex_t mutex;
	pthread_cond_t condition;
	int32 permit;
} host_parker;

typedef struct host_thread {
	pthread_t handle;
	void (*entry)(void*);
	void* argument;
} host_thread;

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

void* host_map(size_t size); /* zeroed, never NULL (aborts) */
void host_unmap(void* address, size_t size);

#ifdef __cplusplus
}
#endif

#endif
