/* Internal seams between the shim's own files (not for tests or the driver): accounting, fault
 * checks, the syscall boundary, thread registry, and booting with a chosen set of modules. */
#ifndef SHIM_INTERNAL_H
#define SHIM_INTERNAL_H

#define SHIM_IMPLEMENTATION 1

#include <stdio.h>

#include <Drivers.h>
#include <KernelExport.h>
#include <OS.h>
#include <lock.h>
#include <module.h>

#include "shim.h"

/* ---- accounting (kern_mem.c): live-object counters behind shim_objects_get() ---------------- */
enum shim_object_kind {
	SHIM_OBJ_ALLOC,
	SHIM_OBJ_ALLOC_BYTES,
	SHIM_OBJ_NET_BUFFER,
	SHIM_OBJ_SEM,
	SHIM_OBJ_MUTEX,
	SHIM_OBJ_NODE,
	SHIM_OBJ_DESCRIPTOR,
	SHIM_OBJ_COOKIE,
	SHIM_OBJ_SELECT_ENTRY,
	SHIM_OBJ_USER_CHUNK,
	SHIM_OBJ_THREAD,
	SHIM_OBJ_MUTEX_NAME,
	SHIM_OBJ_KIND_COUNT
};
void shim_account(enum shim_object_kind kind, int64 delta);
int64 shim_account_get(enum shim_object_kind kind);

/* ---- fault injection (kern_mem.c) ------------------------------------------------------------ */
/* count one call at `site`; true when the active fault plan says this call must fail */
bool shim_fault_check(enum shim_fault_site site);

/* ---- kernel heap without fault injection or accounting, for the shim's own bookkeeping ------- */
void* shim_host_alloc(size_t size); /* never NULL: aborts on host OOM */
void shim_host_free(void* block);

/* ---- user arena (kern_user.c) ---------------------------------------------------------------- */
/* shim_user_alloc(size) then shim_user_put(.., source, size), without the zero fill in between */
void* shim_user_alloc_copy(const void* source, size_t size);
/* user_memcpy at the caller's `site` (a return address), choosing the info-leak rules
 * (kern/kern_leak.c): a copy to user memory is checked for uninitialised bytes, one from it noted
 * as bytes that came from outside */
#define SHIM_COPY_CHECK_OUT 0x1
#define SHIM_COPY_NOTE_IN 0x2
status_t shim_user_copy(void* to, const void* from, size_t size, uint32 flags, void* site);
/* nothing user memory brought in is left in the kernel: no device interface (net/) */
void shim_leak_forget_external(void);

/* ---- object caches (kern_mem.c) -------------------------------------------------------------- */
/* Idle objects of one size kept for reuse instead of a host free + alloc pair (ASan's malloc and
 * free are a large part of an execution under the fuzzers), for the shim's own objects: a driver's
 * net_devices, select pools and selectsyncs stay with ASan's quarantine, so a use after free is
 * caught. net_buffers are cached: an idle one is
 * poisoned and a freed one fails its magic check until it is reused. Idle objects are
 * ASan-poisoned; they stay across boots (a reboot per input is common) and the cache's array,
 * static and unpoisoned, keeps them reachable for LSan. Once a cache is full an input frees as
 * many blocks as it allocates, which spares the re-run libFuzzer does when an input allocates
 * more than it frees. Define with SHIM_OBJECT_CACHE(name, size).
 */
#define SHIM_OBJECT_CACHE_SIZE 64
struct shim_object_cache {
	size_t size;
	int32 lock; /* kern_mem.c: a spin lock word; its spinners stay off the line below */
	int32 count __attribute__((aligned(64)));
	void* items[SHIM_OBJECT_CACHE_SIZE];
};
#define SHIM_OBJECT_CACHE(name, objectSize) struct shim_object_cache name = {.size = (objectSize)}
void* shim_cache_alloc(struct shim_object_cache* cache); /* uninitialized, never NULL */
void shim_cache_free(struct shim_object_cache* cache, void* object);
/* an idle object (unpoisoned), NULL when there is none */
void* shim_cache_take(struct shim_object_cache* cache);
/* keeps `object` (poisoned) unless the cache is full: false, and the object is the caller's */
bool shim_cache_put(struct shim_object_cache* cache, void* object);

/* ---- threads (kern_thread.c) ---------------------------------------------------------------- */
/* the id the next thread gets (tests of the wrap past INT32_MAX) */
void shim_threads_set_next_id(thread_id id);
/* the calling thread has a pending interrupt (B_CAN_INTERRUPT waits would return at once) */
bool shim_interrupt_pending(void);
/* a pending signal of this action (shim_signal()), as a bit of what the syscall exit takes */
#define SHIM_SIGNAL_BIT(action) (1 << (action))
/* the syscall exit's part of signal delivery: take the calling thread's pending signals (their
 * handlers run now) and return their SHIM_SIGNAL_BIT()s; 0 if none was pending */
int32 shim_syscall_exit_signals(void);
/* A shim.h descriptor call begins (dev/syscalls.c); shim_syscall_exit() (shim.h) ends it. In
 * between, user_memcpy reports a copy-in of user bytes the call already copied in (kern_user.c). */
void shim_syscall_enter(void);

/* ---- mutexes (kern_lock.c) ------------------------------------------------------------------ */
/* list a static mutex (MUTEX_INITIALIZER) for shim_mutex_hold(); mutex_init lists the others */
void shim_mutex_list(mutex* lock);

/* A recursive mutex (Haiku's recursive_lock) for the shim's own tables whose users call back in:
 * the module table (std_ops get modules), the legacy drivers (their hooks reach devfs). */
struct shim_recursive_lock {
	mutex lock;
	int32 holder; /* thread_id, -1 when free */
	int32 depth;
};
#define SHIM_RECURSIVE_LOCK_INITIALIZER(name) \
	{                                         \
		MUTEX_INITIALIZER(name), -1, 0        \
	}

static inline void
shim_recursive_lock(struct shim_recursive_lock* lock)
{
	thread_id self = find_thread(NULL);
	if (atomic_get(&lock->holder) == self) {
		lock->depth++;
		return;
	}
	mutex_lock(&lock->lock);
	atomic_set(&lock->holder, self);
	lock->depth = 1;
}

static inline void
shim_recursive_unlock(struct shim_recursive_lock* lock)
{
	if (--lock->depth > 0)
		return;
	atomic_set(&lock->holder, -1);
	mutex_unlock(&lock->lock);
}

/* ---- boot (boot.c) -------------------------------------------------------------------------- */
/* shim_boot() is shim_boot_with(<the linked driver's modules[]>, <its module_dependencies[]>) */
status_t shim_boot_with(module_info** addonModules, module_dependency* addonDependencies);

/* A devfs (legacy) driver in the add-on image: the symbols legacy_drivers.cpp looks up in it, and
 * the drivers/dev subdirectories the image is linked under (make haiku-install's symlinks). */
struct shim_driver_exports {
	const char* name;               /* the file's leaf: Haiku's driver name */
	const char* const* directories; /* "tun", "tap", NULL */
	int32* api_version;
	status_t (*init_hardware)(void);
	status_t (*init_driver)(void);
	void (*uninit_driver)(void);
	const char** (*publish_devices)(void);
	device_hooks* (*find_device)(const char* name);
};
/* shim_boot_with() and a devfs driver (NULL: none) that devfs loads on demand (legacy_drivers.c) */
status_t shim_boot_addon(module_info** addonModules, module_dependency* addonDependencies,
	const struct shim_driver_exports* driver);

/* ---- the add-on image (addon_image.c) ------------------------------------------------------- */
/* its statics as a fresh load gives them (boot.c, before its modules are registered) */
void shim_addon_image_load(void);

/* ---- the add-on image's mapping (image.c) ---------------------------------------------------- */
/* a boot's add-on, `name` for messages (NULL: none); puts back what the last unload poisoned */
void shim_image_reset(const char* name);
/* a module of the image: its std_ops (and net_device hooks, deviceModule) poisoned at unload */
void shim_image_add_module(module_info* info, bool deviceModule);
/* a device_hooks table published while the image is mapped: poisoned at unload */
void shim_image_note_hooks(device_hooks* hooks);
/* load_kernel_add_on / unload_kernel_add_on of the image: the last release unmaps (poisons) it,
 * the next acquire maps it afresh */
void shim_image_acquire(void);
void shim_image_release(void);

/* ---- module table (module.c) ---------------------------------------------------------------- */
/* register a module that is "built in" (the stack's own modules) */
status_t shim_module_register(module_info* info, module_dependency* dependencies);
/* register the modules of the boot's add-on image (its modules[] and module_dependencies[]) */
status_t shim_module_register_image(module_info** modules, module_dependency* dependencies);
/* unload every module nobody but B_KEEP_LOADED holds (shutdown; Haiku never uninitializes a
 * B_KEEP_LOADED module); returns B_OK or the first std_ops(B_MODULE_UNINIT) error */
status_t shim_module_unload_all(void);
void shim_module_reset(void);
/* iterate registered module names starting with prefix; returns the n-th or NULL */
const char* shim_module_name_at(const char* prefix, int index);

/* ---- per-subsystem init/teardown, called by boot.c in this order ----------------------------- */
void shim_kern_init(void); /* threads, sems, heap, user arena, the info-leak memory */
void shim_kern_fini(void);
void shim_devfs_init(void);
void shim_devfs_fini(void); /* closes all descriptors still open */
void shim_legacy_init(const struct shim_driver_exports* driver); /* the boot's devfs driver */
void shim_legacy_fini(void); /* shutdown: its devices unpublished, the driver unloaded */
void shim_stack_init(void);  /* registers the stack and datalink modules (boot: the buffer's) */
void shim_stack_fini(void);  /* deletes every interface */

/* strcmp(a, b) == 0 and strncmp(a, b, length) == 0 as plain loops, for the shim's name and path
 * lookups: under the fuzzers the libc calls are intercepted (ASan, libFuzzer's compare hooks) and
 * cost far more than the compare; those names are never fuzzer bytes */
static inline bool
shim_str_equal(const char* a, const char* b)
{
	if (a == b)
		return true;
	for (;; a++, b++) {
		if (*a != *b)
			return false;
		if (*a == '\0')
			return true;
	}
}

static inline bool
shim_str_prefix(const char* a, const char* b, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return true;
}

#endif
