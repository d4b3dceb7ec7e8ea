/* Linux-side ioctl codes for tuntapfs device files: the driver's ioctls re-encoded with _IOC so
 * that FUSE's restricted ioctls can carry their fixed-size arguments (see README.md). */
#ifndef TUNTAPFS_IOCTL_H
#define TUNTAPFS_IOCTL_H

#include <linux/ioctl.h>

#define TUNTAPFS_IOC_TYPE 'h'
/* argument sizes: struct tuntap_info is 36 bytes, struct tuntap_stats 112 (driver/tuntap.h) */
#define TUNTAPFS_INFO_SIZE 36
#define TUNTAPFS_STATS_SIZE 112

/* _IOC_NR = the driver's op - TUNTAP_IOCTL_BASE */
#define TUNTAPFS_GET_NAME _IOC(_IOC_READ, TUNTAPFS_IOC_TYPE, 0, 32)
#define TUNTAPFS_GET_INFO _IOC(_IOC_READ, TUNTAPFS_IOC_TYPE, 1, TUNTAPFS_INFO_SIZE)
#define TUNTAPFS_SET_INFO _IOC(_IOC_WRITE, TUNTAPFS_IOC_TYPE, 2, TUNTAPFS_INFO_SIZE)
#define TUNTAPFS_GET_MTU _IOC(_IOC_READ, TUNTAPFS_IOC_TYPE, 3, 4)
#define TUNTAPFS_SET_MTU _IOC(_IOC_WRITE, TUNTAPFS_IOC_TYPE, 4, 4)
#define TUNTAPFS_GET_HEADER_MODE _IOC(_IOC_READ, TUNTAPFS_IOC_TYPE, 5, 4)
#define TUNTAPFS_SET_HEADER_MODE _IOC(_IOC_WRITE, TUNTAPFS_IOC_TYPE, 6, 4)
#define TUNTAPFS_GET_STATS _IOC(_IOC_READ, TUNTAPFS_IOC_TYPE, 7, TUNTAPFS_STATS_SIZE)
#define TUNTAPFS_SET_HWADDR _IOC(_IOC_WRITE, TUNTAPFS_IOC_TYPE, 8, 6)
/* the driver's FIONREAD (Linux answers its own FIONREAD for regular files) */
#define TUNTAPFS_FIONREAD _IOC(_IOC_READ, TUNTAPFS_IOC_TYPE, 0x40, 4)
/* Haiku's B_SET_NONBLOCKING_IO and B_SET_BLOCKING_IO pass through unchanged (no argument) */
#define TUNTAPFS_SET_NONBLOCKING_IO 3
#define TUNTAPFS_SET_BLOCKING_IO 4

#endif
