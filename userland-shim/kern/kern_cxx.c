/* The kernel's C++ runtime for C++ drivers (the upstream tunnel driver): operator new/delete and
 * std::nothrow, on the shim's accounted, fault-injectable kernel heap (kern_mem.c). */
#include "shim_private.h"

#include "kern/kern_private.h"

/*
 * Haiku's kernel defines these itself (src/system/kernel/util/kernel_cpp.cpp: operator new and
 * new(std::nothrow) are malloc, delete is free; no exceptions). Here they must not replace the
 * host's global operators, which libFuzzer and the sanitizers use: a C++ driver's object is
 * linked with its references renamed to these C symbols (objcopy --redefine-sym, see
 * upstream/upstream.mk), so only the driver's own new and delete reach the kernel heap.
 */

/* std::nothrow: only its address is passed, to pick the non-throwing operator new */
const char shim_cxx_nothrow = 0;

/* new and new[], throwing or not: with exceptions off all four are malloc (objcopy needs one
 * target symbol per renamed name) */
void*
shim_cxx_new(size_t size)
{
	/* C++ requires a distinct pointer for new of size 0; Haiku's malloc(0) gives one too */
	return shim_kmalloc(size == 0 ? 1 : size);
}

void*
shim_cxx_new_nothrow(size_t size, const void* nothrow)
{
	(void)nothrow;
	return shim_cxx_new(size);
}

void*
shim_cxx_new_array(size_t size)
{
	return shim_cxx_new(size);
}

void*
shim_cxx_new_array_nothrow(size_t size, const void* nothrow)
{
	(void)nothrow;
	return shim_cxx_new(size);
}

/* delete and delete[], sized or not: free */
void
shim_cxx_delete(void* block)
{
	if (block != NULL)
		shim_kfree(block);
}

void
shim_cxx_delete_array(void* block)
{
	shim_cxx_delete(block);
}

void
shim_cxx_delete_sized(void* block, size_t size)
{
	(void)size;
	shim_cxx_delete(block);
}

void
shim_cxx_delete_array_sized(void* block, size_t size)
{
	(void)size;
	shim_cxx_delete(block);
}
