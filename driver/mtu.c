/* MTU changes: a descriptor's go through the stack (SIOCSIFMTU, as ifconfig's do, so the stack
 * tells the network monitors), which calls the set_mtu hook; the hook's checks and guard. */

#include "tuntap_private.h"

#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sockio.h>

/* One descriptor's MTU request on its way through the stack (on the caller's stack). */
typedef struct mtu_request {
	struct list_link link;
	thread_id thread;
	const tuntap_unit* unit;
	bool reached; /* the stack called our hook for it */
} mtu_request;

static mutex sRequestsLock = MUTEX_INITIALIZER("tuntap mtu requests");
static struct list sRequests; /* mtu_request */


void
tuntap_mtu_init(void)
{
	list_init_etc(&sRequests, offsetof(mtu_request, link));
}


/* The stack finds the interface by name. Between a descriptor's check that its unit lives and
 * the stack's lookup, the unit can be deleted and a new one created with the same name: the
 * calling thread's request then names another unit than the hook is called for. */
static bool
request_is_for_another_unit(const tuntap_unit* unit)
{
	thread_id self = find_thread(NULL);
	bool other = false;
	mutex_lock(&sRequestsLock);
	mtu_request* request = NULL;
	while ((request = (mtu_request*)list_get_next_item(&sRequests, request)) != NULL) {
		if (request->thread == self) {
			other = request->unit != unit;
			request->reached = true;
		}
	}
	mutex_unlock(&sRequestsLock);
	return other;
}


/* unit lock held */
static status_t
set_mtu_locked(tuntap_unit* unit, size_t mtu)
{
	if (mtu < TUNTAP_MIN_MTU || mtu > TUNTAP_MAX_MTU
		|| mtu + tuntap_header_length(unit) > unit->to_stack.max_bytes)
		return B_BAD_VALUE;

	bool wasWritable = tuntap_writable(unit);
	unit->device.mtu = mtu;
	tuntap_notify_transitions(unit, tuntap_readable(unit), wasWritable);
	return B_OK;
}


status_t
tuntap_set_mtu(tuntap_unit* unit, size_t mtu)
{
	if (request_is_for_another_unit(unit))
		return B_DEVICE_NOT_FOUND;
	mutex_lock(&unit->lock);
	status_t status = unit->gone ? B_DEVICE_NOT_FOUND : set_mtu_locked(unit, mtu);
	mutex_unlock(&unit->lock);
	return status;
}


status_t
tuntap_stack_set_mtu(tuntap_unit* unit, uint32 mtu)
{
	net_domain* domain = gStackModule->get_domain(AF_INET);
	if (domain == NULL)
		return B_NOT_SUPPORTED;

	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, unit->device.name, sizeof(ifr.ifr_name));
	ifr.ifr_mtu = (int)min_c(mtu, (uint32)TUNTAP_MAX_MTU + 1);
	size_t length = sizeof(ifr);

	mtu_request request = {.thread = find_thread(NULL), .unit = unit};
	mutex_lock(&sRequestsLock);
	list_add_item(&sRequests, &request);
	mutex_unlock(&sRequestsLock);

	/* no driver lock held: the stack calls our set_mtu hook, which takes the unit lock */
	status_t status = gDatalinkModule->control(domain, SIOCSIFMTU, &ifr, &length);

	mutex_lock(&sRequestsLock);
	list_remove_item(&sRequests, &request);
	mutex_unlock(&sRequestsLock);

	/* The stack no longer knows the name (its B_BAD_VALUE, our hook never reached: the interface
	 * is deleted, the unit about to go), or the hook found the unit gone */
	if (status == B_BAD_VALUE && !request.reached)
		status = B_DEVICE_NOT_FOUND;
	mutex_lock(&unit->lock);
	if (unit->gone)
		status = B_DEVICE_NOT_FOUND;
	mutex_unlock(&unit->lock);
	return status;
}
