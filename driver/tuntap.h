/* Public ABI of the Haiku TUN/TAP driver: device paths, ioctl codes and their structs.
 * Applications include this; ioctl arguments are always passed by pointer (len may be 0). */
#ifndef _TUNTAP_H
#define _TUNTAP_H

#include <SupportDefs.h>
#include <Drivers.h>

/* Device nodes (relative to /dev). A unit's node exists while interface tun/N or tap/N exists. */
#define TUNTAP_TUN_PREFIX "tun/"
#define TUNTAP_TAP_PREFIX "tap/"
/* Opening a clone node creates the lowest free unit of that kind and binds the descriptor to it. */
#define TUNTAP_TUN_CLONE "tun/clone"
#define TUNTAP_TAP_CLONE "tap/clone"

#define TUNTAP_MAX_UNIT 65535 /* unit numbers are 0..TUNTAP_MAX_UNIT */
#define TUNTAP_NAME_LENGTH 32 /* == IF_NAMESIZE, includes the NUL */

#define TUNTAP_DEFAULT_MTU 1500
#define TUNTAP_MIN_MTU 68
#define TUNTAP_MAX_MTU 16384
#define TUNTAP_DEFAULT_QUEUE_PACKETS 256
#define TUNTAP_DEFAULT_QUEUE_BYTES (256 * 1024)

/* Private ioctls start after Haiku's generic device op codes. */
#define TUNTAP_IOCTL_BASE (B_DEVICE_OP_CODES_END + 0x100)
enum {
	TUNTAP_GET_NAME = TUNTAP_IOCTL_BASE, /* out: char[TUNTAP_NAME_LENGTH], e.g. "tun/3" */
	TUNTAP_GET_INFO,                     /* out: struct tuntap_info */
	TUNTAP_SET_INFO,                     /* in: struct tuntap_info (mtu, queue limits) */
	TUNTAP_GET_MTU,                      /* out: uint32 */
	TUNTAP_SET_MTU,                      /* in: uint32, TUNTAP_MIN_MTU..TUNTAP_MAX_MTU */
	TUNTAP_GET_HEADER_MODE,              /* out: uint32 TUNTAP_HEADER_* */
	TUNTAP_SET_HEADER_MODE,              /* in: uint32 TUNTAP_HEADER_* (TUN only) */
	TUNTAP_GET_STATS,                    /* out: struct tuntap_stats */
	TUNTAP_SET_HWADDR,                   /* in: uint8[6], TAP only: a unicast MAC, while down */
	TUNTAP_IOCTL_LAST = TUNTAP_SET_HWADDR
};

enum {
	TUNTAP_MODE_TUN = 1, /* raw IPv4/IPv6 packets */
	TUNTAP_MODE_TAP = 2  /* Ethernet frames */
};

enum {
	TUNTAP_HEADER_NONE = 0, /* packets as they are */
	TUNTAP_HEADER_AF = 1    /* TUN: a 4-byte big-endian Haiku address family precedes each packet */
};

struct tuntap_info {
	uint32 mode; /* TUNTAP_MODE_*; read-only */
	uint32 unit; /* read-only */
	uint32 mtu;
	uint32 header_mode;   /* read-only here, see TUNTAP_SET_HEADER_MODE */
	uint32 queue_packets; /* per-direction limit in packets, 1..4096 */
	uint32 queue_bytes;   /* per-direction limit in bytes, >= mtu + header */
	uint32 flags;         /* interface flags (IFF_*) as the stack set them; read-only */
	uint8 hwaddr[6];      /* TAP: the interface's MAC address; read-only here, see
						   * TUNTAP_SET_HWADDR */
	uint8 reserved[2];
};

/* Each direction: enqueued == dequeued + dropped + queued at all times.
 * "enqueued" counts every packet offered to the queue, including tail drops. */
struct tuntap_queue_stats {
	uint64 enqueued;
	uint64 dequeued;
	uint64 dropped;      /* tail drops + packets flushed by down/close/delete */
	uint64 queued;       /* packets in the queue now */
	uint64 queued_bytes; /* bytes in the queue now */
	uint64 bytes;        /* bytes dequeued */
};

struct tuntap_stats {
	struct tuntap_queue_stats to_app;   /* stack -> application (read) */
	struct tuntap_queue_stats to_stack; /* application (write) -> stack */
	uint64 truncated;                   /* reads whose buffer was smaller than the packet */
	uint64 rejected;                    /* writes refused: bad length or not IP (TUN) */
};

#endif
