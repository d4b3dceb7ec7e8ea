/* Test-facing API of the userland shim: POSIX-like calls on shim devices, "ifconfig", the stack
 * peer, threads and ctrl+c, fault plans and the leak check. Tests, fuzzers and stress use this. */
#ifndef SHIM_H
#define SHIM_H

/*
 * Conventions
 * - Every call returns a value >= 0 on success or a negative Haiku status (B_*) on failure:
 *   what the driver hook returned where one was called, after the rewrites Haiku's fd layer makes
 *   on the way to user space (an unknown ioctl's B_DEV_INVALID_IOCTL becomes SHIM_ENOTTY).
 * - Paths are devfs paths with or without the "/dev/" prefix: "/dev/tap/0" == "tap/0".
 * - Buffers passed to shim_read/shim_write/shim_ioctl_buf are ordinary test memory: the shim stages
 *   them in the user arena, so the driver only ever sees user pointers. The *_user variants pass a
 *   pointer through unchanged (to test bad or straddling user pointers).
 * - Any thread may call these. A thread that calls them is a shim thread (registered on first use);
 *   shim_signal() and shim_interrupt() target shim threads.
 * - A "syscall" (each shim_* devfs call) ends by handling the caller's pending signals, as the
 *   return to userland does on Haiku, restarting an interrupted read, write or ioctl where Haiku
 *   would (see shim_signal()).
 */

#include <stdio.h>

#include <SupportDefs.h>
#include <OS.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- lifecycle ---------------------------------------------------------------------------- */

/* Initialize the shim, register the stack modules and the linked-in driver add-on (its
 * modules[] and module_dependencies[]) and load it as Haiku's stack does at boot. */
status_t shim_boot(void);
/* Delete every interface, close every descriptor still open, unload the driver (its
 * B_MODULE_UNINIT must succeed), check that no object of any kind is left (a report on stderr
 * and B_ERROR otherwise) and tear the shim down. Returns B_OK or the first error. */
status_t shim_shutdown(void);

/* ---- open flags and poll -------------------------------------------------------------------- */

#define SHIM_O_RDONLY 0x0000
#define SHIM_O_WRONLY 0x0001
#define SHIM_O_RDWR 0x0002
#define SHIM_O_NONBLOCK 0x0080 /* Haiku's O_NONBLOCK value */

/* poll() event bits, Haiku's values: SELECT_FLAG(B_SELECT_*) */
#define SHIM_POLLIN 0x0001
#define SHIM_POLLOUT 0x0002
#define SHIM_POLLERR 0x0004
#define SHIM_POLLHUP 0x0080
#define SHIM_POLLNVAL 0x1000

struct shim_pollfd {
	int fd;
	uint16 events;
	uint16 revents;
};

/* ---- devfs descriptors (Haiku's rules: close hook at last close, free hook after the last
 *      in-flight call returns; zero-length I/O never reaches the driver) ------------------- */

int shim_open(const char* path, int openMode);
status_t shim_close(int fd);
int shim_dup(int fd);
ssize_t shim_read(int fd, void* buffer, size_t length);
ssize_t shim_write(int fd, const void* buffer, size_t length);
ssize_t shim_read_user(int fd, void* userBuffer, size_t length);
ssize_t shim_write_user(int fd, const void* userBuffer, size_t length);
/* Haiku's ENOTTY (Errors.h: B_POSIX_ERROR_BASE + 10), what user space gets for an ioctl the driver
 * does not know: the fd layer turns the hook's B_DEV_INVALID_IOCTL into it (fd.cpp, fd_ioctl) */
#define SHIM_ENOTTY (B_POSIX_ERROR_BASE + 10)
/* Haiku's ENOBUFS (Errors.h: B_POSIX_ERROR_BASE + 35): the stack's fifo_enqueue_buffer refuses a
 * buffer that would take a bounded fifo past its max_bytes (stack/utility.cpp) */
#define SHIM_ENOBUFS (B_POSIX_ERROR_BASE + 35)

/* control hook, `argument` passed through unchanged (user, kernel, NULL or bad pointer);
 * FIONBIO is the fd layer's own: NULL is B_BAD_VALUE, else the int it points to goes the
 * F_SETFL way (shim_fionbio) */
status_t shim_ioctl(int fd, uint32 op, void* argument, size_t length);
/* control hook with `buffer` (bufferSize bytes of test memory) staged in user memory and copied
 * back after the call; `length` is what the driver sees as len (0 for 3-argument ioctl). */
status_t shim_ioctl_buf(int fd, uint32 op, void* buffer, size_t bufferSize, size_t length);
/* fcntl(F_SETFL) and ioctl(FIONBIO): both arrive as B_SET_(NON)BLOCKING_IO, as in Haiku */
status_t shim_set_nonblocking(int fd, bool nonBlocking);
status_t shim_fionbio(int fd, bool nonBlocking);
/* poll(): returns the number of ready descriptors, 0 on timeout, B_INTERRUPTED if interrupted.
 * timeout in microseconds, B_INFINITE_TIMEOUT to wait forever, 0 to only check. */
int shim_poll(struct shim_pollfd* fds, int count, bigtime_t timeout);

/* whether a node is published at path: no lookup, so no directory is scanned for drivers */
bool shim_node_exists(const char* path);
/* The VFS's lookup of path (stat): every directory on it is scanned for drivers first, once per
 * boot (devfs.cpp, devfs_lookup -> scan_for_drivers_if_needed), which loads the add-on's devfs
 * driver when path is under /dev/tun or /dev/tap. B_OK if a node or directory is there, else
 * B_ENTRY_NOT_FOUND. shim_open() looks its path up the same way. */
status_t shim_lookup(const char* path);
/* number of published device nodes whose path starts with prefix ("" for all) */
int shim_count_nodes(const char* prefix);

/* ---- user memory arena ------------------------------------------------------------------- */

/* The driver may touch user memory only through user_memcpy (the arena is ASan-poisoned). */
void* shim_user_alloc(size_t size);
void shim_user_free(void* userAddress);
void shim_user_put(void* userAddress, const void* source, size_t size);
void shim_user_get(void* target, const void* userAddress, size_t size);
/* an arena address no allocation covers: user_memcpy on it fails with B_BAD_ADDRESS */
void* shim_user_bad_address(void);
/* a user address whose [p, p + size) runs past the end of the arena */
void* shim_user_straddle_end(size_t size);

/* ---- threads, signals and ctrl+c ---------------------------------------------------------- */

thread_id shim_thread_spawn(const char* name, status_t (*function)(void*), void* argument);
status_t shim_thread_join(thread_id thread, status_t* returnValue);
/* What the program does with a signal, which decides what a read, write or ioctl it interrupted
 * returns (Haiku's handle_signals(), system/kernel/signal.cpp, at the syscall's exit):
 * SHIM_SIGNAL_HANDLER: a handler installed without SA_RESTART (OpenVPN's for SIGINT): the call
 *   returns B_INTERRUPTED [EINTR].
 * SHIM_SIGNAL_RESTART: a handler with SA_RESTART, or an ignored signal: the call is restarted
 *   and the program never sees B_INTERRUPTED.
 * A read, write or ioctl that returns B_INTERRUPTED with no signal at all is restarted too, as
 * on Haiku, where a driver doing that again and again spins forever: the shim panics after
 * SHIM_RESTART_LIMIT such restarts in a row. poll, open, close and dup are never restarted. */
enum shim_signal_action { SHIM_SIGNAL_HANDLER, SHIM_SIGNAL_RESTART };
#define SHIM_RESTART_LIMIT 100
/* send thread T a signal: its current or next B_CAN_INTERRUPT wait returns B_INTERRUPTED; the
 * signal stays pending until T's current shim_* call ends, and is handled there */
status_t shim_signal(thread_id thread, enum shim_signal_action action);
/* "press ctrl+c on thread T" of a program that catches SIGINT:
 * shim_signal(T, SHIM_SIGNAL_HANDLER) */
status_t shim_interrupt(thread_id thread);
/* wait until `thread` is blocked in a shim wait (semaphore, mutex, poll, snooze);
 * B_TIMED_OUT if it did not block within timeout microseconds */
status_t shim_wait_until_blocked(thread_id thread, bigtime_t timeout);
thread_id shim_current_thread(void);

/* ---- network stack model ("ifconfig") and the stack peer ---------------------------------- */

/* create interface "tun/N" / "tap/N" through the datalink control path (SIOCAIFADDR) */
status_t shim_if_create(const char* name);
status_t shim_if_up(const char* name);     /* up hook, then the reader thread */
status_t shim_if_down(const char* name);   /* clear IFF_UP, down hook, join the reader */
status_t shim_if_delete(const char* name); /* down if up, uninit_device, put_module */
bool shim_if_exists(const char* name);
int shim_if_count(void);
/* give the stack peer an IPv4 address on a TAP interface: it then answers ARP requests for it
 * (from its own MAC) through send_data. address is in network byte order. */
status_t shim_if_set_ipv4(const char* name, uint32 address);

struct shim_if_info {
	uint32 flags; /* net_device flags (IFF_*) */
	uint32 type;  /* IFT_* */
	uint32 mtu;
	uint32 index;
	uint8 hwaddr[6];
	uint64 received;       /* frames receive_data delivered to the stack */
	uint64 receive_errors; /* receive_data errors (the one ending a down too, as in Haiku) */
	uint64 sent;           /* frames send_data accepted */
	uint64 send_errors;    /* frames send_data refused (the stack freed them) */
	uint64 arp_replies;    /* ARP replies the peer sent */
	uint64 unhandled;      /* delivered frames no receive handler took (TUN's IPv6 on Haiku) */
	uint64 link_addressed; /* TUN frames delivered with a link-level (stale) destination */
	uint64 changes;        /* interface-changed notifications the stack sent (an MTU change) */
};
status_t shim_if_info(const char* name, struct shim_if_info* info);
/* system_time() when the last uninit_device call began (0: none yet this boot): the delete as
 * the driver sees it, after the stack's down waited for its reader thread (bench_wakeup) */
bigtime_t shim_uninit_device_time(void);

/* stack side transmit: a net_buffer holding frame (type B_NET_FRAME_TYPE_* for TUN, 0 for TAP)
 * handed to send_data; returns send_data's status (the stack frees the buffer on error) */
status_t shim_stack_send(const char* name, const void* frame, size_t length, int32 type);
/* next frame receive_data delivered on `name` (the stack peer's capture); returns its length
 * (copied up to `length`), B_TIMED_OUT after timeout microseconds, B_WOULD_BLOCK if timeout 0 */
ssize_t shim_stack_receive(const char* name, void* buffer, size_t length, bigtime_t timeout);
int shim_stack_pending(const char* name);
/* the stack's get_domain(AF_INET) returns NULL while `missing` (no ipv4 add-on); each boot has it
 */
void shim_stack_without_inet(bool missing);

/* ---- fault injection --------------------------------------------------------------------- */

enum shim_fault_site {
	SHIM_FAULT_ALLOC,   /* malloc/calloc/realloc by kernel code (the driver), select pool entries */
	SHIM_FAULT_SEM,     /* create_sem */
	SHIM_FAULT_PUBLISH, /* devfs_publish_device */
	SHIM_FAULT_USER_COPY,  /* user_memcpy, user_strlcpy, user_memset */
	SHIM_FAULT_NET_BUFFER, /* net_buffer create/duplicate and growth (append/prepend) */
	SHIM_FAULT_SITE_COUNT
};

/* fail the nth call at `site` from now on (1 = the next one); 0 disarms. persistent: also
 * fail every call after it (SQLite's "persistent" mode). */
void shim_fault_fail_nth(enum shim_fault_site site, int64 nth, bool persistent);
/* calls seen at `site` since the last shim_fault_clear() */
int64 shim_fault_calls(enum shim_fault_site site);
/* failures injected at `site` since the last shim_fault_clear() */
int64 shim_fault_injected(enum shim_fault_site site);
void shim_fault_clear(void);
/* fail the nth call at any site from now on (1 = the next one), once; 0 disarms. A site's own
 * plan still applies; the failure counts as injected at the site that took it. */
void shim_fault_fail_point(int64 nth);
/* calls seen at all sites since the last shim_fault_clear() */
int64 shim_fault_points(void);

/* ---- accounting and leak check ----------------------------------------------------------- */

struct shim_objects {
	int64 allocations; /* live kernel heap blocks */
	int64 alloc_bytes;
	int64 net_buffers;
	int64 semaphores;
	int64 mutexes;        /* mutex_init without mutex_destroy */
	int64 nodes;          /* published devfs nodes */
	int64 descriptors;    /* open shim descriptors */
	int64 cookies;        /* cookies opened and not yet freed */
	int64 select_entries; /* select pool entries */
	int64 user_chunks;    /* live user arena allocations */
	int64 threads;        /* kernel threads not yet joined */
	int64 mutex_names;    /* names mutex_init_etc cloned (MUTEX_FLAG_CLONE_NAME), not yet freed */
};
void shim_objects_get(struct shim_objects* objects);
/* The high-water marks of the kernel heap's bytes and of live net_buffers since the last
 * shim_objects_peak_reset() (which starts them at the live values): memory-growth checks. Only
 * alloc_bytes and net_buffers are filled. */
void shim_objects_peak(struct shim_objects* peak);
void shim_objects_peak_reset(void);
/* compare live objects with `baseline`; print each difference to stderr tagged with `where`;
 * returns the number of kinds that differ (0 = no leak) */
int shim_leak_check(const struct shim_objects* baseline, const char* where);
/* Whether a mutex left initialized is a leak (default true: our driver destroys every mutex it
 * initializes, a rule of its own). Haiku's mutex_init allocates nothing but a cloned name
 * (lock.cpp, mutex_init_etc with MUTEX_FLAG_CLONE_NAME), so the universal checks of another
 * driver pass false: then only mutex_names counts. Kept across boots. */
void shim_leak_count_mutexes(bool counted);

/* ---- observation ------------------------------------------------------------------------- */

/* notify_select_event() calls that reached a selectsync since boot (idle-wake-up tests) */
int64 shim_select_notifications(void);

/* The boot's add-on image (the linked driver), as Haiku's loader holds it: references (modules
 * with a reference, module-list scans, a loaded devfs driver in it), whether it is mapped, and
 * how often its last reference went since boot (each time every hook table it handed the kernel
 * was poisoned: a call through one panics "called into add-on image ... after it was unloaded"). */
struct shim_image_state {
	int32 refs;
	bool mapped;
	int32 unloads;
};
void shim_image_info(struct shim_image_state* state);
/* The add-on's devfs (legacy) driver part, as devfs holds it (legacy_drivers.cpp): found by a
 * directory scan, loaded (init_driver ran), marked updated (found again under another directory:
 * the next first open of one of its devices reloads it), devices in use, loads since boot. */
struct shim_devfs_driver {
	bool known;
	bool loaded;
	bool binary_updated;
	uint32 devices_used;
	int32 loads;
};
void shim_devfs_driver_info(struct shim_devfs_driver* info);

/* the B_* name of a status ("B_WOULD_BLOCK"), else the number as text (per-thread buffer) */
const char* shim_status_name(int64 status);

/* ---- daemon support (fuse/): interface names, stack-side sinks ------------------------------ */

#define SHIM_IF_NAME_LENGTH 32 /* IF_NAMESIZE */
/* copy the names of up to `max` interfaces (creation order) to names; returns how many exist */
int shim_if_list(char (*names)[SHIM_IF_NAME_LENGTH], int max);

/* A stack-side sink for interface `name`: each frame receive_data delivers goes to
 * sink(cookie, frame, length, type) on the stack's reader thread instead of the peer's capture
 * and ARP answerer (still counted as received; frame valid during the call only). Keyed by name:
 * it stays across delete and re-create. sink NULL removes it; once that returns, no call of the
 * old sink is running. B_NAME_IN_USE if `name` has a sink already. */
typedef void (*shim_stack_sink)(void* cookie, const void* frame, size_t length, int32 type);
status_t shim_stack_set_sink(const char* name, shim_stack_sink sink, void* cookie);

/* ---- syscalls and diagnostics ------------------------------------------------------------- */

/* The end of a syscall: the calling thread's pending signals are handled (consumed). Every
 * descriptor call above ends with it (userland-shim/dev/syscalls.c, which also restarts what
 * Haiku restarts); a thread that makes a "syscall" of its own (the FUSE daemon's request
 * threads) calls it, so a signal that came as its call returned is not carried into the next
 * one. */
void shim_syscall_exit(void);
/* print every shim thread, its state and what it waits on (semaphore/mutex name, holder) */
void shim_dump_threads(FILE* out);
/* called by panic() after its message, before it aborts (NULL: none): a harness names the
 * operation that was running (a double fetch, an info leak) */
void shim_set_panic_hook(void (*hook)(void));
/* print the live semaphores counted by name (a leak shows as one name growing) */
void shim_dump_semaphores(FILE* out);
/* A stall on purpose, for the stress watchdog's demonstration: lock the live mutex named `name`
 * (the driver's "tuntap unit tap/0", the shim's "shim devfs") and keep it; the caller never
 * unlocks it. Waits while somebody else holds it. B_OK once held, B_NAME_NOT_FOUND when no live
 * mutex has that name, B_NO_INIT unless shim_mutex_registry_enable() was called before the boot,
 * B_NOT_ALLOWED in the deterministic build. */
status_t shim_mutex_hold(const char* name);
/* from now on every mutex initialized is listed by name for shim_mutex_hold() (off by default:
 * it costs every mutex_init and mutex_destroy a scan) */
void shim_mutex_registry_enable(void);

#ifdef __cplusplus
}
#endif

#endif
