/* cmocka tests of the info-leak check at copy-out (kern_leak.c): the heap's fill, which copies to
 * user memory panic, which do not (short runs, runs user memory brought in, the stack's frames). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <net_buffer.h>

#include "child_test.h"
#include "kern/kern_private.h"
#include "net/net_private.h"
#include "shim_private.h"

static struct net_buffer_module_info* sBuffers;
static uint8* sUser;

static int
setup(void** state)
{
	alarm(60);
	if (shim_boot_with(NULL, NULL) != B_OK)
		return -1;
	sUser = shim_user_alloc(256);
	return get_module(NET_BUFFER_MODULE_NAME, (module_info**)&sBuffers) == B_OK ? 0 : -1;
}

static int
teardown(void** state)
{
	put_module(NET_BUFFER_MODULE_NAME);
	shim_user_free(sUser);
	alarm(0);
	return shim_shutdown() == B_OK ? 0 : -1;
}

/* ---- the heap's fill ------------------------------------------------------------------------ */

static void
test_heap_fill(void** state)
{
	uint8 expected[64];
	memset(expected, SHIM_FILL_PATTERN, sizeof(expected));
	uint8* block = shim_kmalloc(40);
	assert_memory_equal(block, expected, 40);
	memset(block, 1, 40);
	block = shim_krealloc(block, 64); /* the new bytes only */
	assert_memory_equal(block + 40, expected, 24);
	assert_int_equal(block[39], 1);
	shim_kfree(block);
	uint8* zeroed = shim_kcalloc(4, 16);
	for (int i = 0; i < 64; i++)
		assert_int_equal(zeroed[i], 0);
	shim_kfree(zeroed);
}

/* ---- reported ------------------------------------------------------------------------------- */

/* a heap block with 8 of its 16 bytes written, copied out whole */
static void
copy_half_written_block(void)
{
	uint8* block = shim_kmalloc(16);
	memset(block, 7, 8);
	user_memcpy(sUser, block, 16);
}

/* a kernel string holding the pattern, through user_strlcpy */
static void
copy_pattern_string(void)
{
	user_strlcpy((char*)sUser, "tun/\xaa\xaa\xaa\xaa\xaa", 32);
}

/* the driver appended bytes from its own memory: a read into user memory is checked */
static void
read_driver_buffer(void)
{
	uint8 data[32];
	memset(data, SHIM_FILL_PATTERN, sizeof(data));
	memset(data, 0x45, 20);
	net_buffer* buffer = sBuffers->create(0);
	assert_int_equal(sBuffers->append(buffer, data, sizeof(data)), B_OK);
	sBuffers->read(buffer, 0, sUser, sizeof(data));
}

/* a copy-out longer than the longest run user memory brought in */
static void
copy_longer_than_brought_in(void)
{
	uint8 kernel[16];
	uint8 mac[6];
	memset(mac, SHIM_FILL_PATTERN, sizeof(mac));
	shim_user_put(sUser, mac, sizeof(mac));
	assert_int_equal(user_memcpy(kernel, sUser, 6), B_OK);
	assert_int_equal(shim_leak_external_run(), 6);
	memset(kernel, SHIM_FILL_PATTERN, 7);
	user_memcpy(sUser + 64, kernel, 7);
}

static void
test_leak_reported(void** state)
{
	expect_abort(copy_half_written_block, "PANIC: info leak: 8 uninitialised byte(s)",
		"at offset 8 of a 16-byte copy");
	expect_abort(
		copy_pattern_string, "PANIC: info leak: 5 uninitialised byte(s)", "in copy_pattern_string");
	expect_abort(
		read_driver_buffer, "PANIC: info leak: 12 uninitialised byte(s)", "in read_driver_buffer");
	expect_abort(copy_longer_than_brought_in, "PANIC: info leak: 7 uninitialised byte(s)",
		"the longest run user memory brought in: 6");
}

/* ---- not reported --------------------------------------------------------------------------- */

static void
test_leak_not_reported(void** state)
{
	uint8 kernel[64];
	/* runs shorter than SHIM_LEAK_RUN: a counter or a MAC may hold a pattern byte */
	memset(kernel, 0, sizeof(kernel));
	memset(kernel + 3, SHIM_FILL_PATTERN, SHIM_LEAK_RUN - 1);
	memset(kernel + 10, SHIM_FILL_PATTERN, SHIM_LEAK_RUN - 1);
	assert_int_equal(user_memcpy(sUser, kernel, sizeof(kernel)), B_OK);
	/* kernel to kernel, and user to user */
	uint8* block = shim_kmalloc(32);
	assert_int_equal(user_memcpy(kernel, block, 32), B_OK);
	assert_int_equal(user_memcpy(sUser + 128, sUser + 64, 32), B_OK);
	shim_kfree(block);
	/* a MAC the application set comes back: runs as long as the ones it brought in */
	uint8 mac[6];
	memset(mac, SHIM_FILL_PATTERN, sizeof(mac));
	shim_user_put(sUser, mac, sizeof(mac));
	assert_int_equal(user_memcpy(kernel, sUser, 6), B_OK);
	assert_int_equal(shim_leak_external_run(), 6);
	assert_int_equal(user_memcpy(sUser + 64, kernel, 6), B_OK);
	assert_int_equal(user_strlcpy((char*)sUser + 64, "\xaa\xaa\xaa\xaa\xaa\xaa", 8), 6);
	shim_leak_forget_external();
	assert_int_equal(shim_leak_external_run(), 0);
	/* the stack's frames may hold anything: read out unchecked */
	memset(kernel, SHIM_FILL_PATTERN, sizeof(kernel));
	net_buffer* buffer = sBuffers->create(0);
	assert_int_equal(shim_net_buffer_append_frame(buffer, kernel, sizeof(kernel)), B_OK);
	net_buffer* copy = sBuffers->duplicate(buffer);
	assert_int_equal(sBuffers->read(buffer, 0, sUser, sizeof(kernel)), B_OK);
	assert_int_equal(sBuffers->read(copy, 0, sUser, sizeof(kernel)), B_OK);
	/* a driver's packet bytes from user memory are not noted: they go to the stack */
	assert_int_equal(sBuffers->append(buffer, sUser, 16), B_OK);
	assert_int_equal(shim_leak_external_run(), 0);
	sBuffers->free(copy);
	sBuffers->free(buffer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heap_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_not_reported, setup, teardown),
	};
	return cmocka_run_group_tests_name("kern_leak", tests, NULL, NULL);
}
