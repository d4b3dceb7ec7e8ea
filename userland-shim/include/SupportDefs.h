/* Shim: Haiku's basic integer types, status_t and the atomic helpers, on a Linux host.
 * Only what the driver uses; names and widths follow Haiku so driver code builds unchanged. */
#ifndef SHIM_SUPPORT_DEFS_H
#define SHIM_SUPPORT_DEFS_H

/* first: in kernel mode it renames malloc/free, which must also rename the struct members
 * called free (device_hooks, net_buffer_module_info) consistently */
#include <stdlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef int8_t int8;
typedef uint8_t uint8;
typedef int16_t int16;
typedef uint16_t uint16;
typedef int32_t int32;
typedef uint32_t uint32;
typedef int64_t int64;
typedef uint64_t uint64;
typedef unsigned long ulong;
typedef uintptr_t addr_t;
typedef int32 status_t;
typedef int64 bigtime_t;
typedef uint32 type_code;

#include <Errors.h>

#define B_NO_ERROR B_OK

/* printf formats, as Haiku names them */
#define B_PRId32 "d"
#define B_PRIu32 "u"
#define B_PRIx32 "x"
#define B_PRId64 "ld"
#define B_PRIu64 "lu"
#define B_PRIuSIZE "lu"

#define B_COUNT_OF(a) (sizeof(a) / sizeof(a[0]))

#ifndef min_c
#define min_c(a, b) ((a) > (b) ? (b) : (a))
#define max_c(a, b) ((a) > (b) ? (a) : (b))
#endif

/* Haiku's atomics return the previous value (atomic_get excepted); sequentially consistent. */
static inline int32
atomic_add(int32* v, int32 d)
{
	return __atomic_fetch_add(v, d, __ATOMIC_SEQ_CST);
}
static inline int32
atomic_or(int32* v, int32 m)
{
	return __atomic_fetch_or(v, m, __ATOMIC_SEQ_CST);
}
static inline int32
atomic_and(int32* v, int32 m)
{
	return __atomic_fetch_and(v, m, __ATOMIC_SEQ_CST);
}
static inline int32
atomic_get(int32* v)
{
	return __atomic_load_n(v, __ATOMIC_SEQ_CST);
}
static inline void
atomic_set(int32* v, int32 n)
{
	__atomic_store_n(v, n, __ATOMIC_SEQ_CST);
}
static inline int32
atomic_get_and_set(int32* v, int32 n)
{
	return __atomic_exchange_n(v, n, __ATOMIC_SEQ_CST);
}
static inline int32
atomic_test_and_set(int32* v, int32 n, int32 expected)
{
	__atomic_compare_exchange_n(v, &expected, n, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return expected;
}
static inline int64
atomic_add64(int64* v, int64 d)
{
	return __atomic_fetch_add(v, d, __ATOMIC_SEQ_CST);
}
static inline int64
atomic_get64(int64* v)
{
	return __atomic_load_n(v, __ATOMIC_SEQ_CST);
}
static inline void
atomic_set64(int64* v, int64 n)
{
	__atomic_store_n(v, n, __ATOMIC_SEQ_CST);
}

#endif
