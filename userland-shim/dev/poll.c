/* poll with Haiku's semantics: select every descriptor (its select hook), one semaphore per call,
 * wait, deselect, revents from the SELECT_FLAG bits notified. shim_poll (syscalls.c) calls it. */
#include "dev/dev_private.h"

#include <string.h>

int
select_poll(struct shim_pollfd* fds, int count, bigtime_t timeout)
{
	if (count < 0 || (count > 0 && fds == NULL)) {
		return B_BAD_VALUE;
	}

	size_t size = sizeof(struct shim_poll_sync) + sizeof(struct selectsync) * (size_t)count;
	struct shim_poll_sync* poll = shim_host_alloc(size);
	memset(poll, 0, size);
	poll->sem = create_sem(0, "poll");
	if (poll->sem < 0) {
		status_t status = poll->sem;
		shim_host_free(poll);
		return status;
	}
	poll->refs = 1;
	poll->count = count;

	for (int i = 0; i < count; i++) {
		struct selectsync* sync = &poll->entries[i];
		sync->poll = poll;
		sync->fd = fds[i].fd;
		sync->requested = fds[i].events;
		sync->wanted = fds[i].events | SHIM_POLLERR | SHIM_POLLHUP | SHIM_POLLNVAL;
		sync->wakes = sync->wanted;
		fds[i].revents = 0;
	}

	/* select: every negative fd is ignored, as POSIX says */
	for (int i = 0; i < count; i++) {
		if (fds[i].fd >= 0)
			shim_devfs_select(&poll->entries[i]);
	}

	status_t status = acquire_sem_etc(poll->sem, 1, B_CAN_INTERRUPT | B_RELATIVE_TIMEOUT, timeout);

	for (int i = 0; i < count; i++) {
		if (fds[i].fd >= 0)
			shim_devfs_deselect(&poll->entries[i]);
	}

	int result;
	if (status == B_OK) {
		result = 0;
		for (int i = 0; i < count; i++) {
			struct selectsync* sync = &poll->entries[i];
			fds[i].revents = (uint16)(atomic_get(&sync->events) & sync->wanted);
			if (fds[i].revents != 0)
				result++;
		}
	} else if (status == B_TIMED_OUT || status == B_WOULD_BLOCK)
		result = 0;
	else
		result = status;

	shim_poll_sync_release(poll);
	return result;
}
