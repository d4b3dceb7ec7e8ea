/* Internal structures of the TUN/TAP driver: units, cookies, queues, wait queues, and the
 * prototypes the driver's files share. Lock order: sUnitsLock, then a unit's lock. */
#ifndef _TUNTAP_PRIVATE_H
#define _TUNTAP_PRIVATE_H

#include <stdlib.h>

#include <Drivers.h>
#include <KernelExport.h>
#include <OS.h>
#include <lock.h>
#include <module.h>
#include <fs/select_sync_pool.h>
#include <net/if.h>
#include <net_buffer.h>
#include <net_device.h>
#include <net_stack.h>
#include <util/list.h>

#include "tuntap.h"

#define TUNTAP_MODULE_NAME "network/devices/tunnel/v1"

/* Haiku's net_datalink.h is C++ only. The driver needs just the datalink module's first hook,
 * control (SIOCAIFADDR creates an interface, as ifconfig does), so it declares that prefix of
 * struct net_datalink_module_info itself. */
#define TUNTAP_DATALINK_MODULE_NAME "network/stack/datalink/v1"
struct tuntap_datalink_module_info {
	module_info info;
	status_t (*control)(net_domain* domain, int32 option, void* value, size_t* _length);
};

/* The kernel's random source, as Haiku's own tunnel driver uses it for its MACs (through
 * secure_get_random<uint8>()). Haiku declares it in private/kernel/util/Random.h, which C cannot
 * include (its <smp.h> pulls in C++ boot headers), so the driver repeats the C declaration
 * (extern "C" there); tools/symbol-audit.sh checks it against Haiku's. */
unsigned int secure_random_value(void);

/* module.c: the imported modules (module_dependencies[] fills them in) */
extern struct net_buffer_module_info* gBufferModule;
extern struct net_stack_module_info* gStackModule;
extern struct tuntap_datalink_module_info* gDatalinkModule;
/* devfs_hooks.c: the hooks of every node the driver publishes */
extern device_hooks gTuntapDeviceHooks;
/* The exported module: Haiku's net_device_module_info (what the stack calls), then what the
 * add-on's devfs driver part (devfs_driver.c) asks the module for once it got it with
 * get_module(): the hooks of the clone nodes. The stack reads only the first part. */
struct tuntap_module_info {
	struct net_device_module_info device;
	device_hooks* clone_hooks;
};
/* net_device_hooks.c: the exported module (modules[]), std_ops and the net_device hooks */
extern struct tuntap_module_info gTuntapModule;

/* ---- flavor.c: what makes a unit TUN or TAP, as data --------------------------------------- */

/* One entry per kind of unit, found by name prefix or clone node. Where TUN and TAP differ only in
 * a name or a number, the code reads a field; where they behave differently (what a packet is),
 * it asks `carries_ip`. */
typedef struct tuntap_flavor {
	uint32 mode;            /* TUNTAP_MODE_*: TUNTAP_GET_INFO's mode, and the order units sort in */
	const char* prefix;     /* of the interface and node names, before the unit number: "tun/" */
	const char* clone_path; /* the clone node, relative to /dev: "tun/clone" */
	uint32 if_type;         /* net_device type (IFT_*) */
	uint32 if_flags;        /* net_device flags (IFF_*) of a new interface */
	size_t link_header;     /* link-layer header every packet starts with: 0, or Ethernet's */
	size_t address_length;  /* link-layer address (a MAC, made from the unit number) or 0 */
	size_t min_packet;      /* the shortest write, after the link header and the AF prefix */
	/* raw IPv4/IPv6: the version nibble is checked and sets the frame type, and the AF prefix
	 * header mode (which names the packet's IP family) exists */
	bool carries_ip;
} tuntap_flavor;

#define TUNTAP_FLAVOR_COUNT 2
/* TUN, then TAP: the order of TUNTAP_MODE_* */
extern const tuntap_flavor kTuntapFlavors[TUNTAP_FLAVOR_COUNT];

/* ---- packet_queue.c: bounded FIFO of net_buffers (linked through buffer->link) ------------- */

typedef struct packet_queue {
	struct list packets;
	uint32 max_packets;
	size_t max_bytes;
	uint32 count;
	size_t bytes;
	uint64 enqueued;
	uint64 dequeued;
	uint64 dropped;
	uint64 dequeued_bytes;
} packet_queue;

void packet_queue_init(packet_queue* queue, uint32 maxPackets, size_t maxBytes);
/* would a packet of `size` bytes be accepted now */
bool packet_queue_has_room(const packet_queue* queue, size_t size);
/* B_OK: the queue owns the buffer. B_WOULD_BLOCK: full, counted as enqueued and dropped; the
 * caller still owns the buffer */
status_t packet_queue_enqueue(packet_queue* queue, net_buffer* buffer);
net_buffer* packet_queue_head(packet_queue* queue);
net_buffer* packet_queue_dequeue(packet_queue* queue);
/* count a packet that was offered and dropped without ever being queued */
void packet_queue_count_drop(packet_queue* queue);
/* free every queued packet, counting each as dropped; returns how many. Only where no driver
 * lock is held: see packet_queue_detach() */
uint32 packet_queue_flush(packet_queue* queue);
/* Move every queued packet to `dropped` (a list linked through net_buffer::link), counting each
 * as dropped, for packet_queue_free_detached() once the unit lock is released: freeing a stack
 * buffer releases its interface address, which can be the interface's and its device's last
 * reference, and then uninit_device (our revoke) runs in the freeing thread (Haiku's
 * net_buffer.cpp, free_buffer -> interfaces.cpp, ~Interface -> device_interfaces.cpp,
 * put_device_interface). Under the unit lock that is a recursive lock: found by
 * test_delete's delete-with-queued-packets tests once the shim modelled the references. */
uint32 packet_queue_detach(packet_queue* queue, struct list* dropped);
void packet_queue_free_detached(struct list* dropped);
/* an empty list for packet_queue_detach() */
void packet_queue_init_detached(struct list* dropped);
void packet_queue_get_stats(const packet_queue* queue, struct tuntap_queue_stats* stats);

/* ---- wait_queue.c: sleep on a semaphore without losing a wake-up --------------------------- */

/* The semaphore count is the wake-up token: a waker releases one token per waiter it wakes,
 * so a waiter that registered (under the owner's lock) but has not reached acquire_sem yet
 * still finds its token. */
typedef struct tuntap_wait_queue {
	sem_id sem;
	int32 waiters; /* registered and not yet woken; under the owner's lock */
} tuntap_wait_queue;

status_t tuntap_wait_queue_init(tuntap_wait_queue* queue, const char* name);
void tuntap_wait_queue_destroy(tuntap_wait_queue* queue);
/* Called and returns with `lock` held; sleeps without it. Returns B_OK when woken (the caller
 * re-checks its predicate), or the acquire error (B_INTERRUPTED, B_WOULD_BLOCK...). */
status_t tuntap_wait_queue_wait(tuntap_wait_queue* queue, mutex* lock, uint32 flags);
/* wake one waiter or all of them; called with the owner's lock held */
void tuntap_wait_queue_wake(tuntap_wait_queue* queue, bool all);

/* ---- unit_table.c: units, their lifetime and the table ------------------------------------- */

typedef struct tuntap_cookie tuntap_cookie;

typedef struct tuntap_unit {
	net_device device;           /* first: the stack's net_device* is a tuntap_unit* */
	struct list_link link;       /* in sUnits, sorted by flavor (mode) then number */
	const tuntap_flavor* flavor; /* TUN or TAP: an entry of kTuntapFlavors */
	int32 ref_count;             /* the table's + one per cookie */
	uint32 number;
	char lock_name[32]; /* "tuntap unit tap/0": a stall dump names the unit whose lock is held */

	mutex lock;           /* everything below */
	bool published;       /* node published, visible to open */
	bool gone;            /* uninit_device ran: every call fails */
	bool up;              /* between the up and down hooks */
	tuntap_cookie* owner; /* the open descriptor, exclusive */
	uint32 header_mode;
	packet_queue to_app;
	packet_queue to_stack;
	uint64 truncated;
	uint64 rejected;
	tuntap_wait_queue stack_waiters; /* the stack's reader thread: data, down or gone */
	select_sync_pool* select_pool;
} tuntap_unit;

/* An open descriptor. Its readers and writers sleep on its own queues, not the unit's: the
 * tokens its close releases can only wake its own threads. With one queue per unit, a reader of
 * the next descriptor on the unit could take the token of a reader of the closed one that had
 * registered but not yet slept, and that one slept on in a closed descriptor (found by the ops
 * fuzzer: corpora/regressions/ops/close-reopen-token-theft.txt). */
struct tuntap_cookie {
	tuntap_unit* unit;
	int32 nonblocking;               /* atomic: O_NONBLOCK / B_SET_NONBLOCKING_IO */
	bool closed;                     /* close hook ran; under the unit's lock */
	tuntap_wait_queue read_waiters;  /* its readers: data, close or gone; under the unit's lock */
	tuntap_wait_queue write_waiters; /* its writers: room, down, close or gone */
};

/* `hooks`: what every unit's node is published with */
status_t tuntap_units_init(device_hooks* hooks);
void tuntap_units_uninit(void);
/* units plus cookies alive: the module must stay loaded while this is not 0 */
int32 tuntap_live_objects(void);
void tuntap_cookie_count(int32 delta);

/* "tun/12" -> flavor and number; B_BAD_VALUE for anything else */
status_t tuntap_parse_name(const char* name, const tuntap_flavor** flavor, uint32* number);
void tuntap_format_name(char* name, const tuntap_flavor* flavor, uint32 number);
/* allocate, publish and list a unit; unwinds completely on failure */
status_t tuntap_unit_create(const char* name, tuntap_unit** _unit);
/* revoke: unlist, mark gone, flush, wake everybody, unpublish, drop the table's reference */
void tuntap_unit_revoke(tuntap_unit* unit);
/* References: every tuntap_unit_get() that returned a unit, and every tuntap_unit_ref(), is
 * paired with one tuntap_unit_put(); the last put frees the unit. */
/* find a published, live unit by name and take a reference; NULL if there is none */
tuntap_unit* tuntap_unit_get(const char* name);
/* take another reference on a unit the caller already holds (the stack's net_device*) */
void tuntap_unit_ref(tuntap_unit* unit);
void tuntap_unit_put(tuntap_unit* unit);

/* clone allocation: reserve the lowest free number of `flavor` (not listed, not reserved) */
status_t tuntap_reserve_number(const tuntap_flavor* flavor, uint32* number);
void tuntap_unreserve_number(const tuntap_flavor* flavor, uint32 number);

/* ---- framing.c: what a packet must look like ------------------------------------------------ */

size_t tuntap_header_length(const tuntap_unit* unit);
/* the largest write accepted: MTU + link header + header-mode prefix */
size_t tuntap_max_write(const tuntap_unit* unit);
/* length check, before any allocation: B_OK or B_BAD_VALUE */
status_t tuntap_check_write_length(const tuntap_unit* unit, size_t length);
/* protocol check on the first bytes of a write (TUN: IP version, AF prefix), before any
 * allocation; sets *_type (B_NET_FRAME_TYPE_* for TUN, 0 for TAP) and *_skip (prefix bytes) */
status_t tuntap_check_write_header(const tuntap_unit* unit, const uint8* head, size_t headLength,
	size_t length, int32* _type, size_t* _skip);
/* bytes to copy before a packet on read (TUN AF prefix), and that prefix */
size_t tuntap_read_prefix(const tuntap_unit* unit, net_buffer* buffer, uint8 prefix[4]);
/* can the stack send this buffer on this unit (size within MTU + link header); *_type: the frame
 * type its IP version names (TUN; 0 for TAP), for the caller to set once the buffer is its own */
status_t tuntap_check_send(const tuntap_unit* unit, net_buffer* buffer, int32* _type);
/* a written IP packet's buffer: its type and unspecified addresses of its family, for the stack
 * (create_buffer() does not reset them) */
void tuntap_set_ip_metadata(net_buffer* buffer, int32 type);

/* ---- readiness.c: what a unit's state means to those waiting on it ------------------------ */

/* readiness predicates, the same ones read, write and select use; unit lock held */
bool tuntap_readable(const tuntap_unit* unit);
bool tuntap_writable(const tuntap_unit* unit);
/* notify selectors of the transitions since (wasReadable, wasWritable); unit lock held */
void tuntap_notify_transitions(tuntap_unit* unit, bool wasReadable, bool wasWritable);
/* the owner's blocked readers or writers (all, or one), with the unit's lock held: only the
 * open descriptor, the owner, has threads waiting for data or room */
void tuntap_wake_readers(tuntap_unit* unit, bool all);
void tuntap_wake_writers(tuntap_unit* unit, bool all);

/* ---- ioctl.c --------------------------------------------------------------------------------- */

status_t tuntap_control(void* cookie, uint32 op, void* data, size_t length);

/* ---- mtu.c ----------------------------------------------------------------------------------- */

void tuntap_mtu_init(void);
/* the set_mtu hook's work: B_BAD_VALUE out of range or too large for the queues,
 * B_DEVICE_NOT_FOUND for a unit that is gone or that the calling thread did not ask for */
status_t tuntap_set_mtu(tuntap_unit* unit, size_t mtu);
/* a descriptor's new MTU: through the stack's SIOCSIFMTU (which calls the set_mtu hook and
 * notifies the network monitors), no driver lock held */
status_t tuntap_stack_set_mtu(tuntap_unit* unit, uint32 mtu);

#endif
