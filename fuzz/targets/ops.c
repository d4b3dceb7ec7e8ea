/* Fuzz harness "ops": a program for up to four threads (ifconfig, open incl. clone, I/O, poll,
 * ioctl, ctrl+c, stack side, fail-next) and a choice tape; invariants per step and at the end. */
#include "common.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

#define THREADS 4
/* Time is virtual in the deterministic build; free-running, waits are real: a tenth of them */
#ifdef FZ_DET
#define WAIT(us) (us)
#else
#define WAIT(us) ((us) / 10)
#endif
#define PHASE_TIMEOUT WAIT(2000000) /* how long the main thread waits before pressing ctrl+c */
#define GRACE WAIT(500000)          /* for threads that are running still to block or finish */
#define FRAME_MAX 2048              /* frames made here */

struct worker {
	thread_id thread;
	const struct fz_op* ops[FZ_MAX_OPS];
	int count;
	int32 done;
	int32 interrupts; /* ctrl+c presses aimed at this thread so far */
	const struct fz_op* current;
	int32 fd;                /* the descriptor of the read, write or poll under way, -1 */
	char name[FZ_UNIT_TEXT]; /* the interface or path the op names (fz_unit_text) */
};
static sem_id sDone;
static int32 sStop, sFaultsArmed;
/* per slot: the kPaths index its descriptor was opened with (-1 none), and whether that unit has
 * been deleted since (atomic): a thread blocked on it then waits for nothing (check_blocked) */
static int32 sSlotPath[FZ_SLOTS], sSlotDeleted[FZ_SLOTS];
/* per slot: its unit was deleted since the open (atomic), a create after it notwithstanding */
static int32 sSlotEverDeleted[FZ_SLOTS];
/* per unit name (kNames index, = kPaths index for tun/0..tap/1): deletes begun, and under way
 * (atomic). An open racing a delete of its unit gets a descriptor the delete's mark_slots() ran
 * too early to see: do_open() compares these around its open instead */
#define FZ_NAMES 4
static int32 sDeletesBegun[FZ_NAMES], sDeletesRunning[FZ_NAMES];

/* frame_log.c's interface of an FZ_UNIT value: its kind and number; a clone's is not known */
static int
frame_iface(int64 value)
{
	return (value & FZ_UNIT_CLONE) != 0 ? FZ_FRAME_ANY : (int)(value & (FZ_UNIT_TAP | FZ_UNIT_MAX));
}

static int
slot_iface(const struct fz_op* op)
{
	int32 path = __atomic_load_n(&sSlotPath[op->arg[0] % FZ_SLOTS], __ATOMIC_SEQ_CST);
	return path < 0 ? FZ_FRAME_ANY : frame_iface(path);
}

/* names (FZ_UNIT: any tun/N or tap/N besides these, which the byte encoding reaches most often) */
#define TUN(n) FZ_UNIT_NAME(false, n)
#define TAP(n) FZ_UNIT_NAME(true, n)
static const struct fz_sym kNames[] = {
	{"tun/0", TUN(0)}, {"tun/1", TUN(1)}, {"tap/0", TAP(0)}, {"tap/1", TAP(1)}, {NULL, 0}};
static const struct fz_sym kPaths[] = {{"tun/0", TUN(0)}, {"tun/1", TUN(1)}, {"tap/0", TAP(0)},
	{"tap/1", TAP(1)}, {"tun/clone", FZ_UNIT_CLONE}, {"tap/clone", FZ_UNIT_CLONE | FZ_UNIT_TAP},
	{NULL, 0}};
static const struct fz_sym kModes[] = {{"block", 0}, {"nonblock", 1}, {NULL, 0}};
static const struct fz_sym kEvents[] = {
	{"in", SHIM_POLLIN}, {"out", SHIM_POLLOUT}, {"inout", SHIM_POLLIN | SHIM_POLLOUT}, {NULL, 0}};
static const struct fz_sym kWaits[] = {
	{"zero", 0}, {"short", 10000}, {"long", 1000000}, {"forever", B_INFINITE_TIMEOUT}, {NULL, 0}};
enum { IO_STATS, IO_FIONREAD, IO_NONBLOCK, IO_BLOCK, IO_NAME, IO_MTU, IO_QUEUE, IO_HEADER };
static const struct fz_sym kIoctls[] = {{"stats", IO_STATS}, {"fionread", IO_FIONREAD},
	{"nonblock", IO_NONBLOCK}, {"block", IO_BLOCK}, {"name", IO_NAME}, {"mtu", IO_MTU},
	{"queue", IO_QUEUE}, {"header", IO_HEADER}, {NULL, 0}};
static const struct fz_sym kThreads[] = {{"t0", 0}, {"t1", 1}, {"t2", 2}, {"t3", 3}, {NULL, 0}};
static const struct fz_sym kSites[] = {{"alloc", SHIM_FAULT_ALLOC}, {"copy", SHIM_FAULT_USER_COPY},
	{"sem", SHIM_FAULT_SEM}, {"publish", SHIM_FAULT_PUBLISH}, {"netbuf", SHIM_FAULT_NET_BUFFER},
	{NULL, 0}};

enum { CREATE, DELETE, UP, DOWN, OPEN, CLOSE, READ, WRITE, POLL, IOCTL };
enum { INTERRUPT = IOCTL + 1, SEND, RECEIVE, FAILNEXT, SLEEP };
static const struct fz_op_spec kOps[] = {
	[CREATE] = {"create", {{"name", FZ_UNIT, kNames}}},
	[DELETE] = {"delete", {{"name", FZ_UNIT, kNames}}},
	[UP] = {"up", {{"name", FZ_UNIT, kNames}}},
	[DOWN] = {"down", {{"name", FZ_UNIT, kNames}}},
	[OPEN] = {"open", {{"slot", FZ_U8}, {"path", FZ_UNIT, kPaths}, {"mode", FZ_ENUM, kModes}}},
	[CLOSE] = {"close", {{"slot", FZ_U8}}},
	[READ] = {"read", {{"slot", FZ_U8}, {"size", FZ_U16}}},
	[WRITE] = {"write", {{"slot", FZ_U8}, {"len", FZ_U16}}},
	[POLL] = {"poll", {{"slot", FZ_U8}, {"events", FZ_ENUM, kEvents}, {"wait", FZ_ENUM, kWaits}}},
	[IOCTL] = {"ioctl", {{"slot", FZ_U8}, {"op", FZ_ENUM, kIoctls}}},
	[INTERRUPT] = {"interrupt", {{"thread", FZ_ENUM, kThreads}}},
	[SEND] = {"send", {{"name", FZ_UNIT, kNames}, {"len", FZ_U16}}},
	[RECEIVE] = {"receive", {{"name", FZ_UNIT, kNames}, {"wait", FZ_ENUM, kWaits}}},
	[FAILNEXT] = {"failnext", {{"site", FZ_ENUM, kSites}}},
	[SLEEP] = {"sleep", {{"ms", FZ_U8}}},
};

/* ---- frames: fz_frame() puts the length and seed in the IP header, so any frame read or received
 * can be checked against what it says it is, whatever the interleaving ------------------------ */

static size_t
make_frame(uint8* frame, size_t length, bool tap, uint8 seed)
{
	size_t minimum = tap ? 19 : 5;
	length = length < minimum ? minimum : length > FRAME_MAX ? FRAME_MAX : length;
	return fz_frame(frame, length, tap, tap ? FZ_BCAST : FZ_IP4, seed);
}

/* `got` bytes of a frame that has `length` (0: as long as it says) are one some op made, intact */
static void
check_frame(const char* where, const uint8* frame, size_t got, size_t length)
{
	uint8 want[FRAME_MAX];
	FZ_CHECK(got == 0 || frame[0] == 0x45 || frame[0] == 0xff,
		"%s: a frame starting with 0x%02x: no op made it", where, frame[0]);
	size_t head = got > 0 && frame[0] == 0xff ? 14 : 0;
	if (got < head + 5)
		return; /* too short to say more */
	size_t claimed = (size_t)frame[head + 2] << 8 | frame[head + 3];
	FZ_CHECK(length == 0 || claimed == length, "%s: a %zu byte frame says it has %zu bytes", where,
		length, claimed);
	FZ_CHECK(claimed <= FRAME_MAX && got <= claimed, "%s: %zu bytes of a frame of %zu", where, got,
		claimed);
	make_frame(want, claimed, head != 0, frame[head + 4]);
	FZ_CHECK(memcmp(frame, want, got) == 0, "%s: the frame's bytes are corrupted", where);
}

/* ---- the ops ------------------------------------------------------------------------------- */

static struct worker sWorkers[THREADS];

/* the op's descriptor; for the calls that may wait, noted for check_blocked() */
static int
slot_fd(const struct fz_op* op)
{
	int fd = __atomic_load_n(&fz_slot[op->arg[0] % FZ_SLOTS], __ATOMIC_SEQ_CST);
	if (op->code == READ || op->code == WRITE || op->code == POLL)
		__atomic_store_n(&sWorkers[op->thread].fd, fd, __ATOMIC_SEQ_CST);
	return fd;
}

/* Non-blocking mode, per descriptor number (atomic): whether the descriptor now open there has
 * ever been non-blocking (O_NONBLOCK at open, or B_SET_NONBLOCKING_IO since: sticky, a call under
 * way may have seen it), and a generation bumped before each open that returns the number resets
 * it; a close sets it first (the number is reused at once). A read or write that returns
 * B_WOULD_BLOCK on a descriptor that was blocking throughout is a driver bug (the contract: a
 * blocking descriptor waits), whatever the other threads did. */
#define NB_FDS 256
static int32 sNonblockEver[NB_FDS], sFdGeneration[NB_FDS];

static void
nonblock_opened(int fd, bool nonblocking)
{
	if (fd < 0 || fd >= NB_FDS)
		return;
	__atomic_fetch_add(&sFdGeneration[fd], 1, __ATOMIC_SEQ_CST); /* first: see blocked_wait() */
	__atomic_store_n(&sNonblockEver[fd], nonblocking, __ATOMIC_SEQ_CST);
}

/* every close: from here until the number's next open resets it, anything goes */
static int64
close_fd(int fd)
{
	if (fd >= 0 && fd < NB_FDS)
		__atomic_store_n(&sNonblockEver[fd], 1, __ATOMIC_SEQ_CST);
	return shim_close(fd);
}

static int32
fd_generation(int fd)
{
	return fd >= 0 && fd < NB_FDS ? __atomic_load_n(&sFdGeneration[fd], __ATOMIC_SEQ_CST) : -1;
}

/* a B_WOULD_BLOCK from a descriptor blocking since `generation` was read before the call */
static void
blocked_wait(const char* what, int fd, int32 generation, int64 status)
{
	if (status != B_WOULD_BLOCK || fd < 0 || fd >= NB_FDS
		|| __atomic_load_n(&sFaultsArmed, __ATOMIC_SEQ_CST))
		return;
	/* the flag before the generation: an open resetting the flag has bumped it already */
	int32 ever = __atomic_load_n(&sNonblockEver[fd], __ATOMIC_SEQ_CST);
	FZ_CHECK_CONTRACT(ever != 0 || fd_generation(fd) != generation,
		"%s returned B_WOULD_BLOCK on a blocking descriptor: it must wait", what);
}

static void
take_slot(int slot, int fd, int path, int32 everDeleted)
{
	__atomic_store_n(&sSlotPath[slot], path, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sSlotDeleted[slot], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sSlotEverDeleted[slot], everDeleted, __ATOMIC_SEQ_CST);
	int old = __atomic_exchange_n(&fz_slot[slot], fd, __ATOMIC_SEQ_CST);
	if (old >= 0)
		close_fd(old);
}

/* a call on a descriptor: closed meanwhile (or never opened), or its unit deleted */
#define STALE B_FILE_ERROR, B_DEVICE_NOT_FOUND

static void
expect(struct worker* self, const struct fz_op* op, int64 status, const int64* set)
{
	const char* what = kOps[op->code].name;
	if (status == B_INTERRUPTED) {
		/* only the calls that wait, and only after a ctrl+c */
		FZ_CHECK_CONTRACT(
			op->code == READ || op->code == WRITE || op->code == POLL || op->code == SLEEP,
			"%s returned B_INTERRUPTED: it never waits interruptibly", what);
		FZ_CHECK_CONTRACT(__atomic_load_n(&self->interrupts, __ATOMIC_SEQ_CST) > 0,
			"%s returned B_INTERRUPTED but nobody pressed ctrl+c on this thread", what);
		return;
	}
	if (status < 0 && __atomic_load_n(&sFaultsArmed, __ATOMIC_SEQ_CST)
		&& fz_in(status, (const int64[]){FZ_FAULT_STATUSES, FZ_SET_END}))
		return;
	fz_expect_in(what, status, set);
}
#define EXPECT(status, ...) expect(self, op, status, (const int64[]){__VA_ARGS__, FZ_SET_END})

static int64
do_io(struct worker* self, const struct fz_op* op)
{
	uint8 buffer[FRAME_MAX];
	int fd = slot_fd(op);
	size_t size = (size_t)op->arg[1] % (FRAME_MAX + 1);
	if (op->code == WRITE) {
		/* the descriptor's kind decides the frame: ask for its name (any answer is fine); a driver
		 * without TUNTAP_GET_NAME (upstream): the path it was opened with */
		char name[TUNTAP_NAME_LENGTH] = "";
		if (FZ_CONTRACT)
			shim_ioctl_buf(fd, TUNTAP_GET_NAME, name, sizeof(name), sizeof(name));
		else
			name[1] = fz_sym_name(kPaths, sSlotPath[op->arg[0] % FZ_SLOTS])[1];
		size_t length = make_frame(buffer, size, name[1] == 'a', (uint8)op->index);
		/* universal: what the stack may receive (our header mode strips a 4-byte prefix) */
		fz_frame_log_add(slot_iface(op), 1, buffer, length);
		fz_frame_log_add(slot_iface(op), 1, buffer + 4, length - 4);
		int32 generation = fd_generation(fd);
		int64 status = shim_write(fd, buffer, length);
		fz_check_write_room(status);
		EXPECT(status, (int64)length, B_WOULD_BLOCK, B_BAD_VALUE, B_BAD_DATA, STALE);
		blocked_wait("write", fd, generation, status);
		return status;
	}
	int32 generation = fd_generation(fd);
	int64 status = shim_read(fd, buffer, size);
	blocked_wait("read", fd, generation, status);
	/* a packet is never empty and an empty queue never reads as 0 bytes: 0 only truncates */
	FZ_CHECK_CONTRACT(
		status != 0 || size == 0, "read returned 0 bytes into a %zu byte buffer", size);
	if (status > 0) {
		FZ_CHECK((size_t)status <= size, "read returned %lld bytes for a %zu byte buffer",
			(long long)status, size);
		FZ_CHECK(fz_frame_log_match(slot_iface(op), 0, buffer, (size_t)status, size, true),
			"read returned %lld bytes that are no frame the stack sent to that unit in the "
			"program, whole or cut to the %zu byte buffer: not intact",
			(long long)status, size);
		/* TUN in header mode (our driver's): the AF prefix of an IPv4 packet first */
		size_t skip = FZ_CONTRACT && buffer[0] == 0 ? 4 : 0, got = (size_t)status;
		FZ_CHECK_CONTRACT(skip == 0 || memcmp(buffer, "\0\0\0\x01", got < 4 ? got : 4) == 0,
			"read: a bad address family prefix");
		/* a full buffer may hold a truncated frame */
		if (got > skip)
			check_frame("read", buffer + skip, got - skip, got < size ? got - skip : 0);
	} else
		EXPECT(status, 0, B_WOULD_BLOCK, STALE);
	return status;
}

static int64
do_ioctl(struct worker* self, const struct fz_op* op)
{
	int fd = slot_fd(op);
	union {
		struct tuntap_stats stats;
		struct tuntap_info info;
		char name[TUNTAP_NAME_LENGTH];
		uint32 value;
		int integer;
	} arg;
	memset(&arg, 0, sizeof(arg));
	static const uint32 kCodes[] = {TUNTAP_GET_STATS, FIONREAD, B_SET_NONBLOCKING_IO,
		B_SET_BLOCKING_IO, TUNTAP_GET_NAME, TUNTAP_SET_MTU, TUNTAP_SET_INFO,
		TUNTAP_SET_HEADER_MODE};
	int which = (int)op->arg[1];
	size_t size = which == IO_STATS   ? sizeof(arg.stats)
				  : which == IO_QUEUE ? sizeof(arg.info)
				  : which == IO_NAME  ? sizeof(arg.name)
									  : 4;
	if (which == IO_MTU)
		arg.value = 576;
	else if (which == IO_HEADER)
		arg.value = TUNTAP_HEADER_AF;
	else if (which == IO_QUEUE)
		arg.info = (struct tuntap_info){.mtu = 1500, .queue_packets = 2, .queue_bytes = 4096};
	if (which == IO_NONBLOCK && fd >= 0 && fd < NB_FDS) /* before: a read under way may see it */
		__atomic_store_n(&sNonblockEver[fd], 1, __ATOMIC_SEQ_CST);
	int64 status = which == IO_NONBLOCK || which == IO_BLOCK
					   ? shim_ioctl(fd, kCodes[which], NULL, 0)
					   : shim_ioctl_buf(fd, kCodes[which], &arg, size, size);
	/* our driver refuses only the AF header on a TAP descriptor as unsupported */
	EXPECT(status, B_OK, !FZ_CONTRACT || which == IO_HEADER ? B_NOT_SUPPORTED : B_OK, STALE);
	if (status == B_OK && which == IO_STATS)
		fz_check_stats(&arg.stats, "TUNTAP_GET_STATS");
	if (status == B_OK && which == IO_NAME)
		FZ_CHECK_CONTRACT(
			memchr(arg.name, '\0', sizeof(arg.name)) != NULL
				&& (strncmp(arg.name, "tun/", 4) == 0 || strncmp(arg.name, "tap/", 4) == 0),
			"TUNTAP_GET_NAME says \"%.32s\"", arg.name);
	return status;
}

static int64
do_poll(struct worker* self, const struct fz_op* op)
{
	struct shim_pollfd pollfd = {slot_fd(op), (uint16)op->arg[1], 0};
	bigtime_t wait = op->arg[2] == B_INFINITE_TIMEOUT ? B_INFINITE_TIMEOUT : WAIT(op->arg[2]);
	int64 status = shim_poll(&pollfd, 1, wait);
	EXPECT(status, 0, 1);
	const uint16 allowed = SHIM_POLLIN | SHIM_POLLOUT | SHIM_POLLHUP | SHIM_POLLNVAL;
	FZ_CHECK((pollfd.revents & ~allowed) == 0 && (status == 1) == (pollfd.revents != 0),
		"poll returned %lld with revents %s", (long long)status, fz_poll_events(pollfd.revents));
	return status;
}

static int64
do_stack(struct worker* self, const struct fz_op* op)
{
	uint8 frame[FRAME_MAX];
	const char* name = fz_unit_text(self->name, "", kNames, op->arg[0]);
	if (op->code == SEND) {
		size_t length = make_frame(
			frame, (size_t)op->arg[1], (op->arg[0] & FZ_UNIT_TAP) != 0, (uint8)op->index);
		fz_frame_log_add(frame_iface(op->arg[0]), 0, frame, length);
		int64 status = shim_stack_send(name, frame, length, 0);
		EXPECT(status, B_OK, B_WOULD_BLOCK, B_BAD_VALUE);
		return status;
	}
	bigtime_t wait = WAIT(op->arg[1] == B_INFINITE_TIMEOUT ? 1000000 : (bigtime_t)op->arg[1]);
	int64 status = shim_stack_receive(name, frame, sizeof(frame), wait);
	if (status >= 0) {
		size_t copied = (size_t)status < sizeof(frame) ? (size_t)status : sizeof(frame);
		/* byte for byte against what was written (frame_log.c), then what it says of itself */
		FZ_CHECK(
			fz_frame_log_match(frame_iface(op->arg[0]), 1, frame, copied, sizeof(frame), false),
			"the stack received %lld bytes from %s that are no frame written to it in the program, "
			"whole: not intact",
			(long long)status, name);
		check_frame("receive", frame, copied, (size_t)status);
	} else
		EXPECT(status, B_WOULD_BLOCK, B_TIMED_OUT, B_BAD_VALUE, B_DEVICE_NOT_FOUND);
	return status;
}

/* the unit named kNames[name] was deleted (deleted 1) or a unit of that name made (0): every
 * slot opened by that path is marked. A create can revive the deleted unit itself: Haiku lists a
 * device interface by its name until its last reference goes (a stack call still using it), and
 * an ifconfig of the name meanwhile gets that one back (get_device_interface); so a create or
 * clone open clears the mark, which can only make the check miss a case, never invent one. */
static void
mark_slots(int name, int32 deleted)
{
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		if (__atomic_load_n(&sSlotPath[slot], __ATOMIC_SEQ_CST) == name) {
			__atomic_store_n(&sSlotDeleted[slot], deleted, __ATOMIC_SEQ_CST);
			if (deleted)
				__atomic_store_n(&sSlotEverDeleted[slot], 1, __ATOMIC_SEQ_CST);
		}
	}
}

static int64
do_iface(struct worker* self, const struct fz_op* op)
{
	const char* name = fz_unit_text(self->name, "", kNames, op->arg[0]);
	int64 status;
	switch (op->code) {
		case CREATE:
			status = shim_if_create(name);
			if (status == B_OK)
				mark_slots((int)op->arg[0], 0);
			/* refused while another thread's delete or clone open holds the name; and, as
			 * Haiku's add_interface() says, when another create listed it first */
			EXPECT(status, B_OK, B_DEVICE_NOT_FOUND, B_NAME_IN_USE);
			return status;
		case DELETE:
			/* marked before it runs: a create that revives the unit while the delete is under
			 * way clears the mark after it (a refused delete clears it too) */
			__atomic_add_fetch(&sDeletesRunning[op->arg[0] % FZ_NAMES], 1, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&sDeletesBegun[op->arg[0] % FZ_NAMES], 1, __ATOMIC_SEQ_CST);
			mark_slots((int)op->arg[0], 1);
			status = shim_if_delete(name);
			if (status != B_OK)
				mark_slots((int)op->arg[0], 0);
			__atomic_sub_fetch(&sDeletesRunning[op->arg[0] % FZ_NAMES], 1, __ATOMIC_SEQ_CST);
			break;
		case UP:
			status = shim_if_up(name);
			break;
		default:
			status = shim_if_down(name);
			break;
	}
	EXPECT(status, B_OK, B_BAD_VALUE);
	return status;
}

static int64
do_open(struct worker* self, const struct fz_op* op)
{
	const char* path = fz_unit_text(self->name, "/dev/", kPaths, op->arg[1]);
	/* a delete of the unit under way or begun during the open: deleted since the open, perhaps */
	int unit = op->arg[1] < FZ_NAMES ? (int)op->arg[1] : -1;
	int32 begun = unit >= 0 ? __atomic_load_n(&sDeletesBegun[unit], __ATOMIC_SEQ_CST) : 0;
	int32 racing = unit >= 0 ? __atomic_load_n(&sDeletesRunning[unit], __ATOMIC_SEQ_CST) : 0;
	int fd = shim_open(path, SHIM_O_RDWR | (op->arg[2] != 0 ? SHIM_O_NONBLOCK : 0));
	nonblock_opened(fd, op->arg[2] != 0);
	if (unit >= 0) {
		racing += __atomic_load_n(&sDeletesRunning[unit], __ATOMIC_SEQ_CST);
		racing += __atomic_load_n(&sDeletesBegun[unit], __ATOMIC_SEQ_CST) != begun;
	}
	if (fd >= 0) {
		/* a clone open makes the lowest free unit of its kind: tun/0 or tun/1 (tap/...) perhaps */
		for (int name = 0; op->arg[1] >= 4 && name < 4; name++) {
			if ((name >= 2) == (op->arg[1] == 5))
				mark_slots(name, 0);
		}
		take_slot((int)(op->arg[0] % FZ_SLOTS), fd, (int)op->arg[1], racing != 0);
	} else
		EXPECT(fd, B_ENTRY_NOT_FOUND, B_BUSY, B_DEVICE_NOT_FOUND);
	return fd;
}

static int64
execute(struct worker* self, const struct fz_op* op)
{
	switch (op->code) {
		case CREATE:
		case DELETE:
		case UP:
		case DOWN:
			return do_iface(self, op);
		case OPEN:
			return do_open(self, op);
		case CLOSE: {
			int fd = __atomic_exchange_n(&fz_slot[op->arg[0] % FZ_SLOTS], -1, __ATOMIC_SEQ_CST);
			/* the exchange made the descriptor this thread's alone to close */
			int64 status = close_fd(fd);
			EXPECT(status, fd >= 0 ? B_OK : B_FILE_ERROR);
			return status;
		}
		case READ:
		case WRITE:
			return do_io(self, op);
		case POLL:
			return do_poll(self, op);
		case IOCTL:
			return do_ioctl(self, op);
		case INTERRUPT: {
			struct worker* target = &sWorkers[op->arg[0]];
			thread_id thread = __atomic_load_n(&target->thread, __ATOMIC_SEQ_CST);
			if (thread < 0 || __atomic_load_n(&target->done, __ATOMIC_SEQ_CST))
				return 0; /* not running: nothing to interrupt */
			__atomic_fetch_add(&target->interrupts, 1, __ATOMIC_SEQ_CST);
			int64 status = shim_interrupt(thread);
			EXPECT(status, B_OK, B_BAD_THREAD_ID);
			return status;
		}
		case SEND:
		case RECEIVE:
			return do_stack(self, op);
		case FAILNEXT:
			__atomic_store_n(&sFaultsArmed, 1, __ATOMIC_SEQ_CST);
			shim_fault_fail_nth((enum shim_fault_site)op->arg[0], 1, false);
			return 0;
		default:
			return snooze(WAIT((bigtime_t)op->arg[0] * 1000));
	}
}

static status_t
worker_main(void* data)
{
	struct worker* self = data;
	__atomic_store_n(&self->thread, shim_current_thread(), __ATOMIC_SEQ_CST);
	for (int i = 0; i < self->count && !__atomic_load_n(&sStop, __ATOMIC_SEQ_CST); i++) {
		__atomic_store_n(&self->current, self->ops[i], __ATOMIC_SEQ_CST);
		fz_begin_op(self->ops[i]);
		int64 status = execute(self, self->ops[i]);
		__atomic_store_n(&self->fd, -1, __ATOMIC_SEQ_CST);
		fz_end_op(status);
	}
	__atomic_store_n(&self->current, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&self->done, 1, __ATOMIC_SEQ_CST);
	release_sem(sDone);
	return B_OK;
}

/* wait for `count` workers to finish, `timeout` each at most; returns how many did */
static int
wait_done(int count, bigtime_t timeout)
{
	int finished = 0;
	while (finished < count && acquire_sem_etc(sDone, 1, B_RELATIVE_TIMEOUT, timeout) == B_OK)
		finished++;
	return finished;
}

/* the slot holding descriptor fd has had its unit deleted (mark_slots) */
static bool
unit_deleted(int fd)
{
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		if (__atomic_load_n(&fz_slot[slot], __ATOMIC_SEQ_CST) == fd)
			return __atomic_load_n(&sSlotDeleted[slot], __ATOMIC_SEQ_CST) != 0;
	}
	return false;
}

/* thread t waits in a read, write or poll that its descriptor says is over (data or room there,
 * the unit deleted, the descriptor closed under it); returns the op, else NULL */
static const struct fz_op*
waits_in_vain(int t, thread_id thread, uint16* revents, bool* deleted)
{
	const struct fz_op* op = __atomic_load_n(&sWorkers[t].current, __ATOMIC_SEQ_CST);
	int fd = __atomic_load_n(&sWorkers[t].fd, __ATOMIC_SEQ_CST);
	/* a poll whose select hook failed (fail-next) waits for nothing in the shim: not judged */
	bool judged =
		op != NULL && (op->code != POLL || !__atomic_load_n(&sFaultsArmed, __ATOMIC_SEQ_CST));
	if (thread < 0 || __atomic_load_n(&sWorkers[t].done, __ATOMIC_SEQ_CST) || !judged || fd < 0
		|| shim_wait_until_blocked(thread, 0) != B_OK)
		return NULL;
	uint16 events = op->code == READ    ? SHIM_POLLIN
					: op->code == WRITE ? SHIM_POLLOUT
										: (uint16)op->arg[1];
	struct shim_pollfd probe = {fd, events, 0};
	*revents = shim_poll(&probe, 1, 0) > 0 ? probe.revents : 0;
	/* universal: whatever a driver's poll says, a unit deleted under a blocked call ends it */
	*deleted = unit_deleted(fd);
	return *revents != 0 || *deleted ? op : NULL;
}

/* Once the program has run and the threads still running have had time to block: a wait that
 * outlives what ends it, twice and a grace period apart, is a lost wake-up. Returns the threads
 * that finished meanwhile. */
static int
check_blocked(thread_id* threads, int left)
{
	const struct fz_op* suspect[THREADS];
	uint16 revents;
	bool deleted;
	int finished = wait_done(left, GRACE), suspects = 0;
	for (int t = 0; t < THREADS; t++)
		suspects += (suspect[t] = waits_in_vain(t, threads[t], &revents, &deleted)) != NULL;
	if (suspects > 0)
		finished += wait_done(left - finished, GRACE);
	for (int t = 0; t < THREADS && suspects > 0; t++) {
		if (suspect[t] == NULL || waits_in_vain(t, threads[t], &revents, &deleted) != suspect[t])
			continue;
		if (deleted)
			fz_fail_at(suspect[t],
				"t%d is still blocked in op [%d] %s on descriptor %d, whose unit was deleted "
				"(it polls %s): blocked after delete",
				t, suspect[t]->index, kOps[suspect[t]->code].name, sWorkers[t].fd,
				fz_poll_events(revents));
		fz_fail_at(suspect[t],
			"t%d is still blocked in op [%d] %s on descriptor %d, which polls %s: a lost wake-up",
			t, suspect[t]->index, kOps[suspect[t]->code].name, sWorkers[t].fd,
			fz_poll_events(revents));
	}
	return finished;
}

/* interfaces[kind]: the tun and tap interfaces, each checked to have its node. A program that
 * names units only through kNames and clones has them below FZ_MAX_OPS + 8: probed by number,
 * which names a node left without its interface too. */
static void
count_probed(int interfaces[2])
{
	int count = shim_if_count();
	for (int n = 0; n < FZ_MAX_OPS + 8 && (n < 8 || interfaces[0] + interfaces[1] < count); n++) {
		for (int kind = 0; kind < 2; kind++) {
			const char* name = fz_unit_name(kind != 0, n);
			bool exists = shim_if_exists(name);
			FZ_CHECK_CONTRACT(shim_node_exists(name) == exists, "%s: interface %s but node %s",
				name, exists ? "exists" : "is gone", exists ? "missing" : "still published");
			interfaces[kind] += exists;
		}
	}
}

/* the same for a program that named any unit number: the interfaces as listed (a node without
 * its interface shows in the node count run() compares) */
static void
count_listed(int interfaces[2])
{
	static char names[FZ_MAX_OPS + 8][SHIM_IF_NAME_LENGTH];
	int count = shim_if_list(names, FZ_MAX_OPS + 8);
	FZ_CHECK(count <= FZ_MAX_OPS + 8, "%d interfaces from a program of at most %d ops", count,
		FZ_MAX_OPS);
	for (int i = 0; i < count; i++) {
		FZ_CHECK_CONTRACT(
			shim_node_exists(names[i]), "%s: interface exists but node missing", names[i]);
		interfaces[strncmp(names[i], "tap/", 4) == 0]++;
	}
}

/* universal (frame_log.c): an idle poll loop wakes 0 times, on every descriptor of an up unit
 * (never deleted since the open) nothing was sent to or written to in the program */
static void
idle_polls(void)
{
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		int32 path = sSlotPath[slot];
		struct shim_if_info info;
		char name[FZ_UNIT_TEXT];
		if (fz_slot[slot] < 0 || path < 0 || frame_iface(path) == FZ_FRAME_ANY
			|| sSlotEverDeleted[slot] != 0 || fz_frame_log_offered(frame_iface(path)))
			continue;
		fz_unit_text(name, "", kPaths, path);
		if (shim_if_info(name, &info) == B_OK && (info.flags & IFF_UP) != 0)
			fz_idle_poll(fz_slot[slot], name);
	}
}

static void
run(const struct fz_program* program)
{
	memset(sWorkers, 0, sizeof(sWorkers));
	sStop = 0;
	sFaultsArmed = program->fail_nth > 0; /* a failnth header: a fault may come at any call */
	for (int fd = 0; fd < NB_FDS; fd++)   /* a number not opened by do_open: no check */
		__atomic_store_n(&sNonblockEver[fd], 1, __ATOMIC_SEQ_CST);
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		sSlotPath[slot] = -1;
		sSlotDeleted[slot] = 0;
		sSlotEverDeleted[slot] = 0;
	}
	memset(sDeletesBegun, 0, sizeof(sDeletesBegun));
	memset(sDeletesRunning, 0, sizeof(sDeletesRunning));
	fz_frame_log_clear();
	for (int i = 0; i < program->count; i++) {
		struct worker* worker = &sWorkers[program->ops[i].thread];
		worker->ops[worker->count++] = &program->ops[i];
	}
	sDone = create_sem(0, "fuzz ops done");
	FZ_CHECK(sDone >= 0, "create_sem: %s", shim_status_name(sDone));
	thread_id threads[THREADS];
	int running = 0;
	for (int t = 0; t < THREADS; t++) {
		sWorkers[t].thread = -1;
		sWorkers[t].fd = -1;
		/* named as the program names them: stall dumps and the scheduler's trace say t0..t3 */
		static const char* const kWorkerNames[THREADS] = {"t0", "t1", "t2", "t3"};
		threads[t] = sWorkers[t].count > 0
						 ? shim_thread_spawn(kWorkerNames[t], worker_main, &sWorkers[t])
						 : -1;
		FZ_CHECK(sWorkers[t].count == 0 || threads[t] >= 0, "cannot spawn: %s",
			shim_status_name(threads[t]));
		running += threads[t] >= 0;
	}
	/* every call blocked once the program has run returns on ctrl+c, promptly */
	int left = running - wait_done(running, PHASE_TIMEOUT);
	if (left > 0) {
		__atomic_store_n(&sStop, 1, __ATOMIC_SEQ_CST);
		left -= check_blocked(threads, left);
		for (int round = 0; round < 3 && left > 0; round++) {
			for (int t = 0; t < THREADS; t++) {
				if (threads[t] >= 0 && !__atomic_load_n(&sWorkers[t].done, __ATOMIC_SEQ_CST)) {
					__atomic_fetch_add(&sWorkers[t].interrupts, 1, __ATOMIC_SEQ_CST);
					shim_interrupt(threads[t]);
				}
			}
			left -= wait_done(left, PHASE_TIMEOUT);
		}
	}
	for (int t = 0; t < THREADS && left > 0; t++) {
		const struct fz_op* op = __atomic_load_n(&sWorkers[t].current, __ATOMIC_SEQ_CST);
		if (threads[t] >= 0 && !__atomic_load_n(&sWorkers[t].done, __ATOMIC_SEQ_CST))
			fz_fail_at(op, "thread t%d still blocked in op [%d] %s after ctrl+c", t,
				op != NULL ? op->index : -1, op != NULL ? fz_harness.ops[op->code].name : "?");
	}
	for (int t = 0; t < THREADS; t++) {
		if (threads[t] >= 0)
			shim_thread_join(threads[t], NULL);
	}
	delete_sem(sDone);
	fz_faults_off();
	shim_fault_clear();

	/* quiescent now: a node exists exactly for each interface, counters hold */
	int interfaces[2] = {0, 0};
	if (program->any_unit)
		count_listed(interfaces);
	else
		count_probed(interfaces);
	FZ_CHECK_CONTRACT(shim_count_nodes("tun/") == interfaces[0] + 1
						  && shim_count_nodes("tap/") == interfaces[1] + 1,
		"%d tun and %d tap nodes for %d and %d interfaces (plus the clone nodes)",
		shim_count_nodes("tun/"), shim_count_nodes("tap/"), interfaces[0], interfaces[1]);
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		struct tuntap_stats stats;
		if (fz_slot[slot] >= 0 && fz_get_stats(fz_slot[slot], &stats))
			fz_check_stats(&stats, "after the program");
	}
	idle_polls();
}

const struct fz_harness fz_harness = {
	.name = "ops",
	.ops = kOps,
	.op_count = sizeof(kOps) / sizeof(kOps[0]),
	.threads = THREADS,
	.flags = FZ_THREADS | FZ_TAPE | FZ_REBOOT,
	.run = run,
};
