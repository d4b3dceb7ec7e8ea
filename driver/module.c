/* The modules the driver imports: module_dependencies[] and the pointers the loader fills in
 * before std_ops runs. A leaf: the other files use these, and this one uses nothing of theirs. */

#include "tuntap_private.h"

struct net_buffer_module_info* gBufferModule;
struct net_stack_module_info* gStackModule;
struct tuntap_datalink_module_info* gDatalinkModule;


module_dependency module_dependencies[] = {{NET_STACK_MODULE_NAME, (module_info**)&gStackModule},
	{NET_BUFFER_MODULE_NAME, (module_info**)&gBufferModule},
	{TUNTAP_DATALINK_MODULE_NAME, (module_info**)&gDatalinkModule}, {}};
