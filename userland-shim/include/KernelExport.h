/* Shim: the part of Haiku's KernelExport.h the driver uses: spinlocks, user memory, debug output.
 * panic() aborts the process so fuzzers and stress runs record it as a crash. */
#ifndef SHIM_KERNEL_EXPORT_H
#define SHIM_KERNEL_EXPORT_H

#include <OS.h>

typedef ulong cpu_status;

typedef struct {
	int32 lock;
} spinlock;

#define B_SPINLOCK_INITIALIZER \
	{                          \
		0                      \
	}
#define B_INITIALIZE_SPINLOCK(sl) \
	do {                          \
		(sl)->lock = 0;           \
	} while (0)
#define B_SPINLOCK_IS_LOCKED(sl) (atomic_get(&(sl)->lock) > 0)

#ifdef __cplusplus
extern "C" {
#endif

cpu_status disable_interrupts(void);
void restore_interrupts(cpu_status status);
void acquire_spinlock(spinlock* lock);
void release_spinlock(spinlock* lock);

status_t user_memcpy(void* to, const void* from, size_t size);
ssize_t user_strlcpy(char* to, const char* from, size_t size);
status_t user_memset(void* start, char c, size_t count);

void dprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
void panic(const char* format, ...) __attribute__((format(printf, 1, 2), noreturn));

#ifdef __cplusplus
}
#endif

#endif
