/* The shim.h descriptor calls as syscalls: each runs its devfs or poll implementation, then the
 * syscall exit, which consumes a pending ctrl+c as Haiku's return to user space does. */
#include "dev/dev_private.h"

/*
 * The one place a call made through shim.h ends. An interrupt (shim_interrupt: a signal) stays
 * pending through the whole call, so every B_CAN_INTERRUPT wait in it returns B_INTERRUPTED; it
 * is consumed here, after the implementation returned (its result is evaluated first).
 * syscall_exit(call) also marks the entry: shim_syscall_enter() runs before `call` is evaluated
 * (the comma operator), so the user bytes one call copies in are seen together (kern_user.c).
 */
static inline int64
syscall_return(int64 result)
{
	shim_syscall_exit();
	return result;
}
#define syscall_exit(call) (shim_syscall_enter(), syscall_return(call))

int
shim_open(const char* path, int openMode)
{
	return (int)syscall_exit(devfs_open(path, openMode));
}

status_t
shim_close(int fd)
{
	return (status_t)syscall_exit(devfs_close_fd(fd));
}

int
shim_dup(int fd)
{
	return (int)syscall_exit(devfs_dup(fd));
}

ssize_t
shim_read(int fd, void* buffer, size_t length)
{
	return (ssize_t)syscall_exit(devfs_io(fd, buffer, length, false, true));
}

ssize_t
shim_write(int fd, const void* buffer, size_t length)
{
	return (ssize_t)syscall_exit(devfs_io(fd, (void*)buffer, length, true, true));
}

ssize_t
shim_read_user(int fd, void* userBuffer, size_t length)
{
	return (ssize_t)syscall_exit(devfs_io(fd, userBuffer, length, false, false));
}

ssize_t
shim_write_user(int fd, const void* userBuffer, size_t length)
{
	return (ssize_t)syscall_exit(devfs_io(fd, (void*)userBuffer, length, true, false));
}

status_t
shim_ioctl(int fd, uint32 op, void* argument, size_t length)
{
	return (status_t)syscall_exit(devfs_ioctl(fd, op, argument, length));
}

status_t
shim_ioctl_buf(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length)
{
	return (status_t)syscall_exit(devfs_ioctl_staged(fd, op, buffer, bufferSize, length));
}

status_t
shim_set_nonblocking(int fd, bool nonBlocking)
{
	return (status_t)syscall_exit(devfs_set_nonblocking(fd, nonBlocking));
}

status_t
shim_fionbio(int fd, bool nonBlocking)
{
	/* Haiku's VFS turns FIONBIO into F_SETFL: the same path */
	return (status_t)syscall_exit(devfs_set_nonblocking(fd, nonBlocking));
}

int
shim_poll(struct shim_pollfd* fds, int count, bigtime_t timeout)
{
	return (int)syscall_exit(select_poll(fds, count, timeout));
}

bool
shim_node_exists(const char* path)
{
	return syscall_exit(devfs_node_exists(path)) != 0;
}

int
shim_count_nodes(const char* prefix)
{
	return (int)syscall_exit(devfs_count_nodes(prefix));
}
