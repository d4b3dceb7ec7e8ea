/* Packets of the unit engine: a link header, a sequence header (unit, direction, life, seq,
 * length), seeded filler and a checksum; the per-packet checks and the exact end-of-run counts. */
#include "stress.h"

#include <stddef.h>
#include <string.h>

#define PACKET_MAGIC 0x53545253u
#define TO_APP 1
#define TO_STACK 2
#define GAP_SCAN_LIMIT (RING_SIZE / 2)

struct packet_header {
	uint32 magic;
	uint16 unit;
	uint8 direction;
	uint8 zero;
	uint32 life;
	uint32 length;
	uint64 seq;
	uint32 check;
	uint32 pad;
};

static size_t
link_length(const struct unit* unit)
{
	return unit->config.tap ? 14 : 20; /* Ethernet header, or the IPv4 header the TUN rules want */
}

size_t
packet_min_length(const struct unit* unit)
{
	return link_length(unit) + sizeof(struct packet_header);
}

size_t
packet_max_length(const struct unit* unit)
{
	return TUNTAP_DEFAULT_MTU + (unit->config.tap ? 14 : 0);
}

static uint32
fnv_update(uint32 hash, const uint8* data, size_t length)
{
	for (size_t i = 0; i < length; i++)
		hash = (hash ^ data[i]) * 16777619u;
	return hash;
}

/* the checksum of a packet, its check field counted as zero */
static uint32
packet_checksum(const uint8* data, size_t length, size_t checkOffset)
{
	static const uint8 zero[4] = {0};
	uint32 hash = fnv_update(2166136261u, data, checkOffset);
	hash = fnv_update(hash, zero, sizeof(zero));
	return fnv_update(hash, data + checkOffset + 4, length - checkOffset - 4);
}

void
packet_build(const struct unit* unit, int toApp, uint32 life, uint64 seq, size_t length, uint8* out)
{
	size_t link = link_length(unit);
	int direction = toApp ? TO_APP : TO_STACK;
	if (unit->config.tap) {
		memset(out, 0xff, 6);
		const uint8 source[6] = {0x02, 0x53, 0x54, 0x52, (uint8)direction, (uint8)unit->index};
		memcpy(out + 6, source, sizeof(source));
		out[12] = 0x88; /* a local experimental EtherType */
		out[13] = 0xb5;
	} else {
		memset(out, 0, link);
		out[0] = 0x45; /* IPv4, 20-byte header */
		out[2] = (uint8)(length >> 8);
		out[3] = (uint8)length;
	}
	struct packet_header header = {.magic = PACKET_MAGIC,
		.unit = (uint16)unit->index,
		.direction = (uint8)direction,
		.life = life,
		.length = (uint32)length,
		.seq = seq};
	memcpy(out + link, &header, sizeof(header));
	uint64 x = seq * 0x9e3779b97f4a7c15ULL + (uint64)unit->index * 977 + (uint64)direction;
	for (size_t i = link + sizeof(header); i < length; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = (uint8)(x >> 56);
	}
	size_t checkOffset = link + offsetof(struct packet_header, check);
	uint32 check = packet_checksum(out, length, checkOffset);
	memcpy(out + checkOffset, &check, sizeof(check));
}

/* NULL if the packet is intact and belongs to this unit and direction */
static const char*
packet_verify(const struct unit* unit, int direction, const uint8* data, size_t length,
	struct packet_header* header)
{
	size_t link = link_length(unit);
	if (length < link + sizeof(*header))
		return "runt";
	memcpy(header, data + link, sizeof(*header));
	if (header->magic != PACKET_MAGIC)
		return "bad magic";
	if (header->length != length)
		return "length differs from the length written";
	if (header->unit != unit->index || header->direction != direction)
		return "packet of another unit or direction";
	size_t checkOffset = link + offsetof(struct packet_header, check);
	if (packet_checksum(data, length, checkOffset) != header->check)
		return "checksum mismatch (corrupted)";
	return NULL;
}

/* ---- marks: slot seq % RING_SIZE holds seq + 1 (0: empty) -------------------------------------
 * A slot can be taken over by a later sequence number (the sender may drop tens of thousands while
 * a reader sleeps): a mark then answers "unknown" rather than a wrong yes or no. */

enum mark { MARK_NO, MARK_YES, MARK_UNKNOWN };

static enum mark
mark_get(uint64* slots, uint64 seq)
{
	uint64 value = __atomic_load_n(&slots[seq % RING_SIZE], __ATOMIC_ACQUIRE);
	if (value == seq + 1)
		return MARK_YES;
	return value > seq + 1 ? MARK_UNKNOWN : MARK_NO;
}

/* mark seq; returns what was there for it */
static enum mark
mark_set(uint64* slots, uint64 seq)
{
	uint64* slot = &slots[seq % RING_SIZE];
	uint64 value = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	while (value < seq + 1
		   && !__atomic_compare_exchange_n(
			   slot, &value, seq + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
	}
	if (value == seq + 1)
		return MARK_YES;
	return value > seq + 1 ? MARK_UNKNOWN : MARK_NO;
}

void
stream_advance(struct stream* stream, uint64 seq, bool dropped)
{
	if (dropped) {
		mark_set(stream->dropped, seq);
		atomic_add64(&stream->tail_dropped, 1);
	} else
		atomic_add64(&stream->ok, 1);
	stream->next = seq + 1;
}

/* ---- per-packet checks --------------------------------------------------------------------- */

void
check_app_packet(struct worker* self, struct unit* unit, uint32 life, const uint8* data,
	ssize_t length, struct rx_state* state, bool single)
{
	struct packet_header header;
	const char* bad = packet_verify(unit, TO_APP, data, (size_t)length, &header);
	if (bad != NULL) {
		stress_fail(self, "%s: read %zd bytes: %s", unit->name, length, bad);
		return;
	}
	if (header.life != life) {
		stress_fail_contract(self,
			"%s: packet seq %llu of life %u read on life %u (crossed a delete)", unit->name,
			(unsigned long long)header.seq, header.life, life);
	}
	if (state->have && state->life == life && header.seq <= state->last) {
		stress_fail_contract(self, "%s: read seq %llu after seq %llu: duplicated or reordered",
			unit->name, (unsigned long long)header.seq, (unsigned long long)state->last);
	}
	if (mark_get(unit->to_app.dropped, header.seq) == MARK_YES) {
		stress_fail_contract(self,
			"%s: seq %llu was counted as dropped (send_data B_WOULD_BLOCK) yet "
			"delivered",
			unit->name, (unsigned long long)header.seq);
	}
	if (mark_set(unit->to_app.seen, header.seq) == MARK_YES) {
		stress_fail(
			self, "%s: seq %llu delivered twice", unit->name, (unsigned long long)header.seq);
	}
	if (single && state->have && state->life == life && header.seq > state->last + 1) {
		/* a single reader within one life: everything skipped must be a counted drop */
		uint64 end = header.seq;
		if (end - state->last > GAP_SCAN_LIMIT)
			end = state->last + GAP_SCAN_LIMIT;
		for (uint64 seq = state->last + 1; seq < end; seq++) {
			enum mark mark = mark_get(unit->to_app.dropped, seq);
			if (mark == MARK_UNKNOWN)
				break;
			if (mark == MARK_NO) {
				stress_fail_contract(self,
					"%s: seq %llu lost: sent (B_OK), never read, not dropped "
					"(read seq %llu after %llu)",
					unit->name, (unsigned long long)seq, (unsigned long long)header.seq,
					(unsigned long long)state->last);
				break;
			}
		}
	}
	state->life = life;
	state->last = header.seq;
	state->have = true;
	atomic_add64(&unit->reads_ok, 1);
	atomic_add64(&unit->to_app.received, 1);
	atomic_add64(&gStress.packets, 1);
}

void
check_stack_frame(struct worker* self, struct unit* unit, uint32 life, const uint8* data,
	ssize_t length, struct rx_state* state, bool consecutive)
{
	struct packet_header header;
	const char* bad = packet_verify(unit, TO_STACK, data, (size_t)length, &header);
	if (bad != NULL) {
		stress_fail(self, "%s: stack received %zd bytes: %s", unit->name, length, bad);
		return;
	}
	if (header.life != life) {
		stress_fail_contract(self,
			"%s: frame seq %llu written on life %u reached the stack on life %u", unit->name,
			(unsigned long long)header.seq, header.life, life);
	}
	if (state->have && header.seq <= state->last) {
		stress_fail_contract(self, "%s: stack got seq %llu after seq %llu: duplicated or reordered",
			unit->name, (unsigned long long)header.seq, (unsigned long long)state->last);
	} else if (consecutive && state->have && state->life == life && header.seq != state->last + 1) {
		stress_fail_contract(self,
			"%s: stack got seq %llu after seq %llu: writes accepted while up "
			"were lost",
			unit->name, (unsigned long long)header.seq, (unsigned long long)state->last);
	}
	state->life = life;
	state->last = header.seq;
	state->have = true;
	atomic_add64(&unit->stack_received, 1);
	atomic_add64(&unit->to_stack.received, 1);
	atomic_add64(&gStress.packets, 1);
}

static void
check_queue_identity(struct worker* self, const char* name, const char* which,
	const struct tuntap_queue_stats* queue)
{
	if (queue->enqueued != queue->dequeued + queue->dropped + queue->queued) {
		stress_fail_contract(self,
			"%s: %s enqueued %llu != dequeued %llu + dropped %llu + queued %llu", name, which,
			(unsigned long long)queue->enqueued, (unsigned long long)queue->dequeued,
			(unsigned long long)queue->dropped, (unsigned long long)queue->queued);
	}
}

void
check_stats_identity(struct worker* self, const char* name, const struct tuntap_stats* stats)
{
	check_queue_identity(self, name, "to_app", &stats->to_app);
	check_queue_identity(self, name, "to_stack", &stats->to_stack);
}

/* ---- exact end of a stable unit ------------------------------------------------------------ */

status_t
unit_stats(struct worker* self, struct unit* unit, int fd, struct tuntap_stats* stats)
{
	op_begin(self, OP_IOCTL, unit->index, gStress.call_bound);
	status_t status = shim_ioctl_buf(fd, TUNTAP_GET_STATS, stats, sizeof(*stats), sizeof(*stats));
	op_end(self, OP_IOCTL);
	return status;
}

/* a stable unit's counters: failing to get them is a failure */
static bool
get_stats(struct worker* self, struct unit* unit, struct tuntap_stats* stats)
{
	status_t status = unit_stats(self, unit, unit->fd, stats);
	if (status != B_OK)
		stress_fail_contract(
			self, "%s: TUNTAP_GET_STATS: %s", unit->name, shim_status_name(status));
	return status == B_OK;
}

#define EXPECT_COUNT(what, actual, expected)                                              \
	do {                                                                                  \
		if ((int64)(actual) != (int64)(expected)) {                                       \
			stress_fail_contract(self, "%s: %s is %lld, expected %lld", unit->name, what, \
				(long long)(actual), (long long)(expected));                              \
		}                                                                                 \
	} while (0)

void
unit_exact_end(struct worker* self, struct unit* unit)
{
	uint8 buffer[PACKET_MAX];
	struct rx_state drain = {0};
	op_begin(self, OP_IOCTL, unit->index, gStress.call_bound);
	shim_set_nonblocking(unit->fd, true);
	op_end(self, OP_IOCTL);
	for (;;) {
		op_begin(self, OP_READ, unit->index, gStress.call_bound);
		ssize_t length = shim_read(unit->fd, buffer, sizeof(buffer));
		op_end(self, OP_READ);
		if (length == B_WOULD_BLOCK)
			break;
		if (length <= 0) {
			stress_fail_contract(
				self, "%s: draining read: %s", unit->name, shim_status_name(length));
			return;
		}
		check_app_packet(self, unit, unit->life, buffer, length, &drain, false);
	}

	/* the stack's reader thread moves what is left of to_stack into the peer's capture */
	struct tuntap_stats stats;
	bigtime_t until = system_time() + 5 * SECOND;
	do {
		if (!get_stats(self, unit, &stats))
			return;
		if (stats.to_stack.queued == 0)
			break;
		snooze(1000);
	} while (system_time() < until);
	for (;;) {
		op_begin(self, OP_RECV, unit->index, gStress.call_bound);
		ssize_t length = shim_stack_receive(unit->name, buffer, sizeof(buffer), 0);
		op_end(self, OP_RECV);
		if (length == B_WOULD_BLOCK)
			break;
		if (length <= 0) {
			stress_fail_contract(
				self, "%s: draining the stack peer: %s", unit->name, shim_status_name(length));
			return;
		}
		check_stack_frame(self, unit, unit->life, buffer, length, &unit->stack_rx, unit->config.up);
	}

	struct shim_if_info info;
	if (!get_stats(self, unit, &stats) || shim_if_info(unit->name, &info) != B_OK)
		return;
	check_stats_identity(self, unit->name, &stats);
	const struct stream* toApp = &unit->to_app;
	/* every packet the stack sent was read once or counted as dropped, nothing else */
	EXPECT_COUNT("to_app.enqueued", stats.to_app.enqueued,
		atomic_get64((int64*)&toApp->ok) + atomic_get64((int64*)&toApp->tail_dropped));
	EXPECT_COUNT(
		"to_app.dropped", stats.to_app.dropped, atomic_get64((int64*)&toApp->tail_dropped));
	EXPECT_COUNT("to_app.dequeued", stats.to_app.dequeued, atomic_get64(&unit->reads_ok));
	EXPECT_COUNT("to_app.queued after draining", stats.to_app.queued, 0);
	EXPECT_COUNT("packets read", atomic_get64(&unit->reads_ok), atomic_get64((int64*)&toApp->ok));
	/* every write accepted was delivered to the stack (up) or counted as dropped (down) */
	int64 written = atomic_get64(&unit->writes_ok);
	EXPECT_COUNT("to_stack.enqueued", stats.to_stack.enqueued, written);
	EXPECT_COUNT("to_stack.queued after draining", stats.to_stack.queued, 0);
	if (unit->config.up) {
		EXPECT_COUNT("to_stack.dropped", stats.to_stack.dropped, 0);
		EXPECT_COUNT("to_stack.dequeued", stats.to_stack.dequeued, written);
		EXPECT_COUNT("frames receive_data delivered", info.received, written);
		EXPECT_COUNT("frames the stack peer received (+ lost to copy faults)",
			atomic_get64(&unit->stack_received) + atomic_get64(&unit->stack_lost), written);
	} else {
		EXPECT_COUNT("to_stack.dropped (down)", stats.to_stack.dropped, written);
		EXPECT_COUNT("frames receive_data delivered (down)", info.received, 0);
	}
	EXPECT_COUNT("truncated", stats.truncated, 0);
	EXPECT_COUNT("rejected", stats.rejected, 0);
}
