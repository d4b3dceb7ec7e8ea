/* Deterministic host layer of the userland shim (make SAN=det, instead of host.c): one runner at a
 * time, the next one read from a choice tape, virtual time, host threads pooled across boots. */
#include "shim_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>

#include "host.h"
#include "shim_sched.h"

/*
 * The baton. A virtual thread (struct vthread) is a shim thread as the scheduler sees it: the
 * thread that booted the shim (attached on its first host call) or a spawned one, running on a
 * pooled host thread. sDet.current is the one allowed to run; every other one waits on its own
 * condition variable under sDet.mutex. At a scheduling point the runner chooses the next runner
 * (tape byte modulo the runnable count, or the default policy: shim_sched.h), makes it current,
 * signals it and waits until the baton comes back. Only the runner touches the shim's state, so a
 * host_lock is never contended; and no switch happens while the runner holds one: a point reached
 * then (an unpark under a semaphore's lock, say) is deferred to its last host_lock_release, which
 * keeps the shim's own bookkeeping atomic. Blocking (park, join, sleep) under a host lock aborts.
 *
 * Virtual time: host_time() is sDet.now. Each decision costs DET_QUANTUM (1 us), so a thread that
 * never blocks (a writer looping while the stack drains) cannot stop the clock and starve a timed
 * wait forever; when no thread is runnable the clock jumps to the earliest deadline. A blocked
 * thread whose deadline has come is runnable (timed out). Nobody runnable and no deadline pending
 * is a deadlock: print every thread and what it waits on (shim_dump_threads), then abort().
 *
 * Default policy (no tape left): the current thread keeps running for up to DET_SLICE decisions in
 * a row while others are runnable, then (or when it blocks or yields) the next runnable id after
 * it, wrapping: busy loops that poll another thread's progress cannot starve it.
 *
 * Pool: a spawned thread takes an idle host thread (one whose previous thread was joined) or a new
 * one; they never exit, so a process has as many as it ever had unjoined spawned threads at once.
 * CPU: a hand-off to a thread asleep on another CPU costs ~25 us on a small VM, ~2 us on the same
 * CPU, and these threads run one at a time anyway: all share one CPU, the first one from the
 * current CPU on that no other process claimed (flock() of $TMPDIR/shim-det-cpu-<n>.lock, held
 * until the process exits), so parallel fuzzing jobs spread. SHIM_DET_CPU=<n> picks one,
 * SHIM_DET_CPU=none leaves the affinity alone.
 * SHIM_SCHED_TRACE=<file> ("-": stderr) traces every decision of any binary.
 *
 * fork(): the child keeps only the forking thread; every other virtual thread is an orphan that
 * never runs again (a deadlock if waited for) and the idle pool is forgotten.
 */

#define DET_EPOCH ((bigtime_t)1000 * 1000000) /* system_time() at every boot: 1000 s */
#define DET_QUANTUM 1                         /* virtual microseconds each decision costs */
#define DET_SLICE 64 /* default policy: decisions in a row the current thread keeps running */

enum vthread_state { V_RUNNABLE, V_BLOCKED, V_EXITED, V_ORPHAN };

/* the host layer's own points follow the kernel primitives' enum host_point */
enum {
	POINT_PARK = HOST_POINT_COUNT,
	POINT_UNPARK,
	POINT_CREATE,
	POINT_EXIT,
	POINT_JOIN,
	POINT_SLEEP,
	POINT_YIELD,
	POINT_KIND_COUNT
};

static const char* const kPointNames[POINT_KIND_COUNT] = {"sem_acquire", "sem_release",
	"mutex_lock", "mutex_unlock", "mutex_released", "spinlock", "user_memcpy", "alloc", "notify",
	"busy_wait", "park", "unpark", "create", "exit", "join", "sleep", "yield"};

struct vthread {
	pthread_cond_t wake; /* under sDet.mutex: signalled when it becomes current */
	int32 id;    /* grows with creation, renumbered at boot: runnable sets are in id order */
	int32 state; /* enum vthread_state */
	host_parker* parker;    /* blocked in host_park() on it */
	struct vthread* joiner; /* blocked in host_thread_join() on this one */
	bigtime_t deadline;     /* blocked until then (B_INFINITE_TIMEOUT: no timer) */
	bool timed_out;         /* made runnable by the clock */
	int32 locks;            /* host locks held */
	int32 deferred;         /* 1 + the kind of a point reached while holding host locks; 0: none */
	void (*entry)(void*);
	void* argument;
	struct vthread* next_idle;
};

static struct {
	pthread_mutex_t mutex;
	struct vthread* current;  /* holds the baton; NULL when no virtual thread can run */
	struct vthread** threads; /* ascending ids; exited ones stay until joined */
	struct vthread** scratch; /* the runnable set of the decision being made */
	int32 count;
	int32 capacity;
	int32 next_id;
	int32 slice;   /* decisions in a row that kept the current thread */
	bigtime_t now; /* the virtual clock (atomic for host_time) */
	uint8* tape;
	size_t tape_length;
	size_t tape_capacity;
	size_t tape_position;
	FILE* trace;
	uint64 decisions;
	struct vthread* idle; /* pooled threads, joined: their host threads wait for a new job */
	bool stopped;         /* a deadlock report is being printed: no more switches */
} sDet = {.mutex = PTHREAD_MUTEX_INITIALIZER, .now = DET_EPOCH};

static __thread struct vthread* tSelf;
static __thread void* tTlsValue; /* host_tls_set() */
static void (*sTlsDestructor)(void*);
static pthread_once_t sOnce = PTHREAD_ONCE_INIT;
static pthread_key_t sExitKey; /* attached threads leave the schedule when they exit */
static int sCpu = -1;          /* the CPU every scheduler thread runs on; -1: not pinned */
static FILE* sCpuClaim;        /* holds the flock() that claims sCpu */

static void __attribute__((noreturn)) fatal(const char* what, const char* why)
{
	fprintf(stderr, "shim host_det: %s: %s\n", what, why);
	abort();
}

static void
host_check(int error, const char* what)
{
	if (error != 0)
		fatal(what, strerror(error));
}

/* ---- the thread table (callers hold sDet.mutex) ---------------------------------------------- */

static void
table_add(struct vthread* thread)
{
	if (sDet.count == sDet.capacity) {
		sDet.capacity = sDet.capacity > 0 ? sDet.capacity * 2 : 16;
		struct vthread** threads = shim_host_alloc(sizeof(*threads) * sDet.capacity);
		if (sDet.count > 0)
			memcpy(threads, sDet.threads, sizeof(*threads) * sDet.count);
		shim_host_free(sDet.threads);
		shim_host_free(sDet.scratch);
		sDet.threads = threads;
		sDet.scratch = shim_host_alloc(sizeof(*threads) * sDet.capacity);
	}
	thread->id = sDet.next_id++;
	thread->state = V_RUNNABLE;
	thread->deadline = B_INFINITE_TIMEOUT;
	sDet.threads[sDet.count] = thread;
	__atomic_store_n(&sDet.count, sDet.count + 1, __ATOMIC_RELEASE);
}

static void
table_remove(struct vthread* thread)
{
	int32 index = 0;
	while (sDet.threads[index] != thread)
		index++;
	__atomic_store_n(&sDet.count, sDet.count - 1, __ATOMIC_RELEASE);
	memmove(&sDet.threads[index], &sDet.threads[index + 1],
		sizeof(*sDet.threads) * (sDet.count - index));
}

static struct vthread*
vthread_alloc(void)
{
	struct vthread* thread = shim_host_alloc(sizeof(*thread));
	memset(thread, 0, sizeof(*thread));
	host_check(pthread_cond_init(&thread->wake, NULL), "pthread_cond_init");
	return thread;
}

/* ---- decisions (callers hold sDet.mutex) ----------------------------------------------------- */

/* fill sDet.scratch with the runnable threads, waking those whose deadline has come; at a yield
 * the yielder comes in only when alone */
static int32
runnable_set(struct vthread* self, bool yielding)
{
	int32 count = 0;
	for (int32 i = 0; i < sDet.count; i++) {
		struct vthread* thread = sDet.threads[i];
		if (thread->state == V_BLOCKED && thread->deadline <= sDet.now) {
			thread->state = V_RUNNABLE;
			thread->timed_out = true;
		}
		if (thread->state == V_RUNNABLE && !(yielding && thread == self))
			sDet.scratch[count++] = thread;
	}
	if (count == 0 && yielding && self->state == V_RUNNABLE)
		sDet.scratch[count++] = self;
	return count;
}

static void
describe(FILE* out, struct vthread* thread)
{
	static const char* const kStates[] = {"runnable", "blocked", "exited", "lost in fork()"};
	fprintf(out, "%s", kStates[thread->state]);
	if (thread->state != V_BLOCKED)
		return;
	if (thread->parker != NULL)
		fputs(", parked", out);
	for (int32 i = 0; i < sDet.count; i++) {
		if (sDet.threads[i]->joiner == thread && sDet.threads[i]->state != V_EXITED)
			fprintf(out, ", joining thread %" PRId32, sDet.threads[i]->id);
	}
	if (thread->deadline != B_INFINITE_TIMEOUT)
		fprintf(out, ", until t=+%" PRId64, thread->deadline - DET_EPOCH);
}

static void __attribute__((noreturn)) deadlock(void)
{
	sDet.stopped = true;
	fprintf(stderr,
		"DEADLOCK: every shim thread is blocked and no timer is pending (t=+%" PRId64
		" us, decision %" PRIu64 ")\nscheduler threads:\n",
		sDet.now - DET_EPOCH, sDet.decisions);
	for (int32 i = 0; i < sDet.count; i++) {
		fprintf(stderr, "  thread %" PRId32 ": ", sDet.threads[i]->id);
		describe(stderr, sDet.threads[i]);
		fprintf(stderr, "\n");
	}
	pthread_mutex_unlock(&sDet.mutex);
	shim_dump_threads(stderr);
	fflush(stderr);
	abort();
}

/* nobody is runnable: move the clock to the earliest deadline. Returns false when no thread is
 * left at all; a deadlock does not return. */
static bool
advance_clock(void)
{
	bigtime_t earliest = B_INFINITE_TIMEOUT;
	bool waiting = false;
	for (int32 i = 0; i < sDet.count; i++) {
		struct vthread* thread = sDet.threads[i];
		waiting |= thread->state == V_BLOCKED || thread->state == V_ORPHAN;
		if (thread->state == V_BLOCKED && thread->deadline < earliest)
			earliest = thread->deadline;
	}
	if (!waiting)
		return false;
	if (earliest == B_INFINITE_TIMEOUT)
		deadlock();
	__atomic_store_n(&sDet.now, max_c(earliest, sDet.now), __ATOMIC_RELAXED);
	return true;
}

static void
trace(struct vthread* self, int kind, int32 count, struct vthread* next, bigtime_t before,
	long tapeIndex)
{
	FILE* out = sDet.trace;
	fprintf(out, "#%" PRIu64 " t=+%" PRId64 " %s by %" PRId32, sDet.decisions, sDet.now - DET_EPOCH,
		kPointNames[kind], self->id);
	if (self->state != V_RUNNABLE) {
		fprintf(out, " (");
		describe(out, self);
		fprintf(out, ")");
	}
	if (sDet.now != before + DET_QUANTUM)
		fprintf(out, ", clock +%" PRId64, sDet.now - before);
	fprintf(out, ": {");
	for (int32 i = 0; i < count; i++)
		fprintf(out, "%s%" PRId32, i > 0 ? "," : "", sDet.scratch[i]->id);
	if (next == NULL)
		fprintf(out, "} -> none\n");
	else if (tapeIndex >= 0)
		fprintf(out, "} -> %" PRId32 " (tape[%ld]=0x%02x)\n", next->id, tapeIndex,
			sDet.tape[tapeIndex]);
	else
		fprintf(out, "} -> %" PRId32 " (%s)\n", next->id, count == 1 ? "only" : "default");
}

/* the next runner; self's state says whether it can go on (RUNNABLE) or not */
static struct vthread*
choose(struct vthread* self, int kind)
{
	bool yielding = kind == POINT_YIELD || kind == HOST_POINT_BUSY_WAIT;
	bigtime_t before = sDet.now;
	__atomic_store_n(&sDet.now, sDet.now + DET_QUANTUM, __ATOMIC_RELAXED);
	int32 count = runnable_set(self, yielding);
	if (count == 0 && advance_clock())
		count = runnable_set(self, false);

	struct vthread* next = NULL;
	long tapeIndex = -1;
	if (count == 1) {
		next = sDet.scratch[0];
	} else if (count > 1 && sDet.tape_position < sDet.tape_length) {
		tapeIndex = (long)sDet.tape_position++;
		next = sDet.scratch[sDet.tape[tapeIndex] % count];
	} else if (count > 1 && !yielding && self->state == V_RUNNABLE && sDet.slice < DET_SLICE) {
		next = self;
	} else if (count > 1) {
		next = sDet.scratch[0]; /* round robin: the next id after self, wrapping */
		for (int32 i = count - 1; i >= 0 && sDet.scratch[i]->id > self->id; i--)
			next = sDet.scratch[i];
	}
	sDet.slice = next == self ? sDet.slice + 1 : 0;
	sDet.decisions++;
	if (sDet.trace != NULL)
		trace(self, kind, count, next, before, tapeIndex);
	return next;
}

/* The runner is the only thread (a single-threaded harness): do what choose() would do at a point
 * where it can go on, without the scans, and return true. Without sDet.mutex too: only the runner
 * changes the clock and the counters, and a thread attaching meanwhile (table_add under the mutex)
 * waits for the baton anyway, as if it had come after this decision. */
static inline bool
alone_tick(void)
{
	if (__atomic_load_n(&sDet.count, __ATOMIC_ACQUIRE) != 1 || sDet.trace != NULL || sDet.stopped)
		return false;
	__atomic_store_n(&sDet.now, sDet.now + DET_QUANTUM, __ATOMIC_RELAXED);
	sDet.slice++;
	sDet.decisions++;
	return true;
}

/* a scheduling point: hand the baton over and wait until it comes back (unless self exited) */
static void
reschedule(struct vthread* self, int kind)
{
	if (sDet.stopped)
		return;
	if (self->state == V_RUNNABLE && alone_tick())
		return;
	struct vthread* next = choose(self, kind);
	if (next == self)
		return;
	sDet.current = next;
	if (next != NULL)
		pthread_cond_signal(&next->wake);
	while (self->state != V_EXITED && sDet.current != self)
		pthread_cond_wait(&self->wake, &sDet.mutex);
}

/* a point where self may go on: deferred while it holds host locks */
static void
point_locked(struct vthread* self, int kind)
{
	if (self->locks > 0)
		self->deferred = kind + 1;
	else
		reschedule(self, kind);
}

/* until `parker` is unparked, the joined thread exits or the deadline comes */
static void
block(struct vthread* self, host_parker* parker, bigtime_t deadline, int kind)
{
	if (self->locks != 0)
		fatal(kPointNames[kind], "blocks while holding a host lock");
	self->state = V_BLOCKED;
	self->parker = parker;
	self->deadline = deadline;
	self->timed_out = false;
	reschedule(self, kind);
	self->parker = NULL;
	self->deadline = B_INFINITE_TIMEOUT;
}

/* ---- joining the schedule, leaving it, the pool, fork ---------------------------------------- */

static void
lock_det(void)
{
	pthread_mutex_lock(&sDet.mutex);
}

static void
unlock_det(void)
{
	pthread_mutex_unlock(&sDet.mutex);
}

static void
fork_child(void)
{
	unlock_det();
	sDet.idle = NULL; /* their host threads are gone */
	for (int32 i = 0; i < sDet.count; i++) {
		if (sDet.threads[i] != tSelf && sDet.threads[i]->state != V_EXITED)
			sDet.threads[i]->state = V_ORPHAN;
	}
	sDet.current = tSelf;
}

static void
pin_self(void)
{
	if (sCpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(sCpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* the first CPU from the current one that no other process claimed; the claim stays held */
static int
claim_cpu(const cpu_set_t* allowed)
{
	const char* directory = getenv("TMPDIR");
	int start = max_c(sched_getcpu(), 0);
	for (int i = 0; i < CPU_SETSIZE; i++) {
		int cpu = (start + i) % CPU_SETSIZE;
		char path[512];
		if (!CPU_ISSET(cpu, allowed))
			continue;
		snprintf(path, sizeof(path), "%s/shim-det-cpu-%d.lock",
			directory != NULL ? directory : "/tmp", cpu);
		FILE* file = fopen(path, "ae");
		if (file != NULL && flock(fileno(file), LOCK_EX | LOCK_NB) == 0) {
			sCpuClaim = file;
			return cpu;
		}
		if (file != NULL)
			fclose(file);
	}
	return start;
}

static void thread_exit_hook(void* value);

static void
det_once(void)
{
	host_check(pthread_key_create(&sExitKey, thread_exit_hook), "pthread_key_create");
	host_check(pthread_atfork(lock_det, unlock_det, fork_child), "pthread_atfork");
	const char* trace = getenv("SHIM_SCHED_TRACE");
	if (trace != NULL && trace[0] != '\0')
		sDet.trace = strcmp(trace, "-") == 0 ? stderr : fopen(trace, "w");

	const char* cpu = getenv("SHIM_DET_CPU");
	cpu_set_t allowed;
	if ((cpu != NULL && strcmp(cpu, "none") == 0)
		|| sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) < 2)
		return;
	sCpu = cpu != NULL ? atoi(cpu) : claim_cpu(&allowed);
	if (sCpu < 0 || sCpu >= CPU_SETSIZE || !CPU_ISSET(sCpu, &allowed))
		sCpu = -1;
}

/* a thread not spawned through the host layer (the harness's main thread) joins the schedule:
 * at once if nobody runs, else whenever it is chosen */
static struct vthread* __attribute__((noinline)) attach(void)
{
	host_check(pthread_once(&sOnce, det_once), "pthread_once");
	pin_self();
	struct vthread* self = vthread_alloc();
	pthread_mutex_lock(&sDet.mutex);
	table_add(self);
	if (sDet.current == NULL)
		sDet.current = self;
	while (sDet.current != self)
		pthread_cond_wait(&self->wake, &sDet.mutex);
	tSelf = self;
	pthread_mutex_unlock(&sDet.mutex);
	host_check(pthread_setspecific(sExitKey, self), "pthread_setspecific");
	return self;
}

static inline struct vthread*
det_self(void)
{
	struct vthread* self = tSelf;
	return self != NULL ? self : attach();
}

/* an attached thread exits: the shim's exit hook first (still under the baton), then leave */
static void
thread_exit_hook(void* value)
{
	struct vthread* self = value;
	void* shimValue = tTlsValue;
	tTlsValue = NULL;
	if (shimValue != NULL && sTlsDestructor != NULL)
		sTlsDestructor(shimValue);
	pthread_mutex_lock(&sDet.mutex);
	self->state = V_EXITED;
	table_remove(self);
	reschedule(self, POINT_EXIT);
	tSelf = NULL;
	pthread_mutex_unlock(&sDet.mutex);
	pthread_cond_destroy(&self->wake);
	shim_host_free(self);
}

/* a pool host thread: runs each virtual thread it is given once that one becomes current */
static void*
worker_main(void* argument)
{
	struct vthread* self = argument;
	pin_self();
	pthread_mutex_lock(&sDet.mutex);
	for (;;) {
		while (sDet.current != self)
			pthread_cond_wait(&self->wake, &sDet.mutex);
		tSelf = self;
		pthread_mutex_unlock(&sDet.mutex);

		self->entry(self->argument);

		pthread_mutex_lock(&sDet.mutex);
		self->state = V_EXITED;
		if (self->joiner != NULL && self->joiner->state == V_BLOCKED)
			self->joiner->state = V_RUNNABLE;
		reschedule(self, POINT_EXIT);
		tSelf = NULL;
	}
	return NULL;
}

status_t
host_thread_create(host_thread* thread, void (*entry)(void*), void* argument)
{
	struct vthread* self = det_self();
	thread->entry = entry;
	thread->argument = argument;
	pthread_mutex_lock(&sDet.mutex);
	struct vthread* child = sDet.idle;
	if (child != NULL) {
		sDet.idle = child->next_idle;
	} else {
		child = vthread_alloc();
		pthread_attr_t attributes;
		host_check(pthread_attr_init(&attributes), "pthread_attr_init");
		pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
		pthread_t handle;
		int error = pthread_create(&handle, &attributes, worker_main, child);
		pthread_attr_destroy(&attributes);
		if (error != 0) {
			pthread_mutex_unlock(&sDet.mutex);
			pthread_cond_destroy(&child->wake);
			shim_host_free(child);
			if (error != EAGAIN)
				fatal("pthread_create", strerror(error));
			return B_NO_MORE_THREADS;
		}
	}
	child->entry = entry;
	child->argument = argument;
	child->joiner = NULL;
	child->timed_out = false;
	table_add(child);
	thread->context = child;
	point_locked(self, POINT_CREATE);
	pthread_mutex_unlock(&sDet.mutex);
	return B_OK;
}

/* waits for the thread's entry to return, then gives its host thread back to the pool */
void
host_thread_join(host_thread* thread)
{
	struct vthread* self = det_self();
	struct vthread* target = thread->context;
	pthread_mutex_lock(&sDet.mutex);
	target->joiner = self;
	if (target->state != V_EXITED)
		block(self, NULL, B_INFINITE_TIMEOUT, POINT_JOIN);
	else
		reschedule(self, POINT_JOIN);
	table_remove(target);
	target->next_idle = sDet.idle;
	sDet.idle = target;
	thread->context = NULL;
	pthread_mutex_unlock(&sDet.mutex);
}

/* ---- host interface: locks, parkers, points, time -------------------------------------------- */

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
	struct vthread* self = det_self();
	host_check(pthread_mutex_lock(&lock->mutex), "pthread_mutex_lock");
	self->locks++;
}

bool
host_lock_try(host_lock* lock)
{
	struct vthread* self = det_self();
	int error = pthread_mutex_trylock(&lock->mutex);
	if (error != EBUSY)
		host_check(error, "pthread_mutex_trylock");
	self->locks += error == 0;
	return error == 0;
}

void
host_lock_release(host_lock* lock)
{
	struct vthread* self = tSelf;
	host_check(pthread_mutex_unlock(&lock->mutex), "pthread_mutex_unlock");
	if (--self->locks > 0 || self->deferred == 0)
		return;
	int kind = self->deferred - 1;
	self->deferred = 0;
	if (alone_tick())
		return;
	pthread_mutex_lock(&sDet.mutex);
	reschedule(self, kind);
	pthread_mutex_unlock(&sDet.mutex);
}

void
host_parker_init(host_parker* parker)
{
	parker->permit = 0;
	parker->waiter = NULL;
}

void
host_parker_destroy(host_parker* parker)
{
	if (parker->waiter != NULL)
		fatal("host_parker_destroy", "a thread is parked on it");
}

bool
host_park(host_parker* parker, bigtime_t deadline)
{
	struct vthread* self = det_self();
	bool unparked = true;
	pthread_mutex_lock(&sDet.mutex);
	if (parker->permit == 0 && (deadline == B_INFINITE_TIMEOUT || deadline > sDet.now)) {
		parker->waiter = self;
		block(self, parker, deadline, POINT_PARK);
		parker->waiter = NULL;
		unparked = parker->permit != 0 || !self->timed_out;
	} else {
		unparked = parker->permit != 0;
		reschedule(self, POINT_PARK);
	}
	parker->permit = 0;
	pthread_mutex_unlock(&sDet.mutex);
	return unparked;
}

void
host_unpark(host_parker* parker)
{
	struct vthread* self = det_self();
	pthread_mutex_lock(&sDet.mutex);
	parker->permit = 1;
	struct vthread* waiter = parker->waiter;
	if (waiter != NULL && waiter->state == V_BLOCKED && waiter->parker == parker) {
		waiter->state = V_RUNNABLE;
		waiter->timed_out = false;
	}
	point_locked(self, POINT_UNPARK);
	pthread_mutex_unlock(&sDet.mutex);
}

void
host_schedule_point(enum host_point kind)
{
	struct vthread* self = det_self();
	if (self->locks > 0) {
		self->deferred = kind + 1;
		return;
	}
	if (alone_tick())
		return;
	pthread_mutex_lock(&sDet.mutex);
	reschedule(self, kind);
	pthread_mutex_unlock(&sDet.mutex);
}

void
host_yield(void)
{
	host_schedule_point((enum host_point)POINT_YIELD);
}

/* a spin on a lock whose holder does not run would never end: let the others run */
void
host_cpu_relax(void)
{
	host_yield();
}

bigtime_t
host_time(void)
{
	return __atomic_load_n(&sDet.now, __ATOMIC_RELAXED);
}

void
host_sleep_until(bigtime_t deadline)
{
	struct vthread* self = det_self();
	pthread_mutex_lock(&sDet.mutex);
	if (deadline > sDet.now)
		block(self, NULL, deadline, POINT_SLEEP);
	else
		reschedule(self, POINT_SLEEP);
	pthread_mutex_unlock(&sDet.mutex);
}

/* ---- thread exit hook, memory ---------------------------------------------------------------- */

void
host_tls_init(void (*destructor)(void*))
{
	__atomic_store_n(&sTlsDestructor, destructor, __ATOMIC_RELEASE);
}

void
host_tls_set(void* value)
{
	det_self(); /* attached threads run the hook when they exit */
	tTlsValue = value;
}

void*
host_map(size_t size)
{
	void* address = mmap(
		NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (address == MAP_FAILED)
		fatal("mmap", strerror(errno));
	return address;
}

void
host_unmap(void* address, size_t size)
{
	munmap(address, size);
}

/* ---- boot and the control API (shim_sched.h): the caller holds the baton --------------------- */

/* the booting thread becomes thread 0, any left from an earlier boot 1, 2, ... */
void
host_sched_boot(void)
{
	struct vthread* self = det_self();
	pthread_mutex_lock(&sDet.mutex);
	int32 index = 0;
	while (sDet.threads[index] != self)
		index++;
	memmove(&sDet.threads[1], &sDet.threads[0], sizeof(*sDet.threads) * index);
	sDet.threads[0] = self;
	for (int32 i = 0; i < sDet.count; i++)
		sDet.threads[i]->id = i;
	sDet.next_id = sDet.count;
	__atomic_store_n(&sDet.now, DET_EPOCH, __ATOMIC_RELAXED);
	sDet.tape_position = 0;
	sDet.decisions = 0;
	sDet.slice = 0;
	pthread_mutex_unlock(&sDet.mutex);
}

void
shim_sched_set_tape(const uint8* tape, size_t length)
{
	length = tape != NULL ? length : 0;
	if (length > sDet.tape_capacity) {
		shim_host_free(sDet.tape);
		sDet.tape = shim_host_alloc(length);
		sDet.tape_capacity = length;
	}
	if (length > 0)
		memcpy(sDet.tape, tape, length);
	sDet.tape_length = length;
	sDet.tape_position = 0;
}

void
shim_sched_set_trace(FILE* out)
{
	host_check(pthread_once(&sOnce, det_once), "pthread_once"); /* after SHIM_SCHED_TRACE */
	sDet.trace = out;
}

bool
shim_sched_is_deterministic(void)
{
	return true;
}

uint64
shim_sched_decisions(void)
{
	return sDet.decisions;
}

size_t
shim_sched_tape_used(void)
{
	return sDet.tape_position;
}
