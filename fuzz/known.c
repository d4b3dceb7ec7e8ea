/* Known findings set aside (DRIVER=upstream campaigns): each input runs first in a forked child; a
 * failure whose report matches an entry of the FZ_KNOWN list is counted and the input discarded. */
#include "common.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Why a child: a failure ends the process (abort, a sanitizer's report, the deterministic
 * scheduler's deadlock), with the shim and the driver in whatever state the bug left. A campaign
 * against a driver with known bugs would then spend its time restarting on them. So, when the
 * list is loaded, every input runs first in a fork of the fuzzer (the deterministic shim is one
 * host thread, so the child has the whole shim, a persistent boot included). The child's stderr
 * goes to a memfd; the parent reads it after the child ended:
 *   - the child passed: the parent runs the input itself (coverage is counted in the parent), and
 *     it passes there too (same state, deterministic scheduler);
 *   - the child failed and its report holds every pattern of one entry: the hit is counted under
 *     that entry, the input discarded (the fuzzer keeps nothing of it) and the parent's shim is
 *     untouched;
 *   - the child failed otherwise: the parent runs the input and fails the same way, so the engine
 *     saves it as for any finding.
 * The list (corpora/upstream/known) is one entry per line: a name, then patterns, tab-separated;
 * a report matches when it holds every pattern (substrings); '#' starts a comment line.
 */

#define KNOWN_MAX 32
#define PATTERNS_MAX 4
#define REPORT_MAX (256 * 1024)
/* a child still running after this long is a hang: the parent runs the input (the engine's own
 * timeout then reports it) */
#define CHILD_SECONDS 20

struct known {
	char* name;
	char* patterns[PATTERNS_MAX];
	int count;
	uint64 hits;
};

static struct known sKnown[KNOWN_MAX];
static int sKnownCount;
static int sReportFd = -1;
static const char* sCountsPath;
static char sReport[REPORT_MAX + 1];

extern void __sanitizer_symbolize_pc(void* pc, const char* format, char* out, size_t size)
	__attribute__((weak));

bool
fz_known_enabled(void)
{
	return sKnownCount > 0;
}

/* a bad list stops the fuzzer before any input, in one line (line 0: the file as a whole) */
static void __attribute__((noreturn)) refuse(const char* path, int line, const char* what)
{
	if (line > 0)
		fprintf(stderr, "fuzz %s: FZ_KNOWN=%s:%d: %s\n", fz_harness.name, path, line, what);
	else
		fprintf(stderr, "fuzz %s: FZ_KNOWN=%s: %s\n", fz_harness.name, path, what);
	exit(2);
}

/* one line: name TAB pattern [TAB pattern...]; returns false for a blank or comment line */
static bool
parse_line(char* line, struct known* entry, const char* path, int number)
{
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return false;
	char* save = NULL;
	const char* name = strtok_r(line, "\t", &save);
	if (name == NULL)
		refuse(path, number, "want a name and at least one tab-separated pattern");
	entry->name = strdup(name);
	entry->count = 0;
	for (char* pattern; (pattern = strtok_r(NULL, "\t", &save)) != NULL;) {
		if (entry->count == PATTERNS_MAX)
			refuse(path, number, "more than 4 patterns");
		entry->patterns[entry->count++] = strdup(pattern);
	}
	if (entry->count == 0)
		refuse(path, number, "want a name and at least one tab-separated pattern");
	return true;
}

void
fz_known_load(void)
{
	const char* path = getenv("FZ_KNOWN");
	if (path == NULL || path[0] == '\0')
		return;
#if !defined(FZ_UPSTREAM) || !defined(FZ_DET)
	/* our driver has no known findings: every failure is one; the free-running shim has host
	 * threads a fork would not copy */
	refuse(path, 0, "known findings are set aside only in DRIVER=upstream deterministic builds");
#endif
	FILE* file = fopen(path, "r");
	if (file == NULL)
		refuse(path, 0, strerror(errno));
	char line[1024];
	for (int number = 1; fgets(line, sizeof(line), file) != NULL; number++) {
		if (sKnownCount == KNOWN_MAX)
			refuse(path, number, "more than 32 entries");
		if (parse_line(line, &sKnown[sKnownCount], path, number))
			sKnownCount++;
	}
	fclose(file);
	if (sKnownCount == 0)
		refuse(path, 0, "no entries");
	sReportFd = memfd_create("fz-known-report", 0);
	if (sReportFd < 0)
		refuse(path, 0, strerror(errno));
	sCountsPath = getenv("FZ_KNOWN_COUNTS");
	/* the sanitizer starts its symbolizer (llvm-symbolizer) at its first report and keeps it: start
	 * it here, once, so that every child inherits it already loaded, instead of paying its start
	 * (half a second) in every child that reports */
	if (__sanitizer_symbolize_pc != NULL) {
		char function[256];
		__sanitizer_symbolize_pc((void*)(uintptr_t)fz_known_load, "%f", function, sizeof(function));
	}
}

/* the counts file: one line per entry, "hits TAB name", rewritten after every hit */
static void
write_counts(void)
{
	if (sCountsPath == NULL || sCountsPath[0] == '\0')
		return;
	char temporary[4096];
	snprintf(temporary, sizeof(temporary), "%s.tmp", sCountsPath);
	FILE* file = fopen(temporary, "w");
	if (file == NULL)
		return;
	for (int i = 0; i < sKnownCount; i++)
		fprintf(file, "%llu\t%s\n", (unsigned long long)sKnown[i].hits, sKnown[i].name);
	fclose(file);
	rename(temporary, sCountsPath);
}

/* in the child: the engine's crash handlers must not save this input (SIGABRT, SIGALRM, SIGILL,
 * SIGFPE back to the default; the sanitizers' death callback replaced); ASan keeps its own SEGV
 * handler, which prints the report the parent reads */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void
child_dies(void)
{
	fflush(stderr);
	_exit(77);
}

static void __attribute__((noreturn)) run_child(const uint8* data, size_t size)
{
	static const int kSignals[] = {SIGABRT, SIGALRM, SIGILL, SIGFPE, SIGINT, SIGTERM, SIGUSR1};
	for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); i++)
		signal(kSignals[i], SIG_DFL);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(child_dies);
	dup2(sReportFd, STDERR_FILENO);
	FILE* quiet = fopen("/dev/null", "w");
	if (quiet != NULL)
		fz_out = quiet;
	alarm(CHILD_SECONDS);
	fz_run_input(data, size);
	fflush(NULL);
	_exit(0);
}

/* the child's report, NUL-terminated, in sReport */
static void
read_report(void)
{
	ssize_t length = pread(sReportFd, sReport, REPORT_MAX, 0);
	sReport[length > 0 ? length : 0] = '\0';
	/* a report may contain NUL bytes (binary input echoed): search past them as spaces */
	for (ssize_t i = 0; i < length; i++) {
		if (sReport[i] == '\0')
			sReport[i] = ' ';
	}
}

static int
match(void)
{
	for (int i = 0; i < sKnownCount; i++) {
		bool all = true;
		for (int p = 0; p < sKnown[i].count && all; p++)
			all = strstr(sReport, sKnown[i].patterns[p]) != NULL;
		if (all)
			return i;
	}
	return -1;
}

const char*
fz_known_set_aside(const uint8* data, size_t size)
{
	if (sKnownCount == 0)
		return NULL;
	fflush(NULL);
	/* the child writes at the descriptor's shared offset: back to the start for each report */
	if (ftruncate(sReportFd, 0) != 0 || lseek(sReportFd, 0, SEEK_SET) != 0)
		return NULL;
	pid_t child = fork();
	if (child < 0)
		return NULL; /* run it here: a failure is then reported as usual */
	if (child == 0)
		run_child(data, size);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	read_report();
	int entry = match();
	if (entry < 0)
		return NULL;
	sKnown[entry].hits++;
	write_counts();
	return sKnown[entry].name;
}
