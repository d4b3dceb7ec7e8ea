/* A unit's readiness and who hears of it: the predicates read, write and select share, the
 * selector notifications of their transitions, and waking the open descriptor's blocked threads. */

#include "tuntap_private.h"


bool
tuntap_readable(const tuntap_unit* unit)
{
	return !unit->gone && unit->to_app.count > 0;
}


bool
tuntap_writable(const tuntap_unit* unit)
{
	/* a write of any valid length is accepted now: dropped while down, queued while up */
	if (unit->gone)
		return false;
	return !unit->up || packet_queue_has_room(&unit->to_stack, tuntap_max_write(unit));
}


void
tuntap_notify_transitions(tuntap_unit* unit, bool wasReadable, bool wasWritable)
{
	if (unit->select_pool == NULL)
		return;
	if (!wasReadable && tuntap_readable(unit))
		notify_select_event_pool(unit->select_pool, B_SELECT_READ);
	if (!wasWritable && tuntap_writable(unit))
		notify_select_event_pool(unit->select_pool, B_SELECT_WRITE);
}


void
tuntap_wake_readers(tuntap_unit* unit, bool all)
{
	if (unit->owner != NULL)
		tuntap_wait_queue_wake(&unit->owner->read_waiters, all);
}


void
tuntap_wake_writers(tuntap_unit* unit, bool all)
{
	if (unit->owner != NULL)
		tuntap_wait_queue_wake(&unit->owner->write_waiters, all);
}
