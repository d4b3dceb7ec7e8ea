/* Shared declarations of tuntapfs, the FUSE daemon hosting the driver in the shim: open handles,
 * in-flight requests, the poll watcher, bare packet files, the Linux bridge, the control socket. */
#ifndef TUNTAPFS_H
#define TUNTAPFS_H

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno_map.h"
#include "shim.h"

/* ---- inode numbers (stateless: a node's number follows from its path) ---------------------- */
enum {
	INO_ROOT = FUSE_ROOT_ID,
	INO_TUN_DIR,
	INO_TAP_DIR,
	INO_BARE_DIR,
	INO_NODE_BASE = 0x100,     /* + kind * INO_KIND_SPAN + (unit or INO_CLONE) */
	INO_KIND_SPAN = 0x20000,   /* kind 0 = tun, 1 = tap */
	INO_CLONE = 0x10000,       /* unit numbers are 0..65535 */
	INO_BARE_BASE = 0x1000000, /* + index of the bare file */
};

/* ---- open handles (fuse_ops.c) ------------------------------------------------------------- */
struct bare_file;

struct handle {
	struct handle* next;            /* on the handle list (handles_lock) */
	struct bare_file* bare;         /* NULL: a shim devfs descriptor */
	int fd;                         /* shim descriptor */
	bool nonblocking;               /* the mode last given to the shim descriptor */
	bool flags_nonblocking;         /* O_NONBLOCK in the last Linux file flags seen */
	char unit[SHIM_IF_NAME_LENGTH]; /* "tap/0" once known ("" for a bare file) */
	/* poll (poller.c or bare.c): the kernel's handle to notify, the events it waits for */
	struct fuse_pollhandle* ph;
	uint32_t poll_events; /* SHIM_POLL* bits */
	bool armed;
	struct handle* bare_next; /* on its bare file's waiter list */
};

extern const struct fuse_lowlevel_ops gTuntapfsOps;
/* run fn(handle, data) for each open handle, under the handle list lock */
void handles_for_each(void (*fn)(struct handle*, void*), void* data);
/* close every handle still open (shutdown, after the session loop ended) */
void handles_close_all(void);
/* TUNTAP_GET_STATS for unit `name` through a descriptor the daemon holds or a short open */
status_t handles_unit_stats(const char* name, void* stats, size_t size);


/* ---- in-flight requests and FUSE interrupts (request.c) ----------------------------------- */
struct request {
	fuse_req_t req;
	thread_id thread; /* the shim thread serving it */
	pthread_mutex_t lock;
	bool in_call;     /* inside the shim call: an interrupt goes to the thread */
	bool interrupted; /* a FUSE interrupt arrived */
	/* bare files wait on their own condition instead */
	pthread_mutex_t* wait_lock;
	pthread_cond_t* wait_cond;
};
/* register the interrupt function before the blocking call; a bare file's waiter passes the
 * lock and condition it waits on (NULL, NULL for a shim call) */
void request_begin(
	struct request* request, fuse_req_t req, pthread_mutex_t* waitLock, pthread_cond_t* waitCond);
/* the shim call starts / ended */
void request_enter(struct request* request);
void request_leave(struct request* request);
/* unregister; call before replying */
void request_end(struct request* request);

/* ---- poll watcher for shim descriptors (poller.c) ----------------------------------------- */
/* 0 or an errno */
int poller_start(void);
void poller_stop(void);
/* wait for events on handle's descriptor and notify ph once they come (takes ph) */
void poller_arm(struct handle* handle, uint32_t events, struct fuse_pollhandle* ph);
/* forget the handle (release): its pending poll handle is destroyed */
void poller_disarm(struct handle* handle);

/* ---- Linux TUN/TAP devices (linuxtun.c) --------------------------------------------------- */
/* attach to the existing Linux device `name` (IFF_TAP or IFF_TUN, IFF_NO_PI, non-blocking);
 * returns the descriptor or -errno with a message in error */
int linuxtun_open(const char* name, bool tap, char* error, size_t errorSize);
/* wait for the next frame on the non-blocking `fd` (poll, no busy loop) and read it; 0 once the
 * `stop` descriptor is readable, a negative errno when the device fails */
ssize_t linuxtun_read_frame(int fd, int stop, void* buffer, size_t size);

/* ---- bare packet files: FUSE <-> Linux TAP without the driver (bare.c) ----------------- */
/* "NAME=LINUXTAP": attach to the Linux device now; bare_start() starts the readers (after
 * daemonizing; 0 or an errno) */
int bare_add(const char* spec, char* error, size_t errorSize);
int bare_start(void);
int bare_count(void);
const char* bare_name(int index);
struct bare_file* bare_find(const char* name);
int bare_index(const struct bare_file* bare);
void bare_open(struct bare_file* bare, struct handle* handle);
void bare_release(struct bare_file* bare, struct handle* handle);
/* these reply to req themselves */
void bare_read(fuse_req_t req, struct handle* handle, size_t size, bool nonblocking);
void bare_write(fuse_req_t req, struct handle* handle, const void* data, size_t size);
void bare_poll(fuse_req_t req, struct handle* handle, uint32_t events, struct fuse_pollhandle* ph);
/* wake every reader with an error (ENODEV) and every poll waiter */
void bare_shutdown(void);
/* after the session loop: stop the device readers, free the queues, close the devices */
void bare_free_all(void);

/* ---- stack-side bridges to Linux devices (bridge.c) ------------------------------------- */
int bridge_attach(const char* name, const char* linuxDevice, char* error, size_t errorSize);
int bridge_detach(const char* name, char* error, size_t errorSize);
/* "tap/0 tap0" per bridge, for list */
const char* bridge_device(const char* name, char* buffer, size_t size);
void bridge_detach_all(void);

/* ---- control socket (control.c) ----------------------------------------------------------- */
/* bind and listen on the unix socket path (before daemonizing); -1 with a message on error:
 * also if path is no socket, or a live one (another daemon uses it) */
int control_listen(const char* path);
/* start the control thread (0 or an errno); it also watches the FUSE session's descriptor and
 * quiesces as on a stop once the connection is gone (unmount, abort) */
int control_start(int sessionFd);
/* async-signal safe: the control thread quiesces (deletes every interface, wakes bare readers,
 * so blocked requests end) and stops */
void control_request_stop(void);
/* request the stop if not yet requested, join the thread, remove the socket */
void control_stop(void);

#endif
