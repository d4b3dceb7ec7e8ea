/* Sleeping on a semaphore without losing a wake-up: the semaphore count is the token, one per
 * waiter woken, so a waiter between unlocking and acquire_sem still finds its token. */

#include "tuntap_private.h"


status_t
tuntap_wait_queue_init(tuntap_wait_queue* queue, const char* name)
{
	queue->waiters = 0;
	queue->sem = create_sem(0, name);
	return queue->sem < 0 ? queue->sem : B_OK;
}


void
tuntap_wait_queue_destroy(tuntap_wait_queue* queue)
{
	if (queue->sem >= 0)
		delete_sem(queue->sem);
	queue->sem = -1;
}


status_t
tuntap_wait_queue_wait(tuntap_wait_queue* queue, mutex* lock, uint32 flags)
{
	queue->waiters++;
	mutex_unlock(lock);

	status_t status = acquire_sem_etc(queue->sem, 1, flags, B_INFINITE_TIMEOUT);

	mutex_lock(lock);
	if (status != B_OK) {
		/* We left without a token. If a waker counted us as woken meanwhile, the token it
		 * released is banked in the semaphore: take it back so it cannot wake anyone
		 * spuriously later. Otherwise we are still registered: unregister. */
		if (queue->waiters > 0)
			queue->waiters--;
		else
			acquire_sem_etc(queue->sem, 1, B_RELATIVE_TIMEOUT, 0);
	}
	return status;
}


void
tuntap_wait_queue_wake(tuntap_wait_queue* queue, bool all)
{
	int32 count = all ? queue->waiters : min_c(queue->waiters, 1);
	if (count == 0)
		return;

	queue->waiters -= count;
	release_sem_etc(queue->sem, count, B_DO_NOT_RESCHEDULE);
}
