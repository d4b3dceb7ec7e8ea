/* The frames an input made, byte for byte, per interface and direction: the universal "intact or
 * not at all" check of the frames harness (any driver: a frame read or received is one of them). */
#include "common.h"

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
	int8 iface, direction;
} sFrames[FZ_MAX_OPS];
static int sCount;
static bool sOverflow;

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
	if (sCount == FZ_MAX_OPS || length > LOG_BYTES - sUsed) {
		sOverflow = true;
		return;
	}
	memcpy(sArena + sUsed, bytes, length);
	sFrames[sCount].offset = (uint32)sUsed;
	sFrames[sCount].length = (uint32)length;
	sFrames[sCount].iface = (int8)iface;
	sFrames[sCount].direction = (int8)direction;
	sCount++;
	sUsed += length;
}

/* got (`length` bytes, a read or receive into `size`) is `frame` after `prefix` bytes of its own
 * (a TUN unit's AF prefix), whole or its first `size` bytes */
static bool
is_frame(const uint8* got, size_t length, size_t size, const uint8* frame, size_t frameLength,
	size_t prefix)
{
	size_t whole = frameLength + prefix;
	return length == (size < whole ? size : whole) && length >= prefix
		   && memcmp(got + prefix, frame, length - prefix) == 0;
}

bool
fz_frame_log_match(
	int iface, int direction, const uint8* got, size_t length, size_t size, bool prefixed)
{
	if (sOverflow)
		return true;
	for (int i = 0; i < sCount; i++) {
		if (sFrames[i].iface != iface || sFrames[i].direction != direction)
			continue;
		const uint8* frame = sArena + sFrames[i].offset;
		if (is_frame(got, length, size, frame, sFrames[i].length, 0)
			|| (prefixed && is_frame(got, length, size, frame, sFrames[i].length, 4)))
			return true;
	}
	return false;
}
