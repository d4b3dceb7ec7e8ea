/* The kernel's random numbers (Haiku's util/Random.h C calls): fast_random_value, random_value,
 * secure_random_value. One generator, restarted every boot so that runs replay exactly. */
#include "shim_private.h"

#include "kern/kern_private.h"

/* the ranges of Haiku's util/Random.h (MAX_FAST_RANDOM_VALUE...), which lives in HAIKU_SRC */
#define FAST_RANDOM_MASK 0x7fffu
#define RANDOM_MASK 0x7fffffffu
#define SECURE_RANDOM_MASK 0xffffffffu

/*
 * Haiku (src/system/kernel/util/Random.cpp) keeps three generators seeded from the clock; their
 * ranges are what callers rely on: fast_random_value 15 bits (FAST_RANDOM_MASK), random_value
 * 31 bits, secure_random_value 32 bits. The shim draws all three from one
 * splitmix64 sequence restarted at a fixed state each boot: a MAC address the upstream tunnel
 * driver makes up (tunnel_init) is then the same in every replay of an input.
 */
#define SHIM_RANDOM_BOOT_STATE 0x5eed5eed5eed5eedull

static uint64 sRandomState = SHIM_RANDOM_BOOT_STATE;

void
shim_random_reset(void)
{
	__atomic_store_n(&sRandomState, SHIM_RANDOM_BOOT_STATE, __ATOMIC_RELAXED);
}

static uint64
next_random(void)
{
	uint64 z = __atomic_add_fetch(&sRandomState, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

unsigned int
fast_random_value(void)
{
	return (unsigned int)(next_random() & FAST_RANDOM_MASK);
}

unsigned int
random_value(void)
{
	return (unsigned int)(next_random() & RANDOM_MASK);
}

unsigned int
secure_random_value(void)
{
	return (unsigned int)(next_random() & SECURE_RANDOM_MASK);
}
