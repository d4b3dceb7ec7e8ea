/* Shim: media words of Haiku's net/if_media.h used by the driver (Haiku's values). */
#ifndef SHIM_NET_IF_MEDIA_H
#define SHIM_NET_IF_MEDIA_H

#define IFM_ETHER 0x00000020
#define IFM_ACTIVE 0x00800000

#endif
