/* Control of the shim's deterministic scheduler (make SAN=det, host_det.c) for harnesses and tests:
 * the choice tape, the decision trace and counters. In free-running builds these do nothing. */
#ifndef SHIM_SCHED_H
#define SHIM_SCHED_H

/*
 * In the deterministic build one shim thread runs at a time. At every scheduling point (park,
 * unpark, thread create/exit/join, yield, sleep, and the kernel primitives' explicit points:
 * semaphore acquire/release, mutex lock/unlock/failed trylock, spinlock acquire, user_memcpy,
 * kernel allocation, select notify) the next runner is chosen among the runnable threads, ordered
 * by id:
 *
 * - with one runnable thread there is no choice and no tape byte is read;
 * - otherwise the next tape byte b picks runnable[b % count], so any byte string is a schedule;
 * - once the tape is used up (the default policy): the current thread keeps running for up to 64
 *   decisions in a row, then, or when it blocks, the next runnable id after it (round robin).
 *   At a yield (and a failed mutex_trylock, a spin) the yielder goes last the same way.
 *
 * Time is virtual: system_time() is the same at every boot and advances 1 us per decision (so a
 * thread that never blocks cannot freeze the clock); when every thread is blocked it jumps to the
 * earliest deadline (snooze, timed waits), which then times out. Every thread blocked and no
 * deadline pending is a deadlock: the shim prints each thread and what it waits on, then calls
 * abort(). Thread ids in traces are the scheduler's: 0 for the thread that booted (the harness's
 * main thread), then 1, 2, ... in creation order, renumbered at every boot; a line "# thread 2 is
 * t1" gives each spawned thread's name when it starts.
 *
 * Threads: spawn with shim_thread_spawn() and join with shim_thread_join(); they run as fibers
 * (a stack each, pooled across boots) on the host thread that first called into the shim, which
 * joins the schedule as thread 0. Another host thread (pthread_create) calling into the shim
 * aborts with a message. They share that host thread's __thread variables: one that must follow
 * the shim thread registers with shim_sched_thread_local(). Code that waits for another thread
 * without any shim call (`while (!flag);`) never lets it run. A longjmp out of a spawned thread
 * (a cmocka assertion failing there) lands on another thread's stack: check results after the
 * join, on the thread that booted. LeakSanitizer sees the stacks of switched-out threads but not
 * their ASan fake stack frames (detect_stack_use_after_return=1): a leak check while spawned
 * threads live may report memory only those frames point to.
 *
 * Environment: SHIM_SCHED_TRACE=<file> ("-": stderr) traces any binary from its start.
 * Call these functions from the thread that boots the shim.
 */

#include <stdio.h>

#include <SupportDefs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The choice tape (copied) for the next boot; every shim_boot() rewinds it, so the same tape gives
 * the same run again. Setting it after boot takes effect at the next decision. NULL/0: no tape. */
void shim_sched_set_tape(const uint8* tape, size_t length);
/* Schedule strategies: who runs at a decision among several runnable threads (host_strategy.c).
 * SHIM_SCHED_TAPE: the next tape byte picks (above; the default). SHIM_SCHED_PCT: PCT, random
 * priorities, the highest runnable one runs, depth-1 change points drop the runner's priority.
 * SHIM_SCHED_CHAOS: starvation windows in virtual time keep one thread off the CPU, the default
 * policy runs the rest. SHIM_SCHED_MIX: the first tape byte draws one of the three. Each reads its
 * priorities, change points or windows from the tape, so the same tape gives the same run. */
enum shim_sched_strategy {
	SHIM_SCHED_TAPE,
	SHIM_SCHED_PCT,
	SHIM_SCHED_CHAOS,
	SHIM_SCHED_MIX,
	SHIM_SCHED_STRATEGY_COUNT
};
/* from the next decision on, starting afresh at the tape's current position (and again at every
 * boot, restart or new tape); depth: PCT's d, 1..8 (clamped), the others ignore it. Boots keep
 * the strategy: set SHIM_SCHED_TAPE before one that must run as before. */
void shim_sched_set_strategy(int strategy, int depth);
/* "tape", "pct", "chaos", "mix" ("?" for anything else) */
const char* shim_sched_strategy_name(int strategy);
/* NULL: off; else one line per scheduling decision: number, virtual time since boot, point kind,
 * the thread at the point (and why it cannot go on), the runnable set, the chosen thread and what
 * chose it: "(only)", "(tape[i]=0xNN)" or "(default)"; a strategy's note stands before that,
 * "(pct: priority 7, step 3)" or "(chaos: 2 starved for 512 us; default)" */
void shim_sched_set_trace(FILE* out);
bool shim_sched_is_deterministic(void);
/* scheduling decisions since boot (every point reached, with or without a choice) */
uint64 shim_sched_decisions(void);
/* tape bytes read since boot */
size_t shim_sched_tape_used(void);
/* the schedule restarts where the last shim_boot() left it (clock, thread numbers, decision
 * count, tape position) without rebooting the shim: a fuzzer that keeps one boot for many inputs */
void shim_sched_restart(void);
/* `slot`, a __thread pointer, is saved and restored at every switch of shim threads (each starts
 * with NULL in it); free-running builds: nothing to do */
void shim_sched_thread_local(void** slot);

#ifdef __cplusplus
}
#endif

#endif
