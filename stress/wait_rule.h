/* The watchdog's rule for a blocked read, apart from the engine so that a test can check it
 * without a run (tools/tests/wait_rule_test.c): from when the read's bound counts. */
#ifndef STRESS_WAIT_RULE_H
#define STRESS_WAIT_RULE_H

#include <stdint.h>

/* one read under way, as the watchdog sees it; times in microseconds of one clock */
struct read_wait {
	int64_t start;        /* the read began */
	int64_t now;          /* the watchdog looks */
	int readers;          /* blocking readers sharing the descriptor (1 when non-blocking) */
	int64_t unit_read;    /* the latest read of any of them that completed on a packet (or 0) */
	int64_t last_ctrlc;   /* the latest ctrl+c aimed at the reader (or 0) */
	int64_t prompt_bound; /* a ctrl+c must end a blocked call within this */
	/* what could have ended the call since it began (the idle rule below) */
	int open_ended;   /* it may wait for ever: a blocking read, a poll without timeout */
	int64_t accepted; /* packets the driver took from the stack for the unit */
	int64_t ctrlcs;   /* ctrl+c aimed at the caller */
	int64_t readable; /* the checker's looks that found the unit readable */
};

/* A lone reader gets every packet the stack sends, so its wait counts from its start. Readers
 * that share a descriptor share its packets: no driver promises which one a packet wakes (Haiku's
 * fifo wakes whichever sleeper the semaphore picks, a woken reader that finds the queue empty
 * sleeps again behind the others; a read into a bad buffer takes a packet too). While one of them
 * completes reads the unit's read path is alive and a reader waiting longer is starved, not
 * stalled: its bound counts from the unit's latest completed read. When none completes, that
 * lies before the bound and the rule fires as for a lone reader. A ctrl+c aimed at the reader
 * during the read and older than prompt_bound should have ended it: no excuse then. */
static inline int64_t
read_wait_origin(const struct read_wait* wait)
{
	/* Idle, not stuck: a call that may wait for ever, for which nothing came that should end it
	 * (no packet taken for the unit, no ctrl+c at it, nothing readable at any look) is where it
	 * belongs; its bound counts from now. A down unit of ours refuses every packet, so its
	 * readers and pollers wait for a ctrl+c alone, and a storm's quiet phases can leave one alone
	 * past the bound (twice in 5 min of ctrlc-storm on a loaded machine, stress/README.md). A
	 * driver stuck on a lock holds up the sender's send too (its own bound fires), a lost
	 * wake-up leaves something readable, an unanswered ctrl+c is counted here and by the prompt
	 * check, and a read on a non-blocking descriptor or a timed poll is never open-ended. */
	if (wait->open_ended && wait->accepted == 0 && wait->ctrlcs == 0 && wait->readable == 0)
		return wait->now;
	if (wait->readers < 2)
		return wait->start;
	if (wait->last_ctrlc > 0 && wait->last_ctrlc >= wait->start
		&& wait->now - wait->last_ctrlc > wait->prompt_bound)
		return wait->start;
	return wait->unit_read > wait->start ? wait->unit_read : wait->start;
}

#endif
