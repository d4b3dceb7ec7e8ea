/* Fuzz harness "frames": TUN/TAP writes and reads, stack-side sends and receives, header modes, MTU
 * and queue limits, faults; every frame must arrive byte for byte or be refused as documented. */
#include "common.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#define IFACES 4 /* tun/0 tun/1 tap/0 tap/1 */
#define MAX_FRAMES 256
#define DRAIN_TIMEOUT 1000000 /* a written frame must reach the stack within 1 s */

/* A frame the model expects somewhere: fz_frame(kind, length, seed) or raw input bytes. The
 * stack reader runs concurrently, so the checks hold for any interleaving: `maybe` marks a frame
 * a down may have flushed (or that a same-bytes frame stood in for), so it may never arrive. */
struct frame {
	const uint8* raw;
	uint16 length, skip;
	uint8 kind, seed;
	bool maybe;
	int op;
};
struct fifo {
	struct frame frames[MAX_FRAMES];
	int head, count;
};
struct iface {
	bool exists, up, ipv4, tap;
	int generation, owner; /* owner: the slot whose open bound it, -1 */
	uint32 mtu, packets, bytes, header;
	struct fifo to_stack, to_app;
	int arp_replies; /* ARP replies the peer may still queue to the application (at most) */
	uint8 mac[6];    /* TAP: the unit's MAC (random), learned from the peer's first ARP reply */
	bool mac_known;
	bool ghost; /* the last read matched both ghost_frame and an ARP reply */
	struct frame ghost_frame;
	uint64 written, rejected, truncated, read;
	bool offered; /* the stack sent it something, or the application wrote it something (the
				   * stack may answer: an ARP request), in this input */
};
static struct iface sIf[IFACES];
static int sSlotIf[FZ_SLOTS], sSlotGeneration[FZ_SLOTS];
static uint8 sBytes[FZ_FRAME_MAX + 8], sGot[FZ_FRAME_MAX + 8];

static const struct fz_sym kNames[] = {
	{"tun/0", 0}, {"tun/1", 1}, {"tap/0", 2}, {"tap/1", 3}, {NULL, 0}};
static const struct fz_sym kModes[] = {{"none", 0}, {"af", 1}, {"bad", 7}, {NULL, 0}};
static const struct fz_sym kOnOff[] = {{"off", 0}, {"on", 1}, {NULL, 0}};
static const struct fz_sym kEvents[] = {
	{"in", SHIM_POLLIN}, {"out", SHIM_POLLOUT}, {"inout", SHIM_POLLIN | SHIM_POLLOUT}, {NULL, 0}};
enum { CREATE, DELETE, UP, DOWN, OPEN, CLOSE, WRITE, WRITERAW, READ, SEND, SENDRAW };
enum { RECEIVE = SENDRAW + 1, HEADER, MTU, QUEUE, IPV4, FAULT, POLL };
static const struct fz_op_spec kOps[] = {
	[CREATE] = {"create", {{"name", FZ_ENUM, kNames}}},
	[DELETE] = {"delete", {{"name", FZ_ENUM, kNames}}},
	[UP] = {"up", {{"name", FZ_ENUM, kNames}}},
	[DOWN] = {"down", {{"name", FZ_ENUM, kNames}}},
	[OPEN] = {"open", {{"slot", FZ_U8}, {"path", FZ_ENUM, kNames}}},
	[CLOSE] = {"close", {{"slot", FZ_U8}}},
	[WRITE] = {"write",
		{{"slot", FZ_U8}, {"kind", FZ_ENUM, fz_frame_syms}, {"len", FZ_U16}, {"seed", FZ_U8}}},
	[WRITERAW] = {"writeraw", {{"slot", FZ_U8}, {"data", FZ_DATA}}},
	[READ] = {"read", {{"slot", FZ_U8}, {"size", FZ_U16}}},
	[SEND] = {"send", {{"name", FZ_ENUM, kNames}, {"kind", FZ_ENUM, fz_frame_syms}, {"len", FZ_U16},
						  {"seed", FZ_U8}}},
	[SENDRAW] = {"sendraw", {{"name", FZ_ENUM, kNames}, {"data", FZ_DATA}}},
	[RECEIVE] = {"receive", {{"name", FZ_ENUM, kNames}, {"size", FZ_U16}, {"wait_ms", FZ_U8}}},
	[HEADER] = {"header", {{"slot", FZ_U8}, {"mode", FZ_ENUM, kModes}}},
	[MTU] = {"mtu", {{"slot", FZ_U8}, {"mtu", FZ_U16}}},
	[QUEUE] = {"queue", {{"slot", FZ_U8}, {"packets", FZ_U16}, {"bytes", FZ_U32}}},
	[IPV4] = {"ipv4", {{"name", FZ_ENUM, kNames}}},
	[FAULT] = {"fault",
		{{"site", FZ_ENUM, fz_fault_syms}, {"nth", FZ_U8}, {"persistent", FZ_ENUM, kOnOff}}},
	[POLL] = {"poll", {{"slot", FZ_U8}, {"events", FZ_ENUM, kEvents}}},
};

/* everything but the frame arrays (12 KiB an interface; only head and count say what is used) */
static void
iface_clear(struct iface* ifc)
{
	memset(ifc, 0, offsetof(struct iface, to_stack));
	ifc->to_stack.head = ifc->to_stack.count = ifc->to_app.head = ifc->to_app.count = 0;
	memset(&ifc->arp_replies, 0, sizeof(*ifc) - offsetof(struct iface, arp_replies));
}

static size_t
frame_bytes(uint8* out, const struct iface* ifc, const struct frame* frame)
{
	if (frame->raw == NULL)
		return fz_frame(out, frame->length, ifc->tap, frame->kind, frame->seed);
	memcpy(out, frame->raw, frame->length);
	return frame->length;
}

static struct frame*
at(struct fifo* fifo, int i)
{
	return &fifo->frames[(fifo->head + i) % MAX_FRAMES];
}

static void
pop(struct fifo* fifo, int count)
{
	fifo->head = (fifo->head + count) % MAX_FRAMES;
	fifo->count -= count;
}

/* frames queued in the model and their bytes */
static size_t
queued_bytes(struct fifo* fifo)
{
	size_t bytes = 0;
	for (int i = 0; i < fifo->count; i++)
		bytes += at(fifo, i)->length;
	return bytes;
}

/* the slot's interface if the descriptor is usable; else what a call on it returns */
static struct iface*
slot_iface(int slot, int64* status)
{
	struct iface* ifc = &sIf[sSlotIf[slot]];
	*status = fz_slot[slot] < 0                                          ? B_FILE_ERROR
			  : sSlotGeneration[slot] != ifc->generation || !ifc->exists ? B_DEVICE_NOT_FOUND
																		 : B_OK;
	return ifc;
}

/* what the contract says a write of these bytes gets, before queueing */
static int64
write_verdict(const struct iface* ifc, const uint8* bytes, size_t length, size_t* skip)
{
	size_t header = ifc->tap ? 14 : ifc->header ? 4 : 0;
	*skip = ifc->tap ? 0 : header;
	if (length < (ifc->tap ? 14 : header + 20) || length > ifc->mtu + header)
		return B_BAD_VALUE;
	if (ifc->tap)
		return (int64)length;
	int version = bytes[*skip] >> 4;
	uint32 family = (uint32)bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3];
	if (version == 6 && length - *skip < 40)
		return B_BAD_VALUE;
	if ((version != 4 && version != 6)
		|| (ifc->header && family != (version == 6 ? AF_INET6 : AF_INET)))
		return B_BAD_DATA;
	return (int64)length;
}

/* the stack peer answers this frame: an ARP request for fz_peer_ip (from anyone) */
static bool
is_arp_request(const uint8* bytes, size_t length)
{
	static const uint8 kRequest[10] = {0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1};
	return length >= 42 && memcmp(bytes + 12, kRequest, 10) == 0
		   && memcmp(bytes + 38, fz_peer_ip, 4) == 0;
}

/* `got` (a read of `size`) is (as much as fits of) the peer of `ifc` answering an ARP request:
 * its source and sender fields are checked, the destination is whoever asked. The source is the
 * unit's MAC: the one an earlier reply showed, else any locally administered unicast one (the
 * driver draws it at random) */
static bool
is_arp_reply(const struct iface* ifc, const uint8* got, int64 status, size_t size)
{
	static const uint8 kHead[10] = {0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 2};
	const uint8* mac = ifc->mac_known ? ifc->mac : got + 6; /* only `status` bytes compared */
	if (!ifc->mac_known && status > 6 && (got[6] & 0x03) != 0x02)
		return false;
	uint8 reply[32];
	memcpy(reply + 6, mac, 6);
	memcpy(reply + 12, kHead, 10);
	memcpy(reply + 22, mac, 6);
	memcpy(reply + 28, fz_peer_ip, 4);
	size_t checked = status < 32 ? (size_t)status : 32;
	return status == (int64)(size < 42 ? size : 42)
		   && (checked <= 6 || memcmp(got + 6, reply + 6, checked - 6) == 0);
}

static bool
same_frame(const struct iface* ifc, const struct frame* frame, size_t length, size_t copied)
{
	size_t size = frame_bytes(sBytes, ifc, frame) - frame->skip;
	return size == length && memcmp(sBytes + frame->skip, sGot, copied) == 0;
}

/* the stack got sGot (`length` bytes, `copied` of them here): the next frame written after
 * flushed ones */
static void
stack_got(struct iface* ifc, size_t length, size_t copied)
{
	struct fifo* fifo = &ifc->to_stack;
	int k = 0;
	for (; k < fifo->count && !same_frame(ifc, at(fifo, k), length, copied); k++)
		FZ_CHECK_CONTRACT(at(fifo, k)->maybe,
			"the stack received %zu bytes, not the frame written by op [%d] (not flushed)", length,
			at(fifo, k)->op);
	FZ_CHECK_CONTRACT(k < fifo->count, "the stack received a %zu byte frame nobody wrote", length);
	/* a flushed frame and a later one with the same bytes: either may be the one that came */
	for (int i = k + 1; at(fifo, k)->maybe && i < fifo->count; i++) {
		if (!at(fifo, i)->maybe) {
			at(fifo, i)->maybe = same_frame(ifc, at(fifo, i), length, copied);
			break;
		}
	}
	pop(fifo, k + 1);
}

/* the bytes a read returns for this frame: the AF prefix in TUN header mode, then the packet */
static size_t
as_read(const struct iface* ifc, const struct frame* frame)
{
	size_t length = frame_bytes(sBytes + 4, ifc, frame);
	size_t prefix = !ifc->tap && ifc->header ? 4 : 0;
	uint32 family = (sBytes[4] >> 4) == 6 ? AF_INET6 : AF_INET;
	uint8 be[4] = {0, 0, 0, (uint8)family};
	memcpy(sBytes, be, 4);
	memmove(sBytes, sBytes + 4 - prefix, length + prefix);
	return length + prefix;
}

static bool
read_is(int64 status, size_t size, size_t total)
{
	return status == (int64)(size < total ? size : total)
		   && memcmp(sGot, sBytes, (size_t)status) == 0;
}

static void
check_stats(int slot)
{
	struct tuntap_stats s;
	int64 usable;
	struct iface* ifc = slot_iface(slot, &usable);
	if (usable != B_OK || !fz_get_stats(fz_slot[slot], &s))
		return;
	fz_check_stats(&s, fz_sym_name(kNames, sSlotIf[slot]));
	FZ_CHECK_CONTRACT(s.to_stack.enqueued == ifc->written && s.rejected == ifc->rejected
						  && s.truncated == ifc->truncated && s.to_app.dequeued == ifc->read,
		"%s: written %llu rejected %llu truncated %llu read %llu; the model says %llu %llu %llu "
		"%llu",
		fz_sym_name(kNames, sSlotIf[slot]), (unsigned long long)s.to_stack.enqueued,
		(unsigned long long)s.rejected, (unsigned long long)s.truncated,
		(unsigned long long)s.to_app.dequeued, (unsigned long long)ifc->written,
		(unsigned long long)ifc->rejected, (unsigned long long)ifc->truncated,
		(unsigned long long)ifc->read);
}

static int64
do_write(const struct fz_op* op, int slot, int64 faults)
{
	int64 want;
	struct iface* ifc = slot_iface(slot, &want);
	struct frame frame = {.kind = (uint8)op->arg[1], .seed = (uint8)op->arg[3], .op = op->index};
	if (op->code == WRITERAW) {
		frame.raw = op->data;
		frame.length = (uint16)(op->size < FZ_FRAME_MAX ? op->size : FZ_FRAME_MAX);
	} else
		frame.length = (uint16)(op->arg[2] % FZ_FRAME_MAX);
	size_t length = frame_bytes(sBytes, ifc, &frame), skip = 0;
	if (fz_slot[slot] >= 0 && length == 0)
		want = 0; /* zero-length I/O never reaches the driver */
	else if (want == B_OK)
		want = write_verdict(ifc, sBytes, length, &skip);
	frame.skip = (uint16)skip;
	/* room is only sure while what the model queued leaves room for a maximal write */
	bool mayBeFull =
		ifc->up
		&& (ifc->to_stack.count >= (int)ifc->packets
			|| queued_bytes(&ifc->to_stack) + ifc->mtu + (ifc->tap ? 14 : skip) > ifc->bytes);
	/* universal: the stack may get it (after an AF prefix the driver strips) but nothing else */
	fz_frame_log_add(sSlotIf[slot], 1, sBytes, length);
	ifc->offered = true;
	if (skip > 0)
		fz_frame_log_add(sSlotIf[slot], 1, sBytes + skip, length - skip);
	int64 status = shim_write(fz_slot[slot], sBytes, length);
	fz_check_write_room(status);
	fz_expect("write", status, want, want > 0 && mayBeFull ? B_WOULD_BLOCK : want, faults);
	ifc->rejected += status == B_BAD_VALUE || status == B_BAD_DATA;
	if (status > 0) {
		ifc->written++;
		if (ifc->up) {
			/* IPv6 from a TUN unit reaches the stack, which has no handler for it on a tunnel
			 * (Haiku registers IPv4's only): counted unhandled, never captured */
			frame.maybe = !ifc->tap && length > skip && sBytes[skip] >> 4 == 6;
			ifc->to_stack.frames[(ifc->to_stack.head + ifc->to_stack.count++) % MAX_FRAMES] = frame;
			ifc->arp_replies += ifc->tap && ifc->ipv4 && is_arp_request(sBytes, length);
		}
	}
	return status;
}

static int64
do_read(const struct fz_op* op, int slot, int64 faults)
{
	int64 want;
	struct iface* ifc = slot_iface(slot, &want);
	size_t size = (size_t)op->arg[1] % (FZ_FRAME_MAX + 8);
	struct frame* frame = want == B_OK && ifc->to_app.count > 0 ? at(&ifc->to_app, 0) : NULL;
	size_t total = frame != NULL ? as_read(ifc, frame) : 0;
	if (fz_slot[slot] >= 0 && size == 0)
		want = 0;
	else if (want == B_OK)
		want = frame != NULL ? (int64)(size < total ? size : total) : B_WOULD_BLOCK;
	int64 status = shim_read(fz_slot[slot], sGot, size);
	if (status <= 0) {
		fz_expect1("read", status, want, faults);
		return status;
	}
	/* the next frame sent, or an ARP reply the peer queued meanwhile, or both (same bytes) */
	bool head = frame != NULL && read_is(status, size, total);
	bool arp = ifc->arp_replies > 0 && is_arp_reply(ifc, sGot, status, size);
	bool ghost = false;
	if (!head && !arp && ifc->ghost && ifc->arp_replies > 0) {
		/* an earlier read could have been this frame or an ARP reply: it was the reply */
		total = as_read(ifc, &ifc->ghost_frame);
		ghost = read_is(status, size, total);
	}
	FZ_CHECK(head || arp || ghost || is_arp_reply(ifc, sGot, status, size)
				 || fz_frame_log_match(sSlotIf[slot], 0, sGot, (size_t)status, size, !ifc->tap),
		"read returned %lld bytes that are no frame the stack sent to %s, whole or cut to the "
		"%zu byte buffer: not intact",
		(long long)status, fz_sym_name(kNames, sSlotIf[slot]), size);
	FZ_CHECK_CONTRACT(head || arp || ghost,
		"read returned %lld bytes that are neither the next frame sent (op [%d], %zu bytes) nor "
		"the peer's ARP reply",
		(long long)status, frame != NULL ? frame->op : -1, total);
	ifc->ghost = head && arp;
	if (arp && !head && !ifc->mac_known && status >= 12) {
		/* surely the reply: its source is the unit's MAC from now on */
		memcpy(ifc->mac, sGot + 6, 6);
		ifc->mac_known = true;
	}
	if (head) {
		ifc->ghost_frame = *frame;
		pop(&ifc->to_app, 1);
	} else
		ifc->arp_replies--;
	ifc->truncated += size < (head || ghost ? total : 42);
	ifc->read++;
	return status;
}

static int64
do_send(const struct fz_op* op, int64 faults)
{
	struct iface* ifc = &sIf[op->arg[0]];
	/* the stack sends bare IP: the AF kinds are their IP versions here */
	static const uint8 kBare[] = {
		FZ_IP4, FZ_IP6, FZ_IP4, FZ_IP6, FZ_BCAST, FZ_ARP, FZ_BADVER, FZ_IP4};
	struct frame frame = {.kind = kBare[op->arg[1]], .seed = (uint8)op->arg[3], .op = op->index};
	if (op->code == SENDRAW) {
		frame.raw = op->data;
		frame.length = (uint16)(op->size < FZ_FRAME_MAX ? op->size : FZ_FRAME_MAX);
	} else
		frame.length = (uint16)(op->arg[2] % FZ_FRAME_MAX);
	size_t length = frame_bytes(sBytes, ifc, &frame), link = ifc->tap ? 14 : 0;
	int64 want = !ifc->exists || length == 0 || length > ifc->mtu + link || length < link
					 ? B_BAD_VALUE
				 : !ifc->tap && sBytes[0] >> 4 != 4 && sBytes[0] >> 4 != 6 ? B_BAD_DATA
				 : ifc->owner < 0 || !ifc->up                              ? B_WOULD_BLOCK
																		   : B_OK;
	/* ARP replies the peer may have queued make to_app fuller than the model knows */
	bool full =
		ifc->to_app.count >= (int)ifc->packets || queued_bytes(&ifc->to_app) + length > ifc->bytes;
	bool mayBeFull =
		ifc->to_app.count + ifc->arp_replies >= (int)ifc->packets
		|| queued_bytes(&ifc->to_app) + 42 * (size_t)ifc->arp_replies + length > ifc->bytes;
	fz_frame_log_add((int)op->arg[0], 0, sBytes, length);
	ifc->offered = true;
	int64 status = shim_stack_send(fz_sym_name(kNames, op->arg[0]), sBytes, length, 0);
	if (want == B_OK && full)
		want = B_WOULD_BLOCK;
	/* with a fault the driver may fail to read the first byte: "not IP"; and ARP replies may
	 * still have filled the queue (both: a frames finding, fault and full queue in one send) */
	bool faulted = fz_faults_injected() > faults;
	if (faulted && want == B_OK && mayBeFull)
		FZ_EXPECT_IN("send", status, want, B_BAD_VALUE, B_WOULD_BLOCK, FZ_FAULT_STATUSES);
	else
		fz_expect("send", status, want,
			faulted                     ? B_BAD_VALUE
			: want == B_OK && mayBeFull ? B_WOULD_BLOCK
										: want,
			faults);
	if (status == B_OK)
		ifc->to_app.frames[(ifc->to_app.head + ifc->to_app.count++) % MAX_FRAMES] = frame;
	return status;
}

static int64
do_receive(int index, size_t size, bigtime_t timeout)
{
	struct iface* ifc = &sIf[index];
	int64 faults = fz_faults_injected();
	ssize_t status = shim_stack_receive(fz_sym_name(kNames, index), sGot, size, timeout);
	if (status >= 0) {
		size_t copied = (size_t)status < size ? (size_t)status : size;
		FZ_CHECK(fz_frame_log_match(index, 1, sGot, copied, size, false),
			"the stack received %zd bytes from %s that are no frame written to it, whole: not "
			"intact",
			status, fz_sym_name(kNames, index));
		stack_got(ifc, (size_t)status, copied);
	} else if (status == B_BAD_ADDRESS && fz_faults_injected() > faults) {
		/* the copy out failed and the frame is gone: the next expected one may be it */
		for (int i = 0; i < ifc->to_stack.count; i++) {
			if (!at(&ifc->to_stack, i)->maybe) {
				at(&ifc->to_stack, i)->maybe = true;
				break;
			}
		}
	} else
		/* nothing came: a poll (no timeout) would block, a wait timed out (acquire_sem_etc) */
		fz_expect1("receive", status,
			!ifc->exists   ? B_BAD_VALUE
			: timeout == 0 ? B_WOULD_BLOCK
						   : B_TIMED_OUT,
			faults);
	return status;
}

static int64
do_iface(const struct fz_op* op, int64 faults)
{
	int index = (int)op->arg[0];
	struct iface* ifc = &sIf[index];
	const char* name = fz_sym_name(kNames, index);
	int64 status;
	if (op->code == CREATE) {
		status = shim_if_create(name);
		fz_expect1("create", status, B_OK, faults);
		if (status == B_OK && !ifc->exists) {
			int generation = ifc->generation + 1;
			iface_clear(ifc);
			ifc->exists = true;
			ifc->tap = index >= 2;
			ifc->owner = -1;
			ifc->generation = generation;
			ifc->mtu = TUNTAP_DEFAULT_MTU;
			ifc->packets = TUNTAP_DEFAULT_QUEUE_PACKETS;
			ifc->bytes = TUNTAP_DEFAULT_QUEUE_BYTES;
		}
	} else if (op->code == IPV4) {
		uint32 address;
		memcpy(&address, fz_peer_ip, 4);
		status = shim_if_set_ipv4(name, address);
		fz_expect1("ipv4", status, ifc->exists ? B_OK : B_BAD_VALUE, faults);
		for (int i = 0; status == B_OK && !ifc->ipv4 && ifc->tap && i < ifc->to_stack.count; i++) {
			/* requests still on their way to the peer are answered now */
			size_t length = frame_bytes(sBytes, ifc, at(&ifc->to_stack, i));
			ifc->arp_replies += is_arp_request(sBytes, length);
		}
		ifc->ipv4 |= status == B_OK;
	} else {
		status = op->code == UP     ? shim_if_up(name)
				 : op->code == DOWN ? shim_if_down(name)
									: shim_if_delete(name);
		fz_expect1(kOps[op->code].name, status, ifc->exists ? B_OK : B_BAD_VALUE, faults);
		for (int i = 0; status == B_OK && op->code != UP && i < ifc->to_stack.count; i++)
			at(&ifc->to_stack, i)->maybe = true; /* flushed, unless the reader had it */
		if (status == B_OK)
			ifc->up = op->code == UP;
		if (status == B_OK && op->code == DOWN)
			ifc->to_app.count = 0; /* a down drops what the stack queued to the application */
		if (status == B_OK && op->code == DELETE) {
			ifc->exists = false;
			ifc->generation++;
			ifc->to_stack.count = ifc->to_app.count = 0; /* the capture went with it */
			ifc->owner = -1;
		}
	}
	FZ_CHECK_CONTRACT(shim_node_exists(name) == ifc->exists, "%s exists %d, its node %d", name,
		ifc->exists, shim_node_exists(name));
	return status;
}

static void
close_slot(int slot)
{
	int64 usable;
	struct iface* ifc = slot_iface(slot, &usable);
	if (usable == B_OK && ifc->owner == slot) {
		ifc->owner = -1;
		ifc->to_app.count = 0; /* close flushes to_app */
		ifc->ghost = false;
	}
	fz_slot[slot] = -1;
}

static int64
do_open(const struct fz_op* op, int slot, int64 faults)
{
	if (fz_slot[slot] >= 0) {
		shim_close(fz_slot[slot]);
		close_slot(slot);
	}
	int index = (int)op->arg[1];
	struct iface* ifc = &sIf[index];
	int fd = shim_open(fz_dev_path(kNames, index), SHIM_O_RDWR | SHIM_O_NONBLOCK);
	fz_expect1("open", fd >= 0 ? B_OK : fd,
		!ifc->exists      ? B_ENTRY_NOT_FOUND
		: ifc->owner >= 0 ? B_BUSY
						  : B_OK,
		faults);
	if (fd >= 0) {
		fz_slot[slot] = fd;
		sSlotIf[slot] = index;
		sSlotGeneration[slot] = ifc->generation;
		ifc->owner = slot;
		ifc->header = 0;
	}
	return fd;
}

/* TUNTAP_SET_HEADER_MODE, TUNTAP_SET_MTU or TUNTAP_SET_INFO (limits) and the model's verdict */
static int64
do_set(const struct fz_op* op, int slot, int64 faults)
{
	int64 want;
	struct iface* ifc = slot_iface(slot, &want);
	uint32 value = (uint32)op->arg[1], header = ifc->tap ? 14 : ifc->header ? 4 : 0;
	struct tuntap_info info = {
		.mtu = ifc->mtu, .queue_packets = value, .queue_bytes = (uint32)op->arg[2]};
	uint32 code = op->code == HEADER ? TUNTAP_SET_HEADER_MODE
				  : op->code == MTU  ? TUNTAP_SET_MTU
									 : TUNTAP_SET_INFO;
	if (want == B_OK && op->code == HEADER)
		want = ifc->tap                                         ? B_NOT_SUPPORTED
			   : value > 1 || ifc->mtu + 4 * value > ifc->bytes ? B_BAD_VALUE
																: B_OK;
	else if (want == B_OK && op->code == MTU)
		want = value < TUNTAP_MIN_MTU || value > TUNTAP_MAX_MTU || value + header > ifc->bytes
				   ? B_BAD_VALUE
				   : B_OK;
	else if (want == B_OK)
		want = value < 1 || value > 4096 || info.queue_bytes > 16 * 1024 * 1024
					   || info.queue_bytes < ifc->mtu + header
				   ? B_BAD_VALUE
				   : B_OK;
	int64 status = code == TUNTAP_SET_INFO
					   ? shim_ioctl_buf(fz_slot[slot], code, &info, sizeof(info), sizeof(info))
					   : shim_ioctl_buf(fz_slot[slot], code, &value, 4, 4);
	fz_expect1(kOps[op->code].name, status, want, faults);
	if (status == B_OK && op->code == HEADER)
		ifc->header = value;
	else if (status == B_OK && op->code == MTU)
		ifc->mtu = value;
	else if (status == B_OK) {
		ifc->packets = info.queue_packets;
		ifc->bytes = info.queue_bytes;
	}
	return status;
}

/* poll (timeout 0) reports exactly what read and write would do now */
static int64
do_poll(const struct fz_op* op, int slot)
{
	int64 usable;
	struct iface* ifc = slot_iface(slot, &usable);
	struct shim_pollfd pollfd = {fz_slot[slot], (uint16)op->arg[1], 0};
	int64 faults = fz_faults_injected(), status = shim_poll(&pollfd, 1, 0);
	if (status < 0) {
		fz_expect1("poll", status, 0, faults); /* a semaphore or select entry it cannot get */
		return status;
	}
	uint16 in = pollfd.revents & SHIM_POLLIN, out = pollfd.revents & SHIM_POLLOUT;
	/* the reader only drains to_stack; the peer's ARP replies only fill to_app */
	bool readable = ifc->to_app.count > 0, mayRead = readable || ifc->arp_replies > 0;
	bool writable =
		!ifc->up
		|| (ifc->to_stack.count < (int)ifc->packets
			&& queued_bytes(&ifc->to_stack) + ifc->mtu + (ifc->tap ? 14 : 4 * ifc->header)
				   <= ifc->bytes);
	FZ_CHECK(status == (pollfd.revents != 0), "poll returned %lld with revents %s",
		(long long)status, fz_poll_events(pollfd.revents));
	if (fz_faults_injected() > faults)
		return status; /* a select entry it could not get: nothing to say about readiness */
	if (usable != B_OK) {
		FZ_CHECK_CONTRACT(pollfd.revents == (fz_slot[slot] < 0 ? 0 : SHIM_POLLHUP),
			"poll on a %s descriptor: revents %s", shim_status_name(usable),
			fz_poll_events(pollfd.revents));
	} else {
		FZ_CHECK_CONTRACT(
			(pollfd.revents & ~(SHIM_POLLIN | SHIM_POLLOUT)) == 0
				&& (!(op->arg[1] & SHIM_POLLIN) || (readable ? in != 0 : mayRead || in == 0))
				&& (!(op->arg[1] & SHIM_POLLOUT) || !writable || out != 0),
			"poll: revents %s, but %d frame(s) to read%s and %s", fz_poll_events(pollfd.revents),
			ifc->to_app.count, ifc->arp_replies > 0 ? " (maybe ARP replies)" : "",
			writable ? "room to write" : "perhaps no room to write");
	}
	return status;
}

/* universal (frame_log.c): an up interface nothing went to or from in the input */
static void
idle_poll(int slot)
{
	int64 usable;
	struct iface* ifc = slot_iface(slot, &usable);
	if (usable != B_OK || !ifc->up || ifc->offered || ifc->arp_replies > 0)
		return;
	fz_idle_poll(fz_slot[slot], fz_sym_name(kNames, sSlotIf[slot]));
}

static void
run(const struct fz_program* program)
{
	for (int index = 0; index < IFACES; index++)
		iface_clear(&sIf[index]);
	memset(sSlotIf, 0, sizeof(sSlotIf));
	fz_frame_log_clear();
	for (int i = 0; i < program->count; i++) {
		const struct fz_op* op = &program->ops[i];
		int slot = (int)(op->arg[0] % FZ_SLOTS);
		int64 faults = fz_faults_injected(), status = 0;
		fz_begin_op(op);
		switch (op->code) {
			case OPEN:
				status = do_open(op, slot, faults);
				break;
			case CLOSE:
				status = shim_close(fz_slot[slot]);
				fz_expect1("close", status, fz_slot[slot] >= 0 ? B_OK : B_FILE_ERROR, faults);
				close_slot(slot);
				break;
			case WRITE:
			case WRITERAW:
				status = do_write(op, slot, faults);
				break;
			case READ:
				status = do_read(op, slot, faults);
				break;
			case SEND:
			case SENDRAW:
				status = do_send(op, faults);
				break;
			case RECEIVE:
				status = do_receive((int)op->arg[0], (size_t)op->arg[1] % FZ_FRAME_MAX,
					(bigtime_t)(op->arg[2] % 16) * 1000);
				break;
			case HEADER:
			case MTU:
			case QUEUE:
				status = do_set(op, slot, faults);
				break;
			case FAULT:
				fz_fault_arm((int)op->arg[0], op->arg[1], op->arg[2] != 0);
				break;
			case POLL:
				status = do_poll(op, slot);
				break;
			default:
				status = do_iface(op, faults);
		}
		fz_end_op(status);
		/* after every op that may move, drop or reject a frame (as ioctl.c): the counters hold
		 * and match the model. The others (create, delete, up, open, ipv4, fault, poll) move
		 * none by the contract; a counter one of them moved anyway stays wrong until a later
		 * check or the final check of every slot below (the counters only grow, and queued must
		 * equal enqueued - dequeued - dropped at every check). */
		if (op->code != CREATE && op->code != DELETE && op->code != UP && op->code != OPEN
			&& op->code != IPV4 && op->code != FAULT && op->code != POLL)
			check_stats(slot);
	}
	/* every frame written while up and not flushed reaches the stack (virtual time in the
	 * deterministic build) */
	fz_faults_off();
	for (int index = 0; index < IFACES; index++) {
		struct iface* ifc = &sIf[index];
		for (int i = 0; ifc->exists && ifc->up && i < ifc->to_stack.count; i++) {
			if (at(&ifc->to_stack, i)->maybe)
				continue;
			int op = at(&ifc->to_stack, i)->op;
			int64 status = do_receive(index, FZ_FRAME_MAX, DRAIN_TIMEOUT);
			FZ_CHECK_CONTRACT(status >= 0,
				"%s: the frame written by op [%d] never reached the stack (%s)",
				fz_sym_name(kNames, index), op, shim_status_name(status));
			i = -1; /* the queue moved: look again from its head */
		}
	}
	for (int slot = 0; slot < FZ_SLOTS; slot++) {
		check_stats(slot);
		idle_poll(slot);
	}
}

const struct fz_harness fz_harness = {
	.name = "frames",
	.ops = kOps,
	.op_count = sizeof(kOps) / sizeof(kOps[0]),
	.flags = FZ_TAPE,
	.run = run,
};
