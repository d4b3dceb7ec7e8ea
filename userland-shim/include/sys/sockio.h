/* Shim: the socket ioctl codes of Haiku's sys/sockio.h that the driver and stack model use.
 * Values as in Haiku (B_SOCKET_IO_BASE = 8900). */
#ifndef SHIM_SYS_SOCKIO_H
#define SHIM_SYS_SOCKIO_H

#define SIOCADDRT 8900
#define SIOCDIFADDR 8918
#define SIOCAIFADDR 8919
#define SIOCSIFMTU 8923
#define SIOCGIFMTU 8922
#define SIOCGIFSTATS 8929

#endif
