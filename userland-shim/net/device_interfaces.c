/* Network stack model, device side: Haiku's net_device_interface (stack/device_interfaces.cpp):
 * modules asked in turn for a name, up and down with the reader thread, uninit at the last ref. */
#include "shim_private.h"

#include <stdio.h>
#include <string.h>

#include "net/net_private.h"

#define DEVICE_MODULE_PREFIX "network/devices/"
#define MODULE_NAME_LENGTH 256 /* B_FILE_NAME_LENGTH, get_device_interface's buffer */
#define READER_PRIORITY (B_REAL_TIME_DISPLAY_PRIORITY - 10)
#define READER_ERROR_SNOOZE 10000 /* device_reader_thread: "give the other threads some time" */

/* Haiku's sLock of device_interfaces.cpp: the device list and every reference count */
static mutex sDeviceLock = MUTEX_INITIALIZER("shim device interfaces");
static struct shim_device_interface* sDevices;
static uint32 sDeviceIndex;
/* Device interfaces are the model's own: the driver never sees one (it gets its net_device
 * back), so reusing them costs no driver finding, and saves an ASan malloc and free per create */
static SHIM_OBJECT_CACHE(sDeviceCache, sizeof(struct shim_device_interface));
/* readers that took their own interface down: nobody could join them then */
/* interfaces.c's interface_removed_device_interface(), handed over at boot (no two-way calls) */
static void (*sInterfaceRemoved)(const char* name);
static thread_id* sZombies;
static int sZombieCount;
static int sZombieCapacity;


/* ---- readers nobody could join -------------------------------------------------------------- */

void
shim_reap_readers(void)
{
	mutex_lock(&sDeviceLock);
	thread_id* zombies = sZombies;
	int count = sZombieCount;
	sZombies = NULL;
	sZombieCount = sZombieCapacity = 0;
	mutex_unlock(&sDeviceLock);
	if (zombies == NULL)
		return;
	for (int i = 0; i < count; i++)
		wait_for_thread(zombies[i], NULL);
	shim_host_free(zombies);
}

static void
add_zombie(thread_id thread)
{
	mutex_lock(&sDeviceLock);
	if (sZombieCount == sZombieCapacity) {
		int capacity = sZombieCapacity == 0 ? 8 : sZombieCapacity * 2;
		thread_id* zombies = shim_host_alloc(sizeof(thread_id) * capacity);
		if (sZombieCount > 0)
			memcpy(zombies, sZombies, sizeof(thread_id) * sZombieCount);
		shim_host_free(sZombies);
		sZombies = zombies;
		sZombieCapacity = capacity;
	}
	sZombies[sZombieCount++] = thread;
	mutex_unlock(&sDeviceLock);
}


/* ---- references ----------------------------------------------------------------------------- */

static struct shim_device_interface*
find_locked(const char* name)
{
	for (struct shim_device_interface* interface = sDevices; interface != NULL;
		 interface = interface->next) {
		if (shim_str_equal(interface->name, name))
			return interface;
	}
	return NULL;
}

static struct shim_device_interface*
allocate_locked(const char* name, net_device* device, struct net_device_module_info* module)
{
	struct shim_device_interface* interface = shim_cache_alloc(&sDeviceCache);
	memset(interface, 0, sizeof(struct shim_device_interface));
	if (shim_capture_init(&interface->capture, name) != B_OK) {
		shim_cache_free(&sDeviceCache, interface);
		return NULL;
	}
	/* the name fits: the caller terminated it at IF_NAMESIZE - 1 */
	memcpy(interface->name, name, strnlen(name, sizeof(interface->name) - 1));
	mutex_init(&interface->op_lock, "shim device interface ops");
	interface->device = device;
	interface->module = module;
	interface->reader = -1;
	interface->refs = 1;
	device->index = ++sDeviceIndex;
	device->module = module;
	struct shim_device_interface** link = &sDevices;
	while (*link != NULL)
		link = &(*link)->next;
	*link = interface;
	return interface;
}

struct shim_device_interface*
shim_get_device_interface(const char* name, bool create)
{
	mutex_lock(&sDeviceLock);
	struct shim_device_interface* interface = find_locked(name);
	if (interface != NULL) {
		/* still listed: the next ifconfig of the name gets the old device, not a new one */
		if (!interface->busy && interface->refs > 0)
			interface->refs++;
		else
			interface = NULL;
		mutex_unlock(&sDeviceLock);
		return interface;
	}
	if (!create) {
		mutex_unlock(&sDeviceLock);
		return NULL;
	}

	/* Offer the name to every device module in turn, in the module list's order, under the
	 * device lock: the only place Haiku loads device modules (device_interfaces.cpp,
	 * get_device_interface; stack.cpp's boot scans protocols and datalink protocols only). A
	 * module that refuses is put again, and unloaded unless B_KEEP_LOADED or still held. */
	void* list = open_module_list(DEVICE_MODULE_PREFIX);
	while (list != NULL) {
		char moduleName[MODULE_NAME_LENGTH];
		size_t length = sizeof(moduleName);
		if (read_next_module_name(list, moduleName, &length) != B_OK)
			break;
		struct net_device_module_info* module;
		if (get_module(moduleName, (module_info**)&module) != B_OK)
			continue;
		net_device* device = NULL;
		if (module->init_device(name, &device) == B_OK) {
			interface = allocate_locked(name, device, module);
			if (interface != NULL)
				break;
			module->uninit_device(device);
		}
		put_module(moduleName);
	}
	if (list != NULL)
		close_module_list(list);
	mutex_unlock(&sDeviceLock);
	return interface;
}

/* acquire_device_interface(): one more reference to a listed device interface */
void
shim_device_interface_acquire(struct shim_device_interface* interface)
{
	mutex_lock(&sDeviceLock);
	interface->refs++;
	mutex_unlock(&sDeviceLock);
}

static int64 sUninitTime; /* shim_uninit_device_time() */

bigtime_t
shim_uninit_device_time(void)
{
	return atomic_get64(&sUninitTime);
}

/* put_device_interface(): the last reference unlists it and runs uninit_device in this thread */
void
shim_put_device_interface(struct shim_device_interface* interface)
{
	mutex_lock(&sDeviceLock);
	bool last = --interface->refs == 0;
	if (last) {
		struct shim_device_interface** link = &sDevices;
		while (*link != interface)
			link = &(*link)->next;
		*link = interface->next;
		/* what user memory brought in lives in the units: none is left (kern_leak.c) */
		if (sDevices == NULL)
			shim_leak_forget_external();
	}
	mutex_unlock(&sDeviceLock);
	if (!last)
		return;

	const char* moduleName = interface->module->info.name;
	shim_capture_close(&interface->capture);
	shim_capture_uninit(&interface->capture);
	atomic_set64(&sUninitTime, system_time());
	interface->module->uninit_device(interface->device); /* status ignored, as in Haiku */
	put_module(moduleName);
	mutex_destroy(&interface->op_lock);
	shim_cache_free(&sDeviceCache, interface);
}


/* ---- up, down, the reader thread ------------------------------------------------------------ */

/* device_reader_thread(): every error but B_DEVICE_NOT_FOUND is counted and costs a 10 ms snooze,
 * the one that ends a down included; B_DEVICE_NOT_FOUND removes the device and ends the thread */
static status_t
reader_thread(void* data)
{
	struct shim_device_interface* interface = data;
	net_device* device = interface->device;
	struct net_device_module_info* module = interface->module;
	status_t status = B_OK;

	while ((__atomic_load_n(&device->flags, __ATOMIC_SEQ_CST) & IFF_UP) != 0) {
		net_buffer* buffer = NULL;
		status = module->receive_data(device, &buffer);
		if (status == B_OK) {
			if (buffer == NULL)
				panic("%s: receive_data returned B_OK without a buffer", interface->name);
			shim_peer_deliver(interface, buffer);
		} else if (status == B_DEVICE_NOT_FOUND) {
			shim_device_removed(device);
			break;
		} else {
			atomic_add64(&interface->receive_errors, 1);
			__atomic_fetch_add(&device->stats.receive.errors, 1, __ATOMIC_SEQ_CST);
			snooze(READER_ERROR_SNOOZE);
		}
	}
	return status;
}

/* up_device_interface(): a reader spawn failure returns it, the driver's up not undone and
 * IFF_UP not set, as in Haiku */
status_t
shim_up_device_interface(struct shim_device_interface* interface)
{
	mutex_lock(&interface->op_lock);
	if (interface->up_count != 0) {
		interface->up_count++;
		mutex_unlock(&interface->op_lock);
		return B_OK;
	}
	net_device* device = interface->device;
	status_t status = interface->module->up(device);
	if (status == B_OK && interface->module->receive_data != NULL) {
		char name[B_OS_NAME_LENGTH];
		snprintf(name, sizeof(name), "%s reader", interface->name);
		thread_id reader = spawn_kernel_thread(reader_thread, name, READER_PRIORITY, interface);
		if (reader < 0)
			status = reader;
		interface->reader = reader;
	}
	if (status == B_OK) {
		__atomic_fetch_or(&device->flags, IFF_UP, __ATOMIC_SEQ_CST);
		if (interface->reader >= 0)
			resume_thread(interface->reader);
		interface->up_count = 1;
	}
	mutex_unlock(&interface->op_lock);
	return status;
}

/* down_device_interface() at the last up: clear IFF_UP, down hook, join the reader (unless we
 * are the reader) */
void
shim_down_device_interface(struct shim_device_interface* interface)
{
	mutex_lock(&interface->op_lock);
	if (interface->up_count == 0 || --interface->up_count != 0) {
		mutex_unlock(&interface->op_lock);
		return;
	}
	__atomic_fetch_and(&interface->device->flags, ~(uint32)IFF_UP, __ATOMIC_SEQ_CST);
	interface->module->down(interface->device);
	thread_id reader = interface->reader;
	interface->reader = -1;
	mutex_unlock(&interface->op_lock);
	if (reader < 0)
		return;
	if (reader == find_thread(NULL))
		add_zombie(reader);
	else
		wait_for_thread(reader, NULL);
}

/* device_removed(): B_BUSY while one is in progress; the interface using the device goes as if
 * deleted, and the device with the last reference */
status_t
shim_device_removed(net_device* device)
{
	mutex_lock(&sDeviceLock);
	struct shim_device_interface* interface = sDevices;
	while (interface != NULL && interface->device != device)
		interface = interface->next;
	status_t status = B_OK;
	if (interface == NULL)
		status = B_DEVICE_NOT_FOUND;
	else if (interface->busy)
		status = B_BUSY;
	else {
		interface->refs++;
		interface->busy = true;
	}
	mutex_unlock(&sDeviceLock);
	if (status != B_OK)
		return status;

	sInterfaceRemoved(interface->name);
	shim_put_device_interface(interface);
	return B_OK;
}


/* ---- boot and shutdown ---------------------------------------------------------------------- */

void
shim_device_interfaces_reset(void (*interfaceRemoved)(const char* name))
{
	sDeviceIndex = 0;
	atomic_set64(&sUninitTime, 0);
	sInterfaceRemoved = interfaceRemoved;
}

int
shim_device_interface_count(void)
{
	int count = 0;
	mutex_lock(&sDeviceLock);
	for (struct shim_device_interface* interface = sDevices; interface != NULL;
		 interface = interface->next)
		count++;
	mutex_unlock(&sDeviceLock);
	return count;
}
