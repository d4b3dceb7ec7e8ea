/* devfs model: published nodes, file descriptions with Haiku's end of life (close hook at the last
 * close, free hook after the last in-flight call, disconnect) and poll's select/deselect. */
#include "dev/dev_private.h"

#include <fs/devfs.h>

#define FIRST_FD 3
#define MAX_FDS (1 << 20)

mutex gDevfsLock = MUTEX_INITIALIZER("shim devfs");
struct fd_slot {
	struct description* description;
	uint32 generation;
	struct selectsync* selects; /* poll selections attached to this descriptor */
};

SHIM_OBJECT_CACHE(gDevfsNodeCache, sizeof(struct devfs_node));
SHIM_OBJECT_CACHE(gDevfsDescriptionCache, sizeof(struct description));

static struct devfs_node* sNodes;
static struct fd_slot* sSlots;
static int sSlotCount;
static int sSlotCapacity; /* entries allocated: the table outlives the boots that empty it */
static uint32 sGeneration;

/* true if `inner` lies inside directory `outer` ("tun/0" inside "tun") */
static bool
inside(const char* inner, const char* outer)
{
	size_t length = strlen(outer);
	return shim_str_prefix(inner, outer, length) && inner[length] == '/';
}

struct devfs_node*
devfs_find_node_locked(const char* path)
{
	for (struct devfs_node* node = sNodes; node != NULL; node = node->next) {
		if (shim_str_equal(node->path, path))
			return node;
	}
	return NULL;
}

int
devfs_count_nodes_locked(const char* prefix)
{
	size_t length = strlen(prefix);
	int count = 0;
	for (struct devfs_node* node = sNodes; node != NULL; node = node->next) {
		if (shim_str_prefix(node->path, prefix, length))
			count++;
	}
	return count;
}

/* a node nobody references, published or not */
static void
free_node(struct devfs_node* node)
{
	if (node->path != node->inline_path)
		shim_host_free(node->path);
	shim_cache_free(&gDevfsNodeCache, node);
}

void
devfs_put_node_locked(struct devfs_node* node)
{
	if (--node->refs > 0)
		return;
	free_node(node);
}

struct description*
devfs_slot_description_locked(int fd)
{
	if (fd < 0 || fd >= sSlotCount)
		return NULL;
	return sSlots[fd].description;
}

int
devfs_alloc_slot_locked(struct description* description)
{
	int fd = FIRST_FD;
	while (fd < sSlotCount && sSlots[fd].description != NULL)
		fd++;
	if (fd >= MAX_FDS)
		return B_NO_MEMORY;
	if (fd >= sSlotCount) {
		int count = sSlotCount == 0 ? 64 : sSlotCount * 2;
		if (count > sSlotCapacity) {
			struct fd_slot* slots = shim_host_alloc(sizeof(struct fd_slot) * count);
			if (sSlots != NULL)
				memcpy(slots, sSlots, sizeof(struct fd_slot) * sSlotCount);
			shim_host_free(sSlots);
			sSlots = slots;
			sSlotCapacity = count;
		}
		memset(&sSlots[sSlotCount], 0, sizeof(struct fd_slot) * (count - sSlotCount));
		sSlotCount = count;
	}
	sSlots[fd].description = description;
	sSlots[fd].generation = ++sGeneration;
	sSlots[fd].selects = NULL;
	return fd;
}

/* Detach every selection attached to a slot of `description` (disconnect-close). */
static void
detach_all_selects_locked(struct description* description)
{
	for (int fd = 0; fd < sSlotCount; fd++) {
		if (sSlots[fd].description != description)
			continue;
		while (sSlots[fd].selects != NULL) {
			struct selectsync* sync = sSlots[fd].selects;
			sSlots[fd].selects = sync->slot_next;
			sync->attached = false;
			shim_poll_sync_acquire(sync->poll);
			sync->slot_next = description->detached;
			description->detached = sync;
		}
	}
}

/* Decide the next step of a description's end of life; destroys it when nothing is left. */
int
devfs_next_action_locked(struct description* description)
{
	if (!description->closing
		&& (description->slots + description->holds == 0
			|| (description->disconnected && description->inflight == 0))) {
		description->closing = true;
		if (description->disconnected)
			detach_all_selects_locked(description);
		return DEVFS_ACTION_CLOSE;
	}
	if (!description->close_done)
		return DEVFS_ACTION_NONE;
	if (!description->freeing && description->inflight == 0) {
		description->freeing = true;
		return DEVFS_ACTION_FREE;
	}
	if (!description->free_done)
		return DEVFS_ACTION_NONE;
	if (description->slots == 0 && description->inflight == 0) {
		devfs_put_node_locked(description->node);
		shim_cache_free(&gDevfsDescriptionCache, description);
	}
	return DEVFS_ACTION_NONE;
}

/* Deselect the selected events of detached selections, wake their polls with POLLNVAL. */
static void
deselect_detached(struct description* description, struct selectsync* list)
{
	while (list != NULL) {
		struct selectsync* sync = list;
		list = sync->slot_next;
		if (description->hooks->deselect != NULL) {
			for (uint8 event = B_SELECT_READ; event <= B_SELECT_DISCONNECTED; event++) {
				if ((sync->selected & SELECT_FLAG(event)) != 0)
					description->hooks->deselect(description->cookie, event, sync);
			}
		}
		shim_select_wake(sync, SHIM_POLLNVAL);
		shim_poll_sync_release(sync->poll);
	}
}

/* Run close and free hooks as decided by devfs_next_action_locked(); called without the lock. */
void
devfs_run_actions(struct description* description, int action)
{
	while (action != DEVFS_ACTION_NONE) {
		if (action == DEVFS_ACTION_CLOSE) {
			struct selectsync* detached = description->detached;
			description->detached = NULL;
			deselect_detached(description, detached);
			if (description->hooks->close != NULL)
				description->hooks->close(description->cookie);
			mutex_lock(&gDevfsLock);
			description->close_done = true;
		} else {
			if (description->hooks->free != NULL)
				description->hooks->free(description->cookie);
			struct devfs_node* node = description->node;
			if (node->ops != NULL)
				node->ops->uninit(node->device); /* devfs_free_cookie: UninitDevice */
			shim_account(SHIM_OBJ_COOKIE, -1);
			mutex_lock(&gDevfsLock);
			description->free_done = true;
		}
		action = devfs_next_action_locked(description);
		mutex_unlock(&gDevfsLock);
	}
}

status_t
devfs_get_description(int fd, struct description** _description, int32* _openMode)
{
	mutex_lock(&gDevfsLock);
	struct description* description = devfs_slot_description_locked(fd);
	if (description == NULL || description->disconnected) {
		mutex_unlock(&gDevfsLock);
		return B_FILE_ERROR;
	}
	description->inflight++;
	if (_openMode != NULL)
		*_openMode = description->open_mode;
	mutex_unlock(&gDevfsLock);
	*_description = description;
	return B_OK;
}

void
devfs_put_description(struct description* description)
{
	mutex_lock(&gDevfsLock);
	description->inflight--;
	int action = devfs_next_action_locked(description);
	mutex_unlock(&gDevfsLock);
	devfs_run_actions(description, action);
}


/* ---- publishing ------------------------------------------------------------------------------ */

status_t
devfs_publish_directory(const char* path)
{
	if (path == NULL || path[0] == '/')
		return B_BAD_VALUE;
	mutex_lock(&gDevfsLock);
	devfs_add_parents_locked(path, true);
	mutex_unlock(&gDevfsLock);
	return B_OK;
}

void
devfs_set_hooks(const char* path, device_hooks* hooks)
{
	mutex_lock(&gDevfsLock);
	struct devfs_node* node = devfs_find_node_locked(path);
	if (node != NULL)
		node->hooks = hooks;
	mutex_unlock(&gDevfsLock);
	shim_image_note_hooks(hooks);
}

status_t
devfs_publish_device(const char* path, device_hooks* calls)
{
	return devfs_publish_node(path, calls, NULL, NULL);
}

status_t
devfs_publish_node(
	const char* path, device_hooks* calls, const struct devfs_device_ops* ops, void* device)
{
	if (path == NULL || calls == NULL || path[0] == '\0' || path[0] == '/')
		return B_BAD_VALUE;
	size_t length = strlen(path);
	if (length >= DEVFS_PATH_MAX)
		return B_NAME_TOO_LONG;
	if (path[length - 1] == '/')
		return B_BAD_VALUE;
	for (size_t i = 1; i < length; i++) {
		if (path[i] == '/' && path[i - 1] == '/')
			return B_BAD_VALUE; /* "//" */
	}
	if (shim_fault_check(SHIM_FAULT_PUBLISH))
		return B_NO_MEMORY;

	struct devfs_node* node = shim_cache_alloc(&gDevfsNodeCache);
	node->path =
		length < sizeof(node->inline_path) ? node->inline_path : shim_host_alloc(length + 1);
	memcpy(node->path, path, length + 1);
	node->hooks = calls;
	node->ops = ops;
	node->device = device;
	node->refs = 1;

	mutex_lock(&gDevfsLock);
	for (struct devfs_node* other = sNodes; other != NULL; other = other->next) {
		if (shim_str_equal(other->path, path) || inside(other->path, path)
			|| inside(path, other->path)) {
			mutex_unlock(&gDevfsLock);
			free_node(node);
			return B_FILE_EXISTS;
		}
	}
	node->next = sNodes;
	sNodes = node;
	devfs_add_parents_locked(path, false);
	mutex_unlock(&gDevfsLock);
	shim_account(SHIM_OBJ_NODE, 1);
	/* devfs keeps the pointer only: the hooks live in the publisher's image (image.c) */
	shim_image_note_hooks(calls);
	return B_OK;
}

status_t
devfs_unpublish_device(const char* path, bool disconnect)
{
	if (path == NULL)
		return B_BAD_VALUE;

	mutex_lock(&gDevfsLock);
	struct devfs_node** link = &sNodes;
	while (*link != NULL && !shim_str_equal((*link)->path, path))
		link = &(*link)->next;
	struct devfs_node* node = *link;
	if (node == NULL) {
		mutex_unlock(&gDevfsLock);
		return B_ENTRY_NOT_FOUND;
	}
	*link = node->next;
	node->next = NULL;
	shim_account(SHIM_OBJ_NODE, -1);

	/* disconnect: mark every description of the node; the idle ones are closed right here */
	struct description** closeNow = NULL;
	int closeCount = 0;
	if (disconnect) {
		closeNow = shim_host_alloc(sizeof(struct description*) * (sSlotCount + 1));
		for (int fd = 0; fd < sSlotCount; fd++) {
			struct description* description = sSlots[fd].description;
			if (description == NULL || description->node != node || description->disconnected)
				continue;
			description->disconnected = true;
			if (devfs_next_action_locked(description) == DEVFS_ACTION_CLOSE)
				closeNow[closeCount++] = description;
		}
	}
	devfs_put_node_locked(node);
	mutex_unlock(&gDevfsLock);

	for (int i = 0; i < closeCount; i++)
		devfs_run_actions(closeNow[i], DEVFS_ACTION_CLOSE);
	shim_host_free(closeNow);
	return B_OK;
}


status_t
devfs_close_fd(int fd)
{
	mutex_lock(&gDevfsLock);
	struct description* description = devfs_slot_description_locked(fd);
	if (description == NULL) {
		mutex_unlock(&gDevfsLock);
		return B_FILE_ERROR;
	}
	struct selectsync* selects = sSlots[fd].selects;
	sSlots[fd].description = NULL;
	sSlots[fd].selects = NULL;
	bool disconnected = description->disconnected;
	shim_account(SHIM_OBJ_DESCRIPTOR, -1);

	/* selections on this descriptor are deselected before the close hook can run (Haiku) */
	for (struct selectsync* sync = selects; sync != NULL; sync = sync->slot_next) {
		sync->attached = false;
		shim_poll_sync_acquire(sync->poll);
	}
	if (selects != NULL) {
		description->inflight++;
		description->holds++;
	}
	description->slots--;
	int action = DEVFS_ACTION_NONE;
	if (selects == NULL)
		action = devfs_next_action_locked(description);
	mutex_unlock(&gDevfsLock);

	if (selects != NULL) {
		deselect_detached(description, selects);
		mutex_lock(&gDevfsLock);
		description->holds--;
		description->inflight--;
		action = devfs_next_action_locked(description);
		mutex_unlock(&gDevfsLock);
	}
	devfs_run_actions(description, action);
	/* Haiku: closing a disconnected descriptor frees the slot but reports B_FILE_ERROR */
	return disconnected ? B_FILE_ERROR : B_OK;
}

/* ---- poll support (select.c) ----------------------------------------------------------------- */

void
shim_devfs_select(struct selectsync* sync)
{
	int fd = sync->fd;
	mutex_lock(&gDevfsLock);
	struct description* description = devfs_slot_description_locked(fd);
	if (description == NULL || description->disconnected) {
		mutex_unlock(&gDevfsLock);
		shim_select_wake(sync, SHIM_POLLNVAL);
		return;
	}
	uint32 generation = sSlots[fd].generation;
	description->inflight++;
	description->holds++;
	mutex_unlock(&gDevfsLock);

	device_hooks* hooks = description->hooks;
	sync->selected = 0;
	if (hooks->select == NULL) {
		/* no select hook: devfs reports the device ready at once (output-only flags aside) */
		uint16 ready = sync->requested & ~(SHIM_POLLERR | SHIM_POLLHUP | SHIM_POLLNVAL);
		if (ready != 0)
			shim_select_wake(sync, ready);
	} else {
		uint16 toSelect = sync->requested | SHIM_POLLERR | SHIM_POLLHUP;
		for (uint8 event = B_SELECT_READ; event <= B_SELECT_DISCONNECTED; event++) {
			if ((toSelect & SELECT_FLAG(event)) != 0
				&& hooks->select(description->cookie, event, 0, sync) == B_OK)
				sync->selected |= SELECT_FLAG(event);
		}
	}
	/* Haiku's select_fd() (fs/fd.cpp): from now on only the events whose select hook
	 * succeeded (and B_EVENT_INVALID, a close) wake the poll; what the hooks notified while
	 * they ran has woken it already */
	atomic_set(&sync->wakes, sync->selected | SHIM_POLLNVAL);

	mutex_lock(&gDevfsLock);
	if (sSlots[fd].description == description && sSlots[fd].generation == generation) {
		sync->attached = true;
		sync->description = description;
		sync->slot_next = sSlots[fd].selects;
		sSlots[fd].selects = sync;
	} else {
		/* closed while we were selecting: undo, as the close would have done */
		mutex_unlock(&gDevfsLock);
		shim_poll_sync_acquire(sync->poll);
		sync->slot_next = NULL;
		deselect_detached(description, sync);
		mutex_lock(&gDevfsLock);
	}
	description->holds--;
	description->inflight--;
	int action = devfs_next_action_locked(description);
	mutex_unlock(&gDevfsLock);
	devfs_run_actions(description, action);
}

void
shim_devfs_deselect(struct selectsync* sync)
{
	mutex_lock(&gDevfsLock);
	if (!sync->attached) {
		mutex_unlock(&gDevfsLock);
		return;
	}
	struct selectsync** link = &sSlots[sync->fd].selects;
	while (*link != sync)
		link = &(*link)->slot_next;
	*link = sync->slot_next;
	sync->attached = false;
	struct description* description = sync->description;
	description->inflight++;
	description->holds++;
	mutex_unlock(&gDevfsLock);

	if (description->hooks->deselect != NULL) {
		for (uint8 event = B_SELECT_READ; event <= B_SELECT_DISCONNECTED; event++) {
			if ((sync->selected & SELECT_FLAG(event)) != 0)
				description->hooks->deselect(description->cookie, event, sync);
		}
	}

	mutex_lock(&gDevfsLock);
	description->holds--;
	description->inflight--;
	int action = devfs_next_action_locked(description);
	mutex_unlock(&gDevfsLock);
	devfs_run_actions(description, action);
}


/* ---- lifecycle ------------------------------------------------------------------------------- */

void
shim_devfs_init(void)
{
	shim_mutex_list(&gDevfsLock);
	mutex_lock(&gDevfsLock);
	/* nodes a previous boot left published were reported as leaks then; forget them */
	while (sNodes != NULL) {
		struct devfs_node* node = sNodes;
		sNodes = node->next;
		devfs_put_node_locked(node);
	}
	devfs_reset_dirs_locked();
	mutex_unlock(&gDevfsLock);
	shim_select_reset();
}

void
shim_devfs_fini(void)
{
	/* close what the test left open; nodes stay: the driver unpublishes them at its uninit */
	mutex_lock(&gDevfsLock);
	int count = sSlotCount;
	mutex_unlock(&gDevfsLock);
	for (int fd = 0; fd < count; fd++)
		devfs_close_fd(fd);

	mutex_lock(&gDevfsLock);
	bool empty = true;
	for (int fd = 0; fd < sSlotCount; fd++)
		empty = empty && sSlots[fd].description == NULL;
	if (empty)
		sSlotCount = 0; /* the allocation stays for the next boot */
	mutex_unlock(&gDevfsLock);
}
