/* The unit engine: units with one descriptor per life (create, up, open; delete, close) and the
 * manager that deletes and re-creates a unit. Workers take the descriptor through handover.c. */
#include "stress.h"

#include <stdlib.h>
#include <string.h>

static struct unit* sUnits[MAX_UNITS];
static int32 sUnitCount;

/* ---- lives: create (+up), open; delete, close ---------------------------------------------- */

/* run `call` until it succeeds or fails for a reason other than an injected fault; `arg`: what
 * the history notes of it (up or down, the open mode) */
#define RETRY_FAULTS(status, kind, arg, call)                                                  \
	do {                                                                                       \
		op_begin(                                                                              \
			self, kind, unit->index, kind == OP_OPEN ? gStress.call_bound : gStress.op_bound); \
		op_args(self, -1, arg, 0);                                                             \
		status = (call);                                                                       \
		op_end(self, kind);                                                                    \
		op_result(self, status);                                                               \
	} while (status < 0 && create_fault(self, status) && !stopping() && (snooze(1000), 1))

static bool
life_begin(struct worker* self, struct unit* unit)
{
	status_t status;
	op_begin(self, OP_WAIT, unit->index, gStress.call_bound);
	pthread_rwlock_wrlock(&unit->life_lock);
	op_end(self, OP_WAIT);
	gate_enter(self);
	RETRY_FAULTS(status, OP_CREATE, 0, shim_if_create(unit->name));
	if (status == B_OK && unit->config.up)
		RETRY_FAULTS(status, OP_UPDOWN, 1, shim_if_up(unit->name));
	gate_leave();
	if (status != B_OK) {
		pthread_rwlock_unlock(&unit->life_lock);
		if (!stopping())
			stress_fail_contract(self, "%s: create/up: %s", unit->name, shim_status_name(status));
		return false;
	}
	pthread_mutex_lock(&unit->lock);
	unit->exists = true;
	unit->life++;
	pthread_mutex_unlock(&unit->lock);
	pthread_rwlock_unlock(&unit->life_lock);

	int mode = SHIM_O_RDWR | (unit->config.nonblocking ? SHIM_O_NONBLOCK : 0);
	int fd;
	RETRY_FAULTS(fd, OP_OPEN, mode, shim_open(unit->path, mode));
	if (fd < 0) {
		if (!stopping())
			stress_fail_contract(self, "%s: open: %s", unit->path, shim_status_name(fd));
		return false;
	}
	pthread_mutex_lock(&unit->lock);
	unit->fd = fd;
	unit->live = true;
	unit->closing = false;
	pthread_cond_broadcast(&unit->changed);
	pthread_mutex_unlock(&unit->lock);
	return true;
}

static status_t
life_delete(struct worker* self, struct unit* unit)
{
	status_t status = B_OK;
	atomic_set((int32*)&unit->deleting_life, (int32)unit->life);
	op_begin(self, OP_WAIT, unit->index, gStress.call_bound);
	pthread_rwlock_wrlock(&unit->life_lock);
	op_end(self, OP_WAIT);
	if (unit->exists) {
		gate_enter(self);
		RETRY_FAULTS(status, OP_DELETE, 0, shim_if_delete(unit->name));
		gate_leave();
		unit->exists = false;
		atomic_add64(&gStress.deletes, 1);
	}
	pthread_rwlock_unlock(&unit->life_lock);
	return status;
}

/* ctrl+c on every worker still in a call on the unit: an application stopping its threads */
static void
stop_unit_calls(struct unit* unit)
{
	for (int i = 0; i < worker_count(); i++) {
		struct worker* worker = worker_at(i);
		int32 op = __atomic_load_n(&worker->op, __ATOMIC_ACQUIRE);
		if (worker->interruptible && op >= 0 && op < OP_COUNTED
			&& __atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED) == unit->index)
			interrupt_worker(worker);
	}
}

/* "reader-0.1 in read, poller-0 in poll": the calls still under way on the unit, for a report
 * (what tells the known upstream findings apart: corpora/upstream/known.stress) */
static const char*
unit_calls_text(struct unit* unit, char* out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < worker_count() && used + 1 < size; i++) {
		struct worker* worker = worker_at(i);
		int32 op = __atomic_load_n(&worker->op, __ATOMIC_ACQUIRE);
		if (op < 0 || op >= OP_COUNTED
			|| __atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED) != unit->index)
			continue;
		int length = snprintf(
			out + used, size - used, "%s%s in %s", used > 0 ? ", " : "", worker->name, op_name(op));
		if (length < 0)
			break;
		used += (size_t)length;
	}
	return out;
}

/* every worker leaves the descriptor, promptly: after the delete (each got ENODEV), or after a
 * ctrl+c on each call still under way; then the descriptor is no one's (returned) */
static int
life_leave_descriptor(struct worker* self, struct unit* unit, bool deleted)
{
	op_begin(self, OP_WAIT, unit->index, gStress.call_bound);
	pthread_mutex_lock(&unit->lock);
	__atomic_store_n(&unit->closing, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&unit->changed);
	bigtime_t asked = system_time();
	bool reported = false;
	while (unit->users > 0) {
		if (!deleted)
			stop_unit_calls(unit);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&unit->changed, &unit->lock, &until);
		if (unit->users > 0 && !reported && system_time() - asked > gStress.prompt_bound) {
			char calls[256];
			stress_fail(self, "%s: %d workers still in calls on the descriptor %.1f s after %s: %s",
				unit->name, unit->users, gStress.prompt_bound / 1e6,
				deleted ? "the delete (blocked calls must wake with ENODEV)"
						: "a ctrl+c on each (blocked calls must return B_INTERRUPTED)",
				unit_calls_text(unit, calls, sizeof(calls)));
			reported = true;
		}
	}
	int fd = unit->live ? unit->fd : -1;
	unit->live = false;
	unit->fd = -1;
	pthread_mutex_unlock(&unit->lock);
	op_end(self, OP_WAIT);
	return fd;
}

/* The end of a life: delete, the workers leave, close (our contract: a delete wakes every call
 * with ENODEV). DRIVER=upstream runs that order in open_delete_permille of the lives (Haiku's
 * tunnel_uninit refuses an open unit: corpora/upstream/delete-while-open-leak, a known finding),
 * the others as an application would that stops first: ctrl+c on its calls, close, delete. */
static void
life_end(struct worker* self, struct unit* unit)
{
	bool deleteFirst = STRESS_CONTRACT || rng_chance(&self->rng, unit->config.open_delete_permille);
	status_t status = deleteFirst ? life_delete(self, unit) : B_OK;
	if (status != B_OK)
		stress_fail_contract(self, "%s: delete: %s", unit->name, shim_status_name(status));
	int fd = life_leave_descriptor(self, unit, deleteFirst);
	if (fd >= 0) {
		op_begin(self, OP_CLOSE, unit->index, gStress.call_bound);
		op_args(self, fd, 0, 0);
		status = shim_close(fd);
		op_end(self, OP_CLOSE);
		op_result(self, status);
		if (status != B_OK)
			stress_fail_contract(self, "%s: close of the stale descriptor: %s", unit->name,
				shim_status_name(status));
	}
	if (!deleteFirst && (status = life_delete(self, unit)) != B_OK)
		stress_fail_contract(self, "%s: delete: %s", unit->name, shim_status_name(status));
}

/* ---- the manager: delete and re-create under load ------------------------------------------ */

static status_t
manager_main(struct worker* self)
{
	struct unit* unit = self->data;
	while (!stopping()) {
		if (!unit->live && !life_begin(self, unit))
			break;
		bigtime_t end =
			system_time()
			+ rng_range(&self->rng, unit->config.life_min_ms, unit->config.life_max_ms) * 1000;
		while (!stopping() && system_time() < end)
			snooze(2000);
		if (stopping())
			break;
		if (unit->reader_count > 0 && rng_chance(&self->rng, unit->config.blocked_permille)) {
			/* delete with the readers blocked: the sender pauses, the reader drains and waits */
			atomic_set(&unit->hold, 1);
			op_begin(self, OP_WAIT, unit->index, gStress.call_bound);
			shim_wait_until_blocked(unit->readers[0]->thread, 200000);
			op_end(self, OP_WAIT);
		}
		life_end(self, unit);
		atomic_set(&unit->hold, 0);
	}
	return B_OK;
}

/* ---- units --------------------------------------------------------------------------------- */

void
units_init(void)
{
	atomic_set(&sUnitCount, 0);
}

int
unit_count(void)
{
	return atomic_get(&sUnitCount);
}

struct unit*
unit_at(int index)
{
	return sUnits[index];
}

void
unit_config_draw(struct unit_config* config, int index)
{
	struct rng* rng = &gStress.rng;
	memset(config, 0, sizeof(*config));
	config->tap = rng_chance(rng, 500);
	config->readers = (int)rng_range(rng, 1, MAX_READERS);
	config->writer = config->sender = config->receiver = true;
	config->pollers = (int)rng_range(rng, 0, 2);
	config->ioctls = rng_chance(rng, 500);
	config->up = rng_chance(rng, 700);
	config->nonblocking = rng_chance(rng, 300);
	config->min_size = (int)rng_range(rng, 64, 200);
	config->max_size = (int)rng_range(rng, config->min_size, 1500);
	config->burst = (int)rng_range(rng, 1, 64);
	config->pause_us = (int)rng_range(rng, 0, 2000);
	config->life_min_ms = 5;
	config->life_max_ms = (int)rng_range(rng, 20, 500);
	config->blocked_permille = (int)rng_range(rng, 0, 1000);
	config->poll_timeout_max_ms = 0;
	if (!STRESS_CONTRACT) {
		config->open_delete_permille = (int)rng_range(rng, 0, 1) * 250;
		note_param("u%d.open_delete=%d/1000", index, config->open_delete_permille);
	}
	note_param("u%d=%s,r%d,p%d,i%d,%s,%s,%d-%dB,burst%d,pause%dus", index,
		config->tap ? "tap" : "tun", config->readers, config->pollers, config->ioctls,
		config->up ? "up" : "down", config->nonblocking ? "nb" : "blk", config->min_size,
		config->max_size, config->burst, config->pause_us);
}

/* the manager's knobs, noted once it is known the unit is managed */
void
unit_config_note_life(const struct unit_config* config, int index)
{
	note_param("u%d.life=%d-%dms,blocked%d/1000", index, config->life_min_ms, config->life_max_ms,
		config->blocked_permille);
}

struct unit*
unit_add(const struct unit_config* config)
{
	struct worker* self = worker_at(0);
	int index = atomic_add(&sUnitCount, 1);
	struct unit* unit = calloc(1, sizeof(*unit));
	unit->index = index;
	unit->config = *config;
	/* a unit number range of its own, away from what churners and clones use */
	snprintf(unit->name, sizeof(unit->name), "%s%d", config->tap ? "tap/" : "tun/", 60000 + index);
	snprintf(unit->path, sizeof(unit->path), "/dev/%s", unit->name);
	if ((size_t)unit->config.max_size > packet_max_length(unit))
		unit->config.max_size = (int)packet_max_length(unit);
	if ((size_t)unit->config.min_size < packet_min_length(unit))
		unit->config.min_size = (int)packet_min_length(unit);
	if (unit->config.max_size < unit->config.min_size)
		unit->config.max_size = unit->config.min_size;
	unit->fd = -1;
	pthread_mutex_init(&unit->lock, NULL);
	pthread_cond_init(&unit->changed, NULL);
	pthread_rwlockattr_t attributes;
	pthread_rwlockattr_init(&attributes);
	pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&unit->life_lock, &attributes);
	pthread_rwlockattr_destroy(&attributes);
	sUnits[index] = unit;

	if (!config->managed && !life_begin(self, unit))
		return unit;
	char name[32];
	int readers = config->consumer ? 0 : config->readers;
	for (int i = 0; i < readers && i < MAX_READERS; i++) {
		snprintf(name, sizeof(name), "reader-%d.%d", index, i);
		unit->readers[unit->reader_count++] = worker_spawn(name, reader_main, unit, true);
	}
#define SPAWN(condition, label, main, interruptible)             \
	do {                                                         \
		if (condition) {                                         \
			snprintf(name, sizeof(name), "%s-%d", label, index); \
			worker_spawn(name, main, unit, interruptible);       \
		}                                                        \
	} while (0)
	SPAWN(config->consumer, "consumer", consumer_main, true);
	if (config->writer && !config->consumer) {
		snprintf(name, sizeof(name), "writer-%d", index);
		unit->writer = worker_spawn(name, writer_main, unit, true);
	}
	SPAWN(config->sender, "sender", sender_main, false);
	SPAWN(config->receiver, "receiver", receiver_main, false);
	SPAWN(config->ioctls, "ioctl", ioctl_main, true);
	for (int i = 0; i < config->pollers && i < 2; i++) {
		snprintf(name, sizeof(name), "%s-%d", i == 0 ? "poller" : "poller2", index);
		unit->pollers[i] = worker_spawn(name, poller_main, unit, true);
	}
#undef SPAWN
	if (config->managed) {
		snprintf(name, sizeof(name), "manager-%d", index);
		unit->manager = worker_spawn(name, manager_main, unit, false);
	}
	return unit;
}

/* a call blocked for PROMPT_BOUND while what it waits for is there, still so a quarter of that
 * later: a lost wake-up */
static void
check_blocked(struct worker* self, struct unit* unit, struct worker* worker, int kind, bool ready,
	const char* what)
{
	if (worker == NULL)
		return;
	int32 op = __atomic_load_n(&worker->op, __ATOMIC_ACQUIRE);
	bigtime_t start = __atomic_load_n(&worker->op_start, __ATOMIC_RELAXED);
	bigtime_t now = system_time();
	if (op != kind || !ready || now - start < gStress.prompt_bound) {
		worker->suspect = 0;
		return;
	}
	if (worker->suspect != start) {
		worker->suspect = start;
		worker->suspect_since = now;
	} else if (now - worker->suspect_since >= gStress.prompt_bound / 4) {
		stress_fail(self, "%s: %s blocked in %s for %.1f s, %.1f s of it while %s: a lost wake-up",
			unit->name, worker->name, op_name(kind), (now - start) / 1e6,
			(now - worker->suspect_since) / 1e6, what);
		worker->suspect = 0;
	}
}

/* what a blocked call on the unit waits for is there: packets queued for the application, room
 * for a write */
struct unit_ready {
	bool queued, writable;
};

/* the checker's look at a unit: was a packet readable (for the watchdog's evidence, waits.c) */
static void
note_look(struct unit* unit, bool readable)
{
	atomic_set(&unit->last_look_readable, readable ? 1 : 0);
	atomic_set64(&unit->last_look, system_time());
	if (readable)
		atomic_add64(&unit->readable_looks, 1);
	atomic_add64(&unit->looks, 1);
}

static void
check_lost_wakeups(struct worker* self, struct unit* unit, const struct unit_ready* now)
{
	/* A reader: packets queued all along, or for a lone reader packets that arrived since its
	 * call began (with several readers, wake-one goes round them: others may take those). A
	 * poller (always POLLIN): packets that arrived since its poll began (every poller hears of
	 * the transition, or of a queue already non-empty when it began). */
	int64 sent = atomic_get64(&unit->to_app.ok);
	note_look(unit, now->queued);
	for (int i = 0; i < unit->reader_count; i++) {
		struct worker* reader = unit->readers[i];
		bool ready =
			now->queued || (unit->reader_count == 1 && sent - atomic_get64(&reader->mark) >= 2);
		check_blocked(self, unit, reader, OP_READ, ready, "packets are there for it");
	}
	for (int i = 0; i < 2; i++) {
		struct worker* poller = unit->pollers[i];
		if (poller != NULL) {
			check_blocked(self, unit, poller, OP_POLL, sent - atomic_get64(&poller->mark) >= 2,
				"packets arrived");
		}
	}
	check_blocked(self, unit, unit->writer, OP_WRITE, now->writable, "the queue has room");
}

/* Our driver: what TUNTAP_GET_STATS says is queued (the contract tier also checks its identity);
 * writes block only while up and full, and the stack's reader thread keeps draining. */
static status_t
ready_from_stats(
	struct worker* self, struct unit* unit, const struct unit_view* view, struct unit_ready* ready)
{
	struct tuntap_stats stats;
	struct unit_counts before, after;
	int fd = view->fd;
	unit_counts_take(unit, &before);
	op_begin(self, OP_IOCTL, unit->index, gStress.call_bound);
	op_args(self, fd, TUNTAP_GET_STATS, 0);
	status_t status = shim_ioctl_buf(fd, TUNTAP_GET_STATS, &stats, sizeof(stats), sizeof(stats));
	op_end(self, OP_IOCTL);
	op_result(self, status);
	if (status != B_OK)
		return status;
	unit_counts_take(unit, &after);
	check_stats_identity(self, unit->name, &stats);
	checkpoint_stats(self, unit, view->life, &stats, &before, &after);
	size_t room = TUNTAP_DEFAULT_QUEUE_BYTES - (size_t)stats.to_stack.queued_bytes;
	ready->queued = stats.to_app.queued > 0;
	ready->writable = unit->config.up && stats.to_stack.queued < TUNTAP_DEFAULT_QUEUE_PACKETS
					  && room >= packet_max_length(unit);
	return B_OK;
}

/* Any driver (the universal tier): what poll says at once, POLLIN and POLLOUT; a call blocked
 * while its descriptor polls ready for it is a lost wake-up, whatever the driver counts. */
static status_t
ready_from_poll(struct worker* self, struct unit* unit, int fd, struct unit_ready* ready)
{
	struct shim_pollfd poll = {fd, SHIM_POLLIN | SHIM_POLLOUT, 0};
	op_begin(self, OP_POLL, unit->index, gStress.call_bound);
	op_args(self, fd, poll.events, 0);
	int count = shim_poll(&poll, 1, 0);
	op_done(self, OP_POLL, false);
	op_result(self, count > 0 ? poll.revents : count);
	if (count < 0)
		return count;
	ready->queued = (poll.revents & SHIM_POLLIN) != 0;
	ready->writable = (poll.revents & SHIM_POLLOUT) != 0;
	return B_OK;
}

void
units_check_stats(struct worker* self)
{
	for (int i = 0; i < unit_count(); i++) {
		struct unit* unit = unit_at(i);
		pthread_mutex_lock(&unit->lock);
		bool usable = unit->live && !unit->closing;
		struct unit_view view = {unit->fd, unit->life};
		if (usable)
			unit->users++;
		pthread_mutex_unlock(&unit->lock);
		if (!usable)
			continue;
		struct unit_ready ready;
		status_t status = STRESS_CONTRACT ? ready_from_stats(self, unit, &view, &ready)
										  : ready_from_poll(self, unit, view.fd, &ready);
		if (status == B_OK)
			check_lost_wakeups(self, unit, &ready);
		else if (status == B_INTERRUPTED)
			saw_interrupt(self, "ioctl");
		else if (!(status == B_DEVICE_NOT_FOUND && unit_deleted(unit, view.life))
				 && !fault_error(self, status))
			stress_fail_contract(
				self, "%s: TUNTAP_GET_STATS: %s", unit->name, shim_status_name(status));
		unit_leave(unit);
	}
}

void
units_finish(struct worker* self)
{
	for (int i = 0; i < unit_count(); i++) {
		struct unit* unit = unit_at(i);
		if (STRESS_CONTRACT && unit->live && !unit->config.managed && gStress.failures == 0)
			unit_exact_end(self, unit);
		unit->config.open_delete_permille = 0; /* upstream: close first at the end */
		life_end(self, unit);
	}
	for (int i = 0; i < unit_count(); i++) {
		struct unit* unit = unit_at(i);
		pthread_rwlock_destroy(&unit->life_lock);
		pthread_cond_destroy(&unit->changed);
		pthread_mutex_destroy(&unit->lock);
		free(unit);
		sUnits[i] = NULL;
	}
	atomic_set(&sUnitCount, 0);
}
