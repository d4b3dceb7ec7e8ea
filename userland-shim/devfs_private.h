/* Private seam between devfs.c (nodes, descriptions, poll support) and devfs_calls.c (the
 * shim.h descriptor calls): the objects, the devfs lock and the end-of-life helpers. */
#ifndef SHIM_DEVFS_PRIVATE_H
#define SHIM_DEVFS_PRIVATE_H

#include "shim_internal.h"

#include <string.h>

#include <Drivers.h>
#include <lock.h>

#include "shim_select_private.h"

struct devfs_node {
	struct devfs_node* next; /* on the published list */
	char* path;              /* relative to /dev: inline_path when it fits */
	device_hooks* hooks;
	int32 refs; /* 1 while published + 1 per description or open in progress */
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

/* with gDevfsLock held */
struct devfs_node* devfs_find_node_locked(const char* path);
int devfs_count_nodes_locked(const char* prefix);
void devfs_put_node_locked(struct devfs_node* node);
struct description* devfs_slot_description_locked(int fd);
/* a new descriptor (the lowest free one) for `description`, or B_NO_MEMORY */
int devfs_alloc_slot_locked(struct description* description);
/* the next end-of-life step (close hook, free hook) of a description; frees it when done */
int devfs_next_action_locked(struct description* description);

/* without the lock */
void devfs_run_actions(struct description* description, int action);
/* a reference for one call (B_FILE_ERROR if closed, invalid or disconnected) */
status_t devfs_get_description(int fd, struct description** _description, int32* _openMode);
void devfs_put_description(struct description* description);
status_t devfs_close_fd(int fd);

#endif
