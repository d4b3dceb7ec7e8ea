/* The frames an input made, byte for byte, per interface and direction: the universal "intact or
 * not at all" and "an idle poll loop wakes 0 times" checks of the harnesses that move frames. */
#include "common.h"

#include <pthread.h>
#include <string.h>

/* Bytes, not a model: whatever order or acceptance a driver has, what comes out of it must be a
 * frame that went in, whole or cut to the reader's buffer. An input makes at most FZ_MAX_OPS
 * frames; their bytes share an arena, and a frame that does not fit is not logged: the log has
 * overflowed and says nothing (fz_frame_log_match answers true) until the next input. */
#define LOG_BYTES (1024 * 1024)

static uint8 sArena[LOG_BYTES];
static size_t sUsed;
static struct {
	uint32 offset, length;
	int32 iface;
	int8 direction;
} sFrames[FZ_MAX_OPS];
static int sCount;
static bool sOverflow;
/* the ops harness's threads log and match at once in the free-running build */
static pthread_mutex_t sLock = PTHREAD_MUTEX_INITIALIZER;

void
fz_frame_log_clear(void)
{
	sUsed = 0;
	sCount = 0;
	sOverflow = false;
}

void
fz_frame_log_add(int iface, int direction, const uint8* bytes, size_t length)
{
	pthread_mutex_lock(&sLock);
	if (sCount == FZ_MAX_OPS || length > LOG_BYTES - sUsed) {
		sOverflow = true;
		pthread_mutex_unlock(&sLock);
		return;
	}
	memcpy(sArena + sUsed, bytes, length);
	sFrames[sCount].offset = (uint32)sUsed;
	sFrames[sCount].length = (uint32)length;
	sFrames[sCount].iface = iface;
	sFrames[sCount].direction = (int8)direction;
	sCount++;
	sUsed += length;
	pthread_mutex_unlock(&sLock);
}

/* got (`length` bytes, a read or receive into `size`) is `frame` after `prefix` bytes of its own
 * (a TUN unit's AF prefix, whose bytes are the driver's: a buffer within it holds no frame byte),
 * whole or its first `size` bytes */
static bool
is_frame(const uint8* got, size_t length, size_t size, const uint8* frame, size_t frameLength,
	size_t prefix)
{
	size_t whole = frameLength + prefix;
	return length == (size < whole ? size : whole)
		   && (length <= prefix || memcmp(got + prefix, frame, length - prefix) == 0);
}

bool
fz_frame_log_match(
	int iface, int direction, const uint8* got, size_t length, size_t size, bool prefixed)
{
	pthread_mutex_lock(&sLock);
	bool found = sOverflow;
	for (int i = 0; i < sCount && !found; i++) {
		if ((iface != FZ_FRAME_ANY && sFrames[i].iface != FZ_FRAME_ANY && sFrames[i].iface != iface)
			|| sFrames[i].direction != direction)
			continue;
		const uint8* frame = sArena + sFrames[i].offset;
		found = is_frame(got, length, size, frame, sFrames[i].length, 0)
				|| (prefixed && is_frame(got, length, size, frame, sFrames[i].length, 4));
	}
	pthread_mutex_unlock(&sLock);
	return found;
}

bool
fz_frame_log_offered(int iface)
{
	pthread_mutex_lock(&sLock);
	bool found = sOverflow;
	for (int i = 0; i < sCount && !found; i++)
		found = sFrames[i].iface == iface || sFrames[i].iface == FZ_FRAME_ANY;
	pthread_mutex_unlock(&sLock);
	return found;
}

/* Universal: an idle poll loop wakes 0 times. On a descriptor whose up interface nothing was sent
 * or written to in the input, nothing can be read whatever the driver (a write may make the stack
 * answer: Haiku's driver keeps an ARP request written while down, and the reply comes after up,
 * so an interface written to is not idle): a poll for POLLIN must time out, with no select
 * notification meanwhile. A driver that says readable or notifies anyway makes a VPN's idle poll
 * loop spin (the 2023 report's 99% CPU). Faults must be off. */
#define IDLE_POLL_TIMEOUT 100000 /* virtual time in the deterministic build */
void
fz_idle_poll(int fd, const char* name)
{
	struct shim_pollfd pollfd = {fd, SHIM_POLLIN, 0};
	int64 notifications = shim_select_notifications();
	int64 status = shim_poll(&pollfd, 1, IDLE_POLL_TIMEOUT);
	int64 woken = shim_select_notifications() - notifications;
	FZ_CHECK(status == 0 && woken == 0,
		"an idle poll for POLLIN on %s (nothing sent or written to it) returned %lld, revents %s, "
		"after %lld select notification(s): an idle poll loop would spin",
		name, (long long)status, fz_poll_events(pollfd.revents), (long long)woken);
}
