/* Shim: the part of Haiku's OS.h the driver uses: semaphores, threads, time.
 * Semantics follow Haiku's kernel (sem.cpp, thread.cpp); implemented in userland-shim/kern/. */
#ifndef SHIM_OS_H
#define SHIM_OS_H

#include <SupportDefs.h>

typedef int32 sem_id;
typedef int32 thread_id;
typedef int32 area_id;
typedef int32 team_id;

#define B_OS_NAME_LENGTH 32
#define B_INFINITE_TIMEOUT (9223372036854775807LL)

/* acquire_sem_etc() / release_sem_etc() flags (values as in Haiku) */
enum {
	B_CAN_INTERRUPT = 0x01,
	B_CHECK_PERMISSION = 0x04,
	B_KILL_CAN_INTERRUPT = 0x20,
	B_DO_NOT_RESCHEDULE = 0x02,
	B_RELEASE_ALL = 0x08,
	B_RELEASE_IF_WAITING_ONLY = 0x10,
};
#define B_TIMEOUT 0x08
#define B_RELATIVE_TIMEOUT 0x08
#define B_ABSOLUTE_TIMEOUT 0x10

/* thread priorities */
#define B_LOW_PRIORITY 5
#define B_NORMAL_PRIORITY 10
#define B_DISPLAY_PRIORITY 15
#define B_URGENT_DISPLAY_PRIORITY 20
#define B_REAL_TIME_DISPLAY_PRIORITY 100
#define B_URGENT_PRIORITY 110
#define B_REAL_TIME_PRIORITY 120

typedef status_t (*thread_func)(void*);

#ifdef __cplusplus
extern "C" {
#endif

sem_id create_sem(int32 count, const char* name);
status_t delete_sem(sem_id id);
status_t acquire_sem(sem_id id);
status_t acquire_sem_etc(sem_id id, int32 count, uint32 flags, bigtime_t timeout);
status_t release_sem(sem_id id);
status_t release_sem_etc(sem_id id, int32 count, uint32 flags);
status_t get_sem_count(sem_id id, int32* threadCount);

thread_id spawn_kernel_thread(thread_func func, const char* name, int32 priority, void* data);
status_t resume_thread(thread_id thread);
status_t wait_for_thread(thread_id thread, status_t* returnValue);
thread_id find_thread(const char* name); /* NULL: the calling thread */

bigtime_t system_time(void);
status_t snooze(bigtime_t amount);
status_t snooze_until(bigtime_t time, int timeBase);
status_t snooze_etc(bigtime_t amount, int timeBase, uint32 flags);

#define B_SYSTEM_TIMEBASE 0

#ifdef __cplusplus
}
#endif

#endif
