/* The devfs side: /dev/tun/N, /dev/tap/N and the clone nodes. open binds a descriptor to a unit
 * (exclusively), read/write move one packet, select reports the predicates read/write use. */

#include "tuntap_private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/sockio.h>

/* enough for the TUN checks: an AF prefix plus the IP version byte */
#define WRITE_HEAD_LENGTH 8


/* a cookie whose open failed, or the last reference to one is gone: nobody waits on it */
static void
destroy_cookie(tuntap_cookie* cookie)
{
	tuntap_wait_queue_destroy(&cookie->write_waiters);
	tuntap_wait_queue_destroy(&cookie->read_waiters);
	free(cookie);
}


/* unit lock held; B_OK if the descriptor may use the unit */
static inline status_t
check_usable(const tuntap_cookie* cookie)
{
	if (cookie->closed)
		return B_FILE_ERROR;
	if (cookie->unit->gone)
		return B_DEVICE_NOT_FOUND;
	return B_OK;
}


static status_t
bind_cookie(tuntap_unit* unit, tuntap_cookie* cookie, uint32 openMode)
{
	mutex_lock(&unit->lock);
	status_t status = B_OK;
	if (unit->gone)
		status = B_DEVICE_NOT_FOUND;
	else if (unit->owner != NULL)
		status = B_BUSY;
	else {
		unit->owner = cookie;
		unit->header_mode = TUNTAP_HEADER_NONE;
		cookie->unit = unit;
		cookie->nonblocking = (openMode & O_NONBLOCK) != 0;
	}
	mutex_unlock(&unit->lock);
	return status;
}


/* Create the lowest free unit of `flavor` through the stack, as ifconfig would, and bind the
 * cookie to it. No driver lock is held while the stack runs init_device. */
static status_t
clone_open(const tuntap_flavor* flavor, uint32 openMode, tuntap_cookie* cookie)
{
	net_domain* domain = gStackModule->get_domain(AF_INET);
	if (domain == NULL)
		return B_NOT_SUPPORTED;

	status_t status = B_BUSY;
	for (int attempt = 0; attempt < 8 && status == B_BUSY; attempt++) {
		uint32 number;
		status = tuntap_reserve_number(flavor, &number);
		if (status != B_OK)
			return status;

		struct ifaliasreq request;
		memset(&request, 0, sizeof(request));
		tuntap_format_name(request.ifra_name, flavor, number);
		size_t length = sizeof(request);
		status = gDatalinkModule->control(domain, SIOCAIFADDR, &request, &length);

		tuntap_unit* unit = status == B_OK ? tuntap_unit_get(request.ifra_name) : NULL;
		tuntap_unreserve_number(flavor, number);
		if (status == B_NAME_IN_USE) {
			/* Haiku's add_interface(): another ifconfig listed the name first, on our unit
			 * (get_device_interface() hands both the same device): take the next one */
			status = B_BUSY;
			continue;
		}
		if (status != B_OK)
			return status;
		if (unit == NULL) {
			/* deleted before we could bind: take the next one */
			status = B_BUSY;
			continue;
		}

		status = bind_cookie(unit, cookie, openMode);
		if (status != B_OK) {
			/* opened or deleted by someone else meanwhile: take the next one */
			tuntap_unit_put(unit);
			status = B_BUSY;
		}
	}
	return status;
}


static status_t
tuntap_open(const char* name, uint32 openMode, void** _cookie)
{
	tuntap_cookie* cookie = (tuntap_cookie*)calloc(1, sizeof(tuntap_cookie));
	if (cookie == NULL)
		return B_NO_MEMORY;
	cookie->read_waiters.sem = cookie->write_waiters.sem = -1;
	status_t status;
	if ((status = tuntap_wait_queue_init(&cookie->read_waiters, "tuntap read")) != B_OK
		|| (status = tuntap_wait_queue_init(&cookie->write_waiters, "tuntap write")) != B_OK) {
		destroy_cookie(cookie);
		return status;
	}

	const tuntap_flavor* clone = NULL;
	for (int i = 0; i < TUNTAP_FLAVOR_COUNT && clone == NULL; i++) {
		if (strcmp(name, kTuntapFlavors[i].clone_path) == 0)
			clone = &kTuntapFlavors[i];
	}
	if (clone != NULL)
		status = clone_open(clone, openMode, cookie);
	else {
		tuntap_unit* unit = tuntap_unit_get(name);
		status = unit != NULL ? bind_cookie(unit, cookie, openMode) : B_DEVICE_NOT_FOUND;
		if (status != B_OK && unit != NULL)
			tuntap_unit_put(unit);
	}

	if (status != B_OK) {
		destroy_cookie(cookie);
		return status;
	}

	tuntap_cookie_count(1);
	*_cookie = cookie;
	return B_OK;
}


static status_t
tuntap_close(void* _cookie)
{
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit* unit = cookie->unit;
	struct list dropped;
	packet_queue_init_detached(&dropped);

	mutex_lock(&unit->lock);
	cookie->closed = true;
	if (unit->owner == cookie) {
		unit->owner = NULL;
		/* the next opener must not read this one's packets */
		packet_queue_detach(&unit->to_app, &dropped);
	}
	/* threads of this descriptor still blocked inside read or write: B_FILE_ERROR (its own
	 * queues: a later descriptor's threads cannot take these tokens) */
	tuntap_wait_queue_wake(&cookie->read_waiters, true);
	tuntap_wait_queue_wake(&cookie->write_waiters, true);
	mutex_unlock(&unit->lock);
	packet_queue_free_detached(&dropped);
	return B_OK;
}


static status_t
tuntap_free(void* _cookie)
{
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit_put(cookie->unit);
	destroy_cookie(cookie);
	tuntap_cookie_count(-1);
	return B_OK;
}


/* copy the head packet to the user buffer; the unit lock is held, the packet stays queued */
static status_t
copy_head_out(tuntap_unit* unit, net_buffer* buffer, uint8* data, size_t length, size_t* _copied)
{
	uint8 prefix[4];
	size_t prefixLength = tuntap_read_prefix(unit, buffer, prefix);
	size_t total = prefixLength + buffer->size;
	size_t copy = min_c(length, total);
	size_t prefixCopy = min_c(prefixLength, copy);

	if (prefixCopy > 0 && user_memcpy(data, prefix, prefixCopy) != B_OK)
		return B_BAD_ADDRESS;
	if (copy > prefixCopy) {
		/* user addresses are numbers here: NULL + 0 must stay a valid expression */
		void* target = (void*)((addr_t)data + prefixCopy);
		status_t status = gBufferModule->read(buffer, 0, target, copy - prefixCopy);
		if (status != B_OK)
			return status;
	}

	*_copied = copy;
	if (copy < total)
		unit->truncated++;
	return B_OK;
}


static status_t
tuntap_read(void* _cookie, off_t position, void* data, size_t* _length)
{
	(void)position; /* packets have no position */
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit* unit = cookie->unit;
	size_t length = *_length;
	*_length = 0;
	if (length == 0)
		return B_OK;

	mutex_lock(&unit->lock);
	status_t status;
	net_buffer* buffer;
	while (true) {
		if ((status = check_usable(cookie)) != B_OK)
			goto out;
		if ((buffer = packet_queue_head(&unit->to_app)) != NULL)
			break;
		if (atomic_get(&cookie->nonblocking) != 0) {
			status = B_WOULD_BLOCK;
			goto out;
		}
		status = tuntap_wait_queue_wait(&cookie->read_waiters, &unit->lock, B_CAN_INTERRUPT);
		if (status != B_OK)
			goto out;
	}

	/* a fault keeps the packet at the head: nothing is lost */
	status = copy_head_out(unit, buffer, (uint8*)data, length, _length);
	if (status == B_OK)
		packet_queue_dequeue(&unit->to_app);
	else
		buffer = NULL;

out:
	/* A reader woken for a packet that leaves without it (a fault on its buffer, ctrl+c) hands
	 * the wake-up on: another reader may be blocked on the same descriptor. */
	if (status != B_OK && unit->to_app.count > 0)
		tuntap_wait_queue_wake(&cookie->read_waiters, false);
	mutex_unlock(&unit->lock);
	if (status == B_OK)
		gBufferModule->free(buffer);
	return status;
}


/* under the unit lock: queue the packet, drop it while down (*_dropped: the caller frees it once
 * the lock is released), or wait for room */
static status_t
queue_written(tuntap_cookie* cookie, net_buffer* buffer, bool* _dropped)
{
	tuntap_unit* unit = cookie->unit;
	*_dropped = false;
	while (true) {
		status_t status = check_usable(cookie);
		if (status != B_OK)
			return status;

		if (!unit->up) {
			packet_queue_count_drop(&unit->to_stack);
			*_dropped = true;
			return B_OK;
		}

		if (tuntap_writable(unit)) {
			bool wasReadable = tuntap_readable(unit);
			packet_queue_enqueue(&unit->to_stack, buffer);
			tuntap_wait_queue_wake(&unit->stack_waiters, false);
			tuntap_notify_transitions(unit, wasReadable, true);
			return B_OK;
		}

		if (atomic_get(&cookie->nonblocking) != 0)
			return B_WOULD_BLOCK;
		status = tuntap_wait_queue_wait(&cookie->write_waiters, &unit->lock, B_CAN_INTERRUPT);
		if (status != B_OK)
			return status;
	}
}


/* The packet from `skip` on: the head bytes the checks read, then the rest from user memory. Each
 * user byte is copied in once: copying the head in again would let another thread of the
 * application change the IP version between the check and the use (a double fetch). */
static status_t
append_written(net_buffer* buffer, const uint8* head, size_t headLength, const void* data,
	size_t length, size_t skip)
{
	status_t status = B_OK;
	if (headLength > skip)
		status = gBufferModule->append(buffer, head + skip, headLength - skip);
	if (status == B_OK && length > headLength) {
		const void* rest = (const void*)((addr_t)data + headLength);
		status = gBufferModule->append(buffer, rest, length - headLength);
	}
	return status;
}


static status_t
tuntap_write(void* _cookie, off_t position, const void* data, size_t* _length)
{
	(void)position;
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit* unit = cookie->unit;
	size_t length = *_length;
	*_length = 0;

	uint8 head[WRITE_HEAD_LENGTH];
	size_t headLength = min_c(length, sizeof(head));
	if (headLength > 0 && user_memcpy(head, data, headLength) != B_OK)
		return B_BAD_ADDRESS;

	/* every check before any allocation */
	mutex_lock(&unit->lock);
	int32 type;
	size_t skip;
	status_t status = check_usable(cookie);
	if (status == B_OK) {
		status = tuntap_check_write_length(unit, length);
		if (status == B_OK)
			status = tuntap_check_write_header(unit, head, headLength, length, &type, &skip);
		if (status != B_OK)
			unit->rejected++;
	}
	mutex_unlock(&unit->lock);
	if (status != B_OK)
		return status;

	net_buffer* buffer = gBufferModule->create(0);
	if (buffer == NULL)
		return B_NO_MEMORY;
	status = append_written(buffer, head, headLength, data, length, skip);
	if (status != B_OK) {
		gBufferModule->free(buffer);
		return status;
	}
	if (unit->flavor->carries_ip)
		tuntap_set_ip_metadata(buffer, type);

	bool dropped;
	mutex_lock(&unit->lock);
	status = queue_written(cookie, buffer, &dropped);
	mutex_unlock(&unit->lock);

	if (status != B_OK || dropped)
		gBufferModule->free(buffer);
	if (status != B_OK)
		return status;
	*_length = length;
	return B_OK;
}


static status_t
tuntap_select(void* _cookie, uint8 event, uint32 ref, selectsync* sync)
{
	(void)ref; /* devfs always passes 0 */
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit* unit = cookie->unit;
	if (event != B_SELECT_READ && event != B_SELECT_WRITE && event != B_SELECT_ERROR
		&& event != B_SELECT_DISCONNECTED)
		return B_BAD_VALUE;

	mutex_lock(&unit->lock);
	status_t status =
		cookie->closed ? B_FILE_ERROR : add_select_sync_pool_entry(&unit->select_pool, sync, event);
	if (status == B_OK) {
		if ((event == B_SELECT_READ && tuntap_readable(unit))
			|| (event == B_SELECT_WRITE && tuntap_writable(unit))
			|| (event == B_SELECT_DISCONNECTED && unit->gone))
			notify_select_event(sync, event);
	}
	mutex_unlock(&unit->lock);
	return status;
}


static status_t
tuntap_deselect(void* _cookie, uint8 event, selectsync* sync)
{
	tuntap_cookie* cookie = (tuntap_cookie*)_cookie;
	tuntap_unit* unit = cookie->unit;

	mutex_lock(&unit->lock);
	status_t status = remove_select_sync_pool_entry(&unit->select_pool, sync, event);
	mutex_unlock(&unit->lock);
	return status;
}


device_hooks gTuntapDeviceHooks = {
	.open = tuntap_open,
	.close = tuntap_close,
	.free = tuntap_free,
	.control = tuntap_control,
	.read = tuntap_read,
	.write = tuntap_write,
	.select = tuntap_select,
	.deselect = tuntap_deselect,
};
