/* Tests of what the shim grew for C++ drivers (the upstream tunnel driver): the stack module's
 * buffer fifos, the kernel's operator new/delete, random numbers, mutex name accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "shim_private.h"

#include <net_buffer.h>
#include <net_stack.h>

#include "kern/kern_private.h"

#define WAIT 2000000 /* how long a test waits for a thread to block (us) */

static struct net_buffer_module_info* sBuffers;
static struct net_stack_module_info* sStack;
static struct shim_objects sBaseline;

/* the kernel C++ runtime, as kern_cxx.c names it for renamed C++ objects */
void* shim_cxx_new_nothrow(size_t size, const void* nothrow);
void shim_cxx_delete(void* block);

static int
setup(void** state)
{
	if (shim_boot_with(NULL, NULL) != B_OK)
		return -1;
	shim_objects_get(&sBaseline);
	if (get_module(NET_BUFFER_MODULE_NAME, (module_info**)&sBuffers) != B_OK)
		return -1;
	return get_module(NET_STACK_MODULE_NAME, (module_info**)&sStack) == B_OK ? 0 : -1;
}

static int
teardown(void** state)
{
	shim_fault_clear();
	shim_leak_count_mutexes(true);
	put_module(NET_STACK_MODULE_NAME);
	put_module(NET_BUFFER_MODULE_NAME);
	int leaks = shim_leak_check(&sBaseline, "teardown");
	if (shim_shutdown() != B_OK)
		return -1;
	return leaks == 0 ? 0 : -1;
}

static net_buffer*
buffer_of(const char* text)
{
	net_buffer* buffer = sBuffers->create(0);
	assert_non_null(buffer);
	assert_int_equal(sBuffers->append(buffer, text, strlen(text)), B_OK);
	return buffer;
}

static void
expect_buffer(net_buffer* buffer, const char* text)
{
	char data[64];
	assert_int_equal(buffer->size, strlen(text));
	assert_int_equal(sBuffers->read(buffer, 0, data, buffer->size), B_OK);
	assert_memory_equal(data, text, buffer->size);
	sBuffers->free(buffer);
}

/* FIFO order, byte accounting, the byte bound (ENOBUFS), and uninit freeing what is queued */
static void
test_order_bound_and_uninit(void** state)
{
	net_fifo fifo;
	assert_int_equal(sStack->init_fifo(&fifo, "test fifo", 8), B_OK);
	assert_int_equal(sStack->fifo_enqueue_buffer(&fifo, buffer_of("abc")), B_OK);
	assert_int_equal(sStack->fifo_enqueue_buffer(&fifo, buffer_of("defgh")), B_OK);
	assert_int_equal(fifo.current_bytes, 8);
	net_buffer* tooMuch = buffer_of("i");
	assert_int_equal(sStack->fifo_enqueue_buffer(&fifo, tooMuch), B_POSIX_ERROR_BASE + 35);
	sBuffers->free(tooMuch); /* refused: still the caller's */
	net_buffer* buffer = NULL;
	assert_int_equal(sStack->fifo_dequeue_buffer(&fifo, 0, 0, &buffer), B_OK);
	expect_buffer(buffer, "abc");
	assert_int_equal(fifo.current_bytes, 5);
	/* the second one stays queued: uninit frees it (teardown's leak check) */
	sStack->uninit_fifo(&fifo);
	struct shim_objects now;
	shim_objects_get(&now);
	assert_int_equal(now.net_buffers, sBaseline.net_buffers);
	assert_int_equal(now.semaphores, sBaseline.semaphores);
}

/* empty: MSG_DONTWAIT or a zero timeout would block; a timeout times out; other flags refused */
static void
test_empty_dequeue(void** state)
{
	net_fifo fifo;
	net_buffer* buffer = NULL;
	assert_int_equal(sStack->init_fifo(&fifo, "test fifo", 0), B_OK);
	assert_int_equal(
		sStack->fifo_dequeue_buffer(&fifo, 0x80, B_INFINITE_TIMEOUT, &buffer), B_WOULD_BLOCK);
	assert_int_equal(sStack->fifo_dequeue_buffer(&fifo, 0, 0, &buffer), B_WOULD_BLOCK);
	assert_int_equal(sStack->fifo_dequeue_buffer(&fifo, 0, 1000, &buffer), B_TIMED_OUT);
	assert_int_equal(sStack->fifo_dequeue_buffer(&fifo, 0x1, 0, &buffer), B_NOT_SUPPORTED);
	assert_null(buffer);
	/* the timed-out wait still counts as waiting, as in Haiku: a later enqueue banks a unit */
	assert_int_equal(fifo.waiting, 1);
	sStack->uninit_fifo(&fifo);
}

/* MSG_PEEK hands out a copy and keeps the original queued */
static void
test_peek(void** state)
{
	net_fifo fifo;
	net_buffer* buffer = NULL;
	assert_int_equal(sStack->init_fifo(&fifo, "test fifo", 0), B_OK);
	assert_int_equal(sStack->fifo_enqueue_buffer(&fifo, buffer_of("peek")), B_OK);
	assert_int_equal(sStack->fifo_dequeue_buffer(&fifo, 0x2, 0, &buffer), B_OK);
	expect_buffer(buffer, "peek");
	assert_int_equal(fifo.current_bytes, 4);
	assert_int_equal(sStack->fifo_dequeue_buffer(&fifo, 0, 0, &buffer), B_OK);
	expect_buffer(buffer, "peek");
	sStack->uninit_fifo(&fifo);
}

static net_fifo sShared;
static net_buffer* sTaken;

static status_t
dequeuer(void* data)
{
	return (status_t)sStack->fifo_dequeue_buffer(&sShared, 0, B_INFINITE_TIMEOUT, &sTaken);
}

/* a blocked reader gets the next enqueued buffer; B_RELEASE_ALL with a negative count wakes a
 * blocked one with that status (what tunnel_close and tunnel_down rely on) */
static void
test_blocked_reader(void** state)
{
	assert_int_equal(sStack->init_fifo(&sShared, "test fifo", 0), B_OK);
	thread_id thread = spawn_kernel_thread(dequeuer, "dequeuer", B_NORMAL_PRIORITY, NULL);
	assert_true(thread >= 0);
	assert_int_equal(resume_thread(thread), B_OK);
	assert_int_equal(shim_wait_until_blocked(thread, WAIT), B_OK);
	assert_int_equal(sStack->fifo_enqueue_buffer(&sShared, buffer_of("wake")), B_OK);
	status_t result = B_ERROR;
	assert_int_equal(wait_for_thread(thread, &result), B_OK);
	assert_int_equal(result, B_OK);
	expect_buffer(sTaken, "wake");

	thread = spawn_kernel_thread(dequeuer, "dequeuer", B_NORMAL_PRIORITY, NULL);
	assert_true(thread >= 0);
	assert_int_equal(resume_thread(thread), B_OK);
	assert_int_equal(shim_wait_until_blocked(thread, WAIT), B_OK);
	assert_int_equal(release_sem_etc(sShared.notify, B_INTERRUPTED, B_RELEASE_ALL), B_OK);
	assert_int_equal(wait_for_thread(thread, &result), B_OK);
	assert_int_equal(result, B_INTERRUPTED);
	sStack->uninit_fifo(&sShared);
}

/* a semaphore failure at init returns its error and leaves nothing (the mutex destroyed) */
static void
test_init_failure(void** state)
{
	net_fifo fifo;
	shim_fault_fail_nth(SHIM_FAULT_SEM, 1, false);
	assert_true(sStack->init_fifo(&fifo, "test fifo", 0) < B_OK);
	struct shim_objects now;
	shim_objects_get(&now);
	assert_int_equal(now.mutexes, sBaseline.mutexes);
	assert_int_equal(now.mutex_names, sBaseline.mutex_names);
}

/* the kernel's new(std::nothrow) and delete are the accounted heap, with its fault injection */
static void
test_cxx_runtime(void** state)
{
	static const char nothrow = 0;
	void* block = shim_cxx_new_nothrow(24, &nothrow);
	assert_non_null(block);
	struct shim_objects now;
	shim_objects_get(&now);
	assert_int_equal(now.allocations, sBaseline.allocations + 1);
	shim_cxx_delete(block);
	shim_cxx_delete(NULL);
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	assert_null(shim_cxx_new_nothrow(24, &nothrow));
}

/* every boot draws a new sequence (two boots are two hosts); the ranges are Haiku's */
static void
test_random(void** state)
{
	unsigned int first[4];
	shim_random_reset();
	for (int i = 0; i < 4; i++)
		first[i] = secure_random_value();
	shim_random_reset();
	int same = 0;
	for (int i = 0; i < 4; i++)
		same += secure_random_value() == first[i];
	assert_true(same < 4);
	assert_true(first[0] != first[1] || first[1] != first[2]);
	for (int i = 0; i < 64; i++) {
		assert_true(fast_random_value() <= 0x7fff);
		assert_true(random_value() <= 0x7fffffff);
	}
}

/* a mutex left initialized: a leak unless shim_leak_count_mutexes(false); a cloned name always */
static void
test_mutex_accounting(void** state)
{
	mutex plain, cloned;
	mutex_init(&plain, "plain");
	mutex_init_etc(&cloned, "cloned", MUTEX_FLAG_CLONE_NAME);
	shim_leak_count_mutexes(false);
	assert_int_equal(shim_leak_check(&sBaseline, "two mutexes, not counted"), 1); /* the name */
	mutex_destroy(&cloned);
	assert_int_equal(shim_leak_check(&sBaseline, "one plain mutex, not counted"), 0);
	shim_leak_count_mutexes(true);
	assert_int_equal(shim_leak_check(&sBaseline, "one plain mutex, counted"), 1);
	mutex_destroy(&plain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_bound_and_uninit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_dequeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cxx_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_accounting, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
