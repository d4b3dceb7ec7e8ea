/* Stack-side bridges: frames the driver hands to interface tap/N (tun/N) go into a Linux TAP
 * (TUN) device, frames the Linux kernel sends on it go to the driver's send_data. */
#include "tuntapfs.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define FRAME_MAX (64 * 1024)
/* net_stack.h's B_NET_FRAME_TYPE_IPV4/IPV6: the type of a TUN frame the stack sends */
#define FRAME_TYPE_IPV4 0x0001
#define FRAME_TYPE_IPV6 0x0002

struct bridge {
	struct bridge* next;
	char name[SHIM_IF_NAME_LENGTH];
	char device[32];
	bool tap;
	int fd;   /* the Linux device */
	int stop; /* eventfd: the Linux reader ends */
	pthread_t reader;
	uint64_t to_linux, from_linux, to_linux_errors;
};

static pthread_mutex_t sLock = PTHREAD_MUTEX_INITIALIZER;
static struct bridge* sBridges;

static struct bridge*
find_locked(const char* name)
{
	for (struct bridge* bridge = sBridges; bridge != NULL; bridge = bridge->next) {
		if (strcmp(bridge->name, name) == 0)
			return bridge;
	}
	return NULL;
}

/* the stack's reader thread: a frame the driver delivered goes to Linux */
static void
to_linux(void* cookie, const void* frame, size_t length, int32 type)
{
	(void)type;
	struct bridge* bridge = cookie;
	if (write(bridge->fd, frame, length) == (ssize_t)length)
		__atomic_fetch_add(&bridge->to_linux, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&bridge->to_linux_errors, 1, __ATOMIC_RELAXED);
}

/* frames from Linux: the stack's send path into the driver (send_data) */
static void*
from_linux(void* data)
{
	struct bridge* bridge = data;
	char* frame = malloc(FRAME_MAX);
	while (frame != NULL) {
		ssize_t length = linuxtun_read_frame(bridge->fd, bridge->stop, frame, FRAME_MAX);
		if (length <= 0)
			break;
		int32 type = 0;
		if (!bridge->tap)
			type = (frame[0] & 0xf0) == 0x60 ? FRAME_TYPE_IPV6 : FRAME_TYPE_IPV4;
		/* refused (no reader, full, down, no interface): dropped, as a NIC would */
		if (shim_stack_send(bridge->name, frame, (size_t)length, type) == B_OK)
			__atomic_fetch_add(&bridge->from_linux, 1, __ATOMIC_RELAXED);
	}
	free(frame);
	return NULL;
}

int
bridge_attach(const char* name, const char* linuxDevice, char* error, size_t errorSize)
{
	bool tap = strncmp(name, "tap/", 4) == 0;
	if (!tap && strncmp(name, "tun/", 4) != 0) {
		snprintf(error, errorSize, "%s: not a tun/N or tap/N name", name);
		return -1;
	}
	pthread_mutex_lock(&sLock);
	struct bridge* existing = find_locked(name);
	if (existing != NULL) {
		bool same = strcmp(existing->device, linuxDevice) == 0;
		pthread_mutex_unlock(&sLock);
		if (same)
			return 0; /* already bridged there: nothing to do */
		snprintf(error, errorSize, "%s is bridged to %s already", name, existing->device);
		return -1;
	}
	struct bridge* bridge = calloc(1, sizeof(*bridge));
	if (bridge == NULL) {
		pthread_mutex_unlock(&sLock);
		snprintf(error, errorSize, "out of memory");
		return -1;
	}
	snprintf(bridge->name, sizeof(bridge->name), "%s", name);
	snprintf(bridge->device, sizeof(bridge->device), "%s", linuxDevice);
	bridge->tap = tap;
	bridge->fd = linuxtun_open(linuxDevice, tap, error, errorSize);
	bridge->stop = eventfd(0, EFD_CLOEXEC);
	if (bridge->fd < 0 || bridge->stop < 0) {
		if (bridge->fd >= 0)
			close(bridge->fd);
		else if (bridge->stop >= 0)
			close(bridge->stop);
		if (bridge->stop < 0)
			snprintf(error, errorSize, "eventfd: %s", strerror(errno));
		pthread_mutex_unlock(&sLock);
		free(bridge);
		return -1;
	}
	status_t status = shim_stack_set_sink(name, to_linux, bridge);
	if (status != B_OK || pthread_create(&bridge->reader, NULL, from_linux, bridge) != 0) {
		if (status == B_OK)
			shim_stack_set_sink(name, NULL, NULL);
		snprintf(error, errorSize, "%s: cannot attach (%d)", name, (int)status);
		close(bridge->fd);
		close(bridge->stop);
		pthread_mutex_unlock(&sLock);
		free(bridge);
		return -1;
	}
	bridge->next = sBridges;
	sBridges = bridge;
	pthread_mutex_unlock(&sLock);
	return 0;
}

static void
bridge_destroy(struct bridge* bridge)
{
	shim_stack_set_sink(bridge->name, NULL, NULL); /* no to_linux() runs after this */
	uint64_t one = 1;
	if (write(bridge->stop, &one, sizeof(one)) != sizeof(one))
		perror("tuntapfs: bridge stop");
	pthread_join(bridge->reader, NULL);
	close(bridge->fd);
	close(bridge->stop);
	free(bridge);
}

int
bridge_detach(const char* name, char* error, size_t errorSize)
{
	pthread_mutex_lock(&sLock);
	struct bridge** link = &sBridges;
	while (*link != NULL && strcmp((*link)->name, name) != 0)
		link = &(*link)->next;
	struct bridge* bridge = *link;
	if (bridge != NULL)
		*link = bridge->next;
	pthread_mutex_unlock(&sLock);
	if (bridge == NULL) {
		snprintf(error, errorSize, "%s is not bridged", name);
		return -1;
	}
	bridge_destroy(bridge);
	return 0;
}

const char*
bridge_device(const char* name, char* buffer, size_t size)
{
	pthread_mutex_lock(&sLock);
	struct bridge* bridge = find_locked(name);
	if (bridge != NULL) {
		snprintf(buffer, size, "%s (to %llu, from %llu, errors %llu)", bridge->device,
			(unsigned long long)__atomic_load_n(&bridge->to_linux, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&bridge->from_linux, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&bridge->to_linux_errors, __ATOMIC_RELAXED));
	}
	pthread_mutex_unlock(&sLock);
	return bridge != NULL ? buffer : NULL;
}

void
bridge_detach_all(void)
{
	for (;;) {
		pthread_mutex_lock(&sLock);
		struct bridge* bridge = sBridges;
		if (bridge != NULL)
			sBridges = bridge->next;
		pthread_mutex_unlock(&sLock);
		if (bridge == NULL)
			break;
		bridge_destroy(bridge);
	}
}
