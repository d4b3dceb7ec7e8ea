/* Shim: Haiku's module API (module.h). The shim's module table (userland-shim/kern/module.c)
 * resolves module_dependencies[] and runs std_ops like Haiku's module loader. */
#ifndef SHIM_MODULE_H
#define SHIM_MODULE_H

#include <OS.h>

typedef struct module_info {
	const char* name;
	uint32 flags;
	status_t (*std_ops)(int32, ...);
} module_info;

#define B_MODULE_INIT 1
#define B_MODULE_UNINIT 2
#define B_KEEP_LOADED 0x00000001

typedef struct module_dependency {
	const char* name;
	module_info** info;
} module_dependency;

#ifdef __cplusplus
extern "C" {
#endif

status_t get_module(const char* path, module_info** _info);
status_t put_module(const char* path);
void* open_module_list(const char* prefix);
status_t close_module_list(void* cookie);
status_t read_next_module_name(void* cookie, char* buffer, size_t* _bufferSize);

#ifdef __cplusplus
}
#endif

#endif
