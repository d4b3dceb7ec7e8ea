/* Checks that make mutate's survivors asked for: the net_device hooks outside a unit's data path
 * (media, multicast, promiscuous), and SET_INFO's two steps against an MTU change between them. */

#include "test_util.h"

#include <net/if.h>
#include <net/if_media.h>
#include <netinet/in.h>
#include <sys/sockio.h>

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

/* An `ifconfig mtu` of another thread, landing just after SET_INFO's own MTU change through the
 * stack and before its second step: the driver's datalink calls pass through this wrapper, which
 * makes one more SIOCSIFMTU (to sRacingMtu) right after the first one it sees. */
static struct tuntap_datalink_module_info* sRealDatalink;
static struct tuntap_datalink_module_info sRacingDatalink;
static uint32 sRacingMtu;      /* 0: not armed */
static status_t sRacingStatus; /* what the stack answered the racing change */

static status_t
racing_control(net_domain* domain, int32 option, void* value, size_t* _length)
{
	status_t status = sRealDatalink->control(domain, option, value, _length);
	if (option == SIOCSIFMTU && sRacingMtu != 0) {
		struct ifreq racing;
		memcpy(&racing, value, sizeof(racing));
		racing.ifr_mtu = (int)sRacingMtu;
		sRacingMtu = 0;
		size_t length = sizeof(racing);
		sRacingStatus = sRealDatalink->control(domain, SIOCSIFMTU, &racing, &length);
	}
	return status;
}

/* SET_INFO {mtu, queue_bytes} on `fd` with an MTU change to `racing` between its two steps */
static status_t
set_info_raced(int fd, uint32 mtu, uint32 queueBytes, uint32 racing)
{
	struct tuntap_info info = tu_info(fd);
	info.mtu = mtu;
	info.queue_bytes = queueBytes;
	sRealDatalink = gDatalinkModule;
	sRacingDatalink = *gDatalinkModule;
	sRacingDatalink.control = racing_control;
	sRacingMtu = racing;
	sRacingStatus = 1;
	gDatalinkModule = &sRacingDatalink;
	status_t status = shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info));
	gDatalinkModule = sRealDatalink;
	assert_int_equal(sRacingMtu, 0); /* the racing change ran */
	return status;
}

/* SET_INFO checks the queue limits against the MTU again in its second step and refuses them
 * when a racing change raised the MTU past them (the queues must hold a packet of the MTU); and
 * when the new limits hold the current MTU it applies them first, so a racing change beyond
 * them is refused instead of SET_INFO. TAP: a 14-byte header. Kills mutants af10c9f6b0,
 * bde698bf69 (ioctl.c set_queue_limits: mtu - header, the refusal B_OK) and d2560933fa
 * (ioctl.c set_info: queues first only when they exceed the MTU). */
static void
test_set_info_holds_against_a_racing_mtu_change(void** state)
{
	tu_if_create_ok("tap/0", true);
	int fd = tu_open_ok("/dev/tap/0", SHIM_O_RDWR);

	/* the limits (1020) below the MTU first: the MTU goes first (1000), the racing change to
	 * 1020 fits the old limits, the limits no longer hold 1020 + 14 */
	TU_EXPECT(set_info_raced(fd, 1000, 1020, 1020), B_BAD_VALUE);
	TU_OK(sRacingStatus);
	struct tuntap_info info = tu_info(fd);
	assert_int_equal(info.mtu, 1020);
	assert_int_equal(info.queue_bytes, TUNTAP_DEFAULT_QUEUE_BYTES);

	/* the limits exactly hold the MTU now (1500 + 14): they go first, the MTU (1400) after, and
	 * the racing change to 1510 finds limits it does not fit */
	TU_OK(shim_ioctl_buf(fd, TUNTAP_SET_MTU, &(uint32){1500}, sizeof(uint32), sizeof(uint32)));
	TU_OK(set_info_raced(fd, 1400, 1514, 1510));
	assert_true(sRacingStatus != B_OK);
	info = tu_info(fd);
	assert_int_equal(info.mtu, 1400);
	assert_int_equal(info.queue_bytes, 1514);
	tu_finish();
}

/* SET_INFO accepts each end of its ranges: the MTU 68 and 16384, one packet and 4096, limits of
 * exactly one packet of the MTU with its link header, and 16 MiB. Kills mutants bd90185a38 and
 * cb01c2e802 (ioctl.c set_info: mtu < TUNTAP_MIN_MTU, queue_packets < 1 -> <=). */
static void
test_set_info_accepts_the_ends_of_its_ranges(void** state)
{
	static const struct {
		const char* name;
		uint32 mtu, packets, bytes;
	} kGood[] = {
		{"tun/0", TUNTAP_MIN_MTU, 1, TUNTAP_MIN_MTU},
		{"tun/0", TUNTAP_MAX_MTU, 4096, TUNTAP_MAX_MTU},
		{"tun/0", TUNTAP_MIN_MTU, 4096, 16 * 1024 * 1024},
		{"tap/0", TUNTAP_MIN_MTU, 1, TUNTAP_MIN_MTU + 14},
		{"tap/0", TUNTAP_MAX_MTU, 1, TUNTAP_MAX_MTU + 14},
	};
	char path[64];
	for (size_t i = 0; i < sizeof(kGood) / sizeof(kGood[0]); i++) {
		if (!shim_if_exists(kGood[i].name))
			tu_if_create_ok(kGood[i].name, false);
		snprintf(path, sizeof(path), "/dev/%s", kGood[i].name);
		int fd = tu_open_ok(path, SHIM_O_RDWR);
		struct tuntap_info info = tu_info(fd);
		info.mtu = kGood[i].mtu;
		info.queue_packets = kGood[i].packets;
		info.queue_bytes = kGood[i].bytes;
		status_t status = shim_ioctl_buf(fd, TUNTAP_SET_INFO, &info, sizeof(info), sizeof(info));
		if (status != B_OK) {
			fail_msg("SET_INFO %s mtu %u packets %u bytes %u: %s, expected B_OK", kGood[i].name,
				kGood[i].mtu, kGood[i].packets, kGood[i].bytes, shim_status_name(status));
		}
		struct tuntap_info now = tu_info(fd);
		assert_int_equal(now.mtu, kGood[i].mtu);
		assert_int_equal(now.queue_packets, kGood[i].packets);
		assert_int_equal(now.queue_bytes, kGood[i].bytes);
		TU_OK(tu_close(fd));
	}
	tu_finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TU_TEST(test_media_is_fixed_multicast_and_promiscuous_accepted),
		TU_TEST(test_set_info_holds_against_a_racing_mtu_change),
		TU_TEST(test_set_info_accepts_the_ends_of_its_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
