/* The shim.h descriptor calls on devfs nodes: open, close, dup, read/write (staged in the user
 * arena or passed through), ioctl, the blocking-mode pair (F_SETFL, FIONBIO) and node queries. */
#include "dev/dev_private.h"

#include <fcntl.h>
#include <sys/ioctl.h>

int
shim_open(const char* path, int openMode)
{
	if (path == NULL) {
		shim_syscall_exit();
		return B_BAD_VALUE;
	}
	mutex_lock(&gDevfsLock);
	struct devfs_node* node = devfs_find_node_locked(devfs_strip_dev(path));
	if (node == NULL) {
		mutex_unlock(&gDevfsLock);
		shim_syscall_exit();
		return B_ENTRY_NOT_FOUND;
	}
	node->refs++;
	mutex_unlock(&gDevfsLock);

	void* cookie = NULL;
	status_t status = node->hooks->open != NULL
						  ? node->hooks->open(node->path, (uint32)openMode, &cookie)
						  : B_NOT_ALLOWED;
	if (status != B_OK) {
		mutex_lock(&gDevfsLock);
		devfs_put_node_locked(node);
		mutex_unlock(&gDevfsLock);
		shim_syscall_exit();
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
		shim_syscall_exit();
		return fd;
	}
	mutex_unlock(&gDevfsLock);
	shim_account(SHIM_OBJ_DESCRIPTOR, 1);
	shim_syscall_exit();
	return fd;
}

status_t
shim_close(int fd)
{
	status_t status = devfs_close_fd(fd);
	shim_syscall_exit();
	return status;
}

int
shim_dup(int fd)
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
	shim_syscall_exit();
	return result;
}

static ssize_t
do_io(int fd, void* buffer, size_t length, bool write, bool stage)
{
	struct description* description;
	int32 openMode;
	ssize_t result = devfs_get_description(fd, &description, &openMode);
	if (result != B_OK) {
		shim_syscall_exit();
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
				shim_syscall_exit();
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
	shim_syscall_exit();
	return result;
}

ssize_t
shim_read(int fd, void* buffer, size_t length)
{
	return do_io(fd, buffer, length, false, true);
}

ssize_t
shim_write(int fd, const void* buffer, size_t length)
{
	return do_io(fd, (void*)buffer, length, true, true);
}

ssize_t
shim_read_user(int fd, void* userBuffer, size_t length)
{
	return do_io(fd, userBuffer, length, false, false);
}

ssize_t
shim_write_user(int fd, const void* userBuffer, size_t length)
{
	return do_io(fd, (void*)userBuffer, length, true, false);
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

static status_t
do_ioctl(int fd, uint32 op, void* argument, size_t length)
{
	struct description* description;
	status_t status = devfs_get_description(fd, &description, NULL);
	if (status != B_OK)
		return status;
	if (op == FIONBIO) {
		int value;
		if (argument == NULL || user_memcpy(&value, argument, sizeof(value)) != B_OK)
			status = B_BAD_ADDRESS;
		else
			status = set_blocking(description, value != 0);
	} else if (description->hooks->control != NULL)
		status = description->hooks->control(description->cookie, op, argument, length);
	else
		status = B_DEV_INVALID_IOCTL;
	devfs_put_description(description);
	return status;
}

status_t
shim_ioctl(int fd, uint32 op, void* argument, size_t length)
{
	status_t status = do_ioctl(fd, op, argument, length);
	shim_syscall_exit();
	return status;
}

status_t
shim_ioctl_buf(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length)
{
	void* user = NULL;
	if (buffer != NULL && bufferSize > 0) {
		user = shim_user_alloc_copy(buffer, bufferSize);
		if (user == NULL) {
			shim_syscall_exit();
			return B_NO_MEMORY;
		}
	}
	status_t status = do_ioctl(fd, op, user, length);
	if (user != NULL) {
		shim_user_get(buffer, user, bufferSize);
		shim_user_free(user);
	}
	shim_syscall_exit();
	return status;
}

status_t
shim_set_nonblocking(int fd, bool nonBlocking)
{
	struct description* description;
	status_t status = devfs_get_description(fd, &description, NULL);
	if (status == B_OK) {
		status = set_blocking(description, nonBlocking);
		devfs_put_description(description);
	}
	shim_syscall_exit();
	return status;
}

status_t
shim_fionbio(int fd, bool nonBlocking)
{
	/* Haiku's VFS turns FIONBIO into F_SETFL: the same path */
	return shim_set_nonblocking(fd, nonBlocking);
}

bool
shim_node_exists(const char* path)
{
	bool exists = false;
	if (path != NULL) {
		mutex_lock(&gDevfsLock);
		exists = devfs_find_node_locked(devfs_strip_dev(path)) != NULL;
		mutex_unlock(&gDevfsLock);
	}
	shim_syscall_exit();
	return exists;
}

int
shim_count_nodes(const char* prefix)
{
	mutex_lock(&gDevfsLock);
	int count = devfs_count_nodes_locked(devfs_strip_dev(prefix != NULL ? prefix : ""));
	mutex_unlock(&gDevfsLock);
	shim_syscall_exit();
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
