/* cmocka tests of the deterministic scheduler's strategies (make SAN=det): PCT runs the highest
 * priority and obeys its change points, a chaos window keeps its thread off, mix draws, replays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "host/host_strategy.h"
#include "shim_private.h"
#include "shim_sched.h"

/* ---- the strategies alone: host_strategy.c is pure, fed runnable sets by hand ---------------- */

static const int32 kAll[] = {0, 1, 2};

/* one decision: the index chosen (or STRATEGY_*), the thread left out in *starved */
static int32
decide(const int32* ids, int32 count, int32 self, bigtime_t now, const uint8* tape, size_t length,
	size_t* position, int32* starved)
{
	char note[STRATEGY_NOTE];
	int32 ignored;
	return strategy_choose(
		ids, count, self, now, tape, length, position, starved != NULL ? starved : &ignored, note);
}

/* priorities 0:10, 1:50, 2:30 (each d + byte), one change point at step 3 (d = 2): 1 runs until
 * the change point drops it to priority 1, then 2, then (2 blocked) 0 over 1 */
static void
test_pct_priorities_and_change_point(void** state)
{
	(void)state;
	const uint8 tape[] = {2, 0, 10, 50, 30}; /* change point: 1 + 2 % 512 = 3; then priorities */
	size_t position = 0;
	strategy_set(SHIM_SCHED_PCT, 2);
	int32 order[5];
	order[0] = kAll[decide(kAll, 3, 0, 0, tape, sizeof(tape), &position, NULL)];
	order[1] = kAll[decide(kAll, 3, order[0], 1, tape, sizeof(tape), &position, NULL)];
	order[2] = kAll[decide(kAll, 3, order[1], 2, tape, sizeof(tape), &position, NULL)];
	order[3] = kAll[decide(kAll, 3, order[2], 3, tape, sizeof(tape), &position, NULL)];
	const int32 notTwo[] = {0, 1};
	order[4] = notTwo[decide(notTwo, 2, 2, 4, tape, sizeof(tape), &position, NULL)];
	const int32 want[] = {1, 1, 2, 2, 0};
	assert_memory_equal(order, want, sizeof(want));
	assert_int_equal(position, sizeof(tape)); /* two change-point bytes, three priorities */

	/* without the change point (d = 1) thread 1 keeps the CPU at every step */
	const uint8 flat[] = {10, 50, 30};
	position = 0;
	strategy_set(SHIM_SCHED_PCT, 1);
	for (int step = 0; step < 6; step++)
		assert_int_equal(decide(kAll, 3, 1, step, flat, sizeof(flat), &position, NULL), 1);
	assert_int_equal(position, sizeof(flat));
}

/* equal priorities: the lower id; after a rewind the same tape gives the same choices, and a tape
 * used up still gives every thread a priority (from its id) */
static void
test_pct_ties_rewind_and_no_tape(void** state)
{
	(void)state;
	const uint8 tape[] = {7, 7, 7};
	size_t position = 0;
	strategy_set(SHIM_SCHED_PCT, 1);
	assert_int_equal(decide(kAll, 3, 0, 0, tape, sizeof(tape), &position, NULL), 0);
	int32 first[8], again[8];
	strategy_set(SHIM_SCHED_PCT, 3);
	position = 0;
	for (int i = 0; i < 8; i++)
		first[i] = decide(kAll, 3, i % 3, i, NULL, 0, &position, NULL);
	strategy_rewind();
	for (int i = 0; i < 8; i++)
		again[i] = decide(kAll, 3, i % 3, i, NULL, 0, &position, NULL);
	assert_memory_equal(first, again, sizeof(first));
	assert_int_equal(position, 0);
	for (int i = 0; i < 8; i++)
		assert_true(first[i] >= 0 && first[i] < 3);
}

/* a window of 10 us starting 8 us after the first choice keeps thread 1 off until it ends, even
 * when it is runnable; before and after it the default policy decides with nobody left out */
static void
test_chaos_window_keeps_its_thread_off(void** state)
{
	(void)state;
	const uint8 tape[] = {1, 9, 0, 4}; /* gap 1 * 8 us, length (1 + 9) << 0 us, victim 4 % 3 */
	size_t position = 0;
	int32 starved;
	strategy_set(SHIM_SCHED_CHAOS, 0);
	assert_int_equal(
		decide(kAll, 3, 0, 100, tape, sizeof(tape), &position, &starved), STRATEGY_DEFAULT);
	assert_int_equal(starved, -1); /* the window starts at 108 */
	assert_int_equal(position, 3);
	for (bigtime_t now = 108; now < 118; now++) {
		assert_int_equal(
			decide(kAll, 3, 2, now, tape, sizeof(tape), &position, &starved), STRATEGY_DEFAULT);
		assert_int_equal(starved, 1);
	}
	assert_int_equal(position, 4);
	decide(kAll, 3, 2, 118, tape, sizeof(tape), &position, &starved);
	assert_int_equal(starved, -1); /* ended; the tape has no next window */
}

/* mix: the first byte % 3 draws the strategy; 1 is PCT, which then reads the rest */
static void
test_mix_draws_from_the_tape(void** state)
{
	(void)state;
	const uint8 pct[] = {1, 10, 50, 30};
	size_t position = 0;
	strategy_set(SHIM_SCHED_MIX, 1);
	assert_int_equal(decide(kAll, 3, 0, 0, pct, sizeof(pct), &position, NULL), 1);
	assert_int_equal(position, 4);
	const uint8 tape[] = {3, 0};
	position = 0;
	strategy_set(SHIM_SCHED_MIX, 1);
	assert_int_equal(decide(kAll, 3, 0, 0, tape, sizeof(tape), &position, NULL), STRATEGY_TAPE);
	assert_int_equal(position, 1); /* the tape strategy's own byte is read by host_det.c */
	assert_string_equal(shim_sched_strategy_name(SHIM_SCHED_CHAOS), "chaos");
	assert_string_equal(shim_sched_strategy_name(99), "?");
	strategy_set(SHIM_SCHED_TAPE, 0);
}

/* ---- through the scheduler: three threads logging at scheduling points ---------------------- */

struct logger {
	char name;
	char* log;
	size_t* used;
};

static status_t
logger_thread(void* data)
{
	struct logger* logger = data;
	for (int i = 0; i < 3; i++) {
		logger->log[(*logger->used)++] = logger->name;
		host_schedule_point(HOST_POINT_ALLOC);
	}
	return B_OK;
}

/* boot with `tape` and `strategy`, spawn a, b and c, join them; the order they logged in */
static void
run_loggers(const uint8* tape, size_t length, int strategy, int depth, char* log, char** trace)
{
	size_t used = 0, traceLength = 0;
	FILE* out = trace != NULL ? open_memstream(trace, &traceLength) : NULL;
	shim_sched_set_tape(tape, length);
	shim_sched_set_trace(out);
	assert_int_equal(shim_boot(), B_OK);
	shim_sched_set_strategy(strategy, depth);
	struct logger loggers[3] = {{'a', log, &used}, {'b', log, &used}, {'c', log, &used}};
	thread_id threads[3];
	for (int i = 0; i < 3; i++)
		threads[i] = shim_thread_spawn("logger", logger_thread, &loggers[i]);
	for (int i = 0; i < 3; i++) {
		status_t result = B_ERROR;
		assert_int_equal(shim_thread_join(threads[i], &result), B_OK);
		assert_int_equal(result, B_OK);
	}
	log[used] = '\0';
	assert_int_equal(shim_shutdown(), B_OK);
	shim_sched_set_strategy(SHIM_SCHED_TAPE, 0);
	shim_sched_set_trace(NULL);
	shim_sched_set_tape(NULL, 0);
	if (out != NULL)
		fclose(out);
}

/* PCT without change points runs each thread to its end, highest priority first; the main thread
 * (priority 200) spawns all three before any runs */
static void
test_pct_through_the_scheduler(void** state)
{
	(void)state;
	const uint8 tape[] = {200, 10, 50, 30};
	char log[16], again[16];
	char* trace = NULL;
	run_loggers(tape, sizeof(tape), SHIM_SCHED_PCT, 1, log, &trace);
	assert_string_equal(log, "bbbcccaaa");
	assert_non_null(strstr(trace, "(pct: priority 51, step "));
	free(trace);
	run_loggers(tape, sizeof(tape), SHIM_SCHED_PCT, 1, again, NULL);
	assert_string_equal(log, again);
	/* the same tape read as tape bytes interleaves differently: the strategy made the order */
	run_loggers(tape, sizeof(tape), SHIM_SCHED_TAPE, 0, again, NULL);
	assert_string_not_equal(log, again);
}

/* a window from the first choice on, far longer than the run, starving thread 1 (a): a runs
 * only once the others are done, though the default policy alone runs it first */
static void
test_chaos_through_the_scheduler(void** state)
{
	(void)state;
	const uint8 tape[] = {0, 255, 7, 1}; /* gap 0, 256 << 7 us, victim 1 % 2: thread 1 */
	char log[16];
	char* trace = NULL;
	run_loggers(tape, sizeof(tape), SHIM_SCHED_CHAOS, 0, log, &trace);
	assert_string_equal(strchr(log, 'a'), "aaa");
	assert_non_null(strstr(trace, "(chaos: 1 starved for 32768 us; default)"));
	free(trace);
	run_loggers(NULL, 0, SHIM_SCHED_TAPE, 0, log, NULL);
	assert_int_equal(log[0], 'a');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_priorities_and_change_point),
		cmocka_unit_test(test_pct_ties_rewind_and_no_tape),
		cmocka_unit_test(test_chaos_window_keeps_its_thread_off),
		cmocka_unit_test(test_mix_draws_from_the_tape),
		cmocka_unit_test(test_pct_through_the_scheduler),
		cmocka_unit_test(test_chaos_through_the_scheduler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
