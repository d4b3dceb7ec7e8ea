/* The stress run's shared state: its parameters (gStress), random numbers, output, and the table
 * of workers. A leaf: the engine (core.c), the history and the scenarios build on it. */
#include "stress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct stress gStress;

static struct worker sWorkers[MAX_WORKERS];
static int32 sWorkerCount;
static pthread_mutex_t sPrintLock = PTHREAD_MUTEX_INITIALIZER;

/* ---- random numbers (splitmix64) ----------------------------------------------------------- */

void
rng_seed(struct rng* rng, uint64 seed)
{
	rng->state = seed;
}

uint64
rng_next(struct rng* rng)
{
	uint64 z = (rng->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64
rng_range(struct rng* rng, int64 low, int64 high)
{
	if (high <= low)
		return low;
	return low + (int64)(rng_next(rng) % (uint64)(high - low + 1));
}

bool
rng_chance(struct rng* rng, int permille)
{
	return (int)(rng_next(rng) % 1000) < permille;
}

/* ---- output -------------------------------------------------------------------------------- */

void
stress_print(const char* format, ...)
{
	pthread_mutex_lock(&sPrintLock);
	va_list args;
	va_start(args, format);
	vfprintf(stdout, format, args);
	va_end(args);
	fflush(stdout);
	pthread_mutex_unlock(&sPrintLock);
}

/* several lines that must stay together (a failure, the watchdog's dump) */
void
stress_output_lock(void)
{
	pthread_mutex_lock(&sPrintLock);
}

void
stress_output_unlock(void)
{
	pthread_mutex_unlock(&sPrintLock);
}

/* ---- workers ------------------------------------------------------------------------------- */

static status_t
worker_entry(void* data)
{
	struct worker* worker = data;
	status_t status = worker->main(worker);
	__atomic_store_n(&worker->done, 1, __ATOMIC_RELEASE);
	return status;
}

/* only the main thread spawns workers: a slot is filled, then published by the count (release) */
struct worker*
worker_spawn(const char* name, worker_main main, void* data, bool interruptible)
{
	int32 index = __atomic_load_n(&sWorkerCount, __ATOMIC_RELAXED);
	if (index >= MAX_WORKERS) {
		fprintf(stderr, "stress: more than %d workers\n", MAX_WORKERS);
		exit(2);
	}
	struct worker* worker = &sWorkers[index];
	worker->index = index;
	snprintf(worker->name, sizeof(worker->name), "%s", name);
	worker->main = main;
	worker->data = data;
	worker->interruptible = interruptible;
	rng_seed(&worker->rng, rng_next(&gStress.rng));
	worker->op = -1;
	worker->op_unit = -1;
	if (main == NULL)
		worker->thread = shim_current_thread(); /* the main thread's own record */
	else {
		worker->thread = shim_thread_spawn(worker->name, worker_entry, worker);
		if (worker->thread < 0) {
			fprintf(
				stderr, "stress: cannot spawn %s: %s\n", name, shim_status_name(worker->thread));
			exit(2);
		}
	}
	__atomic_store_n(&sWorkerCount, index + 1, __ATOMIC_RELEASE);
	return worker;
}

int
worker_count(void)
{
	return __atomic_load_n(&sWorkerCount, __ATOMIC_ACQUIRE);
}

struct worker*
worker_at(int index)
{
	return &sWorkers[index];
}

void
interrupt_worker(struct worker* target)
{
	atomic_set64(&target->intr_time, system_time());
	atomic_add64(&target->intr_sent, 1);
	atomic_add64(&gStress.interrupts, 1);
	shim_interrupt(target->thread);
}
