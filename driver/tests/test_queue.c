/* Unit tests of packet_queue.c: bounds in packets and bytes, tail drops, FIFO order, flush, and
 * enqueued == dequeued + dropped + queued after every operation. */

#include "test_util.h"

#include "tuntap_private.h"

static struct net_buffer_module_info* sBuffers;

static int
queue_setup(void** state)
{
	if (tu_setup(state) != 0)
		return -1;
	if (get_module(NET_BUFFER_MODULE_NAME, (module_info**)&sBuffers) != B_OK)
		return -1;
	return 0;
}

static int
queue_teardown(void** state)
{
	put_module(NET_BUFFER_MODULE_NAME);
	sBuffers = NULL;
	return tu_teardown(state);
}

#define QUEUE_TEST(function) cmocka_unit_test_setup_teardown(function, queue_setup, queue_teardown)

/* a buffer of `size` bytes whose content is derived from `sequence` */
static net_buffer*
make_buffer(size_t size, uint32 sequence)
{
	uint8 data[4096];
	assert_true(size <= sizeof(data));
	tu_fill_payload(data, size, sequence);
	net_buffer* buffer = sBuffers->create(0);
	assert_non_null(buffer);
	if (size > 0)
		TU_OK(sBuffers->append(buffer, data, size));
	assert_int_equal(buffer->size, size);
	return buffer;
}

/* the buffer holds what make_buffer(size, sequence) put in it */
static void
check_buffer(net_buffer* buffer, size_t size, uint32 sequence)
{
	uint8 expected[4096], got[4096];
	assert_non_null(buffer);
	assert_int_equal(buffer->size, size);
	tu_fill_payload(expected, size, sequence);
	TU_OK(sBuffers->read(buffer, 0, got, size));
	assert_memory_equal(got, expected, size);
}

static struct tuntap_queue_stats
stats_of(const packet_queue* queue)
{
	struct tuntap_queue_stats stats;
	memset(&stats, 0xa5, sizeof(stats));
	packet_queue_get_stats(queue, &stats);
	TU_ASSERT_QUEUE_INVARIANT(stats);
	return stats;
}

static void
expect_stats(const packet_queue* queue, uint64 enqueued, uint64 dequeued, uint64 dropped,
	uint64 queued, uint64 queuedBytes, uint64 bytes)
{
	struct tuntap_queue_stats stats = stats_of(queue);
	assert_int_equal(stats.enqueued, enqueued);
	assert_int_equal(stats.dequeued, dequeued);
	assert_int_equal(stats.dropped, dropped);
	assert_int_equal(stats.queued, queued);
	assert_int_equal(stats.queued_bytes, queuedBytes);
	assert_int_equal(stats.bytes, bytes);
}

static void
test_queue_starts_empty(void** state)
{
	packet_queue queue;
	packet_queue_init(&queue, 4, 1000);
	expect_stats(&queue, 0, 0, 0, 0, 0, 0);
	assert_null(packet_queue_head(&queue));
	assert_null(packet_queue_dequeue(&queue));
	expect_stats(&queue, 0, 0, 0, 0, 0, 0);
	assert_true(packet_queue_has_room(&queue, 1));
	assert_true(packet_queue_has_room(&queue, 1000));
	assert_false(packet_queue_has_room(&queue, 1001));
	assert_int_equal(packet_queue_flush(&queue), 0);
	expect_stats(&queue, 0, 0, 0, 0, 0, 0);
	tu_finish();
}

static void
test_queue_fifo_order_and_boundaries(void** state)
{
	static const size_t sizes[] = {1, 60, 1500, 14, 333};
	const int count = (int)(sizeof(sizes) / sizeof(sizes[0]));
	net_buffer* buffers[5];
	packet_queue queue;
	packet_queue_init(&queue, 16, 64 * 1024);

	size_t total = 0;
	for (int i = 0; i < count; i++) {
		buffers[i] = make_buffer(sizes[i], 100 + i);
		TU_OK(packet_queue_enqueue(&queue, buffers[i]));
		total += sizes[i];
		expect_stats(&queue, i + 1, 0, 0, i + 1, total, 0);
	}

	size_t dequeuedBytes = 0;
	for (int i = 0; i < count; i++) {
		/* head peeks without removing */
		assert_ptr_equal(packet_queue_head(&queue), buffers[i]);
		assert_ptr_equal(packet_queue_head(&queue), buffers[i]);
		net_buffer* buffer = packet_queue_dequeue(&queue);
		assert_ptr_equal(buffer, buffers[i]);
		check_buffer(buffer, sizes[i], 100 + i);
		total -= sizes[i];
		dequeuedBytes += sizes[i];
		expect_stats(&queue, count, i + 1, 0, count - i - 1, total, dequeuedBytes);
		sBuffers->free(buffer);
	}
	assert_null(packet_queue_dequeue(&queue));
	tu_finish();
}

static void
test_queue_packet_limit_tail_drops(void** state)
{
	packet_queue queue;
	packet_queue_init(&queue, 3, 1024 * 1024);
	net_buffer* buffers[3];
	for (int i = 0; i < 3; i++) {
		assert_true(packet_queue_has_room(&queue, 10));
		buffers[i] = make_buffer(10, i);
		TU_OK(packet_queue_enqueue(&queue, buffers[i]));
	}
	assert_false(packet_queue_has_room(&queue, 1));

	/* the fourth is refused and counted, and the caller still owns it */
	net_buffer* extra = make_buffer(10, 99);
	TU_EXPECT(packet_queue_enqueue(&queue, extra), B_WOULD_BLOCK);
	expect_stats(&queue, 4, 0, 1, 3, 30, 0);
	check_buffer(extra, 10, 99);
	sBuffers->free(extra);

	/* tail drop: the three first packets are the ones queued, in order */
	assert_ptr_equal(packet_queue_dequeue(&queue), buffers[0]);
	sBuffers->free(buffers[0]);
	assert_true(packet_queue_has_room(&queue, 10));
	net_buffer* late = make_buffer(10, 3);
	TU_OK(packet_queue_enqueue(&queue, late));
	expect_stats(&queue, 5, 1, 1, 3, 30, 10);
	assert_ptr_equal(packet_queue_dequeue(&queue), buffers[1]);
	assert_ptr_equal(packet_queue_dequeue(&queue), buffers[2]);
	assert_ptr_equal(packet_queue_dequeue(&queue), late);
	sBuffers->free(buffers[1]);
	sBuffers->free(buffers[2]);
	sBuffers->free(late);
	expect_stats(&queue, 5, 4, 1, 0, 0, 40);
	tu_finish();
}

static void
test_queue_byte_limit_tail_drops(void** state)
{
	packet_queue queue;
	packet_queue_init(&queue, 100, 300);
	net_buffer* a = make_buffer(100, 1);
	net_buffer* b = make_buffer(100, 2);
	TU_OK(packet_queue_enqueue(&queue, a));
	TU_OK(packet_queue_enqueue(&queue, b));
	assert_true(packet_queue_has_room(&queue, 100));
	assert_false(packet_queue_has_room(&queue, 101));

	net_buffer* big = make_buffer(101, 3);
	TU_EXPECT(packet_queue_enqueue(&queue, big), B_WOULD_BLOCK);
	expect_stats(&queue, 3, 0, 1, 2, 200, 0);
	sBuffers->free(big);

	/* exactly the byte limit is accepted */
	net_buffer* c = make_buffer(100, 4);
	TU_OK(packet_queue_enqueue(&queue, c));
	expect_stats(&queue, 4, 0, 1, 3, 300, 0);
	assert_false(packet_queue_has_room(&queue, 1));
	net_buffer* one = make_buffer(1, 5);
	TU_EXPECT(packet_queue_enqueue(&queue, one), B_WOULD_BLOCK);
	sBuffers->free(one);
	expect_stats(&queue, 5, 0, 2, 3, 300, 0);

	/* dequeuing makes exactly its size free again */
	net_buffer* first = packet_queue_dequeue(&queue);
	assert_ptr_equal(first, a);
	sBuffers->free(first);
	assert_true(packet_queue_has_room(&queue, 100));
	assert_false(packet_queue_has_room(&queue, 101));
	expect_stats(&queue, 5, 1, 2, 2, 200, 100);
	assert_int_equal(packet_queue_flush(&queue), 2);
	expect_stats(&queue, 5, 1, 4, 0, 0, 100);
	tu_finish();
}

static void
test_queue_flush_frees_and_counts(void** state)
{
	struct shim_objects before, after;
	packet_queue queue;
	packet_queue_init(&queue, 10, 10000);
	tu_objects(&before);
	for (int i = 0; i < 4; i++)
		TU_OK(packet_queue_enqueue(&queue, make_buffer(50 + i, i)));
	net_buffer* first = packet_queue_dequeue(&queue);
	check_buffer(first, 50, 0);
	sBuffers->free(first);

	tu_objects(&after);
	assert_int_equal(after.net_buffers, before.net_buffers + 3);
	assert_int_equal(packet_queue_flush(&queue), 3);
	tu_objects(&after);
	assert_int_equal(after.net_buffers, before.net_buffers);
	expect_stats(&queue, 4, 1, 3, 0, 0, 50);
	assert_null(packet_queue_head(&queue));

	/* the queue is usable after a flush */
	TU_OK(packet_queue_enqueue(&queue, make_buffer(7, 9)));
	net_buffer* again = packet_queue_dequeue(&queue);
	check_buffer(again, 7, 9);
	sBuffers->free(again);
	expect_stats(&queue, 5, 2, 3, 0, 0, 57);
	assert_int_equal(packet_queue_flush(&queue), 0);
	tu_finish();
}

static void
test_queue_count_drop_keeps_invariant(void** state)
{
	packet_queue queue;
	packet_queue_init(&queue, 2, 100);
	packet_queue_count_drop(&queue);
	expect_stats(&queue, 1, 0, 1, 0, 0, 0);
	TU_OK(packet_queue_enqueue(&queue, make_buffer(10, 1)));
	packet_queue_count_drop(&queue);
	packet_queue_count_drop(&queue);
	expect_stats(&queue, 4, 0, 3, 1, 10, 0);
	/* a counted drop takes no room */
	assert_true(packet_queue_has_room(&queue, 90));
	assert_int_equal(packet_queue_flush(&queue), 1);
	expect_stats(&queue, 4, 0, 4, 0, 0, 0);
	tu_finish();
}

/* a tiny deterministic generator, so failures replay */
static uint32
next_random(uint32* seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void
test_queue_model_check_random_operations(void** state)
{
	enum { MAX_PACKETS = 8, MAX_BYTES = 3000, STEPS = 3000 };
	packet_queue queue;
	packet_queue_init(&queue, MAX_PACKETS, MAX_BYTES);

	/* the model: sequence numbers and sizes in the queue, and the expected counters */
	uint32 fifoSequence[MAX_PACKETS];
	size_t fifoSize[MAX_PACKETS];
	int head = 0, count = 0;
	size_t bytes = 0;
	uint64 enqueued = 0, dequeued = 0, dropped = 0, dequeuedBytes = 0;
	uint32 seed = 20240601, sequence = 0;

	for (int step = 0; step < STEPS; step++) {
		uint32 choice = next_random(&seed) % 100;
		if (choice < 55) {
			size_t size = 1 + next_random(&seed) % 1200;
			bool room = count < MAX_PACKETS && bytes + size <= MAX_BYTES;
			assert_int_equal(packet_queue_has_room(&queue, size), room);
			net_buffer* buffer = make_buffer(size, sequence);
			enqueued++;
			if (room) {
				TU_OK(packet_queue_enqueue(&queue, buffer));
				int slot = (head + count) % MAX_PACKETS;
				fifoSequence[slot] = sequence;
				fifoSize[slot] = size;
				count++;
				bytes += size;
			} else {
				TU_EXPECT(packet_queue_enqueue(&queue, buffer), B_WOULD_BLOCK);
				sBuffers->free(buffer);
				dropped++;
			}
			sequence++;
		} else if (choice < 93) {
			net_buffer* buffer = packet_queue_dequeue(&queue);
			if (count == 0) {
				assert_null(buffer);
			} else {
				check_buffer(buffer, fifoSize[head], fifoSequence[head]);
				sBuffers->free(buffer);
				dequeued++;
				dequeuedBytes += fifoSize[head];
				bytes -= fifoSize[head];
				head = (head + 1) % MAX_PACKETS;
				count--;
			}
		} else if (choice < 96) {
			packet_queue_count_drop(&queue);
			enqueued++;
			dropped++;
		} else {
			assert_int_equal(packet_queue_flush(&queue), count);
			dropped += count;
			count = 0;
			bytes = 0;
		}
		expect_stats(&queue, enqueued, dequeued, dropped, count, bytes, dequeuedBytes);
	}
	assert_true(dropped > 0 && dequeued > 0);
	packet_queue_flush(&queue);
	tu_finish();
}

static void
test_queue_limits_are_per_queue(void** state)
{
	/* two queues with different limits do not share anything (to_app and to_stack) */
	packet_queue small, large;
	packet_queue_init(&small, 1, 100);
	packet_queue_init(&large, 5, 5000);
	TU_OK(packet_queue_enqueue(&small, make_buffer(100, 1)));
	for (int i = 0; i < 5; i++)
		TU_OK(packet_queue_enqueue(&large, make_buffer(100, 10 + i)));
	net_buffer* extra = make_buffer(1, 2);
	TU_EXPECT(packet_queue_enqueue(&small, extra), B_WOULD_BLOCK);
	TU_EXPECT(packet_queue_enqueue(&large, extra), B_WOULD_BLOCK);
	sBuffers->free(extra);
	expect_stats(&small, 2, 0, 1, 1, 100, 0);
	expect_stats(&large, 6, 0, 1, 5, 500, 0);
	check_buffer(packet_queue_head(&small), 100, 1);
	check_buffer(packet_queue_head(&large), 100, 10);
	assert_int_equal(packet_queue_flush(&small), 1);
	assert_int_equal(packet_queue_flush(&large), 5);
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		QUEUE_TEST(test_queue_starts_empty),
		QUEUE_TEST(test_queue_fifo_order_and_boundaries),
		QUEUE_TEST(test_queue_packet_limit_tail_drops),
		QUEUE_TEST(test_queue_byte_limit_tail_drops),
		QUEUE_TEST(test_queue_flush_frees_and_counts),
		QUEUE_TEST(test_queue_count_drop_keeps_invariant),
		QUEUE_TEST(test_queue_model_check_random_operations),
		QUEUE_TEST(test_queue_limits_are_per_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
