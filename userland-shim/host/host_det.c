/* Deterministic host layer of the userland shim (make SAN=det, instead of host.c): one runner at a
 * time, the next one read from a choice tape, virtual time, threads run as fibers on one host
 * thread. */
#include "shim_private.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/host.h"
#include "host/host_asan.h"
#include "host/host_strategy.h"
#include "shim_sched.h"

#if SHIM_ASAN
#include <sanitizer/lsan_interface.h>
#endif

/*
 * The baton. A virtual thread (struct vthread) is a shim thread as the scheduler sees it: the
 * thread that booted the shim (the "native" one, attached on its first host call) or a spawned
 * one, which is a fiber: a stack of its own, run on the native thread's host thread. sDet.current
 * is the one running. At a scheduling point the runner chooses the next runner (tape byte modulo
 * the runnable count, or the default policy: shim_sched.h) and, if that is another thread, switches
 * to its stack (det_switch: callee-saved registers and the stack pointer, no system call); it goes
 * on when some later decision switches back to it. A switch never happens while the runner holds
 * a host_lock: a point reached then (an unpark under a semaphore's lock, say) is deferred to its
 * last host_lock_release, which keeps the shim's own bookkeeping atomic. Blocking (park, join,
 * sleep) under a host lock aborts.
 *
 * Why fibers: a hand-off between host threads costs a futex wake and wait (2-25 us on a small VM);
 * a fiber switch costs tens of nanoseconds, and the fuzz harnesses switch thousands of times a
 * second. One consequence: every virtual thread shares the host thread's __thread variables. The
 * few that belong to a shim thread (kern_thread.c's current thread, a harness's current op)
 * register with host_thread_local() and are saved and restored at every switch. Only one host
 * thread may use this build at a time (another one calling in aborts with a message).
 *
 * Virtual time: host_time() is sDet.now. Each decision costs DET_QUANTUM (1 us), so a thread that
 * never blocks (a writer looping while the stack drains) cannot stop the clock and starve a timed
 * wait forever; when no thread is runnable the clock jumps to the earliest deadline. A blocked
 * thread whose deadline has come is runnable (timed out). Nobody runnable and no deadline pending
 * is a deadlock: print every thread and what it waits on (shim_dump_threads), then abort().
 *
 * A schedule strategy other than the tape (host_strategy.c) is asked first at every decision with
 * a choice: it picks the runner (PCT), or leaves one thread out and the default policy picks
 * among the rest (chaos), reading its parameters from the same tape.
 *
 * Default policy (no tape left): the current thread keeps running for up to DET_SLICE decisions in
 * a row while others are runnable, then (or when it blocks or yields) the next runnable id after
 * it, wrapping: busy loops that poll another thread's progress cannot starve it.
 *
 * Pool: a spawned thread takes an idle fiber (one whose previous thread was joined) or a new one;
 * fibers are never freed, so a process has as many as it ever had unjoined spawned threads at once.
 * Each stack is DET_STACK_SIZE of lazily committed memory below a guard page. Under ASan every
 * switch is announced (__sanitizer_start/finish_switch_fiber), so reports and fake stacks follow.
 * SHIM_SCHED_TRACE=<file> ("-": stderr) traces every decision of any binary.
 *
 * fork(): the child keeps only the running virtual thread; every other one is an orphan that
 * never runs again (a deadlock if waited for). The idle pool stays usable (its stacks are copied).
 */

#if !defined(__x86_64__)
#error "host_det.c switches fibers with x86-64 code; other hosts use the free-running host.c"
#endif
#if defined(__SANITIZE_THREAD__)
#error "host_det.c runs virtual threads as fibers, which ThreadSanitizer builds do not follow"
#endif
#if defined(__CET__) && (__CET__ & 2)
#error "det_switch returns into a new fiber without a call: build host_det.c without shadow stacks"
#endif

#define DET_EPOCH ((bigtime_t)1000 * 1000000) /* system_time() at every boot: 1000 s */
#define DET_QUANTUM 1                         /* virtual microseconds each decision costs */
#define DET_SLICE 64 /* default policy: decisions in a row the current thread keeps running */
#define DET_STACK_SIZE ((size_t)1024 * 1024) /* per fiber, committed as touched */
#define DET_GUARD_SIZE ((size_t)64 * 1024)   /* below each stack: an overflow faults */
#define DET_LOCALS 8                         /* host_thread_local() slots */

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
	void* sp;    /* its saved stack pointer while another thread runs */
	uint8* map;  /* fibers: guard page and stack; NULL: the native thread */
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
	void* tls;                /* host_tls_set() */
	void* locals[DET_LOCALS]; /* the registered thread-local slots' values while switched out */
	const void* stack_bottom; /* ASan: the stack it runs on (the native's: learnt at its first */
	size_t stack_size;        /* switch) and its fake stack while switched out */
	void* fake_stack;
};

static struct {
	struct vthread* current;  /* the one running; NULL before the first attach */
	struct vthread* native;   /* the attached thread whose host thread runs every fiber */
	struct vthread** threads; /* ascending ids; exited ones stay until joined */
	struct vthread** scratch; /* the runnable set of the decision being made */
	int32 count;
	int32 capacity;
	int32 next_id;
	int32 slice;   /* decisions in a row that kept the current thread, up to DET_SLICE */
	bigtime_t now; /* the virtual clock */
	uint8* tape;
	size_t tape_length;
	size_t tape_capacity;
	size_t tape_position;
	FILE* trace;
	uint64 decisions;
	struct vthread* idle;    /* pooled fibers, joined: each waits for a new job */
	int32 runnable;          /* threads in state V_RUNNABLE (set_state keeps it) */
	bigtime_t next_deadline; /* at most the earliest deadline of a blocked thread */
	bool stopped;            /* a deadlock report is being printed: no more switches */
	void** locals[DET_LOCALS];
	int32 local_count;
	struct vthread* switched_from; /* the thread that switched to the one now starting */
} sDet = {.now = DET_EPOCH, .next_deadline = B_INFINITE_TIMEOUT};

static __thread bool tAttached; /* this host thread is the native one */
static void (*sTlsDestructor)(void*);
static pthread_once_t sOnce = PTHREAD_ONCE_INIT;
static pthread_key_t sExitKey; /* an attached thread leaves the schedule when it exits */

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

/* ---- fibers: the stack switch ---------------------------------------------------------------- */

/* det_switch(&from->sp, to->sp): push the callee-saved registers, store the stack pointer, load
 * the other one, pop its registers and return where it called det_switch (or into fiber_start) */
void det_switch(void** save, void* load);
__asm__(".pushsection .text\n"
		".p2align 4\n"
		".type det_switch, @function\n"
		"det_switch:\n"
		"\tpushq %rbp\n"
		"\tpushq %rbx\n"
		"\tpushq %r12\n"
		"\tpushq %r13\n"
		"\tpushq %r14\n"
		"\tpushq %r15\n"
		"\tmovq %rsp, (%rdi)\n"
		"\tmovq %rsi, %rsp\n"
		"\tpopq %r15\n"
		"\tpopq %r14\n"
		"\tpopq %r13\n"
		"\tpopq %r12\n"
		"\tpopq %rbx\n"
		"\tpopq %rbp\n"
		"\tret\n"
		".size det_switch, .-det_switch\n"
		".popsection\n");

/* after a switch lands in `self`: ASan learns which stack it is on (and where it came from) */
static inline void
switch_landed(struct vthread* self)
{
#if SHIM_ASAN
	const void* bottom;
	size_t size;
	__sanitizer_finish_switch_fiber(self->fake_stack, &bottom, &size);
	struct vthread* from = sDet.switched_from;
	if (from != NULL && from->map == NULL) {
		from->stack_bottom = bottom;
		from->stack_size = size;
	}
#else
	(void)self;
#endif
}

/* run `to` on this host thread until some thread switches back to `from` */
static void
switch_to(struct vthread* from, struct vthread* to)
{
	for (int32 i = 0; i < sDet.local_count; i++) {
		from->locals[i] = *sDet.locals[i];
		*sDet.locals[i] = to->locals[i];
	}
	sDet.switched_from = from;
#if SHIM_ASAN
	__sanitizer_start_switch_fiber(&from->fake_stack, to->stack_bottom, to->stack_size);
#endif
	det_switch(&from->sp, to->sp);
	switch_landed(from);
}

static void reschedule(struct vthread* self, int kind);
static inline void set_state(struct vthread* thread, int32 state);

/* every fiber's bottom frame: run each thread the pool gives it, then wait for the next one */
static void __attribute__((noreturn)) fiber_start(void)
{
	struct vthread* self = sDet.current;
	self->fake_stack = NULL;
	switch_landed(self);
	for (;;) {
		self->entry(self->argument);
		if (self->locks != 0)
			fatal("a shim thread exits", "it holds a host lock");
		set_state(self, V_EXITED);
		if (self->joiner != NULL && self->joiner->state == V_BLOCKED)
			set_state(self->joiner, V_RUNNABLE);
		reschedule(self, POINT_EXIT);
	}
}

/* a fiber's stack, set up so that the first switch to it returns into fiber_start */
static bool
fiber_init(struct vthread* fiber)
{
	uint8* map = mmap(NULL, DET_GUARD_SIZE + DET_STACK_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return false;
	if (mprotect(map, DET_GUARD_SIZE, PROT_NONE) != 0)
		fatal("mprotect", strerror(errno));
	fiber->map = map;
	fiber->stack_bottom = map + DET_GUARD_SIZE;
	fiber->stack_size = DET_STACK_SIZE;
	uint64* top = (uint64*)(map + DET_GUARD_SIZE + DET_STACK_SIZE); /* 16-byte aligned */
	*--top = 0;                              /* fiber_start's return address: it never returns */
	*--top = (uint64)(uintptr_t)fiber_start; /* det_switch's */
	for (int i = 0; i < 6; i++)
		*--top = 0; /* rbp (0 ends frame-pointer unwinds), rbx, r12-r15 */
	fiber->sp = top;
	return true;
}

/* ---- the thread table ---------------------------------------------------------------------- */

/* every state change of a thread in the table goes through here */
static inline void
set_state(struct vthread* thread, int32 state)
{
	sDet.runnable += (state == V_RUNNABLE) - (thread->state == V_RUNNABLE);
	thread->state = state;
}

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
	if (sDet.next_id == INT32_MAX) {
		/* a process that never reboots (ioctl) made 2^31 threads: renumber in table order, which
		 * keeps the ids' order and so every decision */
		for (int32 i = 0; i < sDet.count; i++)
			sDet.threads[i]->id = i;
		sDet.next_id = sDet.count;
	}
	thread->id = sDet.next_id++;
	thread->state = V_EXITED; /* not counted yet */
	set_state(thread, V_RUNNABLE);
	thread->deadline = B_INFINITE_TIMEOUT;
	sDet.threads[sDet.count] = thread;
	sDet.count++;
}

static void
table_remove(struct vthread* thread)
{
	int32 index = 0;
	while (sDet.threads[index] != thread)
		index++;
	sDet.count--;
	memmove(&sDet.threads[index], &sDet.threads[index + 1],
		sizeof(*sDet.threads) * (sDet.count - index));
}

/* ---- decisions ------------------------------------------------------------------------------- */

/* fill sDet.scratch with the runnable threads, waking those whose deadline has come; at a yield
 * the yielder comes in only when alone */
static int32
runnable_set(struct vthread* self, bool yielding)
{
	int32 count = 0;
	sDet.next_deadline = B_INFINITE_TIMEOUT;
	for (int32 i = 0; i < sDet.count; i++) {
		struct vthread* thread = sDet.threads[i];
		if (thread->state == V_BLOCKED && thread->deadline <= sDet.now) {
			set_state(thread, V_RUNNABLE);
			thread->timed_out = true;
		} else if (thread->state == V_BLOCKED)
			sDet.next_deadline = min_c(sDet.next_deadline, thread->deadline);
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
	sDet.now = max_c(earliest, sDet.now);
	return true;
}

static void
trace(struct vthread* self, int kind, int32 count, struct vthread* next, bigtime_t before,
	long tapeIndex, const char* note)
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
	else if (note[0] != '\0')
		fprintf(out, "} -> %" PRId32 " (%s)\n", next->id, note);
	else if (tapeIndex >= 0)
		fprintf(out, "} -> %" PRId32 " (tape[%ld]=0x%02x)\n", next->id, tapeIndex,
			sDet.tape[tapeIndex]);
	else
		fprintf(out, "} -> %" PRId32 " (%s)\n", next->id, count == 1 ? "only" : "default");
}

/* a strategy's answer for the runnable set in sDet.scratch (count > 1): an index, STRATEGY_TAPE,
 * or STRATEGY_DEFAULT with the thread it starves taken out of the set (*count shrinks) */
static int32
strategize(struct vthread* self, int32* count, char* note)
{
	int32 ids[*count];
	for (int32 i = 0; i < *count; i++)
		ids[i] = sDet.scratch[i]->id;
	int32 starved = -1;
	int32 picked = strategy_choose(ids, *count, self->id, sDet.now, sDet.tape, sDet.tape_length,
		&sDet.tape_position, &starved, note);
	int32 kept = 0;
	for (int32 i = 0; i < *count; i++) {
		if (sDet.scratch[i]->id != starved)
			sDet.scratch[kept++] = sDet.scratch[i];
	}
	*count = kept;
	return picked;
}

/* the next runner; self's state says whether it can go on (RUNNABLE) or not */
static struct vthread*
choose(struct vthread* self, int kind)
{
	bool yielding = kind == POINT_YIELD || kind == HOST_POINT_BUSY_WAIT;
	bigtime_t before = sDet.now;
	sDet.now += DET_QUANTUM;
	int32 count = runnable_set(self, yielding);
	if (count == 0 && advance_clock())
		count = runnable_set(self, false);

	struct vthread* next = NULL;
	long tapeIndex = -1;
	char note[STRATEGY_NOTE] = "";
	int32 picked = count > 1 && strategy_active() ? strategize(self, &count, note) : STRATEGY_TAPE;
	bool selfIn = self->state == V_RUNNABLE;
	if (picked == STRATEGY_DEFAULT) { /* chaos may have left it out */
		selfIn = false;
		for (int32 i = 0; i < count; i++)
			selfIn = selfIn || sDet.scratch[i] == self;
		if (note[0] != '\0')
			strncat(note, "; default", STRATEGY_NOTE - strlen(note) - 1);
	}
	if (count == 1) {
		next = sDet.scratch[0];
	} else if (picked >= 0) {
		next = sDet.scratch[picked];
	} else if (picked == STRATEGY_TAPE && sDet.tape_position < sDet.tape_length) {
		tapeIndex = (long)sDet.tape_position++;
		next = sDet.scratch[sDet.tape[tapeIndex] % count];
	} else if (!yielding && selfIn && sDet.slice < DET_SLICE) {
		next = self;
	} else if (count > 1) {
		next = sDet.scratch[0]; /* round robin: the next id after self, wrapping */
		for (int32 i = count - 1; i >= 0 && sDet.scratch[i]->id > self->id; i--)
			next = sDet.scratch[i];
	}
	sDet.slice = next == self ? min_c(sDet.slice + 1, DET_SLICE) : 0;
	sDet.decisions++;
	if (sDet.trace != NULL)
		trace(self, kind, count, next, before, tapeIndex, note);
	return next;
}

/* The runner goes on, whatever the other threads do: it is the only runnable one and no deadline
 * comes at this decision, or the default policy keeps it (no tape left, not a yield, its slice not
 * used up). Do what choose() would do, without its scan of every thread, and return true. In the
 * second case a thread whose deadline passes meanwhile is found runnable by the next full decision
 * instead; that changes no outcome, as only the runner runs until then and the clock only moves
 * forward. Like every step of a scheduling point that switches nothing, it is built without ASan
 * checks (SHIM_NO_ASAN): it runs hundreds of times per fuzz input and touches only the
 * scheduler's own state. */
SHIM_NO_ASAN static inline bool
keeps_running(struct vthread* self, int kind)
{
	if (self->state != V_RUNNABLE || sDet.trace != NULL || sDet.stopped)
		return false;
	bool alone = sDet.runnable == 1 && sDet.next_deadline > sDet.now + DET_QUANTUM;
	if (!alone
		&& (sDet.tape_position < sDet.tape_length || sDet.slice >= DET_SLICE || kind == POINT_YIELD
			|| kind == HOST_POINT_BUSY_WAIT || strategy_active()))
		return false;
	sDet.now += DET_QUANTUM;
	sDet.slice = min_c(sDet.slice + 1, DET_SLICE);
	sDet.decisions++;
	return true;
}

/* a scheduling point: switch to the next runner; returns once some decision switches back */
SHIM_NO_ASAN static void
reschedule(struct vthread* self, int kind)
{
	if (sDet.stopped)
		return;
	if (keeps_running(self, kind))
		return;
	struct vthread* next = choose(self, kind);
	if (next == self)
		return;
	if (next == NULL) {
		/* only when the native thread leaves and nobody else is left */
		if (self->map != NULL)
			fatal(kPointNames[kind], "a fiber has no thread left to switch to");
		sDet.current = NULL;
		return;
	}
	sDet.current = next;
	switch_to(self, next);
}

/* a point where self may go on: deferred while it holds host locks */
SHIM_NO_ASAN static void
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
	set_state(self, V_BLOCKED);
	self->parker = parker;
	self->deadline = deadline;
	sDet.next_deadline = min_c(sDet.next_deadline, deadline);
	self->timed_out = false;
	reschedule(self, kind);
	self->parker = NULL;
	self->deadline = B_INFINITE_TIMEOUT;
}

/* ---- joining the schedule, leaving it, the pool, fork ---------------------------------------- */

static void
fork_child(void)
{
	for (int32 i = 0; i < sDet.count; i++) {
		if (sDet.threads[i] != sDet.current && sDet.threads[i]->state != V_EXITED)
			set_state(sDet.threads[i], V_ORPHAN);
	}
}

static void thread_exit_hook(void* value);

static void
det_once(void)
{
	host_check(pthread_key_create(&sExitKey, thread_exit_hook), "pthread_key_create");
	host_check(pthread_atfork(NULL, NULL, fork_child), "pthread_atfork");
	const char* trace = getenv("SHIM_SCHED_TRACE");
	if (trace != NULL && trace[0] != '\0')
		sDet.trace = strcmp(trace, "-") == 0 ? stderr : fopen(trace, "w");
}

/* the host thread that calls in first (the harness's main thread) joins the schedule; it runs
 * every fiber from then on, so no other host thread may call in while it lives */
static struct vthread* __attribute__((noinline)) attach(void)
{
	host_check(pthread_once(&sOnce, det_once), "pthread_once");
	if (sDet.native != NULL)
		fatal("a second host thread called into the shim",
			"the deterministic build runs every shim thread on the first one (spawn threads with "
			"spawn_kernel_thread or shim_thread_spawn)");
	struct vthread* self = shim_host_alloc(sizeof(*self));
	memset(self, 0, sizeof(*self));
	table_add(self);
	sDet.native = self;
	sDet.current = self;
	tAttached = true;
	host_check(pthread_setspecific(sExitKey, self), "pthread_setspecific");
	return self;
}

SHIM_NO_ASAN static inline struct vthread*
det_self(void)
{
	return tAttached ? sDet.current : attach();
}

/* the native thread exits (pthread_exit; never at exit()): the shim's exit hook, then leave. Fibers
 * still alive cannot run any more. */
static void
thread_exit_hook(void* value)
{
	struct vthread* self = value;
	void* shimValue = self->tls;
	self->tls = NULL;
	if (shimValue != NULL && sTlsDestructor != NULL)
		sTlsDestructor(shimValue);
	set_state(self, V_EXITED);
	table_remove(self);
	if (sDet.current == self)
		sDet.current = NULL;
	sDet.native = NULL;
	sDet.local_count = 0; /* its __thread slots die with it; a new native one registers its own */
	tAttached = false;
	shim_host_free(self);
}

status_t
host_thread_create(host_thread* thread, void (*entry)(void*), void* argument)
{
	struct vthread* self = det_self();
	thread->entry = entry;
	thread->argument = argument;
	struct vthread* child = sDet.idle;
	if (child != NULL) {
		sDet.idle = child->next_idle;
	} else {
		child = shim_host_alloc(sizeof(*child));
		memset(child, 0, sizeof(*child));
		if (!fiber_init(child)) {
			shim_host_free(child);
			return B_NO_MORE_THREADS;
		}
	}
	child->entry = entry;
	child->argument = argument;
	child->joiner = NULL;
	child->timed_out = false;
	child->locks = 0;
	child->deferred = 0;
	child->tls = NULL;
	memset(child->locals, 0, sizeof(child->locals));
	table_add(child);
	thread->context = child;
#if SHIM_ASAN
	/* LSan scans only the running stack: pointers kept on a switched-out fiber's are roots too
	 * (not those in its fake stack frames, with detect_stack_use_after_return=1) */
	__lsan_register_root_region(child->stack_bottom, child->stack_size);
#endif
	point_locked(self, POINT_CREATE);
	return B_OK;
}

/* waits for the thread's entry to return, then gives its fiber back to the pool */
void
host_thread_join(host_thread* thread)
{
	struct vthread* self = det_self();
	struct vthread* target = thread->context;
	target->joiner = self;
	if (target->state != V_EXITED)
		block(self, NULL, B_INFINITE_TIMEOUT, POINT_JOIN);
	else
		reschedule(self, POINT_JOIN);
	table_remove(target);
#if SHIM_ASAN
	__lsan_unregister_root_region(target->stack_bottom, target->stack_size);
#endif
	target->next_idle = sDet.idle;
	sDet.idle = target;
	thread->context = NULL;
}

/* ---- host interface: locks, parkers, points, time -------------------------------------------- */

void
host_lock_init(host_lock* lock)
{
	lock->held = 0;
}

void
host_lock_destroy(host_lock* lock)
{
	if (lock->held != 0)
		fatal("host_lock_destroy", "the lock is held");
}

/* Only one thread runs and it never switches while it holds one, so a host lock is a flag: an
 * acquire of a held lock (which would self-deadlock in host.c) aborts. */
SHIM_NO_ASAN void
host_lock_acquire(host_lock* lock)
{
	struct vthread* self = det_self();
	if (lock->held != 0)
		fatal("host_lock_acquire", "the lock is already held");
	lock->held = 1;
	self->locks++;
}

SHIM_NO_ASAN bool
host_lock_try(host_lock* lock)
{
	struct vthread* self = det_self();
	if (lock->held != 0)
		return false;
	lock->held = 1;
	self->locks++;
	return true;
}

SHIM_NO_ASAN void
host_lock_release(host_lock* lock)
{
	struct vthread* self = sDet.current;
	if (lock->held == 0)
		fatal("host_lock_release", "the lock is not held");
	lock->held = 0;
	if (--self->locks > 0 || self->deferred == 0)
		return;
	int kind = self->deferred - 1;
	self->deferred = 0;
	reschedule(self, kind);
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
	return unparked;
}

void
host_unpark(host_parker* parker)
{
	struct vthread* self = det_self();
	parker->permit = 1;
	struct vthread* waiter = parker->waiter;
	if (waiter != NULL && waiter->state == V_BLOCKED && waiter->parker == parker) {
		set_state(waiter, V_RUNNABLE);
		waiter->timed_out = false;
	}
	point_locked(self, POINT_UNPARK);
}

SHIM_NO_ASAN void
host_schedule_point(enum host_point kind)
{
	point_locked(det_self(), kind);
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
	return sDet.now;
}

uint64
host_random_seed(void)
{
	static uint64 sBoots;
	return 0x5eed5eed5eed5eedULL + ++sBoots * 0x9e3779b97f4a7c15ULL;
}

void
host_sleep_until(bigtime_t deadline)
{
	struct vthread* self = det_self();
	if (deadline > sDet.now)
		block(self, NULL, deadline, POINT_SLEEP);
	else
		reschedule(self, POINT_SLEEP);
}

/* ---- thread-local state, thread exit hook, memory -------------------------------------------- */

void
host_thread_local(void** slot)
{
	for (int32 i = 0; i < sDet.local_count; i++) {
		if (sDet.locals[i] == slot)
			return;
	}
	if (sDet.local_count == DET_LOCALS)
		fatal("host_thread_local", "more than DET_LOCALS slots");
	/* every other thread starts with NULL in it */
	for (int32 i = 0; i < sDet.count; i++)
		sDet.threads[i]->locals[sDet.local_count] = NULL;
	struct vthread* idle = sDet.idle;
	for (; idle != NULL; idle = idle->next_idle)
		idle->locals[sDet.local_count] = NULL;
	sDet.locals[sDet.local_count++] = slot;
}

void
shim_sched_thread_local(void** slot)
{
	host_thread_local(slot);
}

void
host_tls_init(void (*destructor)(void*))
{
	sTlsDestructor = destructor;
}

void
host_thread_name(const char* name)
{
	if (sDet.trace != NULL && name != NULL)
		fprintf(sDet.trace, "# thread %" PRId32 " is %s\n", det_self()->id, name);
}

void
host_tls_set(void* value)
{
	det_self()->tls = value; /* the native thread runs the hook when it exits */
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
	int32 index = 0;
	while (sDet.threads[index] != self)
		index++;
	memmove(&sDet.threads[1], &sDet.threads[0], sizeof(*sDet.threads) * index);
	sDet.threads[0] = self;
	for (int32 i = 0; i < sDet.count; i++)
		sDet.threads[i]->id = i;
	sDet.next_id = sDet.count;
	sDet.now = DET_EPOCH;
	sDet.tape_position = 0;
	sDet.decisions = 0;
	sDet.slice = 0;
	strategy_rewind();
}

/* the schedule as shim_boot() left it: shim_sched_restart() starts every input there */
static struct {
	bool valid;
	bigtime_t now;
	uint64 decisions;
	int32 slice;
	int32 next_id;
	size_t tape_position;
} sBooted;

void
host_sched_booted(void)
{
	sBooted.valid = true;
	sBooted.now = sDet.now;
	sBooted.decisions = sDet.decisions;
	sBooted.slice = sDet.slice;
	sBooted.next_id = sDet.next_id;
	sBooted.tape_position = sDet.tape_position;
}

void
shim_sched_restart(void)
{
	host_sched_boot();
	if (!sBooted.valid)
		return;
	sDet.now = sBooted.now;
	sDet.decisions = sBooted.decisions;
	sDet.slice = sBooted.slice;
	sDet.next_id = max_c(sBooted.next_id, sDet.next_id);
	sDet.tape_position = min_c(sBooted.tape_position, sDet.tape_length);
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
	strategy_rewind();
}

void
shim_sched_set_strategy(int strategy, int depth)
{
	strategy_set(strategy, depth);
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
