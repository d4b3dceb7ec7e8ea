/* Fake net_device modules for the shim's stack and module tests: "fa/N" (Ethernet) and "fb/N"
 * (tunnel) devices with scripted receive_data, recorded hooks, and a B_KEEP_LOADED module. */
#ifndef SHIM_TESTS_FAKE_NET_DEVICE_H
#define SHIM_TESTS_FAKE_NET_DEVICE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim_private.h"

#include <KernelExport.h>
#include <ethernet.h>
#include <lock.h>
#include <net_buffer.h>
#include <net_datalink.h>
#include <net_device.h>
#include <net_stack.h>
#include <net/if_types.h>
#include <sys/sockio.h>

#define SECOND 1000000
#define MAX_FAKE_DEVICES 8

struct fake_module_state {
	int32 inits, uninits; /* std_ops */
	status_t init_status, uninit_status;
	int32 init_devices, uninit_devices, ups, downs;
	status_t up_status;
	int32 up_flag_at_down; /* IFF_UP was still set when down() ran */
};

struct fake_entry {
	struct fake_entry* next;
	net_buffer* buffer; /* NULL: return `status` instead */
	status_t status;
};

struct fake_device {
	net_device device; /* first: the stack's net_device* */
	struct fake_module_state* state;
	mutex lock;
	sem_id rx; /* one unit per queued entry, one per down */
	struct fake_entry* head;
	struct fake_entry* tail;
	bool down;
	sem_id sent_sem; /* one unit per accepted send_data */
	net_buffer* sent[16];
	int32 sent_count;
	status_t send_status;
};

static struct fake_module_state sA, sB, sKeep;
static struct fake_device* sDevices[MAX_FAKE_DEVICES];
static char sLog[512];
static sem_id sUninitSem = -1; /* released by every uninit_device */

/* the add-on's module_dependencies[]: resolved before any B_MODULE_INIT */
static struct net_buffer_module_info* gBuf;
static struct net_stack_module_info* gStack;
static module_dependency sDependencies[] = {
	{NET_BUFFER_MODULE_NAME, (module_info**)&gBuf},
	{NET_STACK_MODULE_NAME, (module_info**)&gStack},
	{NULL, NULL},
};

static void
fake_log(const char* format, const char* name)
{
	size_t used = strlen(sLog);
	snprintf(sLog + used, sizeof(sLog) - used, format, name);
}

static status_t
fake_init(struct fake_module_state* state, const char* prefix, uint32 type, const char* name,
	net_device** _device)
{
	if (strncmp(name, prefix, strlen(prefix)) != 0)
		return B_BAD_VALUE;
	struct fake_device* fake = calloc(1, sizeof(struct fake_device));
	snprintf(fake->device.name, sizeof(fake->device.name), "%s", name);
	fake->device.type = type;
	fake->device.mtu = 1500;
	static const uint8 mac[6] = {0x02, 0, 0, 0, 0, 0x11};
	memcpy(fake->device.address.data, mac, sizeof(mac));
	fake->device.address.length = 6;
	fake->state = state;
	mutex_init(&fake->lock, "fake net device");
	fake->rx = create_sem(0, "fake rx");
	fake->sent_sem = create_sem(0, "fake sent");
	for (int i = 0; i < MAX_FAKE_DEVICES; i++) {
		if (sDevices[i] == NULL) {
			sDevices[i] = fake;
			break;
		}
	}
	atomic_add(&state->init_devices, 1);
	*_device = &fake->device;
	return B_OK;
}

static status_t
fake_a_init_device(const char* name, net_device** _device)
{
	fake_log("a:%s ", name);
	return fake_init(&sA, "fa/", IFT_ETHER, name, _device);
}

static status_t
fake_b_init_device(const char* name, net_device** _device)
{
	fake_log("b:%s ", name);
	return fake_init(&sB, "fb/", IFT_TUNNEL, name, _device);
}

static status_t
fake_keep_init_device(const char* name, net_device** _device)
{
	fake_log("k:%s ", name);
	return B_BAD_VALUE;
}

static status_t
fake_uninit_device(net_device* device)
{
	struct fake_device* fake = (struct fake_device*)device;
	for (int i = 0; i < MAX_FAKE_DEVICES; i++) {
		if (sDevices[i] == fake)
			sDevices[i] = NULL;
	}
	while (fake->head != NULL) {
		struct fake_entry* entry = fake->head;
		fake->head = entry->next;
		if (entry->buffer != NULL)
			gBuf->free(entry->buffer);
		free(entry);
	}
	for (int i = 0; i < fake->sent_count && i < 16; i++)
		gBuf->free(fake->sent[i]);
	delete_sem(fake->rx);
	delete_sem(fake->sent_sem);
	mutex_destroy(&fake->lock);
	atomic_add(&fake->state->uninit_devices, 1);
	free(fake);
	release_sem(sUninitSem);
	return B_OK;
}

static status_t
fake_up(net_device* device)
{
	struct fake_device* fake = (struct fake_device*)device;
	atomic_add(&fake->state->ups, 1);
	if (fake->state->up_status != B_OK)
		return fake->state->up_status;
	mutex_lock(&fake->lock);
	fake->down = false;
	mutex_unlock(&fake->lock);
	return B_OK;
}

static void
fake_down(net_device* device)
{
	struct fake_device* fake = (struct fake_device*)device;
	atomic_add(&fake->state->downs, 1);
	if ((__atomic_load_n(&device->flags, __ATOMIC_SEQ_CST) & IFF_UP) != 0)
		atomic_add(&fake->state->up_flag_at_down, 1);
	mutex_lock(&fake->lock);
	fake->down = true;
	mutex_unlock(&fake->lock);
	release_sem(fake->rx);
}

static status_t
fake_control(net_device* device, int32 op, void* argument, size_t length)
{
	return B_DEV_INVALID_IOCTL;
}

static status_t
fake_send_data(net_device* device, net_buffer* buffer)
{
	struct fake_device* fake = (struct fake_device*)device;
	mutex_lock(&fake->lock);
	status_t status = fake->send_status;
	if (status == B_OK) {
		if (fake->sent_count < 16)
			fake->sent[fake->sent_count] = buffer;
		else
			gBuf->free(buffer);
		fake->sent_count++;
	}
	mutex_unlock(&fake->lock);
	if (status == B_OK)
		release_sem(fake->sent_sem);
	return status;
}

static status_t
fake_receive_data(net_device* device, net_buffer** _buffer)
{
	struct fake_device* fake = (struct fake_device*)device;
	for (;;) {
		status_t status = acquire_sem_etc(fake->rx, 1, B_CAN_INTERRUPT, 0);
		if (status != B_OK)
			return status;
		mutex_lock(&fake->lock);
		if (fake->down) {
			mutex_unlock(&fake->lock);
			return B_INTERRUPTED;
		}
		struct fake_entry* entry = fake->head;
		if (entry == NULL) {
			mutex_unlock(&fake->lock);
			continue;
		}
		fake->head = entry->next;
		if (fake->head == NULL)
			fake->tail = NULL;
		mutex_unlock(&fake->lock);
		status = entry->status;
		*_buffer = entry->buffer;
		free(entry);
		return status;
	}
}

static status_t
fake_std_ops(struct fake_module_state* state, int32 op)
{
	if (op == B_MODULE_INIT) {
		atomic_add(&state->inits, 1);
		/* module_dependencies[] must be resolved before B_MODULE_INIT */
		if (gBuf == NULL || gStack == NULL)
			return B_ERROR;
		return state->init_status;
	}
	atomic_add(&state->uninits, 1);
	return state->uninit_status;
}

static status_t
fake_a_std_ops(int32 op, ...)
{
	return fake_std_ops(&sA, op);
}

static status_t
fake_b_std_ops(int32 op, ...)
{
	return fake_std_ops(&sB, op);
}

static status_t
fake_keep_std_ops(int32 op, ...)
{
	return fake_std_ops(&sKeep, op);
}

static status_t
fake_other_std_ops(int32 op, ...)
{
	fail_msg("a module outside network/devices/ was loaded");
	return B_ERROR;
}

#define FAKE_DEVICE_HOOKS \
	fake_uninit_device, fake_up, fake_down, fake_control, fake_send_data, fake_receive_data

static struct net_device_module_info sFakeA = {
	{"network/devices/fake_a/v1", 0, fake_a_std_ops}, fake_a_init_device, FAKE_DEVICE_HOOKS};
static struct net_device_module_info sFakeB = {
	{"network/devices/fake_b/v1", 0, fake_b_std_ops}, fake_b_init_device, FAKE_DEVICE_HOOKS};
static struct net_device_module_info sFakeKeep = {
	{"network/devices/keep/v1", B_KEEP_LOADED, fake_keep_std_ops}, fake_keep_init_device,
	FAKE_DEVICE_HOOKS};
static module_info sFakeOther = {"network/other/v1", 0, fake_other_std_ops};
static module_info* sFakeModules[] = {
	&sFakeA.info, &sFakeB.info, &sFakeOther, &sFakeKeep.info, NULL};

static struct shim_objects sBaseline;

static int
fake_net_setup(void** state)
{
	memset(&sA, 0, sizeof(sA));
	memset(&sB, 0, sizeof(sB));
	memset(&sKeep, 0, sizeof(sKeep));
	memset(sDevices, 0, sizeof(sDevices));
	sLog[0] = '\0';
	gBuf = NULL;
	gStack = NULL;
	if (shim_boot_with(sFakeModules, sDependencies) != B_OK)
		return -1;
	/* boot zeroes the accounting: the baseline is what a booted shim holds */
	shim_objects_get(&sBaseline);
	sUninitSem = create_sem(0, "fake uninit");
	return 0;
}

/* Leak check: the interfaces and descriptors a test left are removed (as shutdown would), then
 * every object must be back to the post-boot baseline; shim_shutdown() zeroes the accounting. */
static int
fake_net_teardown(void** state)
{
	shim_fault_clear();
	shim_stack_fini();
	shim_devfs_fini();
	delete_sem(sUninitSem);
	int leaks = shim_leak_check(&sBaseline, "teardown");
	sKeep.uninit_status = B_OK;
	if (shim_shutdown() != B_OK)
		return -1;
	return leaks == 0 ? 0 : -1;
}

__attribute__((unused)) static struct fake_device*
fake_device_named(const char* name)
{
	for (int i = 0; i < MAX_FAKE_DEVICES; i++) {
		if (sDevices[i] != NULL && strcmp(sDevices[i]->device.name, name) == 0)
			return sDevices[i];
	}
	fail_msg("no fake device %s", name);
	return NULL;
}

/* queue what the next receive_data returns: a frame, or (data NULL) the status */
/* free the frames send_data kept: they hold the stack's interface (and so the device) */
__attribute__((unused)) static void
fake_release_sent(struct fake_device* fake)
{
	net_buffer* sent[16];
	mutex_lock(&fake->lock);
	int count = fake->sent_count < 16 ? fake->sent_count : 16;
	memcpy(sent, fake->sent, sizeof(net_buffer*) * count);
	fake->sent_count = 0;
	mutex_unlock(&fake->lock);
	for (int i = 0; i < count; i++)
		gBuf->free(sent[i]);
}

__attribute__((unused)) static void
fake_inject(const char* name, const void* data, size_t length, status_t status)
{
	struct fake_device* fake = fake_device_named(name);
	struct fake_entry* entry = calloc(1, sizeof(struct fake_entry));
	entry->status = status;
	if (data != NULL) {
		entry->buffer = gBuf->create(0);
		assert_int_equal(gBuf->append(entry->buffer, data, length), B_OK);
		/* a tunnel device says what it delivers: the stack takes only IPv4 from one */
		if (fake->device.type == IFT_TUNNEL)
			entry->buffer->type = B_NET_FRAME_TYPE_IPV4;
	}
	mutex_lock(&fake->lock);
	if (fake->tail != NULL)
		fake->tail->next = entry;
	else
		fake->head = entry;
	fake->tail = entry;
	mutex_unlock(&fake->lock);
	release_sem(fake->rx);
}

#endif
