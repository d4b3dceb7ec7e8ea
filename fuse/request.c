/* In-flight FUSE requests and their interrupts: a FUSE INTERRUPT for a request becomes the shim's
 * ctrl+c for the shim thread serving it (or wakes a bare file's waiter), so the call returns EINTR.
 */
#include "tuntapfs.h"

/* libfuse calls this with the request's own lock held, so it never runs concurrently with
 * fuse_req_interrupt_func() for the same request: after request_end() it cannot come. */
static void
on_interrupt(fuse_req_t req, void* data)
{
	struct request* request = data;
	pthread_mutex_lock(&request->lock);
	__atomic_store_n(&request->interrupted, true, __ATOMIC_RELEASE);
	if (request->in_call && request->thread >= 0)
		shim_interrupt(request->thread);
	pthread_mutex_unlock(&request->lock);
	if (request->wait_lock != NULL) {
		pthread_mutex_lock(request->wait_lock);
		pthread_cond_broadcast(request->wait_cond);
		pthread_mutex_unlock(request->wait_lock);
	}
}

void
request_begin(
	struct request* request, fuse_req_t req, pthread_mutex_t* waitLock, pthread_cond_t* waitCond)
{
	request->req = req;
	request->wait_lock = waitLock;
	request->wait_cond = waitCond;
	request->thread = shim_current_thread();
	pthread_mutex_init(&request->lock, NULL);
	request->in_call = false;
	request->interrupted = false;
	fuse_req_interrupt_func(req, on_interrupt, request);
}

void
request_enter(struct request* request)
{
	pthread_mutex_lock(&request->lock);
	request->in_call = true;
	/* interrupted before the call: the pending interrupt makes it return at once */
	if (request->interrupted)
		shim_interrupt(request->thread);
	pthread_mutex_unlock(&request->lock);
}

void
request_leave(struct request* request)
{
	pthread_mutex_lock(&request->lock);
	request->in_call = false;
	bool interrupted = request->interrupted;
	pthread_mutex_unlock(&request->lock);
	/* an interrupt that came as the call returned is still pending: drop it */
	if (interrupted)
		shim_syscall_exit();
}

void
request_end(struct request* request)
{
	fuse_req_interrupt_func(request->req, NULL, NULL);
	pthread_mutex_destroy(&request->lock);
}
