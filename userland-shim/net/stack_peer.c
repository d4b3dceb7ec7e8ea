/* The stack peer: the capture of frames receive_data delivers, the ARP answerer of TAP interfaces,
 * the stack-side transmit path and the daemon's sinks. It never looks an interface up itself. */
#include "shim_private.h"

#include <stddef.h>
#include <string.h>

#include <ethernet.h>
#include <net/if_types.h>
#include <net_stack.h>
#include <sys/socket.h>

#include "net/net_private.h"

#define ARP_FRAME_LENGTH (ETHER_HEADER_LENGTH + 28)
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* ---- capture queue --------------------------------------------------------------------------- */

status_t
shim_capture_init(struct shim_capture* capture, const char* name)
{
	capture->sem = create_sem(0, "shim capture");
	if (capture->sem < 0)
		return capture->sem;
	mutex_init(&capture->lock, "shim capture");
	list_init_etc(&capture->frames, offsetof(net_buffer, link));
	capture->count = 0;
	capture->dropped = 0;
	return B_OK;
}

void
shim_capture_close(struct shim_capture* capture)
{
	/* waiters in shim_stack_receive() return; the id is never reused for another capture */
	delete_sem(capture->sem);
}

void
shim_capture_uninit(struct shim_capture* capture)
{
	net_buffer* buffer;
	while ((buffer = list_remove_head_item(&capture->frames)) != NULL)
		gShimNetBufferModule.free(buffer);
	mutex_destroy(&capture->lock);
}

static void
capture_push(struct shim_capture* capture, net_buffer* buffer)
{
	mutex_lock(&capture->lock);
	if (capture->count >= SHIM_CAPTURE_MAX_FRAMES) {
		capture->dropped++;
		mutex_unlock(&capture->lock);
		gShimNetBufferModule.free(buffer);
		return;
	}
	list_add_item(&capture->frames, buffer);
	capture->count++;
	mutex_unlock(&capture->lock);
	release_sem_etc(capture->sem, 1, B_DO_NOT_RESCHEDULE);
}

status_t
shim_capture_pop(struct shim_capture* capture, bigtime_t timeout, net_buffer** _buffer)
{
	status_t status = acquire_sem_etc(capture->sem, 1, B_RELATIVE_TIMEOUT, timeout);
	if (status == B_BAD_SEM_ID)
		return B_DEVICE_NOT_FOUND; /* the interface went away */
	if (status != B_OK)
		return status;
	mutex_lock(&capture->lock);
	*_buffer = list_remove_head_item(&capture->frames);
	capture->count--;
	mutex_unlock(&capture->lock);
	return *_buffer != NULL ? B_OK : B_ERROR;
}


/* ---- transmit and the peer ------------------------------------------------------------------- */

status_t
shim_stack_transmit(struct shim_device_interface* interface, net_buffer* buffer, int64* counter)
{
	net_device* device = interface->device;
	uint32 size = buffer->size;
	/* counted before the frame can become visible (a reader may get it before send_data
	 * returns), taken back if the driver refuses it */
	atomic_add64(&interface->sent, 1);
	if (counter != NULL)
		atomic_add64(counter, 1);
	__atomic_fetch_add(&device->stats.send.packets, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&device->stats.send.bytes, size, __ATOMIC_SEQ_CST);
	status_t status = interface->module->send_data != NULL
						  ? interface->module->send_data(device, buffer)
						  : B_NOT_SUPPORTED;
	if (status != B_OK) {
		/* refused: the stack still owns the buffer and frees it */
		gShimNetBufferModule.free(buffer);
		atomic_add64(&interface->sent, -1);
		if (counter != NULL)
			atomic_add64(counter, -1);
		__atomic_fetch_sub(&device->stats.send.packets, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_sub(&device->stats.send.bytes, size, __ATOMIC_SEQ_CST);
		atomic_add64(&interface->send_errors, 1);
		__atomic_fetch_add(&device->stats.send.errors, 1, __ATOMIC_SEQ_CST);
	}
	return status;
}

static uint16
get16(const uint8* p)
{
	return (uint16)(p[0] << 8 | p[1]);
}

static void
put16(uint8* p, uint16 value)
{
	p[0] = (uint8)(value >> 8);
	p[1] = (uint8)value;
}

/* the ARP reply the peer owes `frame`, or NULL */
static net_buffer*
arp_answer(struct shim_device_interface* interface, net_buffer* frame)
{
	uint8 request[ARP_FRAME_LENGTH];
	if (frame->size < ARP_FRAME_LENGTH
		|| gShimNetBufferModule.read(frame, 0, request, sizeof(request)) != B_OK)
		return NULL;
	const uint8* arp = request + ETHER_HEADER_LENGTH;
	if (get16(request + 12) != ETHER_TYPE_ARP || get16(arp) != 1 || get16(arp + 2) != ETHER_TYPE_IP
		|| arp[4] != ETHER_ADDRESS_LENGTH || arp[5] != 4 || get16(arp + 6) != ARP_OP_REQUEST)
		return NULL;
	const uint8* senderMac = arp + 8;
	const uint8* senderIp = arp + 14;
	const uint8* targetIp = arp + 24;
	int32 address = atomic_get(&interface->ipv4);
	if (memcmp(targetIp, &address, 4) != 0)
		return NULL;

	const uint8* ourMac = interface->device->address.data;
	uint8 reply[ARP_FRAME_LENGTH];
	memcpy(reply, senderMac, ETHER_ADDRESS_LENGTH);
	memcpy(reply + 6, ourMac, ETHER_ADDRESS_LENGTH);
	put16(reply + 12, ETHER_TYPE_ARP);
	uint8* out = reply + ETHER_HEADER_LENGTH;
	put16(out, 1);
	put16(out + 2, ETHER_TYPE_IP);
	out[4] = ETHER_ADDRESS_LENGTH;
	out[5] = 4;
	put16(out + 6, ARP_OP_REPLY);
	memcpy(out + 8, ourMac, ETHER_ADDRESS_LENGTH);
	memcpy(out + 14, &address, 4);
	memcpy(out + 18, senderMac, ETHER_ADDRESS_LENGTH);
	memcpy(out + 24, senderIp, 4);

	net_buffer* buffer = gShimNetBufferModule.create(ETHER_HEADER_LENGTH);
	if (buffer == NULL)
		return NULL;
	if (shim_net_buffer_append_frame(buffer, reply, sizeof(reply)) != B_OK) {
		gShimNetBufferModule.free(buffer);
		return NULL;
	}
	buffer->type = 0;
	return buffer;
}

static int32 sSinkCount; /* sinks installed (shim_stack_set_sink), read without their lock */
static bool sink_deliver(struct shim_device_interface* interface, net_buffer* buffer);

void
shim_peer_deliver(struct shim_device_interface* interface, net_buffer* buffer)
{
	if (atomic_get(&sSinkCount) != 0 && sink_deliver(interface, buffer))
		return;
	net_device* device = interface->device;
	atomic_add64(&interface->received, 1);
	__atomic_fetch_add(&device->stats.receive.packets, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&device->stats.receive.bytes, buffer->size, __ATOMIC_SEQ_CST);

	/* device_consumer_thread(): a frame no receive handler takes is freed. A tunnel device has
	 * one, IPv4's: the stack registers loopback_frame for (AF_INET, IFT_TUNNEL) only
	 * (stack/stack.cpp, init_stack; datalink_protocols/loopback_frame, register_domain_device_
	 * handler(B_NET_FRAME_TYPE_IPV4)), so IPv6 written into a TUN unit goes nowhere. */
	if (device->type == IFT_TUNNEL && buffer->type != B_NET_FRAME_TYPE_IPV4) {
		atomic_add64(&interface->unhandled, 1);
		gShimNetBufferModule.free(buffer);
		return;
	}
	/* IPv4's receive_data hands buffer->destination, as the device left it, to
	 * is_local_link_address() for a broadcast or a packet for none of our addresses
	 * (protocols/ipv4/ipv4.cpp, ipv4_receive_data): an AF_LINK address there claims the packet
	 * for the interface with that link address, and one of length 0 for the first without one
	 * (stack/interfaces.cpp, get_interface_address_for_link). A TUN frame's must not be one. */
	if (device->type == IFT_TUNNEL && buffer->destination->sa_family == AF_LINK)
		atomic_add64(&interface->link_addressed, 1);
	net_buffer* reply = NULL;
	if (device->type == IFT_ETHER && atomic_get(&interface->has_ipv4) != 0)
		reply = arp_answer(interface, buffer);
	capture_push(&interface->capture, buffer);
	if (reply != NULL)
		shim_stack_transmit(interface, reply, &interface->arp_replies);
}

/* ---- shim.h: stack-side sinks (the daemon's Linux bridge) ---------------------------------- */

#define SINK_MAX_FRAME (16384 + 64) /* the driver's largest MTU plus any header */

struct peer_sink {
	struct peer_sink* next;
	char name[SHIM_IF_NAME_LENGTH];
	shim_stack_sink sink;
	void* cookie;
};

/* held while a sink runs, so removing one waits for its call to end */
static mutex sSinkLock = MUTEX_INITIALIZER("shim stack sinks");
static struct peer_sink* sSinks;

static struct peer_sink*
sink_find_locked(const char* name)
{
	for (struct peer_sink* entry = sSinks; entry != NULL; entry = entry->next) {
		if (strcmp(entry->name, name) == 0)
			return entry;
	}
	return NULL;
}

/* the frame goes to the interface's sink, if it has one: true when it was consumed */
static bool
sink_deliver(struct shim_device_interface* interface, net_buffer* buffer)
{
	mutex_lock(&sSinkLock);
	struct peer_sink* entry = sink_find_locked(interface->name);
	if (entry == NULL) {
		mutex_unlock(&sSinkLock);
		return false;
	}
	net_device* device = interface->device;
	atomic_add64(&interface->received, 1);
	__atomic_fetch_add(&device->stats.receive.packets, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&device->stats.receive.bytes, buffer->size, __ATOMIC_SEQ_CST);
	uint8 frame[SINK_MAX_FRAME];
	size_t length = buffer->size;
	if (length <= sizeof(frame) && gShimNetBufferModule.read(buffer, 0, frame, length) == B_OK)
		entry->sink(entry->cookie, frame, length, buffer->type);
	mutex_unlock(&sSinkLock);
	gShimNetBufferModule.free(buffer);
	return true;
}

status_t
shim_stack_set_sink(const char* name, shim_stack_sink sink, void* cookie)
{
	if (name == NULL || strlen(name) >= SHIM_IF_NAME_LENGTH)
		return B_BAD_VALUE;
	mutex_lock(&sSinkLock);
	struct peer_sink** link = &sSinks;
	while (*link != NULL && strcmp((*link)->name, name) != 0)
		link = &(*link)->next;
	status_t status = B_OK;
	if (sink == NULL) {
		struct peer_sink* entry = *link;
		if (entry == NULL)
			status = B_ENTRY_NOT_FOUND;
		else {
			*link = entry->next;
			shim_host_free(entry);
			atomic_add(&sSinkCount, -1);
		}
	} else if (*link != NULL)
		status = B_NAME_IN_USE;
	else {
		struct peer_sink* entry = shim_host_alloc(sizeof(struct peer_sink));
		memset(entry, 0, sizeof(*entry));
		strcpy(entry->name, name);
		entry->sink = sink;
		entry->cookie = cookie;
		*link = entry;
		atomic_add(&sSinkCount, 1);
	}
	mutex_unlock(&sSinkLock);
	return status;
}
