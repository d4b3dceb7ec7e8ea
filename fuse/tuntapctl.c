/* tuntapctl: the command-line client of tuntapfs's control socket (create, up, down, delete,
 * list, bridge, unbridge, leaks, addr): sends one command line, prints the reply. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_WAIT_MS 3000
#define REPLY_MAX (1024 * 1024)

static void
usage(void)
{
	fprintf(stderr,
		"usage: tuntapctl --control SOCKET COMMAND [ARGS]\n"
		"  create tun/N|tap/N|tun|tap   create an interface (tun, tap: the next free unit);\n"
		"                               prints its name\n"
		"  up NAME | down NAME\n"
		"  delete NAME                  prints \"NAME deleted in T us\"\n"
		"  list                         interfaces, state, the driver's counters, bridge\n"
		"  bridge NAME LINUXDEV         attach the stack side to an existing Linux TAP/TUN\n"
		"  unbridge NAME\n"
		"  addr NAME A.B.C.D            the stack peer answers ARP for this address\n"
		"  leaks                        the shim's live-object counts\n");
	exit(2);
}

/* connect, retrying while the daemon is still starting (no socket yet, or not listening) */
static int
connect_control(const char* path)
{
	struct sockaddr_un address;
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "tuntapctl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	for (int waited = 0;; waited += 50) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("tuntapctl: socket");
			return -1;
		}
		if (connect(fd, (struct sockaddr*)&address, sizeof(address)) == 0)
			return fd;
		int err = errno;
		close(fd);
		struct stat info;
		if (err == ECONNREFUSED && stat(path, &info) == 0 && !S_ISSOCK(info.st_mode)) {
			fprintf(stderr, "tuntapctl: %s is not a socket (tuntapfs --control makes one)\n", path);
			return -2;
		}
		if ((err != ENOENT && err != ECONNREFUSED) || waited >= CONNECT_WAIT_MS) {
			fprintf(stderr, "tuntapctl: %s: %s (is tuntapfs running?)\n", path, strerror(err));
			return -1;
		}
		struct timespec pause = {0, 50 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
}

int
main(int argc, char** argv)
{
	if (argc < 4 || strcmp(argv[1], "--control") != 0)
		usage();
	char line[512];
	size_t used = 0;
	for (int i = 3; i < argc; i++) {
		int wrote = snprintf(line + used, sizeof(line) - used, "%s%s", i > 3 ? " " : "", argv[i]);
		if (wrote < 0 || (size_t)wrote >= sizeof(line) - used - 1) {
			fprintf(stderr, "tuntapctl: command too long\n");
			return 2;
		}
		used += (size_t)wrote;
	}
	line[used++] = '\n';

	/* a connection the daemon closed is a write error (exit 1), not a silent death */
	signal(SIGPIPE, SIG_IGN);
	int fd = connect_control(argv[2]);
	if (fd < 0)
		return fd == -2 ? 2 : 1;
	if (write(fd, line, used) != (ssize_t)used) {
		perror("tuntapctl: write");
		return 1;
	}
	shutdown(fd, SHUT_WR);
	char* reply = malloc(REPLY_MAX + 1);
	size_t length = 0;
	while (reply != NULL && length < REPLY_MAX) {
		ssize_t got = read(fd, reply + length, REPLY_MAX - length);
		if (got <= 0)
			break;
		length += (size_t)got;
	}
	close(fd);
	if (reply == NULL || length == 0) {
		fprintf(stderr, "tuntapctl: no reply from the daemon\n");
		free(reply);
		return 1;
	}
	reply[length] = '\0';
	if (reply[length - 1] == '\n')
		reply[--length] = '\0';
	/* the last line is the status: OK or ERR message */
	char* last = strrchr(reply, '\n');
	char* status = last != NULL ? last + 1 : reply;
	if (last != NULL)
		fwrite(reply, 1, (size_t)(last - reply) + 1, stdout);
	int result = 0;
	if (strncmp(status, "ERR usage: ", 11) == 0) {
		/* the command itself was wrong: bad usage, as a wrong command line */
		fprintf(stderr, "tuntapctl: %s\n", status + 11);
		result = 2;
	} else if (strncmp(status, "ERR ", 4) == 0) {
		fprintf(stderr, "tuntapctl: %s\n", status + 4);
		result = 1;
	} else if (strcmp(status, "OK") != 0) {
		fprintf(stderr, "tuntapctl: bad reply: %s\n", status);
		result = 1;
	}
	free(reply);
	return result;
}
