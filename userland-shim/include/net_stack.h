/* Shim: the parts of the network stack module interface (private/net/net_stack.h) the driver
 * uses: frame types, domains, device removal. */
#ifndef SHIM_NET_STACK_H
#define SHIM_NET_STACK_H

#include <lock.h>
#include <module.h>
#include <net_buffer.h>
#include <util/list.h>

#define NET_STACK_MODULE_NAME "network/stack/v1"

struct net_device;
typedef struct net_domain net_domain;

#define B_NET_FRAME_TYPE(super, sub) (((int32)(super) << 16) | (sub))
enum {
	B_NET_FRAME_TYPE_IPV4 = 0x0001,
	B_NET_FRAME_TYPE_IPV6 = 0x0002,
	B_NET_FRAME_TYPE_ALL = 0x0000
};

/* A queue of net_buffers bounded in bytes, with a semaphore its readers wait on (Haiku's layout;
 * implemented in userland-shim/net/fifo.c after Haiku's stack/utility.cpp). */
typedef struct net_fifo {
	mutex lock;
	sem_id notify;
	int32 waiting;

	size_t max_bytes;
	size_t current_bytes;

	struct list buffers;
} net_fifo;

struct net_stack_module_info {
	module_info info;

	net_domain* (*get_domain)(int family);
	status_t (*device_removed)(struct net_device* device);

	status_t (*init_fifo)(net_fifo* fifo, const char* name, size_t maxBytes);
	void (*uninit_fifo)(net_fifo* fifo);
	status_t (*fifo_enqueue_buffer)(net_fifo* fifo, net_buffer* buffer);
	ssize_t (*fifo_dequeue_buffer)(
		net_fifo* fifo, uint32 flags, bigtime_t timeout, net_buffer** _buffer);
	status_t (*clear_fifo)(net_fifo* fifo);
};

#endif
