/* Network stack model: device interfaces driven through net_device modules in the order of
 * Haiku's device_interfaces.cpp (init, up + reader thread, down + join, uninit on delete). */
#include "shim_private.h"

#include <stdio.h>
#include <string.h>

#include <net_datalink.h>
#include <net_stack.h>
#include <sys/sockio.h>

#include "net/net_private.h"

#define DEVICE_MODULE_PREFIX "network/devices/"
#define READER_PRIORITY (B_REAL_TIME_DISPLAY_PRIORITY - 10)

struct net_domain {
	int family;
};

static mutex sDeviceLock = MUTEX_INITIALIZER("shim device interfaces");
static struct shim_interface* sInterfaces;
static uint32 sDeviceIndex;
/* Interfaces are the model's own: the driver never sees one (it gets its net_device back), so
 * reusing them costs no driver finding, and saves an ASan malloc and free per create */
static SHIM_OBJECT_CACHE(sInterfaceCache, sizeof(struct shim_interface));
/* readers that removed their own interface: nobody could join them then */
static thread_id* sZombies;
static int sZombieCount;
static int sZombieCapacity;

static struct net_domain sInetDomain = {AF_INET};
static struct net_domain sInet6Domain = {AF_INET6};

static status_t stack_device_removed(net_device* device);


/* ---- interface objects --------------------------------------------------------------------- */

static struct shim_interface*
find_locked(const char* name)
{
	for (struct shim_interface* interface = sInterfaces; interface != NULL;
		 interface = interface->next) {
		if (shim_str_equal(interface->name, name))
			return interface;
	}
	return NULL;
}

struct shim_interface*
shim_stack_get_interface(const char* name)
{
	if (name == NULL)
		return NULL;
	mutex_lock(&sDeviceLock);
	struct shim_interface* interface = find_locked(name);
	if (interface != NULL)
		interface->refs++;
	mutex_unlock(&sDeviceLock);
	return interface;
}

/* the last reference: uninit_device and put_module, as Haiku's put_device_interface() */
static void
destroy_interface(struct shim_interface* interface)
{
	const char* moduleName = interface->module->info.name;
	shim_capture_uninit(&interface->capture);
	interface->module->uninit_device(interface->device); /* status ignored, as in Haiku */
	put_module(moduleName);
	mutex_destroy(&interface->op_lock);
	shim_cache_free(&sInterfaceCache, interface);
}

void
shim_stack_put_interface(struct shim_interface* interface)
{
	mutex_lock(&sDeviceLock);
	bool last = --interface->refs == 0;
	mutex_unlock(&sDeviceLock);
	if (last)
		destroy_interface(interface);
}

static bool
is_removed(struct shim_interface* interface)
{
	mutex_lock(&sDeviceLock);
	bool removed = interface->removed;
	mutex_unlock(&sDeviceLock);
	return removed;
}

static void
reap_zombies(void)
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


/* ---- up, down, the reader thread ------------------------------------------------------------ */

static status_t
reader_thread(void* data)
{
	struct shim_interface* interface = data;
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
			/* the device is gone: remove its interface ourselves (Haiku's device_removed) */
			if (stack_device_removed(device) != B_BUSY)
				break;
			snooze(10000);
		} else {
			if ((__atomic_load_n(&device->flags, __ATOMIC_SEQ_CST) & IFF_UP) == 0)
				break; /* the error that ends a down is not counted */
			atomic_add64(&interface->receive_errors, 1);
			__atomic_fetch_add(&device->stats.receive.errors, 1, __ATOMIC_SEQ_CST);
			snooze(10000);
		}
	}
	shim_stack_put_interface(interface);
	return status;
}

/* with op_lock held */
static status_t
do_up(struct shim_interface* interface)
{
	if (interface->up)
		return B_OK;
	net_device* device = interface->device;
	status_t status = interface->module->up(device);
	if (status != B_OK)
		return status;

	thread_id reader = -1;
	if (interface->module->receive_data != NULL) {
		char name[B_OS_NAME_LENGTH];
		snprintf(name, sizeof(name), "%s reader", interface->name);
		mutex_lock(&sDeviceLock);
		interface->refs++; /* the reader's reference */
		mutex_unlock(&sDeviceLock);
		reader = spawn_kernel_thread(reader_thread, name, READER_PRIORITY, interface);
		if (reader < 0) {
			mutex_lock(&sDeviceLock);
			interface->refs--; /* not the last: the caller holds one */
			mutex_unlock(&sDeviceLock);
			/* Haiku leaves the device up here; undo it instead of leaking an up */
			interface->module->down(device);
			return reader;
		}
	}
	__atomic_fetch_or(&device->flags, IFF_UP, __ATOMIC_SEQ_CST);
	interface->reader = reader;
	interface->up = true;
	if (reader >= 0)
		resume_thread(reader);
	return B_OK;
}

/* with op_lock held: clear IFF_UP, down hook, join the reader (unless we are the reader) */
static void
do_down(struct shim_interface* interface)
{
	if (!interface->up)
		return;
	__atomic_fetch_and(&interface->device->flags, ~(uint32)IFF_UP, __ATOMIC_SEQ_CST);
	interface->module->down(interface->device);
	thread_id reader = interface->reader;
	interface->reader = -1;
	interface->up = false;
	if (reader < 0)
		return;
	if (reader == find_thread(NULL))
		add_zombie(reader);
	else
		wait_for_thread(reader, NULL);
}

/* with op_lock held and a reference: down, off the list, drop the list's reference */
static status_t
remove_interface(struct shim_interface* interface)
{
	if (is_removed(interface))
		return B_BAD_VALUE;
	do_down(interface);
	mutex_lock(&sDeviceLock);
	struct shim_interface** link = &sInterfaces;
	while (*link != interface)
		link = &(*link)->next;
	*link = interface->next;
	interface->removed = true;
	interface->refs--; /* the list's; the caller still holds one */
	mutex_unlock(&sDeviceLock);
	shim_capture_close(&interface->capture);
	return B_OK;
}

static status_t
stack_device_removed(net_device* device)
{
	mutex_lock(&sDeviceLock);
	struct shim_interface* interface = sInterfaces;
	while (interface != NULL && interface->device != device)
		interface = interface->next;
	if (interface != NULL)
		interface->refs++;
	mutex_unlock(&sDeviceLock);
	if (interface == NULL)
		return B_DEVICE_NOT_FOUND;

	/* an up, down or delete in progress may be waiting for this very reader: do not block */
	status_t status = mutex_trylock(&interface->op_lock);
	if (status == B_OK) {
		status = remove_interface(interface);
		mutex_unlock(&interface->op_lock);
		if (status != B_OK)
			status = B_DEVICE_NOT_FOUND;
	} else
		status = B_BUSY;
	shim_stack_put_interface(interface);
	return status;
}


/* ---- datalink control ------------------------------------------------------------------------ */

static struct shim_interface*
allocate_interface(const char* name, net_device* device, struct net_device_module_info* module)
{
	struct shim_interface* interface = shim_cache_alloc(&sInterfaceCache);
	memset(interface, 0, sizeof(struct shim_interface));
	if (shim_capture_init(&interface->capture, name) != B_OK) {
		shim_cache_free(&sInterfaceCache, interface);
		return NULL;
	}
	/* the name fits: datalink_control() terminates it at IF_NAMESIZE - 1 */
	memcpy(interface->name, name, strnlen(name, sizeof(interface->name) - 1));
	mutex_init(&interface->op_lock, "shim interface ops");
	interface->device = device;
	interface->module = module;
	interface->reader = -1;
	interface->refs = 1;
	return interface;
}

static void
set_ipv4(struct shim_interface* interface, const struct ifaliasreq* request)
{
	if (request->ifra_addr.ss_family != AF_INET)
		return;
	/* Haiku's sockaddr_in: len, family, port (2 bytes), then the address */
	int32 address;
	memcpy(&address, (const uint8*)&request->ifra_addr + 4, sizeof(address));
	atomic_set(&interface->ipv4, address);
	atomic_set(&interface->has_ipv4, 1);
}

static status_t
add_interface(const struct ifaliasreq* request)
{
	const char* name = request->ifra_name;
	mutex_lock(&sDeviceLock);
	struct shim_interface* interface = find_locked(name);
	if (interface != NULL) {
		set_ipv4(interface, request);
		mutex_unlock(&sDeviceLock);
		return B_OK;
	}

	/* offer the name to every device module, under the device lock, as Haiku does */
	status_t status = B_DEVICE_NOT_FOUND;
	for (int index = 0;; index++) {
		const char* moduleName = shim_module_name_at(DEVICE_MODULE_PREFIX, index);
		if (moduleName == NULL)
			break;
		struct net_device_module_info* module;
		if (get_module(moduleName, (module_info**)&module) != B_OK)
			continue;
		net_device* device = NULL;
		if (module->init_device(name, &device) == B_OK) {
			interface = allocate_interface(name, device, module);
			if (interface != NULL) {
				device->index = ++sDeviceIndex;
				device->module = module;
				set_ipv4(interface, request);
				struct shim_interface** link = &sInterfaces;
				while (*link != NULL)
					link = &(*link)->next;
				*link = interface;
				mutex_unlock(&sDeviceLock);
				return B_OK;
			}
			module->uninit_device(device);
			status = B_NO_MEMORY;
		}
		put_module(moduleName);
	}
	mutex_unlock(&sDeviceLock);
	return status;
}

static status_t
delete_interface(const char* name)
{
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	mutex_lock(&interface->op_lock);
	status_t status = remove_interface(interface);
	mutex_unlock(&interface->op_lock);
	shim_stack_put_interface(interface);
	return status;
}

static status_t
datalink_control(net_domain* domain, int32 option, void* value, size_t* _length)
{
	size_t length = _length != NULL ? *_length : 0;
	switch (option) {
		case SIOCAIFADDR: {
			struct ifaliasreq request;
			if (length > 0 && length < sizeof(request))
				return B_BAD_VALUE;
			if (value == NULL || user_memcpy(&request, value, sizeof(request)) != B_OK)
				return B_BAD_ADDRESS;
			request.ifra_name[IF_NAMESIZE - 1] = '\0';
			return add_interface(&request);
		}
		case SIOCDIFADDR: {
			struct ifreq request;
			if (length > 0 && length < sizeof(request))
				return B_BAD_VALUE;
			if (value == NULL || user_memcpy(&request, value, sizeof(request)) != B_OK)
				return B_BAD_ADDRESS;
			request.ifr_name[IF_NAMESIZE - 1] = '\0';
			if (request.ifr_addr.sa_family == AF_UNSPEC)
				return delete_interface(request.ifr_name);
			if (request.ifr_addr.sa_family != AF_INET)
				return B_BAD_VALUE;
			struct shim_interface* interface = shim_stack_get_interface(request.ifr_name);
			if (interface == NULL)
				return B_BAD_VALUE;
			atomic_set(&interface->has_ipv4, 0);
			shim_stack_put_interface(interface);
			return B_OK;
		}
		default:
			return B_BAD_VALUE;
	}
}


/* ---- the stack's own modules ----------------------------------------------------------------- */

static net_domain*
stack_get_domain(int family)
{
	if (family == AF_INET)
		return &sInetDomain;
	if (family == AF_INET6)
		return &sInet6Domain;
	return NULL;
}

static struct net_stack_module_info sStackModule = {
	.info = {NET_STACK_MODULE_NAME, 0, NULL},
	.get_domain = stack_get_domain,
	.device_removed = stack_device_removed,
};

static struct net_datalink_module_info sDatalinkModule = {
	.info = {NET_DATALINK_MODULE_NAME, 0, NULL},
	.control = datalink_control,
};

void
shim_stack_init(void)
{
	sDeviceIndex = 0;
	shim_module_register(&sStackModule.info, NULL);
	shim_module_register(&gShimNetBufferModule.info, NULL);
	shim_module_register(&sDatalinkModule.info, NULL);
}

void
shim_stack_fini(void)
{
	reap_zombies();
	for (;;) {
		char name[IF_NAMESIZE];
		mutex_lock(&sDeviceLock);
		bool found = sInterfaces != NULL;
		if (found)
			memcpy(name, sInterfaces->name, sizeof(name));
		mutex_unlock(&sDeviceLock);
		if (!found)
			break;
		delete_interface(name);
	}
	reap_zombies();
}


/* ---- shim.h: "ifconfig" ---------------------------------------------------------------------- */

static status_t
control_with_name(int32 option, const char* name, uint32 address, bool setAddress)
{
	size_t nameLength = name != NULL ? strlen(name) : 0;
	if (name == NULL || nameLength >= IF_NAMESIZE)
		return B_BAD_VALUE;
	reap_zombies();
	/* the names fit (checked above): memcpy after the memset, not snprintf, on this hot path */
	if (option == SIOCAIFADDR) {
		struct ifaliasreq request;
		memset(&request, 0, sizeof(request));
		memcpy(request.ifra_name, name, nameLength);
		if (setAddress) {
			uint8* in = (uint8*)&request.ifra_addr;
			in[0] = 16;
			in[1] = AF_INET;
			memcpy(in + 4, &address, sizeof(address));
		}
		size_t length = sizeof(request);
		return datalink_control(&sInetDomain, SIOCAIFADDR, &request, &length);
	}
	struct ifreq request;
	memset(&request, 0, sizeof(request));
	memcpy(request.ifr_name, name, nameLength);
	request.ifr_addr.sa_family = AF_UNSPEC;
	size_t length = sizeof(request);
	return datalink_control(&sInetDomain, SIOCDIFADDR, &request, &length);
}

status_t
shim_if_create(const char* name)
{
	return control_with_name(SIOCAIFADDR, name, 0, false);
}

status_t
shim_if_delete(const char* name)
{
	return control_with_name(SIOCDIFADDR, name, 0, false);
}

status_t
shim_if_set_ipv4(const char* name, uint32 address)
{
	if (!shim_if_exists(name))
		return B_BAD_VALUE;
	return control_with_name(SIOCAIFADDR, name, address, true);
}

static status_t
up_or_down(const char* name, bool up)
{
	reap_zombies();
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	status_t status = B_OK;
	mutex_lock(&interface->op_lock);
	if (is_removed(interface))
		status = B_BAD_VALUE;
	else if (up)
		status = do_up(interface);
	else
		do_down(interface);
	mutex_unlock(&interface->op_lock);
	shim_stack_put_interface(interface);
	return status;
}

status_t
shim_if_up(const char* name)
{
	return up_or_down(name, true);
}

status_t
shim_if_down(const char* name)
{
	return up_or_down(name, false);
}

bool
shim_if_exists(const char* name)
{
	if (name == NULL)
		return false;
	mutex_lock(&sDeviceLock);
	bool exists = find_locked(name) != NULL;
	mutex_unlock(&sDeviceLock);
	return exists;
}

int
shim_if_count(void)
{
	int count = 0;
	mutex_lock(&sDeviceLock);
	for (struct shim_interface* interface = sInterfaces; interface != NULL;
		 interface = interface->next)
		count++;
	mutex_unlock(&sDeviceLock);
	return count;
}

status_t
shim_if_info(const char* name, struct shim_if_info* info)
{
	if (info == NULL)
		return B_BAD_VALUE;
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	net_device* device = interface->device;
	memset(info, 0, sizeof(*info));
	info->flags = __atomic_load_n(&device->flags, __ATOMIC_SEQ_CST);
	info->type = device->type;
	info->mtu = (uint32)__atomic_load_n(&device->mtu, __ATOMIC_SEQ_CST);
	info->index = device->index;
	memcpy(info->hwaddr, device->address.data, sizeof(info->hwaddr));
	info->received = (uint64)atomic_get64(&interface->received);
	info->receive_errors = (uint64)atomic_get64(&interface->receive_errors);
	info->sent = (uint64)atomic_get64(&interface->sent);
	info->send_errors = (uint64)atomic_get64(&interface->send_errors);
	info->arp_replies = (uint64)atomic_get64(&interface->arp_replies);
	shim_stack_put_interface(interface);
	return B_OK;
}


/* ---- shim.h: daemon support ------------------------------------------------------------------ */

int
shim_if_list(char (*names)[SHIM_IF_NAME_LENGTH], int max)
{
	int count = 0;
	mutex_lock(&sDeviceLock);
	for (struct shim_interface* interface = sInterfaces; interface != NULL;
		 interface = interface->next) {
		if (count < max && names != NULL)
			snprintf(names[count], SHIM_IF_NAME_LENGTH, "%s", interface->name);
		count++;
	}
	mutex_unlock(&sDeviceLock);
	return count;
}
