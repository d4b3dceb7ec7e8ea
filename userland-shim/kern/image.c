/* The add-on image's mapping: references as Haiku's module_image and elf image keep them, and the
 * unload, which poisons every hook table the image handed the kernel so a stale call panics. */
#include "shim_private.h"

#include <string.h>

#include <Drivers.h>
#include <net_device.h>

#include "host/host_asan.h"

/*
 * Haiku loads a kernel add-on once per file (elf.cpp, load_kernel_add_on: find_image_by_vnode
 * shares a loaded image) and counts its users: module.cpp holds the image while one of its modules
 * has a reference (get_module -> search_module -> get_module_image; put_module's last put ->
 * put_module_image -> unload_module_image) and while read_next_module_name scans it
 * (iterator_get_next_module), and devfs holds it while a legacy driver in it is loaded
 * (legacy_drivers.cpp, load_driver / unload_driver). At the last reference the image is unmapped
 * (unload_kernel_add_on): every hook of it that the kernel still holds (a module's std_ops and
 * net_device hooks, a published node's device_hooks) then points into unmapped memory, and the next
 * call through one is a page fault in the kernel.
 *
 * The shim links the add-on once into the process and cannot unmap it. At the last reference it
 * overwrites every function pointer of every table the image handed the kernel with
 * unloaded_hook(), which panics: a call through a stale hook ends the run as it would end Haiku.
 * The tables are saved first and put back, with the image's statics reset (addon_image.c), when
 * the image is mapped again: a fresh load, as Haiku's would be. One add-on image per boot (the
 * linked driver); the built-in modules (the stack's, net_buffer) are not in it.
 */
#define MAX_TABLES 16

struct table {
	void* address;
	size_t size;       /* bytes of the table */
	size_t first_hook; /* offset of the first function pointer; all after it are too */
	bool poisoned;
	uint8 saved[sizeof(struct net_device_module_info) > sizeof(device_hooks)
					? sizeof(struct net_device_module_info)
					: sizeof(device_hooks)];
};

static int32 sLock; /* spin lock word: taken by devfs with its own lock held, never blocks */
static const char* sName = "(none)";
static bool sRegistered;
static int32 sRefs;
static bool sMapped;
static bool sUnmappedBefore; /* unmapped once in this boot: the next map restores the statics */
static int32 sUnloads;
static struct table sTables[MAX_TABLES];
static int sTableCount;

static void
lock_images(void)
{
	while (atomic_test_and_set(&sLock, 1, 0) != 0)
		;
}

static void
unlock_images(void)
{
	atomic_set(&sLock, 0);
}

/* what every hook of an unloaded image points to */
static void
unloaded_hook(void)
{
	panic("called into add-on image %s after it was unloaded (a hook it handed the kernel "
		  "outlived its last reference)",
		sName);
}

/* byte loops: the driver's statics sit between ASan redzones a memcpy interceptor could touch */
SHIM_NO_ASAN static void
copy_bytes(volatile uint8* to, const volatile uint8* from, size_t size)
{
	for (size_t i = 0; i < size; i++)
		to[i] = from[i];
}

static void
poison(struct table* table)
{
	copy_bytes(table->saved, table->address, table->size);
	void (*hook)(void) = unloaded_hook;
	for (size_t offset = table->first_hook; offset + sizeof(void*) <= table->size;
		 offset += sizeof(void*)) {
		uint8* word = (uint8*)table->address + offset;
		void* value;
		memcpy(&value, word, sizeof(value));
		if (value != NULL)
			memcpy(word, &hook, sizeof(hook));
	}
	table->poisoned = true;
}

static void
restore_tables(void)
{
	for (int i = 0; i < sTableCount; i++) {
		if (sTables[i].poisoned)
			copy_bytes(sTables[i].address, sTables[i].saved, sTables[i].size);
		sTables[i].poisoned = false;
	}
}

void
shim_image_reset(const char* name)
{
	lock_images();
	/* the last boot's shutdown may have unmapped it: a boot loads the file afresh */
	restore_tables();
	sTableCount = 0;
	sName = name != NULL ? name : "(none)";
	sRegistered = name != NULL;
	sRefs = 0;
	sMapped = false;
	sUnmappedBefore = false;
	sUnloads = 0;
	unlock_images();
}

static void
add_table_locked(void* address, size_t size, size_t firstHook)
{
	for (int i = 0; i < sTableCount; i++) {
		if (sTables[i].address == address)
			return;
	}
	if (sTableCount == MAX_TABLES)
		panic(
			"shim: add-on image %s handed the kernel more than %d hook tables", sName, MAX_TABLES);
	sTables[sTableCount++] =
		(struct table){.address = address, .size = size, .first_hook = firstHook};
}

void
shim_image_add_module(module_info* info, bool deviceModule)
{
	lock_images();
	add_table_locked(info,
		deviceModule ? sizeof(struct net_device_module_info) : sizeof(module_info),
		offsetof(module_info, std_ops));
	unlock_images();
}

void
shim_image_note_hooks(device_hooks* hooks)
{
	/* only while the add-on is mapped: then only its code publishes (the kernel publishes
	 * nothing of its own in the shim; a test without an add-on publishes its own hooks) */
	lock_images();
	if (sMapped)
		add_table_locked(hooks, sizeof(device_hooks), 0);
	unlock_images();
}

void
shim_image_acquire(void)
{
	lock_images();
	if (!sRegistered)
		panic("shim: add-on image reference without an add-on");
	if (sRefs++ == 0 && !sMapped) {
		sMapped = true;
		if (sUnmappedBefore) {
			/* load_kernel_add_on again: the file's code and statics as linked */
			restore_tables();
			shim_addon_image_load();
		}
	}
	unlock_images();
}

void
shim_image_release(void)
{
	lock_images();
	if (sRefs <= 0)
		panic("shim: add-on image %s released without a reference", sName);
	if (--sRefs == 0) {
		sMapped = false;
		sUnmappedBefore = true;
		sUnloads++;
		for (int i = 0; i < sTableCount; i++)
			poison(&sTables[i]);
	}
	unlock_images();
}

void
shim_image_info(struct shim_image_state* state)
{
	lock_images();
	state->refs = sRefs;
	state->mapped = sMapped;
	state->unloads = sUnloads;
	unlock_images();
}
