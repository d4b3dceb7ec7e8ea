/* Checks during a slot (the checker's checkpoints), so a broken invariant fails the slot within
 * a checker period of when it broke, not at the slot's end: stats that only grow, queue limits,
 * stable units' counters bracketed by what the suite counted, kernel objects bounded by units. */
#include "stress.h"

/* the checker's last TUNTAP_GET_STATS per unit (only the checker thread touches these) */
struct unit_seen {
	uint32 life;
	bool have;
	struct tuntap_stats stats;
};

static struct unit_seen sSeen[MAX_UNITS];

/* the object check: the boot's mutexes, those one interface adds at most (down or up), and how
 * many the last checkpoint found beyond the bound */
static int64 sBaseMutexes, sMutexesPerInterface, sLastExcess;
static bool sProbed;

static double
slot_seconds(void)
{
	return (system_time() - gStress.start) / 1e6;
}

void
unit_counts_take(struct unit* unit, struct unit_counts* counts)
{
	counts->sent = atomic_get64(&unit->to_app.ok) + atomic_get64(&unit->to_app.tail_dropped);
	counts->tail_dropped = atomic_get64(&unit->to_app.tail_dropped);
	counts->reads = atomic_get64(&unit->reads_ok);
	counts->writes = atomic_get64(&unit->writes_ok);
}

/* `value` of `what` must lie in low..high (what the suite counted before and after the ioctl,
 * plus the calls that may have been under way around it) */
static void
expect_within(struct worker* self, const struct unit* unit, const char* what, uint64 value,
	int64 low, int64 high)
{
	if ((int64)value < low || (int64)value > high) {
		stress_fail_contract(self,
			"checkpoint %.2f s into the slot: %s: %s %llu outside %lld..%lld (counted by the "
			"suite around the ioctl)",
			slot_seconds(), unit->name, what, (unsigned long long)value, (long long)low,
			(long long)high);
	}
}

static void
expect_grows(
	struct worker* self, const struct unit* unit, const char* what, uint64 before, uint64 now)
{
	if (now < before) {
		stress_fail_contract(self,
			"checkpoint %.2f s into the slot: %s: %s went down from %llu to %llu within one life",
			slot_seconds(), unit->name, what, (unsigned long long)before, (unsigned long long)now);
	}
}

static void
check_queue(struct worker* self, const struct unit* unit, const char* name,
	const struct tuntap_queue_stats* before, const struct tuntap_queue_stats* now)
{
	char what[64];
	/* the ioctl workers never set the limits: the defaults hold (driver/README.md) */
	if (now->queued > TUNTAP_DEFAULT_QUEUE_PACKETS || now->queued_bytes > TUNTAP_DEFAULT_QUEUE_BYTES
		|| (now->queued == 0) != (now->queued_bytes == 0)) {
		stress_fail_contract(self,
			"checkpoint %.2f s into the slot: %s: %s holds %llu packets, %llu bytes (limits "
			"%d, %d)",
			slot_seconds(), unit->name, name, (unsigned long long)now->queued,
			(unsigned long long)now->queued_bytes, TUNTAP_DEFAULT_QUEUE_PACKETS,
			TUNTAP_DEFAULT_QUEUE_BYTES);
	}
	if (before == NULL)
		return;
	snprintf(what, sizeof(what), "%s.enqueued", name);
	expect_grows(self, unit, what, before->enqueued, now->enqueued);
	snprintf(what, sizeof(what), "%s.dequeued", name);
	expect_grows(self, unit, what, before->dequeued, now->dequeued);
	snprintf(what, sizeof(what), "%s.dropped", name);
	expect_grows(self, unit, what, before->dropped, now->dropped);
	snprintf(what, sizeof(what), "%s.bytes", name);
	expect_grows(self, unit, what, before->bytes, now->bytes);
}

void
checkpoint_stats(struct worker* self, struct unit* unit, uint32 life,
	const struct tuntap_stats* stats, const struct unit_counts* before,
	const struct unit_counts* after)
{
	if (!STRESS_CONTRACT || unit->index >= MAX_UNITS)
		return;
	struct unit_seen* seen = &sSeen[unit->index];
	bool same = seen->have && seen->life == life;
	check_queue(self, unit, "to_app", same ? &seen->stats.to_app : NULL, &stats->to_app);
	check_queue(self, unit, "to_stack", same ? &seen->stats.to_stack : NULL, &stats->to_stack);
	if (same) {
		expect_grows(self, unit, "truncated", seen->stats.truncated, stats->truncated);
		expect_grows(self, unit, "rejected", seen->stats.rejected, stats->rejected);
	}
	seen->life = life;
	seen->have = true;
	seen->stats = *stats;

	/* A stable unit lives once (life 1) and the suite's counters of it start with it: what the
	 * driver counted lies between what the suite counted before the ioctl and after it, plus
	 * the calls that may have been under way (the suite counts a call when it returns): one
	 * send, one write per writer or consumer, one read per reader or consumer. */
	if (unit->config.managed || life != 1)
		return;
	int writers = (unit->config.writer ? 1 : 0) + (unit->config.consumer ? 1 : 0);
	int readers = unit->reader_count + (unit->config.consumer ? 1 : 0);
	int sending = unit->config.sender ? 1 : 0;
	expect_within(
		self, unit, "to_app.enqueued", stats->to_app.enqueued, before->sent, after->sent + sending);
	expect_within(self, unit, "to_app.dropped (tail drops)", stats->to_app.dropped,
		before->tail_dropped, after->tail_dropped + sending);
	expect_within(self, unit, "to_app.dequeued", stats->to_app.dequeued, before->reads,
		after->reads + readers);
	expect_within(self, unit, "to_stack.enqueued", stats->to_stack.enqueued, before->writes,
		after->writes + writers);
	if (stats->truncated != 0 || stats->rejected != 0) {
		stress_fail_contract(self,
			"checkpoint %.2f s into the slot: %s: truncated %llu, rejected %llu (the suite's "
			"reads and writes always fit)",
			slot_seconds(), unit->name, (unsigned long long)stats->truncated,
			(unsigned long long)stats->rejected);
	}
}

/* Before the scenario (no unit, no fault plan): the boot's mutexes, and how many one
 * interface adds created, then up (the driver's unit lock, the shim's interface, capture and
 * fifo locks), with a probe unit no scenario uses. */
void
checkpoint_boot(void)
{
	if (!STRESS_CONTRACT)
		return;
	struct shim_objects objects;
	shim_objects_get(&objects);
	sBaseMutexes = objects.mutexes;
	const char* probe = "tun/59999";
	if (shim_if_create(probe) != B_OK)
		return;
	shim_objects_get(&objects);
	int64 most = objects.mutexes - sBaseMutexes;
	if (shim_if_up(probe) == B_OK) {
		shim_objects_get(&objects);
		if (objects.mutexes - sBaseMutexes > most)
			most = objects.mutexes - sBaseMutexes;
	}
	if (shim_if_delete(probe) != B_OK)
		return;
	shim_objects_get(&objects);
	if (objects.mutexes != sBaseMutexes)
		return; /* the driver leaked already: the end-of-slot leak check says so */
	sMutexesPerInterface = most;
	sProbed = true;
}

/* Under the gate alone (check_nodes): no interface is being created or deleted, so every
 * mutex belongs to the boot, to a live interface or to a deleted unit an open descriptor still
 * holds (at most one per cookie). More than that at two checkpoints in a row is a leak (one
 * checkpoint could meet a close freeing its unit between the two counters). */
void
checkpoint_objects(struct worker* self, int interfaces)
{
	if (!STRESS_CONTRACT || !sProbed)
		return;
	struct shim_objects objects;
	shim_objects_get(&objects);
	int64 bound = sBaseMutexes + sMutexesPerInterface * interfaces + objects.cookies;
	int64 excess = objects.mutexes - bound;
	if (excess > 0 && sLastExcess > 0) {
		stress_fail_contract(self,
			"checkpoint %.2f s into the slot: %lld kernel mutexes live, at most %lld expected "
			"(%lld at boot + %lld per interface x %d interfaces + %lld cookies): a leak",
			slot_seconds(), (long long)objects.mutexes, (long long)bound, (long long)sBaseMutexes,
			(long long)sMutexesPerInterface, interfaces, (long long)objects.cookies);
	}
	sLastExcess = excess;
}
