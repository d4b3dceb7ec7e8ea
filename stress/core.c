/* The stress engine: seeded parameters, operation brackets, failures, the gate for the node check,
 * and the monitor thread (progress line every 10 s, watchdog, result file). */
#include "stress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static pthread_rwlock_t sGate;
static pthread_t sMonitor;
static int32 sMonitorStop;

static const char* const kOpNames[OP_KIND_COUNT] = {"read", "write", "poll", "ioctl", "open",
	"close", "send", "recv", "create", "delete", "updown", "clone", "interrupt", "fault", "check",
	"wait", "teardown", "shutdown"};

const char*
op_name(int kind)
{
	return kind >= 0 && kind < OP_KIND_COUNT ? kOpNames[kind] : "none";
}

/* ---- parameters ---------------------------------------------------------------------------- */

void
note_param(const char* format, ...)
{
	size_t used = strlen(gStress.params);
	if (used + 2 >= sizeof(gStress.params))
		return;
	if (used > 0)
		gStress.params[used++] = ' ';
	va_list args;
	va_start(args, format);
	vsnprintf(gStress.params + used, sizeof(gStress.params) - used, format, args);
	va_end(args);
}

int64
draw(const char* name, int64 low, int64 high)
{
	int64 value = rng_range(&gStress.rng, low, high);
	note_param("%s=%lld", name, (long long)value);
	return value;
}

/* ---- output and failures ------------------------------------------------------------------- */

void
stress_fail(struct worker* worker, const char* format, ...)
{
	char message[400];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);

	int64 count = atomic_add64(&gStress.failures, 1);
	stress_output_lock();
	if (count == 0) {
		snprintf(gStress.first_failure, sizeof(gStress.first_failure), "%s: %s",
			worker != NULL ? worker->name : "main", message);
	}
	if (count < 20) {
		fprintf(stdout, "FAIL [%s seed=%llu] %s: %s\n", gStress.scenario,
			(unsigned long long)gStress.seed, worker != NULL ? worker->name : "main", message);
		fflush(stdout);
	}
	stress_output_unlock();
	/* the call the failure is about was the worker's last on that unit */
	if (worker != NULL)
		history_write_program(__atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED), worker, message);
	/* the first failure ends the scenario: its state is suspect */
	__atomic_store_n(&gStress.stop, 1, __ATOMIC_RELEASE);
}

/* ---- workers ------------------------------------------------------------------------------- */

void
workers_stop_and_join(struct worker* self)
{
	__atomic_store_n(&gStress.stop, 1, __ATOMIC_RELEASE);
	op_begin(self, OP_TEARDOWN, -1, 30 * SECOND);
	for (bool all = false; !all;) {
		all = true;
		for (int i = 0; i < worker_count(); i++) {
			struct worker* worker = worker_at(i);
			if (worker->main == NULL || __atomic_load_n(&worker->done, __ATOMIC_ACQUIRE) != 0)
				continue;
			all = false;
			interrupt_worker(worker);
		}
		if (!all)
			snooze(5000);
	}
	for (int i = 0; i < worker_count(); i++) {
		if (worker_at(i)->main != NULL)
			shim_thread_join(worker_at(i)->thread, NULL);
	}
	op_end(self, OP_TEARDOWN);
}

/* ---- operation brackets -------------------------------------------------------------------- */

int64
faults_injected(void)
{
	int64 total = 0;
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++)
		total += shim_fault_injected((enum shim_fault_site)site);
	return total;
}

/* the history: every call that can go into an ops program (on a unit; fault plans) */
static struct op_record*
current_record(struct worker* worker)
{
	int64 count = __atomic_load_n(&worker->history_count, __ATOMIC_RELAXED);
	return &worker->history[(count - 1) % HISTORY_SIZE];
}

#define SET(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)

static void
history_begin(struct worker* worker, int kind, int unit)
{
	worker->recording = kind < OP_COUNTED && kind != OP_CHECK && (unit >= 0 || kind == OP_FAULT);
	if (!worker->recording)
		return;
	int64 count = __atomic_load_n(&worker->history_count, __ATOMIC_RELAXED);
	struct op_record* record = &worker->history[count % HISTORY_SIZE];
	SET(record->start, system_time());
	SET(record->end, (int64)0);
	SET(record->result, (int64)NO_RESULT);
	SET(record->a, (int64)0);
	SET(record->b, (int64)0);
	SET(record->fd, (int32)-1);
	SET(record->kind, (int16)kind);
	SET(record->unit, (int16)unit);
	__atomic_store_n(&worker->history_count, count + 1, __ATOMIC_RELEASE);
}

void
op_args(struct worker* worker, int fd, int64 a, int64 b)
{
	if (!worker->recording)
		return;
	struct op_record* record = current_record(worker);
	SET(record->fd, (int32)fd);
	SET(record->a, a);
	SET(record->b, b);
}

void
op_result(struct worker* worker, int64 result)
{
	if (worker->recording)
		SET(current_record(worker)->result, result);
}

#undef SET

void
op_begin(struct worker* worker, int kind, int unit, bigtime_t bound)
{
	history_begin(worker, kind, unit);
	worker->fault_mark = faults_injected();
	__atomic_store_n(&worker->op_bound, bound, __ATOMIC_RELAXED);
	__atomic_store_n(&worker->op_unit, unit, __ATOMIC_RELAXED);
	__atomic_store_n(&worker->op_start, system_time(), __ATOMIC_RELAXED);
	__atomic_store_n(&worker->op, kind, __ATOMIC_RELEASE);
}

void
op_done(struct worker* worker, int kind, bool progress)
{
	__atomic_store_n(&worker->op, -1, __ATOMIC_RELEASE);
	if (worker->recording)
		__atomic_store_n(&current_record(worker)->end, system_time(), __ATOMIC_RELAXED);
	if (kind < OP_COUNTED) {
		atomic_add64(&gStress.ops[kind], 1);
		/* the agents (ctrl+c, fault plans, checks) keep going whatever the driver does */
		if (progress && kind != OP_INTERRUPT && kind != OP_FAULT && kind != OP_CHECK)
			__atomic_store_n(&gStress.last_progress, system_time(), __ATOMIC_RELAXED);
	}
}

void
op_end(struct worker* worker, int kind)
{
	op_done(worker, kind, true);
}

bool
fault_during(const struct worker* worker)
{
	return faults_injected() != worker->fault_mark;
}

bool
fault_error(const struct worker* worker, int64 status)
{
	return (status == B_NO_MEMORY || status == B_NO_MORE_SEMS || status == B_BAD_ADDRESS)
		   && fault_during(worker);
}

bool
table_exhausted(int64 status)
{
	if (status != B_NO_MEMORY && status != B_NO_MORE_SEMS)
		return false;
	struct shim_objects objects;
	shim_objects_get(&objects);
	if (objects.semaphores < STRESS_SEMS_FULL)
		return false;
	atomic_add64(&gStress.exhausted, 1);
	return true;
}

bool
create_fault(const struct worker* worker, int64 status)
{
	/* ENODEV: the stack answers a failed init_device with "no device module took the name" */
	return fault_error(worker, status) || (status == B_DEVICE_NOT_FOUND && fault_during(worker));
}

void
saw_interrupt(struct worker* worker, const char* what)
{
	worker->intr_seen++;
	/* from the ctrl+c, or from the start of the call if the ctrl+c came first (pending) */
	bigtime_t since = atomic_get64(&worker->intr_time);
	bigtime_t start = __atomic_load_n(&worker->op_start, __ATOMIC_RELAXED);
	bigtime_t latency = system_time() - (start > since ? start : since);
	if (latency > atomic_get64(&gStress.max_intr_latency))
		atomic_set64(&gStress.max_intr_latency, latency);
	/* only a return some ctrl+c explains has a latency (a driver may also answer a close or a
	 * down with B_INTERRUPTED: Haiku's tunnel.cpp does; our contract says when, below) */
	bool explained = worker->intr_seen <= atomic_get64(&worker->intr_sent);
	if (explained && latency > gStress.prompt_bound) {
		stress_fail(worker, "%s returned B_INTERRUPTED %.3f s after the ctrl+c (bound %.1f s)",
			what, latency / 1e6, gStress.prompt_bound / 1e6);
	}
	if (worker->intr_seen > atomic_get64(&worker->intr_sent)) {
		stress_fail_contract(worker, "%s returned B_INTERRUPTED %lld times, only %lld ctrl+c sent",
			what, (long long)worker->intr_seen, (long long)atomic_get64(&worker->intr_sent));
	}
}

/* ---- the gate and the node check ----------------------------------------------------------- */

void
gate_enter(struct worker* worker)
{
	op_begin(worker, OP_WAIT, -1, gStress.call_bound);
	pthread_rwlock_rdlock(&sGate);
	op_end(worker, OP_WAIT);
}

void
gate_leave(void)
{
	pthread_rwlock_unlock(&sGate);
}

void
check_nodes(struct worker* worker, void (*underGate)(struct worker* worker, int interfaces))
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 200 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	op_begin(worker, OP_WAIT, -1, gStress.call_bound);
	bool alone = pthread_rwlock_timedwrlock(&sGate, &until) == 0;
	op_end(worker, OP_WAIT);
	if (!alone)
		return;
	op_begin(worker, OP_CHECK, -1, gStress.call_bound);
	int interfaces = shim_if_count();
	int nodes = shim_count_nodes("tun/") + shim_count_nodes("tap/");
	if (underGate != NULL)
		underGate(worker, interfaces);
	op_end(worker, OP_CHECK);
	pthread_rwlock_unlock(&sGate);
	atomic_add64(&gStress.node_checks, 1);
	atomic_set64(&gStress.live_units, interfaces);
	if (interfaces > atomic_get64(&gStress.max_live_units))
		atomic_set64(&gStress.max_live_units, interfaces);
	if (nodes - 2 != interfaces) {
		stress_fail_contract(worker,
			"%d interfaces but %d unit nodes published (plus the 2 clone nodes)", interfaces,
			nodes - 2);
	}
}

/* ---- monitor: progress lines, the watchdog, the result file -------------------------------- */

static void
format_elapsed(char* out, size_t size, bigtime_t elapsed)
{
	long long seconds = elapsed / SECOND;
	snprintf(out, size, "%02lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60, seconds % 60);
}

static void
print_progress(bigtime_t now, const int64* previous, bigtime_t period)
{
	char elapsed[32];
	format_elapsed(elapsed, sizeof(elapsed), gStress.elapsed_base + now - gStress.start);
	char rates[400];
	size_t used = 0;
	for (int kind = 0; kind < OP_COUNTED && used < sizeof(rates); kind++) {
		int64 delta = atomic_get64(&gStress.ops[kind]) - previous[kind];
		if (delta == 0 && kind > OP_IOCTL)
			continue;
		used += snprintf(rates + used, sizeof(rates) - used, " %s=%lld", op_name(kind),
			(long long)(delta * SECOND / (period > 0 ? period : 1)));
	}
	stress_print("[%s] %-12s ops/s%s | packets %lld interrupts %lld deletes %lld live %lld "
				 "mem %.1f KiB failures %lld\n",
		elapsed, gStress.scenario, rates, (long long)atomic_get64(&gStress.packets),
		(long long)atomic_get64(&gStress.interrupts), (long long)atomic_get64(&gStress.deletes),
		(long long)atomic_get64(&gStress.live_units), atomic_get64(&gStress.alloc_bytes) / 1024.0,
		(long long)atomic_get64(&gStress.failures));
}

static void
watchdog_fire(const char* reason, const struct worker* culprit)
{
	/* the unit of the stuck call; for no progress at all, the one blocked longest on a unit */
	bigtime_t longest = -1;
	for (int i = 0; culprit == NULL && i < worker_count(); i++) {
		struct worker* worker = worker_at(i);
		int32 unit = __atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED);
		bigtime_t start = __atomic_load_n(&worker->op_start, __ATOMIC_RELAXED);
		if (__atomic_load_n(&worker->op, __ATOMIC_ACQUIRE) >= 0 && unit >= 0
			&& (longest < 0 || start < longest)) {
			longest = start;
			culprit = worker;
		}
	}

	stress_output_lock();
	bigtime_t now = system_time();
	fprintf(stdout, "WATCHDOG [%s seed=%llu]: %s\n", gStress.scenario,
		(unsigned long long)gStress.seed, reason);
	fprintf(stdout, "stress workers (what each is doing now):\n");
	for (int i = 0; i < worker_count(); i++) {
		struct worker* worker = worker_at(i);
		int32 op = __atomic_load_n(&worker->op, __ATOMIC_ACQUIRE);
		fprintf(stdout, "  %-16s thread %-5d ", worker->name, (int)worker->thread);
		if (__atomic_load_n(&worker->done, __ATOMIC_ACQUIRE) != 0)
			fprintf(stdout, "returned\n");
		else if (op < 0)
			fprintf(stdout, "between calls\n");
		else {
			fprintf(stdout, "in %s (unit %d) for %.3f s\n", op_name(op),
				(int)__atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED),
				(now - __atomic_load_n(&worker->op_start, __ATOMIC_RELAXED)) / 1e6);
		}
	}
	if (culprit != NULL)
		traffic_report(stdout, culprit, now);
	shim_dump_threads(stdout);
	fflush(stdout);
	stress_output_unlock();
	snprintf(gStress.first_failure, sizeof(gStress.first_failure), "watchdog: %s", reason);
	if (culprit != NULL) {
		history_write_program(
			__atomic_load_n(&culprit->op_unit, __ATOMIC_RELAXED), culprit, gStress.first_failure);
	}
	atomic_add64(&gStress.failures, 1);
	write_result("stall");
	_exit(3);
}

static void
watchdog_check(bigtime_t now)
{
	char reason[300];
	/* while the scenario runs; teardown and shutdown are bounded call by call */
	bigtime_t last = __atomic_load_n(&gStress.last_progress, __ATOMIC_RELAXED);
	if (!stopping() && now - last > gStress.stall_timeout) {
		snprintf(reason, sizeof(reason), "no operation completed for %.1f s", (now - last) / 1e6);
		watchdog_fire(reason, NULL);
	}
	for (int i = 0; i < worker_count(); i++) {
		struct worker* worker = worker_at(i);
		int32 op = __atomic_load_n(&worker->op, __ATOMIC_ACQUIRE);
		if (op < 0)
			continue;
		bigtime_t start = __atomic_load_n(&worker->op_start, __ATOMIC_RELAXED);
		bigtime_t bound = __atomic_load_n(&worker->op_bound, __ATOMIC_RELAXED);
		/* a starved reader's bound counts from its unit's latest read (waits.c) */
		bigtime_t origin = wait_origin(worker, op, start, now);
		if (__atomic_load_n(&worker->op, __ATOMIC_ACQUIRE) == op && now - origin > bound) {
			snprintf(reason, sizeof(reason),
				"%s blocked in %s on unit %d for %.1f s (bound %.1f s)", worker->name, op_name(op),
				(int)__atomic_load_n(&worker->op_unit, __ATOMIC_RELAXED), (now - start) / 1e6,
				bound / 1e6);
			watchdog_fire(reason, worker);
		}
	}
}

static void*
monitor_main(void* data)
{
	(void)data;
	int64 previous[OP_COUNTED] = {0};
	bigtime_t lastLine = gStress.start;
	bigtime_t period = gStress.progress_every;
	/* lines fall on multiples of the period of the whole run's time */
	bigtime_t next = gStress.start + period - gStress.elapsed_base % period;
	while (__atomic_load_n(&sMonitorStop, __ATOMIC_ACQUIRE) == 0) {
		usleep(50000);
		bigtime_t now = system_time();
		struct shim_objects objects;
		shim_objects_get(&objects);
		atomic_set64(&gStress.alloc_bytes, objects.alloc_bytes);
		if (objects.alloc_bytes > atomic_get64(&gStress.max_alloc_bytes))
			atomic_set64(&gStress.max_alloc_bytes, objects.alloc_bytes);
		watchdog_check(now);
		if (now >= next) {
			print_progress(now, previous, now - lastLine);
			for (int kind = 0; kind < OP_COUNTED; kind++)
				previous[kind] = atomic_get64(&gStress.ops[kind]);
			lastLine = now;
			next += period;
		}
	}
	return NULL;
}

void
monitor_start(void)
{
	pthread_rwlockattr_t attributes;
	pthread_rwlockattr_init(&attributes);
	/* the node check must not starve behind a stream of shared holders */
	pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sGate, &attributes);
	pthread_rwlockattr_destroy(&attributes);
	__atomic_store_n(&gStress.last_progress, system_time(), __ATOMIC_RELAXED);
	pthread_create(&sMonitor, NULL, monitor_main, NULL);
}

void
monitor_stop(void)
{
	__atomic_store_n(&sMonitorStop, 1, __ATOMIC_RELEASE);
	pthread_join(sMonitor, NULL);
}

static void
json_string(FILE* out, const char* text)
{
	fputc('"', out);
	for (const char* c = text; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

void
write_result(const char* status)
{
	bigtime_t elapsed = system_time() - gStress.start;
	/* one line for the runner to parse, then the JSON file */
	int64 total = 0;
	for (int kind = 0; kind < OP_COUNTED; kind++)
		total += atomic_get64(&gStress.ops[kind]);
	fprintf(stdout,
		"RESULT scenario=%s seed=%llu status=%s seconds=%.1f ops=%lld packets=%lld "
		"interrupts=%lld deletes=%lld max_live=%lld max_alloc_bytes=%lld starved=%lld "
		"longest_wait_s=%.1f failures=%lld\n",
		gStress.scenario, (unsigned long long)gStress.seed, status, elapsed / 1e6, (long long)total,
		(long long)atomic_get64(&gStress.packets), (long long)atomic_get64(&gStress.interrupts),
		(long long)atomic_get64(&gStress.deletes), (long long)atomic_get64(&gStress.max_live_units),
		(long long)atomic_get64(&gStress.max_alloc_bytes),
		(long long)atomic_get64(&gStress.starved_reads),
		atomic_get64(&gStress.longest_shared_wait) / 1e6,
		(long long)atomic_get64(&gStress.failures));
	fflush(stdout);
	if (gStress.result_path == NULL)
		return;
	FILE* out = fopen(gStress.result_path, "w");
	if (out == NULL)
		return;
	fprintf(out, "{\"scenario\":\"%s\",\"seed\":%llu,\"status\":\"%s\",\"seconds\":%.1f,",
		gStress.scenario, (unsigned long long)gStress.seed, status, elapsed / 1e6);
	fprintf(out, "\"params\":");
	json_string(out, gStress.params);
	fprintf(out, ",\"ops\":{");
	for (int kind = 0; kind < OP_COUNTED; kind++) {
		fprintf(out, "%s\"%s\":%lld", kind > 0 ? "," : "", op_name(kind),
			(long long)atomic_get64(&gStress.ops[kind]));
	}
	fprintf(out,
		"},\"packets\":%lld,\"interrupts\":%lld,\"deletes\":%lld,\"exhausted\":%lld,"
		"\"fault_windows\":%lld,\"node_checks\":%lld,\"max_live_units\":%lld,"
		"\"max_alloc_bytes\":%lld,\"max_interrupt_latency_us\":%lld,\"starved_reads\":%lld,"
		"\"longest_shared_wait_us\":%lld,\"failures\":%lld,\"first_failure\":",
		(long long)atomic_get64(&gStress.packets), (long long)atomic_get64(&gStress.interrupts),
		(long long)atomic_get64(&gStress.deletes), (long long)atomic_get64(&gStress.exhausted),
		(long long)atomic_get64(&gStress.fault_windows),
		(long long)atomic_get64(&gStress.node_checks),
		(long long)atomic_get64(&gStress.max_live_units),
		(long long)atomic_get64(&gStress.max_alloc_bytes),
		(long long)atomic_get64(&gStress.max_intr_latency),
		(long long)atomic_get64(&gStress.starved_reads),
		(long long)atomic_get64(&gStress.longest_shared_wait),
		(long long)atomic_get64(&gStress.failures));
	json_string(out, gStress.first_failure);
	fprintf(out, "}\n");
	fclose(out);
}
