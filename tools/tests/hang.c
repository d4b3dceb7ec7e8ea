/* A test binary that hangs on purpose, for tools/test-tools.sh: a shim thread waits on a semaphore
 * nobody releases while the main thread joins it; the runner must stop it with a stall dump. */
#include <OS.h>

#include "shim.h"

static status_t
wait_forever(void* data)
{
	return acquire_sem(*(sem_id*)data);
}

int
main(void)
{
	if (shim_boot() != B_OK)
		return 2;
	sem_id sem = create_sem(0, "never released");
	thread_id thread = shim_thread_spawn("stuck-reader", wait_forever, &sem);
	status_t status;
	shim_thread_join(thread, &status);
	return 0;
}
