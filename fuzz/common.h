/* Shared core of the fuzz harnesses: the op-program format, the per-input lifecycle, checks that
 * abort with context, fault plans, frame, user-memory and name helpers (common, format, units.c) */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

/*
 * Input format (all three builds and the text seeds share it; any byte string is a program):
 *   [u16 LE program length]   only harnesses with FZ_TAPE; the tape is what follows the program
 *   op*                       op = [thread byte, FZ_THREADS only] [op byte % op count] args
 * Argument encodings:
 *   FZ_U8/U16/U32   little endian; bytes past the end of the input read as 0
 *   FZ_ENUM         one byte, index % symbol count
 *   FZ_CODE         one byte b: b < 0xf0 picks symbol b % count; else a raw u32 follows
 *   FZ_UNIT         one byte b: FZ_UNIT_ESCAPE_TUN or _TAP, then u16 LE N: tun/N or tap/N; any
 *                   other b picks symbol b % count, as FZ_ENUM does
 *   FZ_DATA         u16 LE length, then that many bytes (fewer if the input ends)
 * Text form, one op per line ('#' starts a comment): [tN] name arg..., each arg a number
 * (decimal or 0x hex), a symbol name, tun/N or tap/N (FZ_UNIT), x:HEX or "text" for data; `name=`
 * prefixes are allowed and checked. A line `tape B B ...` or `tape x:HEX` appends to the choice
 * tape. `-v` traces print ops in this same form, so a trace can be edited into a seed.
 * Header ops may stand before all of it: each FZ_HEADER_MAGIC_LENGTH magic bytes (fuzz/format.c),
 * then its fz_header_ops arguments, a later one overriding an earlier one of its kind. In text,
 * a line anywhere: `failnth n=N`: the Nth call at any fault site (allocation, semaphore, publish,
 * user copy, net_buffer) from the input's start fails, harness-internal calls not counted (make
 * fault-sweep); `sched strategy=S depth=D` (FZ_TAPE harnesses): the schedule strategy S (tape,
 * pct, chaos, mix: shim_sched.h) reads the tape, D is PCT's depth (1..8, clamped). Without a
 * sched line an input runs with fz_sched_default (tape unless the fuzzer was told otherwise).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <SupportDefs.h>

#include "shim.h"
#include "tuntap.h"

#define FZ_MAX_ARGS 6
#define FZ_MAX_OPS 512
#define FZ_SLOTS 8           /* descriptor slots an input can name */
#define FZ_SET_END INT64_MIN /* terminates status sets */

enum fz_kind { FZ_NONE = 0, FZ_U8, FZ_U16, FZ_U32, FZ_ENUM, FZ_CODE, FZ_DATA, FZ_UNIT };

/* FZ_UNIT values: tun/N and tap/N (N 0..FZ_UNIT_MAX, every unit number the driver accepts:
 * driver/README.md) are FZ_UNIT_NAME(tap, N); a symbol table may add the clone paths and other
 * names (ones the driver must refuse) with FZ_UNIT_CLONE or FZ_UNIT_OTHER set. The escape bytes
 * are two values no input in corpora/ had in a name or path argument when units became
 * open-ended, so every input there decodes as before (fz_decode). */
#define FZ_UNIT_MAX 65535
#define FZ_UNIT_TAP 0x10000
#define FZ_UNIT_CLONE 0x20000
#define FZ_UNIT_OTHER 0x40000
#define FZ_UNIT_NAME(tap, number) (((tap) ? FZ_UNIT_TAP : 0) | (number))
#define FZ_UNIT_ESCAPE_TUN 0xb8
#define FZ_UNIT_ESCAPE_TAP 0xb9

struct fz_sym {
	const char* name;
	int64 value;
};

struct fz_arg {
	const char* name;
	enum fz_kind kind;
	const struct fz_sym* syms; /* FZ_ENUM, FZ_CODE, FZ_UNIT: NULL-name terminated */
};

struct fz_op_spec {
	const char* name;
	struct fz_arg args[FZ_MAX_ARGS];
};

struct fz_op {
	int index;  /* position in the program */
	int thread; /* FZ_THREADS harnesses */
	int code;   /* index into the harness's op table */
	int64 arg[FZ_MAX_ARGS];
	const uint8* data; /* the FZ_DATA argument, if any */
	size_t size;
};

struct fz_program {
	struct fz_op ops[FZ_MAX_OPS];
	int count;
	const uint8* tape;
	size_t tape_size;
	/* an FZ_UNIT argument was escaped: a unit beyond what the harness probes by number (the reset
	 * and the harness's end checks then list the interfaces instead) */
	bool any_unit;
	/* the failnth header, 0 without one: fail the Nth fault point the input reaches */
	int64 fail_nth;
	/* the sched header: enum shim_sched_strategy and PCT's depth; -1 without one */
	int sched;
	int sched_depth;
};

#define FZ_THREADS 0x1 /* every op starts with a thread byte */
#define FZ_TAPE 0x2    /* a choice tape follows the program */
#define FZ_REBOOT 0x4  /* the fuzzers boot the shim afresh for every input (see fz_reboot) */

struct fz_harness {
	const char* name;
	const struct fz_op_spec* ops;
	int op_count;
	int threads; /* FZ_THREADS: thread numbers are byte % threads */
	unsigned flags;
	/* run one program; afterwards fz_run_input() closes the slots, deletes every interface,
	 * clears the fault plans and checks that no shim object is left */
	void (*run)(const struct fz_program* program);
};

/* each harness file defines its table */
extern const struct fz_harness fz_harness;

/* ---- running inputs ---------------------------------------------------------------------- */

extern bool fz_verbose; /* trace every op and result (replayer -v) */
/* shim_boot/shim_shutdown around every input: the replayer; the fuzzers for FZ_REBOOT harnesses
 * in the deterministic build; FUZZ_REBOOT=0|1 overrides. Without a reboot, an FZ_TAPE harness's
 * schedule restarts where the boot left it (shim_sched_restart) and the reset checks what the
 * input left behind. */
extern bool fz_reboot;
extern FILE* fz_out; /* where traces go (stdout) */

/* decode, boot if needed, run, reset, leak check; aborts on any failed check */
void fz_run_input(const uint8* data, size_t size);
/* also name the running op after a UBSan report (the replayer: a fuzzer's engine owns the
 * sanitizer death callback, with which it saves the crashing input) */
void fz_report_op_on_death(void);
/* shut down after the last input (full leak check); returns B_OK or aborts */
status_t fz_finish(void);
/* Known findings set aside (fuzz/known.c): FZ_KNOWN names the list (DRIVER=upstream
 * deterministic builds only; any other build refuses it), FZ_KNOWN_COUNTS the file the hits per
 * entry go to. fz_known_set_aside runs the input in a forked child first and returns the name of
 * the entry its failure matched (the input is then discarded), or NULL: run it as usual. */
void fz_known_load(void);
bool fz_known_enabled(void);
const char* fz_known_set_aside(const uint8* data, size_t size);
/* digest of every traced result of the last input (same digest = same run) */
uint64 fz_digest(void);

/* ---- the format --------------------------------------------------------------------------- */

void fz_decode(const uint8* data, size_t size, struct fz_program* program);
/* the first symbol with this value: NULL / "?" if none */
const char* fz_sym_find(const struct fz_sym* syms, int64 value);
const char* fz_sym_name(const struct fz_sym* syms, int64 value);
/* poll events as names, "POLLIN|POLLHUP" ("0" for none; unknown bits as hex), for messages;
 * a buffer per thread, valid until the thread's next call */
const char* fz_poll_events(uint16 events);
void fz_print_op(FILE* out, const struct fz_op* op, bool full);
/* the program's header op as a text line, nothing if it has none */
void fz_print_header(FILE* out, const struct fz_program* program);
#define FZ_HEADER_MAGIC_LENGTH 4
enum { FZ_HEADER_FAILNTH, FZ_HEADER_SCHED, FZ_HEADERS };
extern const struct fz_op_spec fz_header_ops[FZ_HEADERS];
extern const struct fz_sym fz_sched_syms[];
/* the strategy of inputs without a sched header: FUZZ_SCHED=tape|pct|chaos|mix in a fuzzer's
 * environment (make fuzz SCHED=), depth FZ_SCHED_DEPTH; the replayers keep SHIM_SCHED_TAPE */
#define FZ_SCHED_DEPTH 3
extern int fz_sched_default;
/* Assemble a text program into bytes; returns the length, or -1 with "LINE:COLUMN: message" in
 * error (the token at fault and the valid choices). Strict, unlike the byte decoder: an unknown op,
 * symbol or thread, a missing or extra argument, a number out of its argument's range and a NUL
 * byte are errors. */
ssize_t fz_assemble(const char* text, size_t textLength, uint8* out, size_t capacity, char* error,
	size_t errorSize);

/* ---- tracing and checks ------------------------------------------------------------------- */

/* the op the calling thread is executing (named by failure reports), traced if verbose */
void fz_begin_op(const struct fz_op* op);
/* the op's result: traced as "op  # -> result" and added to the digest */
void fz_end_op(int64 result);
void fz_trace(const char* format, ...) __attribute__((format(printf, 1, 2)));
void fz_fail(const char* format, ...) __attribute__((format(printf, 1, 2), noreturn));
/* the same about `op`, which another thread runs (a check of the main thread on a worker's op) */
void fz_fail_at(const struct fz_op* op, const char* format, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* the op the calling thread runs, NULL between ops */
const struct fz_op* fz_current_op(void);

/* The replayer's build records the last driver location of every op (fuzz/driver_line.c says
 * how): fz_driver_lines is then true, and fz_note_driver_pc is called at every edge of driver
 * code. fz_run_input starts each input with fz_driver_lines_start; boot registers the per-thread
 * state with fz_driver_lines_follow_threads. */
extern bool fz_driver_lines;
void fz_note_driver_pc(const void* pc);
void fz_driver_lines_start(int ops);
void fz_driver_lines_follow_threads(void);
/* "driver/x.c:LINE (function)": the last driver line `op` ran, in out; or why there is none */
const char* fz_op_driver_line(const struct fz_op* op, char* out, size_t size);
/* on stderr, for a report: op's driver line and the driver functions it ran before that one, or
 * (op NULL) the calling thread's last driver line */
void fz_print_driver_line(const struct fz_op* op);

#define FZ_CHECK(condition, ...)  \
	do {                          \
		if (!(condition))         \
			fz_fail(__VA_ARGS__); \
	} while (0)

/* The checks come in two tiers (fuzz/README.md has the table). FZ_CHECK is the universal tier:
 * what any Haiku net_device driver owes its users (no crash, no sanitizer report, no leak, no
 * thread left blocked, no lost wake-up, poll agreeing with read and write, frames intact). The
 * contract tier is our driver/README.md: FZ_CHECK_CONTRACT, fz_expect, fz_expect_in and
 * fz_check_stats. Builds for another driver (DRIVER=upstream: FZ_UPSTREAM) run the universal tier
 * only: a contract check there is never evaluated. */
#ifdef FZ_UPSTREAM
#define FZ_CONTRACT 0
#else
#define FZ_CONTRACT 1
#endif
#define FZ_CHECK_CONTRACT(condition, ...) \
	do {                                  \
		if (FZ_CONTRACT && !(condition))  \
			fz_fail(__VA_ARGS__);         \
	} while (0)

/* universal: a write that finds no room waits for it (blocking) or says B_WOULD_BLOCK
 * (non-blocking); ENOBUFS ends the write of an application that trusted poll's POLLOUT (socat
 * exits on it: corpora/upstream/write-enobufs-when-full.txt) */
void fz_check_write_room(int64 status);

/* contract tier: fail unless status is one of the listed values */
#define FZ_EXPECT_IN(what, status, ...) \
	fz_expect_in(what, status, (const int64[]){__VA_ARGS__, FZ_SET_END})
void fz_expect_in(const char* what, int64 status, const int64* set);
bool fz_in(int64 status, const int64* set);

/* contract tier: `got` must be `want` or `alt`; after a fault was injected (fz_faults_injected()
 * went past `faults`) also any status a fault can cause: FZ_FAULT_STATUSES */
#define FZ_FAULT_STATUSES \
	B_NO_MEMORY, B_NO_MORE_SEMS, B_BAD_ADDRESS, B_NO_MORE_THREADS, B_DEVICE_NOT_FOUND
void fz_expect(const char* what, int64 got, int64 want, int64 alt, int64 faults);
static inline void
fz_expect1(const char* what, int64 got, int64 want, int64 faults)
{
	fz_expect(what, got, want, want, faults);
}

/* contract tier: enqueued == dequeued + dropped + queued for both queues */
void fz_check_stats(const struct tuntap_stats* stats, const char* where);

/* ---- faults ------------------------------------------------------------------------------- */

extern const struct fz_sym fz_fault_syms[];
/* shim_fault_fail_nth, remembered so fz_quiet_begin/end can step around harness calls */
void fz_fault_arm(int site, int64 nth, bool persistent);
/* harness-internal calls (stats, names) between these neither trigger nor shift a fault plan */
void fz_quiet_begin(void);
void fz_quiet_end(void);
/* disarm every site */
void fz_faults_off(void);
/* injections so far (all sites) */
int64 fz_faults_injected(void);
/* the last input's header failnth (fz_program.fail_nth) failed a call: it had that many */
bool fz_fault_point_reached(void);
/* when > 0, every input runs as if its header said failnth n=fz_sweep_nth (replayer -F) */
extern int64 fz_sweep_nth;

/* ---- descriptors, user memory, names ------------------------------------------------------ */

extern int fz_slot[FZ_SLOTS]; /* shim descriptors, -1 when free; closed by the reset */

enum fz_ptr { FZ_PTR_USER, FZ_PTR_BAD, FZ_PTR_NULL, FZ_PTR_STRADDLE };
extern const struct fz_sym fz_ptr_syms[];
/* a user pointer of the given kind for `size` bytes, holding `init` if it is a real buffer;
 * release it with fz_user_release */
void* fz_user_pointer(int kind, size_t size, const void* init, size_t initSize);
void fz_user_release(int kind, void* pointer);
/* TUNTAP_GET_STATS through a quiet ioctl; false if the descriptor cannot answer */
bool fz_get_stats(int fd, struct tuntap_stats* stats);
/* an interface name the reset must delete that is not tun/N or tap/N with a small N */
void fz_note_interface(const char* name);
/* delete every interface: noted names, then tun/N and tap/N, N counting up until none is left;
 * listed ones instead of counting if `listed` (a program that named any unit number) */
void fz_delete_all_interfaces(bool listed);
/* "tun/N" (tap false) or "tap/N", formatted once per process for the N the harnesses reach
 * (N <= FZ_UNIT_NAMES_MAX; a larger N fails the input) */
#define FZ_UNIT_NAMES_MAX (2 * FZ_MAX_OPS + 64)
const char* fz_unit_name(bool tap, int number);
/* "/dev/" + fz_sym_name(syms, value), formatted once per process (syms: a harness's table) */
const char* fz_dev_path(const struct fz_sym* syms, int64 value);
/* prefix ("" or "/dev/") and the name of an FZ_UNIT value (its symbol's, else tun/N or tap/N) in
 * out, which has FZ_UNIT_TEXT bytes; returns out. No snprintf: it is on every op's path. */
#define FZ_UNIT_TEXT (TUNTAP_NAME_LENGTH + 8)
const char* fz_unit_text(char* out, const char* prefix, const struct fz_sym* syms, int64 value);

/* out[i] = seed + 7 * i, for i < min(length, FZ_PATTERN_MAX): packet payloads */
#define FZ_PATTERN_MAX 65536
void fz_pattern(uint8* out, size_t length, uint8 seed);

/* ---- frames ------------------------------------------------------------------------------- */

enum { FZ_IP4, FZ_IP6, FZ_AF4, FZ_AF6, FZ_BCAST, FZ_ARP, FZ_BADVER, FZ_BADAF };
extern const struct fz_sym fz_frame_syms[];
extern const uint8 fz_app_mac[6], fz_app_ip[4], fz_peer_ip[4];
#define FZ_FRAME_MAX 20000
/* The frame of `kind` a harness writes or sends, min(length, FZ_FRAME_MAX) bytes. TAP: an
 * Ethernet header to 06:06:06:06:06:06 (broadcast for FZ_BCAST and FZ_ARP) from fz_app_mac; FZ_ARP:
 * "who has fz_peer_ip? tell fz_app_ip". TUN: the AF prefix for the AF kinds (a wrong family for
 * FZ_BADAF), the IP version nibble (5 for FZ_BADVER). Then the IP header's length (bytes 2-3) and
 * identification (byte 4) hold the length and seed where they fit; the rest is fz_pattern(seed). */
size_t fz_frame(uint8* out, size_t length, bool tap, int kind, uint8 seed);

/* ---- memory growth (growth.c) ------------------------------------------------------------ */

/* universal tier: the heap bytes and net_buffers an input's ops may make any driver hold; start
 * after the boot, check after the program (fz_run_input) */
void fz_growth_start(void);
void fz_growth_check(int ops);

/* ---- the frames an input made (frame_log.c) ------------------------------------------------ */

/* universal tier, any driver: a frame read or received is one that went in, byte for byte (cut
 * to the buffer), whatever the driver's order and acceptance. Cleared per input by the harness. */
void fz_frame_log_clear(void);
void fz_frame_log_add(int iface, int direction, const uint8* bytes, size_t length);
/* `length` bytes read into `size` are a logged frame of that interface and direction, whole or
 * cut to `size`; with `prefixed`, also after a 4-byte AF prefix; true too after an overflow */
bool fz_frame_log_match(
	int iface, int direction, const uint8* got, size_t length, size_t size, bool prefixed);
/* an iface a frame is logged under when the harness cannot tell its interface (a clone's): it
 * matches any; and fz_frame_log_match's iface for "any interface" */
#define FZ_FRAME_ANY (-1)
/* a frame went to or from `iface` in the input, or to one the harness could not tell */
bool fz_frame_log_offered(int iface);
/* universal: a poll for POLLIN on `fd` (an up interface nothing went to or from) times out with
 * no select notification meanwhile */
void fz_idle_poll(int fd, const char* name);

#endif
