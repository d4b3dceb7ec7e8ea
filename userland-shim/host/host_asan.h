/* Whether the shim is built with AddressSanitizer (SHIM_ASAN: 0 or 1, clang or gcc) and the
 * poisoning macros its caches and the user arena use; without ASan they do nothing. */
#ifndef SHIM_ASAN_H
#define SHIM_ASAN_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(SHIM_ASAN)
#define SHIM_ASAN 1
#endif
#ifndef SHIM_ASAN
#define SHIM_ASAN 0
#endif

#if SHIM_ASAN
#include <sanitizer/asan_interface.h>
#define SHIM_POISON(address, size) ASAN_POISON_MEMORY_REGION(address, size)
#define SHIM_UNPOISON(address, size) ASAN_UNPOISON_MEMORY_REGION(address, size)
#define SHIM_NO_ASAN __attribute__((no_sanitize("address")))
#else
#define SHIM_POISON(address, size) ((void)(address), (void)(size))
#define SHIM_UNPOISON(address, size) ((void)(address), (void)(size))
#define SHIM_NO_ASAN
#endif

#endif
