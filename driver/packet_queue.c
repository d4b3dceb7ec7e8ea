/* A bounded FIFO of net_buffers, limited in packets and bytes, with the counters that keep
 * enqueued == dequeued + dropped + queued true at every moment. Callers hold the unit's lock. */

#include "tuntap_private.h"

#include <stddef.h>


void
packet_queue_init(packet_queue* queue, uint32 maxPackets, size_t maxBytes)
{
	list_init_etc(&queue->packets, offsetof(net_buffer, link));
	queue->max_packets = maxPackets;
	queue->max_bytes = maxBytes;
	queue->count = 0;
	queue->bytes = 0;
	queue->enqueued = 0;
	queue->dequeued = 0;
	queue->dropped = 0;
	queue->dequeued_bytes = 0;
}


bool
packet_queue_has_room(const packet_queue* queue, size_t size)
{
	return queue->count < queue->max_packets && queue->bytes + size <= queue->max_bytes;
}


status_t
packet_queue_enqueue(packet_queue* queue, net_buffer* buffer)
{
	queue->enqueued++;
	if (!packet_queue_has_room(queue, buffer->size)) {
		queue->dropped++;
		return B_WOULD_BLOCK;
	}

	list_add_item(&queue->packets, buffer);
	queue->count++;
	queue->bytes += buffer->size;
	return B_OK;
}


net_buffer*
packet_queue_head(packet_queue* queue)
{
	return (net_buffer*)list_get_first_item(&queue->packets);
}


net_buffer*
packet_queue_dequeue(packet_queue* queue)
{
	net_buffer* buffer = (net_buffer*)list_remove_head_item(&queue->packets);
	if (buffer == NULL)
		return NULL;

	queue->count--;
	queue->bytes -= buffer->size;
	queue->dequeued++;
	queue->dequeued_bytes += buffer->size;
	return buffer;
}


void
packet_queue_count_drop(packet_queue* queue)
{
	queue->enqueued++;
	queue->dropped++;
}


void
packet_queue_init_detached(struct list* dropped)
{
	list_init_etc(dropped, offsetof(net_buffer, link));
}


uint32
packet_queue_detach(packet_queue* queue, struct list* dropped)
{
	/* one by one: Haiku's list_move_to_list() wants an empty target, and `dropped` may not be */
	uint32 detached = 0;
	net_buffer* buffer;
	while ((buffer = (net_buffer*)list_remove_head_item(&queue->packets)) != NULL) {
		list_add_item(dropped, buffer);
		detached++;
	}
	queue->dropped += detached;
	queue->count = 0;
	queue->bytes = 0;
	return detached;
}


void
packet_queue_free_detached(struct list* dropped)
{
	net_buffer* buffer;
	while ((buffer = (net_buffer*)list_remove_head_item(dropped)) != NULL)
		gBufferModule->free(buffer);
}


uint32
packet_queue_flush(packet_queue* queue)
{
	struct list dropped;
	packet_queue_init_detached(&dropped);
	uint32 flushed = packet_queue_detach(queue, &dropped);
	packet_queue_free_detached(&dropped);
	return flushed;
}


void
packet_queue_get_stats(const packet_queue* queue, struct tuntap_queue_stats* stats)
{
	stats->enqueued = queue->enqueued;
	stats->dequeued = queue->dequeued;
	stats->dropped = queue->dropped;
	stats->queued = queue->count;
	stats->queued_bytes = queue->bytes;
	stats->bytes = queue->dequeued_bytes;
}
