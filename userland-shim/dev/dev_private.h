/* Private seam of the shim's device layer: devfs.c (nodes, descriptions), devfs_calls.c (what the
 * VFS does per call), select.c (sync pools), poll.c, syscalls.c (the shim.h calls). */
#ifndef SHIM_DEV_PRIVATE_H
#define SHIM_DEV_PRIVATE_H

#include "shim_private.h"

#include <string.h>

#include <Drivers.h>
#include <Select.h>
#include <lock.h>

/* ---- select.c: the per-poll sync object behind each selectsync ----------------------------- */

struct shim_poll_sync;

/* One (poll call, fd) slot: what a driver's select hook receives as its selectsync*. */
struct selectsync {
	struct shim_poll_sync* poll;
	int32 events;     /* notified SELECT_FLAG bits (atomic) */
	uint16 requested; /* pollfd.events */
	uint16 wanted;    /* what revents may report: requested|ERR|HUP|NVAL */
	uint16 selected;  /* events whose select hook returned B_OK */
	/* (atomic) bits whose notification wakes the poll: `wanted` while the select hooks run, then
	 * `selected` and NVAL (Haiku's select_fd() narrows info->selected_events the same way) */
	int32 wakes;
	int fd;
	/* devfs bookkeeping, under the devfs lock */
	bool attached; /* listed on its fd slot: a close of that fd deselects it */
	struct selectsync* slot_next;
	void* description;
};

/* One poll call: its semaphore and one selectsync per pollfd, allocated as one block. */
struct shim_poll_sync {
	sem_id sem;
	int32 refs; /* the poll call + every closer deselecting one of its entries */
	int32 count;
	struct selectsync entries[];
};

/* mark flags (SELECT_FLAG bits) notified on sync and wake its poll if it waits for one of them;
 * unlike notify_select_event() this is not counted as a driver notification */
void shim_select_wake(struct selectsync* sync, uint16 flags);
void shim_poll_sync_acquire(struct shim_poll_sync* poll);
/* the last release deletes the semaphore and frees the block (entries included) */
void shim_poll_sync_release(struct shim_poll_sync* poll);
/* reset the notification counter (boot) */
void shim_select_reset(void);

/* devfs side (devfs.c): select sync->requested (plus ERROR and DISCONNECTED) on sync->fd and
 * attach sync to the fd's slot; an invalid descriptor is woken with POLLNVAL at once */
void shim_devfs_select(struct selectsync* sync);
/* detach sync from its slot (if a close did not already) and deselect its selected events */
void shim_devfs_deselect(struct selectsync* sync);
/* for the shim's own tests: a descriptor's open mode, or B_FILE_ERROR */
int32 shim_devfs_open_mode(int fd);

/* ---- devfs.c, devfs_calls.c: nodes, descriptions, the devfs lock ---------------------------- */

#define DEVFS_PATH_MAX 1024

/* What devfs calls on a node's device besides its hooks: Haiku's BaseDevice::InitDevice (every
 * open, before the open hook) and UninitDevice (after the free hook, or after a failed open). A
 * legacy driver's device (LegacyDevice) loads and counts its driver there; NULL for a device
 * published with devfs_publish_device(). */
struct devfs_device_ops {
	status_t (*init)(void* device);
	void (*uninit)(void* device);
};

struct devfs_node {
	struct devfs_node* next; /* on the published list */
	char* path;              /* relative to /dev: inline_path when it fits */
	device_hooks* hooks;
	const struct devfs_device_ops* ops;
	void* device; /* ops' argument */
	int32 refs;   /* 1 while published + 1 per description or open in progress */
	char inline_path[44];
};

/* idle nodes and descriptions kept for reuse (devfs.c) */
extern struct shim_object_cache gDevfsNodeCache;
extern struct shim_object_cache gDevfsDescriptionCache;

/* A file description: what open() created, shared by dup()ed descriptors. */
struct description {
	struct devfs_node* node;
	device_hooks* hooks;
	void* cookie;
	int32 open_mode;
	int32 slots;    /* descriptors (fd slots) referring to it */
	int32 holds;    /* poll select/deselect in progress: they keep it open */
	int32 inflight; /* calls in progress, holds included */
	bool disconnected;
	bool closing, close_done, freeing, free_done;
	struct selectsync* detached; /* selections a disconnect-close must deselect */
};

enum { DEVFS_ACTION_NONE, DEVFS_ACTION_CLOSE, DEVFS_ACTION_FREE };

/* guards nodes, the descriptor table, the descriptions' counters and select attachments; never
 * held while a driver hook runs */
extern mutex gDevfsLock;

static inline const char*
devfs_strip_dev(const char* path)
{
	/* not strncmp: the fuzzers intercept it (ASan, libFuzzer's compare hooks) on this hot path */
	return path[0] == '/' && path[1] == 'd' && path[2] == 'e' && path[3] == 'v' && path[4] == '/'
			   ? path + 5
			   : path;
}

/* publish a node whose device has ops (legacy_drivers.c); devfs_publish_device() is this without */
status_t devfs_publish_node(
	const char* path, device_hooks* hooks, const struct devfs_device_ops* ops, void* device);
/* LegacyDevice::SetHooks: a published node's hooks replaced (later opens use them) */
void devfs_set_hooks(const char* path, device_hooks* hooks);
/* (devfs_publish_directory(), fs/devfs.h: `path` and its parents exist as directories from now
 * on; a node's parents do too: devfs never removes a directory) */

/* with gDevfsLock held */
struct devfs_node* devfs_find_node_locked(const char* path);
/* devfs_dirs.c, with gDevfsLock held: a directory ("" is /dev) exists */
bool devfs_dir_exists_locked(const char* path);
/* the directory exists and was not scanned for drivers yet (devfs.cpp, scan_for_drivers_if_needed
 * scans each directory once); devfs_dir_set_scanned_locked() marks it */
bool devfs_dir_needs_scan_locked(const char* path);
void devfs_dir_set_scanned_locked(const char* path);
/* every directory on `path` (its parent directories, /dev first) was scanned already */
bool devfs_path_scanned_locked(const char* path);
/* the directories above `path` ("tun" for "tun/0"), and `path` itself if `self` */
void devfs_add_parents_locked(const char* path, bool self);
/* boot: only /dev, not scanned */
void devfs_reset_dirs_locked(void);

/* legacy_drivers.c: the drivers of a directory, as legacy_driver_probe() loads them ("" is /dev:
 * its driver subdirectories become directories) */
void shim_legacy_probe(const char* directory);
int devfs_count_nodes_locked(const char* prefix);
void devfs_put_node_locked(struct devfs_node* node);
struct description* devfs_slot_description_locked(int fd);
/* a new descriptor (the lowest free one) for `description`, or B_NO_MEMORY */
int devfs_alloc_slot_locked(struct description* description);
/* the next end-of-life step (close hook, free hook) of a description; frees it when done */
int devfs_next_action_locked(struct description* description);

/* the descriptor calls (devfs_calls.c) and poll (poll.c) behind the shim.h syscalls
 * (syscalls.c, which adds the syscall exit) */
int devfs_open(const char* path, int openMode);
int devfs_dup(int fd);
/* stage: copy through a user-arena buffer (shim_read/shim_write), else `buffer` is user memory */
ssize_t devfs_io(int fd, void* buffer, size_t length, bool write, bool stage);
status_t devfs_ioctl(int fd, uint32 op, void* argument, size_t length);
/* buffer (bufferSize bytes) copied to the user arena and back around the call */
status_t devfs_ioctl_staged(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length);
status_t devfs_set_nonblocking(int fd, bool nonBlocking);
bool devfs_node_exists(const char* path);
status_t devfs_lookup(const char* path);
int devfs_count_nodes(const char* prefix);
int select_poll(struct shim_pollfd* fds, int count, bigtime_t timeout);

/* without the lock */
void devfs_run_actions(struct description* description, int action);
/* a reference for one call (B_FILE_ERROR if closed, invalid or disconnected) */
status_t devfs_get_description(int fd, struct description** _description, int32* _openMode);
void devfs_put_description(struct description* description);
status_t devfs_close_fd(int fd);

#endif
