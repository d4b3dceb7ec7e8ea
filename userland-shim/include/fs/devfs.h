/* Shim: devfs publishing (private/kernel/fs/devfs.h). Paths are relative to /dev.
 * See userland-shim/dev/devfs.c for the descriptor rules it enforces. */
#ifndef SHIM_FS_DEVFS_H
#define SHIM_FS_DEVFS_H

#include <Drivers.h>

#ifdef __cplusplus
extern "C" {
#endif

status_t devfs_publish_device(const char* path, device_hooks* calls);
status_t devfs_unpublish_device(const char* path, bool disconnect);
status_t devfs_publish_directory(const char* path);

#ifdef __cplusplus
}
#endif

#endif
