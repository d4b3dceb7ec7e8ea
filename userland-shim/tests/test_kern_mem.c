/* cmocka tests of the shim's memory side: kernel heap accounting, the leak check, fault plans,
 * the user arena with Haiku's user_memcpy rules, the util/list.h list, and per-boot resets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <util/list.h>

#include "shim_private.h"
#include "kern_test.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define TEST_ASAN 1
#endif
#endif

void* shim_kmalloc(size_t size);
void* shim_kcalloc(size_t count, size_t size);
void* shim_krealloc(void* block, size_t size);
void shim_kfree(void* block);


/* ---- kernel heap, accounting, leak check ---------------------------------------------------- */

static void
test_heap_accounting(void** state)
{
	char* block = shim_kmalloc(100);
	assert_non_null(block);
	memset(block, 'a', 100);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC), 1);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC_BYTES), 100);

	block = shim_krealloc(block, 300);
	assert_non_null(block);
	assert_int_equal(block[99], 'a');
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC_BYTES), 300);

	uint64* zeroed = shim_kcalloc(3, sizeof(uint64));
	assert_non_null(zeroed);
	assert_true(zeroed[0] == 0 && zeroed[1] == 0 && zeroed[2] == 0);
	assert_int_equal(((uintptr_t)zeroed) % 16, 0);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC), 2);
	assert_null(shim_kcalloc(SIZE_MAX / 2, 4));

	void* fromNull = shim_krealloc(NULL, 8);
	assert_non_null(fromNull);
	assert_null(shim_krealloc(fromNull, 0)); /* frees */
	shim_kfree(block);
	shim_kfree(zeroed);
	shim_kfree(NULL);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC), 0);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC_BYTES), 0);

	void* host = shim_host_alloc(64); /* neither accounted nor fault-injected */
	shim_host_free(host);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC), 0);
}

/* the high-water marks the fuzzers' memory-growth check reads: raised by every allocation, kept
 * after the frees, restarted at the live values */
static void
test_heap_peak(void** state)
{
	struct shim_objects peak;
	shim_objects_peak_reset();
	void* first = shim_kmalloc(100);
	void* second = shim_kmalloc(200);
	shim_kfree(first);
	shim_kfree(second);
	shim_objects_peak(&peak);
	assert_int_equal(peak.alloc_bytes, 300);
	assert_int_equal(peak.net_buffers, 0);
	first = shim_kmalloc(50);
	shim_objects_peak_reset();
	shim_objects_peak(&peak);
	assert_int_equal(peak.alloc_bytes, 50);
	shim_kfree(first);
}

static void
test_leak_check(void** state)
{
	struct shim_objects baseline;
	shim_objects_get(&baseline);
	assert_int_equal(shim_leak_check(&baseline, "clean"), 0);

	void* block = shim_kmalloc(10);
	shim_account(SHIM_OBJ_NODE, 1);
	struct shim_objects now;
	shim_objects_get(&now);
	assert_int_equal(now.allocations, baseline.allocations + 1);
	assert_int_equal(now.alloc_bytes, baseline.alloc_bytes + 10);
	assert_int_equal(now.nodes, baseline.nodes + 1);
	assert_int_equal(shim_leak_check(&baseline, "leaky"), 3); /* allocations, bytes, nodes */

	shim_kfree(block);
	shim_account(SHIM_OBJ_NODE, -1);
	assert_int_equal(shim_leak_check(&baseline, "fixed"), 0);

	sem_id sem = create_sem(0, "leak");
	void* user = shim_user_alloc(8);
	assert_int_equal(shim_leak_check(&baseline, "sem and chunk"), 2);
	delete_sem(sem);
	shim_user_free(user);
	assert_int_equal(shim_leak_check(&baseline, "all back"), 0);
}

/* ---- fault plans ---------------------------------------------------------------------------- */

static void
test_fault_nth(void** state)
{
	void* before = shim_kmalloc(1); /* calls before arming don't count towards nth */
	assert_non_null(before);
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 3, false);
	void* blocks[5];
	for (int i = 0; i < 5; i++)
		blocks[i] = shim_kmalloc(16);
	assert_non_null(blocks[0]);
	assert_non_null(blocks[1]);
	assert_null(blocks[2]);
	assert_non_null(blocks[3]);
	assert_non_null(blocks[4]);
	assert_int_equal(shim_fault_calls(SHIM_FAULT_ALLOC), 6);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_ALLOC), 1);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC), 5);
	for (int i = 0; i < 5; i++)
		shim_kfree(blocks[i]);
	shim_kfree(before);

	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	void* block = shim_kmalloc(4);
	assert_null(block);
	block = shim_krealloc(NULL, 4); /* realloc is a fault site too; the plan is spent */
	assert_non_null(block);
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, false);
	assert_null(shim_krealloc(block, 64)); /* a failed realloc keeps the block */
	shim_kfree(block);
	assert_int_equal(shim_account_get(SHIM_OBJ_ALLOC), 0);

	shim_fault_clear();
	assert_int_equal(shim_fault_calls(SHIM_FAULT_ALLOC), 0);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_ALLOC), 0);
}

static void
test_fault_persistent_and_sites(void** state)
{
	shim_fault_fail_nth(SHIM_FAULT_SEM, 2, true);
	sem_id first = create_sem(0, "first");
	assert_true(first > 0);
	assert_int_equal(create_sem(0, "second"), B_NO_MORE_SEMS);
	assert_int_equal(create_sem(0, "third"), B_NO_MORE_SEMS);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_SEM), 2);
	assert_int_equal(shim_account_get(SHIM_OBJ_SEM), 1);
	/* other sites are unaffected */
	void* block = shim_kmalloc(1);
	assert_non_null(block);
	shim_kfree(block);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_ALLOC), 0);

	shim_fault_fail_nth(SHIM_FAULT_SEM, 0, false); /* disarm */
	sem_id again = create_sem(0, "again");
	assert_true(again > 0);
	assert_int_equal(shim_fault_calls(SHIM_FAULT_SEM), 4);
	delete_sem(first);
	delete_sem(again);
}

/* the any-site plan (make fault-sweep): the nth call at whichever site fails, once, counted as
 * injected there; a site's own plan still applies */
static void
test_fault_any_site(void** state)
{
	shim_fault_fail_point(3);
	void* block = shim_kmalloc(1);     /* point 1 */
	sem_id sem = create_sem(0, "any"); /* point 2 */
	assert_true(block != NULL && sem > 0);
	assert_null(shim_kmalloc(1)); /* point 3 fails */
	void* later = shim_kmalloc(1);
	assert_non_null(later);
	assert_int_equal(shim_fault_points(), 4);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_ALLOC), 1);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_SEM), 0);

	shim_fault_fail_point(2);
	shim_fault_fail_nth(SHIM_FAULT_SEM, 1, false);
	assert_int_equal(create_sem(0, "site plan"), B_NO_MORE_SEMS); /* the site's own plan */
	assert_int_equal(create_sem(0, "any plan"), B_NO_MORE_SEMS);  /* the any-site plan */
	shim_fault_fail_point(1);
	shim_fault_clear(); /* disarms it too */
	void* cleared = shim_kmalloc(1);
	assert_non_null(cleared);
	shim_kfree(cleared);
	shim_kfree(later);
	shim_kfree(block);
	delete_sem(sem);
}

struct fault_job {
	int calls;
	int32 failures;
};

static status_t
fault_job_run(void* data)
{
	struct fault_job* job = data;
	for (int i = 0; i < job->calls; i++) {
		if (shim_fault_check(SHIM_FAULT_PUBLISH))
			atomic_add(&job->failures, 1);
	}
	return B_OK;
}

static void
test_fault_thread_safety(void** state)
{
	struct fault_job job = {.calls = 5000};
	shim_fault_fail_nth(SHIM_FAULT_PUBLISH, 7777, false);
	thread_id threads[4];
	for (int i = 0; i < 4; i++)
		threads[i] = shim_thread_spawn("faulter", fault_job_run, &job);
	for (int i = 0; i < 4; i++)
		assert_int_equal(shim_thread_join(threads[i], NULL), B_OK);
	assert_int_equal(atomic_get(&job.failures), 1);
	assert_int_equal(shim_fault_calls(SHIM_FAULT_PUBLISH), 20000);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_PUBLISH), 1);
}

/* ---- user memory ---------------------------------------------------------------------------- */

static void
test_user_alloc_layout(void** state)
{
	char* first = shim_user_alloc(10);
	char* second = shim_user_alloc(10);
	assert_non_null(first);
	assert_non_null(second);
	assert_int_equal((uintptr_t)first % 16, 0);
	assert_true(second >= first + 10 + 64); /* a guard gap between chunks */
	assert_int_equal(shim_account_get(SHIM_OBJ_USER_CHUNK), 2);

	char bytes[10];
	shim_user_get(bytes, first, sizeof(bytes));
	for (int i = 0; i < 10; i++)
		assert_int_equal(bytes[i], 0); /* fresh chunks are zeroed */

	shim_user_free(first);
	char* third = shim_user_alloc(10);
	assert_ptr_not_equal(third, first); /* next fit: a freed chunk is not reused at once */
	shim_user_free(second);
	shim_user_free(third);
	shim_user_free(NULL);
	assert_int_equal(shim_account_get(SHIM_OBJ_USER_CHUNK), 0);
	assert_null(shim_user_alloc((size_t)1 << 40));
#ifdef TEST_ASAN
	char* poisoned = shim_user_alloc(32);
	assert_true(__asan_address_is_poisoned(poisoned)); /* direct driver access is a report */
	assert_true(__asan_address_is_poisoned(poisoned + 31));
	shim_user_free(poisoned);
#endif
}

#ifdef TEST_ASAN
/* user_memcpy checks the kernel side of a copy as memcpy would: an overflow of a kernel buffer
 * is ASan's report, whichever way the bytes go */
static void
copy_into_small_buffer(void)
{
	char* user = shim_user_alloc(64);
	char* kernel = shim_kmalloc(16);
	user_memcpy(kernel, user, 32);
}

static void
copy_from_small_buffer(void)
{
	char* user = shim_user_alloc(64);
	char* kernel = shim_kmalloc(16);
	user_memcpy(user, kernel, 32);
}

static void
test_user_memcpy_kernel_overflow(void** state)
{
	expect_abort(copy_into_small_buffer, "AddressSanitizer: heap-buffer-overflow", "WRITE of size");
	expect_abort(copy_from_small_buffer, "AddressSanitizer: heap-buffer-overflow", "READ of size");
}
#endif

static void
test_user_memcpy_rules(void** state)
{
	char* user = shim_user_alloc(16);
	char kernel[16] = "kernel data!";
	char back[16] = {0};

	assert_int_equal(user_memcpy(user, kernel, sizeof(kernel)), B_OK);
	assert_int_equal(user_memcpy(back, user, sizeof(back)), B_OK);
	assert_memory_equal(back, kernel, sizeof(kernel));
	shim_user_get(back, user, 6);
	assert_memory_equal(back, "kernel", 6);

	/* zero length is fine, whatever the pointers */
	assert_int_equal(user_memcpy(NULL, NULL, 0), B_OK);
	assert_int_equal(user_memcpy(shim_user_bad_address(), kernel, 0), B_OK);
	/* NULL page, no chunk, past the chunk, past the arena */
	assert_int_equal(user_memcpy(back, NULL, 4), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(NULL, kernel, 4), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy((void*)0x1000, kernel, 4), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(back, shim_user_bad_address(), 1), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(shim_user_bad_address(), kernel, 1), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(back, user + 15, 2), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(back, user + 15, 1), B_OK);
	assert_int_equal(user_memcpy(user, kernel, 17), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(back, shim_user_straddle_end(8), 8), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(shim_user_straddle_end(16), kernel, 16), B_BAD_ADDRESS);

	/* kernel to kernel and user to user */
	char other[16];
	assert_int_equal(user_memcpy(other, kernel, sizeof(other)), B_OK);
	assert_memory_equal(other, kernel, sizeof(other));
	char* user2 = shim_user_alloc(16);
	assert_int_equal(user_memcpy(user2, user, 16), B_OK);
	shim_user_get(back, user2, 16);
	assert_memory_equal(back, kernel, 16);

	/* a freed chunk is no longer user memory */
	shim_user_free(user);
	assert_int_equal(user_memcpy(back, user, 1), B_BAD_ADDRESS);
	shim_user_free(user2);
}

/* ---- double fetches (kern_fetch.c) --------------------------------------------------------- */

static char* sFetchUser;

/* within one syscall: [0, 8) then [4, 12) of the same chunk */
static void
fetch_overlap_twice(void)
{
	char kernel[16];
	shim_syscall_enter();
	assert_int_equal(user_memcpy(kernel, sFetchUser, 8), B_OK);
	user_memcpy(kernel, sFetchUser + 4, 8);
	shim_syscall_exit();
}

/* user_strlcpy reads the string and its NUL: a later copy of its last byte overlaps */
static void
fetch_string_then_byte(void)
{
	char kernel[16];
	shim_syscall_enter();
	assert_int_equal(user_strlcpy(kernel, sFetchUser, sizeof(kernel)), 5);
	user_memcpy(kernel, sFetchUser + 5, 1);
	shim_syscall_exit();
}

static void
test_double_fetch_reported(void** state)
{
	sFetchUser = shim_user_alloc(32);
	shim_user_put(sFetchUser, "hello", 6);
	char first[64];
	snprintf(first, sizeof(first), "[%p, +8)", (void*)sFetchUser);
	expect_abort(fetch_overlap_twice, "PANIC: double fetch", first);
	snprintf(first, sizeof(first), "[%p, +6)", (void*)sFetchUser);
	expect_abort(fetch_string_then_byte, "PANIC: double fetch", first);
	shim_user_free(sFetchUser);
}

/* what is not a double fetch: disjoint ranges, copies out, failed copies, kernel-to-kernel
 * copies, copies outside a syscall or in the next one */
static void
test_double_fetch_not_reported(void** state)
{
	char* user = shim_user_alloc(32);
	char kernel[32] = "0123456789abcdef0123456789abcde";
	shim_syscall_enter();
	assert_int_equal(user_memcpy(user, kernel, 32), B_OK); /* out, twice */
	assert_int_equal(user_memcpy(user, kernel, 32), B_OK);
	assert_int_equal(user_memcpy(kernel, user, 8), B_OK);
	assert_int_equal(user_memcpy(kernel + 8, user + 8, 8), B_OK); /* adjacent, disjoint */
	assert_int_equal(user_memcpy(kernel, user + 16, 17), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(kernel, kernel + 16, 8), B_OK); /* kernel to kernel */
	assert_int_equal(user_memcpy(kernel + 16, kernel, 8), B_OK);
	for (int i = 16; i < 32; i++) /* more ranges than are remembered, all disjoint */
		assert_int_equal(user_memcpy(kernel, user + i, 1), B_OK);
	shim_syscall_exit();
	shim_syscall_enter(); /* the next syscall starts afresh */
	assert_int_equal(user_memcpy(kernel, user, 16), B_OK);
	shim_syscall_exit();
	/* outside any syscall (a test's or a kernel thread's own copies): not checked */
	assert_int_equal(user_memcpy(kernel, user, 16), B_OK);
	assert_int_equal(user_memcpy(kernel, user, 16), B_OK);
	/* an exit without an enter (the FUSE daemon's) does not begin a checked call */
	shim_syscall_exit();
	assert_int_equal(user_memcpy(kernel, user, 16), B_OK);
	shim_user_free(user);
}

static void
test_user_copy_faults(void** state)
{
	char* user = shim_user_alloc(8);
	char kernel[8] = "abcdefg";
	shim_fault_fail_nth(SHIM_FAULT_USER_COPY, 2, false);
	assert_int_equal(user_memcpy(user, kernel, 8), B_OK);
	assert_int_equal(user_memcpy(user, kernel, 8), B_BAD_ADDRESS);
	assert_int_equal(user_memcpy(user, kernel, 8), B_OK);
	assert_int_equal(user_memcpy(user, kernel, 0), B_OK); /* not a call at the site */
	assert_int_equal(shim_fault_calls(SHIM_FAULT_USER_COPY), 3);

	shim_fault_fail_nth(SHIM_FAULT_USER_COPY, 1, true);
	char name[8];
	assert_int_equal(user_strlcpy(name, user, sizeof(name)), B_BAD_ADDRESS);
	assert_int_equal(user_memset(user, 0, 8), B_BAD_ADDRESS);
	assert_int_equal(shim_fault_injected(SHIM_FAULT_USER_COPY), 3);
	shim_fault_clear();
	assert_int_equal(user_strlcpy(name, user, sizeof(name)), 7);
	shim_user_free(user);
}

static void
test_user_strlcpy_and_memset(void** state)
{
	char* user = shim_user_alloc(8);
	shim_user_put(user, "hello", 6);
	char small[3];
	assert_int_equal(user_strlcpy(small, user, sizeof(small)), 5);
	assert_string_equal(small, "he");
	assert_int_equal(user_strlcpy(NULL, user, 0), 5);
	assert_int_equal(user_strlcpy(NULL, user, 4), B_BAD_VALUE);
	assert_int_equal(user_strlcpy(small, NULL, sizeof(small)), B_BAD_ADDRESS);

	/* a user string must end inside its chunk */
	shim_user_put(user, "12345678", 8);
	assert_int_equal(user_strlcpy(small, user, sizeof(small)), B_BAD_ADDRESS);

	/* kernel string into user memory: the target must hold `size` bytes */
	assert_int_equal(user_strlcpy(user, "tun/7", 8), 5);
	char back[8];
	shim_user_get(back, user, 6);
	assert_string_equal(back, "tun/7");
	assert_int_equal(user_strlcpy(user + 4, "tun/7", 8), B_BAD_ADDRESS);

	assert_int_equal(user_memset(user, 'z', 8), B_OK);
	shim_user_get(back, user, 8);
	assert_memory_equal(back, "zzzzzzzz", 8);
	assert_int_equal(user_memset(user, 'z', 9), B_BAD_ADDRESS);
	assert_int_equal(user_memset(shim_user_bad_address(), 0, 1), B_BAD_ADDRESS);
	assert_int_equal(user_memset(user, 0, 0), B_OK);
	char kernel[4];
	assert_int_equal(user_memset(kernel, 'k', sizeof(kernel)), B_OK);
	assert_memory_equal(kernel, "kkkk", 4);
	shim_user_free(user);
}

/* ---- list ---------------------------------------------------------------------------------- */

struct item {
	int value;
	list_link link;
};

static void
test_list_basics(void** state)
{
	struct list list;
	list_init_etc(&list, offsetof(struct item, link));
	assert_true(list_is_empty(&list));
	assert_null(list_get_first_item(&list));
	assert_null(list_get_last_item(&list));
	assert_null(list_remove_head_item(&list));

	struct item items[5];
	for (int i = 0; i < 5; i++)
		items[i].value = i;
	list_add_item(&list, &items[1]);
	list_add_item(&list, &items[3]);
	list_insert_item_before(&list, &items[3], &items[2]);
	list_add_link_to_head(&list, &items[0].link);
	list_insert_item_before(&list, NULL, &items[4]);
	assert_false(list_is_empty(&list));

	int expected = 0;
	for (struct item* item = list_get_next_item(&list, NULL); item != NULL;
		 item = list_get_next_item(&list, item))
		assert_int_equal(item->value, expected++);
	assert_int_equal(expected, 5);
	for (struct item* item = list_get_prev_item(&list, NULL); item != NULL;
		 item = list_get_prev_item(&list, item))
		assert_int_equal(item->value, --expected);
	assert_int_equal(expected, 0);
	assert_ptr_equal(list_get_last_item(&list), &items[4]);

	list_remove_item(&list, &items[2]);
	assert_ptr_equal(list_get_next_item(&list, &items[1]), &items[3]);
	assert_null(items[2].link.next);
	assert_ptr_equal(list_remove_head_item(&list), &items[0]);
	assert_ptr_equal(list_remove_tail_item(&list), &items[4]);
	assert_ptr_equal(list_get_first_item(&list), &items[1]);
	assert_null(list_get_next_item(&list, &items[3]));
}

static void
test_list_links_and_move(void** state)
{
	struct list source, target;
	list_init(&source); /* offset 0: the link is the item */
	list_init(&target);
	assert_int_equal(source.offset, 0);
	list_link links[4];
	list_add_link_to_tail(&source, &links[0]);
	list_add_link_to_tail(&source, &links[1]);
	list_add_link_to_tail(&target, &links[2]);
	list_move_to_list(&source, &target);
	assert_true(list_is_empty(&source));
	assert_ptr_equal(list_get_first_item(&target), &links[2]);
	assert_ptr_equal(list_get_next_item(&target, &links[2]), &links[0]);
	assert_ptr_equal(list_get_last_item(&target), &links[1]);
	list_move_to_list(&source, &target); /* moving an empty list changes nothing */
	assert_ptr_equal(list_get_last_item(&target), &links[1]);

	list_remove_link(&links[0]);
	assert_ptr_equal(list_get_next_item(&target, &links[2]), &links[1]);
	list_add_link_to_head(&target, &links[3]);
	assert_ptr_equal(list_get_first_item(&target), &links[3]);
	list_add_item(&source, &links[0]);
	assert_ptr_equal(list_remove_tail_item(&source), &links[0]);
	assert_true(list_is_empty(&source));
}

/* ---- per-boot reset ------------------------------------------------------------------------ */

static void
test_fini_resets_state(void** state)
{
	sem_id sem = create_sem(1, "old boot");
	char* user = shim_user_alloc(8);
	void* block = shim_kmalloc(4);
	shim_fault_fail_nth(SHIM_FAULT_ALLOC, 1, true);
	shim_interrupt(shim_current_thread());

	shim_kern_fini();
	shim_kern_init();

	struct shim_objects objects;
	shim_objects_get(&objects);
	assert_int_equal(objects.allocations + objects.semaphores + objects.user_chunks, 0);
	assert_int_equal(acquire_sem(sem), B_BAD_SEM_ID);
	assert_int_equal(user_memcpy(&objects, user, 1), B_BAD_ADDRESS);
	assert_false(shim_interrupt_pending());
	void* fresh = shim_kmalloc(4); /* the plan is gone */
	assert_non_null(fresh);
	assert_int_equal(shim_fault_calls(SHIM_FAULT_ALLOC), 1);
	sem_id newSem = create_sem(0, "new boot");
	assert_true(newSem > 0);
	shim_kfree(fresh);
	delete_sem(newSem);
	shim_kfree(block); /* the old boot's block: the heap itself outlives a boot */
	dprintf("dprintf is quiet unless SHIM_VERBOSE is set\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heap_accounting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heap_peak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_nth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_persistent_and_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_any_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_thread_safety, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_alloc_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_memcpy_rules, setup, teardown),
#ifdef TEST_ASAN
		cmocka_unit_test_setup_teardown(test_user_memcpy_kernel_overflow, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_double_fetch_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_fetch_not_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_copy_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_strlcpy_and_memset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_basics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_links_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_resets_state, setup, teardown),
	};
	return cmocka_run_group_tests_name("kern_mem", tests, NULL, NULL);
}
