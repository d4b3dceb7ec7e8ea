/* Shim: the host stdio.h without its dprintf(int, ...), which would clash with the kernel's
 * dprintf(const char*, ...) that KernelExport.h declares. */
#ifndef SHIM_STDIO_H
#define SHIM_STDIO_H

#define dprintf shim_host_dprintf_unused
#include_next <stdio.h>
#undef dprintf

#endif
