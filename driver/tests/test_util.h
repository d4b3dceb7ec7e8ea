/* Shared helpers of the driver's cmocka tests: boot/teardown with a leak check against the boot
 * baseline, status assertions, frame builders, and threads that time a blocking call. */
#ifndef TUNTAP_TEST_UTIL_H
#define TUNTAP_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <Drivers.h>
#include <net_stack.h>
#include <sys/ioctl.h>

#include "shim.h"
#include "tuntap.h"

#define TU_SECOND 1000000LL
#define TU_PROMPT 100000LL		/* "promptly": generous, the machine is shared and noisy */
#define TU_BLOCK_TIMEOUT (5 * TU_SECOND)	/* how long a helper thread may take to block */
#define TU_ETHER_HEADER 14

/* ---- status assertions -------------------------------------------------------------------- */

static inline const char*
tu_status_name(int64 status)
{
	switch (status) {
	case B_OK: return "B_OK";
	case B_ERROR: return "B_ERROR";
	case B_NO_MEMORY: return "B_NO_MEMORY";
	case B_BAD_VALUE: return "B_BAD_VALUE";
	case B_NAME_IN_USE: return "B_NAME_IN_USE";
	case B_TIMED_OUT: return "B_TIMED_OUT";
	case B_INTERRUPTED: return "B_INTERRUPTED";
	case B_WOULD_BLOCK: return "B_WOULD_BLOCK";
	case B_BUSY: return "B_BUSY";
	case B_NOT_ALLOWED: return "B_NOT_ALLOWED";
	case B_BAD_DATA: return "B_BAD_DATA";
	case B_BAD_SEM_ID: return "B_BAD_SEM_ID";
	case B_NO_MORE_SEMS: return "B_NO_MORE_SEMS";
	case B_BAD_ADDRESS: return "B_BAD_ADDRESS";
	case B_FILE_ERROR: return "B_FILE_ERROR";
	case B_FILE_EXISTS: return "B_FILE_EXISTS";
	case B_ENTRY_NOT_FOUND: return "B_ENTRY_NOT_FOUND";
	case B_NOT_SUPPORTED: return "B_NOT_SUPPORTED";
	case B_DEV_INVALID_IOCTL: return "B_DEV_INVALID_IOCTL";
	case B_DEVICE_NOT_FOUND: return "B_DEVICE_NOT_FOUND";
	default: return status >= 0 ? "(count)" : "(other error)";
	}
}

/* assert that a status or byte count equals the expected one, naming both on failure */
#define TU_EXPECT(expression, expected) \
	do { \
		int64 tuActual_ = (int64)(expression); \
		int64 tuExpected_ = (int64)(expected); \
		if (tuActual_ != tuExpected_) { \
			fail_msg("%s = %s (%lld), expected %s (%lld)", #expression, \
				tu_status_name(tuActual_), (long long)tuActual_, \
				tu_status_name(tuExpected_), (long long)tuExpected_); \
		} \
	} while (0)

#define TU_OK(expression) TU_EXPECT(expression, B_OK)

/* assert a duration (microseconds) is within the "promptly" budget */
#define TU_PROMPTLY(elapsed) \
	do { \
		bigtime_t tuElapsed_ = (elapsed); \
		if (tuElapsed_ < 0 || tuElapsed_ >= TU_PROMPT) \
			fail_msg("took %lld us, expected < %lld us", (long long)tuElapsed_, TU_PROMPT); \
	} while (0)

/* ---- per-test state: the boot baseline, descriptors and interfaces to release -------------- */

#define TU_MAX_FDS 64
#define TU_MAX_IFS 32
#define TU_MAX_CALLS 8
#define TU_CALL_BUFFER 20000	/* > TUNTAP_MAX_MTU + 14 */

enum tu_op { TU_READ, TU_WRITE, TU_POLL, TU_WRITE_LOOP };

struct tu_call {
	enum tu_op op;
	int fd;
	uint8 buffer[TU_CALL_BUFFER];
	size_t length;
	struct shim_pollfd pollfd;	/* TU_POLL: events in, revents out */
	bigtime_t timeout;
	ssize_t result;
	int64 iterations;		/* TU_WRITE_LOOP: writes accepted before the error */
	bigtime_t start, end;
	thread_id thread;
	int32 done;
	bool used;
};

static struct shim_objects tu_baseline;
static int tu_fds[TU_MAX_FDS];
static char tu_ifs[TU_MAX_IFS][TUNTAP_NAME_LENGTH];
static struct tu_call tu_calls[TU_MAX_CALLS];

static inline void
tu_track_fd(int fd)
{
	for (int i = 0; i < TU_MAX_FDS; i++) {
		if (tu_fds[i] < 0) {
			tu_fds[i] = fd;
			return;
		}
	}
}

static inline void
tu_untrack_fd(int fd)
{
	for (int i = 0; i < TU_MAX_FDS; i++) {
		if (tu_fds[i] == fd)
			tu_fds[i] = -1;
	}
}

/* open and remember the descriptor so teardown closes it if the test fails */
static inline int
tu_open(const char* path, int mode)
{
	int fd = shim_open(path, mode);
	if (fd >= 0)
		tu_track_fd(fd);
	return fd;
}

/* open that must succeed */
static inline int
tu_open_ok(const char* path, int mode)
{
	int fd = tu_open(path, mode);
	if (fd < 0)
		fail_msg("open %s: %s (%d)", path, tu_status_name(fd), fd);
	return fd;
}

static inline status_t
tu_close(int fd)
{
	tu_untrack_fd(fd);
	return shim_close(fd);
}

static inline void
tu_track_if(const char* name)
{
	for (int i = 0; i < TU_MAX_IFS; i++) {
		if (strcmp(tu_ifs[i], name) == 0)
			return;
	}
	for (int i = 0; i < TU_MAX_IFS; i++) {
		if (tu_ifs[i][0] == '\0') {
			strncpy(tu_ifs[i], name, TUNTAP_NAME_LENGTH - 1);
			return;
		}
	}
}

static inline void
tu_untrack_if(const char* name)
{
	for (int i = 0; i < TU_MAX_IFS; i++) {
		if (strcmp(tu_ifs[i], name) == 0)
			tu_ifs[i][0] = '\0';
	}
}

/* create an interface and remember it */
static inline status_t
tu_if_create(const char* name)
{
	status_t status = shim_if_create(name);
	if (status == B_OK)
		tu_track_if(name);
	return status;
}

/* create (and optionally bring up) an interface, failing the test on error */
static inline void
tu_if_create_ok(const char* name, bool up)
{
	TU_OK(tu_if_create(name));
	if (up)
		TU_OK(shim_if_up(name));
}

static inline status_t
tu_if_delete(const char* name)
{
	tu_untrack_if(name);
	return shim_if_delete(name);
}

/* close every remembered descriptor and delete every remembered interface */
static inline void
tu_release_all(void)
{
	for (int i = 0; i < TU_MAX_FDS; i++) {
		if (tu_fds[i] >= 0) {
			shim_close(tu_fds[i]);
			tu_fds[i] = -1;
		}
	}
	for (int i = 0; i < TU_MAX_IFS; i++) {
		if (tu_ifs[i][0] != '\0') {
			if (shim_if_exists(tu_ifs[i]))
				shim_if_delete(tu_ifs[i]);
			tu_ifs[i][0] = '\0';
		}
	}
}

static inline void
tu_objects(struct shim_objects* objects)
{
	shim_objects_get(objects);
}

/* live objects equal `baseline` (no leak since that point) */
static inline void
tu_assert_same_objects(const struct shim_objects* baseline, const char* where)
{
	int differences = shim_leak_check(baseline, where);
	if (differences != 0)
		fail_msg("leak check at %s: %d kinds of object differ from the baseline", where,
			differences);
}

/* the boot baseline is back: call after the test closed and deleted everything */
static inline void
tu_assert_no_leak(const char* where)
{
	tu_assert_same_objects(&tu_baseline, where);
}

/* end of a test: release what is left and check nothing leaked since boot */
static inline void
tu_finish(void)
{
	tu_release_all();
	tu_assert_no_leak("end of test");
}

static inline int
tu_setup(void** state)
{
	(void)state;
	for (int i = 0; i < TU_MAX_FDS; i++)
		tu_fds[i] = -1;
	memset(tu_ifs, 0, sizeof(tu_ifs));
	for (int i = 0; i < TU_MAX_CALLS; i++)
		tu_calls[i].used = false;
	status_t status = shim_boot();
	if (status != B_OK) {
		fprintf(stderr, "shim_boot: %s (%d)\n", tu_status_name(status), (int)status);
		return -1;
	}
	shim_fault_clear();
	shim_objects_get(&tu_baseline);
	return 0;
}

static inline int
tu_teardown(void** state)
{
	(void)state;
	shim_fault_clear();
	tu_release_all();

	/* helper threads of a failed test: closing and deleting above woke them */
	for (int i = 0; i < TU_MAX_CALLS; i++) {
		struct tu_call* call = &tu_calls[i];
		if (!call->used)
			continue;
		for (int waited = 0; !__atomic_load_n(&call->done, __ATOMIC_ACQUIRE)
			&& waited < 500; waited++) {
			snooze(10000);
		}
		if (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE)) {
			fprintf(stderr, "teardown: helper thread %d (op %d) never returned\n",
				(int)call->thread, (int)call->op);
			abort();
		}
		shim_thread_join(call->thread, NULL);
		call->used = false;
	}

	status_t status = shim_shutdown();
	if (status != B_OK) {
		fprintf(stderr, "shim_shutdown: %s (%d)\n", tu_status_name(status), (int)status);
		return -1;
	}
	return 0;
}

#define TU_TEST(function) cmocka_unit_test_setup_teardown(function, tu_setup, tu_teardown)

/* ---- byte order and frames ----------------------------------------------------------------- */

static inline void
tu_put_be16(uint8* p, uint16 value)
{
	p[0] = (uint8)(value >> 8);
	p[1] = (uint8)value;
}

static inline void
tu_put_be32(uint8* p, uint32 value)
{
	p[0] = (uint8)(value >> 24);
	p[1] = (uint8)(value >> 16);
	p[2] = (uint8)(value >> 8);
	p[3] = (uint8)value;
}

static inline uint16
tu_get_be16(const uint8* p)
{
	return (uint16)((p[0] << 8) | p[1]);
}

static inline uint32
tu_get_be32(const uint8* p)
{
	return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

/* an IPv4 address a.b.c.d as a uint32 in network byte order (memory order a, b, c, d) */
static inline uint32
tu_ipv4_address(uint8 a, uint8 b, uint8 c, uint8 d)
{
	uint8 bytes[4] = {a, b, c, d};
	uint32 value;
	memcpy(&value, bytes, sizeof(value));
	return value;
}

/* payload bytes derived from a sequence number: the number itself (big-endian), then a pattern */
static inline void
tu_fill_payload(uint8* p, size_t length, uint32 sequence)
{
	for (size_t i = 0; i < length; i++)
		p[i] = (uint8)(sequence * 7 + i * 13 + 1);
	if (length >= 4)
		tu_put_be32(p, sequence);
}

/* an IPv4 packet of `length` (>= 20) bytes: valid header and checksum, protocol 253 */
static inline size_t
tu_ipv4_packet(uint8* p, size_t length, uint32 sequence)
{
	assert_true(length >= 20 && length <= 65535);
	memset(p, 0, 20);
	p[0] = 0x45;
	tu_put_be16(p + 2, (uint16)length);
	tu_put_be16(p + 4, (uint16)sequence);
	p[8] = 64;
	p[9] = 253;
	memcpy(p + 12, (const uint8[]){10, 0, 0, 1}, 4);
	memcpy(p + 16, (const uint8[]){10, 0, 0, 2}, 4);
	uint32 sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += tu_get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	tu_put_be16(p + 10, (uint16)~sum);
	tu_fill_payload(p + 20, length - 20, sequence);
	return length;
}

/* an IPv6 packet of `length` (>= 40) bytes: fd00::1 -> fd00::2, next header 59 (none) */
static inline size_t
tu_ipv6_packet(uint8* p, size_t length, uint32 sequence)
{
	assert_true(length >= 40 && length <= 65535 + 40);
	memset(p, 0, 40);
	p[0] = 0x60;
	tu_put_be16(p + 4, (uint16)(length - 40));
	p[6] = 59;
	p[7] = 64;
	p[8] = 0xfd;
	p[23] = 1;
	p[24] = 0xfd;
	p[39] = 2;
	tu_fill_payload(p + 40, length - 40, sequence);
	return length;
}

static const uint8 tu_broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8 tu_zero_mac[6] = {0, 0, 0, 0, 0, 0};
static const uint8 tu_app_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};	/* the application's */

/* an Ethernet frame of `length` (>= 14) bytes */
static inline size_t
tu_ether_frame(uint8* p, size_t length, const uint8 destination[6], const uint8 source[6],
	uint16 type, uint32 sequence)
{
	assert_true(length >= TU_ETHER_HEADER);
	memcpy(p, destination, 6);
	memcpy(p + 6, source, 6);
	tu_put_be16(p + 12, type);
	tu_fill_payload(p + 14, length - 14, sequence);
	return length;
}

#define TU_ARP_FRAME_LENGTH 42
#define TU_ARP_REQUEST 1
#define TU_ARP_REPLY 2

/* Ethernet + ARP (IEEE/Haiku layout: htype 1, ptype 0x0800, hlen 6, plen 4); addresses in
 * network byte order; 42 bytes, no padding */
static inline size_t
tu_arp_frame(uint8* p, const uint8 etherDestination[6], const uint8 etherSource[6], uint16 op,
	const uint8 senderMac[6], uint32 senderIp, const uint8 targetMac[6], uint32 targetIp)
{
	memcpy(p, etherDestination, 6);
	memcpy(p + 6, etherSource, 6);
	tu_put_be16(p + 12, 0x0806);
	uint8* arp = p + 14;
	tu_put_be16(arp, 1);
	tu_put_be16(arp + 2, 0x0800);
	arp[4] = 6;
	arp[5] = 4;
	tu_put_be16(arp + 6, op);
	memcpy(arp + 8, senderMac, 6);
	memcpy(arp + 14, &senderIp, 4);
	memcpy(arp + 18, targetMac, 6);
	memcpy(arp + 24, &targetIp, 4);
	return TU_ARP_FRAME_LENGTH;
}

/* ---- ioctl shortcuts --------------------------------------------------------------------- */

static inline struct tuntap_stats
tu_stats(int fd)
{
	struct tuntap_stats stats;
	memset(&stats, 0xa5, sizeof(stats));
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_STATS, &stats, sizeof(stats), sizeof(stats)));
	return stats;
}

static inline struct tuntap_info
tu_info(int fd)
{
	struct tuntap_info info;
	memset(&info, 0xa5, sizeof(info));
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_INFO, &info, sizeof(info), sizeof(info)));
	return info;
}

static inline void
tu_set_queue_limits(int fd, uint32 packets, uint32 bytes)
{
	struct tuntap_info info = tu_info(fd);
	info.queue_packets = packets;
	info.queue_bytes = bytes;
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info)));
}

static inline void
tu_get_name(int fd, char name[TUNTAP_NAME_LENGTH])
{
	memset(name, 0x7f, TUNTAP_NAME_LENGTH);
	TU_OK(shim_ioctl_buf(fd, TUNTAP_GET_NAME, name, TUNTAP_NAME_LENGTH, TUNTAP_NAME_LENGTH));
}

static inline int
tu_fionread(int fd)
{
	int value = -12345;
	TU_OK(shim_ioctl_buf(fd, FIONREAD, &value, sizeof(value), sizeof(value)));
	return value;
}

/* enqueued == dequeued + dropped + queued */
#define TU_ASSERT_QUEUE_INVARIANT(queueStats) \
	do { \
		const struct tuntap_queue_stats* tuQ_ = &(queueStats); \
		if (tuQ_->enqueued != tuQ_->dequeued + tuQ_->dropped + tuQ_->queued) \
			fail_msg("%s: enqueued %llu != dequeued %llu + dropped %llu + queued %llu", \
				#queueStats, (unsigned long long)tuQ_->enqueued, \
				(unsigned long long)tuQ_->dequeued, (unsigned long long)tuQ_->dropped, \
				(unsigned long long)tuQ_->queued); \
	} while (0)

#define TU_ASSERT_STATS_INVARIANT(stats) \
	do { \
		TU_ASSERT_QUEUE_INVARIANT((stats).to_app); \
		TU_ASSERT_QUEUE_INVARIANT((stats).to_stack); \
	} while (0)

/* a frame the stack peer captured must be exactly `expected` */
static inline void
tu_expect_stack_frame(const char* name, const void* expected, size_t length)
{
	uint8 frame[TU_CALL_BUFFER];
	ssize_t got = shim_stack_receive(name, frame, sizeof(frame), TU_SECOND);
	TU_EXPECT(got, (ssize_t)length);
	assert_memory_equal(frame, expected, length);
}

/* the next read must return exactly `expected` */
static inline void
tu_expect_read(int fd, const void* expected, size_t length)
{
	uint8 frame[TU_CALL_BUFFER];
	memset(frame, 0xee, sizeof(frame));
	TU_EXPECT(shim_read(fd, frame, sizeof(frame)), (ssize_t)length);
	assert_memory_equal(frame, expected, length);
}

/* ---- helper threads that time one blocking call ------------------------------------------ */

static inline status_t
tu_call_thread(void* argument)
{
	struct tu_call* call = (struct tu_call*)argument;
	call->start = system_time();
	switch (call->op) {
	case TU_READ:
		call->result = shim_read(call->fd, call->buffer, call->length);
		break;
	case TU_WRITE:
		call->result = shim_write(call->fd, call->buffer, call->length);
		break;
	case TU_POLL:
		call->result = shim_poll(&call->pollfd, 1, call->timeout);
		break;
	case TU_WRITE_LOOP:
		for (;;) {
			ssize_t written = shim_write(call->fd, call->buffer, call->length);
			if (written < 0) {
				call->result = written;
				break;
			}
			call->iterations++;
		}
		break;
	}
	call->end = system_time();
	__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
	return B_OK;
}

static inline struct tu_call*
tu_call_new(enum tu_op op, int fd)
{
	for (int i = 0; i < TU_MAX_CALLS; i++) {
		struct tu_call* call = &tu_calls[i];
		if (call->used)
			continue;
		memset(call, 0, sizeof(*call));
		call->used = true;
		call->op = op;
		call->fd = fd;
		call->pollfd.fd = fd;
		return call;
	}
	fail_msg("too many helper threads");
	return NULL;
}

static inline struct tu_call*
tu_call_spawn(struct tu_call* call)
{
	call->thread = shim_thread_spawn("tu_call", tu_call_thread, call);
	if (call->thread < 0) {
		call->used = false;
		fail_msg("shim_thread_spawn: %s", tu_status_name(call->thread));
	}
	return call;
}

/* a thread reading up to `length` bytes from fd */
static inline struct tu_call*
tu_start_read(int fd, size_t length)
{
	struct tu_call* call = tu_call_new(TU_READ, fd);
	call->length = length;
	return tu_call_spawn(call);
}

/* a thread writing `length` bytes of `data` to fd (once, or until an error with `loop`) */
static inline struct tu_call*
tu_start_write(int fd, const void* data, size_t length, bool loop)
{
	struct tu_call* call = tu_call_new(loop ? TU_WRITE_LOOP : TU_WRITE, fd);
	assert_true(length <= sizeof(call->buffer));
	memcpy(call->buffer, data, length);
	call->length = length;
	return tu_call_spawn(call);
}

/* a thread polling fd for `events` */
static inline struct tu_call*
tu_start_poll(int fd, uint16 events, bigtime_t timeout)
{
	struct tu_call* call = tu_call_new(TU_POLL, fd);
	call->pollfd.events = events;
	call->timeout = timeout;
	return tu_call_spawn(call);
}

/* the helper is now blocked in a shim wait */
static inline void
tu_wait_blocked(struct tu_call* call)
{
	TU_OK(shim_wait_until_blocked(call->thread, TU_BLOCK_TIMEOUT));
	assert_false(__atomic_load_n(&call->done, __ATOMIC_ACQUIRE));
}

static inline bool
tu_call_done(struct tu_call* call)
{
	return __atomic_load_n(&call->done, __ATOMIC_ACQUIRE) != 0;
}

/* join the helper and return its call's result */
static inline ssize_t
tu_join(struct tu_call* call)
{
	status_t status;
	TU_OK(shim_thread_join(call->thread, &status));
	call->used = false;
	return call->result;
}

/* microseconds from `since` until the helper's call returned */
static inline bigtime_t
tu_returned_after(const struct tu_call* call, bigtime_t since)
{
	return call->end - since;
}

#endif
