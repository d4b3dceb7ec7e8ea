/* Shim: Haiku's device hooks and the generic driver ioctl codes (values as in Haiku).
 * devfs (userland-shim/dev/devfs.c) calls these hooks with Haiku's descriptor rules. */
#ifndef SHIM_DRIVERS_H
#define SHIM_DRIVERS_H

#include <OS.h>
#include <Select.h>
/* the open flags (O_NONBLOCK...) a driver compares its open hook's flags with */
#include <fcntl.h>

typedef status_t (*device_open_hook)(const char* name, uint32 flags, void** cookie);
typedef status_t (*device_close_hook)(void* cookie);
typedef status_t (*device_free_hook)(void* cookie);
typedef status_t (*device_control_hook)(void* cookie, uint32 op, void* data, size_t len);
typedef status_t (*device_read_hook)(void* cookie, off_t position, void* data, size_t* numBytes);
typedef status_t (*device_write_hook)(
	void* cookie, off_t position, const void* data, size_t* numBytes);
typedef status_t (*device_select_hook)(void* cookie, uint8 event, uint32 ref, selectsync* sync);
typedef status_t (*device_deselect_hook)(void* cookie, uint8 event, selectsync* sync);
struct iovec;
typedef status_t (*device_readv_hook)(
	void* cookie, off_t position, const struct iovec* vec, size_t count, size_t* numBytes);
typedef status_t (*device_writev_hook)(
	void* cookie, off_t position, const struct iovec* vec, size_t count, size_t* numBytes);

#define B_CUR_DRIVER_API_VERSION 2

typedef struct {
	device_open_hook open;
	device_close_hook close;
	device_free_hook free;
	device_control_hook control;
	device_read_hook read;
	device_write_hook write;
	device_select_hook select;
	device_deselect_hook deselect;
	device_readv_hook readv;
	device_writev_hook writev;
} device_hooks;

/* what a legacy driver exports: devfs loads it on demand (the shim: dev/legacy_drivers.c) */
status_t init_hardware(void);
const char** publish_devices(void);
device_hooks* find_device(const char* name);
status_t init_driver(void);
void uninit_driver(void);

extern int32 api_version;

enum {
	B_GET_DEVICE_SIZE = 1,
	B_SET_DEVICE_SIZE,
	B_SET_NONBLOCKING_IO,
	B_SET_BLOCKING_IO,
	B_GET_READ_STATUS,
	B_GET_WRITE_STATUS,
	B_GET_GEOMETRY,
	B_GET_DRIVER_FOR_DEVICE,
	B_GET_PARTITION_INFO,
	B_SET_PARTITION,
	B_FORMAT_DEVICE,
	B_EJECT_DEVICE,
	B_GET_ICON,
	B_GET_BIOS_GEOMETRY,
	B_GET_MEDIA_STATUS,
	B_LOAD_MEDIA,
	B_GET_BIOS_DRIVE_ID,
	B_SET_UNINTERRUPTABLE_IO,
	B_SET_INTERRUPTABLE_IO,
	B_FLUSH_DRIVE_CACHE,
	B_GET_PATH_FOR_DEVICE,
	B_GET_ICON_NAME,
	B_GET_VECTOR_ICON,
	B_GET_DEVICE_NAME,
	B_TRIM_DEVICE,

	B_GET_NEXT_OPEN_DEVICE = 1000,
	B_ADD_FIXED_DRIVER,
	B_REMOVE_FIXED_DRIVER,

	B_AUDIO_DRIVER_BASE = 8000,
	B_MIDI_DRIVER_BASE = 8100,
	B_JOYSTICK_DRIVER_BASE = 8200,
	B_GRAPHIC_DRIVER_BASE = 8300,

	B_DEVICE_OP_CODES_END = 9999
};

#endif
