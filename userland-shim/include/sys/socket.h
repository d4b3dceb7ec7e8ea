/* Shim: the socket address types of Haiku's sys/socket.h (Haiku's layout and AF_ values).
 * Shadows glibc's header for driver and shim code only; host-socket code must not use this path. */
#ifndef SHIM_SYS_SOCKET_H
#define SHIM_SYS_SOCKET_H

#include <SupportDefs.h>

typedef uint8_t sa_family_t;

#define AF_UNSPEC 0
#define AF_INET 1
#define AF_LINK 4
#define AF_INET6 5

struct sockaddr {
	uint8_t sa_len;
	sa_family_t sa_family;
	uint8_t sa_data[30];
};

struct sockaddr_storage {
	uint8_t ss_len;
	sa_family_t ss_family;
	uint8_t __ss_pad1[6];
	uint64_t __ss_pad2;
	uint8_t __ss_pad3[112];
};

#endif
