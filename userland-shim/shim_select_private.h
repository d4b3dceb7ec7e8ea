/* Private seam between select.c and devfs.c: the per-poll sync object behind each selectsync and
 * the devfs calls shim_poll uses to select and deselect one descriptor. Not for tests or driver. */
#ifndef SHIM_SELECT_PRIVATE_H
#define SHIM_SELECT_PRIVATE_H

#include "shim_internal.h"

#include <Select.h>

struct shim_poll_sync;

/* One (poll call, fd) slot: what a driver's select hook receives as its selectsync*. */
struct selectsync {
	struct shim_poll_sync* poll;
	int32 events;     /* notified SELECT_FLAG bits (atomic) */
	uint16 requested; /* pollfd.events */
	uint16 wanted;    /* bits whose notification wakes the poll (requested|ERR|HUP|NVAL) */
	uint16 selected;  /* events whose select hook returned B_OK */
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

#endif
