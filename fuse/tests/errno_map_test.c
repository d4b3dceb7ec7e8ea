/* tools/test-tools.sh's check of fuse/errno_map.c: the errno a FUSE reply carries for each status
 * the driver, Haiku's tunnel.cpp or the shim return, and, given Haiku's Errors.h, for every code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <Errors.h>

#include "errno_map.h"
#include "shim.h"

static int sFailed;
static int sChecked;

static void
expect(status_t status, int error, const char* what)
{
	int got = status_to_errno(status);
	sChecked++;
	if (got != error) {
		printf("errno_map: %s (%#x): %d (%s), expected %d (%s)\n", what, (unsigned)status, got,
			strerror(got), error, strerror(error));
		sFailed++;
	}
}

/* HAIKU_ERRNO_LIST: lines { status, errno or 0 when Linux lacks the name, "NAME" }, made by
 * test-tools.sh from Haiku's Errors.h: every POSIX name Haiku defines */
struct haiku_code {
	status_t status;
	int error;
	const char* name;
};
#ifdef HAIKU_ERRNO_LIST
static const struct haiku_code kHaiku[] = {
#include HAIKU_ERRNO_LIST
};
#endif

/* the codes the driver, Haiku's tunnel.cpp and the shim return, and some that must stay EIO */
static const struct haiku_code kFixed[] = {
	/* what the stack's full fifo says (tunnel_write's fifo_enqueue_buffer): socat must say "No
	 * buffer space available", not "Input/output error" */
	{B_POSIX_ERROR_BASE + 35, ENOBUFS, "ENOBUFS"},
	{B_DEVICE_NOT_FOUND, ENODEV, "B_DEVICE_NOT_FOUND"},
	{B_NOT_SUPPORTED, EOPNOTSUPP, "B_NOT_SUPPORTED"},
	{B_BUFFER_OVERFLOW, EOVERFLOW, "B_BUFFER_OVERFLOW"},
	{SHIM_ENOTTY, ENOTTY, "SHIM_ENOTTY"},
	{B_DEV_INVALID_IOCTL, ENOTTY, "B_DEV_INVALID_IOCTL"},
	{B_POSIX_ERROR_BASE + 11, ENXIO, "ENXIO (load_driver's failed init)"},
	{B_POSIX_ERROR_BASE + 24, ENETDOWN, "ENETDOWN"},
	{B_POSIX_ERROR_BASE + 42, EMSGSIZE, "EMSGSIZE"},
	/* tunnel.cpp's EEXIST, ENAMETOOLONG, ENOSPC, EBUSY: Haiku defines them as B_ codes */
	{B_FILE_EXISTS, EEXIST, "B_FILE_EXISTS"},
	{B_NAME_TOO_LONG, ENAMETOOLONG, "B_NAME_TOO_LONG"},
	{B_DEVICE_FULL, ENOSPC, "B_DEVICE_FULL"},
	{B_BUSY, EBUSY, "B_BUSY"},
	{B_WOULD_BLOCK, EAGAIN, "B_WOULD_BLOCK"},
	{B_INTERRUPTED, EINTR, "B_INTERRUPTED"},
	{B_NO_MEMORY, ENOMEM, "B_NO_MEMORY"},
	{B_BAD_VALUE, EINVAL, "B_BAD_VALUE"},
	{B_BAD_DATA, EINVAL, "B_BAD_DATA"},
	{B_NAME_IN_USE, EEXIST, "B_NAME_IN_USE"},
	{B_TIMED_OUT, ETIMEDOUT, "B_TIMED_OUT"},
	/* EIO stays for what has no errno: Haiku's EFPOS, ESIGPARM, ENOATTR, past the range, others */
	{B_POSIX_ERROR_BASE + 14, EIO, "EFPOS"},
	{B_POSIX_ERROR_BASE + 60, EIO, "ENOATTR"},
	{B_POSIX_ERROR_BASE + 64, EIO, "past Haiku's last POSIX code"},
	{B_POSIX_ERROR_BASE - 1, EIO, "below the POSIX range"},
	{B_ERROR, EIO, "B_ERROR"},
	{B_BAD_SEM_ID, EIO, "B_BAD_SEM_ID"},
	{1, EIO, "a positive value"},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(kFixed) / sizeof(kFixed[0]); i++)
		expect(kFixed[i].status, kFixed[i].error, kFixed[i].name);
	int fromHaiku = 0;
#ifdef HAIKU_ERRNO_LIST
	for (size_t i = 0; i < sizeof(kHaiku) / sizeof(kHaiku[0]); i++) {
		expect(kHaiku[i].status, kHaiku[i].error != 0 ? kHaiku[i].error : EIO, kHaiku[i].name);
		fromHaiku++;
	}
#endif
	printf("errno_map: %d checked (%d from Haiku's Errors.h), %d wrong\n", sChecked, fromHaiku,
		sFailed);
	return sFailed != 0;
}
