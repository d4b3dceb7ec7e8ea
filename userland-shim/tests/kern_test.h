/* Setup, teardown and a join helper shared by the kernel-core tests (test_kern*.c): each test
 * gets a fresh kernel core, and a test that hangs dies by SIGALRM instead of stalling the run. */
#ifndef KERN_TEST_H
#define KERN_TEST_H

#include <unistd.h>

#include "child_test.h"

#include "shim_private.h"

static int
setup(void** state)
{
	(void)state;
	alarm(60);
	shim_kern_init();
	return 0;
}

static int
teardown(void** state)
{
	(void)state;
	shim_kern_fini();
	alarm(0);
	return 0;
}

static inline status_t
join(thread_id thread)
{
	status_t result = B_ERROR;
	assert_int_equal(shim_thread_join(thread, &result), B_OK);
	return result;
}

#endif
