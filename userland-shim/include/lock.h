/* Shim: Haiku's kernel mutex (private/kernel/lock.h). Not interruptible, not recursive; locking
 * twice or unlocking a mutex the caller does not hold panics, as under KDEBUG. */
#ifndef SHIM_LOCK_H
#define SHIM_LOCK_H

#include <OS.h>

struct shim_waiter;

typedef struct mutex {
	const char* name;
	thread_id holder; /* -1 when free */
	uint32 flags;
	struct shim_waiter* waiters; /* FIFO of blocked threads, owned by the shim */
	struct shim_waiter* waiters_tail;
} mutex;

#define MUTEX_FLAG_CLONE_NAME 0x1
#define MUTEX_INITIALIZER(name) \
	{                           \
		name, -1, 0, NULL, NULL \
	}

#ifdef __cplusplus
extern "C" {
#endif

void mutex_init(mutex* lock, const char* name);
void mutex_init_etc(mutex* lock, const char* name, uint32 flags);
void mutex_destroy(mutex* lock);
status_t mutex_lock(mutex* lock);
status_t mutex_trylock(mutex* lock);
void mutex_unlock(mutex* lock);
/* unlock `from` and lock `to` as one step (no wake-up can fall between) */
status_t mutex_switch_lock(mutex* from, mutex* to);

#ifdef __cplusplus
}
#endif

#define ASSERT_LOCKED_MUTEX(m)                             \
	do {                                                   \
		if (atomic_get(&(m)->holder) != find_thread(NULL)) \
			panic("mutex %s not held", (m)->name);         \
	} while (0)

#endif
