/* Attaching to an existing Linux TUN/TAP device through /dev/net/tun (IFF_NO_PI, non-blocking):
 * the Linux end of the bridge and of the bare packet files. */
#include "tuntapfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
linuxtun_open(const char* name, bool tap, char* error, size_t errorSize)
{
	if (strlen(name) >= IFNAMSIZ) {
		snprintf(error, errorSize, "%s: name too long", name);
		return -EINVAL;
	}
	/* attach only: TUNSETIFF would quietly create a missing device */
	if (if_nametoindex(name) == 0) {
		snprintf(error, errorSize, "%s: no such Linux device (ip tuntap add %s mode %s)", name,
			name, tap ? "tap" : "tun");
		return -ENODEV;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		snprintf(error, errorSize, "/dev/net/tun: %s", strerror(err));
		return -err;
	}
	struct ifreq request;
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", name);
	request.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
	if (ioctl(fd, TUNSETIFF, &request) != 0) {
		int err = errno;
		snprintf(error, errorSize, "%s: TUNSETIFF (%s, no PI): %s%s", name, tap ? "tap" : "tun",
			strerror(err), err == EINVAL ? " (is it a TUN/TAP device of that mode?)" : "");
		close(fd);
		return -err;
	}
	return fd;
}

ssize_t
linuxtun_read_frame(int fd, int stop, void* buffer, size_t size)
{
	struct pollfd fds[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (fds[1].revents != 0)
			return 0;
		if (fds[0].revents == 0)
			continue;
		ssize_t length = read(fd, buffer, size);
		if (length > 0)
			return length;
		if (length == 0)
			return -EIO;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}
