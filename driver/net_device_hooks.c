/* The module the add-on exports (modules[]): std_ops (load, unload) and the net_device hooks the
 * stack calls, init/uninit (unit lifetime), up/down, send_data and receive_data. */

#include "tuntap_private.h"


static status_t
tuntap_init_device(const char* name, net_device** _device)
{
	tuntap_unit* unit;
	status_t status = tuntap_unit_create(name, &unit);
	if (status != B_OK)
		return status;

	*_device = &unit->device;
	return B_OK;
}


static status_t
tuntap_uninit_device(net_device* device)
{
	/* never refused: an open descriptor keeps the revoked unit until it is closed */
	tuntap_unit_revoke((tuntap_unit*)device);
	return B_OK;
}


static status_t
tuntap_up(net_device* device)
{
	tuntap_unit* unit = (tuntap_unit*)device;

	mutex_lock(&unit->lock);
	status_t status = unit->gone ? B_DEVICE_NOT_FOUND : B_OK;
	if (status == B_OK) {
		bool wasWritable = tuntap_writable(unit);
		unit->up = true;
		tuntap_notify_transitions(unit, tuntap_readable(unit), wasWritable);
	}
	mutex_unlock(&unit->lock);
	return status;
}


static void
tuntap_down(net_device* device)
{
	tuntap_unit* unit = (tuntap_unit*)device;
	struct list dropped;
	packet_queue_init_detached(&dropped);

	mutex_lock(&unit->lock);
	bool wasReadable = tuntap_readable(unit);
	bool wasWritable = tuntap_writable(unit);
	unit->up = false;
	/* Nobody will read to_stack now, and it must not surface after the next up. to_app goes
	 * too (BSD's if_down flushes the send queue the same way): its buffers hold the stack's
	 * interface, and a delete (which downs first) must not wait for the application to read. */
	packet_queue_detach(&unit->to_stack, &dropped);
	packet_queue_detach(&unit->to_app, &dropped);
	tuntap_wait_queue_wake(&unit->stack_waiters, true);
	tuntap_wake_writers(unit, true);
	tuntap_notify_transitions(unit, wasReadable, wasWritable);
	mutex_unlock(&unit->lock);
	packet_queue_free_detached(&dropped);
}


static status_t
tuntap_control_device(net_device* device, int32 op, void* argument, size_t length)
{
	/* no interface-level ioctls: the stack's own (SIOCGIFSTATS...) are answered by the stack */
	(void)device, (void)op, (void)argument, (void)length;
	return B_BAD_VALUE;
}


static status_t
tuntap_send_data(net_device* device, net_buffer* buffer)
{
	tuntap_unit* unit = (tuntap_unit*)device;
	tuntap_unit_ref(unit);
	mutex_lock(&unit->lock);

	status_t status;
	int32 type;
	if (unit->gone)
		status = B_DEVICE_NOT_FOUND;
	else if ((status = tuntap_check_send(unit, buffer, &type)) != B_OK || unit->owner == NULL
			 || !unit->up) {
		/* Refused, nobody to read it, or down (OpenBSD's tun_output refuses a down interface
		 * too): the stack frees it, we count it. After a down nothing of the stack's is queued,
		 * so a delete (which downs first) lets the interface go at once. */
		packet_queue_count_drop(&unit->to_app);
		if (status == B_OK)
			status = B_WOULD_BLOCK;
	} else {
		bool wasReadable = tuntap_readable(unit);
		status = packet_queue_enqueue(&unit->to_app, buffer);
		if (status == B_OK) {
			/* ours now (a full queue refused it untouched); readers take the unit lock first */
			if (unit->flavor->carries_ip)
				buffer->type = type;
			tuntap_wake_readers(unit, false);
			tuntap_notify_transitions(unit, wasReadable, tuntap_writable(unit));
		}
	}

	mutex_unlock(&unit->lock);
	tuntap_unit_put(unit);
	return status;
}


static status_t
tuntap_receive_data(net_device* device, net_buffer** _buffer)
{
	tuntap_unit* unit = (tuntap_unit*)device;
	tuntap_unit_ref(unit);
	mutex_lock(&unit->lock);

	status_t status;
	while (true) {
		if (!unit->up || unit->gone) {
			/* down: the stack's reader loop sees IFF_UP cleared and ends */
			status = B_INTERRUPTED;
			break;
		}

		bool wasWritable = tuntap_writable(unit);
		net_buffer* buffer = packet_queue_dequeue(&unit->to_stack);
		if (buffer != NULL) {
			tuntap_wake_writers(unit, true);
			tuntap_notify_transitions(unit, tuntap_readable(unit), wasWritable);
			*_buffer = buffer;
			status = B_OK;
			break;
		}

		/* a kernel thread: not interruptible, woken by data, down or revoke */
		status = tuntap_wait_queue_wait(&unit->stack_waiters, &unit->lock, 0);
		if (status != B_OK)
			break;
	}

	mutex_unlock(&unit->lock);
	tuntap_unit_put(unit);
	return status;
}


static status_t
tuntap_set_mtu_hook(net_device* device, size_t mtu)
{
	return tuntap_set_mtu((tuntap_unit*)device, mtu);
}


static status_t
tuntap_set_promiscuous(net_device* device, bool promiscuous)
{
	/* every frame written is delivered anyway */
	(void)device, (void)promiscuous;
	return B_OK;
}


static status_t
tuntap_set_media(net_device* device, uint32 media)
{
	(void)device, (void)media;
	return B_NOT_SUPPORTED;
}


static status_t
tuntap_multicast(net_device* device, const struct sockaddr* address)
{
	/* no filter: every frame written is delivered */
	(void)device, (void)address;
	return B_OK;
}


/* Hands the unit table the hooks of the nodes it publishes. The clone nodes are not the module's:
 * devfs publishes them when it loads the add-on's devfs driver part (devfs_driver.c). The module
 * is B_KEEP_LOADED: on Haiku its B_MODULE_UNINIT never runs (see there). */
static status_t
tuntap_std_ops(int32 op, ...)
{
	switch (op) {
		case B_MODULE_INIT: {
			status_t status = tuntap_units_init(&gTuntapDeviceHooks);
			if (status != B_OK)
				return status;
			tuntap_mtu_init();
			return B_OK;
		}

		case B_MODULE_UNINIT:
			/* Never called on Haiku: get_module() gives a B_KEEP_LOADED module one more
			 * reference once it is initialized, and only put_module() dropping the count to 0
			 * calls uninit_module() (system/kernel/module.cpp), so the image, and with it the
			 * hooks of every node and cookie (devfs takes no module reference), stays until the
			 * kernel goes down. Only the shim's shutdown gets here; it refuses while a unit or
			 * cookie exists, so the leak check sees what is left. */
			if (tuntap_live_objects() != 0)
				return B_BUSY;
			tuntap_units_uninit();
			return B_OK;
	}
	return B_ERROR;
}


struct tuntap_module_info gTuntapModule = {
	.device =
		{
			.info =
				{
					.name = TUNTAP_MODULE_NAME,
					.flags = B_KEEP_LOADED,
					.std_ops = tuntap_std_ops,
				},
			.init_device = tuntap_init_device,
			.uninit_device = tuntap_uninit_device,
			.up = tuntap_up,
			.down = tuntap_down,
			.control = tuntap_control_device,
			.send_data = tuntap_send_data,
			.receive_data = tuntap_receive_data,
			.set_mtu = tuntap_set_mtu_hook,
			.set_promiscuous = tuntap_set_promiscuous,
			.set_media = tuntap_set_media,
			.add_multicast = tuntap_multicast,
			.remove_multicast = tuntap_multicast,
		},
	.clone_hooks = &gTuntapDeviceHooks,
};

/* what the module loader looks up, with module_dependencies[] (module.c) */
module_info* modules[] = {(module_info*)&gTuntapModule, NULL};
