/* Schedule strategies of the deterministic host layer (host_det.c): how a decision among several
 * runnable threads is made, with the strategy's parameters read from the choice tape. */
#ifndef SHIM_HOST_STRATEGY_H
#define SHIM_HOST_STRATEGY_H

/*
 * host_det.c asks the strategy at every decision with more than one runnable thread. The answer is
 * one of:
 *   an index into the runnable ids: that thread runs (PCT: the highest priority);
 *   STRATEGY_TAPE: as without a strategy, the next tape byte picks, or the default policy once
 *                  the tape is used up (SHIM_SCHED_TAPE, and MIX when it drew the tape);
 *   STRATEGY_DEFAULT: the default policy (keep the runner up to DET_SLICE decisions, then round
 *                  robin) without reading the tape, among the runnable ids less *starved (CHAOS).
 * A strategy reads its parameters from the same tape, at the position the caller passes, so a
 * run is a pure function of the tape. Pure code: no host calls, so every shim build links it.
 */

#include <stddef.h>

#include <SupportDefs.h>

#define STRATEGY_TAPE (-1)
#define STRATEGY_DEFAULT (-2)
#define STRATEGY_NOTE 64 /* bytes of the note a decision leaves for the trace */

/* the strategy from the next decision on (enum shim_sched_strategy), PCT's depth d; afresh */
void strategy_set(int strategy, int depth);
/* the tape rewound (boot, restart, a new tape): the strategy starts afresh at its next decision */
void strategy_rewind(void);
/* not SHIM_SCHED_TAPE: every decision with a choice must ask (no fast path) */
bool strategy_active(void);

/* ids: the runnable threads in ascending order, count > 1; self: the thread at the point. Reads
 * tape[*position...] as it needs. *starved: a thread id to leave out (-1: none). note: what the
 * trace shows after the chosen thread ("" for STRATEGY_TAPE). */
int32 strategy_choose(const int32* ids, int32 count, int32 self, bigtime_t now, const uint8* tape,
	size_t length, size_t* position, int32* starved, char* note);

#endif
