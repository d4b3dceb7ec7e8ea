/* cmocka tests of the shim's mutexes, spinlocks and interrupt state, and of the panics (in forked
 * children) that catch kernel-locking bugs: blocking under a spinlock, foreign unlocks, ... */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lock.h>

#include "shim_private.h"
#include "kern_test.h"

#define WAIT (5 * 1000 * 1000)


/* ---- mutexes ------------------------------------------------------------------------------- */

struct lock_job {
	mutex* lock;
	sem_id got; /* released once the job holds the lock (if > 0) */
	sem_id go;  /* acquired before unlocking (if > 0) */
	int32 order;
	thread_id self;
	status_t lock_status; /* what mutex_lock returned */
};

static int32 sOrder;

static status_t
lock_job_run(void* data)
{
	struct lock_job* job = data;
	job->self = find_thread(NULL);
	status_t status = mutex_lock(job->lock);
	job->lock_status = status;
	if (status != B_OK)
		return status;
	job->order = atomic_add(&sOrder, 1) + 1;
	if (atomic_get(&job->lock->holder) != job->self)
		return B_ERROR;
	if (job->got > 0)
		release_sem(job->got);
	if (job->go > 0)
		acquire_sem(job->go);
	mutex_unlock(job->lock);
	return B_OK;
}

static thread_id
start_blocked_lock_job(struct lock_job* job)
{
	thread_id thread = shim_thread_spawn("locker", lock_job_run, job);
	assert_true(thread > 0);
	assert_int_equal(shim_wait_until_blocked(thread, WAIT), B_OK);
	return thread;
}

static void
test_mutex_uncontended_and_trylock(void** state)
{
	mutex lock;
	mutex_init(&lock, "plain");
	assert_int_equal(shim_account_get(SHIM_OBJ_MUTEX), 1);
	assert_int_equal(lock.holder, -1);
	assert_int_equal(mutex_lock(&lock), B_OK);
	assert_int_equal(lock.holder, find_thread(NULL));
	ASSERT_LOCKED_MUTEX(&lock);
	assert_int_equal(mutex_trylock(&lock), B_WOULD_BLOCK);
	mutex_unlock(&lock);
	assert_int_equal(lock.holder, -1);
	assert_int_equal(mutex_trylock(&lock), B_OK);
	mutex_unlock(&lock);
	mutex_destroy(&lock);
	assert_int_equal(shim_account_get(SHIM_OBJ_MUTEX), 0);
}

static void
test_mutex_handoff(void** state)
{
	mutex lock;
	mutex_init(&lock, "handoff");
	sem_id got = create_sem(0, "got");
	sem_id go = create_sem(0, "go");
	struct lock_job job = {.lock = &lock, .got = got, .go = go};

	mutex_lock(&lock);
	thread_id thread = start_blocked_lock_job(&job);
	/* mutex waits are not interruptible */
	assert_int_equal(shim_interrupt(thread), B_OK);
	assert_int_equal(shim_wait_until_blocked(thread, 0), B_OK);
	mutex_unlock(&lock);
	assert_int_equal(atomic_get(&lock.holder), thread); /* handed over, not just released */
	assert_int_equal(mutex_trylock(&lock), B_WOULD_BLOCK);
	assert_int_equal(acquire_sem(got), B_OK);
	release_sem(go);
	assert_int_equal(join(thread), B_OK);
	assert_int_equal(mutex_trylock(&lock), B_OK);
	mutex_unlock(&lock);
	mutex_destroy(&lock);
	delete_sem(got);
	delete_sem(go);
}

static void
test_mutex_fifo(void** state)
{
	static mutex lock = MUTEX_INITIALIZER("fifo");
	struct lock_job jobs[3];
	thread_id threads[3];
	atomic_set(&sOrder, 0);
	mutex_lock(&lock);
	for (int i = 0; i < 3; i++) {
		jobs[i] = (struct lock_job){.lock = &lock};
		threads[i] = start_blocked_lock_job(&jobs[i]);
	}
	mutex_unlock(&lock);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(join(threads[i]), B_OK);
		assert_int_equal(jobs[i].order, i + 1);
	}
	assert_int_equal(lock.holder, -1);
}

static void
test_mutex_static_and_clone_name(void** state)
{
	static mutex staticLock = MUTEX_INITIALIZER("static lock");
	assert_int_equal(mutex_lock(&staticLock), B_OK);
	mutex_unlock(&staticLock);
	assert_int_equal(shim_account_get(SHIM_OBJ_MUTEX), 0);

	char name[] = "cloned name";
	mutex cloned;
	mutex_init_etc(&cloned, name, MUTEX_FLAG_CLONE_NAME);
	assert_ptr_not_equal(cloned.name, name);
	name[0] = 'X';
	assert_string_equal(cloned.name, "cloned name");
	mutex borrowed;
	mutex_init(&borrowed, name);
	assert_ptr_equal(borrowed.name, name);
	assert_int_equal(shim_account_get(SHIM_OBJ_MUTEX), 2);
	mutex_destroy(&cloned);
	mutex_destroy(&borrowed);
	assert_int_equal(shim_account_get(SHIM_OBJ_MUTEX), 0);
}

/* the stall dump names the mutexes each thread holds and the holder a waiter waits for */
static char*
dump_text(void)
{
	char* text = NULL;
	size_t size = 0;
	FILE* out = open_memstream(&text, &size);
	assert_non_null(out);
	shim_dump_threads(out);
	fclose(out);
	return text;
}

static void
test_mutex_dump_names_holder(void** state)
{
	mutex first, second, third;
	mutex_init(&first, "kept first");
	mutex_init(&second, "kept second");
	mutex_init(&third, "switched to");
	struct lock_job job = {.lock = &second};

	assert_int_equal(mutex_lock(&first), B_OK);
	assert_int_equal(mutex_trylock(&second), B_OK);
	thread_id thread = start_blocked_lock_job(&job);
	char expected[128];
	char* text = dump_text();
	assert_non_null(strstr(text, ", holds mutex \"kept first\", \"kept second\"\n"));
	snprintf(expected, sizeof(expected), "waits on mutex \"kept second\" (held by thread %d \"",
		(int)find_thread(NULL));
	assert_non_null(strstr(text, expected));
	free(text);

	/* released out of order, then a switch: only what is still held is named */
	mutex_unlock(&second);
	assert_int_equal(join(thread), B_OK);
	assert_int_equal(mutex_switch_lock(&first, &third), B_OK);
	text = dump_text();
	assert_non_null(strstr(text, ", holds mutex \"switched to\"\n"));
	assert_null(strstr(text, "kept"));
	free(text);
	mutex_unlock(&third);
	text = dump_text();
	assert_null(strstr(text, "holds mutex"));
	free(text);
	mutex_destroy(&first);
	mutex_destroy(&second);
	mutex_destroy(&third);
}

static void
test_mutex_destroy_wakes_waiters(void** state)
{
	mutex lock;
	mutex_init(&lock, "doomed");
	struct lock_job jobs[2] = {{.lock = &lock}, {.lock = &lock}};
	mutex_lock(&lock);
	thread_id threads[2] = {start_blocked_lock_job(&jobs[0]), start_blocked_lock_job(&jobs[1])};
	mutex_destroy(&lock); /* the holder may destroy it */
	assert_int_equal(join(threads[0]), B_ERROR);
	assert_int_equal(join(threads[1]), B_ERROR);
	assert_int_equal(jobs[0].lock_status, B_ERROR); /* failed to lock, not failed later */
	assert_int_equal(jobs[1].lock_status, B_ERROR);
	assert_int_equal(shim_account_get(SHIM_OBJ_MUTEX), 0);
}

struct switch_job {
	mutex* from;
	mutex* to;
};

static status_t
switch_job_run(void* data)
{
	struct switch_job* job = data;
	mutex_lock(job->from);
	status_t status = mutex_switch_lock(job->from, job->to);
	if (status == B_OK)
		mutex_unlock(job->to);
	return status;
}

static void
test_mutex_switch_lock(void** state)
{
	mutex from, to;
	mutex_init(&from, "from");
	mutex_init(&to, "to");

	/* uncontended */
	mutex_lock(&from);
	assert_int_equal(mutex_switch_lock(&from, &to), B_OK);
	assert_int_equal(from.holder, -1);
	assert_int_equal(to.holder, find_thread(NULL));
	mutex_unlock(&to);

	/* contended: `from` is released once the thread is queued on `to` */
	struct switch_job job = {&from, &to};
	mutex_lock(&to);
	thread_id thread = shim_thread_spawn("switcher", switch_job_run, &job);
	assert_int_equal(shim_wait_until_blocked(thread, WAIT), B_OK);
	/* the switcher counts as blocked once it is queued on `to`, a moment before it lets `from`
	 * go (mutex_lock_slow): wait for that, bounded only to catch a switcher that never does */
	bigtime_t deadline = system_time() + WAIT;
	while (mutex_trylock(&from) != B_OK && system_time() < deadline)
		snooze(100);
	assert_int_equal(from.holder, find_thread(NULL));
	/* and it is still queued on `to`, which this thread holds */
	assert_int_equal(shim_wait_until_blocked(thread, WAIT), B_OK);
	mutex_unlock(&from);
	mutex_unlock(&to);
	assert_int_equal(join(thread), B_OK);
	mutex_destroy(&from);
	mutex_destroy(&to);
}

struct counter_job {
	mutex* lock;
	spinlock* spin;
	int64* counter;
	int rounds;
};

static status_t
count_with_mutex(void* data)
{
	struct counter_job* job = data;
	for (int i = 0; i < job->rounds; i++) {
		if (i % 3 == 0) {
			while (mutex_trylock(job->lock) != B_OK)
				;
		} else
			mutex_lock(job->lock);
		(*job->counter)++;
		mutex_unlock(job->lock);
	}
	return B_OK;
}

static void
test_mutex_contention(void** state)
{
	mutex lock;
	mutex_init(&lock, "contended");
	int64 counter = 0;
	struct counter_job job = {.lock = &lock, .counter = &counter, .rounds = 20000};
	thread_id threads[4];
	for (int i = 0; i < 4; i++)
		threads[i] = shim_thread_spawn("counter", count_with_mutex, &job);
	for (int i = 0; i < 4; i++)
		assert_int_equal(join(threads[i]), B_OK);
	assert_int_equal(counter, 4 * 20000);
	assert_int_equal(lock.holder, -1);
	assert_null(lock.waiters);
	mutex_destroy(&lock);
}

/* ---- spinlocks and interrupts -------------------------------------------------------------- */

static status_t
count_with_spinlock(void* data)
{
	struct counter_job* job = data;
	for (int i = 0; i < job->rounds; i++) {
		cpu_status status = disable_interrupts();
		acquire_spinlock(job->spin);
		(*job->counter)++;
		release_spinlock(job->spin);
		restore_interrupts(status);
	}
	return B_OK;
}

static void
test_spinlock_and_interrupts(void** state)
{
	spinlock lock = B_SPINLOCK_INITIALIZER;
	cpu_status outer = disable_interrupts();
	cpu_status inner = disable_interrupts();
	assert_int_not_equal(outer, inner);
	acquire_spinlock(&lock);
	assert_true(B_SPINLOCK_IS_LOCKED(&lock));
	release_spinlock(&lock);
	assert_false(B_SPINLOCK_IS_LOCKED(&lock));
	restore_interrupts(inner); /* still disabled: acquiring is allowed */
	acquire_spinlock(&lock);
	release_spinlock(&lock);
	restore_interrupts(outer);
	assert_int_equal(snooze(10), B_OK); /* blocking is fine again */

	int64 counter = 0;
	struct counter_job job = {.spin = &lock, .counter = &counter, .rounds = 50000};
	thread_id threads[2];
	for (int i = 0; i < 2; i++)
		threads[i] = shim_thread_spawn("spinner", count_with_spinlock, &job);
	for (int i = 0; i < 2; i++)
		assert_int_equal(join(threads[i]), B_OK);
	assert_int_equal(counter, 2 * 50000);
}

/* ---- panics (each in a forked child) -------------------------------------------------------- */

static void
expect_panic(void (*action)(void), const char* fragment)
{
	expect_abort(action, "PANIC: ", fragment);
}

static void
block_under_spinlock(void)
{
	static spinlock lock = B_SPINLOCK_INITIALIZER;
	disable_interrupts();
	acquire_spinlock(&lock);
	acquire_sem_etc(create_sem(1, "never blocks"), 1, 0, 0);
}

static void
lock_with_interrupts_disabled(void)
{
	static mutex lock = MUTEX_INITIALIZER("irq");
	disable_interrupts();
	mutex_lock(&lock);
}

static void
unlock_not_held(void)
{
	static mutex lock = MUTEX_INITIALIZER("not mine");
	mutex_unlock(&lock);
}

static void
lock_twice(void)
{
	static mutex lock = MUTEX_INITIALIZER("twice");
	mutex_lock(&lock);
	mutex_lock(&lock);
}

static void
spinlock_with_interrupts_enabled(void)
{
	static spinlock lock = B_SPINLOCK_INITIALIZER;
	acquire_spinlock(&lock);
}

static void
release_with_interrupts_disabled(void)
{
	sem_id sem = create_sem(0, "irq release");
	disable_interrupts();
	release_sem_etc(sem, 1, B_DO_NOT_RESCHEDULE); /* allowed */
	release_sem(sem);
}

static void
panic_with_message(void)
{
	panic("driver state %d is broken", 42);
}

static void
test_panics(void** state)
{
	expect_panic(block_under_spinlock, "holding 1 spinlock");
	expect_panic(block_under_spinlock, "holds 1 spinlock(s), interrupts disabled"); /* dump */
	expect_panic(lock_with_interrupts_disabled, "mutex_lock: thread");
	expect_panic(unlock_not_held, "mutex_unlock: thread");
	expect_panic(lock_twice, "it already holds");
	expect_panic(spinlock_with_interrupts_enabled, "with interrupts enabled");
	expect_panic(release_with_interrupts_disabled, "B_DO_NOT_RESCHEDULE");
	expect_panic(panic_with_message, "PANIC: driver state 42 is broken");
}

/* ---- TSan sees the mutexes as locks (the TSan build only) ------------------------------------ */

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

#ifdef TEST_TSAN
struct order_job {
	mutex* outer;
	mutex* inner;
	bool switch_lock; /* mutex_switch_lock(outer, inner) instead of holding both */
};

static status_t
take_in_order(void* data)
{
	struct order_job* job = data;
	mutex_lock(job->outer);
	if (job->switch_lock) {
		assert_int_equal(mutex_switch_lock(job->outer, job->inner), B_OK);
		mutex_unlock(job->inner);
		return B_OK;
	}
	mutex_lock(job->inner);
	mutex_unlock(job->inner);
	mutex_unlock(job->outer);
	return B_OK;
}

/* one thread takes first then second, and after it has exited another takes them the other way
 * round: both orders run, nobody ever waits, so nothing can deadlock */
static void
run_both_orders(bool switchLock)
{
	mutex first, second;
	mutex_init(&first, "order first");
	mutex_init(&second, "order second");
	struct order_job jobs[2] = {{&first, &second, switchLock}, {&second, &first, false}};
	for (int i = 0; i < 2; i++) {
		thread_id thread = spawn_kernel_thread(take_in_order, "order", B_NORMAL_PRIORITY, &jobs[i]);
		assert_true(thread > 0);
		assert_int_equal(resume_thread(thread), B_OK);
		assert_int_equal(join(thread), B_OK);
	}
	mutex_destroy(&second);
	mutex_destroy(&first);
}

static void
both_orders(void)
{
	run_both_orders(false);
}

static void
switch_then_reverse(void)
{
	run_both_orders(true);
}

/* The child ends (TSan exits it with its exitcode under halt_on_error, else the child exits 0)
 * rather than hanging: the report comes before any deadlock could. */
static void
test_tsan_reports_lock_order_inversion(void** state)
{
	char output[32768];
	int status = run_in_child(both_orders, output, sizeof(output));
	if (!WIFEXITED(status) || strstr(output, "lock-order-inversion (potential deadlock)") == NULL
		|| strstr(output, "take_in_order") == NULL)
		fail_msg("expected TSan's lock-order-inversion report; child status 0x%x, output:\n%s",
			status, output);
}

/* Haiku's mutex_switch_lock unlocks `from` before it locks `to`: no order, no report */
static void
test_tsan_switch_lock_is_no_order(void** state)
{
	char output[32768];
	int status = run_in_child(switch_then_reverse, output, sizeof(output));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strstr(output, "ThreadSanitizer") != NULL)
		fail_msg("expected no TSan report; child status 0x%x, output:\n%s", status, output);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mutex_uncontended_and_trylock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_static_and_clone_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_dump_names_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_destroy_wakes_waiters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_switch_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_contention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spinlock_and_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panics, setup, teardown),
#ifdef TEST_TSAN
		cmocka_unit_test_setup_teardown(test_tsan_reports_lock_order_inversion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsan_switch_lock_is_no_order, setup, teardown),
#endif
	};
	return cmocka_run_group_tests_name("kern_lock", tests, NULL, NULL);
}
