/* Universal: no unbounded memory growth. Over one input the kernel heap and the live net_buffers
 * may grow only by what the input's ops can make any driver hold (fz_run_input calls these). */
#include "common.h"

/*
 * The bound: an op makes a driver hold at most one more unit (its structures and queues'
 * bookkeeping: under 4 KiB in either driver, the largest seen over every corpus input of both) or
 * one more packet (a net_buffer, plus its ARP reply on TAP), so
 *   heap bytes <= 16 KiB per op (four times the largest unit) + 64 KiB,
 *   net_buffers <= 2 per op + 8.
 * A driver that allocates per wake-up, per timer tick or per poll, or keeps copies, leaves these
 * behind within one input of a few hundred ops; growth that ends with the input is not a leak, so
 * the leak check alone would not see it.
 */
#define BYTES_PER_OP (16 * 1024)
#define BYTES_SLACK (64 * 1024)
#define BUFFERS_PER_OP 2
#define BUFFERS_SLACK 8

static struct shim_objects sStart;

void
fz_growth_start(void)
{
	shim_objects_peak_reset();
	shim_objects_get(&sStart);
}

void
fz_growth_check(int ops)
{
	struct shim_objects peak;
	shim_objects_peak(&peak);
	int64 bytes = peak.alloc_bytes - sStart.alloc_bytes;
	int64 buffers = peak.net_buffers - sStart.net_buffers;
	if (fz_verbose)
		fz_trace("memory growth: %lld heap bytes, %lld net_buffers over %d ops", (long long)bytes,
			(long long)buffers, ops);
	FZ_CHECK(bytes <= (int64)ops * BYTES_PER_OP + BYTES_SLACK
				 && buffers <= (int64)ops * BUFFERS_PER_OP + BUFFERS_SLACK,
		"memory grew by %lld heap bytes and %lld net_buffers over %d ops (bound: %d bytes and %d "
		"net_buffers an op, plus %d and %d): unbounded growth",
		(long long)bytes, (long long)buffers, ops, BYTES_PER_OP, BUFFERS_PER_OP, BYTES_SLACK,
		BUFFERS_SLACK);
}
