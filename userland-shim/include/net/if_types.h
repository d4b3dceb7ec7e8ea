/* Shim: interface types of Haiku's net/if_types.h used by the driver. */
#ifndef SHIM_NET_IF_TYPES_H
#define SHIM_NET_IF_TYPES_H

#define IFT_ETHER 0x06
#define IFT_LOOP 0x18
#define IFT_TUNNEL 0x83

#endif
