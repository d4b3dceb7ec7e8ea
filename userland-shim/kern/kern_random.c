/* The kernel's random source as Haiku offers it to kernel code and add-ons: secure_random_value()
 * (util/Random.h). A generator seeded anew at every boot, so two boots ("two hosts") differ. */
#include "shim_private.h"

#include "host/host.h"
#include "kern/kern_private.h"

/* The generator's state, advanced atomically: one step per value, from any thread. Not a
 * scheduling point, so drawing values changes no deterministic schedule. */
static int64 sState;

void
shim_random_reset(void)
{
	atomic_set64(&sState, (int64)host_random_seed());
}

/* Haiku's (system/kernel/util/Random.cpp) hashes the time, the thread, the CPU and its previous
 * values; here the SplitMix64 sequence of the boot's seed, whose top 32 bits of each output are
 * as good for a MAC or a cookie */
unsigned int
secure_random_value(void)
{
	const uint64 step = 0x9e3779b97f4a7c15ULL;
	uint64 z = (uint64)atomic_add64(&sState, (int64)step) + step;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned int)((z ^ (z >> 31)) >> 32);
}
