/* Shim: interface names, flags, statistics and request structs of Haiku's net/if.h.
 * Layouts follow Haiku's header. */
#ifndef SHIM_NET_IF_H
#define SHIM_NET_IF_H

#include <sys/socket.h>

#define IF_NAMESIZE 32
#define IFNAMSIZ IF_NAMESIZE

#define IFF_UP 0x0001
#define IFF_BROADCAST 0x0002
#define IFF_LOOPBACK 0x0008
#define IFF_POINTOPOINT 0x0010
#define IFF_NOARP 0x0040
#define IFF_PROMISC 0x0100
#define IFF_ALLMULTI 0x0200
#define IFF_SIMPLEX 0x0800
#define IFF_LINK 0x1000
#define IFF_MULTICAST 0x8000

struct ifreq_stream_stats {
	uint32_t packets;
	uint32_t errors;
	uint64_t bytes;
	uint32_t multicast_packets;
	uint32_t dropped;
};

struct ifreq_stats {
	struct ifreq_stream_stats receive;
	struct ifreq_stream_stats send;
	uint32_t collisions;
};

struct ifreq {
	char ifr_name[IF_NAMESIZE];
	union {
		struct sockaddr ifr_addr;
		struct ifreq_stats ifr_stats;
		int ifr_flags;
		int ifr_index;
		int ifr_mtu;
		int ifr_type;
		uint8_t* ifr_data;
	};
};

struct ifaliasreq {
	char ifra_name[IF_NAMESIZE];
	int ifra_index;
	struct sockaddr_storage ifra_addr;
	union {
		struct sockaddr_storage ifra_broadaddr;
		struct sockaddr_storage ifra_destination;
	};
	struct sockaddr_storage ifra_mask;
	uint32_t ifra_flags;
};

#endif
