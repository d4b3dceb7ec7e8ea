/* What the VFS does for each descriptor call on a devfs node: open, close, dup, read/write (staged
 * in the user arena or passed through), ioctl, F_SETFL, node queries. syscalls.c calls these. */
#include "dev/dev_private.h"

#include <fcntl.h>
#include <sys/ioctl.h>

/* Held while a directory is scanned for drivers: a lookup waits for a scan in progress (Haiku
 * holds each directory's scan_lock; one lock for all of them here). */
static mutex sScanLock = MUTEX_INITIALIZER("shim devfs scan");

/* The lookup of every directory on `path`, /dev first, as the VFS walks it: each one is scanned
 * for drivers before a name is looked up in it (devfs.cpp, devfs_lookup ->
 * scan_for_drivers_if_needed), which may load a driver that publishes the node looked for. */
static status_t
scan_path(const char* path)
{
	char directory[DEVFS_PATH_MAX];
	size_t length = 0;
	directory[0] = '\0';
	for (const char* name = path;;) {
		mutex_lock(&sScanLock);
		mutex_lock(&gDevfsLock);
		bool scan = devfs_dir_needs_scan_locked(directory);
		mutex_unlock(&gDevfsLock);
		if (scan) {
			shim_legacy_probe(directory);
			mutex_lock(&gDevfsLock);
			devfs_dir_set_scanned_locked(directory);
			mutex_unlock(&gDevfsLock);
		}
		mutex_unlock(&sScanLock);

		const char* slash = strchr(name, '/');
		if (slash == NULL)
			return B_OK; /* the last name: the caller looks it up */
		size_t add = (size_t)(slash - name) + (length > 0 ? 1 : 0);
		if (length + add >= sizeof(directory))
			return B_NAME_TOO_LONG;
		if (length > 0)
			directory[length++] = '/';
		memcpy(directory + length, name, (size_t)(slash - name));
		length += (size_t)(slash - name);
		directory[length] = '\0';
		mutex_lock(&gDevfsLock);
		bool exists = devfs_dir_exists_locked(directory);
		mutex_unlock(&gDevfsLock);
		if (!exists)
			return B_ENTRY_NOT_FOUND;
		name = slash + 1;
	}
}

/* gDevfsLock held on return (B_OK), every directory on `path` scanned for drivers first: the fast
 * path once they all were since boot (shim_lookup and open run it per call) */
static status_t
lock_scanned_path(const char* path)
{
	mutex_lock(&gDevfsLock);
	if (devfs_path_scanned_locked(path))
		return B_OK;
	mutex_unlock(&gDevfsLock);
	status_t status = scan_path(path);
	if (status == B_OK)
		mutex_lock(&gDevfsLock);
	return status;
}

int
devfs_open(const char* path, int openMode)
{
	if (path == NULL) {
		return B_BAD_VALUE;
	}
	path = devfs_strip_dev(path);
	status_t status = lock_scanned_path(path);
	if (status != B_OK)
		return status;
	struct devfs_node* node = devfs_find_node_locked(path);
	if (node == NULL) {
		mutex_unlock(&gDevfsLock);
		return B_ENTRY_NOT_FOUND;
	}
	node->refs++;
	mutex_unlock(&gDevfsLock);

	/* devfs_open: InitDevice, then the open hook, whose failure undoes it */
	status = node->ops != NULL ? node->ops->init(node->device) : B_OK;
	void* cookie = NULL;
	if (status == B_OK) {
		status = node->hooks->open != NULL
					 ? node->hooks->open(node->path, (uint32)openMode, &cookie)
					 : B_NOT_ALLOWED;
		if (status != B_OK && node->ops != NULL)
			node->ops->uninit(node->device);
	}
	if (status != B_OK) {
		mutex_lock(&gDevfsLock);
		devfs_put_node_locked(node);
		mutex_unlock(&gDevfsLock);
		return status;
	}
	shim_account(SHIM_OBJ_COOKIE, 1);

	struct description* description = shim_cache_alloc(&gDevfsDescriptionCache);
	memset(description, 0, sizeof(struct description));
	description->node = node;
	description->hooks = node->hooks;
	description->cookie = cookie;
	description->open_mode = openMode;
	description->slots = 1;

	mutex_lock(&gDevfsLock);
	int fd = devfs_alloc_slot_locked(description);
	if (fd < 0) {
		description->slots = 0;
		int action = devfs_next_action_locked(description);
		mutex_unlock(&gDevfsLock);
		devfs_run_actions(description, action);
		return fd;
	}
	mutex_unlock(&gDevfsLock);
	shim_account(SHIM_OBJ_DESCRIPTOR, 1);
	return fd;
}

int
devfs_dup(int fd)
{
	mutex_lock(&gDevfsLock);
	struct description* description = devfs_slot_description_locked(fd);
	int result = B_FILE_ERROR;
	if (description != NULL && !description->disconnected) {
		result = devfs_alloc_slot_locked(description);
		if (result >= 0)
			description->slots++;
	}
	mutex_unlock(&gDevfsLock);
	if (result >= 0)
		shim_account(SHIM_OBJ_DESCRIPTOR, 1);
	return result;
}

ssize_t
devfs_io(int fd, void* buffer, size_t length, bool write, bool stage)
{
	struct description* description;
	int32 openMode;
	ssize_t result = devfs_get_description(fd, &description, &openMode);
	if (result != B_OK) {
		return result;
	}

	int32 access = openMode & O_ACCMODE;
	if (write ? access == O_RDONLY : access == O_WRONLY)
		result = B_FILE_ERROR;
	else if (length == 0)
		result = 0;
	else if (write ? description->hooks->write == NULL : description->hooks->read == NULL)
		result = B_NOT_ALLOWED;
	else {
		void* user = buffer;
		if (stage) {
			user = write ? shim_user_alloc_copy(buffer, length) : shim_user_alloc(length);
			if (user == NULL) {
				devfs_put_description(description);
				return B_NO_MEMORY;
			}
		}
		size_t bytes = length;
		status_t status = write ? description->hooks->write(description->cookie, 0, user, &bytes)
								: description->hooks->read(description->cookie, 0, user, &bytes);
		if (status == B_OK && bytes > length)
			panic("devfs: %s hook reported %zu bytes for a %zu byte buffer",
				write ? "write" : "read", bytes, length);
		if (status == B_OK) {
			if (stage && !write)
				shim_user_get(buffer, user, bytes);
			result = (ssize_t)bytes;
		} else
			result = status;
		if (stage)
			shim_user_free(user);
	}
	devfs_put_description(description);
	return result;
}

/* F_SETFL as Haiku's devfs does it: the control hook on every call, the mode only on success */
static status_t
set_blocking(struct description* description, bool nonBlocking)
{
	status_t status = B_OK;
	if (description->hooks->control != NULL) {
		status = description->hooks->control(
			description->cookie, nonBlocking ? B_SET_NONBLOCKING_IO : B_SET_BLOCKING_IO, NULL, 0);
	}
	if (status != B_OK)
		return status;
	mutex_lock(&gDevfsLock);
	if (nonBlocking)
		description->open_mode |= O_NONBLOCK;
	else
		description->open_mode &= ~O_NONBLOCK;
	mutex_unlock(&gDevfsLock);
	return B_OK;
}

/* ioctl as Haiku's fd_ioctl() (system/kernel/fs/fd.cpp) does it: FIONBIO is the fd layer's own
 * (NULL is B_BAD_VALUE, else F_SETFL with the int it points to, returned as F_SETFL returns it);
 * every other op goes to the control hook, and a B_DEV_INVALID_IOCTL from it (or from a node
 * without one) reaches user space as ENOTTY */
status_t
devfs_ioctl(int fd, uint32 op, void* argument, size_t length)
{
	struct description* description;
	status_t status = devfs_get_description(fd, &description, NULL);
	if (status != B_OK)
		return status;
	if (op == FIONBIO) {
		int value;
		if (argument == NULL)
			status = B_BAD_VALUE;
		else if (user_memcpy(&value, argument, sizeof(value)) != B_OK)
			status = B_BAD_ADDRESS;
		else
			status = set_blocking(description, value != 0);
	} else {
		if (description->hooks->control != NULL)
			status = description->hooks->control(description->cookie, op, argument, length);
		else
			status = B_DEV_INVALID_IOCTL;
		if (status == B_DEV_INVALID_IOCTL)
			status = SHIM_ENOTTY;
	}
	devfs_put_description(description);
	return status;
}

status_t
devfs_ioctl_staged(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length)
{
	void* user = NULL;
	if (buffer != NULL && bufferSize > 0) {
		user = shim_user_alloc_copy(buffer, bufferSize);
		if (user == NULL) {
			return B_NO_MEMORY;
		}
	}
	status_t status = devfs_ioctl(fd, op, user, length);
	if (user != NULL) {
		shim_user_get(buffer, user, bufferSize);
		shim_user_free(user);
	}
	return status;
}

status_t
devfs_set_nonblocking(int fd, bool nonBlocking)
{
	struct description* description;
	status_t status = devfs_get_description(fd, &description, NULL);
	if (status == B_OK) {
		status = set_blocking(description, nonBlocking);
		devfs_put_description(description);
	}
	return status;
}

bool
devfs_node_exists(const char* path)
{
	bool exists = false;
	if (path != NULL) {
		mutex_lock(&gDevfsLock);
		exists = devfs_find_node_locked(devfs_strip_dev(path)) != NULL;
		mutex_unlock(&gDevfsLock);
	}
	return exists;
}

status_t
devfs_lookup(const char* path)
{
	if (path == NULL)
		return B_BAD_VALUE;
	path = shim_str_equal(path, "/dev") ? "" : devfs_strip_dev(path);
	status_t status = lock_scanned_path(path);
	if (status != B_OK)
		return status;
	/* the last name: a directory is scanned when a name is looked up in it, not before */
	bool exists = devfs_find_node_locked(path) != NULL || devfs_dir_exists_locked(path);
	mutex_unlock(&gDevfsLock);
	return exists ? B_OK : B_ENTRY_NOT_FOUND;
}

int
devfs_count_nodes(const char* prefix)
{
	mutex_lock(&gDevfsLock);
	int count = devfs_count_nodes_locked(devfs_strip_dev(prefix != NULL ? prefix : ""));
	mutex_unlock(&gDevfsLock);
	return count;
}

int32
shim_devfs_open_mode(int fd)
{
	mutex_lock(&gDevfsLock);
	struct description* description = devfs_slot_description_locked(fd);
	int32 mode = description != NULL ? description->open_mode : B_FILE_ERROR;
	mutex_unlock(&gDevfsLock);
	return mode;
}
