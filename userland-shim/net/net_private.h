/* Private seam of the network stack model (device_interfaces.c, interfaces.c, stack_peer.c,
 * stack_calls.c, net_buffer.c, boot.c): its two interface objects, the capture and the peer. */
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
/* the stack's own append (its frames, ARP replies): a read of such a buffer into user memory is
 * not checked for an info leak, the frame may hold any bytes (kern_leak.c) */
status_t shim_net_buffer_append_frame(net_buffer* buffer, const void* frame, size_t bytes);

/* ---- device_interfaces.c: Haiku's net_device_interface (stack/device_interfaces.cpp) ------- */
struct shim_capture {
	mutex lock;
	sem_id sem;         /* one count per queued frame; deleted when the interface goes */
	struct list frames; /* net_buffers, linked through their link member */
	int32 count;
	int64 dropped; /* frames lost to the bound */
};

/* One per device: listed by its name until the last reference goes; then uninit_device runs, in
 * whichever thread dropped it (put_device_interface), possibly a driver freeing a buffer. */
struct shim_device_interface {
	struct shim_device_interface* next; /* on the device list, under the device lock */
	int32 refs;                         /* the Interface using it, device_removed, lookups */
	bool busy;                          /* device_removed is taking it down (device lock) */
	char name[IF_NAMESIZE];
	net_device* device;
	struct net_device_module_info* module;
	mutex op_lock;  /* Haiku's receive_lock: serializes up and down */
	int32 up_count; /* op_lock */
	thread_id reader;
	int32 has_ipv4;                                                 /* atomic */
	int32 ipv4;                                                     /* atomic, network byte order */
	int64 received, receive_errors, sent, send_errors, arp_replies; /* atomic */
	int64 unhandled; /* atomic: delivered frames no receive handler took (freed, as Haiku does) */
	int64 link_addressed; /* atomic: TUN frames delivered with an AF_LINK destination */
	int64 changes;        /* atomic: notify_interface_changed() calls (SIOCSIFMTU) */
	struct shim_capture capture;
};

/* Haiku's get_device_interface(name, create): the listed one (a reference), or, with `create`, a
 * new one from the first device module whose init_device takes the name; NULL if none */
struct shim_device_interface* shim_get_device_interface(const char* name, bool create);
void shim_device_interface_acquire(struct shim_device_interface* interface);
void shim_put_device_interface(struct shim_device_interface* interface);
/* up_device_interface / down_device_interface; the caller holds a reference */
status_t shim_up_device_interface(struct shim_device_interface* interface);
void shim_down_device_interface(struct shim_device_interface* interface);
/* the device modules' device_removed (net_stack_module_info) */
status_t shim_device_removed(net_device* device);
/* join readers that took their own interface down (they cannot join themselves) */
void shim_reap_readers(void);
/* boot: device indexes start again at 1; `interfaceRemoved` is interface_removed_device_interface()
 * (device_removed takes down the interface on a removed device as if deleted) */
void shim_device_interfaces_reset(void (*interfaceRemoved)(const char* name));
int shim_device_interface_count(void); /* listed ones, deleted interfaces' included */

/* ---- interfaces.c: Haiku's Interface and InterfaceAddress (stack/interfaces.cpp) ----------- */
/* What ifconfig names: listed until deleted, alive until its last reference (the list's, its
 * address's, lookups'); it holds its device interface. Its one address is referenced by the
 * interface and by every buffer the stack sends through it, as Haiku's routes and copy_metadata
 * do: a buffer the driver still holds keeps the device (and the unit) alive. */
struct shim_interface_address {
	struct shim_interface* interface; /* net_buffer::interface_address points here: an opaque */
	int32 refs; /* struct net_interface_address to the driver; the interface's own until delete,
				 * and each buffer's */
};

struct shim_interface {
	struct shim_interface* next; /* on the interface list, under the interface lock */
	int32 refs;
	char name[IF_NAMESIZE];
	struct shim_device_interface* device_interface;
	struct shim_interface_address address;
	mutex op_lock; /* Haiku's Interface lock: serializes up, down and delete */
	bool up;       /* this interface holds one up of its device interface (op_lock) */
	bool removed;  /* off the list (op_lock and the interface lock) */
};

/* find an interface by name and take a reference, NULL if there is none */
struct shim_interface* shim_stack_get_interface(const char* name);
void shim_stack_put_interface(struct shim_interface* interface);
/* a reference to the interface's address, for a buffer the stack sends; NULL once deleted */
struct net_interface_address* shim_stack_get_address(struct shim_interface* interface);
/* what free and copy_metadata do with net_buffer::interface_address */
void shim_stack_acquire_address(struct net_interface_address* address);
void shim_stack_put_address(struct net_interface_address* address);
/* ---- stack_peer.c ------------------------------------------------------------------------- */
status_t shim_capture_init(struct shim_capture* capture, const char* name);
/* wake and fail every waiter; frames stay until shim_capture_uninit() */
void shim_capture_close(struct shim_capture* capture);
void shim_capture_uninit(struct shim_capture* capture);
/* the oldest captured frame (the caller frees it), waiting up to `timeout`; B_DEVICE_NOT_FOUND once
 * the interface is gone */
status_t shim_capture_pop(struct shim_capture* capture, bigtime_t timeout, net_buffer** _buffer);
/* a frame receive_data delivered: count it, capture it, let the peer answer it */
void shim_peer_deliver(struct shim_device_interface* interface, net_buffer* buffer);
/* send_data with the stack's bookkeeping: counted (with *counter too, if not NULL) before the
 * driver can make the frame visible, and on error uncounted and freed by the stack */
status_t shim_stack_transmit(
	struct shim_device_interface* interface, net_buffer* buffer, int64* counter);

/* ---- fifo.c: the stack module's buffer fifos (Haiku's stack/utility.cpp) ------------------- */
struct net_fifo;
status_t shim_init_fifo(struct net_fifo* fifo, const char* name, size_t maxBytes);
void shim_uninit_fifo(struct net_fifo* fifo);
status_t shim_fifo_enqueue_buffer(struct net_fifo* fifo, net_buffer* buffer);
ssize_t shim_fifo_dequeue_buffer(
	struct net_fifo* fifo, uint32 flags, bigtime_t timeout, net_buffer** _buffer);
status_t shim_clear_fifo(struct net_fifo* fifo);

#endif
