// A reader blocked in read() on a device file until SIGINT, for make e2e's ctrl+c check: read()
// must fail with EINTR (when: printed), and the descriptor must still work afterwards.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sGotSignal;


static void
on_sigint(int sig)
{
	(void)sig;
	sGotSignal = 1;
}


int
main(int argc, char** argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: blocked_read DEVICE_FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("blocked_read: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_sigint; // no SA_RESTART: the interrupted read() must return EINTR
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	printf("blocked_read: reading %s\n", argv[1]);
	fflush(stdout);

	static char buffer[65536];
	ssize_t n = read(fd, buffer, sizeof(buffer));
	int error = errno;
	struct timespec now; // wall clock: the script compares it with the moment it sent SIGINT
	clock_gettime(CLOCK_REALTIME, &now);
	if (n >= 0) {
		printf("blocked_read: read returned %zd bytes instead of blocking\n", n);
		return 1;
	}
	if (error != EINTR || !sGotSignal) {
		printf("blocked_read: read failed with %s (signal %s)\n", strerror(error),
			sGotSignal ? "received" : "not received");
		return 1;
	}
	// seen now, should the non-blocking read below block (Haiku's tunnel.cpp ignores O_NONBLOCK)
	printf("blocked_read: EINTR; a non-blocking read next\n");
	fflush(stdout);
	// the descriptor keeps working: a non-blocking read finds nothing queued, or a packet
	if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		printf("blocked_read: fcntl O_NONBLOCK: %s\n", strerror(errno));
		return 1;
	}
	n = read(fd, buffer, sizeof(buffer));
	if (n < 0 && errno != EAGAIN) {
		printf("blocked_read: EINTR, but then the descriptor fails: %s\n", strerror(errno));
		return 1;
	}
	if (close(fd) != 0) {
		printf("blocked_read: close: %s\n", strerror(errno));
		return 1;
	}
	printf("blocked_read: EINTR at %lld.%09ld, then a non-blocking read: %s\n",
		(long long)now.tv_sec, now.tv_nsec, n < 0 ? "EAGAIN" : "a packet");
	return 0;
}
