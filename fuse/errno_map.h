/* status_to_errno(): the Linux errno a FUSE reply carries for a status of the driver or the shim
 * (errno_map.c); its own header so that tools/test-tools.sh can check it without libfuse. */
#ifndef TUNTAPFS_ERRNO_MAP_H
#define TUNTAPFS_ERRNO_MAP_H

#include <SupportDefs.h>

/* B_* status (or Haiku's POSIX code) -> Linux errno of the same meaning; EIO for the unknown */
int status_to_errno(status_t status);

#endif
