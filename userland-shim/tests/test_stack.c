/* Tests of the shim's network stack model: interface creation through the datalink, up/down and
 * the reader thread, delete, the send path, the capture, and the ARP peer. */
#include "fake_net_device.h"

static void
test_create_offers_name_in_order(void** state)
{
	assert_int_equal(shim_if_create("fb/0"), B_OK);
	/* fake_a was asked first and refused; fake_b accepted; the keep module was not asked */
	assert_string_equal(sLog, "a:fb/0 b:fb/0 ");
	assert_int_equal(sA.inits, sA.uninits);
	assert_int_equal(sB.inits, sB.uninits + 1);
	struct fake_device* fake = fake_device_named("fb/0");
	assert_ptr_equal(fake->device.module, &sFakeB);
	assert_int_equal(fake->device.index, 1);
	assert_true(shim_if_exists("fb/0"));
	assert_int_equal(shim_if_count(), 1);
}

static void
test_foreign_name_refused(void** state)
{
	assert_int_equal(shim_if_create("eth0"), B_DEVICE_NOT_FOUND);
	assert_string_equal(sLog, "a:eth0 b:eth0 k:eth0 ");
	assert_int_equal(shim_if_count(), 0);
	assert_int_equal(sA.init_devices + sB.init_devices, 0);
	/* each module was put again: the unloadable ones unloaded */
	assert_int_equal(sA.inits, sA.uninits);
	assert_int_equal(sB.inits, sB.uninits);
	assert_int_equal(sKeep.uninits, 0);
}

static void
test_create_existing_and_bad_names(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(sA.init_devices, 1);
	assert_int_equal(shim_if_count(), 1);
	assert_int_equal(shim_if_create(NULL), B_BAD_VALUE);
	assert_int_equal(shim_if_create("fa/0123456789012345678901234567890"), B_BAD_VALUE);
	assert_int_equal(shim_if_delete("fa/9"), B_BAD_VALUE);
	assert_int_equal(shim_if_up("fa/9"), B_BAD_VALUE);
	assert_int_equal(shim_if_set_ipv4("fa/9", 0x0100000a), B_BAD_VALUE);
	assert_false(shim_if_exists("fa/9"));
}

static void
test_datalink_control(void** state)
{
	struct net_datalink_module_info* datalink;
	assert_int_equal(get_module(NET_DATALINK_MODULE_NAME, (module_info**)&datalink), B_OK);
	struct net_stack_module_info* stack;
	assert_int_equal(get_module(NET_STACK_MODULE_NAME, (module_info**)&stack), B_OK);
	net_domain* domain = stack->get_domain(AF_INET);
	struct ifaliasreq request;
	memset(&request, 0, sizeof(request));
	strcpy(request.ifra_name, "fa/3");
	size_t length = 8;
	assert_int_equal(datalink->control(domain, SIOCAIFADDR, &request, &length), B_BAD_VALUE);
	length = 0;
	assert_int_equal(
		datalink->control(domain, SIOCAIFADDR, shim_user_bad_address(), &length), B_BAD_ADDRESS);
	assert_int_equal(shim_if_count(), 0);

	/* a request in user memory, 3-argument style (length 0) */
	void* user = shim_user_alloc(sizeof(request));
	shim_user_put(user, &request, sizeof(request));
	assert_int_equal(datalink->control(domain, SIOCAIFADDR, user, &length), B_OK);
	assert_true(shim_if_exists("fa/3"));
	shim_user_free(user);

	struct ifreq remove;
	memset(&remove, 0, sizeof(remove));
	strcpy(remove.ifr_name, "fa/3");
	length = sizeof(remove) - 1;
	assert_int_equal(datalink->control(domain, SIOCDIFADDR, &remove, &length), B_BAD_VALUE);
	length = sizeof(remove);
	assert_int_equal(datalink->control(domain, SIOCDIFADDR, &remove, &length), B_OK);
	assert_false(shim_if_exists("fa/3"));
	assert_int_equal(datalink->control(domain, SIOCDIFADDR, &remove, &length), B_BAD_VALUE);
	assert_int_equal(put_module(NET_STACK_MODULE_NAME), B_OK);
	assert_int_equal(put_module(NET_DATALINK_MODULE_NAME), B_OK);
}

static void
test_up_spawns_reader_and_delivers(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.flags & IFF_UP, 0);
	assert_int_equal(find_thread("fa/0 reader"), B_NAME_NOT_FOUND);

	assert_int_equal(shim_if_up("fa/0"), B_OK);
	assert_int_equal(sA.ups, 1);
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.flags & IFF_UP, IFF_UP);
	assert_true(find_thread("fa/0 reader") > 0);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	assert_int_equal(sA.ups, 1);

	fake_inject("fa/0", "first frame", 11, B_OK);
	char frame[32];
	assert_int_equal(shim_stack_receive("fa/0", frame, sizeof(frame), 5 * SECOND), 11);
	assert_memory_equal(frame, "first frame", 11);
	fake_inject("fa/0", "second frame", 12, B_OK);
	assert_int_equal(shim_stack_receive("fa/0", frame, 6, 5 * SECOND), 12);
	assert_memory_equal(frame, "second", 6);
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.received, 2);
	assert_int_equal(shim_stack_pending("fa/0"), 0);
}

static void
test_up_failure(void** state)
{
	struct shim_objects before, after;
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	shim_objects_get(&before);
	sA.up_status = B_NO_MEMORY;
	assert_int_equal(shim_if_up("fa/0"), B_NO_MEMORY);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.flags & IFF_UP, 0);
	assert_int_equal(find_thread("fa/0 reader"), B_NAME_NOT_FOUND);
	shim_objects_get(&after);
	assert_int_equal(after.threads, before.threads);
	/* nothing to undo at delete: no down for an interface that never went up */
	assert_int_equal(shim_if_delete("fa/0"), B_OK);
	assert_int_equal(sA.downs, 0);
	assert_int_equal(sA.uninit_devices, 1);
}

static void
test_down_clears_flag_then_joins(void** state)
{
	struct shim_objects before, after;
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	shim_objects_get(&before);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	shim_objects_get(&after);
	assert_int_equal(after.threads, before.threads + 1);

	assert_int_equal(shim_if_down("fa/0"), B_OK);
	assert_int_equal(sA.downs, 1);
	assert_int_equal(sA.up_flag_at_down, 0);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.flags & IFF_UP, 0);
	/* device_reader_thread: the error that ends a down is counted, if the reader was inside
	 * receive_data then (it may not have got there yet) */
	assert_true(info.receive_errors <= 1);
	/* joined: gone from the thread table and from the accounting */
	assert_int_equal(find_thread("fa/0 reader"), B_NAME_NOT_FOUND);
	shim_objects_get(&after);
	assert_int_equal(after.threads, before.threads);
	assert_int_equal(shim_if_down("fa/0"), B_OK);
	assert_int_equal(sA.downs, 1);

	/* and up again */
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	fake_inject("fa/0", "again", 5, B_OK);
	char frame[8];
	assert_int_equal(shim_stack_receive("fa/0", frame, sizeof(frame), 5 * SECOND), 5);
	assert_int_equal(shim_if_down("fa/0"), B_OK);
	assert_int_equal(sA.downs, 2);
}

static void
test_delete_downs_uninits_and_puts(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	int32 uninits = sA.uninits;
	assert_int_equal(shim_if_delete("fa/0"), B_OK);
	assert_int_equal(sA.downs, 1);
	assert_int_equal(sA.uninit_devices, 1);
	assert_int_equal(sA.uninits, uninits + 1);
	assert_false(shim_if_exists("fa/0"));
	assert_int_equal(find_thread("fa/0 reader"), B_NAME_NOT_FOUND);
	assert_int_equal(shim_if_delete("fa/0"), B_BAD_VALUE);
	assert_int_equal(shim_if_up("fa/0"), B_BAD_VALUE);
	/* the name can be created again */
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(sA.init_devices, 2);
}

static void
test_send_path(void** state)
{
	struct shim_objects before, after;
	assert_int_equal(shim_if_create("fb/0"), B_OK);
	struct fake_device* fake = fake_device_named("fb/0");
	shim_objects_get(&before);
	int32 type = B_NET_FRAME_TYPE(1, B_NET_FRAME_TYPE_IPV4);
	assert_int_equal(shim_stack_send("fb/0", "\x45packet", 7, type), B_OK);
	assert_int_equal(fake->sent_count, 1);
	assert_int_equal(fake->sent[0]->type, type);
	char data[8];
	assert_int_equal(gBuf->read(fake->sent[0], 0, data, 7), B_OK);
	assert_memory_equal(data, "\x45packet", 7);

	/* refused: the stack frees the buffer and counts the error */
	fake->send_status = B_WOULD_BLOCK;
	assert_int_equal(shim_stack_send("fb/0", "x", 1, type), B_WOULD_BLOCK);
	shim_objects_get(&after);
	assert_int_equal(after.net_buffers, before.net_buffers + 1);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fb/0", &info), B_OK);
	assert_int_equal(info.sent, 1);
	assert_int_equal(info.send_errors, 1);

	fake->send_status = B_OK;
	shim_fault_fail_nth(SHIM_FAULT_NET_BUFFER, 1, false);
	assert_int_equal(shim_stack_send("fb/0", "x", 1, type), B_NO_MEMORY);
	assert_int_equal(fake->sent_count, 1);
	assert_int_equal(shim_stack_send("fz/0", "x", 1, type), B_BAD_VALUE);
	fake_release_sent(fake);
}

/* Haiku's deferred delete: a buffer the driver still holds keeps the interface's address, so
 * the interface and its device interface; the name can be configured again meanwhile, and gets
 * the old device; uninit_device runs in the thread that frees the last such buffer. */
static void
test_delete_deferred_while_driver_holds_buffer(void** state)
{
	int32 type = B_NET_FRAME_TYPE_IPV4;
	assert_int_equal(shim_if_create("fb/0"), B_OK);
	struct fake_device* fake = fake_device_named("fb/0");
	assert_int_equal(shim_stack_send("fb/0", "\x45packet", 7, type), B_OK);
	assert_int_equal(fake->sent_count, 1);

	assert_int_equal(shim_if_delete("fb/0"), B_OK);
	assert_false(shim_if_exists("fb/0"));
	assert_int_equal(shim_if_count(), 0);
	assert_int_equal(sB.uninit_devices, 0);

	assert_int_equal(shim_if_create("fb/0"), B_OK);
	assert_int_equal(sB.init_devices, 1); /* get_device_interface() found the old one */
	assert_ptr_equal(fake_device_named("fb/0"), fake);
	assert_int_equal(shim_if_delete("fb/0"), B_OK);
	assert_int_equal(sB.uninit_devices, 0);

	fake_release_sent(fake);
	assert_int_equal(sB.uninit_devices, 1);
	assert_int_equal(shim_if_create("fb/0"), B_OK);
	assert_int_equal(sB.init_devices, 2);
}

static void
test_receive_timeouts(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	char frame[8];
	assert_int_equal(shim_stack_receive("fa/0", frame, sizeof(frame), 0), B_WOULD_BLOCK);
	bigtime_t start = system_time();
	assert_int_equal(shim_stack_receive("fa/0", frame, sizeof(frame), 20000), B_TIMED_OUT);
	assert_true(system_time() - start >= 20000);
	assert_int_equal(shim_stack_pending("fa/0"), 0);
	assert_int_equal(shim_stack_receive("fz/0", frame, sizeof(frame), 0), B_BAD_VALUE);
	assert_int_equal(shim_stack_pending("fz/0"), B_BAD_VALUE);
}

static void
test_receive_errors_counted(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	fake_inject("fa/0", NULL, 0, B_IO_ERROR);
	fake_inject("fa/0", "after", 5, B_OK);
	char frame[8];
	assert_int_equal(shim_stack_receive("fa/0", frame, sizeof(frame), 5 * SECOND), 5);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.receive_errors, 1);
	assert_int_equal(info.received, 1);
	assert_true(shim_if_exists("fa/0"));
}

static void
test_device_not_found_removes_interface(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	assert_int_equal(sA.inits, sA.uninits + 1);
	fake_inject("fa/0", NULL, 0, B_DEVICE_NOT_FOUND);
	/* the reader removes the interface itself: down, uninit, put_module */
	assert_int_equal(acquire_sem_etc(sUninitSem, 1, B_RELATIVE_TIMEOUT, 5 * SECOND), B_OK);
	assert_false(shim_if_exists("fa/0"));
	assert_int_equal(sA.downs, 1);
	assert_int_equal(sA.uninit_devices, 1);
	assert_int_equal(shim_if_count(), 0);
	/* the reader put the module after uninit_device (a create joins that reader first) */
	assert_int_equal(shim_if_create("fa/1"), B_OK);
	assert_int_equal(atomic_get(&sA.inits), atomic_get(&sA.uninits) + 1);
	assert_int_equal(sA.uninit_devices, 1);
}

static const uint8 kRequesterMac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

static void
make_arp_request(uint8* frame, const uint8* targetIp)
{
	static const uint8 requesterIp[4] = {10, 0, 0, 2};
	memset(frame, 0xff, 6);
	memcpy(frame + 6, kRequesterMac, 6);
	frame[12] = 0x08;
	frame[13] = 0x06;
	uint8* arp = frame + 14;
	static const uint8 header[8] = {0, 1, 0x08, 0, 6, 4, 0, 1};
	memcpy(arp, header, 8);
	memcpy(arp + 8, kRequesterMac, 6);
	memcpy(arp + 14, requesterIp, 4);
	memset(arp + 18, 0, 6);
	memcpy(arp + 24, targetIp, 4);
}

/* inject a frame and wait for it in the capture: everything before it was processed */
static void
sync_reader(const char* name)
{
	char frame[64];
	fake_inject(name, "sync", 4, B_OK);
	for (;;) {
		ssize_t length = shim_stack_receive(name, frame, sizeof(frame), 5 * SECOND);
		assert_true(length > 0);
		if (length == 4 && memcmp(frame, "sync", 4) == 0)
			return;
	}
}

static void
test_arp_peer_answers(void** state)
{
	static const uint8 ourIp[4] = {10, 0, 0, 1};
	static const uint8 otherIp[4] = {10, 0, 0, 9};
	uint32 address;
	memcpy(&address, ourIp, 4);
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	assert_int_equal(shim_if_set_ipv4("fa/0", address), B_OK);
	struct fake_device* fake = fake_device_named("fa/0");

	uint8 request[42];
	make_arp_request(request, otherIp);
	fake_inject("fa/0", request, sizeof(request), B_OK);
	make_arp_request(request, ourIp);
	fake_inject("fa/0", request, sizeof(request), B_OK);
	sync_reader("fa/0");

	assert_int_equal(fake->sent_count, 1);
	net_buffer* reply = fake->sent[0];
	uint8 frame[42];
	assert_int_equal(reply->size, 42);
	assert_int_equal(gBuf->read(reply, 0, frame, sizeof(frame)), B_OK);
	assert_memory_equal(frame, kRequesterMac, 6);
	assert_memory_equal(frame + 6, fake->device.address.data, 6);
	assert_int_equal(frame[12], 0x08);
	assert_int_equal(frame[13], 0x06);
	assert_int_equal(frame[14 + 7], 2); /* opcode: reply */
	assert_memory_equal(frame + 14 + 8, fake->device.address.data, 6);
	assert_memory_equal(frame + 14 + 14, ourIp, 4);
	assert_memory_equal(frame + 14 + 18, kRequesterMac, 6);
	assert_memory_equal(frame + 14 + 24, request + 14 + 14, 4);

	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.arp_replies, 1);
	assert_int_equal(info.sent, 1);
	assert_int_equal(info.received, 3);
}

static void
test_arp_needs_ethernet_and_address(void** state)
{
	static const uint8 ip[4] = {10, 0, 0, 1};
	uint32 address;
	memcpy(&address, ip, 4);
	uint8 request[42];
	make_arp_request(request, ip);

	/* a tunnel interface with the address: no ARP */
	assert_int_equal(shim_if_create("fb/0"), B_OK);
	assert_int_equal(shim_if_up("fb/0"), B_OK);
	assert_int_equal(shim_if_set_ipv4("fb/0", address), B_OK);
	fake_inject("fb/0", request, sizeof(request), B_OK);
	sync_reader("fb/0");
	assert_int_equal(fake_device_named("fb/0")->sent_count, 0);

	/* an Ethernet interface without an address: no ARP either */
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	fake_inject("fa/0", request, sizeof(request), B_OK);
	sync_reader("fa/0");
	assert_int_equal(fake_device_named("fa/0")->sent_count, 0);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.arp_replies, 0);
}

static void
test_if_info_fields(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_create("fb/7"), B_OK);
	struct shim_if_info info;
	assert_int_equal(shim_if_info("fa/0", &info), B_OK);
	assert_int_equal(info.type, IFT_ETHER);
	assert_int_equal(info.mtu, 1500);
	assert_int_equal(info.index, 1);
	static const uint8 mac[6] = {0x02, 0, 0, 0, 0, 0x11};
	assert_memory_equal(info.hwaddr, mac, 6);
	assert_int_equal(shim_if_info("fb/7", &info), B_OK);
	assert_int_equal(info.type, IFT_TUNNEL);
	assert_int_equal(info.index, 2);
	assert_int_equal(shim_if_info("fb/8", &info), B_BAD_VALUE);
	assert_int_equal(shim_if_info("fb/7", NULL), B_BAD_VALUE);
}

static void
test_shutdown_deletes_interfaces(void** state)
{
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_create("fb/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	fake_inject("fa/0", "queued", 6, B_OK);
	delete_sem(sUninitSem);
	assert_int_equal(shim_shutdown(), B_OK);
	assert_int_equal(sA.downs, 1);
	assert_int_equal(sA.uninit_devices, 1);
	assert_int_equal(sB.uninit_devices, 1);
	assert_int_equal(sA.inits, sA.uninits);
	assert_int_equal(sB.inits, sB.uninits);
	assert_int_equal(shim_boot_with(sFakeModules, sDependencies), B_OK);
	shim_objects_get(&sBaseline);
	sUninitSem = create_sem(0, "fake uninit");
	assert_int_equal(shim_if_count(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_create_offers_name_in_order, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_foreign_name_refused, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_create_existing_and_bad_names, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_datalink_control, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_up_spawns_reader_and_delivers, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_up_failure, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_down_clears_flag_then_joins, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_delete_downs_uninits_and_puts, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_send_path, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_delete_deferred_while_driver_holds_buffer, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_receive_timeouts, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_receive_errors_counted, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_device_not_found_removes_interface, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_arp_peer_answers, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_arp_needs_ethernet_and_address, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_if_info_fields, fake_net_setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_shutdown_deletes_interfaces, fake_net_setup, fake_net_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
