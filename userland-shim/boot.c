/* Boot and shutdown of the shim: kernel core, devfs, stack modules, the driver add-on's modules
 * probed as Haiku's stack does at boot; shutdown tears all of it down so tests can boot again. */
#include "shim_private.h"

#include "host/host.h"

#include <string.h>

#include "net/net_private.h"

#define DEVICE_MODULE_PREFIX "network/devices/"

/* the linked driver add-on's exports; weak so that binaries without a driver link */
extern module_info* modules[] __attribute__((weak));
extern module_dependency module_dependencies[] __attribute__((weak));

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
	host_on_quit(stall_dump);
	shim_kern_init();
	shim_module_reset();
	shim_addon_image_load();
	shim_devfs_init();
	shim_stack_init();
	shim_module_register(&gShimNetBufferModule.info, NULL);

	for (int i = 0; addonModules != NULL && addonModules[i] != NULL; i++) {
		status_t status = shim_module_register(addonModules[i], addonDependencies);
		if (status != B_OK) {
			dprintf("shim: cannot register module %s\n", addonModules[i]->name);
			return status;
		}
	}

	/* the stack loads every device module once at boot; B_KEEP_LOADED ones stay loaded */
	for (int i = 0; addonModules != NULL && addonModules[i] != NULL; i++) {
		const char* name = addonModules[i]->name;
		if (strncmp(name, DEVICE_MODULE_PREFIX, strlen(DEVICE_MODULE_PREFIX)) != 0)
			continue;
		module_info* info;
		if (get_module(name, &info) == B_OK)
			put_module(name);
	}
	host_sched_booted();
	return B_OK;
}

status_t
shim_boot(void)
{
	return shim_boot_with(modules, module_dependencies);
}

status_t
shim_shutdown(void)
{
	shim_stack_fini();
	shim_devfs_fini();
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
