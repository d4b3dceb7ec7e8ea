/* Shim: the host stdlib.h; in kernel code (_KERNEL_MODE, as Haiku compiles drivers) the malloc
 * family is renamed to the shim's accounted, fault-injectable kernel heap. */
#ifndef SHIM_STDLIB_H
#define SHIM_STDLIB_H

#include_next <stdlib.h>

#ifdef _KERNEL_MODE
void* shim_kmalloc(size_t size);
void* shim_kcalloc(size_t count, size_t size);
void* shim_krealloc(void* block, size_t size);
void shim_kfree(void* block);
/* object-like on purpose: a struct member named free (net_buffer_module_info) is renamed the
 * same way in every kernel-mode translation unit, so `module->free(b)` keeps working */
#define malloc shim_kmalloc
#define calloc shim_kcalloc
#define realloc shim_krealloc
#define free shim_kfree
#endif

#endif
