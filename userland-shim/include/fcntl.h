/* Shim: open-mode bits of Haiku's fcntl.h (Haiku's values), as the driver's open hook sees them.
 * Shadows glibc's header for driver and shim code only. */
#ifndef SHIM_FCNTL_H
#define SHIM_FCNTL_H

#define O_RDONLY 0x0000
#define O_WRONLY 0x0001
#define O_RDWR 0x0002
#define O_ACCMODE 0x0003
#define O_NONBLOCK 0x00000080
#define O_NDELAY O_NONBLOCK

#endif
