/* Shim: the net_buffer module interface (private/net/net_buffer.h), the members the driver and
 * stack model use. append/read/write accept user pointers and copy them with user_memcpy. */
#ifndef SHIM_NET_BUFFER_H
#define SHIM_NET_BUFFER_H

#include <stdlib.h> /* first: kernel-mode renaming of free must reach the member below */
#include <module.h>
#include <sys/socket.h>
#include <util/list.h>

#define NET_BUFFER_MODULE_NAME "network/stack/buffer/v1"

struct net_interface_address;

typedef struct net_buffer {
	struct list_link link;
	struct sockaddr* source;
	struct sockaddr* destination;
	struct net_interface_address* interface_address;
	union {
		struct {
			uint16 start;
			uint16 end;
		} fragment;
		uint32 sequence;
		uint32 offset;
		uint32 index;
		int32 type;
	};
	uint32 msg_flags;
	uint32 size;
	uint8 protocol;
	uint16 buffer_flags;
} net_buffer;

struct net_buffer_module_info {
	module_info info;

	net_buffer* (*create)(size_t headerSpace);
	void (*free)(net_buffer* buffer);
	net_buffer* (*duplicate)(net_buffer* from);
	status_t (*prepend)(net_buffer* buffer, const void* data, size_t bytes);
	status_t (*append)(net_buffer* buffer, const void* data, size_t bytes);
	status_t (*remove_header)(net_buffer* buffer, size_t bytes);
	status_t (*trim)(net_buffer* buffer, size_t newSize);
	status_t (*read)(net_buffer* buffer, size_t offset, void* data, size_t bytes);
	status_t (*write)(net_buffer* buffer, size_t offset, const void* data, size_t bytes);
};

#endif
