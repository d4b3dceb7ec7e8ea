/* The poll watcher: one thread blocked in shim_poll() on every descriptor a FUSE poll is waiting
 * for; when the driver's select hook reports an event it notifies that FUSE poll handle. */
#include "tuntapfs.h"

#include <stdlib.h>

#define POLLER_MAX 1024

struct armed {
	struct handle* handle;
	uint64_t generation;
	int fd;
	uint32_t events;
};

static pthread_mutex_t sLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sStarted = PTHREAD_COND_INITIALIZER;
static pthread_t sThread;
static thread_id sWatcher = -1;
static bool sStop;
static uint64_t sGeneration;
/* armed handles, in arm order */
static struct armed sArmed[POLLER_MAX];
static int sArmedCount;

static int
find_locked(const struct handle* handle)
{
	for (int i = 0; i < sArmedCount; i++) {
		if (sArmed[i].handle == handle)
			return i;
	}
	return -1;
}

static void
remove_locked(int index)
{
	sArmed[index] = sArmed[--sArmedCount];
}

/* the watcher's blocking poll must start over with the new set */
static void
kick_locked(void)
{
	if (sWatcher >= 0)
		shim_interrupt(sWatcher);
}

void
poller_arm(struct handle* handle, uint32_t events, struct fuse_pollhandle* ph)
{
	pthread_mutex_lock(&sLock);
	int index = find_locked(handle);
	if (index < 0 && sArmedCount == POLLER_MAX) {
		/* too many waiters: tell this one at once, it polls again */
		pthread_mutex_unlock(&sLock);
		fuse_lowlevel_notify_poll(ph);
		fuse_pollhandle_destroy(ph);
		return;
	}
	if (index < 0)
		index = sArmedCount++;
	else {
		/* armed already (another poller on the file): wait for both sets of events; the new
		 * kernel handle notifies every poller of the file */
		events |= sArmed[index].events;
		if (handle->ph != NULL)
			fuse_pollhandle_destroy(handle->ph);
	}
	handle->ph = ph;
	handle->poll_events = events;
	handle->armed = true;
	sArmed[index].handle = handle;
	sArmed[index].generation = ++sGeneration;
	sArmed[index].fd = handle->fd;
	sArmed[index].events = events;
	kick_locked();
	pthread_mutex_unlock(&sLock);
}

void
poller_disarm(struct handle* handle)
{
	pthread_mutex_lock(&sLock);
	int index = find_locked(handle);
	if (index >= 0) {
		remove_locked(index);
		kick_locked();
	}
	if (handle->ph != NULL)
		fuse_pollhandle_destroy(handle->ph);
	handle->ph = NULL;
	handle->armed = false;
	pthread_mutex_unlock(&sLock);
}

static void*
watcher(void* unused)
{
	(void)unused;
	struct armed* snapshot = calloc(POLLER_MAX, sizeof(struct armed));
	struct shim_pollfd* fds = calloc(POLLER_MAX, sizeof(struct shim_pollfd));
	pthread_mutex_lock(&sLock);
	sWatcher = shim_current_thread();
	pthread_cond_broadcast(&sStarted);
	while (!sStop) {
		int count = sArmedCount;
		for (int i = 0; i < count; i++) {
			snapshot[i] = sArmed[i];
			fds[i].fd = sArmed[i].fd;
			fds[i].events = (uint16)sArmed[i].events;
			fds[i].revents = 0;
		}
		pthread_mutex_unlock(&sLock);
		/* blocks in the driver's select hooks until an event or an interrupt (re-arm) */
		int ready = shim_poll(fds, count, B_INFINITE_TIMEOUT);
		pthread_mutex_lock(&sLock);
		if (ready <= 0)
			continue;
		for (int i = 0; i < count; i++) {
			if (fds[i].revents == 0)
				continue;
			int index = find_locked(snapshot[i].handle);
			if (index < 0 || sArmed[index].generation != snapshot[i].generation)
				continue; /* disarmed or re-armed meanwhile */
			struct handle* handle = snapshot[i].handle;
			remove_locked(index);
			fuse_lowlevel_notify_poll(handle->ph);
			fuse_pollhandle_destroy(handle->ph);
			handle->ph = NULL;
			handle->armed = false;
		}
	}
	sWatcher = -1;
	pthread_mutex_unlock(&sLock);
	free(snapshot);
	free(fds);
	return NULL;
}

int
poller_start(void)
{
	int error = pthread_create(&sThread, NULL, watcher, NULL);
	if (error != 0)
		return error;
	pthread_mutex_lock(&sLock);
	while (sWatcher < 0)
		pthread_cond_wait(&sStarted, &sLock);
	pthread_mutex_unlock(&sLock);
	return 0;
}

void
poller_stop(void)
{
	pthread_mutex_lock(&sLock);
	sStop = true;
	kick_locked();
	pthread_mutex_unlock(&sLock);
	pthread_join(sThread, NULL);
	pthread_mutex_lock(&sLock);
	for (int i = 0; i < sArmedCount; i++) {
		struct handle* handle = sArmed[i].handle;
		if (handle->ph != NULL)
			fuse_pollhandle_destroy(handle->ph);
		handle->ph = NULL;
		handle->armed = false;
	}
	sArmedCount = 0;
	pthread_mutex_unlock(&sLock);
}
