/* TUN and TAP as data: one table entry per kind of unit (name prefix, clone node, interface type
 * and flags, link header, address length, minimum packet), read wherever the two differ. */

#include "tuntap_private.h"

#include <ethernet.h>
#include <net/if_types.h>

/* the smallest IPv4 header: shorter writes cannot be an IP packet */
#define IPV4_MIN_HEADER 20

const tuntap_flavor kTuntapFlavors[TUNTAP_FLAVOR_COUNT] = {
	{
		.mode = TUNTAP_MODE_TUN,
		.prefix = TUNTAP_TUN_PREFIX,
		.clone_path = TUNTAP_TUN_CLONE,
		.if_type = IFT_TUNNEL,
		.if_flags = IFF_POINTOPOINT | IFF_LINK,
		.link_header = 0,
		.address_length = 0,
		.min_packet = IPV4_MIN_HEADER,
		.carries_ip = true,
	},
	{
		.mode = TUNTAP_MODE_TAP,
		.prefix = TUNTAP_TAP_PREFIX,
		.clone_path = TUNTAP_TAP_CLONE,
		.if_type = IFT_ETHER,
		.if_flags = IFF_BROADCAST | IFF_ALLMULTI | IFF_LINK | IFF_MULTICAST,
		.link_header = ETHER_HEADER_LENGTH,
		.address_length = ETHER_ADDRESS_LENGTH,
		.min_packet = 0,
		.carries_ip = false,
	},
};
