/* Host layer of the userland shim on Linux: pthread locks, per-thread parkers, threads, the
 * monotonic clock, sleeping, TLS exit hooks and mmap. See host.h for the contract. */
#include "shim_private.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include "host/host.h"
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

/*
 * A parker is one futex word, `permit`: 0 nothing, 1 a permit, -1 the owner sleeps in the kernel.
 * host_park() first spins for up to sParkSpinUs (SHIM_PARK_SPIN_US, default 20) watching for the
 * permit, then sleeps; host_unpark() makes a futex wake call only when the owner sleeps. A wake-up
 * across CPUs costs 20-40 µs on a VM, far more than a Haiku kernel's context switch: without the
 * spin, a reader woken for every packet measures Linux's scheduler, not the driver.
 */

static int32 sParkSpinUs = -1;

static struct timespec
host_timespec(bigtime_t time)
{
	struct timespec spec;
	spec.tv_sec = time / 1000000;
	spec.tv_nsec = (time % 1000000) * 1000;
	return spec;
}

static int32
park_spin_us(void)
{
	int32 spin = __atomic_load_n(&sParkSpinUs, __ATOMIC_RELAXED);
	if (spin < 0) {
		const char* value = getenv("SHIM_PARK_SPIN_US");
		spin = value != NULL ? (int32)strtol(value, NULL, 10) : 20;
		if (spin < 0)
			spin = 0;
		__atomic_store_n(&sParkSpinUs, spin, __ATOMIC_RELAXED);
	}
	return spin;
}

void
host_parker_init(host_parker* parker)
{
	parker->permit = 0;
}

void
host_parker_destroy(host_parker* parker)
{
	(void)parker;
}

static bool
take_permit(host_parker* parker)
{
	int32 expected = 1;
	return __atomic_compare_exchange_n(
		&parker->permit, &expected, 0, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static long
futex_call(int32* word, int op, int32 value, const struct timespec* deadline)
{
	return syscall(
		SYS_futex, word, op | FUTEX_PRIVATE_FLAG, value, deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

bool
host_park(host_parker* parker, bigtime_t deadline)
{
	bigtime_t spinEnd = host_time() + park_spin_us();
	for (uint32 round = 0;; round++) {
		if (take_permit(parker))
			return true;
		if ((round & 63) == 63 && host_time() >= min_c(spinEnd, deadline))
			break;
		host_cpu_relax();
	}
	for (;;) {
		int32 expected = 0;
		if (!__atomic_compare_exchange_n(
				&parker->permit, &expected, -1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* the permit came (expected == 1): only this thread clears it */
			__atomic_store_n(&parker->permit, 0, __ATOMIC_RELAXED);
			return true;
		}
		struct timespec spec;
		if (deadline != B_INFINITE_TIMEOUT)
			spec = host_timespec(deadline);
		long result = futex_call(
			&parker->permit, FUTEX_WAIT_BITSET, -1, deadline != B_INFINITE_TIMEOUT ? &spec : NULL);
		if (result != 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
			host_check(errno, "futex wait");
		if (take_permit(parker))
			return true;
		/* still -1 (timeout or spurious), or 0 if a wake raced: withdraw, or take the permit */
		expected = -1;
		if (!__atomic_compare_exchange_n(
				&parker->permit, &expected, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (take_permit(parker))
				return true;
		}
		if (deadline != B_INFINITE_TIMEOUT && host_time() >= deadline)
			return false;
	}
}

void
host_unpark(host_parker* parker)
{
	if (__atomic_exchange_n(&parker->permit, 1, __ATOMIC_RELEASE) == -1)
		futex_call(&parker->permit, FUTEX_WAKE, 1, NULL);
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

uint64
host_random_seed(void)
{
	uint64 seed;
	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		return seed;
	return (uint64)host_time() ^ (uint64)getpid() << 32;
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

void
host_thread_local(void** slot)
{
	(void)slot; /* every shim thread is a host thread */
}

void
host_thread_name(const char* name)
{
	(void)name; /* free-running: no trace of scheduling decisions */
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
host_sched_booted(void)
{
}

void
shim_sched_set_tape(const uint8* tape, size_t length)
{
	(void)tape;
	(void)length;
}

void
shim_sched_set_strategy(int strategy, int depth)
{
	(void)strategy;
	(void)depth;
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

void
shim_sched_restart(void)
{
}

void
shim_sched_thread_local(void** slot)
{
	(void)slot;
}
