/* The FUSE low-level operations of tuntapfs: the shim's devfs as a directory tree (tun/, tap/,
 * bare/), and open/read/write/poll/ioctl/release of a node as the shim's devfs calls. */
#include "tuntapfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <Drivers.h>

#include "tuntap.h"
#include "tuntapfs_ioctl.h"

#define READ_MAX (64 * 1024) /* more than any frame: MTU 16384 + header */

static pthread_mutex_t sHandlesLock = PTHREAD_MUTEX_INITIALIZER;
static struct handle* sHandles;
static time_t sBootTime;

_Static_assert(sizeof(struct tuntap_info) == TUNTAPFS_INFO_SIZE, "tuntap_info size");
_Static_assert(sizeof(struct tuntap_stats) == TUNTAPFS_STATS_SIZE, "tuntap_stats size");


/* ---- names and inode numbers ------------------------------------------------------------- */

static const char* const kKinds[] = {"tun", "tap"};

/* "tun/3" -> inode; 0 if the name is not a node name */
static fuse_ino_t
node_ino(int kind, const char* leaf)
{
	if (strcmp(leaf, "clone") == 0)
		return INO_NODE_BASE + (fuse_ino_t)kind * INO_KIND_SPAN + INO_CLONE;
	if (leaf[0] < '0' || leaf[0] > '9' || (leaf[0] == '0' && leaf[1] != '\0') || strlen(leaf) > 5)
		return 0;
	char* end;
	unsigned long unit = strtoul(leaf, &end, 10);
	if (*end != '\0' || unit > TUNTAP_MAX_UNIT)
		return 0;
	return INO_NODE_BASE + (fuse_ino_t)kind * INO_KIND_SPAN + unit;
}

/* inode -> devfs path ("tap/clone"); false if it is no device node */
static bool
ino_path(fuse_ino_t ino, char* path, size_t size)
{
	if (ino < INO_NODE_BASE || ino >= INO_NODE_BASE + 2 * INO_KIND_SPAN)
		return false;
	fuse_ino_t offset = ino - INO_NODE_BASE;
	int kind = (int)(offset / INO_KIND_SPAN);
	fuse_ino_t unit = offset % INO_KIND_SPAN;
	if (unit == INO_CLONE)
		snprintf(path, size, "%s/clone", kKinds[kind]);
	else if (unit <= TUNTAP_MAX_UNIT)
		snprintf(path, size, "%s/%lu", kKinds[kind], (unsigned long)unit);
	else
		return false;
	return true;
}

static struct bare_file*
ino_bare(fuse_ino_t ino)
{
	if (ino < INO_BARE_BASE || ino >= INO_BARE_BASE + (fuse_ino_t)bare_count())
		return NULL;
	return bare_find(bare_name((int)(ino - INO_BARE_BASE)));
}

static bool
ino_stat(fuse_ino_t ino, struct stat* st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atime = st->st_mtime = st->st_ctime = sBootTime;
	char path[64];
	if (ino == INO_ROOT || ino == INO_TUN_DIR || ino == INO_TAP_DIR
		|| (ino == INO_BARE_DIR && bare_count() > 0)) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return true;
	}
	/* a lookup, as Haiku's VFS makes one: the first in /dev/tun or /dev/tap loads the add-on's
	 * devfs driver part (its clone nodes) */
	if ((ino_path(ino, path, sizeof(path)) && shim_lookup(path) == B_OK) || ino_bare(ino) != NULL) {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
		return true;
	}
	return false;
}


/* ---- directories ------------------------------------------------------------------------- */

static void
op_init(void* userdata, struct fuse_conn_info* conn)
{
	(void)userdata;
	sBootTime = time(NULL);
	/* every read and write is a packet: no splicing, no read-ahead */
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	conn->max_readahead = 0;
}

static void
op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name)
{
	fuse_ino_t ino = 0;
	if (parent == INO_ROOT) {
		if (strcmp(name, "tun") == 0)
			ino = INO_TUN_DIR;
		else if (strcmp(name, "tap") == 0)
			ino = INO_TAP_DIR;
		else if (strcmp(name, "bare") == 0)
			ino = INO_BARE_DIR;
	} else if (parent == INO_TUN_DIR || parent == INO_TAP_DIR)
		ino = node_ino(parent == INO_TUN_DIR ? 0 : 1, name);
	else if (parent == INO_BARE_DIR) {
		struct bare_file* bare = bare_find(name);
		if (bare != NULL)
			ino = INO_BARE_BASE + (fuse_ino_t)bare_index(bare);
	}
	struct fuse_entry_param entry;
	memset(&entry, 0, sizeof(entry));
	if (ino == 0 || !ino_stat(ino, &entry.attr)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* nodes come and go with their interfaces: nothing is cached */
	entry.ino = ino;
	entry.generation = 1;
	entry.attr_timeout = 0;
	entry.entry_timeout = 0;
	fuse_reply_entry(req, &entry);
}

static void
op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi)
{
	(void)fi;
	struct stat st;
	if (!ino_stat(ino, &st))
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, 0);
}

/* truncation (O_TRUNC, shell redirections) is accepted and changes nothing */
static void
op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, struct fuse_file_info* fi)
{
	(void)attr, (void)to_set;
	op_getattr(req, ino, fi);
}

struct dir_entry {
	char name[SHIM_IF_NAME_LENGTH];
	fuse_ino_t ino;
	mode_t mode;
};

struct dir_listing {
	int count, capacity;
	struct dir_entry* entries;
	bool failed; /* out of memory */
};

static void
listing_add(struct dir_listing* listing, const char* name, fuse_ino_t ino, mode_t mode)
{
	if (listing->count == listing->capacity) {
		int capacity = listing->capacity > 0 ? listing->capacity * 2 : 16;
		struct dir_entry* entries =
			realloc(listing->entries, (size_t)capacity * sizeof(struct dir_entry));
		if (entries == NULL) {
			listing->failed = true;
			return;
		}
		listing->entries = entries;
		listing->capacity = capacity;
	}
	struct dir_entry* entry = &listing->entries[listing->count++];
	snprintf(entry->name, sizeof(entry->name), "%s", name);
	entry->ino = ino;
	entry->mode = mode;
}

typedef char if_name[SHIM_IF_NAME_LENGTH];

/* every interface name (malloc'ed, sized by the shim's count); NULL when out of memory */
static if_name*
list_interfaces(int* count)
{
	for (;;) {
		int capacity = shim_if_list(NULL, 0) + 16; /* room for some created meanwhile */
		if_name* names = malloc((size_t)capacity * sizeof(if_name));
		if (names == NULL)
			return NULL;
		*count = shim_if_list(names, capacity);
		if (*count <= capacity)
			return names;
		free(names);
	}
}

static void
list_directory(fuse_ino_t ino, struct dir_listing* listing)
{
	listing_add(listing, ".", ino, S_IFDIR);
	listing_add(listing, "..", INO_ROOT, S_IFDIR);
	if (ino == INO_ROOT) {
		listing_add(listing, "tun", INO_TUN_DIR, S_IFDIR);
		listing_add(listing, "tap", INO_TAP_DIR, S_IFDIR);
		if (bare_count() > 0)
			listing_add(listing, "bare", INO_BARE_DIR, S_IFDIR);
	} else if (ino == INO_BARE_DIR) {
		for (int i = 0; i < bare_count(); i++)
			listing_add(listing, bare_name(i), INO_BARE_BASE + (fuse_ino_t)i, S_IFREG);
	} else {
		int kind = ino == INO_TUN_DIR ? 0 : 1;
		char path[64];
		snprintf(path, sizeof(path), "%s/clone", kKinds[kind]);
		if (shim_lookup(path) == B_OK) /* the directory is scanned first, as readdir's is */
			listing_add(listing, "clone", node_ino(kind, "clone"), S_IFREG);
		int count = 0;
		if_name* names = list_interfaces(&count);
		if (names == NULL) {
			listing->failed = true;
			return;
		}
		for (int i = 0; i < count; i++) {
			size_t prefix = strlen(kKinds[kind]);
			if (strncmp(names[i], kKinds[kind], prefix) != 0 || names[i][prefix] != '/'
				|| !shim_node_exists(names[i]))
				continue;
			const char* leaf = names[i] + prefix + 1;
			fuse_ino_t node = node_ino(kind, leaf);
			if (node != 0)
				listing_add(listing, leaf, node, S_IFREG);
		}
		free(names);
	}
}

static void
op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, struct fuse_file_info* fi)
{
	(void)fi;
	if (ino != INO_ROOT && ino != INO_TUN_DIR && ino != INO_TAP_DIR && ino != INO_BARE_DIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	struct dir_listing listing = {0, 0, NULL, false};
	char* buffer = malloc(size);
	if (buffer != NULL)
		list_directory(ino, &listing);
	if (buffer == NULL || listing.failed) {
		free(listing.entries);
		free(buffer);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	for (int i = (int)offset; i < listing.count; i++) {
		struct stat st;
		memset(&st, 0, sizeof(st));
		st.st_ino = listing.entries[i].ino;
		st.st_mode = listing.entries[i].mode;
		size_t need = fuse_add_direntry(
			req, buffer + used, size - used, listing.entries[i].name, &st, (off_t)i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buffer, used);
	free(buffer);
	free(listing.entries);
}


/* ---- handles ----------------------------------------------------------------------------- */

void
handles_for_each(void (*fn)(struct handle*, void*), void* data)
{
	pthread_mutex_lock(&sHandlesLock);
	for (struct handle* handle = sHandles; handle != NULL; handle = handle->next)
		fn(handle, data);
	pthread_mutex_unlock(&sHandlesLock);
}

static void
handle_add(struct handle* handle)
{
	pthread_mutex_lock(&sHandlesLock);
	handle->next = sHandles;
	sHandles = handle;
	pthread_mutex_unlock(&sHandlesLock);
}

/* off the list; false if it was not there (handles_close_all took it) */
static bool
handle_remove(struct handle* handle)
{
	pthread_mutex_lock(&sHandlesLock);
	struct handle** link = &sHandles;
	while (*link != NULL && *link != handle)
		link = &(*link)->next;
	bool found = *link != NULL;
	if (found)
		*link = handle->next;
	pthread_mutex_unlock(&sHandlesLock);
	return found;
}

static void
handle_destroy(struct handle* handle)
{
	if (handle->bare != NULL)
		bare_release(handle->bare, handle);
	else {
		poller_disarm(handle);
		shim_close(handle->fd);
	}
	free(handle);
}

void
handles_close_all(void)
{
	for (;;) {
		pthread_mutex_lock(&sHandlesLock);
		struct handle* handle = sHandles;
		if (handle != NULL)
			sHandles = handle->next;
		pthread_mutex_unlock(&sHandlesLock);
		if (handle == NULL)
			break;
		handle_destroy(handle);
	}
}

status_t
handles_unit_stats(const char* name, void* stats, size_t size)
{
	status_t status = B_ENTRY_NOT_FOUND;
	pthread_mutex_lock(&sHandlesLock);
	for (struct handle* handle = sHandles; handle != NULL; handle = handle->next) {
		if (handle->bare == NULL && strcmp(handle->unit, name) == 0) {
			status = shim_ioctl_buf(handle->fd, TUNTAP_GET_STATS, stats, size, size);
			if (status == B_OK)
				break;
		}
	}
	pthread_mutex_unlock(&sHandlesLock);
	if (status == B_OK)
		return B_OK;
	/* nobody holds it here: a short non-blocking open (an open elsewhere now gets EBUSY) */
	int fd = shim_open(name, SHIM_O_RDWR | SHIM_O_NONBLOCK);
	if (fd < 0)
		return fd;
	status = shim_ioctl_buf(fd, TUNTAP_GET_STATS, stats, size, size);
	shim_close(fd);
	return status;
}

/* follow O_NONBLOCK of the Linux file (fcntl(F_SETFL), FIONBIO): it comes with each request */
static void
sync_nonblocking(struct handle* handle, int flags)
{
	bool nonblocking = (flags & O_NONBLOCK) != 0;
	pthread_mutex_lock(&sHandlesLock);
	if (nonblocking != handle->flags_nonblocking) {
		handle->flags_nonblocking = nonblocking;
		if (nonblocking != handle->nonblocking
			&& shim_set_nonblocking(handle->fd, nonblocking) == B_OK)
			handle->nonblocking = nonblocking;
	}
	pthread_mutex_unlock(&sHandlesLock);
}


/* ---- open and release -------------------------------------------------------------------- */

/* fuse_reply_open() of libfuse 3.14 cannot say FOPEN_STREAM: reply with the kernel's struct
 * ourselves, so the file has no position lock (a blocked read does not hold up a write) */
static int
reply_open_stream(fuse_req_t req, uint64_t fh)
{
	struct fuse_open_out out;
	memset(&out, 0, sizeof(out));
	out.fh = fh;
	out.open_flags = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_STREAM;
	struct iovec iov = {&out, sizeof(out)};
	return fuse_reply_iov(req, &iov, 1);
}

static void
op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi)
{
	struct handle* handle = calloc(1, sizeof(*handle));
	if (handle == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	handle->flags_nonblocking = handle->nonblocking = (fi->flags & O_NONBLOCK) != 0;
	struct bare_file* bare = ino_bare(ino);
	char path[64];
	if (bare != NULL) {
		handle->bare = bare;
		handle->fd = -1;
		bare_open(bare, handle);
	} else if (ino_path(ino, path, sizeof(path))) {
		int mode = (fi->flags & O_ACCMODE) | (handle->nonblocking ? SHIM_O_NONBLOCK : 0);
		int fd = shim_open(path, mode);
		if (fd < 0) {
			free(handle);
			fuse_reply_err(req, fd == B_ENTRY_NOT_FOUND ? ENOENT : status_to_errno(fd));
			return;
		}
		handle->fd = fd;
		char name[TUNTAP_NAME_LENGTH] = "";
		if (shim_ioctl_buf(fd, TUNTAP_GET_NAME, name, sizeof(name), sizeof(name)) == B_OK)
			snprintf(handle->unit, sizeof(handle->unit), "%s", name);
	} else {
		free(handle);
		fuse_reply_err(req, ino < INO_NODE_BASE ? EISDIR : ENOENT);
		return;
	}
	handle_add(handle);
	if (reply_open_stream(req, (uint64_t)(uintptr_t)handle) != 0) {
		/* the opener is gone (interrupted): nobody will release this */
		if (handle_remove(handle))
			handle_destroy(handle);
	}
}

static void
op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi)
{
	(void)ino;
	struct handle* handle = (struct handle*)(uintptr_t)fi->fh;
	if (handle_remove(handle))
		handle_destroy(handle);
	fuse_reply_err(req, 0);
}

static void
op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi)
{
	(void)ino, (void)fi;
	fuse_reply_err(req, 0);
}


/* ---- read and write ---------------------------------------------------------------------- */

static void
op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, struct fuse_file_info* fi)
{
	(void)ino, (void)offset;
	struct handle* handle = (struct handle*)(uintptr_t)fi->fh;
	if (handle->bare != NULL) {
		bare_read(req, handle, size, (fi->flags & O_NONBLOCK) != 0);
		return;
	}
	sync_nonblocking(handle, fi->flags);
	if (size > READ_MAX)
		size = READ_MAX;
	char* buffer = malloc(size > 0 ? size : 1);
	if (buffer == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	struct request request;
	request_begin(&request, req, NULL, NULL);
	request_enter(&request);
	ssize_t result = shim_read(handle->fd, buffer, size);
	request_leave(&request);
	request_end(&request);
	if (result >= 0)
		fuse_reply_buf(req, buffer, (size_t)result);
	else
		fuse_reply_err(req, status_to_errno((status_t)result));
	free(buffer);
}

static void
op_write(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t offset,
	struct fuse_file_info* fi)
{
	(void)ino, (void)offset;
	struct handle* handle = (struct handle*)(uintptr_t)fi->fh;
	if (handle->bare != NULL) {
		bare_write(req, handle, data, size);
		return;
	}
	sync_nonblocking(handle, fi->flags);
	struct request request;
	request_begin(&request, req, NULL, NULL);
	request_enter(&request);
	ssize_t result = shim_write(handle->fd, data, size);
	request_leave(&request);
	request_end(&request);
	if (result >= 0)
		fuse_reply_write(req, (size_t)result);
	else
		fuse_reply_err(req, status_to_errno((status_t)result));
}


/* ---- poll -------------------------------------------------------------------------------- */

static uint32_t
linux_to_shim_events(unsigned events)
{
	uint32_t result = 0;
	if ((events & (POLLIN | POLLRDNORM)) != 0)
		result |= SHIM_POLLIN;
	if ((events & (POLLOUT | POLLWRNORM)) != 0)
		result |= SHIM_POLLOUT;
	return result;
}

static unsigned
shim_to_linux_events(uint32_t events)
{
	unsigned result = 0;
	if ((events & SHIM_POLLIN) != 0)
		result |= POLLIN | POLLRDNORM;
	if ((events & SHIM_POLLOUT) != 0)
		result |= POLLOUT | POLLWRNORM;
	if ((events & SHIM_POLLERR) != 0)
		result |= POLLERR;
	if ((events & SHIM_POLLHUP) != 0)
		result |= POLLHUP;
	if ((events & SHIM_POLLNVAL) != 0)
		result |= POLLNVAL;
	return result;
}

static void
op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, struct fuse_pollhandle* ph)
{
	(void)ino;
	struct handle* handle = (struct handle*)(uintptr_t)fi->fh;
	uint32_t events = linux_to_shim_events(fi->poll_events);
	if (events == 0)
		events = SHIM_POLLIN | SHIM_POLLOUT; /* kernels without poll_events */
	if (handle->bare != NULL) {
		bare_poll(req, handle, events, ph);
		return;
	}
	struct shim_pollfd pollfd = {handle->fd, (uint16)events, 0};
	int ready = shim_poll(&pollfd, 1, 0);
	if (ready < 0) {
		if (ph != NULL)
			fuse_pollhandle_destroy(ph);
		fuse_reply_err(req, status_to_errno(ready));
		return;
	}
	if (ready == 0 && ph != NULL)
		poller_arm(handle, events, ph); /* notified once the driver's select hook fires */
	else if (ph != NULL)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, shim_to_linux_events(pollfd.revents));
}


/* ---- ioctl (restricted: the argument size and direction come from the _IOC encoding) ------ */

struct ioctl_alias {
	unsigned int cmd;
	uint32 op;
	size_t size;
	bool in, out;
};

static const struct ioctl_alias kAliases[] = {
	{TUNTAPFS_GET_NAME, TUNTAP_GET_NAME, TUNTAP_NAME_LENGTH, false, true},
	{TUNTAPFS_GET_INFO, TUNTAP_GET_INFO, sizeof(struct tuntap_info), false, true},
	{TUNTAPFS_SET_INFO, TUNTAP_SET_INFO, sizeof(struct tuntap_info), true, false},
	{TUNTAPFS_GET_MTU, TUNTAP_GET_MTU, sizeof(uint32), false, true},
	{TUNTAPFS_SET_MTU, TUNTAP_SET_MTU, sizeof(uint32), true, false},
	{TUNTAPFS_GET_HEADER_MODE, TUNTAP_GET_HEADER_MODE, sizeof(uint32), false, true},
	{TUNTAPFS_SET_HEADER_MODE, TUNTAP_SET_HEADER_MODE, sizeof(uint32), true, false},
	{TUNTAPFS_GET_STATS, TUNTAP_GET_STATS, sizeof(struct tuntap_stats), false, true},
	{TUNTAPFS_SET_HWADDR, TUNTAP_SET_HWADDR, 6, true, false},
	{TUNTAPFS_FIONREAD, 0xbe000001 /* Haiku's FIONREAD */, sizeof(int), false, true},
};

static void
op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void* arg, struct fuse_file_info* fi,
	unsigned flags, const void* in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)ino, (void)arg, (void)out_bufsz;
	struct handle* handle = (struct handle*)(uintptr_t)fi->fh;
	/* a directory has no handle (no opendir: fi->fh is 0) and no ioctls */
	if ((flags & FUSE_IOCTL_DIR) != 0 || handle == NULL) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if ((flags & FUSE_IOCTL_COMPAT) != 0) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (handle->bare != NULL) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (cmd == TUNTAPFS_SET_NONBLOCKING_IO || cmd == TUNTAPFS_SET_BLOCKING_IO) {
		bool nonblocking = cmd == TUNTAPFS_SET_NONBLOCKING_IO;
		pthread_mutex_lock(&sHandlesLock);
		status_t status = shim_set_nonblocking(handle->fd, nonblocking);
		if (status == B_OK)
			handle->nonblocking = nonblocking;
		pthread_mutex_unlock(&sHandlesLock);
		if (status != B_OK)
			fuse_reply_err(req, status_to_errno(status));
		else
			fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	const struct ioctl_alias* alias = NULL;
	for (size_t i = 0; i < sizeof(kAliases) / sizeof(kAliases[0]); i++) {
		if (kAliases[i].cmd == cmd)
			alias = &kAliases[i];
	}
	if (alias == NULL) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	uint8_t buffer[TUNTAPFS_STATS_SIZE];
	memset(buffer, 0, sizeof(buffer));
	if (alias->in) {
		if (in_bufsz < alias->size) {
			fuse_reply_err(req, EFAULT);
			return;
		}
		memcpy(buffer, in_buf, alias->size);
	}
	status_t status = shim_ioctl_buf(handle->fd, alias->op, buffer, alias->size, alias->size);
	if (status != B_OK)
		fuse_reply_err(req, status_to_errno(status));
	else
		fuse_reply_ioctl(req, 0, alias->out ? buffer : NULL, alias->out ? alias->size : 0);
}

const struct fuse_lowlevel_ops gTuntapfsOps = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readdir = op_readdir,
	.open = op_open,
	.release = op_release,
	.flush = op_flush,
	.read = op_read,
	.write = op_write,
	.poll = op_poll,
	.ioctl = op_ioctl,
};
