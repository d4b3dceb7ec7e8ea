/* The shim.h calls of the stack side (what Haiku's stack would send the driver, and what the
 * driver delivered to it): each looks its interface up (stack.c), then uses the peer. */
#include "shim_private.h"

#include <ethernet.h>
#include <net/if_types.h>
#include <string.h>

#include "net/net_private.h"

/* Haiku's IP layers address what they send through a tunnel interface with the packet's own
 * addresses: ipv4.cpp's ipv4_send_routed_data and ipv4_send_data read buffer->source and
 * ->destination as sockaddr_in (fill_sockaddr_in from the header when it is included), and no
 * framing module rewrites them for IFT_TUNNEL (datalink.cpp, send_routed_data; only IFT_ETHER gets
 * ethernet_frame). So a TUN frame leaves here with sockaddr_in addresses of the frame's family
 * (version 4: AF_INET and the IPv4 header's addresses; 6: AF_INET6), not the create()-time
 * leftovers; a driver may check them (upstream's tunnel_send_data does). */
static void
ip_address(struct sockaddr* address, int family, const uint8* from)
{
	uint8* bytes = (uint8*)address;
	memset(bytes, 0, sizeof(struct sockaddr_storage));
	bytes[0] = 16; /* sizeof(struct sockaddr_in) in Haiku's headers */
	bytes[1] = (uint8)family;
	if (from != NULL)
		memcpy(bytes + 4, from, 4); /* sin_addr follows len, family and the 2-byte port */
}

static void
address_ip_frame(net_buffer* buffer, const uint8* frame, size_t length)
{
	int version = length > 0 ? frame[0] >> 4 : 0;
	int family = version == 6 ? AF_INET6 : AF_INET;
	bool ipv4 = version == 4 && length >= 20;
	ip_address(buffer->source, family, ipv4 ? frame + 12 : NULL);
	ip_address(buffer->destination, family, ipv4 ? frame + 16 : NULL);
}

status_t
shim_stack_send(const char* name, const void* frame, size_t length, int32 type)
{
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	net_buffer* buffer = gShimNetBufferModule.create(ETHER_HEADER_LENGTH);
	status_t status =
		buffer != NULL ? shim_net_buffer_append_frame(buffer, frame, length) : B_NO_MEMORY;
	if (status == B_OK) {
		buffer->type = type;
		if (interface->device_interface->device->type == IFT_TUNNEL)
			address_ip_frame(buffer, frame, length);
		/* as a reply to what came in on it would: the buffer holds the interface's address
		 * (stack/datalink.cpp, send_routed_data; net_buffer.cpp, copy_metadata); deleted
		 * meanwhile, there is no route through it any more */
		buffer->interface_address = shim_stack_get_address(interface);
		status = buffer->interface_address != NULL ? B_OK : B_BAD_VALUE;
	}
	if (status == B_OK)
		status = shim_stack_transmit(interface->device_interface, buffer, NULL);
	else if (buffer != NULL)
		gShimNetBufferModule.free(buffer);
	shim_stack_put_interface(interface);
	return status;
}

ssize_t
shim_stack_receive(const char* name, void* data, size_t length, bigtime_t timeout)
{
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	net_buffer* buffer;
	ssize_t result = shim_capture_pop(&interface->device_interface->capture, timeout, &buffer);
	if (result == B_OK) {
		size_t size = buffer->size;
		size_t copy = size < length ? size : length;
		result = (ssize_t)size;
		if (copy > 0 && gShimNetBufferModule.read(buffer, 0, data, copy) != B_OK)
			result = B_BAD_ADDRESS;
		gShimNetBufferModule.free(buffer);
	}
	shim_stack_put_interface(interface);
	return result;
}

int
shim_stack_pending(const char* name)
{
	struct shim_interface* interface = shim_stack_get_interface(name);
	if (interface == NULL)
		return B_BAD_VALUE;
	struct shim_capture* capture = &interface->device_interface->capture;
	mutex_lock(&capture->lock);
	int count = capture->count;
	mutex_unlock(&capture->lock);
	shim_stack_put_interface(interface);
	return count;
}
