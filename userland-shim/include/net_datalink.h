/* Shim: the datalink module's control entry (private/net/net_datalink.h): SIOCAIFADDR creates an
 * interface by name, SIOCDIFADDR with AF_UNSPEC deletes it, as Haiku's datalink_control does. */
#ifndef SHIM_NET_DATALINK_H
#define SHIM_NET_DATALINK_H

#include <net_stack.h>

#define NET_DATALINK_MODULE_NAME "network/stack/datalink/v1"

struct net_datalink_module_info {
	module_info info;

	status_t (*control)(net_domain* domain, int32 option, void* value, size_t* _length);
};

#endif
