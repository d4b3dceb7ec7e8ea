/* Shim: Ethernet constants and header of Haiku's private/net/ethernet.h. */
#ifndef SHIM_ETHERNET_H
#define SHIM_ETHERNET_H

#include <SupportDefs.h>

#define ETHER_ADDRESS_LENGTH 6
#define ETHER_CRC_LENGTH 4
#define ETHER_HEADER_LENGTH 14
#define ETHER_MIN_FRAME_SIZE 64
#define ETHER_MAX_FRAME_SIZE 1514

struct ether_header {
	uint8 destination[ETHER_ADDRESS_LENGTH];
	uint8 source[ETHER_ADDRESS_LENGTH];
	uint16 type;
} __attribute__((packed));

#define ETHER_TYPE_IP 0x0800
#define ETHER_TYPE_ARP 0x0806
#define ETHER_TYPE_IPV6 0x86dd

#endif
