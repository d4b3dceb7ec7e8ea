/* Whether the shim is built with ThreadSanitizer (SHIM_TSAN: 0 or 1, clang or gcc) and the mutex
 * annotations kern_lock.c makes with it; without TSan they compile to nothing. */
#ifndef SHIM_TSAN_H
#define SHIM_TSAN_H

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SHIM_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(SHIM_TSAN)
#define SHIM_TSAN 1
#endif
#ifndef SHIM_TSAN
#define SHIM_TSAN 0
#endif

#if SHIM_TSAN
#include <sanitizer/tsan_interface.h>
/* TSan's annotation call, e.g. SHIM_TSAN_MUTEX(pre_lock, lock, 0): __tsan_mutex_pre_lock(lock, 0)
 */
#define SHIM_TSAN_MUTEX(what, ...) __tsan_mutex_##what(__VA_ARGS__)
#define SHIM_TSAN_TRY_LOCK __tsan_mutex_try_lock
#define SHIM_TSAN_TRY_LOCK_FAILED __tsan_mutex_try_lock_failed
#else
#define SHIM_TSAN_MUTEX(what, ...) ((void)0)
#define SHIM_TSAN_TRY_LOCK 0u
#define SHIM_TSAN_TRY_LOCK_FAILED 0u
#endif

#endif
