/* The driver add-on image's static data, fresh at every boot as Haiku's loader gives it: its data
 * as linked, its bss zeroed. For add-ons whose sections were renamed shim_addon_data/_bss. */
#include "shim_private.h"

#include "host/host_asan.h"

/*
 * Haiku loads a kernel add-on's image from its file (elf.cpp, load_kernel_add_on): every static
 * starts as initialized, bss zeroed, at each load. The shim links the add-on into the harness
 * once and boots many times, so a driver that keeps state in statics and has no std_ops to reset
 * it (the upstream tunnel driver: gDevices[], gDevicesLock) would carry one boot's pointers into
 * the next. Its build renames its object's .data and .bss to shim_addon_data and shim_addon_bss;
 * the linker then marks their bounds (__start_/__stop_), and this file snapshots the data at the
 * first boot and puts it back, with bss zeroed, at every later one. Without such sections (our
 * driver, which resets its state in std_ops) there is nothing to do.
 * Not modelled: Haiku also reloads the image when its last module is put and then loaded again
 * within one boot; the shim keeps the statics until the next boot.
 */
extern uint8 __start_shim_addon_data[] __attribute__((weak));
extern uint8 __stop_shim_addon_data[] __attribute__((weak));
extern uint8 __start_shim_addon_bss[] __attribute__((weak));
extern uint8 __stop_shim_addon_bss[] __attribute__((weak));

static uint8* sDataImage; /* the data section as linked (host heap, kept for the process) */

/* byte loops: the sections hold ASan's poisoned redzones between globals, which a memcpy (ASan's
 * interceptor) would report */
SHIM_NO_ASAN static void
copy_bytes(volatile uint8* to, const volatile uint8* from, size_t size)
{
	for (size_t i = 0; i < size; i++)
		to[i] = from[i];
}

SHIM_NO_ASAN static void
zero_bytes(volatile uint8* to, size_t size)
{
	for (size_t i = 0; i < size; i++)
		to[i] = 0;
}

void
shim_addon_image_load(void)
{
	if (__start_shim_addon_data != NULL) {
		size_t size = (size_t)(__stop_shim_addon_data - __start_shim_addon_data);
		if (sDataImage == NULL) {
			sDataImage = shim_host_alloc(size > 0 ? size : 1);
			copy_bytes(sDataImage, __start_shim_addon_data, size);
		} else
			copy_bytes(__start_shim_addon_data, sDataImage, size);
	}
	if (__start_shim_addon_bss != NULL)
		zero_bytes(
			__start_shim_addon_bss, (size_t)(__stop_shim_addon_bss - __start_shim_addon_bss));
}
