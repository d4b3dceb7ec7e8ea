/* The add-on's devfs driver part: what devfs looks up when /dev/tun or /dev/tap is first looked
 * up (publish_devices: the clone nodes), forwarding to the network module it gets with get_module.
 */

#include "tuntap_private.h"

#include <string.h>

/*
 * Why the clone nodes exist on a fresh boot, from Haiku's source. The stack loads a device module
 * only inside get_device_interface (network/stack/device_interfaces.cpp), when an interface is
 * created; its boot scans protocols only (stack.cpp). So nodes the module published would exist
 * only after some ifconfig. devfs, though, loads drivers itself: every lookup in a /dev directory
 * first scans it once (system/kernel/device_manager/devfs.cpp, devfs_lookup ->
 * scan_for_drivers_if_needed -> legacy_driver_probe). Scanning /dev publishes a directory for each
 * subdirectory of add-ons/kernel/drivers/dev (legacy_drivers.cpp, probe_for_drivers ->
 * devfs_publish_directory); scanning /dev/tun loads every file in drivers/dev/tun as a driver
 * (try_drivers -> add_driver -> load_driver), which needs publish_devices and find_device, calls
 * init_driver, and publishes each name publish_devices returns with the hooks find_device gives
 * (republish_driver). A driver that publishes devices stays loaded.
 *
 * make haiku-install links this add-on as drivers/dev/tun/tunnel and drivers/dev/tap/tunnel
 * (symlinks to network/devices/tunnel): an application's open("/dev/tun/clone") on a fresh boot
 * loads it, init_driver gets the network module (get_module: its dependencies, B_MODULE_INIT),
 * and the clone nodes are there. Through a symlink the kernel maps the file once
 * (elf.cpp, load_kernel_add_on: find_image_by_vnode), so both parts share one image; the hooks
 * are nevertheless taken from the module get_module returned, so a copy instead of a link (two
 * images) works the same. The second link makes add_driver find the driver again: Haiku marks it
 * updated and reloads it (uninit_driver, init_driver) when none of its devices is open; the
 * module, B_KEEP_LOADED, stays loaded throughout, and with it every hook a node or cookie holds.
 */

int32 api_version = B_CUR_DRIVER_API_VERSION;

static struct tuntap_module_info* sModule; /* between init_driver and uninit_driver */


status_t
init_driver(void)
{
	return get_module(TUNTAP_MODULE_NAME, (module_info**)&sModule);
}


void
uninit_driver(void)
{
	sModule = NULL;
	put_module(TUNTAP_MODULE_NAME);
}


const char**
publish_devices(void)
{
	static const char* names[TUNTAP_FLAVOR_COUNT + 1];
	for (int i = 0; i < TUNTAP_FLAVOR_COUNT; i++)
		names[i] = kTuntapFlavors[i].clone_path;
	names[TUNTAP_FLAVOR_COUNT] = NULL;
	return names;
}


device_hooks*
find_device(const char* name)
{
	for (int i = 0; sModule != NULL && i < TUNTAP_FLAVOR_COUNT; i++) {
		if (strcmp(name, kTuntapFlavors[i].clone_path) == 0)
			return sModule->clone_hooks;
	}
	return NULL;
}
