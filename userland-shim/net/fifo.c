/* The stack module's buffer fifos (net_stack_module_info: init_fifo, uninit_fifo,
 * fifo_enqueue_buffer, fifo_dequeue_buffer, clear_fifo), as Haiku's stack/utility.cpp has them. */
#include "shim_private.h"

#include <net_stack.h>

#include "net/net_private.h"

/*
 * Facts from Haiku's src/add-ons/kernel/network/stack/utility.cpp:
 * - init_fifo: a mutex (name cloned) and a semaphore of count 0, both named `name`; an empty list,
 *   `waiting` 0. A semaphore failure destroys the mutex and returns the sem error.
 * - uninit_fifo: clear_fifo, then destroy the mutex and delete the semaphore (waking its waiters
 *   with B_BAD_SEM_ID).
 * - fifo_enqueue_buffer: under the lock, ENOBUFS when max_bytes is set and the buffer would take
 *   current_bytes past it; otherwise appended, counted, and one waiting reader woken
 *   (fifo_notify_one_reader: `waiting` > 0 -> waiting--, release 1 with B_DO_NOT_RESCHEDULE).
 * - fifo_dequeue_buffer: flags other than MSG_DONTWAIT and MSG_PEEK are EOPNOTSUPP. Under the lock,
 *   the head buffer is taken (or, with MSG_PEEK, a copy of it handed out and the next waiting
 *   reader woken, the copy failed or not); none and MSG_DONTWAIT or a timeout of 0 ->
 * B_WOULD_BLOCK; otherwise waiting++, unlock, acquire the semaphore (B_CAN_INTERRUPT |
 * B_RELATIVE_TIMEOUT, `timeout`), its error returned as is, and look again under the lock. Note
 * `waiting` is not undone when the acquire fails: a later enqueue then banks a unit nobody waits
 * for (a reader that comes later takes it and looks again), as in Haiku.
 * - clear_fifo: frees every queued buffer, current_bytes 0.
 * Haiku's MSG_PEEK hands out net_buffer_module's clone(buffer, false); the shim's buffer module has
 * no clone, and duplicate gives the caller the same bytes.
 */

#define FIFO_MSG_PEEK 0x0002     /* Haiku's sys/socket.h */
#define FIFO_MSG_DONTWAIT 0x0080 /* Haiku's sys/socket.h */

static void
notify_one_reader(net_fifo* fifo)
{
	if (fifo->waiting > 0) {
		fifo->waiting--;
		release_sem_etc(fifo->notify, 1, B_DO_NOT_RESCHEDULE);
	}
}

status_t
shim_init_fifo(net_fifo* fifo, const char* name, size_t maxBytes)
{
	mutex_init_etc(&fifo->lock, name, MUTEX_FLAG_CLONE_NAME);
	fifo->notify = create_sem(0, name);
	if (fifo->notify < B_OK) {
		mutex_destroy(&fifo->lock);
		return fifo->notify;
	}
	fifo->max_bytes = maxBytes;
	fifo->current_bytes = 0;
	fifo->waiting = 0;
	list_init(&fifo->buffers);
	return B_OK;
}

status_t
shim_clear_fifo(net_fifo* fifo)
{
	mutex_lock(&fifo->lock);
	net_buffer* buffer;
	while ((buffer = list_remove_head_item(&fifo->buffers)) != NULL)
		gShimNetBufferModule.free(buffer);
	fifo->current_bytes = 0;
	mutex_unlock(&fifo->lock);
	return B_OK;
}

void
shim_uninit_fifo(net_fifo* fifo)
{
	shim_clear_fifo(fifo);
	mutex_destroy(&fifo->lock);
	delete_sem(fifo->notify);
}

status_t
shim_fifo_enqueue_buffer(net_fifo* fifo, net_buffer* buffer)
{
	status_t status = B_OK;
	mutex_lock(&fifo->lock);
	if (fifo->max_bytes > 0 && fifo->current_bytes + buffer->size > fifo->max_bytes) {
		status = SHIM_ENOBUFS;
	} else {
		list_add_item(&fifo->buffers, buffer);
		fifo->current_bytes += buffer->size;
		notify_one_reader(fifo);
	}
	mutex_unlock(&fifo->lock);
	return status;
}

ssize_t
shim_fifo_dequeue_buffer(net_fifo* fifo, uint32 flags, bigtime_t timeout, net_buffer** _buffer)
{
	if ((flags & ~(uint32)(FIFO_MSG_DONTWAIT | FIFO_MSG_PEEK)) != 0)
		return B_NOT_SUPPORTED;

	const bool dontWait = (flags & FIFO_MSG_DONTWAIT) != 0 || timeout == 0;
	mutex_lock(&fifo->lock);
	for (;;) {
		net_buffer* buffer = list_get_first_item(&fifo->buffers);
		if (buffer != NULL) {
			status_t status = B_OK;
			if ((flags & FIFO_MSG_PEEK) != 0) {
				buffer = gShimNetBufferModule.duplicate(buffer);
				if (buffer == NULL)
					status = B_NO_MEMORY;
				notify_one_reader(fifo);
			} else {
				list_remove_item(&fifo->buffers, buffer);
				fifo->current_bytes -= buffer->size;
			}
			if (buffer != NULL)
				*_buffer = buffer;
			mutex_unlock(&fifo->lock);
			return status;
		}
		if (!dontWait)
			fifo->waiting++;
		mutex_unlock(&fifo->lock);
		if (dontWait)
			return B_WOULD_BLOCK;

		status_t status =
			acquire_sem_etc(fifo->notify, 1, B_CAN_INTERRUPT | B_RELATIVE_TIMEOUT, timeout);
		if (status < B_OK)
			return status;
		mutex_lock(&fifo->lock);
	}
}
