/* Boot and teardown of the shim's kernel primitives (threads, semaphores, heap accounting, fault
 * plans, the user arena), called by boot.c: the one place that resets every kernel file. */
#include "shim_private.h"

#include "host/host.h"
#include "kern/kern_private.h"

void
shim_kern_init(void)
{
	shim_thread_self();
	host_sched_boot();
	shim_threads_reset();
	shim_sems_reset();
	shim_mem_reset();
	shim_user_reset();
	shim_leak_forget_external();
	shim_random_reset();
}

void
shim_kern_fini(void)
{
	shim_sems_reset();
	shim_threads_reset();
	shim_mem_reset();
	shim_user_reset();
}
