/* Shim user memory: one mmap'd arena (ASan-poisoned) holding the test's user buffers, a guarded
 * allocator for it, and Haiku's user_memcpy/user_strlcpy/user_memset rules on top (copies in go to
 * the double-fetch check, kern_fetch.c; copies out to the info-leak check, kern_leak.c). */
#include "shim_private.h"

#include <string.h>

#include "kern/kern_private.h"
#include "host/host_asan.h"

/*
 * The arena is mapped once per process and never unmapped; each boot forgets its allocations.
 * Its first and last page are never allocated (shim_user_bad_address() and
 * shim_user_straddle_end() point there), chunks are 16-byte aligned with at least 64 unused
 * bytes between them, and allocation is next-fit so a freed range is not reused at once (the
 * cursor wraps after ARENA_WINDOW).
 *
 * A range [p, p + n) is user memory when it touches the arena: it must then lie inside one live
 * chunk (as requested, not as rounded). Anything else is kernel memory, except the first 64 KiB
 * (the NULL page). Under ASan the whole arena is poisoned and stays so: only the byte loops
 * below, built without ASan instrumentation, touch it; the kernel side of a copy is checked
 * first, and a bad one is copied with ordinary (checked) memcpy through a bounce buffer, so ASan
 * reports kernel overflows as it would for any memcpy.
 */

#define ARENA_SIZE ((size_t)64 << 20)
#define ARENA_EDGE 4096
#define CHUNK_ALIGN 16
#define CHUNK_GUARD 64
#define NULL_PAGE_END ((addr_t)64 * 1024)
/* next-fit wraps to the arena's start once the cursor passes this much: a freed range is still
 * not reused at once, but a long run keeps touching the same few MiB (no page faults, warm
 * caches) instead of walking all of the arena; larger requests still get the rest of it */
#define ARENA_WINDOW ((addr_t)4 << 20)

#define ROUND_UP(value, alignment) (((value) + (alignment)-1) & ~((addr_t)(alignment)-1))

struct user_chunk {
	addr_t start;
	size_t size;
};

enum range_kind { RANGE_BAD, RANGE_USER, RANGE_KERNEL };

static host_lock sArenaLock = HOST_LOCK_INITIALIZER;
static uint8* sArena;              /* atomic; set once */
static struct user_chunk* sChunks; /* sorted by start; under sArenaLock */
static int32 sChunkCount;
static int32 sChunkCapacity;
static addr_t sCursor;

/* ---- byte movers that may touch the arena --------------------------------------------------- */

#if SHIM_ASAN
/* volatile block and word accesses: the compiler may not turn these loops into (intercepted)
 * memcpy or memset calls; aligned(1) because either side may be at any address. Blocks of 32
 * bytes keep the loops (and their UBSan pointer checks) short. */
typedef uint64 __attribute__((aligned(1), may_alias)) unaligned_word;
typedef uint64 __attribute__((vector_size(32), aligned(1), may_alias)) unaligned_block;
#endif

SHIM_NO_ASAN static void
arena_copy(void* to, const void* from, size_t size)
{
#if SHIM_ASAN
	volatile unaligned_block* targetBlocks = to;
	const volatile unaligned_block* sourceBlocks = from;
	size_t blocks = size / sizeof(unaligned_block);
	for (size_t i = 0; i < blocks; i++)
		targetBlocks[i] = sourceBlocks[i];
	size_t done = blocks * sizeof(unaligned_block);
	volatile unaligned_word* targetWords = (volatile unaligned_word*)((uint8*)to + done);
	const volatile unaligned_word* sourceWords =
		(const volatile unaligned_word*)((const uint8*)from + done);
	size_t words = (size - done) / sizeof(uint64);
	for (size_t i = 0; i < words; i++)
		targetWords[i] = sourceWords[i];
	volatile uint8* target = to;
	const volatile uint8* source = from;
	for (size_t i = done + words * sizeof(uint64); i < size; i++)
		target[i] = source[i];
#else
	memcpy(to, from, size);
#endif
}

SHIM_NO_ASAN static void
arena_fill(void* to, uint8 value, size_t size)
{
#if SHIM_ASAN
	uint64 word = value * 0x0101010101010101ULL;
	unaligned_block block = {word, word, word, word};
	volatile unaligned_block* targetBlocks = to;
	size_t blocks = size / sizeof(unaligned_block);
	for (size_t i = 0; i < blocks; i++)
		targetBlocks[i] = block;
	size_t done = blocks * sizeof(unaligned_block);
	volatile unaligned_word* targetWords = (volatile unaligned_word*)((uint8*)to + done);
	size_t words = (size - done) / sizeof(uint64);
	for (size_t i = 0; i < words; i++)
		targetWords[i] = word;
	volatile uint8* target = to;
	for (size_t i = done + words * sizeof(uint64); i < size; i++)
		target[i] = value;
#else
	memset(to, value, size);
#endif
}

SHIM_NO_ASAN static size_t
arena_strnlen(const char* string, size_t limit)
{
	const volatile char* source = string;
	size_t length = 0;
	while (length < limit && source[length] != '\0')
		length++;
	return length;
}

/* copy between any two valid ranges; arena bytes only through the movers above */
static void
copy_ranges(
	void* to, enum range_kind toKind, const void* from, enum range_kind fromKind, size_t size)
{
	if (toKind == RANGE_KERNEL && fromKind == RANGE_KERNEL) {
		memmove(to, from, size);
		return;
	}
	if (toKind == RANGE_USER && fromKind == RANGE_USER) {
		arena_copy(to, from, size);
		return;
	}
#if SHIM_ASAN
	/* the kernel range is checked once; a good one is copied by the unchecked mover */
	if (__asan_region_is_poisoned(toKind == RANGE_KERNEL ? to : (void*)from, size) == NULL) {
		arena_copy(to, from, size);
		return;
	}
	/* a bad one (a driver's overflow): ASan's memcpy reports it, through a bounce buffer */
	uint8 bounce[512];
	for (size_t done = 0; done < size;) {
		size_t length = min_c(size - done, sizeof(bounce));
		if (fromKind == RANGE_USER) {
			arena_copy(bounce, (const uint8*)from + done, length);
			memcpy((uint8*)to + done, bounce, length);
		} else {
			memcpy(bounce, (const uint8*)from + done, length);
			arena_copy((uint8*)to + done, bounce, length);
		}
		done += length;
	}
#else
	memmove(to, from, size);
#endif
}

/* ---- the arena and its chunks --------------------------------------------------------------- */

static addr_t
arena_base(void)
{
	return (addr_t)__atomic_load_n(&sArena, __ATOMIC_ACQUIRE);
}

static addr_t
arena_ensure(void)
{
	addr_t base = arena_base();
	if (base != 0)
		return base;
	host_lock_acquire(&sArenaLock);
	if (sArena == NULL) {
		uint8* arena = host_map(ARENA_SIZE);
#if SHIM_ASAN
		__asan_poison_memory_region(arena, ARENA_SIZE);
#endif
		__atomic_store_n(&sArena, arena, __ATOMIC_RELEASE);
	}
	base = (addr_t)sArena;
	host_lock_release(&sArenaLock);
	return base;
}

/* index of the first chunk starting after `address` (callers hold sArenaLock) */
static int32
chunk_upper_bound(addr_t address)
{
	int32 low = 0;
	int32 high = sChunkCount;
	while (low < high) {
		int32 middle = low + (high - low) / 2;
		if (sChunks[middle].start <= address)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/* bytes from `address` to the end of the live chunk holding it, 0 if none */
static size_t
chunk_remaining(addr_t address)
{
	host_lock_acquire(&sArenaLock);
	int32 index = chunk_upper_bound(address) - 1;
	size_t remaining = 0;
	if (index >= 0 && address - sChunks[index].start < sChunks[index].size)
		remaining = sChunks[index].start + sChunks[index].size - address;
	host_lock_release(&sArenaLock);
	return remaining;
}

static enum range_kind
range_classify(const void* address, size_t size)
{
	addr_t start = (addr_t)address;
	if (start + size < start)
		return RANGE_BAD;
	addr_t base = arena_base();
	if (base != 0 && start < base + ARENA_SIZE && start + size > base) {
		if (start < base)
			return RANGE_BAD;
		return chunk_remaining(start) >= size ? RANGE_USER : RANGE_BAD;
	}
	return start < NULL_PAGE_END ? RANGE_BAD : RANGE_KERNEL;
}

/* first aligned address >= from with room for size + guards (callers hold sArenaLock) */
static addr_t
find_gap(addr_t from, size_t size, addr_t end)
{
	addr_t at = from;
	for (int32 i = 0; i < sChunkCount; i++) {
		addr_t chunkEnd = ROUND_UP(sChunks[i].start + sChunks[i].size, CHUNK_ALIGN) + CHUNK_GUARD;
		if (chunkEnd <= at)
			continue;
		if (at + size + CHUNK_GUARD <= sChunks[i].start)
			return at;
		at = chunkEnd;
	}
	return at + size <= end ? at : 0;
}

static void*
user_alloc(size_t size)
{
	addr_t base = arena_ensure();
	if (size > ARENA_SIZE)
		return NULL;
	size_t rounded = ROUND_UP(size > 0 ? size : 1, CHUNK_ALIGN);
	addr_t low = base + ARENA_EDGE;
	addr_t high = base + ARENA_SIZE - ARENA_EDGE;

	host_lock_acquire(&sArenaLock);
	if (sCursor < low || sCursor >= high || sCursor - low >= ARENA_WINDOW)
		sCursor = low;
	addr_t at = find_gap(sCursor, rounded, high);
	if (at == 0)
		at = find_gap(low, rounded, high);
	if (at == 0) {
		host_lock_release(&sArenaLock);
		return NULL;
	}
	if (sChunkCount == sChunkCapacity) {
		int32 capacity = sChunkCapacity > 0 ? sChunkCapacity * 2 : 64;
		struct user_chunk* chunks = shim_host_alloc(capacity * sizeof(*chunks));
		if (sChunkCount > 0)
			memcpy(chunks, sChunks, sChunkCount * sizeof(*chunks));
		shim_host_free(sChunks);
		sChunks = chunks;
		sChunkCapacity = capacity;
	}
	int32 index = chunk_upper_bound(at);
	memmove(&sChunks[index + 1], &sChunks[index], (sChunkCount - index) * sizeof(*sChunks));
	sChunks[index].start = at;
	sChunks[index].size = size;
	sChunkCount++;
	sCursor = at + rounded + CHUNK_GUARD;
	host_lock_release(&sArenaLock);

	shim_account(SHIM_OBJ_USER_CHUNK, 1);
	return (void*)at;
}

void*
shim_user_alloc(size_t size)
{
	void* user = user_alloc(size);
	if (user != NULL)
		arena_fill(user, 0, size);
	return user;
}

void
shim_user_free(void* userAddress)
{
	if (userAddress == NULL)
		return;
	addr_t address = (addr_t)userAddress;
	host_lock_acquire(&sArenaLock);
	int32 index = chunk_upper_bound(address) - 1;
	if (index < 0 || sChunks[index].start != address) {
		host_lock_release(&sArenaLock);
		panic("shim_user_free: %p is not a live user allocation", userAddress);
	}
	memmove(&sChunks[index], &sChunks[index + 1], (sChunkCount - index - 1) * sizeof(*sChunks));
	sChunkCount--;
	host_lock_release(&sArenaLock);
	shim_account(SHIM_OBJ_USER_CHUNK, -1);
}

/* test-side copies: anywhere inside the arena (live chunk or not) */
static void
check_arena_range(const void* userAddress, size_t size, const char* what)
{
	addr_t base = arena_ensure();
	addr_t start = (addr_t)userAddress;
	if (start < base || start + size < start || start + size > base + ARENA_SIZE)
		panic("%s: [%p, +%zu) is not in the user arena", what, userAddress, size);
}

void
shim_user_put(void* userAddress, const void* source, size_t size)
{
	if (size == 0)
		return;
	check_arena_range(userAddress, size, "shim_user_put");
	copy_ranges(userAddress, RANGE_USER, source, RANGE_KERNEL, size);
}

void
shim_user_get(void* target, const void* userAddress, size_t size)
{
	if (size == 0)
		return;
	check_arena_range(userAddress, size, "shim_user_get");
	copy_ranges(target, RANGE_KERNEL, userAddress, RANGE_USER, size);
}

void*
shim_user_alloc_copy(const void* source, size_t size)
{
	void* user = user_alloc(size);
	if (user != NULL && size > 0)
		copy_ranges(user, RANGE_USER, source, RANGE_KERNEL, size);
	return user;
}

void*
shim_user_bad_address(void)
{
	return (void*)(arena_ensure() + 256);
}

/* inside the arena's last (never allocated) page; for size < 2 nothing can straddle, and the
 * result is the arena's last byte */
void*
shim_user_straddle_end(size_t size)
{
	size_t back = size >= 2 ? min_c((size + 1) / 2, (size_t)ARENA_EDGE) : 1;
	return (void*)(arena_ensure() + ARENA_SIZE - back);
}

void
shim_user_reset(void)
{
	arena_ensure();
	host_lock_acquire(&sArenaLock);
	sChunkCount = 0;
	sCursor = 0;
	host_lock_release(&sArenaLock);
}

/* ---- Haiku's user memory calls -------------------------------------------------------------- */

status_t
shim_user_copy(void* to, const void* from, size_t size, uint32 flags, void* site)
{
	host_schedule_point(HOST_POINT_USER_COPY);
	if (size == 0)
		return B_OK;
	if (shim_fault_check(SHIM_FAULT_USER_COPY))
		return B_BAD_ADDRESS;
	enum range_kind toKind = range_classify(to, size);
	enum range_kind fromKind = range_classify(from, size);
	if (toKind == RANGE_BAD || fromKind == RANGE_BAD)
		return B_BAD_ADDRESS;
	copy_ranges(to, toKind, from, fromKind, size);
	if (fromKind == RANGE_USER) {
		shim_user_fetched(from, size, site);
		if (toKind == RANGE_KERNEL && (flags & SHIM_COPY_NOTE_IN) != 0)
			shim_leak_note_in(to, size);
	} else if (toKind == RANGE_USER && (flags & SHIM_COPY_CHECK_OUT) != 0)
		shim_leak_check_out(from, size, to, site); /* after the copy checked the source */
	return B_OK;
}

status_t
user_memcpy(void* to, const void* from, size_t size)
{
	return shim_user_copy(
		to, from, size, SHIM_COPY_CHECK_OUT | SHIM_COPY_NOTE_IN, __builtin_return_address(0));
}

/* returns strlen(from), copying at most size - 1 bytes plus a NUL; a user source must end within
 * its chunk, a user target must hold `size` bytes */
ssize_t
user_strlcpy(char* to, const char* from, size_t size)
{
	if (to == NULL && size != 0)
		return B_BAD_VALUE;
	if (shim_fault_check(SHIM_FAULT_USER_COPY))
		return B_BAD_ADDRESS;
	enum range_kind fromKind = range_classify(from, 1);
	if (fromKind == RANGE_BAD)
		return B_BAD_ADDRESS;
	size_t length;
	if (fromKind == RANGE_USER) {
		size_t limit = chunk_remaining((addr_t)from);
		length = arena_strnlen(from, limit);
		if (length == limit)
			return B_BAD_ADDRESS;
		/* the string and its NUL were read */
		shim_user_fetched(from, length + 1, __builtin_return_address(0));
	} else
		length = strlen(from);
	if (size == 0)
		return (ssize_t)length;

	enum range_kind toKind = range_classify(to, size);
	if (toKind == RANGE_BAD)
		return B_BAD_ADDRESS;
	size_t copied = min_c(length, size - 1);
	static const char terminator = '\0';
	copy_ranges(to, toKind, from, fromKind, copied);
	copy_ranges(to + copied, toKind, &terminator, RANGE_KERNEL, 1);
	if (fromKind == RANGE_KERNEL && toKind == RANGE_USER)
		shim_leak_check_out(from, copied, to, __builtin_return_address(0));
	else if (fromKind == RANGE_USER && toKind == RANGE_KERNEL)
		shim_leak_note_in(to, copied);
	return (ssize_t)length;
}

status_t
user_memset(void* start, char c, size_t count)
{
	if (count == 0)
		return B_OK;
	if (shim_fault_check(SHIM_FAULT_USER_COPY))
		return B_BAD_ADDRESS;
	enum range_kind kind = range_classify(start, count);
	if (kind == RANGE_BAD)
		return B_BAD_ADDRESS;
	if (kind == RANGE_USER)
		arena_fill(start, (uint8)c, count);
	else
		memset(start, c, count);
	return B_OK;
}
