/* Hand-off throughput (one writer, one reader, 64 B and 1500 B) through the driver's devfs path,
 * next to a mutex+condvar FIFO and a pipe, interleaved and pinned; then an idle poll loop's cost.
 */

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "tuntap.h"

/* userland-shim/include/fcntl.h (Haiku's open modes) shadows glibc's: Linux's packet-mode pipe
 * flag comes from the kernel header */
#include <asm/fcntl.h>

#define ROUNDS 7
#define RUN_US 250000
#ifdef BENCH_UPSTREAM
/* Haiku's tunnel.cpp: each queue a net_fifo of TUNNEL_QUEUE_MAX bytes (ETHER_MAX_FRAME_SIZE * 32),
 * no packet bound; a full one refuses (ENOBUFS), so the window keeps below it */
#define QUEUE_PACKETS TUNTAP_DEFAULT_QUEUE_PACKETS
#define QUEUE_BYTES (1518 * 32)
#else
#define QUEUE_PACKETS TUNTAP_DEFAULT_QUEUE_PACKETS
#define QUEUE_BYTES TUNTAP_DEFAULT_QUEUE_BYTES
#endif
#define END_MARK 0xee /* byte 14 of the last packet of a run */
#define IDLE_US 5000000

/* DRIVER_TO_APP reads with shim_read (the buffer staged through the user arena on every call);
 * DRIVER_TO_APP_USER reads into one user buffer with shim_read_user, as a Haiku app would */
enum method { DRIVER_TO_APP, DRIVER_TO_APP_USER, DRIVER_TO_STACK, FIFO, PIPE, METHOD_COUNT };
static const char* const kMethodNames[METHOD_COUNT] = {"driver stack->app", "driver ->app user",
	"driver app->stack", "fifo mutex+cond", "pipe O_DIRECT"};
static const char* const kMethodKeys[METHOD_COUNT] = {"driver_stack_to_app",
	"driver_stack_to_app_user_buffer", "driver_app_to_stack", "fifo", "pipe"};
static const size_t kSizes[] = {64, 1500};
#define SIZE_COUNT 2

static int sWriterCpu = 0, sReaderCpu = 1;
static int sRunUs = RUN_US;
static int sOnly = -1; /* --only <method key>: one run of one method, for profiling */
static size_t sOnlySize = 64;

struct run {
	enum method method;
	size_t size;
	size_t window; /* packets the writer may have in flight */
	int fd;        /* driver: /dev/tap/0; pipe: the write end */
	int pipeRead;
	int32 stop;
	int64 sent, received, dropped;
	bigtime_t first, last;
	/* the FIFO */
	pthread_mutex_t lock;
	pthread_cond_t notEmpty, notFull;
	void* slots[QUEUE_PACKETS];
	int head, count;
};

static void
die(const char* what, long status)
{
	fprintf(stderr, "bench_handoff: %s failed: %ld\n", what, status);
	exit(1);
}

static void
pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static bigtime_t
now_us(void)
{
	struct timespec spec;
	clock_gettime(CLOCK_MONOTONIC, &spec);
	return (bigtime_t)spec.tv_sec * 1000000 + spec.tv_nsec / 1000;
}

/* ---- the FIFO: a bounded ring of malloc'ed packets, as small as such a thing gets ---------- */

static void
fifo_push(struct run* run, const uint8* frame, size_t size)
{
	void* packet = malloc(size);
	memcpy(packet, frame, size);
	pthread_mutex_lock(&run->lock);
	while (run->count == (int)run->window)
		pthread_cond_wait(&run->notFull, &run->lock);
	run->slots[(run->head + run->count) % QUEUE_PACKETS] = packet;
	run->count++;
	pthread_cond_signal(&run->notEmpty);
	pthread_mutex_unlock(&run->lock);
}

static void
fifo_pop(struct run* run, uint8* buffer, size_t size)
{
	pthread_mutex_lock(&run->lock);
	while (run->count == 0)
		pthread_cond_wait(&run->notEmpty, &run->lock);
	void* packet = run->slots[run->head];
	run->head = (run->head + 1) % QUEUE_PACKETS;
	run->count--;
	pthread_cond_signal(&run->notFull);
	pthread_mutex_unlock(&run->lock);
	memcpy(buffer, packet, size);
	free(packet);
}

/* ---- one writer, one reader ---------------------------------------------------------------- */

/* driver paths: the writer keeps at most `window` packets in flight (the queue's bound), so
 * send_data never tail-drops and the capture never overflows */
static void
wait_for_credit(struct run* run)
{
	while (run->sent - __atomic_load_n(&run->received, __ATOMIC_ACQUIRE) >= (int64)run->window)
		sched_yield();
}

static status_t
writer_thread(void* data)
{
	struct run* run = data;
	pin(sWriterCpu);
	uint8 frame[2048];
	memset(frame, 0x5a, sizeof(frame));
	memset(frame, 0xff, 6);
	frame[6] = 0x02;
	frame[12] = 0x08;
	frame[13] = 0x00;
	for (bool last = false; !last;) {
		last = __atomic_load_n(&run->stop, __ATOMIC_ACQUIRE) != 0;
		frame[14] = last ? END_MARK : 0;
		status_t status = B_OK;
		switch (run->method) {
			case DRIVER_TO_APP:
			case DRIVER_TO_APP_USER:
				wait_for_credit(run);
				while ((status = shim_stack_send("tap/0", frame, run->size, 0)) == B_WOULD_BLOCK)
					run->dropped++;
				break;
			case DRIVER_TO_STACK:
				wait_for_credit(run);
				status =
					shim_write(run->fd, frame, run->size) == (ssize_t)run->size ? B_OK : B_ERROR;
				break;
			case FIFO:
				fifo_push(run, frame, run->size);
				break;
			case PIPE:
				status = write(run->fd, frame, run->size) == (ssize_t)run->size ? B_OK : B_ERROR;
				break;
			default:
				break;
		}
		if (status != B_OK)
			die("writer", status);
		run->sent++;
	}
	return B_OK;
}

static status_t
reader_thread(void* data)
{
	struct run* run = data;
	pin(sReaderCpu);
	uint8 buffer[2048];
	void* user = run->method == DRIVER_TO_APP_USER ? shim_user_alloc(sizeof(buffer)) : NULL;
	for (;;) {
		ssize_t length = (ssize_t)run->size;
		switch (run->method) {
			case DRIVER_TO_APP:
				length = shim_read(run->fd, buffer, sizeof(buffer));
				break;
			case DRIVER_TO_APP_USER:
				length = shim_read_user(run->fd, user, sizeof(buffer));
				if (length > 14)
					shim_user_get(buffer, user, 15); /* the app looks at its packet */
				break;
			case DRIVER_TO_STACK:
				length = shim_stack_receive("tap/0", buffer, sizeof(buffer), 5000000);
				break;
			case FIFO:
				fifo_pop(run, buffer, run->size);
				break;
			case PIPE:
				length = read(run->pipeRead, buffer, sizeof(buffer));
				break;
			default:
				break;
		}
		if (length != (ssize_t)run->size)
			die("reader", (long)length);
		bigtime_t now = now_us();
		if (run->received == 0)
			run->first = now;
		__atomic_store_n(&run->received, run->received + 1, __ATOMIC_RELEASE);
		if (buffer[14] == END_MARK) {
			run->last = now;
			if (user != NULL)
				shim_user_free(user);
			return B_OK;
		}
	}
}

struct host_thread {
	pthread_t thread;
	status_t (*function)(void*);
	void* data;
};

static void*
host_entry(void* data)
{
	struct host_thread* thread = data;
	thread->function(thread->data);
	return NULL;
}

static int64
context_switches(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_nvcsw + usage.ru_nivcsw;
}

static double rusage_ms(void);

struct result {
	double pps;      /* packets per second the reader saw, first to last packet */
	double switches; /* context switches of the process per packet */
	double cpu_ns;   /* CPU time (user + system, both threads) per packet */
};

static struct result
one_run(enum method method, size_t size, int fd)
{
	struct run* run = calloc(1, sizeof(*run));
	run->method = method;
	run->size = size;
	run->window = QUEUE_PACKETS;
	if (QUEUE_BYTES / size < run->window)
		run->window = QUEUE_BYTES / size;
	run->fd = fd;
	int pipeFds[2];
	if (method == PIPE) {
		if (pipe2(pipeFds, O_DIRECT) != 0)
			die("pipe2", 0);
		run->pipeRead = pipeFds[0];
		run->fd = pipeFds[1];
	}
	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->notEmpty, NULL);
	pthread_cond_init(&run->notFull, NULL);

	bool driver =
		method == DRIVER_TO_APP || method == DRIVER_TO_APP_USER || method == DRIVER_TO_STACK;
	int64 switches = context_switches();
	double cpuMs = rusage_ms();
	thread_id reader = -1, writer = -1;
	struct host_thread hosts[2] = {{0, reader_thread, run}, {0, writer_thread, run}};
	if (driver) {
		reader = shim_thread_spawn("bench reader", reader_thread, run);
		writer = shim_thread_spawn("bench writer", writer_thread, run);
	} else {
		pthread_create(&hosts[0].thread, NULL, host_entry, &hosts[0]);
		pthread_create(&hosts[1].thread, NULL, host_entry, &hosts[1]);
	}
	usleep(sRunUs);
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
	if (driver) {
		shim_thread_join(writer, NULL);
		shim_thread_join(reader, NULL);
	} else {
		pthread_join(hosts[1].thread, NULL);
		pthread_join(hosts[0].thread, NULL);
	}
	if (method == PIPE) {
		close(pipeFds[0]);
		close(pipeFds[1]);
	}
	double seconds = (run->last - run->first) / 1e6;
	int64 packets = run->received > 0 ? run->received : 1;
	struct result result = {seconds > 0 ? (run->received - 1) / seconds : 0,
		(double)(context_switches() - switches) / packets, (rusage_ms() - cpuMs) * 1e6 / packets};
	if (run->dropped != 0)
		fprintf(stderr, "bench_handoff: %s %zu B: %lld tail drops\n", kMethodNames[method], size,
			(long long)run->dropped);
	pthread_cond_destroy(&run->notFull);
	pthread_cond_destroy(&run->notEmpty);
	pthread_mutex_destroy(&run->lock);
	free(run);
	return result;
}

/* the 1, 5 and 15 minute load averages: the machine is shared, other work skews the figures */
static void
read_loadavg(char* out, size_t size)
{
	snprintf(out, size, "?");
	FILE* file = fopen("/proc/loadavg", "r");
	if (file == NULL)
		return;
	double one, five, fifteen;
	if (fscanf(file, "%lf %lf %lf", &one, &five, &fifteen) == 3)
		snprintf(out, size, "%.2f %.2f %.2f", one, five, fifteen);
	fclose(file);
}

static int
compare_doubles(const void* a, const void* b)
{
	double x = *(const double*)a, y = *(const double*)b;
	return (x > y) - (x < y);
}

/* ---- the idle poll loop -------------------------------------------------------------------- */

struct idle {
	int fd;
	int64 returns, events;
	status_t last;
	double cpuMs;
};

static status_t
idle_thread(void* data)
{
	struct idle* idle = data;
	struct timespec start, end;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
	for (;;) {
		struct shim_pollfd poll = {idle->fd, SHIM_POLLIN, 0};
		int ready = shim_poll(&poll, 1, B_INFINITE_TIMEOUT);
		if (ready < 0) {
			idle->last = ready;
			break;
		}
		idle->returns++;
		idle->events += poll.revents != 0;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
	idle->cpuMs = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
	return B_OK;
}

static double
rusage_ms(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3
		   + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

int
main(int argc, char** argv)
{
	const char* jsonPath = NULL;
	bool pinned = false;
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			jsonPath = argv[++i];
		else if (strcmp(argv[i], "--only") == 0) {
			for (int m = 0; m < METHOD_COUNT; m++) {
				if (strcmp(argv[i + 1], kMethodKeys[m]) == 0)
					sOnly = m;
			}
			i++;
		} else if (strcmp(argv[i], "--size") == 0)
			sOnlySize = (size_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0)
			sRunUs = atoi(argv[++i]) * 1000000;
		else if (strcmp(argv[i], "--cpus") == 0) {
			/* "W,R": pin the writer to CPU W and the reader to CPU R */
			if (sscanf(argv[++i], "%d,%d", &sWriterCpu, &sReaderCpu) != 2)
				die("--cpus W,R", 0);
			pinned = true;
		}
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 2 && !pinned)
		sWriterCpu = sReaderCpu = 0;
	status_t status = shim_boot();
	if (status != B_OK)
		die("shim_boot", status);
	if ((status = shim_if_create("tap/0")) != B_OK || (status = shim_if_up("tap/0")) != B_OK)
		die("ifconfig tap/0 up", status);
	int fd = shim_open("/dev/tap/0", SHIM_O_RDWR);
	if (fd < 0)
		die("open /dev/tap/0", fd);

	if (sOnly >= 0) {
		/* profiling: one method, one size, one long run */
		struct result result = one_run((enum method)sOnly, sOnlySize, fd);
		printf("%s %zu B: %.0f packets/s, %.2f context switches and %.0f ns CPU per packet\n",
			kMethodNames[sOnly], sOnlySize, result.pps, result.switches, result.cpu_ns);
		shim_close(fd);
		return shim_shutdown() == B_OK ? 0 : 1;
	}

	/* interleaved: every round runs every method at both sizes, in a rotating order */
	char loadBefore[64];
	read_loadavg(loadBefore, sizeof(loadBefore));
	double rates[SIZE_COUNT][METHOD_COUNT][ROUNDS], switches[SIZE_COUNT][METHOD_COUNT][ROUNDS];
	double cpu[SIZE_COUNT][METHOD_COUNT][ROUNDS];
	for (int round = 0; round < ROUNDS; round++) {
		for (int s = 0; s < SIZE_COUNT; s++) {
			for (int m = 0; m < METHOD_COUNT; m++) {
				int method = (m + round) % METHOD_COUNT;
				struct result result = one_run((enum method)method, kSizes[s], fd);
				rates[s][method][round] = result.pps;
				switches[s][method][round] = result.switches;
				cpu[s][method][round] = result.cpu_ns;
			}
		}
	}
	double median[SIZE_COUNT][METHOD_COUNT], medianSwitches[SIZE_COUNT][METHOD_COUNT];
	double medianCpu[SIZE_COUNT][METHOD_COUNT];
	for (int s = 0; s < SIZE_COUNT; s++) {
		for (int m = 0; m < METHOD_COUNT; m++) {
			double sorted[ROUNDS];
			memcpy(sorted, rates[s][m], sizeof(sorted));
			qsort(sorted, ROUNDS, sizeof(double), compare_doubles);
			median[s][m] = sorted[ROUNDS / 2];
			memcpy(sorted, switches[s][m], sizeof(sorted));
			qsort(sorted, ROUNDS, sizeof(double), compare_doubles);
			medianSwitches[s][m] = sorted[ROUNDS / 2];
			memcpy(sorted, cpu[s][m], sizeof(sorted));
			qsort(sorted, ROUNDS, sizeof(double), compare_doubles);
			medianCpu[s][m] = sorted[ROUNDS / 2];
		}
	}
	char loadAfter[64];
	read_loadavg(loadAfter, sizeof(loadAfter));
	printf("hand-off throughput: one writer (CPU %d) -> one reader (CPU %d); median of %d "
		   "interleaved runs of %d ms; load average before %s, after %s\n",
		sWriterCpu, sReaderCpu, ROUNDS, RUN_US / 1000, loadBefore, loadAfter);
	printf("  size    path               packets/s  (     min..     max)  per pkt   MB/s    "
		   "ctx sw/pkt  CPU/pkt\n");
	for (int s = 0; s < SIZE_COUNT; s++) {
		for (int m = 0; m < METHOD_COUNT; m++) {
			double low = rates[s][m][0], high = low;
			for (int r = 1; r < ROUNDS; r++) {
				low = rates[s][m][r] < low ? rates[s][m][r] : low;
				high = rates[s][m][r] > high ? rates[s][m][r] : high;
			}
			printf("  %4zu B  %-18s %9.0f  (%8.0f..%8.0f)  %7.0f ns  %6.1f MB/s  %5.2f csw  "
				   "%7.0f ns CPU\n",
				kSizes[s], kMethodNames[m], median[s][m], low, high, 1e9 / median[s][m],
				median[s][m] * kSizes[s] / 1e6, medianSwitches[s][m], medianCpu[s][m]);
		}
		printf(
			"  %4zu B  ratios to the fifo (pipe): stack->app %.3f (%.3f), ->app user %.3f (%.3f), "
			"app->stack %.3f (%.3f); goal >= 0.70 of the fifo\n",
			kSizes[s], median[s][DRIVER_TO_APP] / median[s][FIFO],
			median[s][DRIVER_TO_APP] / median[s][PIPE],
			median[s][DRIVER_TO_APP_USER] / median[s][FIFO],
			median[s][DRIVER_TO_APP_USER] / median[s][PIPE],
			median[s][DRIVER_TO_STACK] / median[s][FIFO],
			median[s][DRIVER_TO_STACK] / median[s][PIPE]);
	}

	/* idle: an up unit, no traffic, one thread in poll(POLLIN, no timeout) for 5 s, then ctrl+c */
	shim_close(fd);
	if ((status = shim_if_create("tap/1")) != B_OK || (status = shim_if_up("tap/1")) != B_OK)
		die("ifconfig tap/1 up", status);
	struct idle idle = {shim_open("/dev/tap/1", SHIM_O_RDWR), 0, 0, B_OK, 0};
	if (idle.fd < 0)
		die("open /dev/tap/1", idle.fd);
	int64 notifications = shim_select_notifications();
	double processMs = rusage_ms();
	thread_id poller = shim_thread_spawn("idle poller", idle_thread, &idle);
	usleep(IDLE_US);
	int64 idleNotifications = shim_select_notifications() - notifications;
	double idleProcessMs = rusage_ms() - processMs;
	shim_interrupt(poller);
	shim_thread_join(poller, NULL);
	double cpuPercent = idle.cpuMs / (IDLE_US / 1e3) * 100;
	double processPercent = idleProcessMs / (IDLE_US / 1e3) * 100;
	printf("idle poll loop, %d s on an up unit with no traffic: %lld poll returns, %lld select "
		   "notifications; poller CPU %.3f ms (%.4f%%), whole process %.3f ms (%.4f%%); "
		   "ended by ctrl+c: %s  (goal: 0 wake-ups, < 0.1%% CPU)\n",
		IDLE_US / 1000000, (long long)idle.returns, (long long)idleNotifications, idle.cpuMs,
		cpuPercent, idleProcessMs, processPercent,
		idle.last == B_INTERRUPTED ? "B_INTERRUPTED" : "unexpected");
	shim_close(idle.fd);

	if ((status = shim_shutdown()) != B_OK)
		die("shim_shutdown (leak check)", status);

	if (jsonPath != NULL) {
		FILE* out = fopen(jsonPath, "w");
		if (out == NULL)
			die("open the JSON file", 0);
		fprintf(out,
			"{\"cpus\":%ld,\"writer_cpu\":%d,\"reader_cpu\":%d,\"rounds\":%d,\"run_ms\":%d,"
			"\"loadavg_before\":\"%s\",\"loadavg_after\":\"%s\",",
			cpus, sWriterCpu, sReaderCpu, ROUNDS, RUN_US / 1000, loadBefore, loadAfter);
		fprintf(out, "\"throughput_pps\":{");
		for (int s = 0; s < SIZE_COUNT; s++) {
			fprintf(out, "%s\"%zu\":{", s > 0 ? "," : "", kSizes[s]);
			for (int m = 0; m < METHOD_COUNT; m++) {
				fprintf(out,
					"%s\"%s\":{\"median\":%.0f,\"switches_per_packet\":%.3f,"
					"\"cpu_ns_per_packet\":%.0f,\"runs\":[",
					m > 0 ? "," : "", kMethodKeys[m], median[s][m], medianSwitches[s][m],
					medianCpu[s][m]);
				for (int r = 0; r < ROUNDS; r++)
					fprintf(out, "%s%.0f", r > 0 ? "," : "", rates[s][m][r]);
				fprintf(out, "]}");
			}
			fprintf(out,
				",\"ratio_to_app_vs_fifo\":%.3f,\"ratio_to_app_vs_pipe\":%.3f,"
				"\"ratio_to_app_user_buffer_vs_fifo\":%.3f,"
				"\"ratio_to_stack_vs_fifo\":%.3f,\"ratio_to_stack_vs_pipe\":%.3f}",
				median[s][DRIVER_TO_APP] / median[s][FIFO],
				median[s][DRIVER_TO_APP] / median[s][PIPE],
				median[s][DRIVER_TO_APP_USER] / median[s][FIFO],
				median[s][DRIVER_TO_STACK] / median[s][FIFO],
				median[s][DRIVER_TO_STACK] / median[s][PIPE]);
		}
		fprintf(out,
			"},\"idle\":{\"seconds\":%d,\"poll_returns\":%lld,\"select_notifications\":%lld,"
			"\"poller_cpu_ms\":%.3f,\"poller_cpu_percent\":%.4f,\"process_cpu_ms\":%.3f,"
			"\"process_cpu_percent\":%.4f}}\n",
			IDLE_US / 1000000, (long long)idle.returns, (long long)idleNotifications, idle.cpuMs,
			cpuPercent, idleProcessMs, processPercent);
		fclose(out);
	}
	return 0;
}
