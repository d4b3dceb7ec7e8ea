/* Shim: Haiku's kernel intrusive doubly linked list (private/kernel/util/list.h), C API.
 * Items embed a list_link at `offset`; the list head is a circular sentinel. */
#ifndef SHIM_UTIL_LIST_H
#define SHIM_UTIL_LIST_H

#include <SupportDefs.h>

typedef struct list_link list_link;
struct list_link {
	list_link* next;
	list_link* prev;
};

struct list {
	list_link link;
	int32 offset;
};

#ifdef __cplusplus
extern "C" {
#endif

void list_init(struct list* list);
void list_init_etc(struct list* list, int32 offset);
void list_add_link_to_head(struct list* list, void* link);
void list_add_link_to_tail(struct list* list, void* link);
void list_remove_link(struct list_link* link);
void* list_get_next_item(struct list* list, void* item);
void* list_get_prev_item(struct list* list, void* item);
void* list_get_last_item(struct list* list);
void list_add_item(struct list* list, void* item);
void list_remove_item(struct list* list, void* item);
void list_insert_item_before(struct list* list, void* before, void* item);
void* list_remove_head_item(struct list* list);
void* list_remove_tail_item(struct list* list);
void list_move_to_list(struct list* source, struct list* target);

static inline bool
list_is_empty(struct list* list)
{
	return list->link.next == (list_link*)list;
}

static inline void*
list_get_first_item(struct list* list)
{
	return list_get_next_item(list, NULL);
}

#ifdef __cplusplus
}
#endif

#endif
