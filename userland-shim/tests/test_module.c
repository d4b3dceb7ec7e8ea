/* Tests of the shim's module loader: no device module at boot, module lists, the image's unload
 * and poisoned hooks, dependencies first, undo, B_KEEP_LOADED, reentrancy, concurrency, stack. */
#include "fake_net_device.h"

#include <fcntl.h>

#include <fs/devfs.h>

#include "child_test.h"

static struct fake_module_state sDep, sNeedy, sInner, sOuter;
static status_t sSelfGet;

static status_t
dep_std_ops(int32 op, ...)
{
	atomic_add(op == B_MODULE_INIT ? &sDep.inits : &sDep.uninits, 1);
	return B_OK;
}

static status_t
needy_std_ops(int32 op, ...)
{
	atomic_add(op == B_MODULE_INIT ? &sNeedy.inits : &sNeedy.uninits, 1);
	return op == B_MODULE_INIT ? sNeedy.init_status : B_OK;
}

static status_t
inner_std_ops(int32 op, ...)
{
	atomic_add(op == B_MODULE_INIT ? &sInner.inits : &sInner.uninits, 1);
	return B_OK;
}

/* gets and puts another module from its own std_ops, as a driver's init may */
static status_t
outer_std_ops(int32 op, ...)
{
	atomic_add(op == B_MODULE_INIT ? &sOuter.inits : &sOuter.uninits, 1);
	if (op == B_MODULE_INIT)
		return get_module("test/inner/v1", NULL);
	return put_module("test/inner/v1");
}

static status_t
self_std_ops(int32 op, ...)
{
	if (op == B_MODULE_INIT)
		sSelfGet = get_module("test/self/v1", NULL);
	return B_OK;
}

static module_info sDepModule = {"test/dep/v1", 0, dep_std_ops};
static module_info sNeedyModule = {"test/needy/v1", 0, needy_std_ops};
static module_info sMissingModule = {"test/missing-dep/v1", 0, needy_std_ops};
static module_info sInnerModule = {"test/inner/v1", 0, inner_std_ops};
static module_info sOuterModule = {"test/outer/v1", 0, outer_std_ops};
static module_info sSelfModule = {"test/self/v1", 0, self_std_ops};
static module_info sNoOpsModule = {"test/no-ops/v1", 0, NULL};
static module_info* sDepInfo;
static module_dependency sNeedyDependencies[] = {{"test/dep/v1", &sDepInfo}, {NULL, NULL}};
static module_dependency sMissingDependencies[] = {
	{"test/dep/v1", &sDepInfo}, {"test/nowhere/v1", NULL}, {NULL, NULL}};

static int
setup(void** state)
{
	memset(&sDep, 0, sizeof(sDep));
	memset(&sNeedy, 0, sizeof(sNeedy));
	memset(&sInner, 0, sizeof(sInner));
	memset(&sOuter, 0, sizeof(sOuter));
	sSelfGet = B_OK;
	sDepInfo = NULL;
	if (fake_net_setup(state) != 0)
		return -1;
	module_info* modules[] = {&sDepModule, &sNeedyModule, &sMissingModule, &sInnerModule,
		&sOuterModule, &sSelfModule, &sNoOpsModule};
	module_dependency* dependencies[] = {
		NULL, sNeedyDependencies, sMissingDependencies, NULL, NULL, NULL, NULL};
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		if (shim_module_register(modules[i], dependencies[i]) != B_OK)
			return -1;
	}
	return 0;
}

static void
test_boot_loads_no_device_module(void** state)
{
	/* Haiku's stack loads a device module only in get_device_interface: none at boot */
	assert_int_equal(sA.inits + sB.inits + sKeep.inits, 0);
	struct shim_image_state image;
	shim_image_info(&image);
	assert_int_equal(image.refs, 0);
	assert_false(image.mapped);
	/* registered all the same, in modules[] order */
	module_info* info;
	assert_int_equal(shim_module_register(&sFakeA.info, NULL), B_NAME_IN_USE);
	assert_string_equal(shim_module_name_at("network/devices/", 0), "network/devices/fake_a/v1");
	assert_string_equal(shim_module_name_at("network/devices/", 2), "network/devices/keep/v1");
	assert_null(shim_module_name_at("network/devices/", 3));
	/* B_KEEP_LOADED: loaded by its first get, and a put does not unload it nor its image */
	assert_int_equal(get_module("network/devices/keep/v1", &info), B_OK);
	assert_ptr_equal(info, &sFakeKeep.info);
	assert_int_equal(put_module("network/devices/keep/v1"), B_OK);
	assert_int_equal(sKeep.inits, 1);
	assert_int_equal(sKeep.uninits, 0);
	shim_image_info(&image);
	assert_int_equal(image.refs, 1);
	assert_true(image.mapped);
	assert_int_equal(image.unloads, 0);
}

static void
test_module_list_order_and_image_reference(void** state)
{
	/* module.cpp's iterator: built-in modules first (none of this prefix), then the image's, in
	 * modules[] order; the image is held while its modules are read, and put at the end */
	void* list = open_module_list("network/devices/");
	assert_non_null(list);
	const char* expected[] = {
		"network/devices/fake_a/v1", "network/devices/fake_b/v1", "network/devices/keep/v1"};
	struct shim_image_state image;
	for (int i = 0; i < 3; i++) {
		char name[256];
		size_t length = sizeof(name);
		assert_int_equal(read_next_module_name(list, name, &length), B_OK);
		assert_string_equal(name, expected[i]);
		assert_int_equal(length, strlen(expected[i]));
		shim_image_info(&image);
		assert_int_equal(image.refs, 1);
	}
	char name[256];
	size_t length = sizeof(name);
	assert_int_equal(read_next_module_name(list, name, &length), B_ENTRY_NOT_FOUND);
	shim_image_info(&image);
	assert_int_equal(image.refs, 0);
	assert_int_equal(image.unloads, 1);
	assert_int_equal(close_module_list(list), B_OK);

	/* built-in ones come first; closing in the middle of the image puts it */
	list = open_module_list("network/");
	length = sizeof(name);
	assert_int_equal(read_next_module_name(list, name, &length), B_OK);
	assert_string_equal(name, NET_STACK_MODULE_NAME);
	do {
		length = sizeof(name);
		assert_int_equal(read_next_module_name(list, name, &length), B_OK);
	} while (strcmp(name, "network/devices/fake_a/v1") != 0);
	shim_image_info(&image);
	assert_int_equal(image.refs, 1);
	assert_int_equal(close_module_list(list), B_OK);
	shim_image_info(&image);
	assert_int_equal(image.refs, 0);
	assert_int_equal(image.unloads, 2);
}

/* a module of the image called after its last put: its hooks were poisoned at the unload */
static void
call_unloaded_std_ops(void)
{
	assert_int_equal(get_module("network/devices/fake_a/v1", NULL), B_OK);
	assert_int_equal(put_module("network/devices/fake_a/v1"), B_OK);
	sFakeA.info.std_ops(B_MODULE_INIT);
}

static void
call_unloaded_device_hook(void)
{
	struct net_device_module_info* module;
	assert_int_equal(get_module("network/devices/fake_b/v1", (module_info**)&module), B_OK);
	assert_int_equal(put_module("network/devices/fake_b/v1"), B_OK);
	net_device* device;
	module->init_device("fb/0", &device);
}

static status_t
stale_open(const char* name, uint32 flags, void** cookie)
{
	(void)name, (void)flags;
	*cookie = NULL;
	return B_OK;
}

static device_hooks sStaleHooks = {.open = stale_open};

/* a node the image published outlives it: the next open calls into the unloaded image */
static void
open_node_of_unloaded_image(void)
{
	assert_int_equal(get_module("network/devices/fake_a/v1", NULL), B_OK);
	assert_int_equal(devfs_publish_device("stale/0", &sStaleHooks), B_OK);
	assert_int_equal(put_module("network/devices/fake_a/v1"), B_OK);
	shim_open("/dev/stale/0", O_RDWR);
}

static void
put_keep_loaded_to_zero(void)
{
	assert_int_equal(get_module("network/devices/keep/v1", NULL), B_OK);
	assert_int_equal(put_module("network/devices/keep/v1"), B_OK);
	put_module("network/devices/keep/v1");
}

static void
test_image_unloaded_at_last_reference(void** state)
{
	/* the last put unloads the image: each hook it handed the kernel now panics */
	expect_abort(call_unloaded_std_ops, "PANIC: ", "called into add-on image");
	expect_abort(call_unloaded_device_hook, "PANIC: ", "after it was unloaded");
	expect_abort(open_node_of_unloaded_image, "PANIC: ", "called into add-on image");
	/* module.cpp: a B_KEEP_LOADED module's count never drops to 0 */
	expect_abort(put_keep_loaded_to_zero, "PANIC: ", "B_KEEP_LOADED module");

	/* here, as in the children: unloaded, then mapped afresh, the hooks work again */
	struct shim_image_state image;
	assert_int_equal(get_module("network/devices/fake_a/v1", NULL), B_OK);
	assert_int_equal(put_module("network/devices/fake_a/v1"), B_OK);
	shim_image_info(&image);
	assert_false(image.mapped);
	assert_int_equal(image.unloads, 1);
	assert_int_equal(sA.inits, 1);
	assert_int_equal(sA.uninits, 1);
	assert_int_equal(get_module("network/devices/fake_a/v1", NULL), B_OK);
	shim_image_info(&image);
	assert_true(image.mapped);
	assert_int_equal(sA.inits, 2);
	assert_int_equal(put_module("network/devices/fake_a/v1"), B_OK);
	shim_image_info(&image);
	assert_int_equal(image.unloads, 2);
	/* a failed B_MODULE_INIT puts the image it took */
	sA.init_status = B_NO_MEMORY;
	assert_int_equal(get_module("network/devices/fake_a/v1", NULL), B_NO_MEMORY);
	sA.init_status = B_OK;
	shim_image_info(&image);
	assert_int_equal(image.refs, 0);
	assert_int_equal(image.unloads, 3);
}

static void
test_dependencies_before_init(void** state)
{
	gBuf = NULL;
	gStack = NULL;
	struct net_device_module_info* module;
	assert_int_equal(get_module("network/devices/fake_b/v1", (module_info**)&module), B_OK);
	assert_ptr_equal(module, &sFakeB);
	assert_int_equal(sB.inits, 1);
	/* fake_std_ops refuses to init unless both were filled in before */
	struct net_buffer_module_info* buffers;
	assert_int_equal(get_module(NET_BUFFER_MODULE_NAME, (module_info**)&buffers), B_OK);
	assert_ptr_equal(gBuf, buffers);
	assert_string_equal(gStack->info.name, NET_STACK_MODULE_NAME);
	assert_int_equal(put_module(NET_BUFFER_MODULE_NAME), B_OK);
	assert_int_equal(put_module("network/devices/fake_b/v1"), B_OK);
	assert_int_equal(sB.uninits, 1);
}

static void
test_failed_init_undoes_dependencies(void** state)
{
	sNeedy.init_status = B_NO_MEMORY;
	assert_int_equal(get_module("test/needy/v1", NULL), B_NO_MEMORY);
	assert_int_equal(sDep.inits, 1);
	assert_int_equal(sDep.uninits, 1);
	assert_int_equal(put_module("test/needy/v1"), B_BAD_VALUE);

	sNeedy.init_status = B_OK;
	module_info* info;
	assert_int_equal(get_module("test/needy/v1", &info), B_OK);
	assert_ptr_equal(sDepInfo, &sDepModule);
	assert_int_equal(sDep.inits, 2);
	assert_int_equal(put_module("test/needy/v1"), B_OK);
	assert_int_equal(sNeedy.uninits, 1);
	assert_int_equal(sDep.uninits, 2);

	/* a missing dependency: the ones already got are put again, INIT never runs */
	int32 needyInits = sNeedy.inits;
	assert_int_equal(get_module("test/missing-dep/v1", NULL), B_ENTRY_NOT_FOUND);
	assert_int_equal(sNeedy.inits, needyInits);
	assert_int_equal(sDep.inits, 3);
	assert_int_equal(sDep.uninits, 3);
}

static void
test_unknown_modules(void** state)
{
	module_info* info = (module_info*)&info;
	assert_int_equal(get_module("test/unknown/v1", &info), B_ENTRY_NOT_FOUND);
	assert_ptr_equal(info, (module_info*)&info);
	assert_int_equal(put_module("test/unknown/v1"), B_ENTRY_NOT_FOUND);
	assert_int_equal(get_module(NULL, &info), B_BAD_VALUE);
	/* a module without std_ops loads and unloads */
	assert_int_equal(get_module("test/no-ops/v1", &info), B_OK);
	assert_int_equal(put_module("test/no-ops/v1"), B_OK);
	assert_int_equal(put_module("test/no-ops/v1"), B_BAD_VALUE);
}

static void
test_reentrant_std_ops(void** state)
{
	assert_int_equal(get_module("test/outer/v1", NULL), B_OK);
	assert_int_equal(sOuter.inits, 1);
	assert_int_equal(sInner.inits, 1);
	assert_int_equal(put_module("test/outer/v1"), B_OK);
	assert_int_equal(sOuter.uninits, 1);
	assert_int_equal(sInner.uninits, 1);
	/* a module getting itself from its own init is refused, not deadlocked */
	assert_int_equal(get_module("test/self/v1", NULL), B_OK);
	assert_int_equal(sSelfGet, B_BUSY);
	assert_int_equal(put_module("test/self/v1"), B_OK);
}

static status_t
get_put_thread(void* data)
{
	for (int i = 0; i < 300; i++) {
		if (get_module("test/outer/v1", NULL) != B_OK)
			return B_ERROR;
		if (put_module("test/outer/v1") != B_OK)
			return B_ERROR;
	}
	return B_OK;
}

static void
test_concurrent_get_put(void** state)
{
	thread_id threads[4];
	for (int i = 0; i < 4; i++)
		threads[i] = shim_thread_spawn("get/put", get_put_thread, NULL);
	for (int i = 0; i < 4; i++) {
		status_t result;
		assert_int_equal(shim_thread_join(threads[i], &result), B_OK);
		assert_int_equal(result, B_OK);
	}
	assert_true(sOuter.inits >= 1);
	assert_int_equal(sOuter.inits, sOuter.uninits);
	assert_int_equal(sInner.inits, sInner.uninits);
	assert_int_equal(sInner.inits, sOuter.inits);
}

static void
test_keep_loaded_unloaded_at_shutdown(void** state)
{
	/* shutdown unloads B_KEEP_LOADED modules too, and returns their UNINIT error */
	assert_int_equal(get_module("network/devices/keep/v1", NULL), B_OK);
	assert_int_equal(put_module("network/devices/keep/v1"), B_OK);
	assert_int_equal(get_module("test/needy/v1", NULL), B_OK);
	assert_int_equal(put_module("test/needy/v1"), B_OK);
	sKeep.uninit_status = B_BUSY;
	delete_sem(sUninitSem);
	assert_int_equal(shim_shutdown(), B_BUSY);
	assert_int_equal(sKeep.uninits, 1);
	assert_int_equal(sA.inits, sA.uninits);

	/* everything resets: a second boot loads nothing either */
	memset(&sKeep, 0, sizeof(sKeep));
	assert_int_equal(shim_boot_with(sFakeModules, sDependencies), B_OK);
	shim_objects_get(&sBaseline);
	sUninitSem = create_sem(0, "fake uninit");
	assert_int_equal(sKeep.inits, 0);
	assert_int_equal(get_module("test/needy/v1", NULL), B_ENTRY_NOT_FOUND);
}

static void
test_stack_modules(void** state)
{
	struct net_stack_module_info* stack;
	assert_int_equal(get_module(NET_STACK_MODULE_NAME, (module_info**)&stack), B_OK);
	net_domain* inet = stack->get_domain(AF_INET);
	net_domain* inet6 = stack->get_domain(AF_INET6);
	assert_non_null(inet);
	assert_non_null(inet6);
	assert_ptr_not_equal(inet, inet6);
	assert_ptr_equal(stack->get_domain(AF_INET), inet);
	assert_null(stack->get_domain(AF_LINK));
	assert_null(stack->get_domain(99));
	net_device unknown;
	memset(&unknown, 0, sizeof(unknown));
	assert_int_equal(stack->device_removed(&unknown), B_DEVICE_NOT_FOUND);
	assert_int_equal(put_module(NET_STACK_MODULE_NAME), B_OK);

	struct net_datalink_module_info* datalink;
	assert_int_equal(get_module(NET_DATALINK_MODULE_NAME, (module_info**)&datalink), B_OK);
	assert_non_null(datalink->control);
	size_t length = 0;
	assert_int_equal(datalink->control(inet, SIOCGIFMTU, NULL, &length), B_BAD_VALUE);
	assert_int_equal(put_module(NET_DATALINK_MODULE_NAME), B_OK);
}

static void
test_device_removed_from_the_driver(void** state)
{
	/* device_removed() called by the driver itself (not the reader) removes the interface */
	assert_int_equal(shim_if_create("fa/0"), B_OK);
	assert_int_equal(shim_if_up("fa/0"), B_OK);
	struct fake_device* fake = fake_device_named("fa/0");
	assert_int_equal(gStack->device_removed(&fake->device), B_OK);
	assert_false(shim_if_exists("fa/0"));
	assert_int_equal(sA.downs, 1);
	assert_int_equal(sA.uninit_devices, 1);
	assert_int_equal(find_thread("fa/0 reader"), B_NAME_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_boot_loads_no_device_module, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_module_list_order_and_image_reference, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_image_unloaded_at_last_reference, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_dependencies_before_init, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_failed_init_undoes_dependencies, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_modules, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_std_ops, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_get_put, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_keep_loaded_unloaded_at_shutdown, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(test_stack_modules, setup, fake_net_teardown),
		cmocka_unit_test_setup_teardown(
			test_device_removed_from_the_driver, setup, fake_net_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
