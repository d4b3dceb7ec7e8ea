/* Shim: Haiku's private/kernel/interrupts.h as util/AutoLock.h needs it. disable_interrupts and
 * restore_interrupts come from KernelExport.h; the lock kinds AutoLock.h's other lockers name
 * (recursive and read-write locks, read-write spinlocks, seqlocks) are declared so that Haiku's
 * header compiles unmodified. The shim implements none of them: a driver that locks one fails to
 * link, it never runs against a stand-in. */
#ifndef SHIM_INTERRUPTS_H
#define SHIM_INTERRUPTS_H

#include <KernelExport.h>
#include <lock.h>

typedef struct recursive_lock recursive_lock;
typedef struct rw_lock rw_lock;
typedef struct rw_spinlock rw_spinlock;
typedef struct seqlock seqlock;

#ifdef __cplusplus
extern "C" {
#endif

status_t recursive_lock_lock(recursive_lock* lock);
void recursive_lock_unlock(recursive_lock* lock);
status_t rw_lock_read_lock(rw_lock* lock);
void rw_lock_read_unlock(rw_lock* lock);
status_t rw_lock_write_lock(rw_lock* lock);
void rw_lock_write_unlock(rw_lock* lock);
void acquire_read_spinlock(rw_spinlock* lock);
void release_read_spinlock(rw_spinlock* lock);
void acquire_write_spinlock(rw_spinlock* lock);
void release_write_spinlock(rw_spinlock* lock);
void acquire_write_seqlock(seqlock* lock);
void release_write_seqlock(seqlock* lock);

#ifdef __cplusplus
}
#endif

#endif
