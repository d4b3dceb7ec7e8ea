/* The net_device hooks the stack calls outside of a unit's data path (media, multicast,
 * promiscuous mode), checked at the hook: what each answers for TUN and TAP units. */

#include "test_util.h"

#include <net/if_media.h>
#include <netinet/in.h>

/* SIOCSIFMEDIA reaches set_media (Haiku datalink.cpp, interface_protocol_control), whose
 * B_NOT_SUPPORTED makes the stack ask the control hook, which refuses every op: the media of a
 * tuntap interface cannot be set. Joining a multicast group reaches add_multicast
 * (interface_protocol_join_multicast) and must succeed: the driver filters nothing, every frame
 * written is delivered, so promiscuous mode is accepted as well. Kills mutants 9e838e8d6a,
 * a4a5f6a51c and c402df383c (net_device_hooks.c: each hook's status changed). */
static void
test_media_is_fixed_multicast_and_promiscuous_accepted(void** state)
{
	static const char* const kNames[] = {"tun/0", "tap/0"};
	struct sockaddr_in group;
	memset(&group, 0, sizeof(group));
	group.sin_len = sizeof(group);
	group.sin_family = AF_INET;
	static const uint8 kAllHosts[4] = {224, 0, 0, 1};
	memcpy(&group.sin_addr, kAllHosts, sizeof(kAllHosts));
	const struct sockaddr* address = (const struct sockaddr*)&group;
	struct net_device_module_info* hooks = &gTuntapModule.device;

	for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); i++) {
		tu_if_create_ok(kNames[i], true);
		tuntap_unit* unit = tuntap_unit_get(kNames[i]);
		assert_non_null(unit);
		net_device* device = &unit->device;
		TU_EXPECT(hooks->set_media(device, device->media), B_NOT_SUPPORTED);
		TU_EXPECT(hooks->set_media(device, 0), B_NOT_SUPPORTED);
		TU_OK(hooks->add_multicast(device, address));
		TU_OK(hooks->remove_multicast(device, address));
		TU_OK(hooks->set_promiscuous(device, true));
		TU_OK(hooks->set_promiscuous(device, false));
		/* none of them changed the interface */
		assert_int_equal(device->media, IFM_ACTIVE);
		assert_int_equal(device->flags & IFF_UP, IFF_UP);
		tuntap_unit_put(unit);
	}
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_media_is_fixed_multicast_and_promiscuous_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
