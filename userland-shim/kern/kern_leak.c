/* Info leaks at copy-out (KMSAN's check at copy_to_user): every byte the kernel copies to user
 * memory must have been written; a byte nobody wrote still holds its memory's fill pattern. */
#include "shim_private.h"

#include <stdio.h>

#include "kern/kern_private.h"

/*
 * Memory the driver gets uninitialised holds SHIM_FILL_PATTERN: its stack (the Makefile compiles
 * the driver with -ftrivial-auto-var-init=pattern, clang's 0xaa bytes) and the kernel heap
 * (malloc and realloc's new bytes, kern_mem.c). A copy to user memory that carries a run of at
 * least SHIM_LEAK_RUN pattern bytes is a panic naming the copy's call site: those bytes were never
 * written. Shorter runs are not reported (a counter or a MAC may hold a 0xaa byte or two): a lone
 * uninitialised uint8 or uint16, or up to 3 bytes of padding between written fields, goes unseen.
 *
 * Legitimate bytes from outside the kernel can hold such a run too: a MAC the application set
 * (TUNTAP_SET_HWADDR takes aa:aa:aa:aa:aa:aa) comes back in TUNTAP_GET_INFO. So every copy-in from
 * user memory is scanned and the longest run that came in is remembered; a copy-out's run must be
 * longer than that to be reported. What came in lives only in interfaces' units, so the memory is
 * forgotten when the last device interface goes (device_interfaces.c) and at boot. Packets are
 * handled exactly by net_buffer.c instead: a buffer the stack filled (its frames, ARP replies) is
 * read out unchecked, one the driver wrote into is checked (shim_user_copy's flags).
 */

static int32 sExternalRun; /* atomic: the longest pattern run copied in since the last forget */

/* the longest run of the pattern in [bytes, +size), its start in *_start */
static size_t
longest_run(const uint8* bytes, size_t size, size_t* _start)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < size; i++) {
		if (bytes[i] != SHIM_FILL_PATTERN) {
			run = 0;
			continue;
		}
		if (++run > best) {
			best = run;
			*_start = i + 1 - run;
		}
	}
	return best;
}

void
shim_leak_note_in(const void* kernelCopy, size_t size)
{
	size_t start;
	size_t run = longest_run(kernelCopy, size, &start);
	if (run < SHIM_LEAK_RUN)
		return;
	int32 seen = atomic_get(&sExternalRun);
	while ((size_t)seen < run && atomic_test_and_set(&sExternalRun, (int32)run, seen) != seen)
		seen = atomic_get(&sExternalRun);
}

void
shim_leak_forget_external(void)
{
	atomic_set(&sExternalRun, 0);
}

int32
shim_leak_external_run(void)
{
	return atomic_get(&sExternalRun);
}

extern void __sanitizer_print_stack_trace(void) __attribute__((weak));

void
shim_leak_check_out(const void* kernelSource, size_t size, const void* userTarget, void* site)
{
	size_t start = 0;
	size_t run = longest_run(kernelSource, size, &start);
	int32 external = atomic_get(&sExternalRun);
	if (run < SHIM_LEAK_RUN || run <= (size_t)external)
		return;
	/* the site on a line of its own: the panic's line stays the same whether or not the run
	 * symbolizes (make repro compares it across unsymbolized runs) */
	char where[256];
	shim_describe_site(site, where, sizeof(where));
	fprintf(stderr, "info leak: the copy-out %s, from kernel %p to user memory %p; its stack:\n",
		where, kernelSource, userTarget);
	if (__sanitizer_print_stack_trace != NULL)
		__sanitizer_print_stack_trace();
	panic("info leak: %zu uninitialised byte(s) (the fill pattern 0x%02x) at offset %zu of a "
		  "%zu-byte copy to user memory (the longest run user memory brought in: %" PRId32 ")",
		run, SHIM_FILL_PATTERN, start, size, external);
}
