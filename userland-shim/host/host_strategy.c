/* Schedule strategies of the deterministic host layer: PCT priorities with depth-bounded change
 * points, chaos-mode starvation windows in virtual time, and a mix drawn per input (shim_sched.h).
 */
#include "host/host_strategy.h"

#include <stdio.h>
#include <string.h>

#include "shim_sched.h"

/*
 * PCT (Burckhardt et al., "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs",
 * ASPLOS 2010): every thread has a priority and the highest-priority runnable thread runs; at d-1
 * change points (choice steps k1..k(d-1)) the thread at the point drops to priority i, below every
 * initial one, so a bug of depth d is hit with probability at least 1/(n k^(d-1)). Here the
 * randomness is the tape: at the first choice, d-1 u16 values give the change points (1 + value %
 * PCT_HORIZON, counted in decisions with a choice); a thread's initial priority is d + the next
 * tape byte when the strategy first sees it runnable (d + a hash of its id once the tape is used
 * up). Equal priorities: the lower id runs.
 *
 * Chaos (as rr's chaos mode starves threads: "Chaos mode", rr's scheduler): windows of virtual
 * time during which one thread is kept off the CPU while another one can run, so the others run
 * long stretches without it. Each window is 3 tape bytes read when the previous one ends: g (it
 * starts g * CHAOS_GAP virtual microseconds later), a and b (it lasts (1 + a) << (b % 8) us, up to
 * 32 ms), then a fourth byte v, read at the first choice inside the window, picks the victim among
 * the runnable (v % count). Outside windows, and after the tape, the default policy runs.
 *
 * Mix: the first tape byte % 3 picks tape, PCT or chaos for the input; the rest of the tape is
 * that strategy's.
 */

#define PCT_MAX_DEPTH 8
#define PCT_HORIZON 512 /* change points fall in the first PCT_HORIZON choices */
#define PCT_SLOTS 64    /* priorities kept per thread id (id % PCT_SLOTS) */
#define CHAOS_GAP 8     /* virtual us per unit of a window's gap byte */

static struct {
	int strategy; /* enum shim_sched_strategy as set */
	int depth;    /* PCT's d, 1..PCT_MAX_DEPTH */
	bool started; /* the first choice since the rewind read the parameters */
	int drawn;    /* MIX: the strategy the tape drew */
	/* PCT */
	uint32 steps;                 /* choices so far */
	uint32 change[PCT_MAX_DEPTH]; /* change[i], i = 1..d-1: the step of change point i */
	int32 priority[PCT_SLOTS];    /* 0: not seen yet */
	/* chaos */
	bool window_read;   /* the next window's start and end are known */
	bool window_picked; /* its victim is picked */
	int32 victim;
	bigtime_t start, end; /* virtual time; start is relative until the first choice after it */
} sStrategy;

static const char* const kStrategyNames[SHIM_SCHED_STRATEGY_COUNT] = {
	"tape", "pct", "chaos", "mix"};

const char*
shim_sched_strategy_name(int strategy)
{
	return strategy >= 0 && strategy < SHIM_SCHED_STRATEGY_COUNT ? kStrategyNames[strategy] : "?";
}

void
strategy_rewind(void)
{
	int strategy = sStrategy.strategy, depth = sStrategy.depth;
	memset(&sStrategy, 0, sizeof(sStrategy));
	sStrategy.strategy = strategy;
	sStrategy.depth = depth;
}

void
strategy_set(int strategy, int depth)
{
	sStrategy.strategy = strategy >= 0 && strategy < SHIM_SCHED_STRATEGY_COUNT ? strategy : 0;
	sStrategy.depth = depth < 1 ? 1 : depth > PCT_MAX_DEPTH ? PCT_MAX_DEPTH : depth;
	strategy_rewind();
}

bool
strategy_active(void)
{
	return sStrategy.strategy != SHIM_SCHED_TAPE;
}

/* the next tape byte into *byte; false once the tape is used up */
static bool
take(const uint8* tape, size_t length, size_t* position, uint8* byte)
{
	if (*position >= length)
		return false;
	*byte = tape[(*position)++];
	return true;
}

/* ---- PCT ----------------------------------------------------------------------------------- */

static void
pct_start(const uint8* tape, size_t length, size_t* position)
{
	for (int i = 1; i < sStrategy.depth; i++) {
		uint8 low = 0, high = 0;
		take(tape, length, position, &low);
		take(tape, length, position, &high);
		sStrategy.change[i] = 1 + (uint32)(low | high << 8) % PCT_HORIZON;
	}
}

static int32
pct_choose(const int32* ids, int32 count, int32 self, const uint8* tape, size_t length,
	size_t* position, char* note)
{
	int32 d = sStrategy.depth;
	sStrategy.steps++;
	for (int i = 1; i < d; i++) {
		if (sStrategy.change[i] == sStrategy.steps)
			sStrategy.priority[self % PCT_SLOTS] = i;
	}
	int32 best = 0;
	for (int32 i = 0; i < count; i++) {
		int32* priority = &sStrategy.priority[ids[i] % PCT_SLOTS];
		if (*priority == 0) {
			uint8 byte;
			if (!take(tape, length, position, &byte))
				byte = (uint8)(((uint32)ids[i] * 2654435761u) >> 24);
			*priority = d + byte;
		}
		if (*priority > sStrategy.priority[ids[best] % PCT_SLOTS])
			best = i;
	}
	snprintf(note, STRATEGY_NOTE, "pct: priority %d, step %u",
		sStrategy.priority[ids[best] % PCT_SLOTS], sStrategy.steps);
	return best;
}

/* ---- chaos --------------------------------------------------------------------------------- */

static void
chaos_read_window(bigtime_t from, const uint8* tape, size_t length, size_t* position)
{
	uint8 gap, a, b;
	sStrategy.window_read = take(tape, length, position, &gap) && take(tape, length, position, &a)
							&& take(tape, length, position, &b);
	sStrategy.window_picked = false;
	if (!sStrategy.window_read)
		return;
	sStrategy.start = from + (bigtime_t)gap * CHAOS_GAP;
	sStrategy.end = sStrategy.start + ((bigtime_t)(1 + a) << (b % 8));
}

static int32
chaos_choose(const int32* ids, int32 count, bigtime_t now, const uint8* tape, size_t length,
	size_t* position, int32* starved, char* note)
{
	if (!sStrategy.started)
		chaos_read_window(now, tape, length, position);
	while (sStrategy.window_read && now >= sStrategy.end)
		chaos_read_window(sStrategy.end, tape, length, position);
	if (!sStrategy.window_read || now < sStrategy.start)
		return STRATEGY_DEFAULT;
	if (!sStrategy.window_picked) {
		uint8 byte = 0;
		take(tape, length, position, &byte);
		sStrategy.victim = ids[byte % count];
		sStrategy.window_picked = true;
	}
	*starved = sStrategy.victim;
	snprintf(note, STRATEGY_NOTE, "chaos: %d starved for %lld us", sStrategy.victim,
		(long long)(sStrategy.end - sStrategy.start));
	return STRATEGY_DEFAULT;
}

int32
strategy_choose(const int32* ids, int32 count, int32 self, bigtime_t now, const uint8* tape,
	size_t length, size_t* position, int32* starved, char* note)
{
	*starved = -1;
	note[0] = '\0';
	int strategy = sStrategy.strategy;
	if (strategy == SHIM_SCHED_MIX) {
		if (!sStrategy.started) {
			uint8 byte = 0;
			take(tape, length, position, &byte);
			sStrategy.drawn = byte % SHIM_SCHED_MIX;
		}
		strategy = sStrategy.drawn;
	}
	bool first = !sStrategy.started;
	if (first && strategy == SHIM_SCHED_PCT)
		pct_start(tape, length, position);
	int32 choice = STRATEGY_TAPE;
	if (strategy == SHIM_SCHED_PCT)
		choice = pct_choose(ids, count, self, tape, length, position, note);
	else if (strategy == SHIM_SCHED_CHAOS)
		choice = chaos_choose(ids, count, now, tape, length, position, starved, note);
	sStrategy.started = true;
	return choice;
}
