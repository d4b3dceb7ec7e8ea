/* Bare packet files, the baseline without the driver: MOUNTPOINT/bare/NAME writes go straight into
 * a Linux TAP, reads return its frames from an in-memory queue (blocking, poll, FUSE interrupts).
 */
#include "tuntapfs.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define BARE_MAX 16
#define BARE_QUEUE_MAX 1024
#define FRAME_MAX (64 * 1024)

struct frame {
	struct frame* next;
	size_t length;
	char data[];
};

struct bare_file {
	char name[64];
	char device[32];
	int fd;   /* the Linux TAP */
	int stop; /* eventfd ending the reader */
	pthread_t reader;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct frame *head, *tail;
	int count;
	uint64_t dropped;
	bool closed;
	struct handle* waiters; /* handles with a poll handle to notify */
};

static struct bare_file* sBare[BARE_MAX];
static int sBareCount;

int
bare_count(void)
{
	return sBareCount;
}

const char*
bare_name(int index)
{
	return index >= 0 && index < sBareCount ? sBare[index]->name : "";
}

struct bare_file*
bare_find(const char* name)
{
	for (int i = 0; i < sBareCount; i++) {
		if (strcmp(sBare[i]->name, name) == 0)
			return sBare[i];
	}
	return NULL;
}

int
bare_index(const struct bare_file* bare)
{
	for (int i = 0; i < sBareCount; i++) {
		if (sBare[i] == bare)
			return i;
	}
	return -1;
}

int
bare_add(const char* spec, char* error, size_t errorSize)
{
	const char* equals = strchr(spec, '=');
	if (equals == NULL || equals == spec || equals[1] == '\0'
		|| (size_t)(equals - spec) >= sizeof(sBare[0]->name) || strchr(spec, '/') != NULL) {
		snprintf(error, errorSize, "--bare %s: expected NAME=LINUXTAP", spec);
		return -1;
	}
	if (sBareCount == BARE_MAX) {
		snprintf(error, errorSize, "--bare: at most %d files", BARE_MAX);
		return -1;
	}
	struct bare_file* bare = calloc(1, sizeof(*bare));
	if (bare == NULL) {
		snprintf(error, errorSize, "out of memory");
		return -1;
	}
	memcpy(bare->name, spec, (size_t)(equals - spec));
	if (bare_find(bare->name) != NULL) {
		snprintf(error, errorSize, "--bare %s: name used twice", bare->name);
		free(bare);
		return -1;
	}
	snprintf(bare->device, sizeof(bare->device), "%s", equals + 1);
	bare->fd = linuxtun_open(bare->device, true, error, errorSize);
	if (bare->fd < 0) {
		free(bare);
		return -1;
	}
	bare->stop = eventfd(0, EFD_CLOEXEC);
	if (bare->stop < 0) {
		snprintf(error, errorSize, "--bare %s: eventfd: %s", bare->name, strerror(errno));
		close(bare->fd);
		free(bare);
		return -1;
	}
	pthread_mutex_init(&bare->lock, NULL);
	pthread_cond_init(&bare->cond, NULL);
	sBare[sBareCount++] = bare;
	return 0;
}

/* with the lock held: every poll waiting for input is told */
static void
notify_waiters_locked(struct bare_file* bare)
{
	while (bare->waiters != NULL) {
		struct handle* handle = bare->waiters;
		bare->waiters = handle->bare_next;
		handle->bare_next = NULL;
		handle->armed = false;
		if (handle->ph != NULL) {
			fuse_lowlevel_notify_poll(handle->ph);
			fuse_pollhandle_destroy(handle->ph);
			handle->ph = NULL;
		}
	}
}

static void*
reader(void* data)
{
	struct bare_file* bare = data;
	char* buffer = malloc(FRAME_MAX);
	while (buffer != NULL) {
		ssize_t length = linuxtun_read_frame(bare->fd, bare->stop, buffer, FRAME_MAX);
		if (length <= 0)
			break;
		struct frame* frame = malloc(sizeof(struct frame) + (size_t)length);
		if (frame == NULL)
			continue;
		frame->next = NULL;
		frame->length = (size_t)length;
		memcpy(frame->data, buffer, (size_t)length);
		pthread_mutex_lock(&bare->lock);
		if (bare->count >= BARE_QUEUE_MAX) {
			bare->dropped++;
			free(frame);
		} else {
			if (bare->tail != NULL)
				bare->tail->next = frame;
			else
				bare->head = frame;
			bare->tail = frame;
			bare->count++;
			pthread_cond_broadcast(&bare->cond);
			notify_waiters_locked(bare);
		}
		pthread_mutex_unlock(&bare->lock);
	}
	free(buffer);
	return NULL;
}

int
bare_start(void)
{
	for (int i = 0; i < sBareCount; i++) {
		int error = pthread_create(&sBare[i]->reader, NULL, reader, sBare[i]);
		if (error != 0)
			return error;
		sBare[i]->started = true;
	}
	return 0;
}

void
bare_open(struct bare_file* bare, struct handle* handle)
{
	(void)bare;
	handle->unit[0] = '\0';
}

void
bare_release(struct bare_file* bare, struct handle* handle)
{
	pthread_mutex_lock(&bare->lock);
	struct handle** link = &bare->waiters;
	while (*link != NULL && *link != handle)
		link = &(*link)->bare_next;
	if (*link != NULL)
		*link = handle->bare_next;
	if (handle->ph != NULL)
		fuse_pollhandle_destroy(handle->ph);
	handle->ph = NULL;
	pthread_mutex_unlock(&bare->lock);
}

void
bare_read(fuse_req_t req, struct handle* handle, size_t size, bool nonblocking)
{
	struct bare_file* bare = handle->bare;
	struct request request;
	request_begin(&request, req, &bare->lock, &bare->cond);
	pthread_mutex_lock(&bare->lock);
	while (bare->head == NULL && !bare->closed && !nonblocking
		   && !__atomic_load_n(&request.interrupted, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&bare->cond, &bare->lock);
	struct frame* frame = bare->head;
	if (frame != NULL) {
		bare->head = frame->next;
		if (bare->head == NULL)
			bare->tail = NULL;
		bare->count--;
	}
	int error = bare->closed ? ENODEV : nonblocking ? EAGAIN : EINTR;
	pthread_mutex_unlock(&bare->lock);
	request_end(&request);
	if (frame != NULL) {
		fuse_reply_buf(req, frame->data, frame->length < size ? frame->length : size);
		free(frame);
	} else
		fuse_reply_err(req, error);
}

void
bare_write(fuse_req_t req, struct handle* handle, const void* data, size_t size)
{
	ssize_t written = write(handle->bare->fd, data, size);
	if (written < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)written);
}

void
bare_poll(fuse_req_t req, struct handle* handle, uint32_t events, struct fuse_pollhandle* ph)
{
	struct bare_file* bare = handle->bare;
	unsigned revents = POLLOUT | POLLWRNORM; /* a Linux TAP takes every write */
	pthread_mutex_lock(&bare->lock);
	if (bare->head != NULL)
		revents |= POLLIN | POLLRDNORM;
	if (bare->closed)
		revents |= POLLHUP;
	bool ready = ((events & SHIM_POLLIN) != 0 && (revents & POLLIN) != 0)
				 || (events & SHIM_POLLOUT) != 0 || bare->closed;
	if (!ready && ph != NULL) {
		if (handle->ph != NULL)
			fuse_pollhandle_destroy(handle->ph);
		handle->ph = ph;
		if (!handle->armed) {
			handle->armed = true;
			handle->bare_next = bare->waiters;
			bare->waiters = handle;
		}
		ph = NULL;
	}
	pthread_mutex_unlock(&bare->lock);
	if (ph != NULL)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

void
bare_shutdown(void)
{
	for (int i = 0; i < sBareCount; i++) {
		struct bare_file* bare = sBare[i];
		pthread_mutex_lock(&bare->lock);
		bare->closed = true;
		pthread_cond_broadcast(&bare->cond);
		notify_waiters_locked(bare);
		pthread_mutex_unlock(&bare->lock);
	}
}

void
bare_free_all(void)
{
	for (int i = 0; i < sBareCount; i++) {
		struct bare_file* bare = sBare[i];
		uint64_t one = 1;
		if (bare->started && write(bare->stop, &one, sizeof(one)) == sizeof(one))
			pthread_join(bare->reader, NULL);
		while (bare->head != NULL) {
			struct frame* frame = bare->head;
			bare->head = frame->next;
			free(frame);
		}
		close(bare->fd);
		close(bare->stop);
		pthread_mutex_destroy(&bare->lock);
		pthread_cond_destroy(&bare->cond);
		free(bare);
	}
	sBareCount = 0;
}
