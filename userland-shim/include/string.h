/* Shim: the host string.h plus strlcpy/strlcat, which Haiku's kernel has and glibc before 2.38
 * lacks (implemented in userland-shim/kern/kern_string.c). */
#ifndef SHIM_STRING_H
#define SHIM_STRING_H

#include_next <string.h>

#if defined(__GLIBC__) && (__GLIBC__ < 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ < 38))
size_t strlcpy(char* destination, const char* source, size_t size);
size_t strlcat(char* destination, const char* source, size_t size);
#endif

#endif
