/* Module glue: the add-on's modules[] and module_dependencies[], and std_ops, which publishes
 * the clone nodes and refuses to unload while any unit or descriptor still exists. */

#include "tuntap_private.h"

#include <fs/devfs.h>
#include <stdarg.h>

struct net_buffer_module_info* gBufferModule;
struct net_stack_module_info* gStackModule;
struct tuntap_datalink_module_info* gDatalinkModule;


status_t
tuntap_std_ops(int32 op, ...)
{
	switch (op) {
		case B_MODULE_INIT: {
			status_t status = tuntap_units_init(&gTuntapDeviceHooks);
			if (status != B_OK)
				return status;
			for (int i = 0; i < TUNTAP_FLAVOR_COUNT; i++) {
				status = devfs_publish_device(kTuntapFlavors[i].clone_path, &gTuntapDeviceHooks);
				if (status != B_OK) {
					while (--i >= 0)
						devfs_unpublish_device(kTuntapFlavors[i].clone_path, false);
					return status;
				}
			}
			return B_OK;
		}

		case B_MODULE_UNINIT:
			/* devfs takes no module reference: our hooks must outlive every node and cookie */
			if (tuntap_live_objects() != 0)
				return B_BUSY;
			for (int i = TUNTAP_FLAVOR_COUNT - 1; i >= 0; i--)
				devfs_unpublish_device(kTuntapFlavors[i].clone_path, false);
			tuntap_units_uninit();
			return B_OK;
	}
	return B_ERROR;
}


module_dependency module_dependencies[] = {{NET_STACK_MODULE_NAME, (module_info**)&gStackModule},
	{NET_BUFFER_MODULE_NAME, (module_info**)&gBufferModule},
	{TUNTAP_DATALINK_MODULE_NAME, (module_info**)&gDatalinkModule}, {}};

module_info* modules[] = {(module_info*)&gTuntapModule, NULL};
