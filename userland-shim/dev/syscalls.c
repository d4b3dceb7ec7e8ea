/* The shim.h descriptor calls as syscalls: each runs its devfs or poll implementation, then the
 * syscall exit, which handles pending signals and restarts an interrupted call where Haiku does. */
#include "dev/dev_private.h"

/*
 * The one place a call made through shim.h ends. A signal (shim_signal) stays pending through the
 * whole call, so every B_CAN_INTERRUPT wait in it returns B_INTERRUPTED; it is handled here, after
 * the implementation returned (its result is evaluated first).
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

/*
 * The exit of a read, write or ioctl, which Haiku restarts: SyscallRestartWrapper
 * (headers/private/kernel/syscall_restart.h; fs/fd.cpp common_user_io and _user_ioctl) marks a
 * B_INTERRUPTED result for restart, handle_signals() (system/kernel/signal.cpp) unmarks it when
 * a handler without SA_RESTART runs, and the kernel exit (arch/x86/64/interrupts.S,
 * x86_restart_syscall() in arch/x86/64/thread.cpp) runs the call again while it is marked, signal
 * or no signal. True: run it again. A hook that returns B_INTERRUPTED with no signal pending is
 * restarted forever on Haiku; `quiet` counts those restarts in a row, the shim panics at
 * SHIM_RESTART_LIMIT.
 */
static bool
syscall_exit_restarts(int64 result, int* quiet, const char* call, int fd)
{
	int32 signals = shim_syscall_exit_signals();
	if (result != B_INTERRUPTED || (signals & SHIM_SIGNAL_BIT(SHIM_SIGNAL_HANDLER)) != 0)
		return false;
	if (signals != 0)
		*quiet = 0;
	else if (++*quiet >= SHIM_RESTART_LIMIT) {
		panic("%s on fd %d restarted %d times in a row without a signal: a hook returns "
			  "B_INTERRUPTED with none pending, which Haiku restarts forever",
			call, fd, *quiet);
	}
	return true;
}

/* devfs_io() as a syscall Haiku restarts */
static ssize_t
restartable_io(int fd, void* buffer, size_t length, bool write, bool stage)
{
	ssize_t result;
	int quiet = 0;
	do {
		shim_syscall_enter(); /* each run of a restarted call copies its arguments in anew */
		result = devfs_io(fd, buffer, length, write, stage);
	} while (syscall_exit_restarts(result, &quiet, write ? "write" : "read", fd));
	return result;
}

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
	return restartable_io(fd, buffer, length, false, true);
}

ssize_t
shim_write(int fd, const void* buffer, size_t length)
{
	return restartable_io(fd, (void*)buffer, length, true, true);
}

ssize_t
shim_read_user(int fd, void* userBuffer, size_t length)
{
	return restartable_io(fd, userBuffer, length, false, false);
}

ssize_t
shim_write_user(int fd, const void* userBuffer, size_t length)
{
	return restartable_io(fd, (void*)userBuffer, length, true, false);
}

/* devfs_ioctl() (stage: devfs_ioctl_staged()) as a syscall Haiku restarts */
static status_t
restartable_ioctl(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length, bool stage)
{
	status_t status;
	int quiet = 0;
	do {
		shim_syscall_enter();
		status = stage ? devfs_ioctl_staged(fd, op, buffer, bufferSize, length)
					   : devfs_ioctl(fd, op, buffer, length);
	} while (syscall_exit_restarts(status, &quiet, "ioctl", fd));
	return status;
}

status_t
shim_ioctl(int fd, uint32 op, void* argument, size_t length)
{
	return restartable_ioctl(fd, op, argument, 0, length, false);
}

status_t
shim_ioctl_buf(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length)
{
	return restartable_ioctl(fd, op, buffer, bufferSize, length, true);
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

status_t
shim_lookup(const char* path)
{
	return (status_t)syscall_exit(devfs_lookup(path));
}

int
shim_count_nodes(const char* prefix)
{
	return (int)syscall_exit(devfs_count_nodes(prefix));
}
