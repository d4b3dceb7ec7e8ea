/* The dynamic unit table: parsing names, creating a unit (allocate, publish, list) with complete
 * unwinding, revoking it on delete, reference counting, and clone number reservation. */

#include "tuntap_private.h"

#include <fs/devfs.h>
#include <net/if_media.h>
#include <string.h>

typedef struct number_reservation {
	struct list_link link;
	const tuntap_flavor* flavor;
	uint32 number;
	thread_id owner; /* the clone open that will create it through the stack */
} number_reservation;

static mutex sUnitsLock = MUTEX_INITIALIZER("tuntap units");
static struct list sUnits;        /* tuntap_unit, sorted by (flavor mode, number) */
static struct list sReservations; /* number_reservation, clone opens in progress */
static int32 sUnitCount;
static int32 sCookieCount;
/* what each unit's node is published with; handed in by tuntap_units_init(), not referenced by
 * name, so that the table does not depend on the devfs side that uses it */
static device_hooks* sDeviceHooks;


status_t
tuntap_units_init(device_hooks* hooks)
{
	sDeviceHooks = hooks;
	list_init_etc(&sUnits, offsetof(tuntap_unit, link));
	list_init_etc(&sReservations, offsetof(number_reservation, link));
	atomic_set(&sUnitCount, 0);
	atomic_set(&sCookieCount, 0);
	return B_OK;
}


void
tuntap_units_uninit(void)
{
	/* nothing is left: std_ops refuses to uninit while units or cookies exist */
}


int32
tuntap_live_objects(void)
{
	return atomic_get(&sUnitCount) + atomic_get(&sCookieCount);
}


void
tuntap_cookie_count(int32 delta)
{
	atomic_add(&sCookieCount, delta);
}


status_t
tuntap_parse_name(const char* name, const tuntap_flavor** _flavor, uint32* _number)
{
	const tuntap_flavor* flavor = NULL;
	size_t prefixLength = 0;
	for (int i = 0; i < TUNTAP_FLAVOR_COUNT && flavor == NULL; i++) {
		prefixLength = strlen(kTuntapFlavors[i].prefix);
		if (strncmp(name, kTuntapFlavors[i].prefix, prefixLength) == 0)
			flavor = &kTuntapFlavors[i];
	}
	if (flavor == NULL)
		return B_BAD_VALUE;

	const char* digits = name + prefixLength;
	if (digits[0] == '\0' || (digits[0] == '0' && digits[1] != '\0'))
		return B_BAD_VALUE;

	uint32 number = 0;
	for (const char* c = digits; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || c - digits >= 5)
			return B_BAD_VALUE;
		number = number * 10 + (uint32)(*c - '0');
	}
	if (number > TUNTAP_MAX_UNIT)
		return B_BAD_VALUE;

	*_flavor = flavor;
	*_number = number;
	return B_OK;
}


/* "tun/N" or "tap/N" into name (TUNTAP_NAME_LENGTH bytes); the inverse of tuntap_parse_name */
void
tuntap_format_name(char* name, const tuntap_flavor* flavor, uint32 number)
{
	char digits[10];
	int count = 0;
	do {
		digits[count++] = (char)('0' + number % 10);
		number /= 10;
	} while (number != 0);

	strlcpy(name, flavor->prefix, TUNTAP_NAME_LENGTH);
	size_t length = strlen(name);
	while (count > 0)
		name[length++] = digits[--count];
	name[length] = '\0';
}


static inline bool
unit_before(const tuntap_unit* unit, const tuntap_flavor* flavor, uint32 number)
{
	return unit->flavor->mode < flavor->mode || (unit->flavor == flavor && unit->number < number);
}


static inline bool
unit_is(const tuntap_unit* unit, const tuntap_flavor* flavor, uint32 number)
{
	return unit != NULL && unit->flavor == flavor && unit->number == number;
}


/* the listed unit (flavor, number), or the first one after it; sUnitsLock held */
static tuntap_unit*
find_unit_or_next(const tuntap_flavor* flavor, uint32 number)
{
	tuntap_unit* unit = (tuntap_unit*)list_get_first_item(&sUnits);
	while (unit != NULL && unit_before(unit, flavor, number))
		unit = (tuntap_unit*)list_get_next_item(&sUnits, unit);
	return unit;
}


static tuntap_unit*
find_unit(const tuntap_flavor* flavor, uint32 number)
{
	tuntap_unit* unit = find_unit_or_next(flavor, number);
	return unit_is(unit, flavor, number) ? unit : NULL;
}


static void
init_device_fields(tuntap_unit* unit, const char* name)
{
	const tuntap_flavor* flavor = unit->flavor;
	net_device* device = &unit->device;
	strlcpy(device->name, name, sizeof(device->name));
	device->mtu = TUNTAP_DEFAULT_MTU;
	device->media = IFM_ACTIVE;
	device->type = flavor->if_type;
	device->flags = flavor->if_flags;
	device->header_length = flavor->link_header;
	device->address.length = flavor->address_length;
	if (flavor->address_length != 0) {
		/* a MAC drawn at random, as Haiku's own tunnel driver does: one made from the unit
		 * number would be the same on every host, so two hosts bridged over a VPN, or the two
		 * ends of a Haiku-to-Haiku TAP tunnel, would share it. Group bit clear (unicast), local
		 * bit set (locally administered). TUNTAP_SET_HWADDR replaces it. */
		uint8* mac = device->address.data;
		for (size_t i = 0; i < flavor->address_length; i += sizeof(uint32)) {
			uint32 random = secure_random_value();
			size_t bytes = min_c(sizeof(random), flavor->address_length - i);
			memcpy(mac + i, &random, bytes);
		}
		mac[0] = (uint8)((mac[0] & ~0x01) | 0x02);
	}
}


/* reserved by any thread other than `except` (-1: any thread at all); sUnitsLock held */
static bool
is_reserved(const tuntap_flavor* flavor, uint32 number, thread_id except)
{
	number_reservation* reservation = NULL;
	while ((reservation = (number_reservation*)list_get_next_item(&sReservations, reservation))
		   != NULL) {
		if (reservation->flavor == flavor && reservation->number == number
			&& reservation->owner != except)
			return true;
	}
	return false;
}


/* frees a unit that is not (or no longer) listed or published */
static void
destroy_unit(tuntap_unit* unit)
{
	packet_queue_flush(&unit->to_app);
	packet_queue_flush(&unit->to_stack);
	tuntap_wait_queue_destroy(&unit->stack_waiters);
	if (unit->select_pool != NULL)
		delete_select_sync_pool(unit->select_pool);
	mutex_destroy(&unit->lock);
	free(unit);
}


status_t
tuntap_unit_create(const char* name, tuntap_unit** _unit)
{
	const tuntap_flavor* flavor;
	uint32 number;
	status_t status = tuntap_parse_name(name, &flavor, &number);
	if (status != B_OK)
		return status;

	tuntap_unit* unit = (tuntap_unit*)calloc(1, sizeof(tuntap_unit));
	if (unit == NULL)
		return B_NO_MEMORY;

	unit->flavor = flavor;
	unit->number = number;
	unit->ref_count = 1;
	unit->stack_waiters.sem = -1;
	/* strlcat, not snprintf: a fuzzer creates units by the million (a parsed name fits) */
	strlcpy(unit->lock_name, "tuntap unit ", sizeof(unit->lock_name));
	strlcat(unit->lock_name, name, sizeof(unit->lock_name));
	mutex_init(&unit->lock, unit->lock_name);
	packet_queue_init(&unit->to_app, TUNTAP_DEFAULT_QUEUE_PACKETS, TUNTAP_DEFAULT_QUEUE_BYTES);
	packet_queue_init(&unit->to_stack, TUNTAP_DEFAULT_QUEUE_PACKETS, TUNTAP_DEFAULT_QUEUE_BYTES);
	init_device_fields(unit, name);

	if ((status = tuntap_wait_queue_init(&unit->stack_waiters, "tuntap stack")) != B_OK) {
		destroy_unit(unit);
		return status;
	}

	/* A number a clone open reserved is created only by that open (the stack runs init_device
	 * in the thread asking for the interface): a concurrent ifconfig of the same name loses. */
	mutex_lock(&sUnitsLock);
	tuntap_unit* next = find_unit_or_next(flavor, number);
	if (unit_is(next, flavor, number) || is_reserved(flavor, number, find_thread(NULL))) {
		mutex_unlock(&sUnitsLock);
		destroy_unit(unit);
		return B_NAME_IN_USE;
	}
	if (next != NULL)
		list_insert_item_before(&sUnits, next, unit);
	else
		list_add_item(&sUnits, unit);
	atomic_add(&sUnitCount, 1);
	mutex_unlock(&sUnitsLock);

	/* Listed but not yet published: the number is taken, nobody can open it yet. devfs is
	 * called without our locks held, as it may call back into our hooks. */
	status = devfs_publish_device(name, sDeviceHooks);

	mutex_lock(&sUnitsLock);
	if (status != B_OK) {
		list_remove_item(&sUnits, unit);
		atomic_add(&sUnitCount, -1);
		mutex_unlock(&sUnitsLock);
		destroy_unit(unit);
		return status;
	}
	unit->published = true;
	mutex_unlock(&sUnitsLock);

	*_unit = unit;
	return B_OK;
}


void
tuntap_unit_revoke(tuntap_unit* unit)
{
	mutex_lock(&sUnitsLock);
	list_remove_item(&sUnits, unit);
	unit->published = false;
	mutex_unlock(&sUnitsLock);

	struct list dropped;
	packet_queue_init_detached(&dropped);
	mutex_lock(&unit->lock);
	unit->gone = true;
	unit->up = false;
	packet_queue_detach(&unit->to_app, &dropped);
	packet_queue_detach(&unit->to_stack, &dropped);
	tuntap_wake_readers(unit, true);
	tuntap_wake_writers(unit, true);
	tuntap_wait_queue_wake(&unit->stack_waiters, true);
	if (unit->select_pool != NULL)
		notify_select_event_pool(unit->select_pool, B_SELECT_DISCONNECTED);
	mutex_unlock(&unit->lock);
	packet_queue_free_detached(&dropped);

	/* The name disappears now; a descriptor still open keeps the unit (and our hooks) alive
	 * and gets B_DEVICE_NOT_FOUND until it is closed. */
	status_t status = devfs_unpublish_device(unit->device.name, false);
	if (status != B_OK)
		dprintf("tuntap: unpublishing %s failed: %" B_PRId32 "\n", unit->device.name, status);

	tuntap_unit_put(unit);
}


tuntap_unit*
tuntap_unit_get(const char* name)
{
	const tuntap_flavor* flavor;
	uint32 number;
	if (tuntap_parse_name(name, &flavor, &number) != B_OK)
		return NULL;

	mutex_lock(&sUnitsLock);
	tuntap_unit* unit = find_unit(flavor, number);
	if (unit != NULL && unit->published)
		tuntap_unit_ref(unit);
	else
		unit = NULL;
	mutex_unlock(&sUnitsLock);
	return unit;
}


void
tuntap_unit_ref(tuntap_unit* unit)
{
	atomic_add(&unit->ref_count, 1);
}


void
tuntap_unit_put(tuntap_unit* unit)
{
	if (atomic_add(&unit->ref_count, -1) != 1)
		return;

	destroy_unit(unit);
	atomic_add(&sUnitCount, -1);
}


status_t
tuntap_reserve_number(const tuntap_flavor* flavor, uint32* _number)
{
	number_reservation* reservation = (number_reservation*)malloc(sizeof(number_reservation));
	if (reservation == NULL)
		return B_NO_MEMORY;

	mutex_lock(&sUnitsLock);
	uint32 candidate = 0;
	tuntap_unit* unit = find_unit_or_next(flavor, 0);
	while (candidate <= TUNTAP_MAX_UNIT) {
		while (unit != NULL && unit->flavor == flavor && unit->number < candidate)
			unit = (tuntap_unit*)list_get_next_item(&sUnits, unit);
		if (unit_is(unit, flavor, candidate) || is_reserved(flavor, candidate, -1)) {
			candidate++;
			continue;
		}
		break;
	}
	if (candidate > TUNTAP_MAX_UNIT) {
		mutex_unlock(&sUnitsLock);
		free(reservation);
		return B_BUSY;
	}

	reservation->flavor = flavor;
	reservation->number = candidate;
	reservation->owner = find_thread(NULL);
	list_add_item(&sReservations, reservation);
	mutex_unlock(&sUnitsLock);

	*_number = candidate;
	return B_OK;
}


void
tuntap_unreserve_number(const tuntap_flavor* flavor, uint32 number)
{
	mutex_lock(&sUnitsLock);
	number_reservation* reservation = NULL;
	while ((reservation = (number_reservation*)list_get_next_item(&sReservations, reservation))
		   != NULL) {
		if (reservation->flavor == flavor && reservation->number == number) {
			list_remove_item(&sReservations, reservation);
			break;
		}
	}
	mutex_unlock(&sUnitsLock);
	free(reservation);
}
