/* cmocka tests of the deterministic scheduler (make SAN=det): tapes replay exactly, tapes steer
 * interleavings, virtual time, deadlocks, interrupts, the driver under tapes, fibers, the pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lock.h>

#include "child_test.h"
#include "host/host.h"
#include "host/host_asan.h"
#include "shim_private.h"
#include "shim_sched.h"

#if SHIM_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#define SECOND 1000000LL
#define TAPES 48
#define TAPE_LENGTH 40

/* ---- helpers ------------------------------------------------------------------------------ */

static status_t
join(thread_id thread)
{
	status_t result = B_ERROR;
	assert_int_equal(shim_thread_join(thread, &result), B_OK);
	return result;
}

static bigtime_t
wall_time(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (bigtime_t)now.tv_sec * SECOND + now.tv_nsec / 1000;
}

/* tape number `seed`: bytes from a fixed LCG, so every run of the test sees the same tapes */
static void
make_tape(uint8* tape, size_t length, uint32 seed)
{
	uint32 state = seed * 2654435761u + 12345;
	for (size_t i = 0; i < length; i++) {
		state = state * 1103515245u + 12345;
		tape[i] = (uint8)(state >> 16);
	}
}

/* the result of one input: the decision trace and what the scenario observed */
struct run {
	char* trace;
	size_t trace_length;
	char log[256];
	uint64 decisions;
};

static void
free_run(struct run* run)
{
	free(run->trace);
	run->trace = NULL;
}

/* one input as a harness runs it: tape, boot, scenario, shutdown (which checks for leaks) */
static void
run_input(const uint8* tape, size_t length, void (*scenario)(struct run*), struct run* run)
{
	memset(run, 0, sizeof(*run));
	FILE* trace = open_memstream(&run->trace, &run->trace_length);
	assert_non_null(trace);
	shim_sched_set_tape(tape, length);
	shim_sched_set_trace(trace);
	assert_int_equal(shim_boot(), B_OK);
	scenario(run);
	run->decisions = shim_sched_decisions();
	assert_int_equal(shim_shutdown(), B_OK);
	shim_sched_set_trace(NULL);
	fclose(trace);
	shim_sched_set_tape(NULL, 0);
	assert_true(run->trace_length > 0);
}

/* the same without a trace, as a fuzzer runs inputs */
static void
run_quiet(const uint8* tape, size_t length, void (*scenario)(struct run*))
{
	struct run run;
	memset(&run, 0, sizeof(run));
	shim_sched_set_tape(tape, length);
	assert_int_equal(shim_boot(), B_OK);
	scenario(&run);
	assert_int_equal(shim_shutdown(), B_OK);
}

static void
assert_same_run(const struct run* a, const struct run* b)
{
	assert_string_equal(a->log, b->log);
	assert_int_equal(a->decisions, b->decisions);
	assert_int_equal(a->trace_length, b->trace_length);
	assert_memory_equal(a->trace, b->trace, a->trace_length);
}

/* ---- scenario: two threads incrementing under a mutex and racing for one semaphore unit ---- */

struct race {
	mutex lock;
	sem_id sem;
	int counter;
	char* log;
	size_t used;
};

struct racer {
	struct race* race;
	char name;
};

static void
race_log(struct race* race, char c)
{
	if (race->used < 200)
		race->log[race->used++] = c;
}

static status_t
racer_thread(void* data)
{
	struct racer* racer = data;
	struct race* race = racer->race;
	for (int i = 0; i < 4; i++) {
		mutex_lock(&race->lock);
		race_log(race, racer->name);
		race->counter++;
		mutex_unlock(&race->lock);
	}
	/* one unit for two takers: the loser times out (virtual time, so deterministically) */
	if (acquire_sem_etc(race->sem, 1, B_RELATIVE_TIMEOUT, 1000) == B_OK) {
		mutex_lock(&race->lock);
		race_log(race, '>');
		race_log(race, racer->name);
		mutex_unlock(&race->lock);
	}
	return B_OK;
}

static void
race_scenario(struct run* run)
{
	struct race race = {.log = run->log};
	mutex_init(&race.lock, "race");
	race.sem = create_sem(0, "race");
	assert_int_equal(release_sem(race.sem), B_OK);
	struct racer a = {&race, 'a'}, b = {&race, 'b'};
	thread_id first = shim_thread_spawn("racer a", racer_thread, &a);
	thread_id second = shim_thread_spawn("racer b", racer_thread, &b);
	assert_int_equal(join(first), B_OK);
	assert_int_equal(join(second), B_OK);
	assert_int_equal(race.counter, 8);
	assert_non_null(strchr(run->log, '>')); /* exactly one winner */
	assert_null(strchr(strchr(run->log, '>') + 1, '>'));
	delete_sem(race.sem);
	mutex_destroy(&race.lock);
}

static void
test_same_tape_same_trace(void** state)
{
	uint8 tape[TAPE_LENGTH], other[TAPE_LENGTH];
	make_tape(tape, sizeof(tape), 1);
	make_tape(other, sizeof(other), 2);
	struct run first, again, between, last;
	run_input(tape, sizeof(tape), race_scenario, &first);
	run_input(tape, sizeof(tape), race_scenario, &again);
	assert_same_run(&first, &again);
	/* another input in between changes nothing for the next one */
	run_input(other, sizeof(other), race_scenario, &between);
	run_input(tape, sizeof(tape), race_scenario, &last);
	assert_same_run(&first, &last);
	assert_true(shim_sched_is_deterministic());
	assert_true(first.decisions > 10);
	assert_non_null(strstr(first.trace, "(tape[0]="));
	free_run(&first);
	free_run(&again);
	free_run(&between);
	free_run(&last);
}

static void
test_tapes_steer_interleavings(void** state)
{
	char logs[TAPES][256];
	int distinct = 0;
	bool aWon = false, bWon = false;
	for (uint32 seed = 0; seed < TAPES; seed++) {
		uint8 tape[TAPE_LENGTH];
		make_tape(tape, sizeof(tape), seed + 100);
		struct run run, replay;
		run_input(tape, sizeof(tape), race_scenario, &run);
		run_input(tape, sizeof(tape), race_scenario, &replay);
		assert_same_run(&run, &replay);
		aWon |= strstr(run.log, ">a") != NULL;
		bWon |= strstr(run.log, ">b") != NULL;
		bool seen = false;
		for (int i = 0; i < distinct && !seen; i++)
			seen = strcmp(logs[i], run.log) == 0;
		if (!seen)
			strcpy(logs[distinct++], run.log);
		free_run(&run);
		free_run(&replay);
	}
	/* no tape (the default policy) is one more schedule, also reproducible */
	struct run plain, plainAgain;
	run_input(NULL, 0, race_scenario, &plain);
	run_input(NULL, 0, race_scenario, &plainAgain);
	assert_same_run(&plain, &plainAgain);
	print_message("%d distinct interleavings from %d tapes, e.g. %s / %s; no tape: %s\n", distinct,
		TAPES, logs[0], logs[distinct - 1], plain.log);
	free_run(&plain);
	free_run(&plainAgain);
	assert_true(distinct >= 8);
	assert_true(aWon && bWon);
}

/* ---- virtual time ------------------------------------------------------------------------- */

struct timed {
	sem_id sem;
	status_t status;
	bigtime_t returned;
};

static status_t
timed_acquire(void* data)
{
	struct timed* timed = data;
	timed->status = acquire_sem_etc(timed->sem, 1, B_RELATIVE_TIMEOUT, 5 * SECOND);
	timed->returned = system_time();
	return B_OK;
}

static void
test_virtual_time(void** state)
{
	assert_int_equal(shim_boot(), B_OK);
	bigtime_t wallStart = wall_time();
	bigtime_t start = system_time();
	assert_int_equal(snooze(10 * SECOND), B_OK);
	assert_int_equal(system_time() - start, 10 * SECOND);

	/* a helper times out at 5 s while we sleep until 20 s */
	struct timed timed = {.sem = create_sem(0, "never released")};
	start = system_time();
	thread_id helper = shim_thread_spawn("timed", timed_acquire, &timed);
	assert_int_equal(snooze_until(start + 20 * SECOND, B_SYSTEM_TIMEBASE), B_OK);
	assert_int_equal(system_time(), start + 20 * SECOND);
	assert_int_equal(join(helper), B_OK);
	assert_int_equal(timed.status, B_TIMED_OUT);
	assert_true(timed.returned >= start + 5 * SECOND && timed.returned < start + 5 * SECOND + 1000);
	delete_sem(timed.sem);

	bigtime_t wall = wall_time() - wallStart;
	print_message("30 virtual seconds took %lld us of wall time\n", (long long)wall);
	assert_true(wall < SECOND / 2);
	assert_int_equal(shim_shutdown(), B_OK);
}

/* ---- deadlock report ------------------------------------------------------------------------ */

static status_t
acquire_forever(void* data)
{
	return acquire_sem(*(sem_id*)data);
}

static void
deadlock_child(void)
{
	assert_int_equal(shim_boot(), B_OK);
	sem_id first = create_sem(0, "held by nobody 1");
	sem_id second = create_sem(0, "held by nobody 2");
	thread_id a = shim_thread_spawn("waits for 1", acquire_forever, &first);
	thread_id b = shim_thread_spawn("waits for 2", acquire_forever, &second);
	shim_thread_join(a, NULL);
	shim_thread_join(b, NULL);
}

static void
test_deadlock_is_reported(void** state)
{
	char output[16384];
	int status = run_in_child(deadlock_child, output, sizeof(output));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || strstr(output, "DEADLOCK") == NULL
		|| strstr(output, "waits on semaphore") == NULL
		|| strstr(output, "\"held by nobody 1\"") == NULL
		|| strstr(output, "\"held by nobody 2\"") == NULL
		|| strstr(output, "\"waits for 1\"") == NULL)
		fail_msg("expected a deadlock report and SIGABRT; child status 0x%x, output:\n%s", status,
			output);
}

/* ---- fibers: thread-local slots follow the shim thread; one host thread only ---------------- */

static __thread void* tMine; /* registered with shim_sched_thread_local() */

static status_t
keeps_its_local(void* data)
{
	if (tMine != NULL)
		return B_ERROR; /* a new thread starts with NULL in it */
	tMine = data;
	for (int i = 0; i < 6; i++) {
		snooze(10 + 7 * (int)(*(char*)data - 'a'));
		host_yield();
		if (tMine != data)
			return B_ERROR;
	}
	return B_OK;
}

static void
locals_scenario(struct run* run)
{
	static char markers[] = "abc";
	shim_sched_thread_local(&tMine);
	tMine = run;
	thread_id threads[3];
	for (int i = 0; i < 3; i++)
		threads[i] = shim_thread_spawn("local keeper", keeps_its_local, &markers[i]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(join(threads[i]), B_OK);
	assert_ptr_equal(tMine, run);
	tMine = NULL;
}

static void
test_thread_locals_follow_threads(void** state)
{
	for (uint32 seed = 0; seed < 8; seed++) {
		uint8 tape[TAPE_LENGTH];
		make_tape(tape, sizeof(tape), seed + 900);
		run_quiet(tape, sizeof(tape), locals_scenario);
	}
}

/* memory that only a blocked fiber's stack points to is not a leak (built without ASan, so its
 * local is on the real stack: ASan's fake stack frames of a switched-out fiber are not scanned) */
SHIM_NO_ASAN static status_t
holds_on_its_stack(void* data)
{
	char* volatile block = malloc(4096);
	strcpy(block, "referenced from this fiber's stack only");
	acquire_sem(*(sem_id*)data);
	free(block);
	return B_OK;
}

static void
fiber_roots_scenario(struct run* run)
{
	sem_id go = create_sem(0, "go");
	thread_id thread = shim_thread_spawn("holder", holds_on_its_stack, &go);
	snooze(100); /* it blocks; this thread's registers no longer hold its pointers */
#if SHIM_ASAN
	assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
#endif
	release_sem(go);
	assert_int_equal(join(thread), B_OK);
	delete_sem(go);
}

static void
test_fiber_stacks_are_leak_roots(void** state)
{
	run_quiet(NULL, 0, fiber_roots_scenario);
}

static void*
calls_in(void* data)
{
	(void)data;
	create_sem(0, "from another host thread");
	return NULL;
}

static void
second_host_thread_child(void)
{
	assert_int_equal(shim_boot(), B_OK);
	pthread_t other;
	pthread_create(&other, NULL, calls_in, NULL);
	pthread_join(other, NULL);
}

static void
test_second_host_thread_aborts(void** state)
{
	char output[4096];
	int status = run_in_child(second_host_thread_child, output, sizeof(output));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT
		|| strstr(output, "a second host thread called into the shim") == NULL)
		fail_msg("expected SIGABRT and a message; child status 0x%x, output:\n%s", status, output);
}

/* ---- interrupts ----------------------------------------------------------------------------- */

struct interruptible {
	sem_id sem;
	status_t acquire;
	status_t snooze;
};

static status_t
interruptible_waits(void* data)
{
	struct interruptible* job = data;
	job->acquire = acquire_sem_etc(job->sem, 1, B_CAN_INTERRUPT, 0);
	shim_syscall_exit(); /* the syscall boundary consumes the interrupt */
	job->snooze = snooze_etc(10 * SECOND, B_SYSTEM_TIMEBASE, B_CAN_INTERRUPT | B_RELATIVE_TIMEOUT);
	return B_OK;
}

static void
interrupt_scenario(struct run* run)
{
	struct interruptible job = {.sem = create_sem(0, "never released")};
	thread_id thread = shim_thread_spawn("ctrl+c target", interruptible_waits, &job);
	bigtime_t start = system_time();
	for (int i = 0; i < 2; i++) {
		assert_int_equal(shim_wait_until_blocked(thread, SECOND), B_OK);
		assert_int_equal(shim_interrupt(thread), B_OK);
	}
	assert_int_equal(join(thread), B_OK);
	assert_int_equal(job.acquire, B_INTERRUPTED);
	assert_int_equal(job.snooze, B_INTERRUPTED);
	bigtime_t elapsed = system_time() - start;
	assert_true(elapsed < SECOND); /* the snooze ended by the interrupt, not its timeout */
	snprintf(run->log, sizeof(run->log), "elapsed %lld", (long long)elapsed);
	delete_sem(job.sem);
}

static void
test_interrupt_blocked_thread(void** state)
{
	for (uint32 seed = 0; seed < 8; seed++) {
		uint8 tape[TAPE_LENGTH];
		make_tape(tape, sizeof(tape), seed + 300);
		struct run run, replay;
		run_input(tape, sizeof(tape), interrupt_scenario, &run);
		run_input(tape, sizeof(tape), interrupt_scenario, &replay);
		assert_same_run(&run, &replay);
		free_run(&run);
		free_run(&replay);
	}
}

/* ---- the driver: a reader blocked in read() gets the packet the stack sends ------------------ */

struct reader {
	int fd;
	uint8 buffer[2000];
	ssize_t result;
};

static status_t
read_one(void* data)
{
	struct reader* reader = data;
	reader->result = shim_read(reader->fd, reader->buffer, sizeof(reader->buffer));
	return B_OK;
}

static void
driver_scenario(struct run* run)
{
	assert_int_equal(shim_if_create("tap/0"), B_OK);
	assert_int_equal(shim_if_up("tap/0"), B_OK);
	struct reader reader = {.fd = shim_open("/dev/tap/0", SHIM_O_RDWR)};
	assert_true(reader.fd >= 0);
	thread_id thread = shim_thread_spawn("reader", read_one, &reader);
	uint8 frame[98];
	memset(frame, 0xff, 6); /* broadcast, from 02:00:00:00:00:01, type IPv4 */
	memcpy(frame + 6, (const uint8[]){2, 0, 0, 0, 0, 1, 0x08, 0x00}, 8);
	for (size_t i = 14; i < sizeof(frame); i++)
		frame[i] = (uint8)(i * 7);
	assert_int_equal(shim_stack_send("tap/0", frame, sizeof(frame), 0), B_OK);
	assert_int_equal(join(thread), B_OK);
	assert_int_equal(reader.result, sizeof(frame));
	assert_memory_equal(reader.buffer, frame, sizeof(frame));
	assert_int_equal(shim_close(reader.fd), B_OK);
	assert_int_equal(shim_if_delete("tap/0"), B_OK);
	snprintf(
		run->log, sizeof(run->log), "read %zd at t=%lld", reader.result, (long long)system_time());
}

static void
test_driver_read_under_tapes(void** state)
{
	for (uint32 seed = 0; seed < 12; seed++) {
		uint8 tape[TAPE_LENGTH];
		make_tape(tape, sizeof(tape), seed + 500);
		struct run run, replay;
		run_input(tape, sizeof(tape), driver_scenario, &run);
		run_input(tape, sizeof(tape), driver_scenario, &replay);
		assert_same_run(&run, &replay);
		free_run(&run);
		free_run(&replay);
	}
}

/* ---- the fiber pool: boot/shutdown cycles create no host threads -----------------------------
 */

static int
host_threads(void)
{
	DIR* tasks = opendir("/proc/self/task");
	assert_non_null(tasks);
	int count = 0;
	for (struct dirent* entry; (entry = readdir(tasks)) != NULL;) {
		if (entry->d_name[0] != '.')
			count++;
	}
	closedir(tasks);
	return count;
}

static status_t
write_one(void* data)
{
	uint8 frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
	ssize_t written = shim_write(*(int*)data, frame, sizeof(frame));
	return written == sizeof(frame) ? B_OK : B_ERROR;
}

static void
pool_scenario(struct run* run)
{
	driver_scenario(run);
	assert_int_equal(shim_if_create("tap/1"), B_OK);
	assert_int_equal(shim_if_up("tap/1"), B_OK);
	int fd = shim_open("/dev/tap/1", SHIM_O_RDWR);
	thread_id writers[3];
	for (int i = 0; i < 3; i++)
		writers[i] = shim_thread_spawn("writer", write_one, &fd);
	for (int i = 0; i < 3; i++)
		assert_int_equal(join(writers[i]), B_OK);
	assert_int_equal(shim_close(fd), B_OK);
	assert_int_equal(shim_if_delete("tap/1"), B_OK);
}

static void
test_pool_reused_across_boots(void** state)
{
	struct run run;
	run_input(NULL, 0, pool_scenario, &run);
	free_run(&run);
	int before = host_threads();
	for (uint32 cycle = 0; cycle < 100; cycle++) {
		uint8 tape[TAPE_LENGTH];
		make_tape(tape, sizeof(tape), cycle + 700);
		run_input(tape, sizeof(tape), pool_scenario, &run);
		free_run(&run);
	}
	print_message(
		"host threads: %d after the first input, %d after 100 more\n", before, host_threads());
	assert_int_equal(before, 1); /* every shim thread is a fiber on this one */
	assert_int_equal(host_threads(), before);
}

/* ---- performance (informational: printed, not asserted) ------------------------------------- */

struct ping_pong {
	sem_id ping;
	sem_id pong;
	int rounds;
};

static status_t
pong_thread(void* data)
{
	struct ping_pong* game = data;
	for (int i = 0; i < game->rounds; i++) {
		acquire_sem(game->ping);
		release_sem(game->pong);
	}
	return B_OK;
}

static status_t
poll_briefly(void* data)
{
	struct shim_pollfd pollfd = {*(int*)data, SHIM_POLLIN, 0};
	return shim_poll(&pollfd, 1, 10000) >= 0 ? B_OK : B_ERROR;
}

/* a harness-sized input: 4 threads over a few operations on one interface */
static void
harness_scenario(struct run* run)
{
	assert_int_equal(shim_if_create("tap/0"), B_OK);
	assert_int_equal(shim_if_up("tap/0"), B_OK);
	struct reader reader = {.fd = shim_open("/dev/tap/0", SHIM_O_RDWR)};
	thread_id threads[3];
	threads[0] = shim_thread_spawn("reader", read_one, &reader);
	threads[1] = shim_thread_spawn("writer", write_one, &reader.fd);
	threads[2] = shim_thread_spawn("poller", poll_briefly, &reader.fd);
	uint8 frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 3, 0x08, 0x00};
	assert_int_equal(shim_stack_send("tap/0", frame, sizeof(frame), 0), B_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(join(threads[i]), B_OK);
	assert_int_equal(shim_close(reader.fd), B_OK);
	assert_int_equal(shim_if_delete("tap/0"), B_OK);
}

static void
test_performance(void** state)
{
	assert_int_equal(shim_boot(), B_OK);
	mutex lock = MUTEX_INITIALIZER("bench");
	/* a lock/unlock pair makes three scheduling points: lock, unlock, released */
	int pairs = 700000;
	int points = 3 * pairs;
	uint64 decisions = shim_sched_decisions();
	bigtime_t start = wall_time();
	for (int i = 0; i < pairs; i++) {
		mutex_lock(&lock);
		mutex_unlock(&lock);
	}
	bigtime_t pointTime = wall_time() - start;
	assert_int_equal(shim_sched_decisions() - decisions, points);

	struct ping_pong game = {create_sem(0, "ping"), create_sem(0, "pong"), 20000};
	thread_id thread = shim_thread_spawn("pong", pong_thread, &game);
	start = wall_time();
	for (int i = 0; i < game.rounds; i++) {
		release_sem(game.ping);
		acquire_sem(game.pong);
	}
	bigtime_t pingTime = wall_time() - start;
	assert_int_equal(join(thread), B_OK);
	delete_sem(game.ping);
	delete_sem(game.pong);
	assert_int_equal(shim_shutdown(), B_OK);

	int cycles = 2000;
	start = wall_time();
	for (int i = 0; i < cycles; i++) {
		assert_int_equal(shim_boot(), B_OK);
		assert_int_equal(shim_shutdown(), B_OK);
	}
	bigtime_t bootTime = wall_time() - start;

	int inputs = 1000;
	uint8 tape[TAPE_LENGTH];
	start = wall_time();
	for (int i = 0; i < inputs; i++) {
		make_tape(tape, sizeof(tape), i);
		run_quiet(tape, sizeof(tape), harness_scenario);
	}
	bigtime_t inputTime = wall_time() - start;

	print_message("decision without a switch: %.0f ns; handoff between workers: %.1f us "
				  "(sem ping-pong round trip / 2)\n",
		pointTime * 1000.0 / points, pingTime / (2.0 * game.rounds));
	print_message("boot+shutdown: %.0f/s; harness-sized input (boot, tap up, 4 threads, send, "
				  "read, write, poll, delete, shutdown): %.0f/s\n",
		cycles * 1e6 / bootTime, inputs * 1e6 / inputTime);
}

int
main(void)
{
	if (!shim_sched_is_deterministic()) {
		printf("test_sched: skipped, needs the deterministic build (make test-det / SAN=det)\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_tape_same_trace),
		cmocka_unit_test(test_tapes_steer_interleavings),
		cmocka_unit_test(test_virtual_time),
		cmocka_unit_test(test_deadlock_is_reported),
		cmocka_unit_test(test_thread_locals_follow_threads),
		cmocka_unit_test(test_second_host_thread_aborts),
		cmocka_unit_test(test_fiber_stacks_are_leak_roots),
		cmocka_unit_test(test_interrupt_blocked_thread),
		cmocka_unit_test(test_driver_read_under_tapes),
		cmocka_unit_test(test_pool_reused_across_boots),
		cmocka_unit_test(test_performance),
	};
	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
