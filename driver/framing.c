/* TUN/TAP framing rules: how long a write may be, what its first bytes must say (IPv4/IPv6 for
 * TUN, an Ethernet header for TAP), and the optional address-family prefix of header mode. */

#include "tuntap_private.h"

#include <string.h>
#include <sys/socket.h>

#define IPV6_HEADER 40
#define AF_PREFIX_LENGTH 4
/* sizeof(struct sockaddr_in) and sizeof(struct sockaddr_in6) in Haiku's headers */
#define SOCKADDR_IN_LENGTH 16
#define SOCKADDR_IN6_LENGTH 28


/* the AF prefix of header mode: only a flavor that carries IP can be in it */
static inline size_t
af_prefix_length(const tuntap_unit* unit)
{
	if (!unit->flavor->carries_ip || unit->header_mode != TUNTAP_HEADER_AF)
		return 0;
	return AF_PREFIX_LENGTH;
}


size_t
tuntap_header_length(const tuntap_unit* unit)
{
	return unit->flavor->link_header + af_prefix_length(unit);
}


size_t
tuntap_max_write(const tuntap_unit* unit)
{
	return unit->device.mtu + tuntap_header_length(unit);
}


status_t
tuntap_check_write_length(const tuntap_unit* unit, size_t length)
{
	size_t minimum = tuntap_header_length(unit) + unit->flavor->min_packet;
	if (length < minimum || length > tuntap_max_write(unit))
		return B_BAD_VALUE;
	return B_OK;
}


static uint32
read_be32(const uint8* bytes)
{
	return ((uint32)bytes[0] << 24) | ((uint32)bytes[1] << 16) | ((uint32)bytes[2] << 8) | bytes[3];
}


status_t
tuntap_check_write_header(const tuntap_unit* unit, const uint8* head, size_t headLength,
	size_t length, int32* _type, size_t* _skip)
{
	*_type = 0;
	*_skip = 0;
	if (!unit->flavor->carries_ip)
		return B_OK;

	size_t skip = af_prefix_length(unit);
	if (headLength < skip + 1)
		return B_BAD_VALUE;

	uint8 version = head[skip] >> 4;
	int32 type;
	int family;
	if (version == 4) {
		type = B_NET_FRAME_TYPE_IPV4;
		family = AF_INET;
	} else if (version == 6) {
		/* a length rule, like the IPv4 minimum (min_packet) in tuntap_check_write_length() */
		if (length - skip < IPV6_HEADER)
			return B_BAD_VALUE;
		type = B_NET_FRAME_TYPE_IPV6;
		family = AF_INET6;
	} else
		return B_BAD_DATA;

	if (skip != 0 && read_be32(head) != (uint32)family)
		return B_BAD_DATA;

	*_type = type;
	*_skip = skip;
	return B_OK;
}


size_t
tuntap_read_prefix(const tuntap_unit* unit, net_buffer* buffer, uint8 prefix[4])
{
	if (af_prefix_length(unit) == 0)
		return 0;

	uint32 family = buffer->type == B_NET_FRAME_TYPE_IPV6 ? AF_INET6 : AF_INET;
	prefix[0] = family >> 24;
	prefix[1] = family >> 16;
	prefix[2] = family >> 8;
	prefix[3] = family;
	return AF_PREFIX_LENGTH;
}


status_t
tuntap_check_send(const tuntap_unit* unit, net_buffer* buffer, int32* _type)
{
	/* Only read here: a send the driver refuses leaves the buffer to the stack as it came (on
	 * Haiku the caller of send_data still owns it and may look at it again). */
	*_type = 0;
	/* not empty, and at least the link header (TAP: a whole Ethernet header) */
	size_t link = unit->flavor->link_header;
	if (buffer->size == 0 || buffer->size < link || buffer->size > unit->device.mtu + link)
		return B_BAD_VALUE;
	if (!unit->flavor->carries_ip)
		return B_OK;

	/* IP: the packet itself says what it is; the read side's AF prefix relies on type */
	uint8 first;
	if (gBufferModule->read(buffer, 0, &first, 1) != B_OK)
		return B_BAD_VALUE;
	if ((first >> 4) == 4)
		*_type = B_NET_FRAME_TYPE_IPV4;
	else if ((first >> 4) == 6)
		*_type = B_NET_FRAME_TYPE_IPV6;
	else
		return B_BAD_DATA;
	return B_OK;
}


/* The stack reads a received buffer's addresses before IPv4 fills them in from the header: for
 * a broadcast, or a packet for none of its addresses, it hands buffer->destination to
 * is_local_link_address() (Haiku's ipv4.cpp, ipv4_receive_data), which takes an AF_LINK one as
 * the link address of one of its interfaces. create_buffer() resets only the addresses' length,
 * so what an earlier Ethernet receive left there would still be AF_LINK: give both the packet's
 * own family and no address, as an IP receive path expects. */
static void
set_unspecified_address(struct sockaddr* address, int family)
{
	uint8 length = family == AF_INET6 ? SOCKADDR_IN6_LENGTH : SOCKADDR_IN_LENGTH;
	memset(address, 0, length);
	address->sa_len = length;
	address->sa_family = family;
}


void
tuntap_set_ip_metadata(net_buffer* buffer, int32 type)
{
	int family = type == B_NET_FRAME_TYPE_IPV6 ? AF_INET6 : AF_INET;
	buffer->type = type;
	set_unspecified_address(buffer->source, family);
	set_unspecified_address(buffer->destination, family);
}
