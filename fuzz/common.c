/* Shared core of the fuzz harnesses: the per-input lifecycle (boot, reset and leak check), traces,
 * checks that abort with context, fault-plan bookkeeping and small shim helpers. */
#include "common.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef FZ_DET
#include "shim_sched.h"
#define FZ_ONE_HOST_THREAD 1 /* every shim thread is a fiber of the harness's thread */
#else
#define FZ_ONE_HOST_THREAD 0
#endif

bool fz_verbose;
bool fz_reboot;
FILE* fz_out;
int fz_slot[FZ_SLOTS] = {-1, -1, -1, -1, -1, -1, -1, -1};

const struct fz_sym fz_fault_syms[] = {{"alloc", SHIM_FAULT_ALLOC}, {"sem", SHIM_FAULT_SEM},
	{"publish", SHIM_FAULT_PUBLISH}, {"copy", SHIM_FAULT_USER_COPY},
	{"netbuf", SHIM_FAULT_NET_BUFFER}, {NULL, 0}};
const struct fz_sym fz_ptr_syms[] = {{"user", FZ_PTR_USER}, {"bad", FZ_PTR_BAD},
	{"null", FZ_PTR_NULL}, {"straddle", FZ_PTR_STRADDLE}, {"user", FZ_PTR_USER}, {NULL, 0}};

static const struct fz_program* sProgram;
/* the op this thread runs: a shim thread's own (shim_sched_thread_local), void* for that */
static __thread void* tCurrentOp;
static uint64 sDigest;
static bool sBooted;
static struct shim_objects sBaseline;

/* ---- tracing and checks -------------------------------------------------------------------- */

static void
digest_add(uint64 value)
{
	for (int i = 0; i < 8; i++) {
		sDigest ^= (uint8)(value >> (8 * i));
		sDigest *= 0x100000001b3ULL;
	}
}

uint64
fz_digest(void)
{
	return sDigest;
}

static void point_begin_op(void);

void
fz_begin_op(const struct fz_op* op)
{
	tCurrentOp = (void*)op;
	point_begin_op();
	if (fz_verbose && (fz_harness.flags & FZ_THREADS)) {
		flockfile(fz_out);
		fprintf(fz_out, "[%3d] ", op->index);
		fz_print_op(fz_out, op, false);
		fputs("\n", fz_out);
		funlockfile(fz_out);
	}
}

void
fz_end_op(int64 result)
{
	const struct fz_op* op = tCurrentOp;
	if (op != NULL) {
		/* the digest is shared by the harness threads; the deterministic build runs them all on
		 * one host thread, so only the free-running one needs fz_out's lock around it */
		bool lock = fz_verbose || !FZ_ONE_HOST_THREAD;
		if (lock)
			flockfile(fz_out);
		digest_add((uint64)op->index << 32 | (uint32)op->code);
		digest_add((uint64)result);
		if (fz_verbose) {
			if (fz_harness.flags & FZ_THREADS)
				fprintf(fz_out, "      # [%3d] t%d %s -> %s\n", op->index, op->thread,
					fz_harness.ops[op->code].name, shim_status_name(result));
			else {
				fprintf(fz_out, "[%3d] ", op->index);
				fz_print_op(fz_out, op, false);
				fprintf(fz_out, "  # -> %s\n", shim_status_name(result));
			}
		}
		if (lock)
			funlockfile(fz_out);
	}
	tCurrentOp = NULL;
}

void
fz_trace(const char* format, ...)
{
	if (!fz_verbose)
		return;
	va_list args;
	va_start(args, format);
	flockfile(fz_out);
	fputs("      # ", fz_out);
	vfprintf(fz_out, format, args);
	fputs("\n", fz_out);
	funlockfile(fz_out);
	va_end(args);
}

const struct fz_op*
fz_current_op(void)
{
	return tCurrentOp;
}

/* on stderr: `before`, then "op [N]: <the op>" for `op` (the op the calling thread runs, or one
 * a check on another thread is about), or "between ops (...)", and the driver line; a failed check
 * and a sanitizer's report both end with it. */
static void
print_op(const char* before, const struct fz_op* op)
{
	fputs(before, stderr);
	if (op != NULL) {
		fprintf(stderr, "op [%d]: ", op->index);
		fz_print_op(stderr, op, false);
		fputs("\n", stderr);
	} else
		fputs("between ops (setup, end-of-input checks or reset)\n", stderr);
	fz_print_driver_line(op);
}

static void __attribute__((noreturn))
fail_at(const struct fz_op* current, const char* format, va_list args)
{
	fflush(fz_out);
	fprintf(stderr, "\nfuzz %s: CHECK FAILED: ", fz_harness.name);
	vfprintf(stderr, format, args);
	fputs("\n", stderr);
	print_op("  in ", current);
	if (sProgram != NULL && !fz_verbose) {
		fputs("  program:\n", stderr);
		for (int i = 0; i < sProgram->count; i++) {
			fprintf(stderr, "  %s [%3d] ", current != NULL && current->index == i ? ">>" : "  ", i);
			fz_print_op(stderr, &sProgram->ops[i], false);
			fputs("\n", stderr);
		}
	}
	fflush(stderr);
	abort();
}

void
fz_fail(const char* format, ...)
{
	va_list args;
	va_start(args, format);
	fail_at(tCurrentOp, format, args);
}

void
fz_fail_at(const struct fz_op* op, const char* format, ...)
{
	va_list args;
	va_start(args, format);
	fail_at(op, format, args);
}

bool
fz_in(int64 status, const int64* set)
{
	for (; *set != FZ_SET_END; set++) {
		if (*set == status)
			return true;
	}
	return false;
}

void
fz_expect_in(const char* what, int64 status, const int64* set)
{
	if (!FZ_CONTRACT || fz_in(status, set))
		return;
	char expected[512];
	size_t used = 0;
	for (; *set != FZ_SET_END && used < sizeof(expected) - 40; set++)
		used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%s",
			used > 0 ? ", " : "", shim_status_name(*set));
	fz_fail("%s returned %s; expected one of: %s", what, shim_status_name(status), expected);
}

void
fz_check_write_room(int64 status)
{
	FZ_CHECK(status != SHIM_ENOBUFS,
		"write refused a frame with ENOBUFS (no room): a blocking write must wait for room, a "
		"non-blocking one say B_WOULD_BLOCK, so poll's POLLOUT means something");
}

void
fz_expect(const char* what, int64 got, int64 want, int64 alt, int64 faults)
{
	if (!FZ_CONTRACT || got == want || got == alt)
		return;
	if (fz_faults_injected() > faults)
		FZ_EXPECT_IN(what, got, want, alt, FZ_FAULT_STATUSES);
	else if (want == alt)
		fz_fail("%s returned %s, the contract says %s", what, shim_status_name(got),
			shim_status_name(want));
	else
		fz_fail("%s returned %s, the contract says %s or %s", what, shim_status_name(got),
			shim_status_name(want), shim_status_name(alt));
}

void
fz_check_stats(const struct tuntap_stats* stats, const char* where)
{
	const struct tuntap_queue_stats* queues[2] = {&stats->to_app, &stats->to_stack};
	for (int i = 0; FZ_CONTRACT && i < 2; i++) {
		const struct tuntap_queue_stats* q = queues[i];
		FZ_CHECK(q->enqueued == q->dequeued + q->dropped + q->queued,
			"%s: %s: enqueued %llu != dequeued %llu + dropped %llu + queued %llu", where,
			i == 0 ? "to_app" : "to_stack", (unsigned long long)q->enqueued,
			(unsigned long long)q->dequeued, (unsigned long long)q->dropped,
			(unsigned long long)q->queued);
		FZ_CHECK((q->queued == 0) == (q->queued_bytes == 0), "%s: %s: %llu packets but %llu bytes",
			where, i == 0 ? "to_app" : "to_stack", (unsigned long long)q->queued,
			(unsigned long long)q->queued_bytes);
	}
}

/* ---- faults -------------------------------------------------------------------------------- */

static struct {
	bool armed;
	bool persistent;
	int64 target; /* the call number (shim_fault_calls) that fails first */
} sPlan[SHIM_FAULT_SITE_COUNT];
static int64 sQuietCalls[SHIM_FAULT_SITE_COUNT];
static int sQuietDepth;
/* the header's failnth: the any-site plan (shim_fault_fail_point), in shim_fault_points() */
static struct {
	bool armed, reached;
	int64 target;
	int64 pending; /* the nth to arm at the first op: the harness's own setup does not count */
} sPoint;
static int64 sQuietPoints;
int64 fz_sweep_nth;

/* the any-site plan's target passed: it failed that call (and is spent) */
static void
point_settle(void)
{
	if (sPoint.armed && shim_fault_points() >= sPoint.target) {
		sPoint.armed = false;
		sPoint.reached = true;
	}
}

static void
point_arm(int64 nth)
{
	sPoint.armed = nth > 0;
	sPoint.reached = false;
	sPoint.target = shim_fault_points() + nth;
	shim_fault_fail_point(nth > 0 ? nth : 0);
}

/* the first op arms the input's failnth */
static void
point_begin_op(void)
{
	if (sPoint.pending > 0) {
		point_arm(sPoint.pending);
		sPoint.pending = 0;
	}
}

bool
fz_fault_point_reached(void)
{
	point_settle();
	return sPoint.reached;
}

void
fz_fault_arm(int site, int64 nth, bool persistent)
{
	if (site < 0 || site >= SHIM_FAULT_SITE_COUNT)
		return;
	sPlan[site].armed = nth > 0;
	sPlan[site].persistent = persistent;
	sPlan[site].target = shim_fault_calls(site) + nth;
	shim_fault_fail_nth(site, nth > 0 ? nth : 0, persistent);
}

void
fz_quiet_begin(void)
{
	if (sQuietDepth++ > 0)
		return;
	point_settle();
	sQuietPoints = shim_fault_points();
	if (sPoint.armed)
		shim_fault_fail_point(0);
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++) {
		sQuietCalls[site] = shim_fault_calls(site);
		if (sPlan[site].armed)
			shim_fault_fail_nth(site, 0, false);
	}
}

void
fz_quiet_end(void)
{
	if (--sQuietDepth > 0)
		return;
	if (sPoint.armed) { /* the calls in between do not count */
		int64 now = shim_fault_points();
		sPoint.target += now - sQuietPoints;
		shim_fault_fail_point(sPoint.target - now);
	}
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++) {
		if (!sPlan[site].armed)
			continue;
		int64 now = shim_fault_calls(site);
		sPlan[site].target += now - sQuietCalls[site];
		int64 nth = sPlan[site].target - now;
		if (nth >= 1)
			shim_fault_fail_nth(site, nth, sPlan[site].persistent);
		else if (sPlan[site].persistent)
			shim_fault_fail_nth(site, 1, true);
		else
			sPlan[site].armed = false;
	}
}

void
fz_faults_off(void)
{
	point_settle();
	sPoint.armed = false;
	shim_fault_fail_point(0);
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++) {
		sPlan[site].armed = false;
		shim_fault_fail_nth(site, 0, false);
	}
}

int64
fz_faults_injected(void)
{
	int64 total = 0;
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++)
		total += shim_fault_injected(site);
	return total;
}

/* ---- descriptors, user memory, names ------------------------------------------------------- */

void*
fz_user_pointer(int kind, size_t size, const void* init, size_t initSize)
{
	switch (kind) {
		case FZ_PTR_BAD:
			return shim_user_bad_address();
		case FZ_PTR_NULL:
			return NULL;
		case FZ_PTR_STRADDLE:
			return shim_user_straddle_end(size > 0 ? size : 1);
		default: {
			/* shim_user_alloc() zero-fills */
			uint8* user = shim_user_alloc(size > 0 ? size : 1);
			FZ_CHECK(user != NULL, "shim_user_alloc(%zu) failed", size);
			if (init != NULL && initSize > 0)
				shim_user_put(user, init, initSize < size ? initSize : size);
			return user;
		}
	}
}

void
fz_user_release(int kind, void* pointer)
{
	if (kind == FZ_PTR_USER && pointer != NULL)
		shim_user_free(pointer);
}

void
fz_pattern(uint8* out, size_t length, uint8 seed)
{
	/* out[i] = seed + 7 * i: one memcpy from a table (7 * 183 == 1 mod 256) */
	static uint8 table[FZ_PATTERN_MAX + 256];
	static bool ready;
	if (!ready) {
		for (size_t i = 0; i < sizeof(table); i++)
			table[i] = (uint8)(7 * i);
		ready = true;
	}
	if (length > FZ_PATTERN_MAX)
		length = FZ_PATTERN_MAX;
	memcpy(out, table + (uint8)(seed * 183), length);
}

const struct fz_sym fz_frame_syms[] = {{"ip4", FZ_IP4}, {"ip6", FZ_IP6}, {"af4", FZ_AF4},
	{"af6", FZ_AF6}, {"bcast", FZ_BCAST}, {"arp", FZ_ARP}, {"badver", FZ_BADVER},
	{"badaf", FZ_BADAF}, {NULL, 0}};
const uint8 fz_app_mac[6] = {0x02, 0x41, 0x50, 0x50, 0x00, 0x01};
const uint8 fz_app_ip[4] = {10, 0, 0, 2};
const uint8 fz_peer_ip[4] = {10, 0, 0, 1};

static void
put_be(uint8* p, uint32 value, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8)(value >> (8 * (bytes - 1 - i)));
}

size_t
fz_frame(uint8* out, size_t length, bool tap, int kind, uint8 seed)
{
	length = length < FZ_FRAME_MAX ? length : FZ_FRAME_MAX;
	fz_pattern(out, length, seed);
	uint8 head[64];
	size_t size = 0;
	bool v6 = kind == FZ_IP6 || kind == FZ_AF6;
	if (tap) {
		memset(head, kind == FZ_BCAST || kind == FZ_ARP ? 0xff : 0x06, 6);
		memcpy(head + 6, fz_app_mac, 6);
		put_be(head + 12, kind == FZ_ARP ? 0x0806 : v6 ? 0x86dd : 0x0800, 2);
		size = 14;
		if (kind == FZ_ARP) {
			static const uint8 kRequest[8] = {0, 1, 8, 0, 6, 4, 0, 1};
			memcpy(head + 14, kRequest, 8);
			memcpy(head + 22, fz_app_mac, 6);
			memcpy(head + 28, fz_app_ip, 4);
			memset(head + 32, 0, 6);
			memcpy(head + 38, fz_peer_ip, 4);
			size = 42;
		}
	} else if (kind == FZ_AF4 || kind == FZ_AF6 || kind == FZ_BADAF) {
		put_be(head, kind == FZ_BADAF ? AF_LINK : v6 ? AF_INET6 : AF_INET, 4);
		size = 4;
	}
	if (kind != FZ_ARP) {
		head[size] = kind == FZ_BADVER ? 0x55 : v6 ? 0x60 : 0x45;
		head[size + 1] = 0;
		put_be(head + size + 2, (uint32)length, 2);
		head[size + 4] = seed;
		size += 5;
	}
	memcpy(out, head, size < length ? size : length);
	return length;
}

static void* sStatsUser; /* user memory for fz_get_stats, allocated at boot */

bool
fz_get_stats(int fd, struct tuntap_stats* stats)
{
	fz_quiet_begin();
	status_t status = shim_ioctl(fd, TUNTAP_GET_STATS, sStatsUser, sizeof(*stats));
	fz_quiet_end();
	if (status == B_OK)
		shim_user_get(stats, sStatsUser, sizeof(*stats));
	return status == B_OK;
}

/* ---- the per-input lifecycle --------------------------------------------------------------- */

static void
boot(void)
{
#ifdef FZ_DET
	shim_sched_thread_local(&tCurrentOp);
	fz_driver_lines_follow_threads();
#endif
	/* universal tier: only what Haiku would have allocated is a leak (shim.h) */
	shim_leak_count_mutexes(FZ_CONTRACT);
	status_t status = shim_boot();
	FZ_CHECK(status == B_OK, "shim_boot: %s", shim_status_name(status));
	/* an application's first lookups: devfs loads our add-on's devfs driver part, whose clone
	 * nodes stay, so the baseline holds them (driver/tests/test_lazy.c tests the boot before;
	 * Haiku's own tunnel has no such part: not found there, and the harnesses' clone opens
	 * check what they get) */
	shim_lookup("/dev/tun/clone");
	shim_lookup("/dev/tap/clone");
	sStatsUser = shim_user_alloc(sizeof(struct tuntap_stats));
	shim_objects_get(&sBaseline);
	sBooted = true;
}

static void
reset(void)
{
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++)
		sPlan[site].armed = false;
	point_settle();
	sPoint.armed = false;
	sQuietDepth = 0;
	shim_fault_clear();
	for (int i = 0; i < FZ_SLOTS; i++) {
		if (fz_slot[i] >= 0)
			shim_close(fz_slot[i]);
		fz_slot[i] = -1;
	}
	fz_delete_all_interfaces(sProgram != NULL && sProgram->any_unit);
	/* an interrupt the input left pending on this thread ends with this call */
	shim_close(-1);
	if (shim_leak_check(&sBaseline, "after the input") != 0)
		fz_fail("objects left after the input (listed above)");
}

/* After a sanitizer's report (ASan, UBSan): which op of which thread was running, as a failed
 * check says it. A fiber of the deterministic shim reports as "thread T0": this names it. ASan's
 * report callback leaves libFuzzer's death callback alone (the one that saves the crashing
 * input: replacing it lost every sanitizer finding's artifact); the replayer, which saves
 * nothing, also takes the death callback, for UBSan's reports. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
extern void __asan_set_error_report_callback(void (*callback)(const char*)) __attribute__((weak));

static void
report_current_op(void)
{
	static bool sReported;
	if (sReported)
		return;
	sReported = true;
	fflush(fz_out);
	fprintf(stderr, "\nfuzz %s: the report above came ", fz_harness.name);
	print_op("from ", tCurrentOp);
	fflush(stderr);
}

static void
report_current_op_after(const char* report)
{
	(void)report; /* already printed */
	report_current_op();
}

void
fz_report_op_on_death(void)
{
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(report_current_op);
}

void
fz_run_input(const uint8* data, size_t size)
{
	static struct fz_program program;
	if (fz_out == NULL)
		fz_out = stdout;
	static bool sReportCallback;
	if (!sReportCallback) {
		if (__asan_set_error_report_callback != NULL)
			__asan_set_error_report_callback(report_current_op_after);
		shim_set_panic_hook(report_current_op); /* a panic names the op too */
		sReportCallback = true;
	}
	fz_decode(data, size, &program);
	if (fz_sweep_nth > 0)
		program.fail_nth = fz_sweep_nth;
	sProgram = &program;
	fz_driver_lines_start(program.count);
	sDigest = 0xcbf29ce484222325ULL;
#ifdef FZ_DET
	shim_sched_set_tape(program.tape, program.tape_size);
	shim_sched_set_strategy(SHIM_SCHED_TAPE, 0); /* a boot runs as it always did */
	shim_sched_set_trace(fz_verbose ? fz_out : NULL);
#endif
	if (!sBooted)
		boot();
#ifdef FZ_DET
	else if (fz_harness.flags & FZ_TAPE)
		shim_sched_restart(); /* decisions that read the tape: as after a boot */
	/* the input's strategy reads the tape from where the boot left it */
	if (fz_harness.flags & FZ_TAPE)
		shim_sched_set_strategy(program.sched >= 0 ? program.sched : fz_sched_default,
			program.sched >= 0 ? program.sched_depth : FZ_SCHED_DEPTH);
#endif
	if (fz_verbose)
		fz_print_header(fz_out, &program);
	sPoint.armed = sPoint.reached = false;
	sPoint.pending = program.fail_nth; /* armed by the first op (fz_begin_op) */
	fz_growth_start();
	fz_harness.run(&program);
	tCurrentOp = NULL;
	fz_growth_check(program.count);
	reset();
	if (fz_reboot)
		fz_finish();
	sProgram = NULL;
}

status_t
fz_finish(void)
{
	if (!sBooted)
		return B_OK;
	sBooted = false;
	shim_user_free(sStatsUser);
	status_t status = shim_shutdown();
	FZ_CHECK(
		status == B_OK, "shim_shutdown: %s (leak check; report above)", shim_status_name(status));
	return status;
}

/* ---- sanitizer defaults -------------------------------------------------------------------- */

/* The shim's net_buffer cache keeps buffers in ASan-poisoned memory: LSan must see the pointers
 * held there, or every exit reports them as leaks. Built in, so every engine and runner (OSS-Fuzz
 * included) has it; LSAN_OPTIONS can still override it. */
const char* __lsan_default_options(void);
const char*
__lsan_default_options(void)
{
	return "use_poisoned=1";
}

/* ---- libFuzzer entry points (the AFL++ and replay mains call the same functions) ----------- */

static void
finish_at_exit(void)
{
	fz_finish();
}

int fz_sched_default = SHIM_SCHED_TAPE;

int
LLVMFuzzerInitialize(int* argc, char*** argv)
{
	fz_out = stdout;
	const char* sched = getenv("FUZZ_SCHED"); /* make fuzz SCHED=: checked by tools/knobs.sh */
	if (sched != NULL && sched[0] != '\0') {
		fz_sched_default = -1;
		for (int i = 0; fz_sched_syms[i].name != NULL; i++) {
			if (strcmp(fz_sched_syms[i].name, sched) == 0)
				fz_sched_default = (int)fz_sched_syms[i].value;
		}
		if (fz_sched_default < 0) {
			fprintf(stderr, "FUZZ_SCHED=%s: use tape, pct, chaos or mix\n", sched);
			exit(2);
		}
	}
	/* A tape harness's schedule restarts for every input either way (its decisions then read
	 * the tape as after a fresh boot); ops (four threads, fault plans) boots afresh for every
	 * input all the same (FZ_REBOOT), so that an input replays exactly as the replayer runs it. */
	const char* reboot = getenv("FUZZ_REBOOT");
#ifdef FZ_DET
	bool byDefault = (fz_harness.flags & FZ_REBOOT) != 0;
#else
	bool byDefault = false;
#endif
	fz_reboot = reboot != NULL ? strcmp(reboot, "1") == 0 : byDefault;
	fz_known_load();
	atexit(finish_at_exit);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	if (fz_known_set_aside(data, size) != NULL)
		return -1; /* a known finding: the engine keeps nothing of this input */
	fz_run_input(data, size);
	return 0;
}
