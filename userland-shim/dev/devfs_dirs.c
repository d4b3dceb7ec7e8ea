/* devfs's directories: those drivers/dev holds (published by a scan) and every published node's
 * parents, never removed (as Haiku's devfs), each scanned for drivers at its first lookup. */
#include "dev/dev_private.h"

struct devfs_dir {
	struct devfs_dir* next;
	bool scanned;
	char path[];
};

static struct devfs_dir* sDirs; /* "" (/dev) first; host heap, replaced at every boot */

static struct devfs_dir*
find_dir_locked(const char* path, size_t length)
{
	for (struct devfs_dir* dir = sDirs; dir != NULL; dir = dir->next) {
		if (strlen(dir->path) == length && shim_str_prefix(dir->path, path, length))
			return dir;
	}
	return NULL;
}

static void
add_dir_locked(const char* path, size_t length)
{
	if (find_dir_locked(path, length) != NULL)
		return;
	struct devfs_dir* dir = shim_host_alloc(sizeof(struct devfs_dir) + length + 1);
	dir->scanned = false;
	memcpy(dir->path, path, length);
	dir->path[length] = '\0';
	struct devfs_dir** link = &sDirs;
	while (*link != NULL)
		link = &(*link)->next;
	dir->next = NULL;
	*link = dir;
}

/* the directories above `path` ("tun" for "tun/0"), and `path` itself if `self` */
void
devfs_add_parents_locked(const char* path, bool self)
{
	size_t length = strlen(path);
	for (size_t i = 0; i < length; i++) {
		if (path[i] == '/')
			add_dir_locked(path, i);
	}
	if (self)
		add_dir_locked(path, length);
}

bool
devfs_dir_exists_locked(const char* path)
{
	return find_dir_locked(path, strlen(path)) != NULL;
}

bool
devfs_dir_needs_scan_locked(const char* path)
{
	struct devfs_dir* dir = find_dir_locked(path, strlen(path));
	return dir != NULL && !dir->scanned;
}

void
devfs_dir_set_scanned_locked(const char* path)
{
	struct devfs_dir* dir = find_dir_locked(path, strlen(path));
	if (dir != NULL)
		dir->scanned = true;
}

bool
devfs_path_scanned_locked(const char* path)
{
	if (!sDirs->scanned)
		return false;
	for (size_t i = 0; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		struct devfs_dir* dir = find_dir_locked(path, i);
		if (dir == NULL || !dir->scanned)
			return false;
	}
	return true;
}

void
devfs_reset_dirs_locked(void)
{
	while (sDirs != NULL) {
		struct devfs_dir* dir = sDirs;
		sDirs = dir->next;
		shim_host_free(dir);
	}
	add_dir_locked("", 0);
}
