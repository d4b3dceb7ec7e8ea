/* devfs's legacy drivers: the add-on's driver entry points loaded on demand when a /dev directory
 * it is linked under is first looked up, its devices published and counted as Haiku does. */
#include "dev/dev_private.h"

#include <fs/devfs.h>

/*
 * After Haiku's system/kernel/device_manager/legacy_drivers.cpp. A lookup in a devfs directory
 * scans it once (devfs.cpp, scan_for_drivers_if_needed -> legacy_driver_probe): the scan of /dev
 * publishes a directory for every subdirectory of drivers/dev (probe_for_drivers ->
 * devfs_publish_directory); the scan of /dev/<dir> loads every driver file in drivers/dev/<dir>
 * (try_drivers -> legacy_driver_add -> add_driver -> load_driver: init_hardware, init_driver,
 * then publish_devices and find_device -> republish_driver). A driver already known (the same
 * file name found again, under another directory) is only marked binary_updated, and the next
 * first open of one of its devices (LegacyDevice::InitDevice) reloads it: uninit_driver and an
 * image reference dropped, then load_driver again.
 *
 * The shim has at most one driver: the boot's add-on, when it exports publish_devices and
 * find_device, linked under the directories its exports name (as make haiku-install links it).
 * Not modelled: the kernel daemon that reloads an updated driver within a second
 * (handle_driver_events) and node monitoring of the driver directories; nothing in a shim boot
 * changes a driver file.
 */

/* Haiku's ENXIO (Errors.h: B_POSIX_ERROR_BASE + 11), what load_driver returns for a failed init */
#define HAIKU_ENXIO (B_POSIX_ERROR_BASE + 11)

struct legacy_device {
	struct legacy_device* next;   /* every device of this boot, published or not */
	struct legacy_driver* driver; /* NULL after its last UninitDevice, as LegacyDevice does */
	char path[64];
	int32 initialized; /* InitDevice calls not yet undone */
	bool published;
	bool republished;
};

struct legacy_driver {
	const struct shim_driver_exports* exports;
	bool known;  /* in Haiku's sDriverHash: found by a probe */
	bool loaded; /* image >= 0: init_driver ran, uninit_driver not yet */
	bool binary_updated;
	uint32 devices_used;
	int32 loads; /* load_driver successes since boot (tests) */
};

static struct shim_recursive_lock sLock = SHIM_RECURSIVE_LOCK_INITIALIZER("legacy driver");
static struct legacy_driver sDriver;
static struct legacy_device* sDevices;

static status_t load_driver(struct legacy_driver* driver);
static status_t legacy_init_device(void* device);
static void legacy_uninit_device(void* device);

static const struct devfs_device_ops kLegacyDeviceOps = {legacy_init_device, legacy_uninit_device};

static struct legacy_device*
find_published(const char* path)
{
	for (struct legacy_device* device = sDevices; device != NULL; device = device->next) {
		if (device->published && shim_str_equal(device->path, path))
			return device;
	}
	return NULL;
}

static status_t
unload_driver(struct legacy_driver* driver)
{
	if (!driver->loaded)
		return B_NO_INIT;
	if (driver->exports->uninit_driver != NULL)
		driver->exports->uninit_driver();
	driver->loaded = false;
	driver->binary_updated = false;
	shim_image_release(); /* unload_kernel_add_on */
	return B_OK;
}

static void
unpublish_device(struct legacy_device* device)
{
	device->published = false;
	devfs_unpublish_device(device->path, true);
}

/* republish_driver(): publish what publish_devices() names now, unpublish what it no longer does */
static status_t
republish_driver(struct legacy_driver* driver)
{
	if (!driver->loaded)
		return load_driver(driver);

	for (struct legacy_device* device = sDevices; device != NULL; device = device->next)
		device->republished = false;

	const char** paths = driver->exports->publish_devices();
	int32 exported = 0;
	for (; paths != NULL && paths[0] != NULL; paths++) {
		struct legacy_device* device = find_published(paths[0]);
		if (device != NULL) {
			device->republished = true;
			exported++;
		}
		device_hooks* hooks = driver->exports->find_device(paths[0]);
		if (hooks == NULL)
			continue;
		if (device != NULL) {
			devfs_set_hooks(device->path, hooks); /* LegacyDevice::SetHooks */
			continue;
		}
		device = shim_host_alloc(sizeof(struct legacy_device));
		memset(device, 0, sizeof(*device));
		device->driver = driver;
		strlcpy(device->path, paths[0], sizeof(device->path));
		device->next = sDevices;
		sDevices = device;
		if (devfs_publish_node(device->path, hooks, &kLegacyDeviceOps, device) == B_OK) {
			device->published = true;
			device->republished = true;
			exported++;
		}
	}

	for (struct legacy_device* device = sDevices; device != NULL; device = device->next) {
		if (device->published && !device->republished)
			unpublish_device(device);
	}
	if (exported == 0 && driver->devices_used == 0)
		unload_driver(driver);
	return B_OK;
}

/* load_driver(): the image, api_version, the mandatory symbols, init_hardware and init_driver
 * (uninit_hardware, which Haiku looks up too and no header declares, is not modelled) */
static status_t
load_driver(struct legacy_driver* driver)
{
	const struct shim_driver_exports* exports = driver->exports;
	driver->binary_updated = false;
	shim_image_acquire(); /* load_kernel_add_on */

	status_t status = B_OK;
	if (exports->api_version != NULL
		&& (*exports->api_version > B_CUR_DRIVER_API_VERSION || *exports->api_version < 1)) {
		dprintf("devfs: \"%s\" api_version %" B_PRId32 " not handled\n", exports->name,
			*exports->api_version);
		status = B_BAD_VALUE;
	} else if (exports->publish_devices == NULL || exports->find_device == NULL) {
		dprintf("devfs: \"%s\" mandatory driver symbol(s) missing!\n", exports->name);
		status = B_BAD_VALUE;
	} else if (exports->init_hardware != NULL && exports->init_hardware() != B_OK)
		status = HAIKU_ENXIO;
	else if (exports->init_driver != NULL && exports->init_driver() != B_OK)
		status = HAIKU_ENXIO;
	if (status != B_OK) {
		shim_image_release();
		return status;
	}
	driver->loaded = true;
	driver->loads++;
	return republish_driver(driver);
}

static status_t
reload_driver(struct legacy_driver* driver)
{
	unload_driver(driver);
	status_t status = load_driver(driver);
	if (status != B_OK) {
		/* unpublish_driver() */
		for (struct legacy_device* device = sDevices; device != NULL; device = device->next) {
			if (device->published)
				unpublish_device(device);
		}
	}
	return status;
}

/* LegacyDevice::InitDevice: the first open of a device reloads a driver that is not loaded or
 * was updated, if none of its devices is in use */
static status_t
legacy_init_device(void* _device)
{
	struct legacy_device* device = _device;
	shim_recursive_lock(&sLock);
	status_t status = B_OK;
	if (device->initialized++ == 0) {
		struct legacy_driver* driver = device->driver;
		if (driver != NULL && driver->devices_used == 0
			&& (!driver->loaded || driver->binary_updated))
			status = reload_driver(driver);
		if (status == B_OK && driver != NULL)
			driver->devices_used++;
	}
	shim_recursive_unlock(&sLock);
	return status;
}

/* LegacyDevice::UninitDevice: after the free hook (or a failed open) */
static void
legacy_uninit_device(void* _device)
{
	struct legacy_device* device = _device;
	shim_recursive_lock(&sLock);
	if (device->initialized-- == 1 && device->driver != NULL) {
		struct legacy_driver* driver = device->driver;
		bool anyPublished = false;
		for (struct legacy_device* other = sDevices; other != NULL; other = other->next)
			anyPublished = anyPublished || (other->published && other->driver == driver);
		if (--driver->devices_used == 0 && !anyPublished)
			unload_driver(driver);
		device->driver = NULL;
	}
	shim_recursive_unlock(&sLock);
}

/* add_driver(): a new driver is loaded; one found again is marked updated */
static void
add_driver(struct legacy_driver* driver)
{
	if (driver->known) {
		driver->binary_updated = true;
		return;
	}
	driver->known = true;
	/* even if loading fails, the entry stays (Haiku: "so that we don't have to go through it
	 * again"); the next open of a device of it tries again */
	load_driver(driver);
}

void
shim_legacy_probe(const char* directory)
{
	const struct shim_driver_exports* exports = sDriver.exports;
	if (exports == NULL)
		return;
	shim_recursive_lock(&sLock);
	for (int i = 0; exports->directories[i] != NULL; i++) {
		if (directory[0] == '\0') {
			/* probe_for_drivers("drivers/dev"): its subdirectories become directories */
			devfs_publish_directory(exports->directories[i]);
		} else if (shim_str_equal(directory, exports->directories[i])) {
			/* try_drivers(): the image is loaded around legacy_driver_add() */
			shim_image_acquire();
			add_driver(&sDriver);
			shim_image_release();
		}
	}
	shim_recursive_unlock(&sLock);
}

void
shim_legacy_init(const struct shim_driver_exports* exports)
{
	shim_recursive_lock(&sLock);
	memset(&sDriver, 0, sizeof(sDriver));
	sDriver.exports = exports;
	while (sDevices != NULL) {
		struct legacy_device* device = sDevices;
		sDevices = device->next;
		shim_host_free(device);
	}
	shim_recursive_unlock(&sLock);
}

void
shim_legacy_fini(void)
{
	/* the shim's shutdown only (Haiku keeps a driver that publishes devices): its devices go,
	 * then uninit_driver and the image reference */
	shim_recursive_lock(&sLock);
	for (struct legacy_device* device = sDevices; device != NULL; device = device->next) {
		if (device->published)
			unpublish_device(device);
	}
	unload_driver(&sDriver);
	shim_recursive_unlock(&sLock);
}

void
shim_devfs_driver_info(struct shim_devfs_driver* info)
{
	shim_recursive_lock(&sLock);
	info->known = sDriver.known;
	info->loaded = sDriver.loaded;
	info->binary_updated = sDriver.binary_updated;
	info->devices_used = sDriver.devices_used;
	info->loads = sDriver.loads;
	shim_recursive_unlock(&sLock);
}
