/* The driver line of a finding's report: the last driver location each op ran, recorded in the
 * replayer's build at every basic block of driver/, symbolized, with the functions run before it.
 */
#include "common.h"

#include <string.h>

#ifdef FZ_DET
#include "shim_sched.h"
#endif

/*
 * Where in the driver a failed check's result came from. A check runs after the driver returned,
 * so the stack at the check (__sanitizer_print_stack_trace) has no driver frame left; the hook the
 * shim called names the entry, not where the result was decided; the driver's last call into the
 * shim misses what it did after that call. The replayer's build instead compiles driver/ with an
 * edge callback (fuzz.mk: FZ_CF_DRIVER_rp, -fsanitize-coverage=trace-pc-guard,no-prune; it is in
 * fuzz/engine/replay.c, as libFuzzer has its own): every basic block of the driver an op runs
 * stores its address, a few stores, so the op's last one is the line that returned the result or
 * where the op still waits, and a trail of them shows the functions before it. Only `make repro`
 * and the replayer pay for it (the fuzzers' driver is built without it), and the sanitizer runtime
 * symbolizes them with llvm-symbolizer, as it does its own stacks. */

/* the last driver location each op of the input ran, and each thread's last in an op or not */
static const void* sOpDriverPc[FZ_MAX_OPS];
static __thread void* tDriverPc;
bool fz_driver_lines;
/* the driver locations ops ran last, oldest overwritten first: what came before an op's last */
#define TRAIL 4096
static struct {
	int32 op; /* its index; -1 outside any op */
	const void* pc;
} sTrail[TRAIL];
static uint32 sTrailNext;

void
fz_driver_lines_start(int ops)
{
	memset(sOpDriverPc, 0, sizeof(sOpDriverPc[0]) * (size_t)ops);
	sTrailNext = 0;
}

void
fz_driver_lines_follow_threads(void)
{
#ifdef FZ_DET
	shim_sched_thread_local(&tDriverPc);
#endif
}

void
fz_note_driver_pc(const void* pc)
{
	const struct fz_op* op = fz_current_op();
	if (op != NULL)
		sOpDriverPc[op->index] = pc;
	tDriverPc = (void*)pc;
	uint32 slot = __atomic_fetch_add(&sTrailNext, 1, __ATOMIC_RELAXED) % TRAIL;
	sTrail[slot].op = op != NULL ? op->index : -1;
	sTrail[slot].pc = pc;
}

extern void __sanitizer_symbolize_pc(void* pc, const char* format, char* out, size_t size)
	__attribute__((weak));

/* a frame in the driver: ours (driver/), or Haiku's tunnel.cpp in DRIVER=upstream builds */
#define UPSTREAM_FILE "/devices/tunnel/tunnel.cpp:"
static bool
driver_frame(const char* frame)
{
	return strstr(frame, "driver/") != NULL || strstr(frame, UPSTREAM_FILE) != NULL;
}

/* "driver/x.c:LINE (function)" of a recorded location (upstream: "src/add-ons/.../tunnel.cpp:LINE
 * (function)"); its function alone in function[] */
static const char*
symbolize(const void* pc, char* out, size_t size, char function[128])
{
	char frames[1024] = "";
	snprintf(out, size, "%p (not symbolized)", pc);
	strcpy(function, "?");
	if (__sanitizer_symbolize_pc == NULL)
		return out;
	/* one "function TAB file:line" per frame, innermost first, each ending in a NUL (inlined
	 * frames: a header's inline function inside a driver function); a return address is just
	 * past its call */
	__sanitizer_symbolize_pc((void*)((uintptr_t)pc - 1), "%f\t%s:%l", frames, sizeof(frames) - 1);
	frames[sizeof(frames) - 1] = '\0';
	const char* chosen = NULL;
	for (const char* frame = frames; *frame != '\0' && frame < frames + sizeof(frames);
		 frame += strlen(frame) + 1) {
		if (chosen == NULL || (!driver_frame(chosen) && driver_frame(frame)))
			chosen = frame;
	}
	const char* tab = chosen != NULL ? strchr(chosen, '\t') : NULL;
	if (tab == NULL || strncmp(tab + 1, "<null>", 6) == 0) /* ASAN_OPTIONS symbolize=0 */
		return out;
	snprintf(function, 128, "%.*s", (int)(tab - chosen), chosen);
	/* the path from driver/ on, the same in a bug's copy of the tree (build/bugs/<bug>/tree) */
	const char* file = tab + 1;
	for (const char* c = strstr(tab, "/driver/"); c != NULL; c = strstr(c + 1, "/driver/"))
		file = c + 1;
	/* upstream: from Haiku's tree's src/ on, whichever HAIKU_SRC it was built from */
	const char* haiku = strstr(tab, UPSTREAM_FILE) != NULL ? strstr(tab, "/src/add-ons/") : NULL;
	if (haiku != NULL)
		file = haiku + 1;
	snprintf(out, size, "%s (%s)", file, function);
	return out;
}

/* on stderr: the last line of each of the (up to) three other driver functions op ran before
 * the one it ran last (`last`), newest first, from the trail */
static void
print_trail(const struct fz_op* op, const char* last)
{
	char line[640], function[128], seen[4][128];
	int found = 0, looked = 0;
	snprintf(seen[0], sizeof(seen[0]), "%s", last);
	uint32 end = __atomic_load_n(&sTrailNext, __ATOMIC_RELAXED);
	for (uint32 back = 1; back <= TRAIL && back <= end && found < 3 && looked < 512; back++) {
		uint32 slot = (end - back) % TRAIL;
		if (sTrail[slot].op != op->index)
			continue;
		looked++; /* one symbolizer call each */
		symbolize(sTrail[slot].pc, line, sizeof(line), function);
		bool known = false;
		for (int i = 0; i <= found; i++)
			known |= strcmp(seen[i], function) == 0;
		if (known)
			continue;
		fprintf(stderr, "%s%s", found == 0 ? "  before it, in the op: " : ", ", line);
		snprintf(seen[++found], sizeof(seen[0]), "%s", function);
	}
	if (found > 0)
		fputs("\n", stderr);
}

const char*
fz_op_driver_line(const struct fz_op* op, char* out, size_t size)
{
	char function[128];
	if (!fz_driver_lines)
		snprintf(out, size, "not recorded in this build (the replayer's: make repro)");
	else if (op == NULL || sOpDriverPc[op->index] == NULL)
		snprintf(out, size, "none: op [%d] ran no driver code", op != NULL ? op->index : -1);
	else
		symbolize(sOpDriverPc[op->index], out, size, function);
	return out;
}

void
fz_print_driver_line(const struct fz_op* op)
{
	char line[640], function[128];
	if (op != NULL) {
		fprintf(stderr, "  driver line: %s, the last one the op ran\n",
			fz_op_driver_line(op, line, sizeof(line)));
		if (fz_driver_lines && sOpDriverPc[op->index] != NULL) {
			symbolize(sOpDriverPc[op->index], line, sizeof(line), function);
			print_trail(op, function);
		}
	} else if (fz_driver_lines && tDriverPc != NULL)
		fprintf(stderr, "  driver line: %s, the last one this thread ran\n",
			symbolize(tDriverPc, line, sizeof(line), function));
	else
		fprintf(stderr, "  driver line: %s\n",
			fz_driver_lines ? "none: this thread ran no driver code"
							: fz_op_driver_line(NULL, line, sizeof(line)));
}
