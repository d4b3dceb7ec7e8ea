/* Shim: the parts of the network stack module interface (private/net/net_stack.h) the driver
 * uses: frame types, domains, device removal. */
#ifndef SHIM_NET_STACK_H
#define SHIM_NET_STACK_H

#include <module.h>
#include <net_buffer.h>

#define NET_STACK_MODULE_NAME "network/stack/v1"

struct net_device;
typedef struct net_domain net_domain;

#define B_NET_FRAME_TYPE(super, sub) (((int32)(super) << 16) | (sub))
enum {
	B_NET_FRAME_TYPE_IPV4 = 0x0001,
	B_NET_FRAME_TYPE_IPV6 = 0x0002,
	B_NET_FRAME_TYPE_ALL = 0x0000
};

struct net_stack_module_info {
	module_info info;

	net_domain* (*get_domain)(int family);
	status_t (*device_removed)(struct net_device* device);
};

#endif
