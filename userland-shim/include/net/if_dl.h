/* Shim: Haiku's net/if_dl.h, the link-level socket address (Haiku's layout), for drivers that
 * include it. */
#ifndef SHIM_NET_IF_DL_H
#define SHIM_NET_IF_DL_H

#include <SupportDefs.h>

struct sockaddr_dl {
	uint8_t sdl_len;
	uint8_t sdl_family;
	uint16_t sdl_e_type;
	uint32_t sdl_index;
	uint8_t sdl_type;
	uint8_t sdl_nlen;
	uint8_t sdl_alen;
	uint8_t sdl_slen;
	uint8_t sdl_data[46];
};

#define LLADDR(s) ((uint8_t*)((s)->sdl_data + (s)->sdl_nlen))

#endif
