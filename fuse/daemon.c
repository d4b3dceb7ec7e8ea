/* tuntapfs: boots the shim with the driver, mounts its devfs through libfuse3's low-level API,
 * serves the control socket; on SIGTERM or unmount closes everything and runs the leak check. */
#include "tuntapfs.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BARE_SPECS_MAX 16
/* each blocking read holds a worker until it returns: the cap must stay above the number of
 * readers that can block at once (one per unit, the shim holds about 1023 interfaces), or the
 * mount freezes; workers beyond FUSE_IDLE_THREADS end once idle */
#define FUSE_MAX_THREADS 2048
#define FUSE_IDLE_THREADS 8

static struct fuse_session* sSession;

/* bad usage: what was wrong (the option, the missing value), then the usage; status 2 */
static void __attribute__((noreturn, format(printf, 1, 2))) usage(const char* format, ...)
{
	va_list args;
	va_start(args, format);
	fputs("tuntapfs: ", stderr);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, "\nusage: tuntapfs MOUNTPOINT --control SOCKET [--foreground] [--debug]\n"
					"                [--bare NAME=LINUXTAP ...]\n");
	exit(2);
}

static void
on_stop_signal(int signal)
{
	(void)signal;
	if (sSession != NULL)
		fuse_session_exit(sSession);
	control_request_stop();
}

/* libfuse signals request threads with SIGUSR1 for interrupts: never let it kill us */
static void
on_sigusr1(int signal)
{
	(void)signal;
}

static void
set_handler(int signal, void (*handler)(int))
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = handler;
	sigemptyset(&action.sa_mask);
	sigaction(signal, &action, NULL);
}

static void
stop_signals(sigset_t* set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/* the control socket's absolute path: its directory's realpath + its name (fuse_daemonize()
 * changes to / even in the foreground); false with a message on error */
static bool
absolute_socket_path(const char* path, char* absolute, size_t size)
{
	char directory[PATH_MAX];
	const char* slash = strrchr(path, '/');
	const char* name = slash != NULL ? slash + 1 : path;
	if (slash == NULL)
		snprintf(directory, sizeof(directory), ".");
	else if (slash == path)
		snprintf(directory, sizeof(directory), "/");
	else
		snprintf(directory, sizeof(directory), "%.*s", (int)(slash - path), path);
	char resolved[PATH_MAX];
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		fprintf(stderr, "tuntapfs: control socket %s: not a file name\n", path);
		return false;
	}
	if (realpath(directory, resolved) == NULL) {
		fprintf(stderr, "tuntapfs: control socket %s: %s: %s\n", path, directory, strerror(errno));
		return false;
	}
	int length =
		snprintf(absolute, size, "%s%s%s", resolved, strcmp(resolved, "/") == 0 ? "" : "/", name);
	if (length < 0 || (size_t)length >= size) {
		fprintf(stderr, "tuntapfs: control socket path too long: %s\n", path);
		return false;
	}
	return true;
}

struct options {
	const char* mountpoint;
	const char* control;
	const char* bare[BARE_SPECS_MAX];
	int bareCount;
	bool foreground, debug;
};

static void
parse_options(int argc, char** argv, struct options* options)
{
	memset(options, 0, sizeof(*options));
	for (int i = 1; i < argc; i++) {
		bool hasValue = i + 1 < argc;
		if (strcmp(argv[i], "--control") == 0 && hasValue)
			options->control = argv[++i];
		else if (strcmp(argv[i], "--foreground") == 0 || strcmp(argv[i], "-f") == 0)
			options->foreground = true;
		else if (strcmp(argv[i], "--debug") == 0)
			options->debug = true;
		else if (strcmp(argv[i], "--bare") == 0 && hasValue && options->bareCount < BARE_SPECS_MAX)
			options->bare[options->bareCount++] = argv[++i];
		else if (argv[i][0] != '-' && options->mountpoint == NULL)
			options->mountpoint = argv[i];
		else if (strcmp(argv[i], "--control") == 0 || strcmp(argv[i], "--bare") == 0)
			usage(hasValue ? "too many %s options (at most %d)" : "%s needs a value", argv[i],
				BARE_SPECS_MAX);
		else if (argv[i][0] == '-')
			usage("unknown option %s", argv[i]);
		else
			usage("a second MOUNTPOINT %s (the first is %s)", argv[i], options->mountpoint);
	}
	if (options->mountpoint == NULL)
		usage("MOUNTPOINT is missing");
	if (options->control == NULL)
		usage("--control SOCKET is missing");
}

int
main(int argc, char** argv)
{
	struct options options;
	parse_options(argc, argv, &options);
	bool debug = options.debug;
	/* absolute paths: fuse_daemonize() changes to / even in the foreground */
	char mountpoint[PATH_MAX], control[PATH_MAX];
	if (realpath(options.mountpoint, mountpoint) == NULL) {
		fprintf(stderr, "tuntapfs: mountpoint %s: %s\n", options.mountpoint, strerror(errno));
		return 2;
	}
	if (!absolute_socket_path(options.control, control, sizeof(control)))
		return 2;

	set_handler(SIGUSR1, on_sigusr1);
	signal(SIGPIPE, SIG_IGN);
	/* the stop signals wait until their handlers are in place (a default SIGTERM after the
	 * mount would leave it stale); every thread but this one keeps them blocked (libfuse's
	 * workers do too), so the handler interrupts the session loop's wait here */
	sigset_t stops, previous;
	stop_signals(&stops);
	pthread_sigmask(SIG_BLOCK, &stops, &previous);

	/* the Linux devices and the socket first: errors show before we daemonize */
	for (int i = 0; i < options.bareCount; i++) {
		char error[256];
		if (bare_add(options.bare[i], error, sizeof(error)) != 0) {
			fprintf(stderr, "tuntapfs: %s\n", error);
			return 2;
		}
	}
	if (control_listen(control) != 0) {
		control_stop();
		return 2;
	}

	char* fuseArgv[] = {
		argv[0], "-o", "fsname=tuntapfs,subtype=tuntapfs", debug ? "-d" : NULL, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, fuseArgv);
	sSession = fuse_session_new(&args, &gTuntapfsOps, sizeof(gTuntapfsOps), NULL);
	fuse_opt_free_args(&args); /* parsing copied argv[0]; the session keeps nothing of it */
	if (sSession == NULL) {
		fprintf(stderr, "tuntapfs: cannot create the FUSE session\n");
		control_stop();
		return 2;
	}
	if (fuse_session_mount(sSession, mountpoint) != 0) {
		fprintf(stderr, "tuntapfs: cannot mount on %s\n", mountpoint);
		fuse_session_destroy(sSession);
		control_stop();
		return 2;
	}
	if (fuse_daemonize(options.foreground) != 0) {
		fprintf(stderr, "tuntapfs: cannot daemonize\n");
		fuse_session_unmount(sSession);
		fuse_session_destroy(sSession);
		control_stop();
		return 2;
	}

	const char* step = "boot the shim";
	int error = 0;
	status_t status = shim_boot();
	if (status != B_OK)
		error = status_to_errno(status);
	else if ((error = poller_start()) != 0)
		step = "start the poll watcher";
	else if ((error = bare_start()) != 0)
		step = "start the bare file readers";
	else if ((error = control_start(fuse_session_fd(sSession))) != 0)
		step = "start the control thread";
	if (error != 0) {
		fprintf(stderr, "tuntapfs: cannot %s: %s\n", step,
			status != B_OK ? shim_status_name(status) : strerror(error));
		control_stop();
		fuse_session_unmount(sSession);
		fuse_session_destroy(sSession);
		return 2;
	}
	set_handler(SIGTERM, on_stop_signal);
	set_handler(SIGINT, on_stop_signal);
	set_handler(SIGHUP, on_stop_signal);
	printf("tuntapfs: mounted on %s, control socket %s\n", mountpoint, control);
	fflush(stdout);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);

	struct fuse_loop_config* config = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(config, FUSE_MAX_THREADS);
	fuse_loop_cfg_set_idle_threads(config, FUSE_IDLE_THREADS);
	int loop = fuse_session_loop_mt(sSession, config);
	fuse_loop_cfg_destroy(config);
	pthread_sigmask(SIG_BLOCK, &stops, NULL);

	/* no request runs now: take everything down, then the shim's own leak check */
	control_stop();
	bridge_detach_all();
	handles_close_all();
	poller_stop();
	bare_shutdown();
	bare_free_all();
	fuse_session_unmount(sSession);
	fuse_session_destroy(sSession);
	sSession = NULL;

	status = shim_shutdown();
	if (status != B_OK) {
		fprintf(stderr, "tuntapfs: leak (shim_shutdown: %d, report above)\n", (int)status);
		return 1;
	}
	printf("tuntapfs: no leak\n");
	fflush(stdout);
	return loop != 0 && loop != SIGTERM && loop != SIGINT && loop != SIGHUP ? 3 : 0;
}
