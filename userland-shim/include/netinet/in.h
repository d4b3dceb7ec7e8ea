/* Shim: the IPv4 socket address of Haiku's netinet/in.h (Haiku's layout: 1-byte length and
 * family, then port and address, 24 bytes of padding), for C++ drivers that name it. */
#ifndef SHIM_NETINET_IN_H
#define SHIM_NETINET_IN_H

#include <sys/socket.h>

typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

struct in_addr {
	in_addr_t s_addr;
};

struct sockaddr_in {
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;
	struct in_addr sin_addr;
	int8_t sin_zero[24];
};

#endif
