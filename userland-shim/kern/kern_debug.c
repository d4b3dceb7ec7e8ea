/* Haiku's kernel debug output for the shim: dprintf() (to stderr when SHIM_VERBOSE is set) and
 * panic(), which prints, dumps every shim thread, runs the harness's hook and aborts. */
#include "shim_private.h"

#include <stdarg.h>
#include <stdlib.h>

#include "kern/kern_private.h"

static int32 sVerbose = -1; /* -1 unknown, else whether SHIM_VERBOSE is set */

void
dprintf(const char* format, ...)
{
	int32 verbose = atomic_get(&sVerbose);
	if (verbose < 0) {
		verbose = getenv("SHIM_VERBOSE") != NULL ? 1 : 0;
		atomic_set(&sVerbose, verbose);
	}
	if (verbose == 0)
		return;
	va_list args;
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
}

static void (*sPanicHook)(void);

void
shim_set_panic_hook(void (*hook)(void))
{
	__atomic_store_n(&sPanicHook, hook, __ATOMIC_RELEASE);
}

void
panic(const char* format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "PANIC: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	shim_dump_threads(stderr);
	void (*hook)(void) = __atomic_load_n(&sPanicHook, __ATOMIC_ACQUIRE);
	if (hook != NULL)
		hook();
	fflush(stderr);
	abort();
}
