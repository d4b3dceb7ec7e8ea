/* Shim: Haiku's net/if_tun.h. At the pinned commit Haiku's header declares nothing (no ioctls
 * for its tunnel driver); it exists so that an upstream driver including it compiles. */
#ifndef SHIM_NET_IF_TUN_H
#define SHIM_NET_IF_TUN_H

#endif
