/* Shim: Haiku's error codes (same numeric values as Haiku's Errors.h) under their B_ names.
 * POSIX errno names are deliberately absent: the driver uses B_ codes only, so no libc clash. */
#ifndef SHIM_ERRORS_H
#define SHIM_ERRORS_H

#include <limits.h>

#define B_OK 0
#define B_ERROR (-1)

#define B_GENERAL_ERROR_BASE INT_MIN
#define B_OS_ERROR_BASE (B_GENERAL_ERROR_BASE + 0x1000)
#define B_STORAGE_ERROR_BASE (B_GENERAL_ERROR_BASE + 0x6000)
#define B_POSIX_ERROR_BASE (B_GENERAL_ERROR_BASE + 0x7000)
#define B_DEVICE_ERROR_BASE (B_GENERAL_ERROR_BASE + 0xa000)

#define B_NO_MEMORY (B_GENERAL_ERROR_BASE + 0)
#define B_IO_ERROR (B_GENERAL_ERROR_BASE + 1)
#define B_PERMISSION_DENIED (B_GENERAL_ERROR_BASE + 2)
#define B_BAD_INDEX (B_GENERAL_ERROR_BASE + 3)
#define B_BAD_TYPE (B_GENERAL_ERROR_BASE + 4)
#define B_BAD_VALUE (B_GENERAL_ERROR_BASE + 5)
#define B_MISMATCHED_VALUES (B_GENERAL_ERROR_BASE + 6)
#define B_NAME_NOT_FOUND (B_GENERAL_ERROR_BASE + 7)
#define B_NAME_IN_USE (B_GENERAL_ERROR_BASE + 8)
#define B_TIMED_OUT (B_GENERAL_ERROR_BASE + 9)
#define B_INTERRUPTED (B_GENERAL_ERROR_BASE + 10)
#define B_WOULD_BLOCK (B_GENERAL_ERROR_BASE + 11)
#define B_CANCELED (B_GENERAL_ERROR_BASE + 12)
#define B_NO_INIT (B_GENERAL_ERROR_BASE + 13)
#define B_BUSY (B_GENERAL_ERROR_BASE + 14)
#define B_NOT_ALLOWED (B_GENERAL_ERROR_BASE + 15)
#define B_BAD_DATA (B_GENERAL_ERROR_BASE + 16)
#define B_DONT_DO_THAT (B_GENERAL_ERROR_BASE + 17)

#define B_BAD_SEM_ID (B_OS_ERROR_BASE + 0)
#define B_NO_MORE_SEMS (B_OS_ERROR_BASE + 1)
#define B_BAD_THREAD_ID (B_OS_ERROR_BASE + 0x100)
#define B_NO_MORE_THREADS (B_OS_ERROR_BASE + 0x101)
#define B_BAD_ADDRESS (B_OS_ERROR_BASE + 0x301)

#define B_FILE_ERROR (B_STORAGE_ERROR_BASE + 0)
#define B_FILE_EXISTS (B_STORAGE_ERROR_BASE + 2)
#define B_ENTRY_NOT_FOUND (B_STORAGE_ERROR_BASE + 3)
#define B_NAME_TOO_LONG (B_STORAGE_ERROR_BASE + 4)
#define B_BUFFER_OVERFLOW (B_POSIX_ERROR_BASE + 41)
#define B_NOT_SUPPORTED (B_POSIX_ERROR_BASE + 43)

#define B_DEV_INVALID_IOCTL (B_DEVICE_ERROR_BASE + 0)
#define B_DEVICE_NOT_FOUND (B_POSIX_ERROR_BASE + 7)
#define B_DEVICE_FULL (B_STORAGE_ERROR_BASE + 7)

/* The POSIX names of Haiku's codes, for code written against Haiku's Errors.h that uses them
 * (the upstream tunnel driver: its build defines SHIM_POSIX_ERRNO_NAMES). Kernel values, as in
 * Haiku's Errors.h (B_TO_POSIX_ERROR is the identity there); never mixed with the host's errno. */
#ifdef SHIM_POSIX_ERRNO_NAMES
#define ENODEV (B_POSIX_ERROR_BASE + 7)
#define ENOBUFS (B_POSIX_ERROR_BASE + 35)
#define EOPNOTSUPP (B_POSIX_ERROR_BASE + 43)
#define EBUSY B_BUSY
#define EEXIST B_FILE_EXISTS
#define ENAMETOOLONG B_NAME_TOO_LONG
#define ENOSPC B_DEVICE_FULL
#endif

#endif
