/* Shim of Haiku's kernel intrusive list (util/list.h): a circular doubly linked list whose head
 * is a sentinel link; items embed a list_link at list->offset. */
#include "shim_private.h"

#include <util/list.h>

/* Removed links get NULL pointers, so a second removal crashes at once instead of corrupting the
 * list. list_move_to_list() appends to a non-empty target (Haiku expects it to be empty). */

static inline list_link*
link_of(struct list* list, void* item)
{
	return (list_link*)((uint8*)item + list->offset);
}

static inline void*
item_of(struct list* list, list_link* link)
{
	return (uint8*)link - list->offset;
}

static inline void
insert_between(list_link* link, list_link* previous, list_link* next)
{
	link->prev = previous;
	link->next = next;
	previous->next = link;
	next->prev = link;
}

void
list_init(struct list* list)
{
	list_init_etc(list, 0);
}

void
list_init_etc(struct list* list, int32 offset)
{
	list->link.next = list->link.prev = &list->link;
	list->offset = offset;
}

void
list_add_link_to_head(struct list* list, void* link)
{
	insert_between(link, &list->link, list->link.next);
}

void
list_add_link_to_tail(struct list* list, void* link)
{
	insert_between(link, list->link.prev, &list->link);
}

void
list_remove_link(struct list_link* link)
{
	link->next->prev = link->prev;
	link->prev->next = link->next;
	link->next = link->prev = NULL;
}

void*
list_get_next_item(struct list* list, void* item)
{
	list_link* next = item == NULL ? list->link.next : link_of(list, item)->next;
	return next == &list->link ? NULL : item_of(list, next);
}

void*
list_get_prev_item(struct list* list, void* item)
{
	list_link* previous = item == NULL ? list->link.prev : link_of(list, item)->prev;
	return previous == &list->link ? NULL : item_of(list, previous);
}

void*
list_get_last_item(struct list* list)
{
	return list_get_prev_item(list, NULL);
}

void
list_add_item(struct list* list, void* item)
{
	list_add_link_to_tail(list, link_of(list, item));
}

void
list_remove_item(struct list* list, void* item)
{
	list_remove_link(link_of(list, item));
}

/* before == NULL appends */
void
list_insert_item_before(struct list* list, void* before, void* item)
{
	if (before == NULL) {
		list_add_item(list, item);
		return;
	}
	list_link* next = link_of(list, before);
	insert_between(link_of(list, item), next->prev, next);
}

void*
list_remove_head_item(struct list* list)
{
	void* item = list_get_next_item(list, NULL);
	if (item != NULL)
		list_remove_item(list, item);
	return item;
}

void*
list_remove_tail_item(struct list* list)
{
	void* item = list_get_prev_item(list, NULL);
	if (item != NULL)
		list_remove_item(list, item);
	return item;
}

void
list_move_to_list(struct list* source, struct list* target)
{
	if (list_is_empty(source))
		return;
	list_link* first = source->link.next;
	list_link* last = source->link.prev;
	list_link* tail = target->link.prev;
	tail->next = first;
	first->prev = tail;
	last->next = &target->link;
	target->link.prev = last;
	list_init_etc(source, source->offset);
}
