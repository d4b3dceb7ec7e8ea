/* Haiku status -> Linux errno for the daemon's FUSE replies and control messages: Haiku's B_ codes
 * that have a POSIX meaning, and the whole B_POSIX_ERROR_BASE + n range, from two tables. */
#include "errno_map.h"

#include <errno.h>

#include <Errors.h>

#include "shim.h"

/* Haiku codes outside the POSIX range that user space sees as a POSIX errno: Haiku's Errors.h
 * defines those errno names as these B_ codes (EAGAIN is B_WOULD_BLOCK, ENOSPC B_DEVICE_FULL) */
static const struct {
	status_t status;
	int error;
} kHaikuCodes[] = {
	{B_NO_MEMORY, ENOMEM},
	{B_IO_ERROR, EIO},
	{B_PERMISSION_DENIED, EACCES},
	{B_BAD_VALUE, EINVAL},
	{B_BAD_DATA, EINVAL}, /* no errno of its own in Haiku: a malformed frame or argument */
	{B_NAME_IN_USE, EEXIST},
	{B_TIMED_OUT, ETIMEDOUT},
	{B_INTERRUPTED, EINTR},
	{B_WOULD_BLOCK, EAGAIN},
	{B_BUSY, EBUSY},
	{B_NOT_ALLOWED, EPERM},
	{B_BAD_ADDRESS, EFAULT},
	{B_FILE_ERROR, EBADF},
	{B_FILE_EXISTS, EEXIST},
	{B_ENTRY_NOT_FOUND, ENOENT},
	{B_NAME_TOO_LONG, ENAMETOOLONG},
	{B_DEVICE_FULL, ENOSPC},
	/* the hook's "no such ioctl"; Haiku's fd layer hands it on as ENOTTY (fd.cpp, fd_ioctl) */
	{B_DEV_INVALID_IOCTL, ENOTTY},
};

/* Haiku's POSIX codes, B_POSIX_ERROR_BASE + index (Haiku's Errors.h numbers them 0..63), as the
 * Linux errno of the same name; 0: Linux has none (EFPOS, ESIGPARM, ENOATTR), so EIO. Among them
 * the stack's ENOBUFS (a full fifo: base_fifo_enqueue_buffer), ENODEV (B_DEVICE_NOT_FOUND),
 * ENOTTY (SHIM_ENOTTY), ENXIO, EOVERFLOW (B_BUFFER_OVERFLOW), EOPNOTSUPP (B_NOT_SUPPORTED). */
static const int kPosixCodes[64] = {
	[0] = ENOMEM,
	[1] = E2BIG,
	[2] = ECHILD,
	[3] = EDEADLK,
	[4] = EFBIG,
	[5] = EMLINK,
	[6] = ENFILE,
	[7] = ENODEV,
	[8] = ENOLCK,
	[9] = ENOSYS,
	[10] = ENOTTY,
	[11] = ENXIO,
	[12] = ESPIPE,
	[13] = ESRCH,
	[16] = EDOM,
	[17] = ERANGE,
	[18] = EPROTOTYPE,
	[19] = EPROTONOSUPPORT,
	[20] = EPFNOSUPPORT,
	[21] = EAFNOSUPPORT,
	[22] = EADDRINUSE,
	[23] = EADDRNOTAVAIL,
	[24] = ENETDOWN,
	[25] = ENETUNREACH,
	[26] = ENETRESET,
	[27] = ECONNABORTED,
	[28] = ECONNRESET,
	[29] = EISCONN,
	[30] = ENOTCONN,
	[31] = ESHUTDOWN,
	[32] = ECONNREFUSED,
	[33] = EHOSTUNREACH,
	[34] = ENOPROTOOPT,
	[35] = ENOBUFS,
	[36] = EINPROGRESS,
	[37] = EALREADY,
	[38] = EILSEQ,
	[39] = ENOMSG,
	[40] = ESTALE,
	[41] = EOVERFLOW,
	[42] = EMSGSIZE,
	[43] = EOPNOTSUPP,
	[44] = ENOTSOCK,
	[45] = EHOSTDOWN,
	[46] = EBADMSG,
	[47] = ECANCELED,
	[48] = EDESTADDRREQ,
	[49] = EDQUOT,
	[50] = EIDRM,
	[51] = EMULTIHOP,
	[52] = ENODATA,
	[53] = ENOLINK,
	[54] = ENOSR,
	[55] = ENOSTR,
	[56] = ENOTSUP,
	[57] = EPROTO,
	[58] = ETIME,
	[59] = ETXTBSY,
	[61] = ENOTRECOVERABLE,
	[62] = EOWNERDEAD,
	[63] = ESOCKTNOSUPPORT,
};

_Static_assert(B_DEVICE_NOT_FOUND == B_POSIX_ERROR_BASE + 7
				   && SHIM_ENOTTY == B_POSIX_ERROR_BASE + 10
				   && B_NOT_SUPPORTED == B_POSIX_ERROR_BASE + 43,
	"the shim's POSIX-based codes are where the table has them");

int
status_to_errno(status_t status)
{
	for (size_t i = 0; i < sizeof(kHaikuCodes) / sizeof(kHaikuCodes[0]); i++) {
		if (kHaikuCodes[i].status == status)
			return kHaikuCodes[i].error;
	}
	/* int64: status - base cannot overflow, whatever status is */
	int64_t index = (int64_t)status - B_POSIX_ERROR_BASE;
	if (index >= 0 && index < (int64_t)(sizeof(kPosixCodes) / sizeof(kPosixCodes[0]))
		&& kPosixCodes[index] != 0)
		return kPosixCodes[index];
	return EIO;
}
