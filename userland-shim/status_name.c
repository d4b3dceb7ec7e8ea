/* shim_status_name(): the B_* name of a status for messages, one table for the tests, the fuzz
 * harnesses, the stress suite and the daemon; other values print as a count or an error number. */
#include "shim.h"

#include <stdio.h>

#include <Errors.h>

struct status_entry {
	status_t status;
	const char* name;
};

static const struct status_entry kStatusNames[] = {
	{B_OK, "B_OK"},
	{B_ERROR, "B_ERROR"},
	{B_NO_MEMORY, "B_NO_MEMORY"},
	{B_BAD_VALUE, "B_BAD_VALUE"},
	{B_NAME_IN_USE, "B_NAME_IN_USE"},
	{B_TIMED_OUT, "B_TIMED_OUT"},
	{B_INTERRUPTED, "B_INTERRUPTED"},
	{B_WOULD_BLOCK, "B_WOULD_BLOCK"},
	{B_BUSY, "B_BUSY"},
	{B_NOT_ALLOWED, "B_NOT_ALLOWED"},
	{B_BAD_DATA, "B_BAD_DATA"},
	{B_BAD_SEM_ID, "B_BAD_SEM_ID"},
	{B_NO_MORE_SEMS, "B_NO_MORE_SEMS"},
	{B_BAD_THREAD_ID, "B_BAD_THREAD_ID"},
	{B_NO_MORE_THREADS, "B_NO_MORE_THREADS"},
	{B_BAD_ADDRESS, "B_BAD_ADDRESS"},
	{B_FILE_ERROR, "B_FILE_ERROR"},
	{B_FILE_EXISTS, "B_FILE_EXISTS"},
	{B_ENTRY_NOT_FOUND, "B_ENTRY_NOT_FOUND"},
	{B_NAME_TOO_LONG, "B_NAME_TOO_LONG"},
	{B_NOT_SUPPORTED, "B_NOT_SUPPORTED"},
	{B_DEV_INVALID_IOCTL, "B_DEV_INVALID_IOCTL"},
	{SHIM_ENOTTY, "ENOTTY"},
	{SHIM_ENOBUFS, "ENOBUFS"},
	{B_DEVICE_NOT_FOUND, "B_DEVICE_NOT_FOUND"},
};

const char*
shim_status_name(int64 status)
{
	for (size_t i = 0; i < sizeof(kStatusNames) / sizeof(kStatusNames[0]); i++) {
		if (kStatusNames[i].status == status)
			return kStatusNames[i].name;
	}
	static __thread char buffer[32];
	snprintf(buffer, sizeof(buffer), status < 0 ? "error %lld" : "%lld", (long long)status);
	return buffer;
}
