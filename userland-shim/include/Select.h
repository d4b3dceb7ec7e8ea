/* Shim: Haiku's select events and notify_select_event() (Select.h).
 * A selectsync is the shim's per-select-call object; see userland-shim/dev/select.c. */
#ifndef SHIM_SELECT_H
#define SHIM_SELECT_H

#include <SupportDefs.h>

struct selectsync;
typedef struct selectsync selectsync;

enum {
	B_SELECT_READ = 1,
	B_SELECT_WRITE,
	B_SELECT_ERROR,
	B_SELECT_PRI_READ,
	B_SELECT_PRI_WRITE,
	B_SELECT_HIGH_PRI_READ,
	B_SELECT_HIGH_PRI_WRITE,
	B_SELECT_DISCONNECTED
};

#define SELECT_FLAG(type) (1 << ((type)-1))

#ifdef __cplusplus
extern "C" {
#endif

status_t notify_select_event(selectsync* sync, uint8 event);

#ifdef __cplusplus
}
#endif

#endif
