/* Fuzz harness "ioctl": control calls with fuzzed op, len, pointer and argument bytes on TUN, TAP
 * and clone descriptors (blocking, non-blocking, stale), checked against a model of the contract */
#include "common.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

#define MAX_UNITS 24
#define MAX_QUEUE 64

/* The model: one thread and no interface ever up, so every status and counter is predictable. */
struct unit {
	char name[TUNTAP_NAME_LENGTH];
	bool tap, gone, up;
	uint32 number, mtu, header, packets, bytes;
	uint8 mac[6]; /* TAP: the MAC, once a get or a set told it (the driver draws it at random) */
	bool mac_known;
	int owner; /* the description bound to the unit, -1 */
	struct {
		uint16 length;
		uint8 seed, v6;
	} queue[MAX_QUEUE]; /* to_app */
	int head, count, queued_bytes;
	uint64 app_enq, app_deq, stack_enq, truncated, rejected;
};
struct description {
	int unit, refs, access;
	bool nonblocking;
};
static struct unit sUnits[MAX_UNITS];
static struct description sDesc[FZ_MAX_OPS];
static int sUnitCount, sDescCount, sSlotDesc[FZ_SLOTS];

/* FZ_UNIT names: any tun/N or tap/N besides these; the FZ_UNIT_OTHER ones are not tun/N or tap/N
 * (nobody creates them) */
#define TUN(n) FZ_UNIT_NAME(false, n)
#define TAP(n) FZ_UNIT_NAME(true, n)
static const struct fz_sym kNames[] = {{"tun/0", TUN(0)}, {"tun/1", TUN(1)}, {"tap/0", TAP(0)},
	{"tap/1", TAP(1)}, {"tun/65535", TUN(65535)}, {"tap/9", TAP(9)}, {"tun/01", FZ_UNIT_OTHER},
	{"tun/65536", FZ_UNIT_OTHER + 1}, {"eth/0", FZ_UNIT_OTHER + 2}, {"tap/", FZ_UNIT_OTHER + 3},
	{NULL, 0}};
static const struct fz_sym kPaths[] = {{"tun/0", TUN(0)}, {"tun/1", TUN(1)}, {"tap/0", TAP(0)},
	{"tap/1", TAP(1)}, {"tun/clone", FZ_UNIT_CLONE}, {"tap/clone", FZ_UNIT_CLONE | FZ_UNIT_TAP},
	{"tun/65535", TUN(65535)}, {NULL, 0}};
static const struct fz_sym kModes[] = {{"rdwr", SHIM_O_RDWR},
	{"nonblock", SHIM_O_RDWR | SHIM_O_NONBLOCK}, {"rdonly", SHIM_O_RDONLY | SHIM_O_NONBLOCK},
	{"wronly", SHIM_O_WRONLY}, {NULL, 0}};
static const struct fz_sym kCodes[] = {{"FIONREAD", FIONREAD}, {"FIONBIO", FIONBIO},
	{"B_SET_NONBLOCKING_IO", B_SET_NONBLOCKING_IO}, {"B_SET_BLOCKING_IO", B_SET_BLOCKING_IO},
	{"TUNTAP_GET_NAME", TUNTAP_GET_NAME}, {"TUNTAP_GET_INFO", TUNTAP_GET_INFO},
	{"TUNTAP_SET_INFO", TUNTAP_SET_INFO}, {"TUNTAP_GET_MTU", TUNTAP_GET_MTU},
	{"TUNTAP_SET_MTU", TUNTAP_SET_MTU}, {"TUNTAP_GET_HEADER_MODE", TUNTAP_GET_HEADER_MODE},
	{"TUNTAP_SET_HEADER_MODE", TUNTAP_SET_HEADER_MODE}, {"TUNTAP_GET_STATS", TUNTAP_GET_STATS},
	{"B_GET_DEVICE_SIZE", B_GET_DEVICE_SIZE}, {"TUNTAP_BASE_MINUS_1", TUNTAP_IOCTL_BASE - 1},
	{"TUNTAP_LAST_PLUS_1", TUNTAP_IOCTL_LAST + 1}, {"TUNTAP_SET_HWADDR", TUNTAP_SET_HWADDR},
	{NULL, 0}};
/* len and buffer size relative to the op's argument size */
enum { LEN_NONE, LEN_EXACT, LEN_SHORT, LEN_LONG, LEN_TINY, LEN_HUGE };
static const struct fz_sym kLens[] = {{"none", LEN_NONE}, {"exact", LEN_EXACT},
	{"short", LEN_SHORT}, {"long", LEN_LONG}, {"tiny", LEN_TINY}, {"huge", LEN_HUGE}, {NULL, 0}};
static const struct fz_sym kSizes[] = {
	{"exact", LEN_EXACT}, {"short", LEN_SHORT}, {"long", LEN_LONG}, {"tiny", LEN_TINY}, {NULL, 0}};
static const struct fz_sym kOnOff[] = {{"off", 0}, {"on", 1}, {NULL, 0}};
static const struct fz_sym kIp[] = {{"v4", FZ_IP4}, {"v6", FZ_IP6}, {NULL, 0}};

enum { CREATE, DELETE, OPEN, CLOSE, DUP, NONBLOCK, FIONBIO_OP, IOCTL };
enum { SETINFO = IOCTL + 1, SEND, WRITE, READ, FAULT };
static const struct fz_op_spec kOps[] = {
	[CREATE] = {"create", {{"name", FZ_UNIT, kNames}}},
	[DELETE] = {"delete", {{"name", FZ_UNIT, kNames}}},
	[OPEN] = {"open", {{"slot", FZ_U8}, {"path", FZ_UNIT, kPaths}, {"mode", FZ_ENUM, kModes}}},
	[CLOSE] = {"close", {{"slot", FZ_U8}}},
	[DUP] = {"dup", {{"slot", FZ_U8}, {"to", FZ_U8}}},
	[NONBLOCK] = {"nonblock", {{"slot", FZ_U8}, {"on", FZ_ENUM, kOnOff}}},
	[FIONBIO_OP] = {"fionbio", {{"slot", FZ_U8}, {"on", FZ_ENUM, kOnOff}}},
	[IOCTL] = {"ioctl", {{"slot", FZ_U8}, {"op", FZ_CODE, kCodes}, {"ptr", FZ_ENUM, fz_ptr_syms},
							{"len", FZ_ENUM, kLens}, {"size", FZ_ENUM, kSizes}, {"data", FZ_DATA}}},
	[SETINFO] = {"setinfo",
		{{"slot", FZ_U8}, {"mtu", FZ_U16}, {"packets", FZ_U16}, {"bytes", FZ_U32}}},
	[SEND] = {"send", {{"name", FZ_UNIT, kNames}, {"len", FZ_U16}, {"ip", FZ_ENUM, kIp}}},
	[WRITE] = {"write", {{"slot", FZ_U8}, {"len", FZ_U16}}},
	[READ] = {"read", {{"slot", FZ_U8}, {"size", FZ_U16}}},
	[FAULT] = {"fault",
		{{"site", FZ_ENUM, fz_fault_syms}, {"nth", FZ_U8}, {"persistent", FZ_ENUM, kOnOff}}},
};

/* the live unit of that kind and number (no strcmp: intercepted and hooked under libFuzzer) */
static struct unit*
live_unit_of(bool tap, uint32 number)
{
	for (int i = 0; i < sUnitCount; i++) {
		if (!sUnits[i].gone && sUnits[i].tap == tap && sUnits[i].number == number)
			return &sUnits[i];
	}
	return NULL;
}

/* the live unit an FZ_UNIT value names; units only ever have tun/N or tap/N names (a create of
 * an FZ_UNIT_OTHER name fails its check), so kind and number identify one */
static struct unit*
live_unit(int64 value)
{
	if ((value & (FZ_UNIT_CLONE | FZ_UNIT_OTHER)) != 0)
		return NULL;
	return live_unit_of((value & FZ_UNIT_TAP) != 0, (uint32)(value & FZ_UNIT_MAX));
}

static struct unit*
new_unit(const char* name)
{
	struct unit* unit = &sUnits[sUnitCount++];
	*unit = (struct unit){.tap = name[1] == 'a',
		.number = (uint32)atoi(name + 4),
		.mtu = TUNTAP_DEFAULT_MTU,
		.packets = TUNTAP_DEFAULT_QUEUE_PACKETS,
		.bytes = TUNTAP_DEFAULT_QUEUE_BYTES,
		.owner = -1};
	strcpy(unit->name, name);
	return unit;
}

/* ifconfig up, as a VPN does after creating an interface: only an up interface gets the
 * stack's packets (the driver refuses send_data while down); a fault may keep it down. Units a
 * clone open creates stay down. */
static void
bring_up(struct unit* unit, int64 faults)
{
	int64 status = shim_if_up(unit->name);
	fz_expect1("up", status, B_OK, faults);
	unit->up = status == B_OK;
}

static struct description*
slot_desc(int slot)
{
	return sSlotDesc[slot] >= 0 ? &sDesc[sSlotDesc[slot]] : NULL;
}

static void
close_model(int slot)
{
	struct description* desc = slot_desc(slot);
	sSlotDesc[slot] = fz_slot[slot] = -1;
	if (desc == NULL || --desc->refs > 0)
		return;
	struct unit* unit = &sUnits[desc->unit];
	if (unit->owner == desc - sDesc) {
		unit->owner = -1;
		unit->count = unit->head = unit->queued_bytes = 0; /* close flushes to_app */
	}
}

static void
check_stats(int slot)
{
	struct tuntap_stats s;
	struct description* desc = slot_desc(slot);
	struct unit* unit = desc != NULL ? &sUnits[desc->unit] : NULL;
	if (unit == NULL || unit->gone || !fz_get_stats(fz_slot[slot], &s))
		return;
	fz_check_stats(&s, unit->name);
	/* down, every write is counted and dropped; up, the stack's reader takes them */
	FZ_CHECK_CONTRACT(s.to_app.enqueued == unit->app_enq && s.to_app.dequeued == unit->app_deq
						  && s.to_app.queued == (uint64)unit->count
						  && s.to_app.queued_bytes == (uint64)unit->queued_bytes
						  && s.to_stack.enqueued == unit->stack_enq
						  && (unit->up || s.to_stack.dropped == unit->stack_enq)
						  && s.truncated == unit->truncated && s.rejected == unit->rejected,
		"%s: stats (to_app %llu in %llu out %llu queued, to_stack %llu in, %llu truncated, "
		"%llu rejected) differ from the model (%llu %llu %d, %llu, %llu, %llu)",
		unit->name, (unsigned long long)s.to_app.enqueued, (unsigned long long)s.to_app.dequeued,
		(unsigned long long)s.to_app.queued, (unsigned long long)s.to_stack.enqueued,
		(unsigned long long)s.truncated, (unsigned long long)s.rejected,
		(unsigned long long)unit->app_enq, (unsigned long long)unit->app_deq, unit->count,
		(unsigned long long)unit->stack_enq, (unsigned long long)unit->truncated,
		(unsigned long long)unit->rejected);
}

static size_t
pick_length(int which, size_t size)
{
	static const size_t kFixed[] = {0, 0, 0, 0, 1, 65536};
	return which == LEN_EXACT   ? size
		   : which == LEN_SHORT ? size - 1
		   : which == LEN_LONG  ? size + 8
								: kFixed[which];
}

/* the model's verdict on a set (applied to `unit`) */
static int64
apply_set(struct unit* unit, uint32 op, const uint8* arg)
{
	struct tuntap_info info;
	memcpy(&info, arg, sizeof(info));
	uint32 value = info.mode, header = unit->tap ? 14 : unit->header ? 4 : 0;
	if (op == TUNTAP_SET_MTU) {
		if (value < TUNTAP_MIN_MTU || value > TUNTAP_MAX_MTU || value + header > unit->bytes)
			return B_BAD_VALUE;
		unit->mtu = value;
	} else if (op == TUNTAP_SET_HEADER_MODE) {
		if (unit->tap)
			return B_NOT_SUPPORTED;
		if (value > 1 || unit->mtu + 4 * value > unit->bytes)
			return B_BAD_VALUE;
		unit->header = value;
	} else if (op == TUNTAP_SET_HWADDR) {
		/* only while down (the stack reads the address without the driver's lock) */
		static const uint8 kZero[6] = {0};
		if (!unit->tap)
			return B_NOT_SUPPORTED;
		if (unit->up)
			return B_BUSY;
		if ((arg[0] & 0x01) != 0 || memcmp(arg, kZero, 6) == 0)
			return B_BAD_VALUE;
		memcpy(unit->mac, arg, 6);
		unit->mac_known = true;
	} else {
		if (info.mtu < TUNTAP_MIN_MTU || info.mtu > TUNTAP_MAX_MTU || info.queue_packets < 1
			|| info.queue_packets > 4096 || info.queue_bytes > 16 * 1024 * 1024
			|| info.queue_bytes < info.mtu + header)
			return B_BAD_VALUE;
		unit->mtu = info.mtu;
		unit->packets = info.queue_packets;
		unit->bytes = info.queue_bytes;
	}
	return B_OK;
}

/* GET_INFO's hwaddr: none for TUN; for TAP the one set, or else a random locally administered
 * unicast MAC, the same for the unit's whole life */
static void
check_mac(struct unit* unit, const uint8 mac[6])
{
	static const uint8 kZero[6] = {0};
	if (!unit->tap) {
		FZ_CHECK(memcmp(mac, kZero, 6) == 0, "TUNTAP_GET_INFO of %s: a MAC on TUN", unit->name);
		return;
	}
	FZ_CHECK(!unit->mac_known || memcmp(mac, unit->mac, 6) == 0,
		"TUNTAP_GET_INFO of %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is not the one set or seen",
		unit->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	FZ_CHECK(unit->mac_known || (mac[0] & 0x03) == 0x02,
		"TUNTAP_GET_INFO of %s: MAC %02x:... is not a locally administered unicast one", unit->name,
		mac[0]);
	memcpy(unit->mac, mac, 6);
	unit->mac_known = true;
}

/* the output of a successful get against the model */
static void
check_get(struct unit* unit, uint32 op, const uint8* out)
{
	struct tuntap_info info;
	memcpy(&info, out, sizeof(info));
	uint32 want = op == TUNTAP_GET_MTU           ? unit->mtu
				  : op == TUNTAP_GET_HEADER_MODE ? unit->header
				  : unit->count == 0             ? 0
									 : unit->queue[unit->head].length + 4 * unit->header;
	if (op == TUNTAP_GET_NAME) {
		FZ_CHECK_CONTRACT(strncmp((const char*)out, unit->name, TUNTAP_NAME_LENGTH) == 0,
			"TUNTAP_GET_NAME says \"%.32s\", not \"%s\"", (const char*)out, unit->name);
	} else if (op == TUNTAP_GET_INFO) {
		FZ_CHECK_CONTRACT(
			info.mode == (unit->tap ? TUNTAP_MODE_TAP : TUNTAP_MODE_TUN)
				&& info.unit == unit->number && info.mtu == unit->mtu
				&& info.header_mode == unit->header && info.queue_packets == unit->packets
				&& info.queue_bytes == unit->bytes && ((info.flags & IFF_UP) != 0) == unit->up,
			"TUNTAP_GET_INFO of %s: mode %u unit %u mtu %u header %u queue %u/%u: not the model's",
			unit->name, info.mode, info.unit, info.mtu, info.header_mode, info.queue_packets,
			info.queue_bytes);
		check_mac(unit, info.hwaddr);
	} else if (op == TUNTAP_GET_STATS) {
		fz_check_stats((const struct tuntap_stats*)out, unit->name);
	} else {
		/* FIONREAD: the head packet's bytes with the AF prefix; the MTU; the header mode */
		FZ_CHECK_CONTRACT(info.mode == want, "%s says %u, the model %u", fz_sym_name(kCodes, op),
			info.mode, want);
	}
}

/* A SET_INFO a fault failed in its second step (the MTU, through the stack) keeps the queue limits
 * of its first (driver/README.md): the unit has the model's limits or the requested ones, and the
 * model takes what it has (a quiet GET_INFO). */
static void
after_faulted_set_info(int fd, struct unit* unit, const struct tuntap_info* asked)
{
	uint8* user = fz_user_pointer(FZ_PTR_USER, sizeof(struct tuntap_info), NULL, 0);
	fz_quiet_begin();
	status_t status = shim_ioctl(fd, TUNTAP_GET_INFO, user, sizeof(struct tuntap_info));
	fz_quiet_end();
	struct tuntap_info info;
	shim_user_get(&info, user, sizeof(info));
	fz_user_release(FZ_PTR_USER, user);
	if (status != B_OK)
		return;
	FZ_CHECK_CONTRACT((info.queue_packets == unit->packets && info.queue_bytes == unit->bytes)
						  || (info.queue_packets == asked->queue_packets
							  && info.queue_bytes == asked->queue_bytes),
		"%s: queue limits %u/%u after a failed SET_INFO: neither %u/%u nor the %u/%u asked for",
		unit->name, info.queue_packets, info.queue_bytes, unit->packets, unit->bytes,
		asked->queue_packets, asked->queue_bytes);
	unit->packets = info.queue_packets;
	unit->bytes = info.queue_bytes;
}

static int64
do_ioctl(const struct fz_op* op, int fd, struct description* desc, int64 faults)
{
	uint32 code = (uint32)op->arg[1];
	int ptr = (int)op->arg[2];
	size_t size = code == TUNTAP_GET_NAME                              ? TUNTAP_NAME_LENGTH
				  : code == TUNTAP_GET_INFO || code == TUNTAP_SET_INFO ? sizeof(struct tuntap_info)
				  : code == TUNTAP_GET_STATS                           ? sizeof(struct tuntap_stats)
				  : code == TUNTAP_SET_HWADDR                          ? 6
																	   : 4;
	size_t length = pick_length((int)op->arg[3], size);
	size_t bufferSize = pick_length((int)op->arg[4], size);
	uint8* user = fz_user_pointer(ptr, bufferSize, op->data, op->size);
	int64 status = shim_ioctl(fd, code, user, length);
	uint8 arg[sizeof(struct tuntap_stats)] = {0};
	if (ptr == FZ_PTR_USER)
		shim_user_get(arg, user, bufferSize < sizeof(arg) ? bufferSize : sizeof(arg));
	else
		memcpy(arg, op->data, op->size < sizeof(arg) ? op->size : sizeof(arg));
	fz_user_release(ptr, user);

	/* what the contract says, in the order the checks happen */
	bool usable = ptr == FZ_PTR_USER && bufferSize >= size;
	bool known = code == FIONREAD || (code >= TUNTAP_GET_NAME && code <= TUNTAP_IOCTL_LAST);
	bool blocking = code == FIONBIO || code == B_SET_NONBLOCKING_IO || code == B_SET_BLOCKING_IO;
	bool set = code == TUNTAP_SET_INFO || code == TUNTAP_SET_MTU || code == TUNTAP_SET_HEADER_MODE
			   || code == TUNTAP_SET_HWADDR;
	struct unit* unit = desc != NULL ? &sUnits[desc->unit] : NULL;
	/* FIONBIO is the fd layer's: NULL is B_BAD_VALUE; an unknown op's B_DEV_INVALID_IOCTL reaches
	 * the caller as ENOTTY (Haiku's fd_ioctl) */
	int64 fionbio = usable ? B_OK : ptr == FZ_PTR_NULL ? B_BAD_VALUE : B_BAD_ADDRESS;
	int64 want = desc == NULL                   ? B_FILE_ERROR
				 : blocking                     ? (code != FIONBIO ? B_OK : fionbio)
				 : !known                       ? SHIM_ENOTTY
				 : length != 0 && length < size ? B_BAD_VALUE
				 : unit->gone                   ? B_DEVICE_NOT_FOUND
				 : !usable                      ? B_BAD_ADDRESS
												: B_OK;
	if (want == B_OK && set) {
		struct unit copy = *unit;
		want = apply_set(status == B_OK ? unit : &copy, code, arg);
		if (code == TUNTAP_SET_INFO && status != B_OK && fz_faults_injected() > faults) {
			struct tuntap_info asked;
			memcpy(&asked, arg, sizeof(asked));
			after_faulted_set_info(fd, unit, &asked);
		}
	} else if (want == B_OK && status == B_OK && !blocking)
		check_get(unit, code, arg);
	if (status == B_OK && blocking) {
		int on = 0;
		memcpy(&on, arg, sizeof(on));
		desc->nonblocking = code == FIONBIO ? on != 0 : code == B_SET_NONBLOCKING_IO;
	}
	/* on a stale descriptor the contract allows B_DEVICE_NOT_FOUND before the other checks */
	fz_expect(fz_sym_name(kCodes, code), status, want,
		unit != NULL && unit->gone && !blocking ? B_DEVICE_NOT_FOUND : want, faults);
	return status;
}

static int64
do_io(const struct fz_op* op, int fd, struct description* desc, int64 faults)
{
	static uint8 frame[FZ_FRAME_MAX + 8], got[FZ_FRAME_MAX + 8];
	size_t length = (size_t)op->arg[1] % FZ_FRAME_MAX;
	struct unit* unit = desc != NULL ? &sUnits[desc->unit] : NULL;
	/* the access mode and zero length are decided before the driver is asked */
	int64 want = desc == NULL ? B_FILE_ERROR
				 : desc->access == (op->code == WRITE ? SHIM_O_RDONLY : SHIM_O_WRONLY)
					 ? B_FILE_ERROR
				 : length == 0 ? 0
				 : unit->gone  ? B_DEVICE_NOT_FOUND
							   : B_OK;
	if (op->code == WRITE) {
		bool af = unit != NULL && unit->header;
		/* the bytes only matter where the shim hands them to the driver (no B_FILE_ERROR) */
		if (want != B_FILE_ERROR && length > 0)
			fz_frame(
				frame, length, unit != NULL && unit->tap, af ? FZ_AF4 : FZ_IP4, (uint8)op->index);
		size_t minimum = unit == NULL ? 0 : unit->tap ? 14 : af ? 24 : 20;
		size_t maximum = unit == NULL ? 0 : unit->mtu + (unit->tap ? 14 : af ? 4 : 0);
		if (want == B_OK && length > 0)
			want = length < minimum || length > maximum ? B_BAD_VALUE : (int64)length;
		/* universal: an interface written to is not idle (frame_log.c) */
		if (desc != NULL && length > 0)
			fz_frame_log_add(desc->unit, 1, frame, length);
		int64 status = shim_write(fd, frame, length);
		fz_check_write_room(status);
		/* up: queued for the stack's reader, which may not have drained a full queue yet */
		fz_expect("write", status, want,
			want > 0 && unit->up && desc->nonblocking ? B_WOULD_BLOCK : want, faults);
		if (unit != NULL) {
			unit->rejected += status == B_BAD_VALUE;
			unit->stack_enq += status > 0; /* down: accepted and dropped; up: queued */
		}
		return status;
	}
	size_t prefix = unit != NULL && unit->header ? 4 : 0;
	size_t total = unit != NULL && unit->count > 0 ? prefix + unit->queue[unit->head].length : 0;
	bool ask = want == B_OK && length > 0; /* the driver has the say */
	if (ask && total == 0 && !desc->nonblocking) {
		fz_trace("not called: a blocking read of an empty queue would wait forever");
		return 0;
	}
	if (ask)
		want = total == 0 ? B_WOULD_BLOCK : (int64)(length < total ? length : total);
	int64 status = shim_read(fd, got, length);
	fz_expect1("read", status, want, faults);
	/* universal, any driver: a frame the stack sent to this unit in the input, whole or cut to
	 * the buffer (after an AF prefix in our header mode) */
	FZ_CHECK(
		status <= 0 || fz_frame_log_match(desc->unit, 0, got, (size_t)status, length, !unit->tap),
		"read returned %lld bytes that are no frame the stack sent to %s, whole or cut to the %zu "
		"byte buffer: not intact",
		(long long)status, unit != NULL ? unit->name : "?", length);
	if (status > 0) {
		bool v6 = unit->queue[unit->head].v6;
		fz_frame(frame + prefix, total - prefix, unit->tap, v6 ? FZ_IP6 : FZ_IP4,
			unit->queue[unit->head].seed);
		memcpy(frame, v6 ? "\0\0\0\x05" : "\0\0\0\x01", prefix);
		FZ_CHECK_CONTRACT(
			memcmp(got, frame, (size_t)status) == 0, "read: the bytes differ from the packet");
		unit->truncated += (size_t)status < total;
		unit->app_deq++;
		unit->queued_bytes -= (int)(total - prefix);
		unit->head = (unit->head + 1) % MAX_QUEUE;
		unit->count--;
	}
	return status;
}

static int64
do_send(const struct fz_op* op, int64 faults)
{
	static uint8 frame[FZ_FRAME_MAX];
	char text[FZ_UNIT_TEXT];
	const char* name = fz_unit_text(text, "", kNames, op->arg[0]);
	struct unit* unit = live_unit(op->arg[0]);
	size_t length = (size_t)op->arg[1] % FZ_FRAME_MAX, link = unit != NULL && unit->tap ? 14 : 0;
	if (unit != NULL && unit->count == MAX_QUEUE) {
		fz_trace("not called: the model's queue is full");
		return 0;
	}
	/* without an interface (the model's unit; checked after every create and delete) the stack
	 * rejects the send before it reads a byte */
	if (unit != NULL && length > 0)
		fz_frame(frame, length, link != 0, (int)op->arg[2], (uint8)op->index);
	struct shim_if_info before, after;
	shim_if_info(name, &before);
	/* universal: what a read may return (a unit the model has not got: any unit's) */
	fz_frame_log_add(unit != NULL ? (int)(unit - sUnits) : FZ_FRAME_ANY, 0, frame, length);
	int64 status = shim_stack_send(name, frame, length, 0);
	int64 want = unit == NULL || length == 0 || length > unit->mtu + link || length < link
					 ? B_BAD_VALUE
				 : unit->owner < 0 || !unit->up || unit->count >= (int)unit->packets
						 || unit->queued_bytes + length > unit->bytes
					 ? B_WOULD_BLOCK
					 : B_OK;
	/* with a fault the driver may fail to read the first byte: "not IP" */
	fz_expect("send", status, want, fz_faults_injected() > faults ? B_BAD_VALUE : want, faults);
	if (unit != NULL && shim_if_info(name, &after) == B_OK) {
		/* counted by the driver iff send_data was called; the stack counts those calls */
		unit->app_enq += after.sent + after.send_errors - before.sent - before.send_errors;
	}
	/* unit NULL and B_OK: only with the contract unchecked (DRIVER=upstream), a unit the model has
	 * not got (its create or delete went otherwise than ours would) took it; the model cannot
	 * follow it */
	if (status == B_OK && unit != NULL) {
		unit->queue[(unit->head + unit->count++) % MAX_QUEUE].length = (uint16)length;
		unit->queue[(unit->head + unit->count - 1) % MAX_QUEUE].seed = (uint8)op->index;
		unit->queue[(unit->head + unit->count - 1) % MAX_QUEUE].v6 = op->arg[2] == FZ_IP6;
		unit->queued_bytes += (int)length;
	}
	return status;
}

static int64
do_open(const struct fz_op* op, int slot, int64 faults)
{
	int64 path = op->arg[1];
	bool clone = (path & FZ_UNIT_CLONE) != 0;
	char text[FZ_UNIT_TEXT];
	if (fz_slot[slot] >= 0) {
		shim_close(fz_slot[slot]);
		close_model(slot);
	}
	const char* name = NULL;
	struct unit* unit = NULL;
	int64 want = B_OK;
	if (clone && sUnitCount == MAX_UNITS) {
		fz_trace("not called: the model holds no more units");
		return 0;
	}
	for (uint32 number = 0; clone; number++) {
		/* a clone open takes the lowest free number of its kind */
		if (live_unit_of((path & FZ_UNIT_TAP) != 0, number) == NULL) {
			name = fz_unit_name((path & FZ_UNIT_TAP) != 0, (int)number);
			break;
		}
	}
	if (!clone) {
		name = fz_unit_text(text, "", kPaths, path);
		unit = live_unit(path);
		want = unit == NULL ? B_ENTRY_NOT_FOUND : unit->owner >= 0 ? B_BUSY : B_OK;
	}
	char device[FZ_UNIT_TEXT];
	int fd = shim_open(fz_unit_text(device, "/dev/", kPaths, path), (int)op->arg[2]);
	fz_expect1("open", fd >= 0 ? B_OK : fd, want, faults);
	if (clone) {
		FZ_CHECK_CONTRACT(shim_node_exists(name) == (fd >= 0) && shim_if_exists(name) == (fd >= 0),
			"clone open returned %s but %s %s", shim_status_name(fd), name,
			fd >= 0 ? "is missing" : "exists");
		/* left down: what a down unit does (SET_HWADDR, refused sends) stays reachable */
		if (fd >= 0)
			unit = new_unit(name);
	}
	if (fd < 0)
		return fd;
	if (unit == NULL) {
		/* only with the contract unchecked (DRIVER=upstream): a unit the model has not got, such
		 * as one whose delete the driver refused, opened; the model cannot follow it */
		shim_close(fd);
		return fd;
	}
	sDesc[sDescCount] = (struct description){
		(int)(unit - sUnits), 1, (int)op->arg[2] & 3, (op->arg[2] & SHIM_O_NONBLOCK) != 0};
	unit->owner = sSlotDesc[slot] = sDescCount++;
	unit->header = 0; /* every open starts without the AF prefix */
	fz_slot[slot] = fd;
	return fd;
}

static int64
do_create_delete(const struct fz_op* op, int64 faults)
{
	char text[FZ_UNIT_TEXT];
	const char* name = fz_unit_text(text, "", kNames, op->arg[0]);
	struct unit* unit = live_unit(op->arg[0]);
	int64 status;
	if (op->code == DELETE) {
		status = shim_if_delete(name);
		fz_expect1("delete", status, unit != NULL ? B_OK : B_BAD_VALUE, faults);
		if (unit != NULL && status == B_OK) {
			unit->gone = true;
			unit->count = unit->head = unit->queued_bytes = 0;
		}
	} else {
		if (unit == NULL && sUnitCount == MAX_UNITS) {
			fz_trace("not called: the model holds no more units");
			return 0;
		}
		/* an existing interface is not offered to the driver again; a bad name is nobody's */
		status = shim_if_create(name);
		fz_expect1("create", status, (op->arg[0] & FZ_UNIT_OTHER) == 0 ? B_OK : B_DEVICE_NOT_FOUND,
			faults);
		if (status == B_OK && unit == NULL) {
			unit = new_unit(name);
			fz_note_interface(name);
			bring_up(unit, faults);
		}
	}
	bool exists = unit != NULL && !unit->gone;
	FZ_CHECK_CONTRACT(shim_node_exists(name) == exists && shim_if_exists(name) == exists,
		"%s %s returned %s; the interface and node should %s", kOps[op->code].name, name,
		shim_status_name(status), exists ? "exist" : "be gone");
	return status;
}

/* universal (frame_log.c): an idle poll loop wakes 0 times, on every readable descriptor of a
 * live unit (up unless a fault kept it down) nothing was sent to or written to in the input */
static void
idle_polls(void)
{
	fz_faults_off();
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		struct description* desc = slot_desc(slot);
		if (desc == NULL || desc->access == SHIM_O_WRONLY || sUnits[desc->unit].gone
			|| fz_frame_log_offered(desc->unit))
			continue;
		fz_idle_poll(fz_slot[slot], sUnits[desc->unit].name);
	}
}

static void
run(const struct fz_program* program)
{
	sUnitCount = sDescCount = 0;
	for (int i = 0; i < FZ_SLOTS; i++)
		sSlotDesc[i] = -1;
	fz_frame_log_clear();
	for (int i = 0; i < program->count; i++) {
		const struct fz_op* op = &program->ops[i];
		int slot = (int)(op->arg[0] % FZ_SLOTS), fd = fz_slot[slot];
		struct description* desc = slot_desc(slot);
		int64 faults = fz_faults_injected(), status = 0;
		fz_begin_op(op);
		if (op->code == CREATE || op->code == DELETE)
			status = do_create_delete(op, faults);
		else if (op->code == OPEN)
			status = do_open(op, slot, faults);
		else if (op->code == CLOSE) {
			status = shim_close(fd);
			fz_expect1("close", status, fd >= 0 ? B_OK : B_FILE_ERROR, faults);
			close_model(slot);
		} else if (op->code == DUP && (int)(op->arg[1] % FZ_SLOTS) != slot) {
			int to = (int)(op->arg[1] % FZ_SLOTS);
			if (fz_slot[to] >= 0) {
				shim_close(fz_slot[to]);
				close_model(to);
				desc = slot_desc(slot); /* the two slots may have shared it */
				fd = fz_slot[slot];
			}
			status = shim_dup(fd);
			fz_expect1(
				"dup", status >= 0 ? B_OK : status, desc != NULL ? B_OK : B_FILE_ERROR, faults);
			if (status >= 0) {
				fz_slot[to] = (int)status;
				sSlotDesc[to] = sSlotDesc[slot];
				desc->refs++;
			}
		} else if (op->code == NONBLOCK || op->code == FIONBIO_OP) {
			status = op->code == NONBLOCK ? shim_set_nonblocking(fd, op->arg[1] != 0)
										  : shim_fionbio(fd, op->arg[1] != 0);
			fz_expect1("set blocking mode", status, desc != NULL ? B_OK : B_FILE_ERROR, faults);
			if (status == B_OK)
				desc->nonblocking = op->arg[1] != 0;
		} else if (op->code == IOCTL)
			status = do_ioctl(op, fd, desc, faults);
		else if (op->code == SETINFO) {
			struct tuntap_info info = {.mtu = (uint32)op->arg[1],
				.queue_packets = (uint32)op->arg[2],
				.queue_bytes = (uint32)op->arg[3]};
			struct fz_op ioctl = *op;
			ioctl.arg[1] = TUNTAP_SET_INFO;
			ioctl.arg[2] = FZ_PTR_USER;
			ioctl.arg[3] = ioctl.arg[4] = LEN_EXACT;
			ioctl.data = (const uint8*)&info;
			ioctl.size = sizeof(info);
			status = do_ioctl(&ioctl, fd, desc, faults);
		} else if (op->code == SEND)
			status = do_send(op, faults);
		else if (op->code == WRITE || op->code == READ)
			status = do_io(op, fd, desc, faults);
		else if (op->code == FAULT)
			fz_fault_arm((int)op->arg[0], op->arg[1], op->arg[2] != 0);
		fz_end_op(status);
		/* after every op that moves packets: the counters hold and match the model */
		if (op->code == SEND || op->code == WRITE || op->code == READ || op->code == CLOSE)
			check_stats(op->code == SEND ? 0 : slot);
	}
	for (int slot = 0; slot < FZ_SLOTS; slot++)
		check_stats(slot);
	idle_polls();
}

const struct fz_harness fz_harness = {
	.name = "ioctl",
	.ops = kOps,
	.op_count = sizeof(kOps) / sizeof(kOps[0]),
	.run = run,
};
