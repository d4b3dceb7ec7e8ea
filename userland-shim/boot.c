/* Boot and shutdown of the shim: kernel core, devfs, stack modules, the driver add-on registered
 * (loaded on demand, as Haiku does); shutdown tears all of it down so tests can boot again. */
#include "shim_private.h"

#include "host/host.h"

#include <string.h>

#include "net/net_private.h"

/* where make haiku-install puts the add-on: kernel/network/devices/tunnel */
#define ADDON_IMAGE_NAME "network/devices/tunnel"

/* the linked driver add-on's exports; weak so that binaries without a driver link */
extern module_info* modules[] __attribute__((weak));
extern module_dependency module_dependencies[] __attribute__((weak));
/* its devfs driver part, if it has one (Drivers.h): Haiku's own tunnel driver has none */
#pragma weak api_version
#pragma weak init_hardware
#pragma weak init_driver
#pragma weak uninit_driver
#pragma weak publish_devices
#pragma weak find_device

/* where make haiku-install links the add-on under drivers/dev (driver/haiku/build.sh) */
static const char* const kDriverDirectories[] = {"tun", "tap", NULL};

/* what a SIGQUIT prints before the process ends (host_on_quit) */
static void
stall_dump(void)
{
	shim_dump_threads(stderr);
	fflush(stderr);
}

status_t
shim_boot_with(module_info** addonModules, module_dependency* addonDependencies)
{
	return shim_boot_addon(addonModules, addonDependencies, NULL);
}

status_t
shim_boot_addon(module_info** addonModules, module_dependency* addonDependencies,
	const struct shim_driver_exports* driver)
{
	host_on_quit(stall_dump);
	shim_kern_init();
	shim_module_reset();
	shim_image_reset(addonModules != NULL ? ADDON_IMAGE_NAME : NULL);
	shim_addon_image_load();
	shim_devfs_init();
	shim_legacy_init(driver);
	shim_stack_init();
	shim_module_register(&gShimNetBufferModule.info, NULL);

	/* Registered, not loaded: Haiku's stack loads a device module only when an interface is
	 * created (get_device_interface); its boot scans protocol modules only (stack.cpp). */
	status_t status = shim_module_register_image(addonModules, addonDependencies);
	if (status != B_OK) {
		dprintf("shim: cannot register the add-on's modules\n");
		return status;
	}
	host_sched_booted();
	return B_OK;
}

status_t
shim_boot(void)
{
	static struct shim_driver_exports driver = {
		.name = "tunnel", /* the add-on's file, linked as drivers/dev/tun/tunnel and tap/tunnel */
		.directories = kDriverDirectories,
	};
	driver.api_version = &api_version != NULL ? &api_version : NULL;
	driver.init_hardware = init_hardware;
	driver.init_driver = init_driver;
	driver.uninit_driver = uninit_driver;
	driver.publish_devices = publish_devices;
	driver.find_device = find_device;
	/* a devfs driver is an image exporting publish_devices and find_device (load_driver) */
	bool isDriver = publish_devices != NULL && find_device != NULL;
	return shim_boot_addon(modules, module_dependencies, isDriver ? &driver : NULL);
}

status_t
shim_shutdown(void)
{
	shim_stack_fini();
	shim_devfs_fini();
	shim_legacy_fini();
	status_t status = shim_module_unload_all();
	shim_net_buffer_flush_cache();
	shim_module_reset();

	/* Everything is gone now, so every live-object counter must be 0: this is the leak check
	 * every test and fuzz input ends with. kern_fini resets the counters for the next boot. */
	struct shim_objects nothing = {0};
	if (shim_leak_check(&nothing, "shim_shutdown") != 0 && status == B_OK)
		status = B_ERROR;

	shim_kern_fini();
	return status;
}
