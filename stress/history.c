/* Ops programs from the stress history: on the first failure tied to a unit, the last calls of the
 * workers on that unit become a text program for the fuzz replayer's `ops` harness (fuzz/ops.c). */
#include "stress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define THREADS 4       /* the ops harness runs four */
#define SLOTS 8         /* descriptor slots it names (FZ_SLOTS) */
#define PER_WORKER 48   /* newest records taken of a chosen worker */
#define MAX_EVENTS 160  /* newest calls in the program */
#define SPAN_MS 1400    /* virtual time the calls are spread over: under the harness's 2 s phase */
#define BLOCKED_US 1000 /* a call that took this long waited for something */
#define STUCK_US 100000 /* a call under way this long at the failure is stuck */

struct candidate {
	struct worker* worker;
	struct op_record records[PER_WORKER]; /* oldest first */
	int count;
	int rank; /* 0 creator, 1 stuck in a call, 2 the culprit, 3 what those wait for, 4 the unit's
			   * other workers, 5 others, 6 the checker */
	bigtime_t key; /* order within the rank */
};

struct event {
	struct op_record record;
	int thread;
	int slot;    /* descriptor slot of fd-based calls, -1 */
	int64 vtime; /* virtual milliseconds from the program's start */
	const char* who;
};

static int32 sWritten;
static struct candidate sCandidates[MAX_WORKERS];
static struct event sEvents[THREADS * PER_WORKER];

static struct op_record
load_record(const struct op_record* record)
{
	struct op_record copy;
	copy.start = __atomic_load_n(&record->start, __ATOMIC_RELAXED);
	copy.end = __atomic_load_n(&record->end, __ATOMIC_RELAXED);
	copy.result = __atomic_load_n(&record->result, __ATOMIC_RELAXED);
	copy.a = __atomic_load_n(&record->a, __ATOMIC_RELAXED);
	copy.b = __atomic_load_n(&record->b, __ATOMIC_RELAXED);
	copy.fd = __atomic_load_n(&record->fd, __ATOMIC_RELAXED);
	copy.kind = __atomic_load_n(&record->kind, __ATOMIC_RELAXED);
	copy.unit = __atomic_load_n(&record->unit, __ATOMIC_RELAXED);
	return copy;
}

/* a worker's newest records on `unit` (and fault plans) begun by `now`, oldest first */
static int
snapshot(struct worker* worker, int unit, bigtime_t now, struct op_record* out)
{
	int64 count = __atomic_load_n(&worker->history_count, __ATOMIC_ACQUIRE);
	/* the oldest few may be overwritten as they are read: left out */
	int64 first = count > HISTORY_SIZE - 4 ? count - (HISTORY_SIZE - 4) : 0;
	int n = 0;
	for (int64 i = count - 1; i >= first && n < PER_WORKER; i--) {
		struct op_record record = load_record(&worker->history[i % HISTORY_SIZE]);
		if (record.start <= 0 || record.start > now)
			continue;
		if (record.unit == unit || (record.kind == OP_FAULT && record.b > 0))
			out[n++] = record;
	}
	for (int i = 0; i < n / 2; i++) {
		struct op_record swap = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = swap;
	}
	return n;
}

static int
compare_candidates(const void* left, const void* right)
{
	const struct candidate* a = *(const struct candidate* const*)left;
	const struct candidate* b = *(const struct candidate* const*)right;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	return a->key < b->key ? -1 : a->key > b->key ? 1 : a->worker->index - b->worker->index;
}

static int
compare_events(const void* left, const void* right)
{
	const struct event* a = left;
	const struct event* b = right;
	if (a->record.start != b->record.start)
		return a->record.start < b->record.start ? -1 : 1;
	return a->thread - b->thread;
}

static const char*
wait_class(bigtime_t timeout)
{
	if (timeout == B_INFINITE_TIMEOUT)
		return "forever";
	if (timeout <= 0)
		return "zero";
	return timeout <= 100000 ? "short" : "long";
}

static const char*
events_name(int64 events)
{
	bool in = (events & SHIM_POLLIN) != 0, out = (events & SHIM_POLLOUT) != 0;
	return in && out ? "inout" : out ? "out" : "in";
}

static const char*
ioctl_name(int64 code)
{
	switch (code) {
		case TUNTAP_GET_NAME:
			return "name";
		case FIONREAD:
			return "fionread";
		default:
			return "stats"; /* TUNTAP_GET_STATS; TUNTAP_GET_INFO has no ops counterpart */
	}
}

static const char* const kSites[] = {"alloc", "copy", "sem", "publish", "netbuf"};

static void
print_result(FILE* out, const struct event* event)
{
	const struct op_record* record = &event->record;
	if (record->end == 0) {
		fprintf(out, "still in the call at the failure");
		return;
	}
	if (record->result == NO_RESULT)
		fprintf(out, "done");
	else if (record->result < 0)
		fprintf(out, "%s", shim_status_name(record->result));
	else if (record->kind == OP_POLL)
		fprintf(out, "revents 0x%llx", (long long)record->result);
	else
		fprintf(out, "%lld", (long long)record->result);
	if (record->end - record->start >= BLOCKED_US)
		fprintf(out, " after %.1f ms", (record->end - record->start) / 1e3);
}

/* one event as an ops line (false: the call has no ops form) */
static bool
print_op(FILE* out, const struct event* event, const char* name, const int* threadOf)
{
	const struct op_record* record = &event->record;
	int t = event->thread;
	switch (record->kind) {
		case OP_CREATE:
			fprintf(out, "t%d create %s", t, name);
			return true;
		case OP_DELETE:
			fprintf(out, "t%d delete %s", t, name);
			return true;
		case OP_UPDOWN:
			fprintf(out, "t%d %s %s", t, record->a != 0 ? "up" : "down", name);
			return true;
		case OP_OPEN:
			fprintf(out, "t%d open slot=%d path=%s mode=%s", t, event->slot, name,
				(record->a & SHIM_O_NONBLOCK) != 0 ? "nonblock" : "block");
			return true;
		case OP_CLOSE:
			fprintf(out, "t%d close slot=%d", t, event->slot);
			return true;
		case OP_READ:
			fprintf(out, "t%d read slot=%d size=%lld", t, event->slot, (long long)record->a);
			return true;
		case OP_WRITE:
			fprintf(out, "t%d write slot=%d len=%lld", t, event->slot, (long long)record->a);
			return true;
		case OP_POLL:
			fprintf(out, "t%d poll slot=%d events=%s wait=%s", t, event->slot,
				events_name(record->a), wait_class(record->b));
			return true;
		case OP_IOCTL:
			fprintf(out, "t%d ioctl slot=%d op=%s", t, event->slot, ioctl_name(record->a));
			return true;
		case OP_SEND:
			fprintf(out, "t%d send %s len=%lld", t, name, (long long)record->a);
			return true;
		case OP_RECV:
			fprintf(out, "t%d receive %s wait=%s", t, name, wait_class(record->a));
			return true;
		case OP_INTERRUPT:
			fprintf(out, "t%d interrupt t%d", t, threadOf[record->a]);
			return true;
		case OP_FAULT:
			fprintf(out, "t%d failnext %s", t,
				record->a >= 0 && record->a < 5 ? kSites[record->a] : "alloc");
			return true;
		default:
			return false;
	}
}

static bool
uses_fd(int kind)
{
	return kind == OP_READ || kind == OP_WRITE || kind == OP_POLL || kind == OP_IOCTL
		   || kind == OP_CLOSE;
}

/* rank the workers with records on the unit; the chosen ones (at most THREADS) first */
static int
choose(int unit, const struct worker* culprit, const struct unit* target, bigtime_t now,
	struct candidate** chosen)
{
	static struct candidate* ranked[MAX_WORKERS];
	int count = 0;
	for (int i = 0; i < worker_count(); i++) {
		struct candidate* candidate = &sCandidates[count];
		candidate->worker = worker_at(i);
		candidate->count = snapshot(candidate->worker, unit, now, candidate->records);
		if (candidate->count == 0)
			continue;
		const struct op_record* last = &candidate->records[candidate->count - 1];
		bigtime_t lifecycle = 0;
		bool onUnit = false;
		for (int r = 0; r < candidate->count; r++) {
			const struct op_record* record = &candidate->records[r];
			onUnit = onUnit || record->unit == unit;
			if (record->unit == unit && (record->kind == OP_CREATE || record->kind == OP_DELETE))
				lifecycle = record->start;
		}
		if (!onUnit && last->kind != OP_FAULT)
			continue;
		if (lifecycle != 0) {
			candidate->rank = 0;
			candidate->key = -lifecycle;
		} else if (last->unit == unit && (last->end == 0 || last->end > now)
				   && now - last->start >= STUCK_US) {
			candidate->rank = 1;
			candidate->key = last->start; /* blocked longest first */
		} else if (candidate->worker == culprit) {
			candidate->rank = 2;
			candidate->key = 0;
		} else {
			candidate->rank = 5;
			if (candidate->worker->data == target)
				candidate->rank = 4;
			else if (strcmp(candidate->worker->name, "checker") == 0)
				candidate->rank = 6;
			candidate->key = -last->start; /* most recently active first */
		}
		ranked[count++] = candidate;
	}
	/* what the stuck or failing calls wait for: the sender feeds reads and polls, the stack's
	 * receiver drains writes; that worker comes next */
	bool wantSend = false, wantReceive = false;
	for (int i = 0; i < count; i++) {
		int kind = ranked[i]->records[ranked[i]->count - 1].kind;
		if (ranked[i]->rank == 1 || ranked[i]->rank == 2) {
			wantSend = wantSend || kind == OP_READ || kind == OP_POLL;
			wantReceive = wantReceive || kind == OP_WRITE;
		}
	}
	for (int i = 0; i < count; i++) {
		int kind = ranked[i]->records[ranked[i]->count - 1].kind;
		if (ranked[i]->rank == 4
			&& ((wantSend && kind == OP_SEND) || (wantReceive && kind == OP_RECV)))
			ranked[i]->rank = 3;
	}
	qsort(ranked, (size_t)count, sizeof(ranked[0]), compare_candidates);
	/* one creator at most: a second one (a stable unit's main thread, say) ranks as others */
	for (int i = 1; i < count && ranked[i]->rank == 0; i++)
		ranked[i]->rank = 5;
	qsort(ranked, (size_t)count, sizeof(ranked[0]), compare_candidates);
	int taken = count < THREADS ? count : THREADS;
	for (int i = 0; i < taken; i++)
		chosen[i] = ranked[i];
	return taken;
}

void
history_write_program(int unit, const struct worker* culprit, const char* failure)
{
	bigtime_t now = system_time();
	if (gStress.ops_path == NULL || unit < 0 || unit >= unit_count() || unit_at(unit) == NULL)
		return;
	int32 expected = 0;
	if (!__atomic_compare_exchange_n(
			&sWritten, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	const struct unit* target = unit_at(unit);
	const char* name = target->config.tap ? "tap/0" : "tun/0";

	struct candidate* chosen[THREADS];
	int threads = choose(unit, culprit, target, now, chosen);
	static int threadOf[MAX_WORKERS];
	for (int i = 0; i < MAX_WORKERS; i++)
		threadOf[i] = -1;
	for (int t = 0; t < threads; t++)
		threadOf[chosen[t]->worker->index] = t;

	/* the calls merged by time; the newest MAX_EVENTS */
	int count = 0;
	for (int t = 0; t < threads; t++) {
		for (int r = 0; r < chosen[t]->count; r++) {
			const struct op_record* record = &chosen[t]->records[r];
			/* ctrl+c aimed outside the program, fault plans from a worker not in it */
			if (record->kind == OP_INTERRUPT
				&& (record->a < 0 || record->a >= MAX_WORKERS || threadOf[record->a] < 0))
				continue;
			if (uses_fd(record->kind) && record->fd < 0)
				continue;
			sEvents[count++] = (struct event){*record, t, -1, 0, chosen[t]->worker->name};
		}
	}
	qsort(sEvents, (size_t)count, sizeof(sEvents[0]), compare_events);
	struct event* events = sEvents;
	if (count > MAX_EVENTS) {
		events += count - MAX_EVENTS;
		count = MAX_EVENTS;
	}

	/* descriptors: a slot per open; descriptors opened before the window get a prologue open */
	int slotFd[SLOTS], preFd[SLOTS], preSlot[SLOTS], pre = 0, firstLifecycle = -1;
	for (int s = 0; s < SLOTS; s++)
		slotFd[s] = -1;
	for (int i = 0; i < count; i++) {
		struct op_record* record = &events[i].record;
		if (firstLifecycle < 0 && (record->kind == OP_CREATE || record->kind == OP_DELETE))
			firstLifecycle = record->kind;
		if (record->kind == OP_OPEN && record->result >= 0 && record->result != NO_RESULT) {
			int s = 0;
			while (s < SLOTS - 1 && slotFd[s] >= 0)
				s++;
			slotFd[s] = (int)record->result;
			events[i].slot = s;
		} else if (record->kind == OP_OPEN) {
			/* an open that failed or was still in the call: the slot it would have taken, not
			 * kept (the assembler takes slots 0..255 only; -1 used to become slot 7) */
			int s = 0;
			while (s < SLOTS - 1 && slotFd[s] >= 0)
				s++;
			events[i].slot = s;
		} else if (uses_fd(record->kind)) {
			int s = 0;
			while (s < SLOTS && slotFd[s] != record->fd)
				s++;
			if (s == SLOTS) {
				for (s = 0; s < SLOTS - 1 && slotFd[s] >= 0; s++) {
				}
				slotFd[s] = record->fd;
				if (pre < SLOTS) {
					preFd[pre] = record->fd;
					preSlot[pre++] = s;
				}
			}
			events[i].slot = s;
			if (record->kind == OP_CLOSE)
				slotFd[s] = -1;
		}
	}
	bool createFirst = firstLifecycle != OP_CREATE || pre > 0;
	bool deleteAfter = firstLifecycle == OP_CREATE && pre > 0;

	/* virtual time: the calls in order, 1 ms apart at least, real gaps kept up to a cap */
	int64 cap = count > 0 ? SPAN_MS / count : SPAN_MS;
	if (cap < 2)
		cap = 2;
	for (int i = 0; i < count; i++) {
		int64 gap = i == 0 ? 0 : (events[i].record.start - events[i - 1].record.start) / 1000;
		gap = i == 0 ? 0 : gap < 1 ? 1 : gap > cap ? cap : gap;
		events[i].vtime = (i == 0 ? 0 : events[i - 1].vtime) + gap;
	}

	FILE* out = fopen(gStress.ops_path, "w");
	if (out == NULL) {
		stress_print("ops program: cannot write %s\n", gStress.ops_path);
		return;
	}
	bigtime_t origin = count > 0 ? events[0].record.start : now;
	fprintf(out, "# ops program from a stress failure (stress/history.c, fuzz/ops.c's format)\n");
	fprintf(out, "# scenario=%s seed=%llu\n", gStress.scenario, (unsigned long long)gStress.seed);
	fprintf(out, "# failure: %s\n", failure);
	fprintf(out, "# unit %s (%s, %s, %s) is %s here; threads:", target->name,
		target->config.tap ? "tap" : "tun",
		target->config.nonblocking ? "non-blocking" : "blocking", target->config.up ? "up" : "down",
		name);
	for (int t = 0; t < threads; t++)
		fprintf(out, " t%d=%s", t, chosen[t]->worker->name);
	fprintf(out,
		"\n# Its last %d calls on the unit (workers' history rings), merged by time and "
		"spaced by\n# sleeps (%.1f s of the run in %lld ms). The stress run was "
		"free-running: the replayer's\n# interleaving may differ, so it may not "
		"reproduce the failure.\n",
		count, count > 0 ? (now - origin) / 1e6 : 0.0,
		(long long)(count > 0 ? events[count - 1].vtime : 0));
	fprintf(out, "# replay: make repro TARGET=ops FILE=%s\n", gStress.ops_path);

	int ops = 0;
	if (createFirst) {
		fprintf(out, "# prologue: the unit and descriptors as they were before these calls\n");
		fprintf(out, "t0 create %s\n", name);
		ops++;
		if (target->config.up) {
			fprintf(out, "t0 up %s\n", name);
			ops++;
		}
		for (int p = 0; p < pre; p++) {
			fprintf(out, "t0 open slot=%d path=%s mode=%s  # descriptor %d\n", preSlot[p], name,
				target->config.nonblocking ? "nonblock" : "block", preFd[p]);
			ops++;
		}
		if (deleteAfter) {
			fprintf(out, "t0 delete %s  # that life ended before the window\n", name);
			ops++;
		}
	}
	int64 clock[THREADS] = {0};
	for (int i = 0; i < count && ops < 500; i++) {
		struct event* event = &events[i];
		int t = event->thread;
		for (int64 lag = event->vtime - clock[t]; lag > 0; lag -= 255) {
			fprintf(out, "t%d sleep ms=%lld\n", t, (long long)(lag > 255 ? 255 : lag));
			ops++;
		}
		clock[t] = event->vtime;
		if (!print_op(out, event, name, threadOf))
			continue;
		ops++;
		fprintf(out, "  # %s +%.3f ms -> ", event->who, (event->record.start - origin) / 1e3);
		print_result(out, event);
		if (event->record.kind == OP_READ && event->record.b != 0)
			fprintf(out, " (into a bad buffer)");
		if (event->record.kind == OP_FAULT)
			fprintf(out, " (stress: fail the %lldth call)", (long long)event->record.b);
		if (event->record.kind == OP_IOCTL && event->record.a == TUNTAP_GET_INFO)
			fprintf(out, " (TUNTAP_GET_INFO)");
		fprintf(out, "\n");
		/* a call that waited: the thread goes on after the last call begun before it returned */
		const struct op_record* record = &event->record;
		if (record->end != 0 && record->end - record->start >= BLOCKED_US) {
			for (int j = i + 1; j < count && events[j].record.start < record->end; j++)
				clock[t] = events[j].vtime;
		}
	}
	fclose(out);
	stress_print("ops program: %s (%d threads, %d ops)\n", gStress.ops_path, threads, ops);
}
