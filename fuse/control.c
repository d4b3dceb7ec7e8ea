/* The control socket: a unix stream socket taking one command line per connection ("ifconfig"
 * on the daemon's stack, bridges, leak counts); the reply is text lines, then "OK" or "ERR ...". */
#include "tuntapfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tuntap.h"

#define LINE_MAX_LENGTH 512
#define IF_LIST_MAX 1024
#define IFF_UP_FLAG 0x0001      /* Haiku's IFF_UP */
#define CLIENT_DEADLINE_MS 5000 /* to send the command line; as long again to take the reply */
#define CLIENT_SEND_TIMEOUT_S 2 /* each write of the reply */

static int sListen = -1;
static int sSessionFd = -1;
static int sStopPipe[2] = {-1, -1};
static char sPath[108];
static pthread_t sThread;
static bool sStarted;

struct reply {
	char* text;
	size_t length, capacity;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
reply_add(struct reply* reply, const char* format, ...)
{
	char line[LINE_MAX_LENGTH * 2];
	va_list args;
	va_start(args, format);
	int length = vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	if (length < 0)
		return;
	if ((size_t)length >= sizeof(line))
		length = sizeof(line) - 1;
	if (reply->length + (size_t)length + 2 > reply->capacity) {
		size_t capacity = (reply->capacity + (size_t)length + 2) * 2;
		char* text = realloc(reply->text, capacity);
		if (text == NULL)
			return;
		reply->text = text;
		reply->capacity = capacity;
	}
	memcpy(reply->text + reply->length, line, (size_t)length);
	reply->length += (size_t)length;
	reply->text[reply->length++] = '\n';
}

static void __attribute__((format(printf, 2, 3)))
reply_error(struct reply* reply, const char* format, ...)
{
	char line[LINE_MAX_LENGTH];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	reply_add(reply, "ERR %s", line);
	reply->failed = true;
}

static const char*
status_text(status_t status)
{
	return strerror(status_to_errno(status));
}

/* "tun/N" or "tap/N", N without leading zeros */
static bool
valid_name(const char* name)
{
	if (strncmp(name, "tun/", 4) != 0 && strncmp(name, "tap/", 4) != 0)
		return false;
	const char* unit = name + 4;
	size_t length = strlen(unit);
	if (length == 0 || length > 5 || (unit[0] == '0' && length > 1))
		return false;
	for (size_t i = 0; i < length; i++) {
		if (unit[i] < '0' || unit[i] > '9')
			return false;
	}
	return strtoul(unit, NULL, 10) <= TUNTAP_MAX_UNIT;
}

static bool
need_name(struct reply* reply, const char* command, const char* name)
{
	if (name == NULL) {
		reply_error(reply, "usage: %s: missing interface name (tun/N or tap/N)", command);
		return false;
	}
	if (!valid_name(name)) {
		reply_error(reply, "usage: %s: %s is not tun/N or tap/N (N: 0..%d, no leading zero)",
			command, name, TUNTAP_MAX_UNIT);
		return false;
	}
	return true;
}


/* ---- commands ------------------------------------------------------------------------------ */

static void
command_create(struct reply* reply, const char* name)
{
	if (name != NULL && (strcmp(name, "tun") == 0 || strcmp(name, "tap") == 0)) {
		char candidate[SHIM_IF_NAME_LENGTH];
		for (unsigned unit = 0; unit <= TUNTAP_MAX_UNIT; unit++) {
			snprintf(candidate, sizeof(candidate), "%s/%u", name, unit);
			if (shim_if_exists(candidate))
				continue;
			status_t status = shim_if_create(candidate);
			if (status == B_OK) {
				reply_add(reply, "%s", candidate);
				return;
			}
			if (status != B_NAME_IN_USE && status != B_BUSY) {
				reply_error(reply, "create %s: %s", candidate, status_text(status));
				return;
			}
		}
		reply_error(reply, "create %s: no free unit", name);
		return;
	}
	if (!need_name(reply, "create", name))
		return;
	if (shim_if_exists(name)) {
		reply_error(reply, "create %s: exists already", name);
		return;
	}
	status_t status = shim_if_create(name);
	if (status != B_OK)
		reply_error(reply, "create %s: %s", name, status_text(status));
	else
		reply_add(reply, "%s", name);
}

static void
command_up_down(struct reply* reply, const char* command, const char* name, bool up)
{
	if (!need_name(reply, command, name))
		return;
	if (!shim_if_exists(name)) {
		reply_error(reply, "%s %s: no such interface", command, name);
		return;
	}
	status_t status = up ? shim_if_up(name) : shim_if_down(name);
	if (status != B_OK)
		reply_error(reply, "%s %s: %s", command, name, status_text(status));
}

static void
command_delete(struct reply* reply, const char* name)
{
	if (!need_name(reply, "delete", name))
		return;
	if (!shim_if_exists(name)) {
		reply_error(reply, "delete %s: no such interface", name);
		return;
	}
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	status_t status = shim_if_delete(name);
	clock_gettime(CLOCK_MONOTONIC, &end);
	long long micros =
		(long long)(end.tv_sec - start.tv_sec) * 1000000 + (end.tv_nsec - start.tv_nsec) / 1000;
	if (status != B_OK)
		reply_error(reply, "delete %s: %s", name, status_text(status));
	else
		reply_add(reply, "%s deleted in %lld us", name, micros);
}

static void
list_one(struct reply* reply, const char* name)
{
	struct shim_if_info info;
	if (shim_if_info(name, &info) != B_OK)
		return; /* gone meanwhile */
	char line[LINE_MAX_LENGTH];
	int used = snprintf(line, sizeof(line), "%s state=%s mtu=%u", name,
		(info.flags & IFF_UP_FLAG) != 0 ? "up" : "down", (unsigned)info.mtu);
	struct tuntap_stats stats;
	memset(&stats, 0, sizeof(stats));
	status_t status = handles_unit_stats(name, &stats, sizeof(stats));
	if (status == B_OK) {
		used += snprintf(line + used, sizeof(line) - (size_t)used,
			" to_app.packets=%llu to_app.bytes=%llu to_app.dropped=%llu to_app.queued=%llu"
			" to_stack.packets=%llu to_stack.bytes=%llu to_stack.dropped=%llu"
			" to_stack.queued=%llu truncated=%llu rejected=%llu",
			(unsigned long long)stats.to_app.dequeued, (unsigned long long)stats.to_app.bytes,
			(unsigned long long)stats.to_app.dropped, (unsigned long long)stats.to_app.queued,
			(unsigned long long)stats.to_stack.dequeued, (unsigned long long)stats.to_stack.bytes,
			(unsigned long long)stats.to_stack.dropped, (unsigned long long)stats.to_stack.queued,
			(unsigned long long)stats.truncated, (unsigned long long)stats.rejected);
	} else {
		used += snprintf(line + used, sizeof(line) - (size_t)used, " stats=unavailable(%s)",
			status_text(status));
	}
	used += snprintf(line + used, sizeof(line) - (size_t)used,
		" stack.received=%llu stack.sent=%llu stack.send_errors=%llu",
		(unsigned long long)info.received, (unsigned long long)info.sent,
		(unsigned long long)info.send_errors);
	char bridge[128];
	const char* device = bridge_device(name, bridge, sizeof(bridge));
	if (used < (int)sizeof(line))
		snprintf(
			line + used, sizeof(line) - (size_t)used, " bridge=%s", device != NULL ? device : "-");
	reply_add(reply, "%s", line);
}

static void
command_list(struct reply* reply)
{
	static char names[IF_LIST_MAX][SHIM_IF_NAME_LENGTH];
	int count = shim_if_list(names, IF_LIST_MAX);
	for (int i = 0; i < count && i < IF_LIST_MAX; i++)
		list_one(reply, names[i]);
}

static void
command_bridge(struct reply* reply, const char* name, const char* device)
{
	if (!need_name(reply, "bridge", name))
		return;
	if (device == NULL) {
		reply_error(reply, "usage: bridge %s: missing Linux device", name);
		return;
	}
	char error[LINE_MAX_LENGTH];
	if (bridge_attach(name, device, error, sizeof(error)) != 0)
		reply_error(reply, "bridge %s %s: %s", name, device, error);
}

static void
command_unbridge(struct reply* reply, const char* name)
{
	if (!need_name(reply, "unbridge", name))
		return;
	char error[LINE_MAX_LENGTH];
	if (bridge_detach(name, error, sizeof(error)) != 0)
		reply_error(reply, "unbridge: %s", error);
}

static void
command_leaks(struct reply* reply)
{
	struct shim_objects objects;
	shim_objects_get(&objects);
	reply_add(reply,
		"allocations=%lld alloc_bytes=%lld net_buffers=%lld semaphores=%lld mutexes=%lld"
		" nodes=%lld descriptors=%lld cookies=%lld select_entries=%lld user_chunks=%lld"
		" threads=%lld",
		(long long)objects.allocations, (long long)objects.alloc_bytes,
		(long long)objects.net_buffers, (long long)objects.semaphores, (long long)objects.mutexes,
		(long long)objects.nodes, (long long)objects.descriptors, (long long)objects.cookies,
		(long long)objects.select_entries, (long long)objects.user_chunks,
		(long long)objects.threads);
}

static void
command_addr(struct reply* reply, const char* name, const char* address)
{
	if (!need_name(reply, "addr", name))
		return;
	unsigned a, b, c, d;
	char extra;
	if (address == NULL || sscanf(address, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255
		|| b > 255 || c > 255 || d > 255) {
		reply_error(reply, "usage: addr %s: expected an IPv4 address A.B.C.D", name);
		return;
	}
	uint8_t bytes[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
	uint32 network;
	memcpy(&network, bytes, sizeof(network));
	status_t status = shim_if_set_ipv4(name, network);
	if (status != B_OK)
		reply_error(reply, "addr %s: %s", name, status_text(status));
}

/* the arguments each command takes at most */
static const struct {
	const char* name;
	int arguments;
	const char* usage;
} kUsages[] = {
	{"create", 1, "create tun/N|tap/N|tun|tap"},
	{"up", 1, "up NAME"},
	{"down", 1, "down NAME"},
	{"delete", 1, "delete NAME"},
	{"list", 0, "list"},
	{"bridge", 2, "bridge NAME LINUXDEV"},
	{"unbridge", 1, "unbridge NAME"},
	{"leaks", 0, "leaks"},
	{"addr", 2, "addr NAME A.B.C.D"},
};

static bool
arguments_fit(struct reply* reply, const char* command, int arguments)
{
	for (size_t i = 0; i < sizeof(kUsages) / sizeof(kUsages[0]); i++) {
		if (strcmp(kUsages[i].name, command) == 0 && arguments > kUsages[i].arguments) {
			reply_error(reply, "usage: %s", kUsages[i].usage);
			return false;
		}
	}
	return true;
}

static void
run_command(char* line, struct reply* reply)
{
	char* words[4] = {NULL, NULL, NULL, NULL};
	int count = 0;
	char* save = NULL;
	for (char* word = strtok_r(line, " \t\r\n", &save); word != NULL;
		 word = strtok_r(NULL, " \t\r\n", &save)) {
		if (count < 4)
			words[count] = word;
		count++;
	}
	const char* command = words[0];
	if (command == NULL)
		reply_error(reply, "usage: empty command");
	else if (!arguments_fit(reply, command, count - 1))
		return;
	else if (strcmp(command, "create") == 0)
		command_create(reply, words[1]);
	else if (strcmp(command, "up") == 0)
		command_up_down(reply, command, words[1], true);
	else if (strcmp(command, "down") == 0)
		command_up_down(reply, command, words[1], false);
	else if (strcmp(command, "delete") == 0)
		command_delete(reply, words[1]);
	else if (strcmp(command, "list") == 0)
		command_list(reply);
	else if (strcmp(command, "bridge") == 0)
		command_bridge(reply, words[1], words[2]);
	else if (strcmp(command, "unbridge") == 0)
		command_unbridge(reply, words[1]);
	else if (strcmp(command, "leaks") == 0)
		command_leaks(reply);
	else if (strcmp(command, "addr") == 0)
		command_addr(reply, words[1], words[2]);
	else
		reply_error(reply,
			"usage: unknown command %s (create, up, down, delete, list, bridge, unbridge,"
			" leaks, addr)",
			command);
	if (!reply->failed)
		reply_add(reply, "OK");
}


/* ---- the socket ---------------------------------------------------------------------------- */

static long long
now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* read the command line within the deadline: 0, or -1 with the error in reply */
static int
read_line(int client, char* line, size_t size, long long deadline, struct reply* reply)
{
	size_t used = 0;
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd fd = {client, POLLIN, 0};
		int ready = left > 0 ? poll(&fd, 1, (int)left) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			reply_error(reply, "timed out reading the command (%d ms)", CLIENT_DEADLINE_MS);
			return -1;
		}
		ssize_t got = ready > 0 ? read(client, line + used, size - 1 - used) : -1;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			reply_error(reply, "reading the command: %s", strerror(errno));
			return -1;
		}
		used += (size_t)got;
		line[used] = '\0';
		char* end = memchr(line, '\n', used);
		if (end != NULL) {
			*end = '\0'; /* whatever follows the line is ignored */
			return 0;
		}
		if (got == 0)
			return 0; /* the last line without its newline */
		if (used == size - 1) {
			reply_error(reply, "line too long (at most %zu bytes)", size - 2);
			return -1;
		}
	}
}

/* one command per connection; a slow client is cut off (this thread serves everyone) */
static void
serve(int client)
{
	long long deadline = now_ms() + CLIENT_DEADLINE_MS;
	struct timeval timeout = {CLIENT_SEND_TIMEOUT_S, 0};
	setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	char line[LINE_MAX_LENGTH];
	struct reply reply = {NULL, 0, 0, false};
	if (read_line(client, line, sizeof(line), deadline, &reply) == 0)
		run_command(line, &reply);
	deadline = now_ms() + CLIENT_DEADLINE_MS;
	for (size_t sent = 0; sent < reply.length && now_ms() < deadline;) {
		ssize_t wrote = write(client, reply.text + sent, reply.length - sent);
		if (wrote <= 0)
			break;
		sent += (size_t)wrote;
	}
	free(reply.text);
}

/* every blocked request ends: interfaces deleted (ENODEV), bare readers woken */
static void
quiesce(void)
{
	bare_shutdown();
	static char names[IF_LIST_MAX][SHIM_IF_NAME_LENGTH];
	int count = shim_if_list(names, IF_LIST_MAX);
	for (int i = 0; i < count && i < IF_LIST_MAX; i++)
		shim_if_delete(names[i]);
}

static void*
control_thread(void* unused)
{
	(void)unused;
	/* the session's /dev/fuse reports POLLERR once the connection is gone (unmount, abort):
	 * then blocked requests must end too, or the session loop never finishes joining them */
	struct pollfd fds[3] = {{sListen, POLLIN, 0}, {sStopPipe[0], POLLIN, 0}, {sSessionFd, 0, 0}};
	for (;;) {
		if (poll(fds, sSessionFd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents != 0 || (fds[2].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
			break;
		if ((fds[0].revents & POLLIN) == 0)
			continue;
		int client = accept4(sListen, NULL, NULL, SOCK_CLOEXEC);
		if (client < 0)
			continue;
		serve(client);
		close(client);
	}
	quiesce();
	return NULL;
}

int
control_listen(const char* path)
{
	struct sockaddr_un address;
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "tuntapfs: control socket path too long: %s\n", path);
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "tuntapfs: control socket %s: exists and is no socket\n", path);
			return -1;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr*)&address, sizeof(address)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			fprintf(stderr, "tuntapfs: another tuntapfs is using %s\n", path);
			return -1;
		}
		unlink(path); /* a stale socket of an earlier run */
	} else if (errno != ENOENT) {
		fprintf(stderr, "tuntapfs: control socket %s: %s\n", path, strerror(errno));
		return -1;
	}
	sListen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sListen < 0 || pipe2(sStopPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		perror("tuntapfs: control socket");
		return -1;
	}
	if (bind(sListen, (struct sockaddr*)&address, sizeof(address)) != 0) {
		fprintf(stderr, "tuntapfs: control socket %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(sPath, sizeof(sPath), "%s", path); /* ours now: control_stop removes it */
	if (listen(sListen, 16) != 0) {
		fprintf(stderr, "tuntapfs: control socket %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
control_start(int sessionFd)
{
	sSessionFd = sessionFd;
	int error = pthread_create(&sThread, NULL, control_thread, NULL);
	if (error != 0)
		return error;
	sStarted = true;
	return 0;
}

void
control_request_stop(void)
{
	char byte = 1;
	if (write(sStopPipe[1], &byte, 1) < 0) {
		/* the pipe is full: a stop is requested already */
	}
}

void
control_stop(void)
{
	if (sStarted) {
		control_request_stop();
		pthread_join(sThread, NULL);
		sStarted = false;
	}
	if (sListen >= 0) {
		close(sListen);
		sListen = -1;
	}
	if (sPath[0] != '\0') {
		unlink(sPath);
		sPath[0] = '\0';
	}
	for (int i = 0; i < 2; i++) {
		if (sStopPipe[i] >= 0)
			close(sStopPipe[i]);
		sStopPipe[i] = -1;
	}
}
