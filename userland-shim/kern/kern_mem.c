/* Shim memory and bookkeeping: the accounted, fault-injectable kernel heap (new bytes hold the fill
 * pattern of the info-leak check), object caches, object accounting and the leak check, fault
 * plans. */
#include "shim_private.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kern/kern_private.h"
#include "host/host_asan.h"

/* ---- kernel heap --------------------------------------------------------------------------- */

/* 16 bytes, so blocks keep malloc's 16-byte alignment */
struct heap_header {
	size_t size;
	uint64 magic;
};

#define HEAP_MAGIC 0x6b65726e656c2121ULL /* live block */
#define HEAP_FREED 0x6672656564212121ULL /* freed block (double free detection) */

static void*
heap_alloc(size_t size, bool zero)
{
	if (size > SIZE_MAX - sizeof(struct heap_header))
		return NULL;
	size_t total = sizeof(struct heap_header) + size;
	struct heap_header* header = zero ? calloc(1, total) : malloc(total);
	if (header == NULL)
		return NULL;
	/* what a field the driver never sets holds, for the info-leak check (kern_leak.c); Haiku's
	 * debug heap fills with 0xcc (debug/heap.cpp, heap_memalign, PARANOID_KERNEL_MALLOC) */
	if (!zero)
		memset(header + 1, SHIM_FILL_PATTERN, size);
	header->size = size;
	header->magic = HEAP_MAGIC;
	shim_account(SHIM_OBJ_ALLOC, 1);
	shim_account(SHIM_OBJ_ALLOC_BYTES, (int64)size);
	return header + 1;
}

static struct heap_header*
heap_header_of(void* block, const char* what)
{
	struct heap_header* header = (struct heap_header*)block - 1;
	if (header->magic != HEAP_MAGIC)
		panic(
			"%s: %p is not a live kernel heap block (freed twice or never allocated)", what, block);
	return header;
}

void*
shim_kmalloc(size_t size)
{
	host_schedule_point(HOST_POINT_ALLOC);
	if (shim_fault_check(SHIM_FAULT_ALLOC))
		return NULL;
	return heap_alloc(size, false);
}

void*
shim_kcalloc(size_t count, size_t size)
{
	host_schedule_point(HOST_POINT_ALLOC);
	if (shim_fault_check(SHIM_FAULT_ALLOC))
		return NULL;
	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	return heap_alloc(count * size, true);
}

void*
shim_krealloc(void* block, size_t size)
{
	if (block == NULL)
		return shim_kmalloc(size);
	if (size == 0) {
		shim_kfree(block);
		return NULL;
	}
	struct heap_header* header = heap_header_of(block, "realloc");
	host_schedule_point(HOST_POINT_ALLOC);
	if (shim_fault_check(SHIM_FAULT_ALLOC) || size > SIZE_MAX - sizeof(*header))
		return NULL;
	size_t oldSize = header->size;
	struct heap_header* resized = realloc(header, sizeof(*header) + size);
	if (resized == NULL)
		return NULL;
	resized->size = size;
	if (size > oldSize)
		memset((uint8*)(resized + 1) + oldSize, SHIM_FILL_PATTERN, size - oldSize);
	shim_account(SHIM_OBJ_ALLOC_BYTES, (int64)size - (int64)oldSize);
	return resized + 1;
}

void
shim_kfree(void* block)
{
	if (block == NULL)
		return;
	struct heap_header* header = heap_header_of(block, "free");
	header->magic = HEAP_FREED;
	shim_account(SHIM_OBJ_ALLOC, -1);
	shim_account(SHIM_OBJ_ALLOC_BYTES, -(int64)header->size);
	free(header);
}

void*
shim_host_alloc(size_t size)
{
	void* block = malloc(size > 0 ? size : 1);
	if (block == NULL) {
		fprintf(stderr, "shim: host out of memory (%zu bytes)\n", size);
		abort();
	}
	return block;
}

void
shim_host_free(void* block)
{
	/* ASan's free unwinds the caller's stack before it looks at the pointer */
	if (block != NULL)
		free(block);
}

/* ---- object caches ------------------------------------------------------------------------- */

/* Each cache has its own lock word, taken by spinning: its critical sections are a few
 * instructions, and with a sleeping lock a writer and a reader on two CPUs (a net_buffer goes from
 * one to the other with every packet) put each other to sleep. No kernel primitive, so no
 * scheduling point: the deterministic build's one host thread never switches while it holds one. */
static void
cache_lock(struct shim_object_cache* cache)
{
	while (__atomic_exchange_n(&cache->lock, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&cache->lock, __ATOMIC_RELAXED) != 0) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
	}
}

static void
cache_unlock(struct shim_object_cache* cache)
{
	__atomic_store_n(&cache->lock, 0, __ATOMIC_RELEASE);
}

void*
shim_cache_take(struct shim_object_cache* cache)
{
	cache_lock(cache);
	void* object = cache->count > 0 ? cache->items[--cache->count] : NULL;
	cache_unlock(cache);
	if (object != NULL)
		SHIM_UNPOISON(object, cache->size);
	return object;
}

bool
shim_cache_put(struct shim_object_cache* cache, void* object)
{
	/* poisoned before other threads can see it in the cache */
	SHIM_POISON(object, cache->size);
	cache_lock(cache);
	bool cached = cache->count < SHIM_OBJECT_CACHE_SIZE;
	if (cached)
		cache->items[cache->count++] = object;
	cache_unlock(cache);
	if (!cached)
		SHIM_UNPOISON(object, cache->size);
	return cached;
}

void*
shim_cache_alloc(struct shim_object_cache* cache)
{
	void* object = shim_cache_take(cache);
	return object != NULL ? object : shim_host_alloc(cache->size);
}

void
shim_cache_free(struct shim_object_cache* cache, void* object)
{
	if (object != NULL && !shim_cache_put(cache, object))
		shim_host_free(object);
}

/* ---- accounting ---------------------------------------------------------------------------- */

static int64 sObjects[SHIM_OBJ_KIND_COUNT];

static const char* const kObjectNames[SHIM_OBJ_KIND_COUNT] = {
	[SHIM_OBJ_ALLOC] = "allocations",
	[SHIM_OBJ_ALLOC_BYTES] = "alloc_bytes",
	[SHIM_OBJ_NET_BUFFER] = "net_buffers",
	[SHIM_OBJ_SEM] = "semaphores",
	[SHIM_OBJ_MUTEX] = "mutexes",
	[SHIM_OBJ_MUTEX_NAME] = "mutex_names",
	[SHIM_OBJ_NODE] = "nodes",
	[SHIM_OBJ_DESCRIPTOR] = "descriptors",
	[SHIM_OBJ_COOKIE] = "cookies",
	[SHIM_OBJ_SELECT_ENTRY] = "select_entries",
	[SHIM_OBJ_USER_CHUNK] = "user_chunks",
	[SHIM_OBJ_THREAD] = "threads",
};

/* high-water marks of the two kinds memory grows by (shim_objects_peak) */
static int64 sPeakBytes, sPeakBuffers;

static void
raise_peak(int64* peak, int64 value)
{
	int64 seen = __atomic_load_n(peak, __ATOMIC_RELAXED);
	while (value > seen
		   && !__atomic_compare_exchange_n(
			   peak, &seen, value, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void
shim_account(enum shim_object_kind kind, int64 delta)
{
	if ((unsigned)kind >= SHIM_OBJ_KIND_COUNT)
		return;
	int64 now = atomic_add64(&sObjects[kind], delta) + delta;
	if (kind == SHIM_OBJ_ALLOC_BYTES && delta > 0)
		raise_peak(&sPeakBytes, now);
	else if (kind == SHIM_OBJ_NET_BUFFER && delta > 0)
		raise_peak(&sPeakBuffers, now);
}

void
shim_objects_peak(struct shim_objects* peak)
{
	memset(peak, 0, sizeof(*peak));
	peak->alloc_bytes = __atomic_load_n(&sPeakBytes, __ATOMIC_RELAXED);
	peak->net_buffers = __atomic_load_n(&sPeakBuffers, __ATOMIC_RELAXED);
}

void
shim_objects_peak_reset(void)
{
	__atomic_store_n(&sPeakBytes, shim_account_get(SHIM_OBJ_ALLOC_BYTES), __ATOMIC_RELAXED);
	__atomic_store_n(&sPeakBuffers, shim_account_get(SHIM_OBJ_NET_BUFFER), __ATOMIC_RELAXED);
}

int64
shim_account_get(enum shim_object_kind kind)
{
	return (unsigned)kind < SHIM_OBJ_KIND_COUNT ? atomic_get64(&sObjects[kind]) : 0;
}

/* the struct's fields in enum shim_object_kind order */
static void
objects_to_array(const struct shim_objects* objects, int64* values)
{
	values[SHIM_OBJ_ALLOC] = objects->allocations;
	values[SHIM_OBJ_ALLOC_BYTES] = objects->alloc_bytes;
	values[SHIM_OBJ_NET_BUFFER] = objects->net_buffers;
	values[SHIM_OBJ_SEM] = objects->semaphores;
	values[SHIM_OBJ_MUTEX] = objects->mutexes;
	values[SHIM_OBJ_NODE] = objects->nodes;
	values[SHIM_OBJ_DESCRIPTOR] = objects->descriptors;
	values[SHIM_OBJ_COOKIE] = objects->cookies;
	values[SHIM_OBJ_SELECT_ENTRY] = objects->select_entries;
	values[SHIM_OBJ_USER_CHUNK] = objects->user_chunks;
	values[SHIM_OBJ_THREAD] = objects->threads;
	values[SHIM_OBJ_MUTEX_NAME] = objects->mutex_names;
}

void
shim_objects_get(struct shim_objects* objects)
{
	objects->allocations = shim_account_get(SHIM_OBJ_ALLOC);
	objects->alloc_bytes = shim_account_get(SHIM_OBJ_ALLOC_BYTES);
	objects->net_buffers = shim_account_get(SHIM_OBJ_NET_BUFFER);
	objects->semaphores = shim_account_get(SHIM_OBJ_SEM);
	objects->mutexes = shim_account_get(SHIM_OBJ_MUTEX);
	objects->nodes = shim_account_get(SHIM_OBJ_NODE);
	objects->descriptors = shim_account_get(SHIM_OBJ_DESCRIPTOR);
	objects->cookies = shim_account_get(SHIM_OBJ_COOKIE);
	objects->select_entries = shim_account_get(SHIM_OBJ_SELECT_ENTRY);
	objects->user_chunks = shim_account_get(SHIM_OBJ_USER_CHUNK);
	objects->threads = shim_account_get(SHIM_OBJ_THREAD);
	objects->mutex_names = shim_account_get(SHIM_OBJ_MUTEX_NAME);
}

static int32 sMutexesCounted = 1;

void
shim_leak_count_mutexes(bool counted)
{
	atomic_set(&sMutexesCounted, counted ? 1 : 0);
}

int
shim_leak_check(const struct shim_objects* baseline, const char* where)
{
	struct shim_objects now;
	int64 before[SHIM_OBJ_KIND_COUNT];
	int64 after[SHIM_OBJ_KIND_COUNT];
	shim_objects_get(&now);
	objects_to_array(baseline, before);
	objects_to_array(&now, after);

	int differing = 0;
	for (int kind = 0; kind < SHIM_OBJ_KIND_COUNT; kind++) {
		if (before[kind] == after[kind]
			|| (kind == SHIM_OBJ_MUTEX && atomic_get(&sMutexesCounted) == 0))
			continue;
		fprintf(stderr, "leak check (%s): %s: baseline %" PRId64 ", now %" PRId64 "\n",
			where != NULL ? where : "?", kObjectNames[kind], before[kind], after[kind]);
		differing++;
	}
	return differing;
}

/* ---- fault injection ----------------------------------------------------------------------- */

/* A plan counts down from nth; the call that takes it to 0 fails, and with `persistent` every
 * later one too. Arming stores the countdown before `armed`, so a racing check sees either the
 * old plan or the whole new one. */
struct fault_plan {
	int32 armed;
	int32 persistent;
	int64 countdown;
	int64 calls;
	int64 injected;
};

static struct fault_plan sFaults[SHIM_FAULT_SITE_COUNT];
/* shim_fault_fail_point(): one countdown over the calls at every site (syzkaller's fail-nth) */
static struct fault_plan sAnySite;

static bool
plan_fails(struct fault_plan* plan)
{
	if (atomic_get(&plan->armed) == 0)
		return false;
	int64 left = atomic_add64(&plan->countdown, -1) - 1;
	return left == 0 || (left < 0 && atomic_get(&plan->persistent) != 0);
}

bool
shim_fault_check(enum shim_fault_site site)
{
	if ((unsigned)site >= SHIM_FAULT_SITE_COUNT)
		return false;
	struct fault_plan* plan = &sFaults[site];
	atomic_add64(&plan->calls, 1);
	bool anySite = plan_fails(&sAnySite);
	if (plan_fails(plan) || anySite) {
		atomic_add64(&plan->injected, 1);
		return true;
	}
	return false;
}

static void
plan_arm(struct fault_plan* plan, int64 nth, bool persistent)
{
	atomic_set(&plan->armed, 0);
	if (nth <= 0)
		return;
	atomic_set64(&plan->countdown, nth);
	atomic_set(&plan->persistent, persistent ? 1 : 0);
	atomic_set(&plan->armed, 1);
}

void
shim_fault_fail_point(int64 nth)
{
	plan_arm(&sAnySite, nth, false);
}

int64
shim_fault_points(void)
{
	int64 calls = 0;
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++)
		calls += atomic_get64(&sFaults[site].calls);
	return calls;
}

void
shim_fault_fail_nth(enum shim_fault_site site, int64 nth, bool persistent)
{
	if ((unsigned)site >= SHIM_FAULT_SITE_COUNT)
		return;
	plan_arm(&sFaults[site], nth, persistent);
}

int64
shim_fault_calls(enum shim_fault_site site)
{
	return (unsigned)site < SHIM_FAULT_SITE_COUNT ? atomic_get64(&sFaults[site].calls) : 0;
}

int64
shim_fault_injected(enum shim_fault_site site)
{
	return (unsigned)site < SHIM_FAULT_SITE_COUNT ? atomic_get64(&sFaults[site].injected) : 0;
}

void
shim_fault_clear(void)
{
	atomic_set(&sAnySite.armed, 0);
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++) {
		atomic_set(&sFaults[site].armed, 0);
		atomic_set64(&sFaults[site].calls, 0);
		atomic_set64(&sFaults[site].injected, 0);
	}
}

/* ---- reset ------------------------------------------------------------------------------- */

/* accounting and fault plans, for the next boot (kern_boot.c) */
void
shim_mem_reset(void)
{
	for (int kind = 0; kind < SHIM_OBJ_KIND_COUNT; kind++)
		atomic_set64(&sObjects[kind], 0);
	shim_fault_clear();
}
