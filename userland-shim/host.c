/* Host layer of the userland shim on Linux: pthread locks, per-thread parkers, threads, the
 * monotonic clock, sleeping, TLS exit hooks and mmap. See host.h for the contract. */
#include "shim_internal.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "host.h"
#include "shim_sched.h"

static void
host_check(int error, const char* what)
{
	if (error == 0)
		return;
	fprintf(stderr, "shim host: %s failed: %s\n", what, strerror(error));
	abort();
}

/* ---- locks ------------------------------------------------------------------------------- */

void
host_lock_init(host_lock* lock)
{
	host_check(pthread_mutex_init(&lock->mutex, NULL), "pthread_mutex_init");
}

void
host_lock_destroy(host_lock* lock)
{
	host_check(pthread_mutex_destroy(&lock->mutex), "pthread_mutex_destroy");
}

void
host_lock_acquire(host_lock* lock)
{
	host_check(pthread_mutex_lock(&lock->mutex), "pthread_mutex_lock");
}

bool
host_lock_try(host_lock* lock)
{
	int error = pthread_mutex_trylock(&lock->mutex);
	if (error == EBUSY)
		return false;
	host_check(error, "pthread_mutex_trylock");
	return true;
}

void
host_lock_release(host_lock* lock)
{
	host_check(pthread_mutex_unlock(&lock->mutex), "pthread_mutex_unlock");
}

/* ---- parkers ----------------------------------------------------------------------------- */

void
host_parker_init(host_parker* parker)
{
	pthread_condattr_t attributes;
	host_check(pthread_condattr_init(&attributes), "pthread_condattr_init");
	host_check(
		pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC), "pthread_condattr_setclock");
	host_check(pthread_cond_init(&parker->condition, &attributes), "pthread_cond_init");
	pthread_condattr_destroy(&attributes);
	host_check(pthread_mutex_init(&parker->mutex, NULL), "pthread_mutex_init");
	parker->permit = 0;
}

void
host_parker_destroy(host_parker* parker)
{
	host_check(pthread_cond_destroy(&parker->condition), "pthread_cond_destroy");
	host_check(pthread_mutex_destroy(&parker->mutex), "pthread_mutex_destroy");
}

static struct timespec
host_timespec(bigtime_t time)
{
	struct timespec spec;
	spec.tv_sec = time / 1000000;
	spec.tv_nsec = (time % 1000000) * 1000;
	return spec;
}

bool
host_park(host_parker* parker, bigtime_t deadline)
{
	bool unparked = true;
	host_check(pthread_mutex_lock(&parker->mutex), "pthread_mutex_lock");
	if (parker->permit == 0) {
		if (deadline == B_INFINITE_TIMEOUT) {
			host_check(pthread_cond_wait(&parker->condition, &parker->mutex), "pthread_cond_wait");
		} else {
			struct timespec spec = host_timespec(deadline);
			int error = pthread_cond_timedwait(&parker->condition, &parker->mutex, &spec);
			if (error != ETIMEDOUT)
				host_check(error, "pthread_cond_timedwait");
		}
		/* a wake-up without the permit is spurious or the deadline */
		unparked = parker->permit != 0 || host_time() < deadline;
	}
	parker->permit = 0;
	host_check(pthread_mutex_unlock(&parker->mutex), "pthread_mutex_unlock");
	return unparked;
}

void
host_unpark(host_parker* parker)
{
	host_check(pthread_mutex_lock(&parker->mutex), "pthread_mutex_lock");
	parker->permit = 1;
	host_check(pthread_cond_signal(&parker->condition), "pthread_cond_signal");
	host_check(pthread_mutex_unlock(&parker->mutex), "pthread_mutex_unlock");
}

/* ---- threads ----------------------------------------------------------------------------- */

static void*
host_thread_trampoline(void* argument)
{
	host_thread* thread = argument;
	thread->entry(thread->argument);
	return NULL;
}

status_t
host_thread_create(host_thread* thread, void (*entry)(void*), void* argument)
{
	thread->entry = entry;
	thread->argument = argument;
	int error = pthread_create(&thread->handle, NULL, host_thread_trampoline, thread);
	if (error == EAGAIN)
		return B_NO_MORE_THREADS;
	host_check(error, "pthread_create");
	return B_OK;
}

void
host_thread_join(host_thread* thread)
{
	host_check(pthread_join(thread->handle, NULL), "pthread_join");
}

/* ---- time -------------------------------------------------------------------------------- */

bigtime_t
host_time(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (bigtime_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

void
host_sleep_until(bigtime_t deadline)
{
	struct timespec spec = host_timespec(deadline);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, NULL) == EINTR) {
	}
}

void
host_yield(void)
{
	sched_yield();
}

void
host_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ---- thread exit hook -------------------------------------------------------------------- */

static pthread_once_t sTlsOnce = PTHREAD_ONCE_INIT;
static pthread_key_t sTlsKey;
static void (*sTlsDestructor)(void*);

static void
host_tls_create(void)
{
	void (*destructor)(void*) = __atomic_load_n(&sTlsDestructor, __ATOMIC_ACQUIRE);
	host_check(pthread_key_create(&sTlsKey, destructor), "pthread_key_create");
}

void
host_tls_init(void (*destructor)(void*))
{
	__atomic_store_n(&sTlsDestructor, destructor, __ATOMIC_RELEASE);
	host_check(pthread_once(&sTlsOnce, host_tls_create), "pthread_once");
}

void
host_tls_set(void* value)
{
	host_check(pthread_setspecific(sTlsKey, value), "pthread_setspecific");
}

/* ---- memory ------------------------------------------------------------------------------ */

void*
host_map(size_t size)
{
	void* address = mmap(
		NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (address == MAP_FAILED) {
		fprintf(stderr, "shim host: mmap of %zu bytes failed: %s\n", size, strerror(errno));
		abort();
	}
	return address;
}

void
host_unmap(void* address, size_t size)
{
	munmap(address, size);
}

/* ---- scheduling: nothing to decide when every thread runs freely (see host_det.c) ---------- */

void
host_schedule_point(enum host_point point)
{
	(void)point;
}

void
host_sched_boot(void)
{
}

void
shim_sched_set_tape(const uint8* tape, size_t length)
{
	(void)tape;
	(void)length;
}

void
shim_sched_set_trace(FILE* out)
{
	(void)out;
}

bool
shim_sched_is_deterministic(void)
{
	return false;
}

uint64
shim_sched_decisions(void)
{
	return 0;
}

size_t
shim_sched_tape_used(void)
{
	return 0;
}
