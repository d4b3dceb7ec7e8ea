/* Shim: select sync pools (private/kernel/fs/select_sync_pool.h). No internal locking, as in
 * Haiku: callers serialize all four functions with one lock of their own. */
#ifndef SHIM_FS_SELECT_SYNC_POOL_H
#define SHIM_FS_SELECT_SYNC_POOL_H

#include <SupportDefs.h>

struct selectsync;
typedef struct select_sync_pool select_sync_pool;

#ifdef __cplusplus
extern "C" {
#endif

status_t add_select_sync_pool_entry(select_sync_pool** pool, struct selectsync* sync, uint8 event);
status_t remove_select_sync_pool_entry(
	select_sync_pool** pool, struct selectsync* sync, uint8 event);
void delete_select_sync_pool(select_sync_pool* pool);
void notify_select_event_pool(select_sync_pool* pool, uint8 event);

#ifdef __cplusplus
}
#endif

#endif
