/* Private seam of the network stack model (stack.c, stack_peer.c, stack_calls.c, net_buffer.c,
 * boot.c): the interface object, the capture queue and the peer. Not for tests or the driver. */
#ifndef SHIM_NET_PRIVATE_H
#define SHIM_NET_PRIVATE_H

#include "shim_private.h"

#include <lock.h>
#include <net_buffer.h>
#include <net_device.h>
#include <util/list.h>

#define SHIM_CAPTURE_MAX_FRAMES 4096

/* ---- net_buffer.c ------------------------------------------------------------------------- */
extern struct net_buffer_module_info gShimNetBufferModule;
/* give the idle buffers back to the host heap (shutdown); their storage stays cached */
void shim_net_buffer_flush_cache(void);

/* ---- stack.c: one device interface -------------------------------------------------------- */
struct shim_capture {
	mutex lock;
	sem_id sem;         /* one count per queued frame; deleted when the interface goes */
	struct list frames; /* net_buffers, linked through their link member */
	int32 count;
	int64 dropped; /* frames lost to the bound */
};

struct shim_interface {
	struct shim_interface* next; /* on the stack's list, under the device lock */
	int32 refs;                  /* list + lookups + the reader thread */
	char name[IF_NAMESIZE];
	net_device* device;
	struct net_device_module_info* module;
	mutex op_lock; /* serializes up, down and delete */
	bool removed;  /* off the list (device lock) */
	bool up;       /* up hook called, reader running (op_lock) */
	thread_id reader;
	int32 has_ipv4;                                                 /* atomic */
	int32 ipv4;                                                     /* atomic, network byte order */
	int64 received, receive_errors, sent, send_errors, arp_replies; /* atomic */
	struct shim_capture capture;
};

/* find an interface by name and take a reference, NULL if there is none */
struct shim_interface* shim_stack_get_interface(const char* name);
void shim_stack_put_interface(struct shim_interface* interface);

/* ---- stack_peer.c ------------------------------------------------------------------------- */
status_t shim_capture_init(struct shim_capture* capture, const char* name);
/* wake and fail every waiter; frames stay until shim_capture_uninit() */
void shim_capture_close(struct shim_capture* capture);
void shim_capture_uninit(struct shim_capture* capture);
/* the oldest captured frame (the caller frees it), waiting up to `timeout`; B_DEVICE_NOT_FOUND once
 * the interface is gone */
status_t shim_capture_pop(struct shim_capture* capture, bigtime_t timeout, net_buffer** _buffer);
/* a frame receive_data delivered: count it, capture it, let the peer answer it */
void shim_peer_deliver(struct shim_interface* interface, net_buffer* buffer);
/* send_data with the stack's bookkeeping: counted (with *counter too, if not NULL) before the
 * driver can make the frame visible, and on error uncounted and freed by the stack */
status_t shim_stack_transmit(struct shim_interface* interface, net_buffer* buffer, int64* counter);

#endif
