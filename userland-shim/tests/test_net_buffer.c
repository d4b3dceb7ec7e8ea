/* Tests of the shim's net_buffer module: data operations, headroom and growth, user pointers,
 * fault injection, accounting and recycling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "shim_private.h"

#include <net_buffer.h>

static struct net_buffer_module_info* sBuffers;
static struct shim_objects sBaseline;

static int
setup(void** state)
{
	if (shim_boot_with(NULL, NULL) != B_OK)
		return -1;
	shim_objects_get(&sBaseline);
	return get_module(NET_BUFFER_MODULE_NAME, (module_info**)&sBuffers) == B_OK ? 0 : -1;
}

static int
teardown(void** state)
{
	shim_fault_clear();
	put_module(NET_BUFFER_MODULE_NAME);
	/* shim_shutdown() zeroes the accounting: check before it */
	int leaks = shim_leak_check(&sBaseline, "teardown");
	if (shim_shutdown() != B_OK)
		return -1;
	return leaks == 0 ? 0 : -1;
}

static void
expect_content(net_buffer* buffer, const char* content)
{
	size_t length = strlen(content);
	char data[256];
	assert_int_equal(buffer->size, length);
	assert_int_equal(sBuffers->read(buffer, 0, data, length), B_OK);
	assert_memory_equal(data, content, length);
}

static void
test_module_members(void** state)
{
	assert_string_equal(sBuffers->info.name, NET_BUFFER_MODULE_NAME);
	assert_non_null(sBuffers->create);
	assert_non_null(sBuffers->free);
	assert_non_null(sBuffers->duplicate);
	assert_non_null(sBuffers->prepend);
	assert_non_null(sBuffers->append);
	assert_non_null(sBuffers->remove_header);
	assert_non_null(sBuffers->trim);
	assert_non_null(sBuffers->read);
	assert_non_null(sBuffers->write);
}

static void
test_append_and_read(void** state)
{
	net_buffer* buffer = sBuffers->create(64);
	assert_non_null(buffer);
	assert_int_equal(buffer->size, 0);
	assert_non_null(buffer->source);
	assert_non_null(buffer->destination);
	assert_int_equal(sBuffers->append(buffer, "hello ", 6), B_OK);
	assert_int_equal(sBuffers->append(buffer, "world", 5), B_OK);
	assert_int_equal(sBuffers->append(buffer, NULL, 0), B_OK);
	expect_content(buffer, "hello world");
	char part[5];
	assert_int_equal(sBuffers->read(buffer, 6, part, 5), B_OK);
	assert_memory_equal(part, "world", 5);
	assert_int_equal(sBuffers->read(buffer, 11, part, 0), B_OK);
	sBuffers->free(buffer);
}

static void
test_out_of_range_is_bad_value(void** state)
{
	net_buffer* buffer = sBuffers->create(0);
	assert_int_equal(sBuffers->append(buffer, "abcdef", 6), B_OK);
	char data[8];
	assert_int_equal(sBuffers->read(buffer, 0, data, 7), B_BAD_VALUE);
	assert_int_equal(sBuffers->read(buffer, 7, data, 0), B_BAD_VALUE);
	assert_int_equal(sBuffers->read(buffer, 5, data, 2), B_BAD_VALUE);
	assert_int_equal(sBuffers->read(buffer, SIZE_MAX, data, 2), B_BAD_VALUE);
	assert_int_equal(sBuffers->write(buffer, 4, "xyz", 3), B_BAD_VALUE);
	assert_int_equal(sBuffers->remove_header(buffer, 7), B_BAD_VALUE);
	assert_int_equal(sBuffers->trim(buffer, 7), B_BAD_VALUE);
	expect_content(buffer, "abcdef");
	sBuffers->free(buffer);
}

static void
test_headers_and_trim(void** state)
{
	net_buffer* buffer = sBuffers->create(4);
	assert_int_equal(sBuffers->append(buffer, "payload", 7), B_OK);
	assert_int_equal(sBuffers->prepend(buffer, "hdr:", 4), B_OK);
	expect_content(buffer, "hdr:payload");
	/* beyond the headroom: the buffer grows at the front */
	char big[300];
	memset(big, 'x', sizeof(big));
	assert_int_equal(sBuffers->prepend(buffer, big, sizeof(big)), B_OK);
	assert_int_equal(buffer->size, 311);
	assert_int_equal(sBuffers->remove_header(buffer, 300), B_OK);
	expect_content(buffer, "hdr:payload");
	assert_int_equal(sBuffers->remove_header(buffer, 4), B_OK);
	assert_int_equal(sBuffers->trim(buffer, 3), B_OK);
	expect_content(buffer, "pay");
	assert_int_equal(sBuffers->write(buffer, 1, "AY", 2), B_OK);
	expect_content(buffer, "pAY");
	assert_int_equal(sBuffers->trim(buffer, 0), B_OK);
	assert_int_equal(buffer->size, 0);
	sBuffers->free(buffer);
}

static void
test_large_append_grows(void** state)
{
	net_buffer* buffer = sBuffers->create(256);
	static uint8 data[70000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8)(i * 7);
	assert_int_equal(sBuffers->append(buffer, data, 1500), B_OK);
	assert_int_equal(sBuffers->append(buffer, data + 1500, sizeof(data) - 1500), B_OK);
	assert_int_equal(buffer->size, sizeof(data));
	static uint8 copy[70000];
	assert_int_equal(sBuffers->read(buffer, 0, copy, sizeof(copy)), B_OK);
	assert_memory_equal(copy, data, sizeof(data));
	sBuffers->free(buffer);
}

static void
test_user_pointers(void** state)
{
	net_buffer* buffer = sBuffers->create(8);
	void* user = shim_user_alloc(16);
	shim_user_put(user, "from user space!", 16);
	assert_int_equal(sBuffers->append(buffer, user, 16), B_OK);
	assert_int_equal(sBuffers->prepend(buffer, user, 4), B_OK);
	expect_content(buffer, "fromfrom user space!");

	/* a bad user address fails with B_BAD_ADDRESS and changes nothing */
	void* bad = shim_user_bad_address();
	assert_int_equal(sBuffers->append(buffer, bad, 8), B_BAD_ADDRESS);
	assert_int_equal(sBuffers->prepend(buffer, bad, 2), B_BAD_ADDRESS);
	assert_int_equal(sBuffers->prepend(buffer, bad, 500), B_BAD_ADDRESS);
	assert_int_equal(sBuffers->append(buffer, shim_user_straddle_end(8), 8), B_BAD_ADDRESS);
	assert_int_equal(sBuffers->write(buffer, 0, bad, 4), B_BAD_ADDRESS);
	expect_content(buffer, "fromfrom user space!");
	assert_int_equal(sBuffers->read(buffer, 0, bad, 4), B_BAD_ADDRESS);

	/* reading into user memory */
	assert_int_equal(sBuffers->read(buffer, 9, user, 4), B_OK);
	char back[4];
	shim_user_get(back, user, 4);
	assert_memory_equal(back, "user", 4);
	/* a failing copy (fault plan) is B_BAD_ADDRESS too */
	shim_fault_fail_nth(SHIM_FAULT_USER_COPY, 1, false);
	assert_int_equal(sBuffers->append(buffer, "zz", 2), B_BAD_ADDRESS);
	expect_content(buffer, "fromfrom user space!");
	shim_user_free(user);
	sBuffers->free(buffer);
}

static void
test_duplicate(void** state)
{
	net_buffer* buffer = sBuffers->create(32);
	assert_int_equal(sBuffers->append(buffer, "original", 8), B_OK);
	buffer->type = 0x10002;
	buffer->msg_flags = 5;
	buffer->protocol = 17;
	buffer->source->sa_family = AF_INET;
	net_buffer* copy = sBuffers->duplicate(buffer);
	assert_non_null(copy);
	assert_ptr_not_equal(copy, buffer);
	expect_content(copy, "original");
	assert_int_equal(copy->type, 0x10002);
	assert_int_equal(copy->msg_flags, 5);
	assert_int_equal(copy->protocol, 17);
	assert_int_equal(copy->source->sa_family, AF_INET);
	assert_ptr_not_equal(copy->source, buffer->source);
	/* independent data */
	assert_int_equal(sBuffers->write(copy, 0, "O", 1), B_OK);
	expect_content(buffer, "original");
	expect_content(copy, "Original");
	/* the copy has the original's headroom */
	assert_int_equal(sBuffers->prepend(copy, "h", 1), B_OK);
	sBuffers->free(buffer);
	sBuffers->free(copy);
}

static void
test_fault_injection(void** state)
{
	struct shim_objects before, after;
	shim_objects_get(&before);
	shim_fault_fail_nth(SHIM_FAULT_NET_BUFFER, 1, false);
	assert_null(sBuffers->create(0));
	net_buffer* buffer = sBuffers->create(0);
	assert_non_null(buffer);
	assert_int_equal(sBuffers->append(buffer, "abc", 3), B_OK);

	shim_fault_fail_nth(SHIM_FAULT_NET_BUFFER, 1, false);
	assert_int_equal(sBuffers->append(buffer, "def", 3), B_NO_MEMORY);
	shim_fault_fail_nth(SHIM_FAULT_NET_BUFFER, 1, false);
	assert_int_equal(sBuffers->prepend(buffer, "x", 1), B_NO_MEMORY);
	shim_fault_fail_nth(SHIM_FAULT_NET_BUFFER, 1, false);
	assert_null(sBuffers->duplicate(buffer));
	expect_content(buffer, "abc");
	assert_int_equal(shim_fault_injected(SHIM_FAULT_NET_BUFFER), 4);

	shim_fault_fail_nth(SHIM_FAULT_NET_BUFFER, 1, true);
	assert_null(sBuffers->create(0));
	assert_null(sBuffers->create(0));
	shim_fault_clear();
	sBuffers->free(buffer);
	shim_objects_get(&after);
	assert_int_equal(after.net_buffers, before.net_buffers);
}

static void
test_accounting_and_recycling(void** state)
{
	struct shim_objects before, during, after;
	shim_objects_get(&before);
	net_buffer* buffers[100];
	for (int i = 0; i < 100; i++) {
		buffers[i] = sBuffers->create(128);
		assert_int_equal(sBuffers->append(buffers[i], &i, sizeof(i)), B_OK);
	}
	shim_objects_get(&during);
	assert_int_equal(during.net_buffers, before.net_buffers + 100);
	for (int i = 0; i < 100; i++)
		sBuffers->free(buffers[i]);
	shim_objects_get(&after);
	assert_int_equal(after.net_buffers, before.net_buffers);

	/* a recycled buffer comes back clean */
	net_buffer* first = sBuffers->create(0);
	assert_int_equal(sBuffers->append(first, "dirty", 5), B_OK);
	first->type = 3;
	sBuffers->free(first);
	net_buffer* again = sBuffers->create(128);
	assert_ptr_equal(again, first);
	assert_int_equal(again->size, 0);
	assert_int_equal(again->type, 0);
	sBuffers->free(again);

	/* so does one that grew past the default storage: an input that sends large frames frees
	 * as many host blocks as it allocates (else libFuzzer runs it again to look for a leak) */
	static uint8 large[5000];
	net_buffer* grown = sBuffers->create(0);
	assert_int_equal(sBuffers->append(grown, large, sizeof(large)), B_OK);
	sBuffers->free(grown);
	net_buffer* small = sBuffers->create(0);
	assert_ptr_equal(small, grown);
	assert_int_equal(small->size, 0);
	sBuffers->free(small);
	sBuffers->free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_module_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range_is_bad_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers_and_trim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_append_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounting_and_recycling, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
