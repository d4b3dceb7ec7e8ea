/* Module loader: a table of built-in and add-on modules with Haiku's get_module/put_module rules
 * (dependencies before B_MODULE_INIT, reference counts, B_KEEP_LOADED), reentrant from std_ops. */
#include "shim_private.h"

#include <inttypes.h>
#include <string.h>

#include <lock.h>

struct module_entry {
	struct module_entry* next;
	module_info* info;
	module_dependency* dependencies; /* the add-on's module_dependencies[], or NULL */
	int32 refs;
	bool loaded; /* B_MODULE_INIT succeeded and no B_MODULE_UNINIT since */
	bool busy;   /* inside its B_MODULE_INIT or B_MODULE_UNINIT */
	bool tried;  /* shim_module_unload_all() pass bookkeeping */
};

/* One recursive lock, as Haiku's sModulesLock: std_ops may call get_module/put_module. */
static mutex sLock = MUTEX_INITIALIZER("shim modules");
static int32 sHolder = -1;
static int32 sDepth;
static struct module_entry* sModules;
static SHIM_OBJECT_CACHE(sEntryCache, sizeof(struct module_entry));

static void
lock_modules(void)
{
	thread_id self = find_thread(NULL);
	if (atomic_get(&sHolder) == self) {
		sDepth++;
		return;
	}
	mutex_lock(&sLock);
	atomic_set(&sHolder, self);
	sDepth = 1;
}

static void
unlock_modules(void)
{
	if (--sDepth > 0)
		return;
	atomic_set(&sHolder, -1);
	mutex_unlock(&sLock);
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
	else if (!entry->loaded)
		status = load_module(entry);
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
	} else if (--entry->refs == 0 && entry->loaded && (entry->info->flags & B_KEEP_LOADED) == 0)
		unload_module(entry);
	unlock_modules();
	return status;
}

status_t
shim_module_register(module_info* info, module_dependency* dependencies)
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
	struct module_entry** link = &sModules;
	while (*link != NULL)
		link = &(*link)->next;
	*link = entry;
	unlock_modules();
	return B_OK;
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
			if (!entry->loaded || entry->refs != 0 || entry->tried)
				continue;
			entry->tried = true;
			progress = true;
			status_t status = unload_module(entry);
			if (status != B_OK && result == B_OK)
				result = status;
		}
	}
	for (struct module_entry* entry = sModules; entry != NULL; entry = entry->next) {
		if (entry->refs > 0) {
			dprintf("shim: module %s still has %" PRId32 " reference(s) at shutdown\n",
				entry->info->name, entry->refs);
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
