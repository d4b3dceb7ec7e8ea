/* The stress watchdog's rule for blocked reads and polls (stress/wait_rule.h), for test-tools.sh:
 * starved and idle waits fired under the old rule and not under the new one; stalls still fire. */
#include <stdbool.h>
#include <stdio.h>

#include "wait_rule.h"

#define S 1000000LL /* one second in microseconds */
#define BOUND (10 * S)
#define PROMPT (2 * S)

static int sFailed;

/* the watchdog's verdict: the call is past its bound, counted from the rule's origin */
static bool
fires(const struct read_wait* wait)
{
	return wait->now - read_wait_origin(wait) > BOUND;
}

static void
expect(const char* what, const struct read_wait* wait, bool expected)
{
	bool got = fires(wait);
	printf("%s: %s (expected %s)\n", what, got ? "fires" : "quiet", expected ? "fires" : "quiet");
	if (got != expected)
		sFailed++;
}

int
main(void)
{
	/* until the idle cases, packets reach the unit during every call (accepted 1): the
	 * starvation rule alone decides */
	/* the open row's shape: a reader of three blocked 12 s, the others read 3 s ago */
	struct read_wait starved = {0, 12 * S, 3, 9 * S, 0, PROMPT, 1, 1, 0, 0};
	struct read_wait old = starved;
	old.readers = 1; /* the old rule: every read counted from its own start */
	expect("starved reader, old rule", &old, true);
	expect("starved reader, new rule", &starved, false);
	/* the others keep reading until 1 s ago: still quiet after 60 s */
	struct read_wait longer = {0, 60 * S, 2, 59 * S, 0, PROMPT, 1, 1, 0, 0};
	expect("starved 60 s, others read 1 s ago", &longer, false);

	/* every reader of the unit stuck: the latest read before the call (or none) */
	struct read_wait allStuck = {5 * S, 15 * S + 1, 3, 4 * S, 0, PROMPT, 1, 1, 0, 0};
	expect("all readers stuck, bound from the call's start", &allStuck, true);
	struct read_wait none = {0, 10 * S + 1, 3, 0, 0, PROMPT, 1, 1, 0, 0};
	expect("all readers stuck, no read ever", &none, true);
	/* the last read 3 s into the call, then nothing: one bound after it */
	struct read_wait stopped = {0, 13 * S + 1, 3, 3 * S, 0, PROMPT, 1, 1, 0, 0};
	expect("reads stopped 3 s into the call, 10 s later", &stopped, true);
	struct read_wait stoppedEarly = {0, 12 * S, 3, 3 * S, 0, PROMPT, 1, 1, 0, 0};
	expect("reads stopped 3 s into the call, 9 s later", &stoppedEarly, false);

	/* a ctrl+c aimed at the reader during the call and not answered within PROMPT: no excuse */
	struct read_wait ctrlc = {0, 12 * S, 3, 11 * S, 7 * S, PROMPT, 1, 1, 0, 0};
	expect("starved but a ctrl+c 5 s ago did not end it", &ctrlc, true);
	struct read_wait ctrlcFresh = {0, 12 * S, 3, 11 * S, 11 * S, PROMPT, 1, 1, 0, 0};
	expect("starved, a ctrl+c 1 s ago (within PROMPT)", &ctrlcFresh, false);
	struct read_wait ctrlcBefore = {5 * S, 16 * S, 3, 15 * S, 4 * S, PROMPT, 1, 1, 0, 0};
	expect("starved, the last ctrl+c before the call", &ctrlcBefore, false);

	/* a lone reader, or a non-blocking descriptor (readers 1): exactly the old rule */
	struct read_wait lone = {0, 10 * S + 1, 1, 10 * S, 0, PROMPT, 1, 1, 0, 0};
	expect("lone reader, past its bound", &lone, true);
	struct read_wait loneIn = {0, 10 * S, 1, 0, 0, PROMPT, 1, 1, 0, 0};
	expect("lone reader, at its bound", &loneIn, false);

	/* idle: an open-ended wait (blocking read, untimed poll) nothing came for, on a down unit of
	 * ours (every packet refused) with no ctrl+c at it: quiet however long; anything that should
	 * end it makes it a stall again */
	struct read_wait idle = {0, 30 * S, 1, 0, 0, PROMPT, 1, 0, 0, 0};
	expect("open-ended, nothing came for 30 s (idle)", &idle, false);
	struct read_wait idleShared = {0, 30 * S, 3, 0, 0, PROMPT, 1, 0, 0, 0};
	expect("open-ended, three readers, nothing came (idle)", &idleShared, false);
	struct read_wait packet = idle;
	packet.accepted = 1;
	expect("open-ended, a packet taken for the unit", &packet, true);
	struct read_wait readable = idle;
	readable.readable = 1;
	expect("open-ended, the checker found it readable (lost wake-up)", &readable, true);
	struct read_wait unanswered = idle;
	unanswered.ctrlcs = 1;
	expect("open-ended, a ctrl+c at it", &unanswered, true);
	struct read_wait timed = idle;
	timed.open_ended = 0;
	expect("not open-ended (non-blocking read, timed poll), nothing came", &timed, true);

	printf("wait_rule_test: %d failed\n", sFailed);
	return sFailed == 0 ? 0 : 1;
}
