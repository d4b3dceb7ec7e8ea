/* Overnight stress suite: the engine every scenario shares (seeded parameters, workers under a
 * watchdog, operation accounting, failures) and the unit engine with checked packet streams. */
#ifndef STRESS_H
#define STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <OS.h>

#include "shim.h"
#include "tuntap.h"

/* ---- random numbers: every parameter and every choice derives from the run's seed ---------- */

struct rng {
	uint64 state;
};

void rng_seed(struct rng* rng, uint64 seed);
uint64 rng_next(struct rng* rng);
int64 rng_range(struct rng* rng, int64 low, int64 high); /* low..high inclusive */
bool rng_chance(struct rng* rng, int permille);

/* ---- operations, workers, the watchdog ----------------------------------------------------- */

enum op_kind {
	OP_READ,
	OP_WRITE,
	OP_POLL,
	OP_IOCTL,
	OP_OPEN,
	OP_CLOSE,
	OP_SEND,   /* shim_stack_send */
	OP_RECV,   /* shim_stack_receive */
	OP_CREATE, /* ifconfig create */
	OP_DELETE, /* ifconfig delete */
	OP_UPDOWN,
	OP_CLONE, /* open of a clone node */
	OP_INTERRUPT,
	OP_FAULT,             /* arming or disarming a fault plan */
	OP_CHECK,             /* invariant checks */
	OP_COUNTED,           /* kinds above count as progress and per-kind ops; those below do not */
	OP_WAIT = OP_COUNTED, /* waiting on the suite's own locks (gate, unit hand-over) */
	OP_TEARDOWN,
	OP_SHUTDOWN,
	OP_KIND_COUNT
};

const char* op_name(int kind);

#define MAX_WORKERS 512
#define SECOND 1000000LL

struct worker;
typedef status_t (*worker_main)(struct worker* worker);

/* The calls a worker made, for the ops program written on a failure (history.c): a ring per
 * worker, written only by its worker, every field an atomic (relaxed) so others may read it. */
#define HISTORY_SIZE 64
#define NO_RESULT INT64_MIN
struct op_record {
	int64 start, end; /* system_time(); end 0 while the call is under way */
	int64 result;     /* NO_RESULT when not noted */
	int64 a, b;       /* what matters of the arguments (op_args) */
	int32 fd;
	int16 kind, unit;
};

/* a unit's traffic counters, taken when a read or poll of one of its workers begins (waits.c) */
struct traffic_mark {
	int64 sent, refused, reads, bad_reads, looks, readable, intr; /* each atomic */
};

struct worker {
	int index;
	char name[32];
	thread_id thread;
	worker_main main;
	void* data;
	bool interruptible; /* the ctrl+c storm may aim at it */
	struct rng rng;
	uint32 dead_life;    /* a unit life this worker saw deleted */
	int32 op;            /* atomic: enum op_kind in progress, -1 none */
	int64 op_start;      /* atomic */
	int64 op_bound;      /* atomic: microseconds */
	int32 op_unit;       /* atomic: the unit it is about, -1 none */
	int64 fault_mark;    /* faults injected in total when the operation began */
	int32 done;          /* atomic */
	int64 intr_sent;     /* atomic: interrupts aimed at this worker */
	int64 intr_seen;     /* B_INTERRUPTED returns it got */
	int64 intr_time;     /* atomic: when the last one was sent */
	int64 mark;          /* atomic: packets the stack had sent when the current read/poll began */
	int64 suspect;       /* checker: op_start of a call seen blocked with work ready */
	int64 suspect_since; /* checker: when it was first seen so */
	bool recording;      /* the call under way has a history record */
	int64 history_count; /* atomic: records ever written; the newest at (count - 1) % size */
	struct op_record history[HISTORY_SIZE];
	/* the unit's traffic when the current read or poll began (waits.c: the watchdog's evidence) */
	struct traffic_mark wait_mark;
	int32 wait_open_ended; /* the call under way may wait for ever (atomic; waits.c) */
};

struct stress {
	const char* scenario;
	uint64 seed;
	bigtime_t duration, start, deadline;
	bigtime_t stall_timeout;  /* no operation completed for this long: stall */
	bigtime_t op_bound;       /* bound of ifconfig create/delete/up/down: they never wait */
	bigtime_t call_bound;     /* bound of any other call (a poll: its timeout + this) */
	bigtime_t progress_every; /* progress line period */
	bigtime_t prompt_bound;   /* ctrl+c and delete must wake a blocked call within this */
	bigtime_t elapsed_base;   /* run time before this scenario (the runner's) */
	const char* inject_stall; /* NULL, "unit" or "global": the watchdog demonstration */
	const char* result_path;
	const char* ops_path; /* where the ops program of the first unit failure goes, or NULL */
	struct rng rng;       /* the main thread's: parameters */
	char params[1024];

	int32 stop;
	int64 ops[OP_COUNTED];
	int64 last_progress;
	int64 packets, interrupts, deletes, failures, exhausted, fault_windows;
	int64 live_units, max_live_units, alloc_bytes, max_alloc_bytes, node_checks;
	int64 max_intr_latency;    /* microseconds from ctrl+c to B_INTERRUPTED */
	int64 starved_reads;       /* reads that waited past call_bound while others read (waits.c) */
	int64 longest_shared_wait; /* microseconds: the longest read sharing its descriptor */
	char first_failure[512];
};

extern struct stress gStress;

/* a parameter drawn from the seed, recorded for the first line and the result */
int64 draw(const char* name, int64 low, int64 high);
void note_param(const char* format, ...) __attribute__((format(printf, 1, 2)));

struct worker* worker_spawn(const char* name, worker_main main, void* data, bool interruptible);
int worker_count(void);
struct worker* worker_at(int index);
/* set the stop flag, interrupt every worker until each has returned, join them all */
void workers_stop_and_join(struct worker* self);
/* aim a ctrl+c at a worker (counted, so its B_INTERRUPTED returns can be checked) */
void interrupt_worker(struct worker* target);

static inline bool
stopping(void)
{
	return __atomic_load_n(&gStress.stop, __ATOMIC_ACQUIRE) != 0;
}

/* every call into the shim is bracketed: the watchdog sees what each worker waits in */
void op_begin(struct worker* worker, int kind, int unit, bigtime_t bound);
void op_end(struct worker* worker, int kind);
/* the same; `progress` false for a call that only found nothing to do (a poll or a receive that
 * timed out, EAGAIN): those do not hold off the no-progress watchdog */
void op_done(struct worker* worker, int kind, bool progress);
/* the call under way (after op_begin): its descriptor and arguments, for the history; then its
 * result (after the call) */
void op_args(struct worker* worker, int fd, int64 a, int64 b);
void op_result(struct worker* worker, int64 result);
/* the first failure tied to a unit: an ops program replaying that unit's recent history (the
 * workers' rings) goes to gStress.ops_path; `culprit` is the worker the failure is about */
void history_write_program(int unit, const struct worker* culprit, const char* failure);
/* a fault was injected (anywhere) since the current operation began */
bool fault_during(const struct worker* worker);
int64 faults_injected(void);
/* an error an injected fault explains: B_NO_MEMORY, B_NO_MORE_SEMS, B_BAD_ADDRESS */
bool fault_error(const struct worker* worker, int64 status);
/* the same, for a call that creates a unit (ifconfig, clone open): ENODEV too */
/* B_NO_MORE_SEMS or B_NO_MEMORY with the shim's semaphore table (4096; a unit takes 4) nearly
 * full: churners may fill it, and then a poll's or a unit's semaphore is refused (counted) */
#define STRESS_SEMS_FULL (4096 - 256)
bool table_exhausted(int64 status);
bool create_fault(const struct worker* worker, int64 status);
/* a B_INTERRUPTED return: checked against the interrupts aimed at the worker */
void saw_interrupt(struct worker* worker, const char* what);

void stress_fail(struct worker* worker, const char* format, ...)
	__attribute__((format(printf, 2, 3)));
/* The checks come in two tiers, as the fuzz harnesses' (fuzz/README.md; stress's rows are in
 * stress/README.md). stress_fail is the universal tier: what any Haiku net_device driver owes its
 * users (no crash, no leak, no thread left blocked after ctrl+c or delete, no lost wake-up, poll
 * agreeing with read and write, packets intact or not at all). stress_fail_contract is our
 * driver/README.md. DRIVER=upstream builds (-DSTRESS_UPSTREAM) never evaluate the contract tier. */
#ifdef STRESS_UPSTREAM
#define STRESS_CONTRACT 0
#else
#define STRESS_CONTRACT 1
#endif
#define stress_fail_contract(worker, ...)     \
	do {                                      \
		if (STRESS_CONTRACT)                  \
			stress_fail(worker, __VA_ARGS__); \
	} while (0)
void stress_print(const char* format, ...) __attribute__((format(printf, 1, 2)));
/* hold stdout for several lines that must stay together (workers.c) */
void stress_output_lock(void);
void stress_output_unlock(void);

/* the gate: every stack-side call that can create, delete or hold an interface runs inside it
 * (shared); the node check takes it alone, so "live units == published nodes" holds exactly;
 * `underGate` (or NULL) runs there too, with the interfaces counted (checkpoint_objects) */
void gate_enter(struct worker* worker);
void gate_leave(void);
void check_nodes(struct worker* worker, void (*underGate)(struct worker* worker, int interfaces));

void monitor_start(void);
void monitor_stop(void);
void write_result(const char* status);

/* ---- units: a TUN or TAP unit worked by readers, a writer, the stack peer, pollers --------- */

#define MAX_UNITS 64
#define MAX_READERS 3
#define RING_SIZE 16384 /* marks kept per stream: slot seq % RING_SIZE holds seq + 1 */

/* what a receiver saw last on one stream */
struct rx_state {
	uint32 life;
	uint64 last;
	bool have;
};

struct stream {
	uint64 next;                      /* the sender's next sequence number */
	int64 ok, tail_dropped, received; /* atomic */
	uint64 dropped[RING_SIZE];        /* sender: "counted as dropped" */
	uint64 seen[RING_SIZE];           /* receivers: "delivered" */
};

struct unit_config {
	bool tap;
	int readers;      /* blocking (or non-blocking) readers of the descriptor */
	bool writer;      /* one application writer */
	bool sender;      /* the stack peer sends */
	bool receiver;    /* the stack peer receives */
	int pollers;      /* pollers that only watch */
	bool consumer;    /* one poll-driven reader+writer (non-blocking) instead */
	bool ioctls;      /* an ioctl worker (harmless gets) */
	bool up;          /* lives are up (writes reach the stack) */
	bool nonblocking; /* open with O_NONBLOCK */
	bool managed;     /* a manager cycles delete/create under I/O */
	int min_size, max_size;
	int burst, pause_us;          /* sender: packets per burst, pause after it */
	int life_min_ms, life_max_ms; /* managed: life time */
	int blocked_permille;         /* managed: delete with the readers blocked */
	int poll_timeout_max_ms;      /* pollers: 0 = also infinite polls */
	int open_delete_permille;     /* upstream: lives deleted while open (units.c, life_end) */
};

struct unit {
	int index;
	char name[TUNTAP_NAME_LENGTH];
	char path[TUNTAP_NAME_LENGTH + 8];
	struct unit_config config;

	pthread_mutex_t lock; /* hand-over of the descriptor between lives */
	pthread_cond_t changed;
	int fd;
	uint32 life;
	bool live, closing;
	int users;
	uint32 deleting_life;       /* atomic: ENODEV is legitimate on this life */
	pthread_rwlock_t life_lock; /* stack-side calls (shared) vs delete/create (alone) */
	bool exists;                /* interface exists; under life_lock */
	int32 hold;                 /* atomic: the sender pauses */

	struct stream to_app, to_stack;
	int64 reads_ok, writes_ok, stack_received; /* atomic */
	int64 read_done_at; /* atomic: a read of any reader last completed on a packet (waits.c) */
	int64 bad_reads;    /* atomic: reads into a bad buffer that failed */
	int64 looks, readable_looks, last_look; /* atomic: the checker's lost wake-up looks */
	int32 last_look_readable;               /* atomic: what the last one found */
	int64 stack_lost;         /* frames the peer's capture lost to an injected copy fault */
	struct rx_state stack_rx; /* the stack receiver's (one per unit) */
	struct worker* readers[MAX_READERS];
	int reader_count;
	struct worker* writer;     /* the application writer, if any */
	struct worker* pollers[2]; /* pollers that only watch */
	struct worker* manager;
};

/* packets.c: the payload (link header, sequence header, filler, checksum) and its checks */
#define PACKET_MAX 2048
size_t packet_min_length(const struct unit* unit);
size_t packet_max_length(const struct unit* unit);
void packet_build(
	const struct unit* unit, int toApp, uint32 life, uint64 seq, size_t length, uint8* out);
/* the sender consumed `seq` (accepted, or counted as dropped when `dropped`) */
void stream_advance(struct stream* stream, uint64 seq, bool dropped);
/* a packet the application read; `single`: the only reader, so gaps must be counted drops */
void check_app_packet(struct worker* self, struct unit* unit, uint32 life, const uint8* data,
	ssize_t length, struct rx_state* state, bool single);
/* a frame the stack peer received; `consecutive`: nothing may be missing within a life */
void check_stack_frame(struct worker* self, struct unit* unit, uint32 life, const uint8* data,
	ssize_t length, struct rx_state* state, bool consecutive);
/* TUNTAP_GET_STATS on `fd` of `unit`, bracketed for the watchdog */
status_t unit_stats(struct worker* self, struct unit* unit, int fd, struct tuntap_stats* stats);
void check_stats_identity(struct worker* self, const char* name, const struct tuntap_stats* stats);
/* stable unit, workers gone: drain both ways, then every counter must match exactly */
void unit_exact_end(struct worker* self, struct unit* unit);

/* checkpoint.c: the checker's checks during a slot (stress/README.md, "During a slot") */
struct unit_counts {
	int64 sent, tail_dropped, reads, writes; /* what the suite counted of a unit so far */
};
void unit_counts_take(struct unit* unit, struct unit_counts* counts);
/* the checker's TUNTAP_GET_STATS of a unit's `life`, with the suite's counts around it */
void checkpoint_stats(struct worker* self, struct unit* unit, uint32 life,
	const struct tuntap_stats* stats, const struct unit_counts* before,
	const struct unit_counts* after);
/* main, before the scenario: the boot's kernel objects and one interface's (a probe unit) */
void checkpoint_boot(void);
/* under the gate alone: kernel mutexes bounded by the interfaces and cookies live */
void checkpoint_objects(struct worker* self, int interfaces);

/* the engine's seams (units.c, unit_workers.c) */
struct unit_view {
	int fd;
	uint32 life;
};
/* wait for a usable life of the unit and hold it (false when stopping) */
bool unit_enter(struct worker* self, struct unit* unit, struct unit_view* view);
void unit_leave(struct unit* unit);
/* ENODEV (or POLLHUP) is legitimate once this life's delete began */
bool unit_deleted(struct unit* unit, uint32 life);
/* the current life is being closed: leave it */
bool unit_closing(struct unit* unit);
status_t reader_main(struct worker* self);
status_t writer_main(struct worker* self);
status_t poller_main(struct worker* self);
status_t consumer_main(struct worker* self);
status_t ioctl_main(struct worker* self);
status_t sender_main(struct worker* self);
status_t receiver_main(struct worker* self);
/* a write refused with ENOBUFS, no fault injected: a universal failure (true if so). Every driver
 * owes it: a blocking write waits for room, a non-blocking one says EAGAIN (what POLLOUT means) */
bool write_refused_full(struct worker* self, const char* unitName, ssize_t written);

void units_init(void);
struct unit* unit_add(const struct unit_config* config);
int unit_count(void);
struct unit* unit_at(int index);
/* a random unit configuration from the seed, noted as one token "u<index>=..." */
void unit_config_draw(struct unit_config* config, int index);
void unit_config_note_life(const struct unit_config* config, int index);
/* after the workers returned: exact end checks on stable units, then delete and close all */
void units_finish(struct worker* self);
/* one GET_STATS identity check on every live unit (the checker calls it) */
void units_check_stats(struct worker* self);

/* ---- agents scenarios combine (each in its scenario's file) -------------------------------- */

struct interrupter_config {
	int min_us, max_us; /* pause between two interrupts */
	int quiet_permille; /* share of quiet phases (no ctrl+c) where lost wake-ups show */
};
status_t interrupter_main(struct worker* self);

struct churn_config {
	int range;       /* unit numbers 0..range-1 for ifconfig */
	int target_live; /* steer creates/deletes toward this many units */
	int keep_fds;    /* descriptors a churner keeps open */
	int max_up;
};
status_t churn_main(struct worker* self);

struct observer_config {
	int max_fds;
	int timeout_max_ms;
};
status_t observer_main(struct worker* self);

struct faulter_config {
	int window_max_us, pause_max_us, nth_max;
};
status_t faulter_main(struct worker* self);
void faults_disarm(void);

/* ---- scenarios ----------------------------------------------------------------------------- */

struct scenario {
	const char* name;
	const char* about;
	void (*setup)(struct worker* self); /* draw parameters, add units, spawn agents */
};

extern const struct scenario kCtrlcStorm, kDeleteStorm, kAllocChurn, kSelectStorm, kFaultStorm,
	kMixed;

/* waits.c: calls that wait for traffic (stress/README.md, "The watchdog") */
/* before a read or poll on `unit` begins: its traffic counters, for the watchdog's evidence and
 * its idle rule (`openEnded`: the call may wait for ever, a blocking read or an untimed poll) */
void traffic_mark_take(struct worker* self, struct unit* unit, bool openEnded);
/* after a read returned `length` (`bad`: into a bad buffer): the unit's read progress, the
 * worker's starved read if it waited past call_bound */
void read_completed(struct worker* self, struct unit* unit, ssize_t length, bool bad);
/* from when the watchdog counts the bound of `worker`'s call under way: its start, unless it is
 * a blocked read sharing its descriptor with readers that keep reading, or an open-ended read or
 * poll nothing came for (idle: from now) */
bigtime_t wait_origin(const struct worker* worker, int op, bigtime_t start, bigtime_t now);
/* the watchdog's evidence for a call waiting for traffic: what the unit saw during it */
void traffic_report(FILE* out, const struct worker* worker, bigtime_t now);

/* the watchdog demonstration (stall.c): hold a lock forever in a path the scenario waits on */
void stall_inject(struct worker* self, const char* kind);

#endif
