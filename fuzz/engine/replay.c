/* Standalone replayer of a fuzz harness: files or directories of inputs (*.txt programs assembled
 * first), each on a fresh shim boot; -v traces ops and scheduling, -d decodes, -p one boot. An
 * input it cannot read or parse is an input error: a message and status 2, never a result. */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INPUT_LIMIT (1 << 20)

/* The edge callbacks of the driver's objects in this build (fuzz.mk: FZ_CF_DRIVER_rp): the last
 * driver location of each op, for a report's driver line (fuzz/driver_line.c says why this way).
 * Here and not in fuzz/driver_line.c: libFuzzer defines these for its own builds. */
void __sanitizer_cov_trace_pc_guard_init(uint32* start, uint32* stop);
void __sanitizer_cov_trace_pc_guard(uint32* guard);

void
__sanitizer_cov_trace_pc_guard_init(uint32* start, uint32* stop)
{
	fz_driver_lines = start != stop;
}

void
__sanitizer_cov_trace_pc_guard(uint32* guard)
{
	fz_note_driver_pc(__builtin_return_address(0));
}

static bool sDecodeOnly;
static int64 sSweepFrom;    /* -F N: a fault sweep from failnth n=N (make fault-sweep) */
#define SWEEP_LIMIT 1000000 /* fault points of one input, at most */

static bool
ends_with(const char* text, const char* suffix)
{
	size_t length = strlen(text), suffixLength = strlen(suffix);
	return length >= suffixLength && strcmp(text + length - suffixLength, suffix) == 0;
}

/* the input's bytes: the file itself, or for *.txt the assembled program */
static ssize_t
load(const char* path, uint8* buffer)
{
	static char text[INPUT_LIMIT + 1];
	FILE* file = fopen(path, "rb");
	if (file == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	bool isText = ends_with(path, ".txt");
	size_t length = fread(isText ? (uint8*)text : buffer, 1, INPUT_LIMIT, file);
	fclose(file);
	if (!isText)
		return (ssize_t)length;
	text[length] = '\0';
	char error[1024];
	ssize_t size = fz_assemble(text, length, buffer, INPUT_LIMIT, error, sizeof(error));
	if (size < 0)
		fprintf(stderr, "replay: %s:%s\n", path, error);
	return size;
}

static int
replay_file(const char* path)
{
	static uint8 input[INPUT_LIMIT];
	ssize_t size = load(path, input);
	if (size < 0)
		return 1;
	if (sDecodeOnly) {
		static struct fz_program program;
		fz_decode(input, (size_t)size, &program);
		printf("# %s: %d ops, tape %zu bytes\n", path, program.count, program.tape_size);
		fz_print_header(stdout, &program);
		for (int i = 0; i < program.count; i++) {
			fz_print_op(stdout, &program.ops[i], true);
			fputs("\n", stdout);
		}
		if (program.tape_size > 0) {
			fputs("tape x:", stdout);
			for (size_t i = 0; i < program.tape_size; i++)
				printf("%02x", program.tape[i]);
			fputs("\n", stdout);
		}
		return 0;
	}
	if (fz_verbose)
		printf("# %s (%zd bytes)\n", path, size);
	fflush(stdout);
	const char* known = fz_known_set_aside(input, (size_t)size);
	if (known != NULL) {
		printf("%s: known finding set aside: %s\n", path, known);
		return 0;
	}
	/* SQLite's loop, syzkaller's fail-nth: fail the 1st, 2nd, ... call at any fault site until a
	 * run reaches none; each run is the whole input with its checks and the leak check. A crash
	 * ends the process: the last "failnth" line names the run before it. */
	for (int64 nth = sSweepFrom; nth > 0 && nth < SWEEP_LIMIT; nth++) {
		fz_sweep_nth = nth;
		printf("%s: failnth n=%lld: ", path, (long long)nth);
		fflush(stdout);
		fz_run_input(input, (size_t)size);
		if (!fz_fault_point_reached()) {
			printf("not reached: %lld fault point(s), every one failed once\n", (long long)nth - 1);
			fz_sweep_nth = 0;
			return 0;
		}
		printf("ok, digest %016llx\n", (unsigned long long)fz_digest());
	}
	fz_run_input(input, (size_t)size);
	printf("%s: ok, digest %016llx\n", path, (unsigned long long)fz_digest());
	fflush(stdout);
	return 0;
}

static bool
skipped(const char* name)
{
	return name[0] == '.' || ends_with(name, ".desc") || ends_with(name, ".md");
}

static int
replay_path(const char* path)
{
	struct stat info;
	if (stat(path, &info) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(info.st_mode))
		return replay_file(path);
	struct dirent** entries;
	int count = scandir(path, &entries, NULL, alphasort);
	if (count < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	int failures = 0, inputs = 0;
	for (int i = 0; i < count; i++) {
		char child[4096];
		snprintf(child, sizeof(child), "%s/%s", path, entries[i]->d_name);
		struct stat childInfo;
		if (!skipped(entries[i]->d_name) && stat(child, &childInfo) == 0
			&& S_ISREG(childInfo.st_mode)) {
			failures += replay_file(child);
			inputs++;
		}
		free(entries[i]);
	}
	free(entries);
	if (inputs == 0) {
		fprintf(stderr, "replay: %s: no inputs in this directory\n", path);
		return 1;
	}
	return failures;
}

int
main(int argc, char** argv)
{
	fz_out = stdout;
	fz_reboot = true;
	fz_report_op_on_death();
	fz_known_load();
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-v") == 0)
			fz_verbose = true;
		else if (strcmp(argv[first], "-d") == 0)
			sDecodeOnly = true;
		else if (strcmp(argv[first], "-p") == 0)
			fz_reboot = false;
		else if (strcmp(argv[first], "-F") == 0 && first + 1 < argc
				 && (sSweepFrom = strtoll(argv[first + 1], NULL, 10)) > 0)
			first++;
		else {
			fprintf(stderr,
				"usage: %s [-v] [-d] [-p] [-F N] FILE|DIR...\n"
				"  -v  trace every op and its result (and scheduling decisions in the\n"
				"      deterministic build)\n"
				"  -d  only decode: print each input as a text program\n"
				"  -p  persistent: one boot for all inputs, as the fuzzers run them\n"
				"  -F N  fault sweep: run each input with failnth n=N, N+1, ... until a run\n"
				"      reaches no Nth fault point (the input's own failnth is replaced)\n"
				"Runs each input on a fresh shim boot; *.txt files are text programs.\n"
				"FZ_KNOWN=LIST (DRIVER=upstream): an input failing as a LIST entry says so and\n"
				"passes (fuzz/known.c).\n",
				argv[0]);
			return 2;
		}
	}
	if (first == argc) {
		fprintf(stderr, "usage: %s [-v] [-d] [-p] FILE|DIR... (-h: what they do)\n", argv[0]);
		return 2;
	}
	/* a trace is read line by line: whole lines reach the pipe, so a crash report never lands in
	 * the middle of one (a full stdio buffer used to cut a line where the report then began) */
	if (fz_verbose)
		setvbuf(stdout, NULL, _IOLBF, 0);
	int failures = 0;
	for (int i = first; i < argc; i++)
		failures += replay_path(argv[i]);
	fz_finish();
	/* every failure here is an input that could not be read or parsed: a crash or a failed check
	 * ends the process on its own (abort), with its report */
	return failures == 0 ? 0 : 2;
}
