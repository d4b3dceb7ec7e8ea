/* Module loader: a table of built-in and add-on modules with Haiku's get_module/put_module rules
 * (dependencies first, counts, B_KEEP_LOADED, image references), module lists; reentrant. */
#include "shim_private.h"

#include <inttypes.h>
#include <string.h>

#include <lock.h>

#define DEVICE_MODULE_PREFIX "network/devices/"
#define MODULE_PREFIX_MAX 256 /* B_FILE_NAME_LENGTH */

struct module_entry {
	struct module_entry* next;
	module_info* info;
	module_dependency* dependencies; /* the add-on's module_dependencies[], or NULL */
	int32 refs;  /* get_module's, plus one of its own while a B_KEEP_LOADED module is loaded */
	bool addon;  /* in the boot's add-on image (image.c), not built in */
	bool loaded; /* B_MODULE_INIT succeeded and no B_MODULE_UNINIT since */
	bool busy;   /* inside its B_MODULE_INIT or B_MODULE_UNINIT */
	bool tried;  /* shim_module_unload_all() pass bookkeeping */
};

/* One recursive lock, as Haiku's sModulesLock: std_ops may call get_module/put_module. */
static struct shim_recursive_lock sLock = SHIM_RECURSIVE_LOCK_INITIALIZER("shim modules");
static struct module_entry* sModules;
static SHIM_OBJECT_CACHE(sEntryCache, sizeof(struct module_entry));

static void
lock_modules(void)
{
	shim_recursive_lock(&sLock);
}

static void
unlock_modules(void)
{
	shim_recursive_unlock(&sLock);
}

static struct module_entry*
find_module(const char* name)
{
	for (struct module_entry* entry = sModules; entry != NULL; entry = entry->next) {
		if (shim_str_equal(entry->info->name, name))
			return entry;
	}
	return NULL;
}

static void
put_dependencies(module_dependency* dependencies, int count)
{
	for (int i = count - 1; i >= 0; i--)
		put_module(dependencies[i].name);
}

static status_t
load_module(struct module_entry* entry)
{
	int count = 0;
	if (entry->dependencies != NULL) {
		for (; entry->dependencies[count].name != NULL; count++) {
			status_t status =
				get_module(entry->dependencies[count].name, entry->dependencies[count].info);
			if (status != B_OK) {
				put_dependencies(entry->dependencies, count);
				return status;
			}
		}
	}
	if (entry->info->std_ops != NULL) {
		entry->busy = true;
		status_t status = entry->info->std_ops(B_MODULE_INIT);
		entry->busy = false;
		if (status != B_OK) {
			put_dependencies(entry->dependencies, count);
			return status;
		}
	}
	entry->loaded = true;
	return B_OK;
}

static status_t
unload_module(struct module_entry* entry)
{
	if (entry->info->std_ops != NULL) {
		entry->busy = true;
		status_t status = entry->info->std_ops(B_MODULE_UNINIT);
		entry->busy = false;
		if (status != B_OK)
			return status; /* it stays loaded, its dependencies stay referenced */
	}
	entry->loaded = false;
	if (entry->dependencies != NULL) {
		int count = 0;
		while (entry->dependencies[count].name != NULL)
			count++;
		put_dependencies(entry->dependencies, count);
	}
	return B_OK;
}

status_t
get_module(const char* path, module_info** _info)
{
	if (path == NULL)
		return B_BAD_VALUE;
	lock_modules();
	struct module_entry* entry = find_module(path);
	status_t status = B_OK;
	if (entry == NULL)
		status = B_ENTRY_NOT_FOUND;
	else if (entry->busy)
		status = B_BUSY; /* a circular dependency, or a module getting itself */
	else if (entry->refs == 0) {
		/* module.cpp, get_module: the first reference loads the image (search_module ->
		 * get_module_image) and initializes the module; a B_KEEP_LOADED one gets one more
		 * reference then, so no put_module ever drops it to 0 */
		if (entry->addon)
			shim_image_acquire();
		status = load_module(entry);
		if (status == B_OK && (entry->info->flags & B_KEEP_LOADED) != 0)
			entry->refs++;
		else if (status != B_OK && entry->addon)
			shim_image_release();
	}
	if (status == B_OK) {
		entry->refs++;
		if (_info != NULL)
			*_info = entry->info;
	}
	unlock_modules();
	return status;
}

status_t
put_module(const char* path)
{
	if (path == NULL)
		return B_BAD_VALUE;
	lock_modules();
	struct module_entry* entry = find_module(path);
	status_t status = B_OK;
	if (entry == NULL)
		status = B_ENTRY_NOT_FOUND;
	else if (entry->refs <= 0) {
		dprintf("shim: put_module(\"%s\") without a reference\n", path);
		status = B_BAD_VALUE;
	} else if (--entry->refs == 0) {
		if ((entry->info->flags & B_KEEP_LOADED) != 0)
			panic("ref count of B_KEEP_LOADED module %s dropped to 0", path); /* module.cpp */
		/* module.cpp, put_module: uninit_module, then the image's reference goes
		 * (put_module_image: its last one unloads it). A failed uninit keeps the module (and its
		 * image) for good: Haiku marks it B_KEEP_LOADED with one more reference. */
		if (unload_module(entry) != B_OK)
			entry->refs++;
		else if (entry->addon)
			shim_image_release();
	}
	unlock_modules();
	return status;
}

static status_t
register_module(module_info* info, module_dependency* dependencies, bool addon)
{
	if (info == NULL || info->name == NULL)
		return B_BAD_VALUE;
	lock_modules();
	if (find_module(info->name) != NULL) {
		unlock_modules();
		return B_NAME_IN_USE;
	}
	struct module_entry* entry = shim_cache_alloc(&sEntryCache);
	memset(entry, 0, sizeof(struct module_entry));
	entry->info = info;
	entry->dependencies = dependencies;
	entry->addon = addon;
	struct module_entry** link = &sModules;
	while (*link != NULL)
		link = &(*link)->next;
	*link = entry;
	unlock_modules();
	return B_OK;
}

status_t
shim_module_register(module_info* info, module_dependency* dependencies)
{
	return register_module(info, dependencies, false);
}

status_t
shim_module_register_image(module_info** modules, module_dependency* dependencies)
{
	for (int i = 0; modules != NULL && modules[i] != NULL; i++) {
		status_t status = register_module(modules[i], dependencies, true);
		if (status != B_OK)
			return status;
		shim_image_add_module(modules[i], shim_str_prefix(modules[i]->name, DEVICE_MODULE_PREFIX,
											  sizeof(DEVICE_MODULE_PREFIX) - 1));
	}
	return B_OK;
}

/* the references a loaded module holds on itself: B_KEEP_LOADED's one */
static int32
own_refs(const struct module_entry* entry)
{
	return entry->loaded && (entry->info->flags & B_KEEP_LOADED) != 0 ? 1 : 0;
}

status_t
shim_module_unload_all(void)
{
	status_t result = B_OK;
	lock_modules();
	for (struct module_entry* entry = sModules; entry != NULL; entry = entry->next)
		entry->tried = false;
	/* repeat: unloading a module puts its dependencies, which may then be unloadable */
	bool progress = true;
	while (progress) {
		progress = false;
		for (struct module_entry* entry = sModules; entry != NULL; entry = entry->next) {
			if (!entry->loaded || entry->refs != own_refs(entry) || entry->tried)
				continue;
			entry->tried = true;
			progress = true;
			status_t status = unload_module(entry);
			if (status != B_OK && result == B_OK)
				result = status;
			if (status == B_OK) {
				entry->refs = 0;
				if (entry->addon)
					shim_image_release();
			}
		}
	}
	for (struct module_entry* entry = sModules; entry != NULL; entry = entry->next) {
		if (entry->refs > own_refs(entry)) {
			dprintf("shim: module %s still has %" PRId32 " reference(s) at shutdown\n",
				entry->info->name, entry->refs - own_refs(entry));
		}
	}
	unlock_modules();
	return result;
}

void
shim_module_reset(void)
{
	lock_modules();
	while (sModules != NULL) {
		struct module_entry* entry = sModules;
		sModules = entry->next;
		shim_cache_free(&sEntryCache, entry);
	}
	unlock_modules();
}

/* ---- module lists: open_module_list, read_next_module_name, close_module_list ---------------- */

/*
 * module.cpp, iterator_get_next_module: the built-in modules first, then each add-on image found
 * under the module directories; an image is loaded (get_module_image) while the iterator reads its
 * modules[] and put (put_module_image, which unloads it if nobody else holds it) when the iterator
 * leaves it or is closed. The shim has one add-on image: its modules come after the built-in ones,
 * in modules[] order.
 */
struct module_iterator {
	char prefix[MODULE_PREFIX_MAX];
	int32 next;        /* index of the next entry to consider, registration order */
	bool in_image;     /* scanning the image's modules: holds an image reference */
	bool image_passed; /* built-in entries done */
};

void*
open_module_list(const char* prefix)
{
	/* Haiku mallocs it (and can fail); the host heap keeps the driver's fault plans' allocation
	 * counts as they were */
	struct module_iterator* iterator = shim_host_alloc(sizeof(struct module_iterator));
	memset(iterator, 0, sizeof(*iterator));
	strlcpy(iterator->prefix, prefix != NULL ? prefix : "", sizeof(iterator->prefix));
	return iterator;
}

static struct module_entry*
entry_at(int32 index)
{
	struct module_entry* entry = sModules;
	while (entry != NULL && index-- > 0)
		entry = entry->next;
	return entry;
}

status_t
read_next_module_name(void* cookie, char* buffer, size_t* _bufferSize)
{
	struct module_iterator* iterator = cookie;
	if (iterator == NULL || buffer == NULL || _bufferSize == NULL)
		return B_BAD_VALUE;
	size_t length = strlen(iterator->prefix);
	lock_modules();
	/* two passes over the table: built-in modules, then the image's */
	for (;;) {
		struct module_entry* entry = entry_at(iterator->next);
		if (entry == NULL) {
			if (iterator->image_passed)
				break;
			iterator->image_passed = true;
			iterator->next = 0;
			continue;
		}
		iterator->next++;
		if (entry->addon != iterator->image_passed
			|| !shim_str_prefix(entry->info->name, iterator->prefix, length))
			continue;
		if (entry->addon && !iterator->in_image) {
			shim_image_acquire();
			iterator->in_image = true;
		}
		*_bufferSize = strlcpy(buffer, entry->info->name, *_bufferSize);
		unlock_modules();
		return B_OK;
	}
	if (iterator->in_image) {
		iterator->in_image = false;
		shim_image_release();
	}
	unlock_modules();
	return B_ENTRY_NOT_FOUND;
}

status_t
close_module_list(void* cookie)
{
	struct module_iterator* iterator = cookie;
	if (iterator == NULL)
		return B_BAD_VALUE;
	if (iterator->in_image)
		shim_image_release();
	shim_host_free(iterator);
	return B_OK;
}

const char*
shim_module_name_at(const char* prefix, int index)
{
	const char* name = NULL;
	size_t length = prefix != NULL ? strlen(prefix) : 0;
	lock_modules();
	for (struct module_entry* entry = sModules; entry != NULL; entry = entry->next) {
		if (length > 0 && !shim_str_prefix(entry->info->name, prefix, length))
			continue;
		if (index-- == 0) {
			name = entry->info->name;
			break;
		}
	}
	unlock_modules();
	return name;
}
