/* Shim: FIONBIO and FIONREAD with Haiku's values (posix/sys/ioctl.h).
 * FIONREAD reaches the driver's control hook with a user int pointer. */
#ifndef SHIM_SYS_IOCTL_H
#define SHIM_SYS_IOCTL_H

#define FIONBIO 0xbe000000
#define FIONREAD 0xbe000001

#endif
