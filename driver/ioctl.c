/* The control hook: decodes and checks each ioctl (known code, length, user pointer) and
 * applies it. Arguments move only through user_memcpy; `length` 0 means "3-argument ioctl". */

#include "tuntap_private.h"

#include <ethernet.h>
#include <string.h>
#include <sys/ioctl.h>

#define MAX_QUEUE_PACKETS 4096
#define MAX_QUEUE_BYTES (16 * 1024 * 1024)

typedef enum {
	ARG_NONE, /* no argument */
	ARG_OUT,  /* the driver writes `size` bytes */
	ARG_IN    /* the driver reads `size` bytes */
} arg_direction;

typedef struct {
	uint32 op;
	arg_direction direction;
	size_t size;
} ioctl_spec;

static const ioctl_spec kIoctls[] = {
	{FIONREAD, ARG_OUT, sizeof(int)},
	{TUNTAP_GET_NAME, ARG_OUT, TUNTAP_NAME_LENGTH},
	{TUNTAP_GET_INFO, ARG_OUT, sizeof(struct tuntap_info)},
	{TUNTAP_SET_INFO, ARG_IN, sizeof(struct tuntap_info)},
	{TUNTAP_GET_MTU, ARG_OUT, sizeof(uint32)},
	{TUNTAP_SET_MTU, ARG_IN, sizeof(uint32)},
	{TUNTAP_GET_HEADER_MODE, ARG_OUT, sizeof(uint32)},
	{TUNTAP_SET_HEADER_MODE, ARG_IN, sizeof(uint32)},
	{TUNTAP_GET_STATS, ARG_OUT, sizeof(struct tuntap_stats)},
	{TUNTAP_SET_HWADDR, ARG_IN, ETHER_ADDRESS_LENGTH},
};

/* the largest argument of any ioctl above */
typedef union {
	int integer;
	uint32 value;
	char name[TUNTAP_NAME_LENGTH];
	uint8 hwaddr[ETHER_ADDRESS_LENGTH];
	struct tuntap_info info;
	struct tuntap_stats stats;
} ioctl_argument;


static const ioctl_spec*
find_ioctl(uint32 op)
{
	for (size_t i = 0; i < sizeof(kIoctls) / sizeof(kIoctls[0]); i++) {
		if (kIoctls[i].op == op)
			return &kIoctls[i];
	}
	return NULL;
}


static void
get_info(tuntap_unit* unit, struct tuntap_info* info)
{
	memset(info, 0, sizeof(*info));
	info->mode = unit->flavor->mode;
	info->unit = unit->number;
	info->mtu = (uint32)unit->device.mtu;
	info->header_mode = unit->header_mode;
	info->queue_packets = unit->to_stack.max_packets;
	info->queue_bytes = (uint32)unit->to_stack.max_bytes;
	/* the stack changes IFF_UP without our lock, atomically */
	info->flags = (uint32)atomic_get((int32*)&unit->device.flags);
	if (unit->flavor->address_length != 0)
		memcpy(info->hwaddr, unit->device.address.data, sizeof(info->hwaddr));
}


/* unit lock held: the queue limits of `info`, if they hold the unit's MTU now */
static status_t
set_queue_limits(tuntap_unit* unit, const struct tuntap_info* info)
{
	if (info->queue_bytes < unit->device.mtu + tuntap_header_length(unit))
		return B_BAD_VALUE;
	bool wasWritable = tuntap_writable(unit);
	unit->to_app.max_packets = unit->to_stack.max_packets = info->queue_packets;
	unit->to_app.max_bytes = unit->to_stack.max_bytes = info->queue_bytes;
	tuntap_notify_transitions(unit, tuntap_readable(unit), wasWritable);
	return B_OK;
}


/* SET_INFO: checked as a whole, then applied in two steps, the queue limits under the unit lock
 * and a new MTU through the stack (tuntap_stack_set_mtu), in the order that keeps every queue
 * able to hold a packet of the MTU in between. An error of the second step (the unit deleted
 * meanwhile) leaves the first one applied. */
static status_t
set_info(tuntap_cookie* cookie, const struct tuntap_info* info)
{
	tuntap_unit* unit = cookie->unit;
	mutex_lock(&unit->lock);
	size_t header = tuntap_header_length(unit);
	status_t status = cookie->closed ? B_FILE_ERROR : unit->gone ? B_DEVICE_NOT_FOUND : B_OK;
	if (status == B_OK
		&& (info->mtu < TUNTAP_MIN_MTU || info->mtu > TUNTAP_MAX_MTU || info->queue_packets < 1
			|| info->queue_packets > MAX_QUEUE_PACKETS || info->queue_bytes > MAX_QUEUE_BYTES
			|| info->queue_bytes < info->mtu + header))
		status = B_BAD_VALUE;
	bool newMtu = info->mtu != unit->device.mtu;
	bool queuesFirst = info->queue_bytes >= unit->device.mtu + header;
	if (status == B_OK && queuesFirst)
		status = set_queue_limits(unit, info);
	mutex_unlock(&unit->lock);
	if (status != B_OK)
		return status;

	if (newMtu && (status = tuntap_stack_set_mtu(unit, info->mtu)) != B_OK)
		return status;
	if (queuesFirst)
		return B_OK;
	mutex_lock(&unit->lock);
	status = cookie->closed ? B_FILE_ERROR : unit->gone ? B_DEVICE_NOT_FOUND : B_OK;
	if (status == B_OK)
		status = set_queue_limits(unit, info);
	mutex_unlock(&unit->lock);
	return status;
}


/* unit lock held */
static status_t
set_header_mode(tuntap_unit* unit, uint32 mode)
{
	/* the prefix names the packet's IP family: nothing to name on a link that carries no IP */
	if (!unit->flavor->carries_ip)
		return B_NOT_SUPPORTED;
	if (mode != TUNTAP_HEADER_NONE && mode != TUNTAP_HEADER_AF)
		return B_BAD_VALUE;

	bool wasWritable = tuntap_writable(unit);
	unit->header_mode = mode;
	if (unit->device.mtu + tuntap_header_length(unit) > unit->to_stack.max_bytes) {
		unit->header_mode = TUNTAP_HEADER_NONE;
		return B_BAD_VALUE;
	}
	tuntap_notify_transitions(unit, tuntap_readable(unit), wasWritable);
	return B_OK;
}


/* unit lock held. Only while down: the stack reads the address without our lock (ethernet
 * framing, the ARP replies it sends), and ARP takes its local entry from it at up (arp_up() ->
 * arp_update_local(), datalink_protocols/arp/arp.cpp) */
static status_t
set_hwaddr(tuntap_unit* unit, const uint8* address)
{
	if (unit->flavor->address_length != ETHER_ADDRESS_LENGTH)
		return B_NOT_SUPPORTED;
	if (unit->up)
		return B_BUSY;
	static const uint8 kZero[ETHER_ADDRESS_LENGTH] = {0};
	/* the group bit would make it a multicast (or the broadcast) address */
	if ((address[0] & 0x01) != 0 || memcmp(address, kZero, ETHER_ADDRESS_LENGTH) == 0)
		return B_BAD_VALUE;
	memcpy(unit->device.address.data, address, ETHER_ADDRESS_LENGTH);
	return B_OK;
}


/* unit lock held: fill `argument` for a get, or apply it for a set */
static status_t
apply(tuntap_unit* unit, uint32 op, ioctl_argument* argument)
{
	switch (op) {
		case FIONREAD: {
			net_buffer* head = packet_queue_head(&unit->to_app);
			uint8 prefix[4];
			argument->integer =
				head == NULL ? 0 : (int)(tuntap_read_prefix(unit, head, prefix) + head->size);
			return B_OK;
		}
		case TUNTAP_GET_NAME:
			strlcpy(argument->name, unit->device.name, sizeof(argument->name));
			return B_OK;
		case TUNTAP_GET_INFO:
			get_info(unit, &argument->info);
			return B_OK;
		case TUNTAP_GET_MTU:
			argument->value = (uint32)unit->device.mtu;
			return B_OK;
		case TUNTAP_GET_HEADER_MODE:
			argument->value = unit->header_mode;
			return B_OK;
		case TUNTAP_SET_HEADER_MODE:
			return set_header_mode(unit, argument->value);
		case TUNTAP_GET_STATS:
			packet_queue_get_stats(&unit->to_app, &argument->stats.to_app);
			packet_queue_get_stats(&unit->to_stack, &argument->stats.to_stack);
			argument->stats.truncated = unit->truncated;
			argument->stats.rejected = unit->rejected;
			return B_OK;
		case TUNTAP_SET_HWADDR:
			return set_hwaddr(unit, argument->hwaddr);
	}
	return B_DEV_INVALID_IOCTL;
}


status_t
tuntap_control(void* _cookie, uint32 op, void* data, size_t length)
{
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit* unit = cookie->unit;

	/* what fcntl(F_SETFL) and FIONBIO become; valid on any descriptor */
	if (op == B_SET_NONBLOCKING_IO || op == B_SET_BLOCKING_IO) {
		atomic_set(&cookie->nonblocking, op == B_SET_NONBLOCKING_IO);
		return B_OK;
	}

	const ioctl_spec* spec = find_ioctl(op);
	if (spec == NULL)
		return B_DEV_INVALID_IOCTL;
	if (length != 0 && length < spec->size)
		return B_BAD_VALUE;

	ioctl_argument argument;
	memset(&argument, 0, sizeof(argument));

	mutex_lock(&unit->lock);
	status_t status = cookie->closed ? B_FILE_ERROR : unit->gone ? B_DEVICE_NOT_FOUND : B_OK;
	mutex_unlock(&unit->lock);
	if (status != B_OK)
		return status;

	if (spec->direction == ARG_IN && user_memcpy(&argument, data, spec->size) != B_OK)
		return B_BAD_ADDRESS;

	/* the MTU is the stack's to change: these go through it, with no lock of ours held */
	if (op == TUNTAP_SET_MTU)
		return tuntap_stack_set_mtu(unit, argument.value);
	if (op == TUNTAP_SET_INFO)
		return set_info(cookie, &argument.info);

	mutex_lock(&unit->lock);
	status = cookie->closed ? B_FILE_ERROR : unit->gone ? B_DEVICE_NOT_FOUND : B_OK;
	if (status == B_OK)
		status = apply(unit, op, &argument);
	mutex_unlock(&unit->lock);
	if (status != B_OK)
		return status;

	if (spec->direction == ARG_OUT && user_memcpy(data, &argument, spec->size) != B_OK)
		return B_BAD_ADDRESS;
	return B_OK;
}
