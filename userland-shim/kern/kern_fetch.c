/* Double fetches: within one syscall, a second copy-in of user bytes already copied in is a panic
 * naming both copy sites (Bochspwn's class: the user can change the bytes between check and use).
 */
#include "shim_private.h"

#include <stdio.h>

#include "kern/kern_private.h"

/*
 * Haiku's kernel copies from user memory with user_memcpy (arch_cpu_user_memcpy) and nothing stops
 * another user thread from writing those bytes meanwhile: a driver that checks bytes from one copy
 * and uses them from another can be made to use bytes it never checked. The shim's syscall layer
 * scopes a call (shim_syscall_enter/exit, dev/syscalls.c); every successful copy from a user range
 * within it is remembered in the thread record (the last SHIM_FETCHES_MAX of them), and a copy that
 * overlaps a remembered one panics. Copies out to user memory, kernel-to-kernel copies, failed
 * copies and copies outside a syscall (the tests' own calls, kernel threads) are not recorded.
 */

/* Provided by any sanitizer runtime that is linked (asan, tsan, ubsan, fuzzer builds); NULL in a
 * build without one, where the sites are printed as addresses. */
extern void __sanitizer_symbolize_pc(void* pc, const char* format, char* buffer, size_t size)
	__attribute__((weak));
extern void __sanitizer_print_stack_trace(void) __attribute__((weak));

void
shim_describe_site(void* site, char* buffer, size_t size)
{
	if (__sanitizer_symbolize_pc != NULL) {
		/* the call instruction, not the one after it */
		__sanitizer_symbolize_pc((char*)site - 1, "%F %L", buffer, size);
		if (buffer[0] != '\0')
			return;
	}
	snprintf(buffer, size, "at %p (addr2line -f -e <binary> %p)", site, site);
}

static void __attribute__((noreturn, cold)) report_double_fetch(
	struct shim_thread* self, const struct shim_fetch* first, addr_t start, size_t size, void* site)
{
	char firstSite[256], secondSite[256];
	shim_describe_site(first->site, firstSite, sizeof(firstSite));
	shim_describe_site(site, secondSite, sizeof(secondSite));
	/* the sites on a line of their own: the panic's line stays the same whether or not the run
	 * symbolizes (make repro compares it across unsymbolized runs) */
	fprintf(stderr, "double fetch: first copied in %s, then %s; the second copy-in's stack:\n",
		firstSite, secondSite);
	if (__sanitizer_print_stack_trace != NULL)
		__sanitizer_print_stack_trace();
	panic("double fetch: user bytes copied in twice in one syscall by thread %" PRId32
		  ": [%p, +%zu), then [%p, +%zu) (another user thread may change them between the two "
		  "copies)",
		self->id, (void*)first->start, first->size, (void*)start, size);
}

void
shim_user_fetched(const void* userAddress, size_t size, void* site)
{
	struct shim_thread* self = shim_thread_self();
	if (self->syscall_depth == 0 || size == 0)
		return;
	addr_t start = (addr_t)userAddress;
	int32 count = self->fetch_count;
	int32 remembered = count < SHIM_FETCHES_MAX ? count : SHIM_FETCHES_MAX;
	for (int32 i = 0; i < remembered; i++) {
		const struct shim_fetch* fetch = &self->fetches[i];
		if (start < fetch->start + fetch->size && fetch->start < start + size)
			report_double_fetch(self, fetch, start, size, site);
	}
	struct shim_fetch* slot = &self->fetches[count % SHIM_FETCHES_MAX];
	slot->start = start;
	slot->size = size;
	slot->site = site;
	self->fetch_count = count + 1;
}
