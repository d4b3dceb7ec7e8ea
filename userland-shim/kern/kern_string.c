/* strlcpy/strlcat for hosts whose libc lacks them (glibc < 2.38): Haiku's kernel has both.
 * BSD semantics: always NUL-terminate when size > 0, return the length they tried to create. */

#include <string.h>

#if defined(__GLIBC__) && (__GLIBC__ < 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ < 38))

size_t
strlcpy(char* destination, const char* source, size_t size)
{
	size_t length = strlen(source);
	if (size > 0) {
		size_t copy = length < size - 1 ? length : size - 1;
		memcpy(destination, source, copy);
		destination[copy] = '\0';
	}
	return length;
}


size_t
strlcat(char* destination, const char* source, size_t size)
{
	size_t existing = strnlen(destination, size);
	if (existing == size)
		return size + strlen(source);
	return existing + strlcpy(destination + existing, source, size - existing);
}

#endif
