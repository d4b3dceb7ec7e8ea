/* Shared helpers of the driver's cmocka tests: boot/teardown with a leak check against the boot
 * baseline, status assertions, ioctl shortcuts, and threads that time a blocking call. */
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
#include "shim_sched.h"
#include "tuntap.h"
#include "tuntap_private.h"

#include "test_frames.h"

#define TU_SECOND 1000000LL
/* "Promptly": measured in the deterministic build's virtual time, where only timeouts and
 * scheduling decisions move the clock, so a wake-up that waits for a timeout is caught exactly.
 * Free-running builds measure wall-clock time on a shared machine: there the bound only catches
 * a stall (a wait for something that never comes), never a slow moment of the machine. */
#define TU_PROMPT_VIRTUAL 250000LL
#define TU_PROMPT (shim_sched_is_deterministic() ? TU_PROMPT_VIRTUAL : TU_BLOCK_TIMEOUT)
#define TU_BLOCK_TIMEOUT (5 * TU_SECOND) /* how long a helper thread may take to block */

/* ---- status assertions -------------------------------------------------------------------- */

/* the test line that called the helper now running, for failure messages (0: none) */
static int tu_caller_line;

/* run a helper call, naming this line in the helper's failure messages */
#define TU_AT(call)                        \
	do {                                   \
		int tuSavedLine_ = tu_caller_line; \
		tu_caller_line = __LINE__;         \
		call;                              \
		tu_caller_line = tuSavedLine_;     \
	} while (0)

/* assert that a status or byte count equals the expected one, naming both on failure */
#define TU_EXPECT(expression, expected)                                                           \
	do {                                                                                          \
		int64 tuActual_ = (int64)(expression);                                                    \
		int64 tuExpected_ = (int64)(expected);                                                    \
		if (tuActual_ != tuExpected_ && tu_caller_line != 0) {                                    \
			fail_msg("%s = %s (%lld), expected %s (%lld) [called from line %d]", #expression,     \
				shim_status_name(tuActual_), (long long)tuActual_, shim_status_name(tuExpected_), \
				(long long)tuExpected_, tu_caller_line);                                          \
		} else if (tuActual_ != tuExpected_) {                                                    \
			fail_msg("%s = %s (%lld), expected %s (%lld)", #expression,                           \
				shim_status_name(tuActual_), (long long)tuActual_, shim_status_name(tuExpected_), \
				(long long)tuExpected_);                                                          \
		}                                                                                         \
	} while (0)

#define TU_OK(expression) TU_EXPECT(expression, B_OK)

/* assert a duration (microseconds) is within the "promptly" budget */
#define TU_PROMPTLY(elapsed)                                                                \
	do {                                                                                    \
		bigtime_t tuElapsed_ = (elapsed);                                                   \
		if (tuElapsed_ < 0 || tuElapsed_ >= TU_PROMPT)                                      \
			fail_msg("took %lld us, expected < %lld us", (long long)tuElapsed_, TU_PROMPT); \
	} while (0)

/* ---- per-test state: the boot baseline, descriptors and interfaces to release -------------- */

#define TU_MAX_FDS 64
#define TU_MAX_IFS 32
#define TU_MAX_CALLS 8
#define TU_CALL_BUFFER 20000 /* > TUNTAP_MAX_MTU + 14 */

enum tu_op { TU_READ, TU_WRITE, TU_POLL, TU_WRITE_LOOP, TU_FUNCTION };

struct tu_call {
	enum tu_op op;
	ssize_t (*function)(struct tu_call* call); /* TU_FUNCTION */
	void* context;                             /* TU_FUNCTION */
	int fd;
	uint8 buffer[TU_CALL_BUFFER];
	size_t length;
	struct shim_pollfd pollfd; /* TU_POLL: events in, revents out */
	bigtime_t timeout;
	ssize_t result;
	int64 iterations; /* TU_WRITE_LOOP: writes accepted before the error (atomic) */
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
		fail_msg("open %s: %s (%d)", path, shim_status_name(fd), fd);
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
		fail_msg(
			"leak check at %s: %d kinds of object differ from the baseline", where, differences);
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

/* wait (up to a second) until the stack has discarded `count` frames of `name` in all */
static inline void
tu_expect_unhandled(const char* name, uint64 count)
{
	struct shim_if_info info;
	bigtime_t deadline = system_time() + TU_SECOND;
	do {
		TU_OK(shim_if_info(name, &info));
	} while (info.unhandled < count && system_time() < deadline && snooze(1000) == B_OK);
	assert_int_equal(info.unhandled, count);
	assert_int_equal(info.link_addressed, 0);
}

/* IPv6 frames a TUN interface handed to the stack in this test (the stack discards them) */
static uint64 tu_ipv6_to_tun_stack;

static inline int
tu_setup(void** state)
{
	(void)state;
	for (int i = 0; i < TU_MAX_FDS; i++)
		tu_fds[i] = -1;
	memset(tu_ifs, 0, sizeof(tu_ifs));
	tu_ipv6_to_tun_stack = 0;
	for (int i = 0; i < TU_MAX_CALLS; i++)
		tu_calls[i].used = false;
	tu_caller_line = 0;
	status_t status = shim_boot();
	if (status != B_OK) {
		fprintf(stderr, "shim_boot: %s (%d)\n", shim_status_name(status), (int)status);
		return -1;
	}
	/* an application's first lookups since boot: devfs scans /dev/tun and /dev/tap, loads the
	 * add-on's devfs driver part and publishes the clone nodes, which the baseline then holds
	 * (test_lazy.c tests the boot before them) */
	if (shim_lookup("/dev/tun/clone") != B_OK || shim_lookup("/dev/tap/clone") != B_OK) {
		fprintf(stderr, "tu_setup: no clone nodes after a lookup\n");
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
		for (int waited = 0; !__atomic_load_n(&call->done, __ATOMIC_ACQUIRE) && waited < 500;
			 waited++) {
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
		fprintf(stderr, "shim_shutdown: %s (%d)\n", shim_status_name(status), (int)status);
		return -1;
	}
	return 0;
}

#define TU_TEST(function) cmocka_unit_test_setup_teardown(function, tu_setup, tu_teardown)

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

/* the MAC of interface `name`, whose descriptor `fd` is: TUNTAP_GET_INFO and the stack agree */
static inline void
tu_hwaddr(int fd, const char* name, uint8 mac[6])
{
	struct tuntap_info info = tu_info(fd);
	struct shim_if_info interface;
	TU_OK(shim_if_info(name, &interface));
	assert_memory_equal(info.hwaddr, interface.hwaddr, 6);
	memcpy(mac, info.hwaddr, 6);
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
#define TU_ASSERT_QUEUE_INVARIANT(queueStats)                                           \
	do {                                                                                \
		const struct tuntap_queue_stats* tuQ_ = &(queueStats);                          \
		if (tuQ_->enqueued != tuQ_->dequeued + tuQ_->dropped + tuQ_->queued)            \
			fail_msg("%s: enqueued %llu != dequeued %llu + dropped %llu + queued %llu", \
				#queueStats, (unsigned long long)tuQ_->enqueued,                        \
				(unsigned long long)tuQ_->dequeued, (unsigned long long)tuQ_->dropped,  \
				(unsigned long long)tuQ_->queued);                                      \
	} while (0)

#define TU_ASSERT_STATS_INVARIANT(stats)          \
	do {                                          \
		struct tuntap_stats tuS_ = (stats);       \
		TU_ASSERT_QUEUE_INVARIANT(tuS_.to_app);   \
		TU_ASSERT_QUEUE_INVARIANT(tuS_.to_stack); \
	} while (0)

/* A frame the stack peer captured must be exactly `expected`. IPv6 from a TUN unit reaches the
 * stack but no receive handler (Haiku registers IPv4's only for tunnels): counted unhandled. */
static inline void
tu_expect_stack_frame(const char* name, const void* expected, size_t length)
{
	if (strncmp(name, "tun/", 4) == 0 && length > 0 && (*(const uint8*)expected >> 4) == 6) {
		tu_expect_unhandled(name, ++tu_ipv6_to_tun_stack);
		return;
	}
	uint8 frame[TU_CALL_BUFFER];
	ssize_t got = shim_stack_receive(name, frame, sizeof(frame), TU_SECOND);
	TU_EXPECT(got, (ssize_t)length);
	assert_memory_equal(frame, expected, length);
	if (strncmp(name, "tun/", 4) == 0) {
		/* what ipv4_receive_data hands is_local_link_address must not be a link address */
		struct shim_if_info info;
		TU_OK(shim_if_info(name, &info));
		assert_int_equal(info.link_addressed, 0);
	}
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
				__atomic_fetch_add(&call->iterations, 1, __ATOMIC_RELAXED);
			}
			break;
		case TU_FUNCTION:
			call->result = call->function(call);
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
		fail_msg("shim_thread_spawn: %s", shim_status_name(call->thread));
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

/* a thread running function(call); call->context is `context` */
static inline struct tu_call*
tu_start_function(ssize_t (*function)(struct tu_call*), void* context)
{
	struct tu_call* call = tu_call_new(TU_FUNCTION, -1);
	call->function = function;
	call->context = context;
	return tu_call_spawn(call);
}

/* the helper is now blocked in a shim wait */
static inline void
tu_wait_blocked(struct tu_call* call)
{
	TU_OK(shim_wait_until_blocked(call->thread, TU_BLOCK_TIMEOUT));
	assert_false(__atomic_load_n(&call->done, __ATOMIC_ACQUIRE));
}

/* a writer blocked for room: fd's queues are cut to one packet, `queued` fills to_stack (the
 * interface up, nothing draining it), then a helper writes `data` and blocks */
static inline struct tu_call*
tu_start_blocked_write(
	int fd, const void* queued, size_t queuedLength, const void* data, size_t length)
{
	tu_set_queue_limits(fd, 1, 64 * 1024);
	TU_EXPECT(shim_write(fd, queued, queuedLength), queuedLength);
	struct tu_call* writer = tu_start_write(fd, data, length, false);
	tu_wait_blocked(writer);
	return writer;
}

static inline bool
tu_call_done(struct tu_call* call)
{
	return __atomic_load_n(&call->done, __ATOMIC_ACQUIRE) != 0;
}

/* join the helper (failing the test if it is still blocked after 10 s) and return its result */
static inline ssize_t
tu_join(struct tu_call* call)
{
	bigtime_t deadline = system_time() + 10 * TU_SECOND;
	while (!tu_call_done(call)) {
		if (system_time() > deadline)
			fail_msg("helper thread (op %d) still blocked after 10 s", (int)call->op);
		snooze(1000);
	}
	status_t status;
	TU_OK(shim_thread_join(call->thread, &status));
	call->used = false;
	return call->result;
}

/* wait (bounded) until the helper returned, without joining it */
static inline void
tu_wait_done(struct tu_call* call, bigtime_t timeout)
{
	bigtime_t deadline = system_time() + timeout;
	while (!tu_call_done(call)) {
		if (system_time() > deadline)
			fail_msg("helper thread still blocked after %lld us", (long long)timeout);
		snooze(1000);
	}
}

/* microseconds from `since` until the helper's call returned */
static inline bigtime_t
tu_returned_after(const struct tu_call* call, bigtime_t since)
{
	return call->end - since;
}

/* ---- the driver's flavor table --------------------------------------------------------- */

/* the flavor of TUNTAP_MODE_* `mode` (the driver finds flavors by name, never by mode) */
static inline const tuntap_flavor*
tu_flavor(uint32 mode)
{
	for (int i = 0; i < TUNTAP_FLAVOR_COUNT; i++) {
		if (kTuntapFlavors[i].mode == mode)
			return &kTuntapFlavors[i];
	}
	fail_msg("no flavor of mode %" B_PRIu32, mode);
	return NULL;
}

/* ---- a unit that is up with no stack reader draining to_stack (a stack that is slow) ------ */

/* take a reference on `name` and run the driver's up hook ourselves: writes queue in to_stack
 * and stay there until tu_unit_take() plays the stack's reader */
static inline tuntap_unit*
tu_unit_up_undrained(const char* name)
{
	tuntap_unit* unit = tuntap_unit_get(name);
	if (unit == NULL)
		fail_msg("tuntap_unit_get(%s) found nothing", name);
	TU_OK(gTuntapModule.device.up(&unit->device));
	return unit;
}

static inline void
tu_unit_down_put(tuntap_unit* unit)
{
	gTuntapModule.device.down(&unit->device);
	tuntap_unit_put(unit);
}

/* receive_data as the stack's reader calls it; a packet must be queued (checked through fd) */
static inline void
tu_unit_take(tuntap_unit* unit, int fd, const void* expected, size_t length)
{
	uint8 got[TU_CALL_BUFFER];
	assert_true(tu_stats(fd).to_stack.queued > 0);
	net_buffer* buffer = NULL;
	TU_OK(gTuntapModule.device.receive_data(&unit->device, &buffer));
	assert_non_null(buffer);
	assert_int_equal(buffer->size, length);
	TU_OK(gBufferModule->read(buffer, 0, got, length));
	gBufferModule->free(buffer);
	assert_memory_equal(got, expected, length);
}

#endif
