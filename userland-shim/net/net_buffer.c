/* The net_buffer module (NET_BUFFER_MODULE_NAME): contiguous data with headroom, user-aware copies,
 * fault injection, and a small recycling cache whose idle buffers are ASan-poisoned. */
#include "shim_private.h"

#include <string.h>

#include <KernelExport.h>
#include <net/if_types.h>
#include <sys/socket.h>

#include "host/host.h"
#include "host/host_asan.h"
#include "net/net_private.h"

#define MAGIC_LIVE 0x6e627566u /* "nbuf" */
#define MAGIC_FREE 0x64656164u /* "dead" */
#define DEFAULT_CAPACITY 2048  /* a 1500-byte frame with 256 bytes of headroom fits */
#define MIN_TAILROOM 1536
#define MAX_SIZE (16 * 1024 * 1024)
#define STALE_PROTOCOL 0x5a /* what create_buffer() leaves in protocol: not reset */

struct shim_net_buffer {
	net_buffer public; /* first: the driver's net_buffer* points here */
	uint32 magic;
	uint8* storage;
	size_t capacity;
	size_t head; /* offset of the first data byte in storage */
	/* the driver put bytes in (append, prepend, write): reads into user memory are checked for
	 * an info leak (kern_leak.c); the stack's own frames are not, they may hold any bytes */
	bool driver_data;
	struct sockaddr_storage source;
	struct sockaddr_storage destination;
};

/* Idle buffers are kept whole, with storage of the default capacity, in sBufferCache; idle
 * storage of each class size (DEFAULT_CAPACITY << class bytes: a capacity above it is rounded up
 * to the next class, up to the last) in its class's cache. All of them are poisoned and live on
 * across boots. A buffer that grew goes back with default storage again, so once warm the caches
 * stay full and an input frees as many blocks as it allocates: libFuzzer runs an input again,
 * looking for a leak, when it does not. */
#define STORAGE_CLASSES 6 /* 2 KiB .. 64 KiB */
#define STORAGE_CACHE(sizeClass)                        \
	{                                                   \
		.size = (size_t)DEFAULT_CAPACITY << (sizeClass) \
	}

static SHIM_OBJECT_CACHE(sBufferCache, sizeof(struct shim_net_buffer));
static struct shim_object_cache sStorageCaches[STORAGE_CLASSES] = {STORAGE_CACHE(0),
	STORAGE_CACHE(1), STORAGE_CACHE(2), STORAGE_CACHE(3), STORAGE_CACHE(4), STORAGE_CACHE(5)};

/* the class of exactly `capacity` bytes, -1 if none */
static int
storage_class(size_t capacity)
{
	for (int i = 0; i < STORAGE_CLASSES; i++) {
		if (capacity == (size_t)DEFAULT_CAPACITY << i)
			return i;
	}
	return -1;
}

/* `need` rounded up to a class size, unless it is beyond the last */
static size_t
storage_round(size_t need)
{
	for (int i = 0; i < STORAGE_CLASSES; i++) {
		if (need <= (size_t)DEFAULT_CAPACITY << i)
			return (size_t)DEFAULT_CAPACITY << i;
	}
	return need;
}

/* storage of exactly `capacity` bytes: a cached one if its class has any */
static uint8*
storage_take(size_t capacity)
{
	int sizeClass = storage_class(capacity);
	return sizeClass >= 0 ? shim_cache_alloc(&sStorageCaches[sizeClass])
						  : shim_host_alloc(capacity);
}

static void
storage_release(uint8* storage, size_t capacity)
{
	int sizeClass = storage_class(capacity);
	if (sizeClass >= 0)
		shim_cache_free(&sStorageCaches[sizeClass], storage);
	else
		shim_host_free(storage);
}

static struct shim_net_buffer*
to_private(net_buffer* buffer)
{
	struct shim_net_buffer* private = (struct shim_net_buffer*)buffer;
	if (private->magic != MAGIC_LIVE) {
		panic("net_buffer %p used after free or never created (magic %#x)", (void*)buffer,
			private->magic);
	}
	return private;
}

/* An object cache's lock is no scheduling point. A buffer of the default capacity coming
 * or going was one (the cache of such buffers had a spinlock): it stays, so the interleavings
 * stored in the corpora replay as they were found. */
static void
cache_point(size_t capacity)
{
	if (capacity <= DEFAULT_CAPACITY)
		host_schedule_point(HOST_POINT_SPINLOCK);
}

static void
replace_storage(struct shim_net_buffer* buffer, uint8* storage, size_t capacity)
{
	storage_release(buffer->storage, buffer->capacity);
	buffer->storage = storage;
	buffer->capacity = capacity;
}

/* a buffer not kept in the cache: back to the host heap, its storage to its class cache */
static void
destroy_buffer(struct shim_net_buffer* buffer)
{
	storage_release(buffer->storage, buffer->capacity);
	shim_host_free(buffer);
}

static void
release_buffer(struct shim_net_buffer* buffer)
{
	buffer->magic = MAGIC_FREE;
	cache_point(buffer->capacity);
	if (buffer->capacity != DEFAULT_CAPACITY)
		replace_storage(buffer, storage_take(DEFAULT_CAPACITY), DEFAULT_CAPACITY);
	SHIM_POISON(buffer->storage, DEFAULT_CAPACITY);
	if (shim_cache_put(&sBufferCache, buffer))
		return;
	SHIM_UNPOISON(buffer->storage, DEFAULT_CAPACITY);
	destroy_buffer(buffer);
}

/* At shutdown the idle buffers go and their storage joins its class cache, whose static array
 * keeps it reachable for LSan (which does not look inside the poisoned buffers). */
void
shim_net_buffer_flush_cache(void)
{
	struct shim_net_buffer* buffer;
	while ((buffer = shim_cache_take(&sBufferCache)) != NULL)
		destroy_buffer(buffer);
}

/* what an Ethernet receive leaves in an address: a sockaddr_dl of an IPv4 frame from 02:5a:..
 * (Haiku's layout: len, family, e_type, index, type, nlen, alen, slen, data), its length reset */
static void
stale_link_address(struct sockaddr_storage* address)
{
	uint8* bytes = (uint8*)address;
	static const uint8 kLink[] = {
		0, AF_LINK, 0x08, 0x00, 1, 0, 0, 0, IFT_ETHER, 0, 6, 0, 0x02, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
	memset(bytes, 0x5a, sizeof(*address));
	memcpy(bytes, kLink, sizeof(kLink));
}

/* a fresh buffer with `headerSpace` bytes of headroom and room for at least `size` more */
static struct shim_net_buffer*
new_buffer(size_t headerSpace, size_t size)
{
	size_t capacity = storage_round(headerSpace + size);
	cache_point(capacity);
	struct shim_net_buffer* buffer = shim_cache_take(&sBufferCache);
	if (buffer == NULL) {
		buffer = shim_host_alloc(sizeof(struct shim_net_buffer));
		buffer->storage = storage_take(capacity);
		buffer->capacity = capacity;
	} else if (capacity != DEFAULT_CAPACITY)
		replace_storage(buffer, storage_take(capacity), capacity);
	else
		SHIM_UNPOISON(buffer->storage, DEFAULT_CAPACITY);
	/* Haiku's create_buffer() (stack/net_buffer.cpp) resets these fields only; protocol and
	 * the address storage keep what the buffer's last user left (the object cache recycles),
	 * so a driver must set what it relies on. The model leaves the most telling leftover: an
	 * Ethernet receive's link addresses (ethernet_frame's deframe: AF_LINK, IFT_ETHER, IPv4),
	 * which device_consumer_thread() reads as the frame's specific type. */
	buffer->public.source = (struct sockaddr*)&buffer->source;
	buffer->public.destination = (struct sockaddr*)&buffer->destination;
	stale_link_address(&buffer->source);
	stale_link_address(&buffer->destination);
	buffer->public.interface_address = NULL;
	buffer->public.offset = 0;
	buffer->public.msg_flags = 0;
	buffer->public.buffer_flags = 0;
	buffer->public.size = 0;
	buffer->public.protocol = STALE_PROTOCOL;
	buffer->magic = MAGIC_LIVE;
	buffer->head = headerSpace;
	buffer->driver_data = false;
	shim_account(SHIM_OBJ_NET_BUFFER, 1);
	return buffer;
}

static net_buffer*
nb_create(size_t headerSpace)
{
	if (headerSpace > MAX_SIZE || shim_fault_check(SHIM_FAULT_NET_BUFFER))
		return NULL;
	size_t tailroom = headerSpace + MIN_TAILROOM <= DEFAULT_CAPACITY
						  ? DEFAULT_CAPACITY - headerSpace
						  : MIN_TAILROOM;
	return &new_buffer(headerSpace, tailroom)->public;
}

static void
nb_free(net_buffer* _buffer)
{
	if (_buffer == NULL)
		return;
	struct shim_net_buffer* buffer = to_private(_buffer);
	struct net_interface_address* address = buffer->public.interface_address;
	shim_account(SHIM_OBJ_NET_BUFFER, -1);
	release_buffer(buffer);
	/* free_buffer(): the address reference may be the interface's and its device's last, whose
	 * uninit_device then runs here, in the freeing thread (stack/net_buffer.cpp) */
	shim_stack_put_address(address);
}

static net_buffer*
nb_duplicate(net_buffer* _from)
{
	struct shim_net_buffer* from = to_private(_from);
	if (shim_fault_check(SHIM_FAULT_NET_BUFFER))
		return NULL;
	struct shim_net_buffer* buffer = new_buffer(from->head, from->public.size);
	memcpy(buffer->storage + buffer->head, from->storage + from->head, from->public.size);
	/* metadata: everything but the list link and the address pointers */
	net_buffer* to = &buffer->public;
	to->interface_address = from->public.interface_address; /* copy_metadata(): referenced */
	if (to->interface_address != NULL)
		shim_stack_acquire_address(to->interface_address);
	to->sequence = from->public.sequence; /* the whole 4-byte union */
	to->msg_flags = from->public.msg_flags;
	to->size = from->public.size;
	to->protocol = from->public.protocol;
	to->buffer_flags = from->public.buffer_flags;
	buffer->source = from->source;
	buffer->destination = from->destination;
	buffer->driver_data = from->driver_data;
	return to;
}

/* move the data into new storage with `headroom` bytes before it and `tailroom` after it */
static uint8*
grow(struct shim_net_buffer* buffer, size_t headroom, size_t tailroom, size_t* _capacity)
{
	size_t capacity = headroom + buffer->public.size + tailroom;
	if (capacity < buffer->capacity * 2)
		capacity = buffer->capacity * 2;
	capacity = storage_round(capacity);
	uint8* storage = storage_take(capacity);
	memcpy(storage + headroom, buffer->storage + buffer->head, buffer->public.size);
	*_capacity = capacity;
	return storage;
}

/* Copies into storage are user_memcpy's (a source in user memory is fine) at the caller's site,
 * not noted for the info-leak check: packet bytes never come back out of a driver's copy */
static status_t
append(struct shim_net_buffer* buffer, const void* data, size_t bytes, void* site)
{
	if (bytes == 0)
		return B_OK;
	if (bytes > MAX_SIZE || buffer->public.size + bytes > MAX_SIZE
		|| shim_fault_check(SHIM_FAULT_NET_BUFFER))
		return B_NO_MEMORY;

	size_t tail = buffer->head + buffer->public.size;
	if (tail + bytes <= buffer->capacity) {
		if (shim_user_copy(buffer->storage + tail, data, bytes, 0, site) != B_OK)
			return B_BAD_ADDRESS;
	} else {
		size_t capacity;
		uint8* storage = grow(buffer, buffer->head, bytes, &capacity);
		if (shim_user_copy(storage + buffer->head + buffer->public.size, data, bytes, 0, site)
			!= B_OK) {
			storage_release(storage, capacity);
			return B_BAD_ADDRESS;
		}
		replace_storage(buffer, storage, capacity);
	}
	buffer->public.size += (uint32)bytes;
	return B_OK;
}

static status_t
nb_append(net_buffer* _buffer, const void* data, size_t bytes)
{
	struct shim_net_buffer* buffer = to_private(_buffer);
	buffer->driver_data = true;
	return append(buffer, data, bytes, __builtin_return_address(0));
}

status_t
shim_net_buffer_append_frame(net_buffer* buffer, const void* frame, size_t bytes)
{
	return append(to_private(buffer), frame, bytes, __builtin_return_address(0));
}

static status_t
nb_prepend(net_buffer* _buffer, const void* data, size_t bytes)
{
	struct shim_net_buffer* buffer = to_private(_buffer);
	void* site = __builtin_return_address(0);
	buffer->driver_data = true;
	if (bytes == 0)
		return B_OK;
	if (bytes > MAX_SIZE || buffer->public.size + bytes > MAX_SIZE
		|| shim_fault_check(SHIM_FAULT_NET_BUFFER))
		return B_NO_MEMORY;

	if (bytes <= buffer->head) {
		if (shim_user_copy(buffer->storage + buffer->head - bytes, data, bytes, 0, site) != B_OK)
			return B_BAD_ADDRESS;
		buffer->head -= bytes;
	} else {
		size_t capacity;
		size_t headroom = bytes + 64;
		size_t tailroom = buffer->capacity - buffer->head - buffer->public.size;
		uint8* storage = grow(buffer, headroom, tailroom, &capacity);
		if (shim_user_copy(storage + headroom - bytes, data, bytes, 0, site) != B_OK) {
			storage_release(storage, capacity);
			return B_BAD_ADDRESS;
		}
		replace_storage(buffer, storage, capacity);
		buffer->head = headroom - bytes;
	}
	buffer->public.size += (uint32)bytes;
	return B_OK;
}

static status_t
nb_remove_header(net_buffer* _buffer, size_t bytes)
{
	struct shim_net_buffer* buffer = to_private(_buffer);
	if (bytes > buffer->public.size)
		return B_BAD_VALUE;
	buffer->head += bytes;
	buffer->public.size -= (uint32)bytes;
	return B_OK;
}

static status_t
nb_trim(net_buffer* _buffer, size_t newSize)
{
	struct shim_net_buffer* buffer = to_private(_buffer);
	if (newSize > buffer->public.size)
		return B_BAD_VALUE;
	buffer->public.size = (uint32)newSize;
	return B_OK;
}

static status_t
nb_read(net_buffer* _buffer, size_t offset, void* data, size_t bytes)
{
	struct shim_net_buffer* buffer = to_private(_buffer);
	if (offset > buffer->public.size || bytes > buffer->public.size - offset)
		return B_BAD_VALUE;
	if (bytes == 0)
		return B_OK;
	if (shim_user_copy(data, buffer->storage + buffer->head + offset, bytes,
			buffer->driver_data ? SHIM_COPY_CHECK_OUT : 0, __builtin_return_address(0))
		!= B_OK)
		return B_BAD_ADDRESS;
	return B_OK;
}

static status_t
nb_write(net_buffer* _buffer, size_t offset, const void* data, size_t bytes)
{
	struct shim_net_buffer* buffer = to_private(_buffer);
	if (offset > buffer->public.size || bytes > buffer->public.size - offset)
		return B_BAD_VALUE;
	if (bytes == 0)
		return B_OK;
	buffer->driver_data = true;
	if (shim_user_copy(
			buffer->storage + buffer->head + offset, data, bytes, 0, __builtin_return_address(0))
		!= B_OK)
		return B_BAD_ADDRESS;
	return B_OK;
}

static status_t
nb_std_ops(int32 op, ...)
{
	return op == B_MODULE_INIT || op == B_MODULE_UNINIT ? B_OK : B_ERROR;
}

struct net_buffer_module_info gShimNetBufferModule = {
	.info = {NET_BUFFER_MODULE_NAME, 0, nb_std_ops},
	.create = nb_create,
	.free = nb_free,
	.duplicate = nb_duplicate,
	.prepend = nb_prepend,
	.append = nb_append,
	.remove_header = nb_remove_header,
	.trim = nb_trim,
	.read = nb_read,
	.write = nb_write,
};
