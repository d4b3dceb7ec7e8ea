/* The kernel's random numbers as Haiku offers them to kernel code and add-ons (util/Random.h's C
 * calls): fast_random_value, random_value, secure_random_value, from one generator per boot. */
#include "shim_private.h"

#include "host/host.h"
#include "kern/kern_private.h"

/* the ranges of Haiku's util/Random.h (MAX_FAST_RANDOM_VALUE...), which lives in HAIKU_SRC */
#define FAST_RANDOM_MASK 0x7fffu
#define RANDOM_MASK 0x7fffffffu
#define SECURE_RANDOM_MASK 0xffffffffu

/* The generator's state, advanced atomically: one step per value, from any thread. Not a
 * scheduling point, so drawing values changes no deterministic schedule. Seeded anew at every
 * boot (host_random_seed: the host's entropy; in the deterministic build fixed by the number of
 * boots in the process), so two boots ("two hosts") differ and a replay repeats. */
static int64 sState;

void
shim_random_reset(void)
{
	atomic_set64(&sState, (int64)host_random_seed());
}

/* Haiku's (system/kernel/util/Random.cpp) keeps three generators hashing the time, the thread,
 * the CPU and their previous values; callers rely on their ranges: 15, 31 and 32 bits. Here the
 * SplitMix64 sequence of the boot's seed. */
static uint64
next_random(void)
{
	const uint64 step = 0x9e3779b97f4a7c15ULL;
	uint64 z = (uint64)atomic_add64(&sState, (int64)step) + step;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned int
fast_random_value(void)
{
	return (unsigned int)((next_random() >> 32) & FAST_RANDOM_MASK);
}

unsigned int
random_value(void)
{
	return (unsigned int)((next_random() >> 32) & RANDOM_MASK);
}

unsigned int
secure_random_value(void)
{
	return (unsigned int)((next_random() >> 32) & SECURE_RANDOM_MASK);
}
