/* Calls that wait for traffic: a unit's traffic during a blocked read or poll (the watchdog's
 * evidence), and the starvation rule for readers sharing a descriptor. */
#include "stress.h"

#include "wait_rule.h"

/* ---- a unit's traffic ---------------------------------------------------------------------- */

static void
mark_take(struct traffic_mark* mark, const struct unit* unit, const struct worker* worker)
{
	atomic_set64(&mark->sent, atomic_get64((int64*)&unit->to_app.ok));
	atomic_set64(&mark->refused, atomic_get64((int64*)&unit->to_app.tail_dropped));
	atomic_set64(&mark->reads, atomic_get64((int64*)&unit->reads_ok));
	atomic_set64(&mark->bad_reads, atomic_get64((int64*)&unit->bad_reads));
	atomic_set64(&mark->looks, atomic_get64((int64*)&unit->looks));
	atomic_set64(&mark->readable, atomic_get64((int64*)&unit->readable_looks));
	atomic_set64(&mark->intr, atomic_get64((int64*)&worker->intr_sent));
}

void
traffic_mark_take(struct worker* self, struct unit* unit, bool openEnded)
{
	atomic_set64(&self->mark, atomic_get64(&unit->to_app.ok));
	mark_take(&self->wait_mark, unit, self);
	atomic_set(&self->wait_open_ended, openEnded ? 1 : 0);
}

/* readers that share the descriptor and block (a non-blocking read must not wait at all) */
static int
blocking_readers(const struct unit* unit)
{
	return unit->config.nonblocking || unit->config.consumer ? 1 : unit->reader_count;
}

void
read_completed(struct worker* self, struct unit* unit, ssize_t length, bool bad)
{
	bigtime_t now = system_time();
	bool badFailed = bad && length == B_BAD_ADDRESS;
	/* a packet went to a reader (Haiku's tunnel_read dequeues it before the copy that fails) */
	if (length > 0 || badFailed)
		atomic_set64(&unit->read_done_at, now);
	if (badFailed)
		atomic_add64(&unit->bad_reads, 1);
	/* how long a reader sharing its descriptor went without a packet (or a ctrl+c); past the
	 * bound, which the watchdog let pass while the unit's other readers kept reading: starved */
	if (blocking_readers(unit) < 2)
		return;
	bigtime_t waited = now - __atomic_load_n(&self->op_start, __ATOMIC_RELAXED);
	bigtime_t longest = atomic_get64(&gStress.longest_shared_wait);
	while (waited > longest
		   && !__atomic_compare_exchange_n(&gStress.longest_shared_wait, &longest, waited, false,
			   __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
	}
	if (waited > gStress.call_bound)
		atomic_add64(&gStress.starved_reads, 1);
}

static struct unit*
unit_of(const struct worker* worker)
{
	int32 index = __atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED);
	return index >= 0 && index < unit_count() ? unit_at(index) : NULL;
}

/* a reader of `unit` (its unit engine's readers, not a churner's read on the same index) */
static bool
reads_unit(const struct worker* worker, const struct unit* unit)
{
	for (int i = 0; i < unit->reader_count; i++) {
		if (unit->readers[i] == worker)
			return true;
	}
	return false;
}

/* a poller that only watches `unit` (its unit engine's) */
static bool
polls_unit(const struct worker* worker, const struct unit* unit)
{
	for (int i = 0; i < unit->config.pollers && i < 2; i++) {
		if (unit->pollers[i] == worker)
			return true;
	}
	return false;
}

bigtime_t
wait_origin(const struct worker* worker, int op, bigtime_t start, bigtime_t now)
{
	struct unit* unit = op == OP_READ || op == OP_POLL ? unit_of(worker) : NULL;
	bool reader = unit != NULL && op == OP_READ && reads_unit(worker, unit);
	if (!reader && !(unit != NULL && op == OP_POLL && polls_unit(worker, unit)))
		return start;
	struct traffic_mark at;
	mark_take(&at, unit, worker);
	const struct traffic_mark* then = &worker->wait_mark;
	struct read_wait wait = {
		.start = start,
		.now = now,
		/* a poller is alone on its wait: the starvation rule is the readers' */
		.readers = reader ? blocking_readers(unit) : 1,
		.unit_read = atomic_get64(&unit->read_done_at),
		.last_ctrlc = atomic_get64((int64*)&worker->intr_time),
		.prompt_bound = gStress.prompt_bound,
		.open_ended = atomic_get((int32*)&worker->wait_open_ended),
		.accepted = at.sent - then->sent,
		.ctrlcs = at.intr - then->intr,
		.readable = at.readable - then->readable,
	};
	return read_wait_origin(&wait);
}

void
traffic_report(FILE* out, const struct worker* worker, bigtime_t now)
{
	int32 op = __atomic_load_n(&worker->op, __ATOMIC_ACQUIRE);
	struct unit* unit = unit_of(worker);
	if ((op != OP_READ && op != OP_POLL) || unit == NULL)
		return;
	struct traffic_mark then = worker->wait_mark, at;
	mark_take(&at, unit, worker);
	bigtime_t start = __atomic_load_n(&worker->op_start, __ATOMIC_RELAXED);
	bigtime_t lastRead = atomic_get64(&unit->read_done_at);
	bigtime_t lastLook = atomic_get64(&unit->last_look);
	char read[64] = "none yet", look[64] = "none yet";
	if (lastRead > 0)
		snprintf(read, sizeof(read), "%.1f s ago", (now - lastRead) / 1e6);
	if (lastLook > 0) {
		snprintf(look, sizeof(look), "%.1f s ago, %s", (now - lastLook) / 1e6,
			atomic_get(&unit->last_look_readable) != 0 ? "readable" : "nothing readable");
	}
	char shared[80];
	if (unit->config.nonblocking)
		snprintf(shared, sizeof(shared), "on a non-blocking descriptor: no read may wait");
	else
		snprintf(shared, sizeof(shared), "%d blocking reader(s) share its descriptor",
			blocking_readers(unit));
	fprintf(out,
		"traffic of %s during %s's %s (%.1f s; %s):\n"
		"  the stack sent %lld packet(s) (%lld more refused); the unit's readers read %lld and "
		"failed %lld read(s) into a bad buffer (%s); the latest completed read: %s\n"
		"  %lld ctrl+c aimed at %s; readable at %lld of the checker's %lld %s look(s) (the "
		"last: %s)\n",
		unit->name, worker->name, op == OP_READ ? "read" : "poll", (now - start) / 1e6, shared,
		(long long)(at.sent - then.sent), (long long)(at.refused - then.refused),
		(long long)(at.reads - then.reads), (long long)(at.bad_reads - then.bad_reads),
		STRESS_CONTRACT ? "each left its packet queued"
						: "Haiku's tunnel_read: each took a packet and lost it",
		read, (long long)(at.intr - then.intr), worker->name,
		(long long)(at.readable - then.readable), (long long)(at.looks - then.looks),
		STRESS_CONTRACT ? "TUNTAP_GET_STATS" : "poll", look);
}
