/* Network stack model, interface side: Haiku's Interface and InterfaceAddress
 * (stack/interfaces.cpp), datalink_control's create and delete, and shim.h's "ifconfig". */
#include "shim_private.h"

#include <stdio.h>
#include <string.h>

#include <net_datalink.h>
#include <net_stack.h>
#include <sys/sockio.h>

#include "net/net_private.h"

struct net_domain {
	int family;
};

/* Haiku's sLock of interfaces.cpp: the interface list and the interfaces' reference counts */
static mutex sInterfaceLock = MUTEX_INITIALIZER("shim interfaces");
static struct shim_interface* sInterfaces;
static SHIM_OBJECT_CACHE(sInterfaceCache, sizeof(struct shim_interface));

static struct net_domain sInetDomain = {AF_INET};
static struct net_domain sInet6Domain = {AF_INET6};


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
	mutex_lock(&sInterfaceLock);
	struct shim_interface* interface = find_locked(name);
	if (interface != NULL)
		interface->refs++;
	mutex_unlock(&sInterfaceLock);
	return interface;
}

/* Interface::~Interface(): its device interface reference goes (put_device_interface), which
 * may be the last one */
void
shim_stack_put_interface(struct shim_interface* interface)
{
	mutex_lock(&sInterfaceLock);
	bool last = --interface->refs == 0;
	mutex_unlock(&sInterfaceLock);
	if (!last)
		return;
	struct shim_device_interface* deviceInterface = interface->device_interface;
	mutex_destroy(&interface->op_lock);
	shim_cache_free(&sInterfaceCache, interface);
	shim_put_device_interface(deviceInterface);
}

static inline struct shim_interface_address*
to_address(struct net_interface_address* address)
{
	return (struct shim_interface_address*)address;
}

void
shim_stack_acquire_address(struct net_interface_address* address)
{
	atomic_add(&to_address(address)->refs, 1);
}

/* InterfaceAddress::~InterfaceAddress(): the interface reference it held goes */
void
shim_stack_put_address(struct net_interface_address* address)
{
	if (address == NULL)
		return;
	if (atomic_add(&to_address(address)->refs, -1) == 1)
		shim_stack_put_interface(to_address(address)->interface);
}

/* only while listed: a removed interface's address may be gone already (its last reference
 * put), as Haiku's get_interface_address() finds only listed ones */
struct net_interface_address*
shim_stack_get_address(struct shim_interface* interface)
{
	struct net_interface_address* address = NULL;
	mutex_lock(&sInterfaceLock);
	if (!interface->removed) {
		address = (struct net_interface_address*)&interface->address;
		shim_stack_acquire_address(address);
	}
	mutex_unlock(&sInterfaceLock);
	return address;
}

/* with op_lock held: up or down through this interface, which holds at most one up of its device
 * interface */
static status_t
set_up_locked(struct shim_interface* interface, bool up)
{
	if (interface->removed)
		return up ? B_BAD_VALUE : B_OK;
	if (interface->up == up)
		return B_OK;
	if (!up) {
		interface->up = false;
		shim_down_device_interface(interface->device_interface);
		return B_OK;
	}
	status_t status = shim_up_device_interface(interface->device_interface);
	if (status == B_OK)
		interface->up = true;
	return status;
}

static status_t
set_up(struct shim_interface* interface, bool up)
{
	mutex_lock(&interface->op_lock);
	status_t status = set_up_locked(interface, up);
	mutex_unlock(&interface->op_lock);
	return status;
}

/* with op_lock held: remove_interface(): down, off the list; then (op_lock released by the
 * caller first) its address and the list's reference are put. The interface (and its device)
 * lives on while buffers still hold its address. */
static status_t
unlist_locked(struct shim_interface* interface)
{
	if (interface->removed)
		return B_BAD_VALUE;
	set_up_locked(interface, false);
	atomic_set(&interface->device_interface->has_ipv4, 0);
	mutex_lock(&sInterfaceLock);
	struct shim_interface** link = &sInterfaces;
	while (*link != interface)
		link = &(*link)->next;
	*link = interface->next;
	interface->removed = true;
	mutex_unlock(&sInterfaceLock);
	return B_OK;
}

static void
put_removed(struct shim_interface* interface)
{
	shim_stack_put_address(
		(struct net_interface_address*)&interface->address); /* RemoveAddresses */
	shim_stack_put_interface(interface);                     /* the list's */
}

static status_t
remove_interface(struct shim_interface* interface)
{
	mutex_lock(&interface->op_lock);
	status_t status = unlist_locked(interface);
	mutex_unlock(&interface->op_lock);
	if (status == B_OK)
		put_removed(interface);
	return status;
}

/* interface_removed_device_interface(), for the device's reader thread: where Haiku would wait
 * for the interface lock, the model gives up if an up, down or delete holds it (it may be waiting
 * for this very reader); the reader ends either way, as Haiku's does */
static void
interface_removed_device(const char* name)
{
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return;
	if (mutex_trylock(&interface->op_lock) == B_OK) {
		status_t status = unlist_locked(interface);
		mutex_unlock(&interface->op_lock);
		if (status == B_OK)
			put_removed(interface);
	}
	shim_stack_put_interface(interface);
}


/* ---- datalink control ------------------------------------------------------------------------ */

static void
set_ipv4(struct shim_interface* interface, const struct ifaliasreq* request)
{
	if (request->ifra_addr.ss_family != AF_INET)
		return;
	/* Haiku's sockaddr_in: len, family, port (2 bytes), then the address */
	int32 address;
	memcpy(&address, (const uint8*)&request->ifra_addr + 4, sizeof(address));
	atomic_set(&interface->device_interface->ipv4, address);
	atomic_set(&interface->device_interface->has_ipv4, 1);
}

/* add_interface(): a new interface holding its own reference to the device interface */
static status_t
add_interface(const struct ifaliasreq* request, struct shim_device_interface* deviceInterface)
{
	struct shim_interface* interface = shim_cache_alloc(&sInterfaceCache);
	memset(interface, 0, sizeof(struct shim_interface));
	/* the name fits: datalink_control() terminates it at IF_NAMESIZE - 1 */
	memcpy(interface->name, request->ifra_name,
		strnlen(request->ifra_name, sizeof(interface->name) - 1));
	interface->device_interface = deviceInterface;
	interface->address.interface = interface;
	interface->address.refs = 1; /* the interface's own, until RemoveAddresses() */
	interface->refs = 2;         /* the list's and the address's */

	mutex_lock(&sInterfaceLock);
	if (find_locked(interface->name) != NULL) {
		mutex_unlock(&sInterfaceLock);
		shim_cache_free(&sInterfaceCache, interface);
		return B_NAME_IN_USE;
	}
	mutex_init(&interface->op_lock, "shim interface ops");
	shim_device_interface_acquire(deviceInterface);
	set_ipv4(interface, request);
	struct shim_interface** link = &sInterfaces;
	while (*link != NULL)
		link = &(*link)->next;
	*link = interface;
	mutex_unlock(&sInterfaceLock);
	return B_OK;
}

/* Haiku's add_interface_address() (network/stack/interfaces.cpp): each of the request's three
 * addresses is of the domain's family or AF_UNSPEC, else B_BAD_VALUE (and a new interface goes) */
static bool
families_fit(const struct ifaliasreq* request, int family)
{
	const struct sockaddr_storage* addresses[3] = {
		&request->ifra_addr, &request->ifra_mask, &request->ifra_broadaddr};
	for (int i = 0; i < 3; i++) {
		if (addresses[i]->ss_family != family && addresses[i]->ss_family != AF_UNSPEC)
			return false;
	}
	return true;
}

/* SIOCAIFADDR: an address for a listed interface, else a new interface on the device
 * interface of that name (the old one while it is still listed) */
static status_t
add_interface_or_address(const struct ifaliasreq* request, int family)
{
	struct shim_interface* interface = shim_stack_get_interface(request->ifra_name);
	if (interface != NULL) {
		bool fit = families_fit(request, family);
		if (fit)
			set_ipv4(interface, request);
		shim_stack_put_interface(interface);
		return fit ? B_OK : B_BAD_VALUE;
	}
	struct shim_device_interface* deviceInterface =
		shim_get_device_interface(request->ifra_name, true);
	if (deviceInterface == NULL)
		return B_DEVICE_NOT_FOUND;
	status_t status =
		families_fit(request, family) ? add_interface(request, deviceInterface) : B_BAD_VALUE;
	shim_put_device_interface(deviceInterface);
	return status;
}

static status_t
delete_interface(const char* name)
{
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	status_t status = remove_interface(interface);
	shim_stack_put_interface(interface);
	return status;
}

/* datalink_control()'s default path down to interface_protocol_control()'s SIOCSIFMTU
 * (stack/datalink.cpp): set_mtu with no stack lock held, then notify_interface_changed(),
 * counted. Haiku copies the request twice (a partial ifreq to find the interface, the whole one
 * for the MTU); the model copies the whole one once. */
static status_t
set_mtu(void* value, size_t length)
{
	struct ifreq request;
	if (length > 0 && length < IF_NAMESIZE)
		return B_BAD_VALUE;
	if (value == NULL || user_memcpy(&request, value, sizeof(request)) != B_OK)
		return B_BAD_ADDRESS;
	request.ifr_name[IF_NAMESIZE - 1] = '\0';
	struct shim_interface* interface = shim_stack_get_interface(request.ifr_name);
	if (interface == NULL)
		return B_BAD_VALUE;
	struct shim_device_interface* deviceInterface = interface->device_interface;
	status_t status = deviceInterface->module->set_mtu(deviceInterface->device, request.ifr_mtu);
	if (status == B_OK)
		atomic_add64(&deviceInterface->changes, 1);
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
			return add_interface_or_address(&request, domain->family);
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
			atomic_set(&interface->device_interface->has_ipv4, 0);
			shim_stack_put_interface(interface);
			return B_OK;
		}
		case SIOCSIFMTU:
			return set_mtu(value, length);
		default:
			return B_BAD_VALUE;
	}
}


/* ---- the stack's own modules ----------------------------------------------------------------- */

/* a stack without IPv4 (no ipv4 add-on registered its domain): shim_stack_without_inet() */
static int32 sInetMissing; /* atomic */

void
shim_stack_without_inet(bool missing)
{
	atomic_set(&sInetMissing, missing ? 1 : 0);
}

/* Haiku's get_domain() (network/stack/domains.cpp) looks the family up among the domains the
 * protocol add-ons registered: NULL for one nobody registered */
static net_domain*
stack_get_domain(int family)
{
	if (family == AF_INET && atomic_get(&sInetMissing) != 0)
		return NULL;
	if (family == AF_INET)
		return &sInetDomain;
	if (family == AF_INET6)
		return &sInet6Domain;
	return NULL;
}

static struct net_stack_module_info sStackModule = {
	.info = {NET_STACK_MODULE_NAME, 0, NULL},
	.get_domain = stack_get_domain,
	.device_removed = shim_device_removed,
	.init_fifo = shim_init_fifo,
	.uninit_fifo = shim_uninit_fifo,
	.fifo_enqueue_buffer = shim_fifo_enqueue_buffer,
	.fifo_dequeue_buffer = shim_fifo_dequeue_buffer,
	.clear_fifo = shim_clear_fifo,
};

static struct net_datalink_module_info sDatalinkModule = {
	.info = {NET_DATALINK_MODULE_NAME, 0, NULL},
	.control = datalink_control,
};

void
shim_stack_init(void)
{
	shim_stack_without_inet(false); /* every boot has its IPv4 domain */
	shim_device_interfaces_reset(interface_removed_device);
	shim_module_register(&sStackModule.info, NULL);
	shim_module_register(&sDatalinkModule.info, NULL);
}

void
shim_stack_fini(void)
{
	shim_reap_readers();
	for (;;) {
		char name[IF_NAMESIZE];
		mutex_lock(&sInterfaceLock);
		bool found = sInterfaces != NULL;
		if (found)
			memcpy(name, sInterfaces->name, sizeof(name));
		mutex_unlock(&sInterfaceLock);
		if (!found)
			break;
		delete_interface(name);
	}
	shim_reap_readers();
}


/* ---- shim.h: "ifconfig" ---------------------------------------------------------------------- */

static status_t
control_with_name(int32 option, const char* name, uint32 address, bool setAddress)
{
	size_t nameLength = name != NULL ? strlen(name) : 0;
	if (name == NULL || nameLength >= IF_NAMESIZE)
		return B_BAD_VALUE;
	shim_reap_readers();
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
	shim_reap_readers();
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	status_t status = set_up(interface, up);
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
	mutex_lock(&sInterfaceLock);
	bool exists = find_locked(name) != NULL;
	mutex_unlock(&sInterfaceLock);
	return exists;
}

int
shim_if_count(void)
{
	int count = 0;
	mutex_lock(&sInterfaceLock);
	for (struct shim_interface* interface = sInterfaces; interface != NULL;
		 interface = interface->next)
		count++;
	mutex_unlock(&sInterfaceLock);
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
	struct shim_device_interface* deviceInterface = interface->device_interface;
	net_device* device = deviceInterface->device;
	memset(info, 0, sizeof(*info));
	info->flags = __atomic_load_n(&device->flags, __ATOMIC_SEQ_CST);
	info->type = device->type;
	info->mtu = (uint32)__atomic_load_n(&device->mtu, __ATOMIC_SEQ_CST);
	info->index = device->index;
	memcpy(info->hwaddr, device->address.data, sizeof(info->hwaddr));
	info->received = (uint64)atomic_get64(&deviceInterface->received);
	info->receive_errors = (uint64)atomic_get64(&deviceInterface->receive_errors);
	info->sent = (uint64)atomic_get64(&deviceInterface->sent);
	info->send_errors = (uint64)atomic_get64(&deviceInterface->send_errors);
	info->arp_replies = (uint64)atomic_get64(&deviceInterface->arp_replies);
	info->unhandled = (uint64)atomic_get64(&deviceInterface->unhandled);
	info->link_addressed = (uint64)atomic_get64(&deviceInterface->link_addressed);
	info->changes = (uint64)atomic_get64(&deviceInterface->changes);
	shim_stack_put_interface(interface);
	return B_OK;
}


/* ---- shim.h: daemon support ------------------------------------------------------------------ */

int
shim_if_list(char (*names)[SHIM_IF_NAME_LENGTH], int max)
{
	int count = 0;
	mutex_lock(&sInterfaceLock);
	for (struct shim_interface* interface = sInterfaces; interface != NULL;
		 interface = interface->next) {
		if (count < max && names != NULL)
			snprintf(names[count], SHIM_IF_NAME_LENGTH, "%s", interface->name);
		count++;
	}
	mutex_unlock(&sInterfaceLock);
	return count;
}
