/* The stress binary: one scenario per run, its parameters drawn from a seed it prints first, a
 * checker and the watchdog alongside, then teardown, shim_shutdown()'s leak check and a result. */
#include "stress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct scenario* const kScenarios[] = {
	&kCtrlcStorm, &kDeleteStorm, &kAllocChurn, &kSelectStorm, &kFaultStorm, &kMixed};
#define SCENARIO_COUNT ((int)(sizeof(kScenarios) / sizeof(kScenarios[0])))

/* "90", "90s", "10m", "8h", "1.5h" -> microseconds; -1 if malformed */
static bigtime_t
parse_duration(const char* text)
{
	char* end;
	double value = strtod(text, &end);
	double unit = 1;
	if (*end == 'm')
		unit = 60, end++;
	else if (*end == 'h')
		unit = 3600, end++;
	else if (*end == 's')
		end++;
	if (end == text || *end != '\0' || value < 0)
		return -1;
	return (bigtime_t)(value * unit * SECOND);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: stress --scenario NAME [--seed N] [--duration D] [--stall-timeout D]\n"
		"              [--op-bound D] [--call-bound D] [--progress D] [--elapsed-base D]\n"
		"              [--prompt-bound D] [--result FILE] [--ops-out FILE.ops.txt]\n"
		"              [--inject-stall unit|global]\n"
		"       stress --list\n"
		"D: seconds, or a number with s, m or h. Scenarios:");
	for (int i = 0; i < SCENARIO_COUNT; i++)
		fprintf(stderr, " %s", kScenarios[i]->name);
	fprintf(stderr, "\n");
	exit(2);
}

static status_t
checker_main(struct worker* self)
{
	while (!stopping()) {
		check_nodes(self, checkpoint_objects);
		units_check_stats(self);
		snooze(rng_range(&self->rng, 100000, 300000));
	}
	return B_OK;
}

static bigtime_t
duration_option(const char* text)
{
	bigtime_t value = parse_duration(text);
	if (value < 0)
		usage();
	return value;
}

int
main(int argc, char** argv)
{
	const struct scenario* scenario = NULL;
	bool haveSeed = false;
	gStress.duration = 10 * SECOND;
	gStress.stall_timeout = 10 * SECOND;
	gStress.op_bound = 5 * SECOND;
	gStress.call_bound = -1;
	gStress.progress_every = 10 * SECOND;
	gStress.prompt_bound = 2 * SECOND;
	for (int i = 1; i < argc; i++) {
		const char* option = argv[i];
		if (strcmp(option, "--list") == 0) {
			for (int s = 0; s < SCENARIO_COUNT; s++)
				printf("%s\t%s\n", kScenarios[s]->name, kScenarios[s]->about);
			return 0;
		}
		if (i + 1 >= argc)
			usage();
		const char* value = argv[++i];
		if (strcmp(option, "--scenario") == 0) {
			for (int s = 0; s < SCENARIO_COUNT; s++) {
				if (strcmp(kScenarios[s]->name, value) == 0)
					scenario = kScenarios[s];
			}
			if (scenario == NULL)
				usage();
		} else if (strcmp(option, "--seed") == 0) {
			gStress.seed = strtoull(value, NULL, 0);
			haveSeed = true;
		} else if (strcmp(option, "--duration") == 0)
			gStress.duration = duration_option(value);
		else if (strcmp(option, "--stall-timeout") == 0)
			gStress.stall_timeout = duration_option(value);
		else if (strcmp(option, "--op-bound") == 0)
			gStress.op_bound = duration_option(value);
		else if (strcmp(option, "--call-bound") == 0)
			gStress.call_bound = duration_option(value);
		else if (strcmp(option, "--prompt-bound") == 0)
			gStress.prompt_bound = duration_option(value);
		else if (strcmp(option, "--progress") == 0)
			gStress.progress_every = duration_option(value);
		else if (strcmp(option, "--elapsed-base") == 0)
			gStress.elapsed_base = duration_option(value);
		else if (strcmp(option, "--result") == 0)
			gStress.result_path = value;
		else if (strcmp(option, "--ops-out") == 0)
			gStress.ops_path = value;
		else if (strcmp(option, "--inject-stall") == 0) {
			if (strcmp(value, "unit") != 0 && strcmp(value, "global") != 0)
				usage();
			gStress.inject_stall = value;
		} else
			usage();
	}
	if (scenario == NULL || gStress.progress_every <= 0)
		usage();
	if (gStress.call_bound < 0)
		gStress.call_bound = gStress.stall_timeout;
	if (!haveSeed) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		gStress.seed = ((uint64)now.tv_sec * 1000000007ULL) ^ (uint64)now.tv_nsec;
		gStress.seed %= 10000000000000ULL;
	}
	gStress.scenario = scenario->name;
	printf("stress: scenario=%s seed=%llu duration=%.1fs\n", scenario->name,
		(unsigned long long)gStress.seed, gStress.duration / 1e6);
	fflush(stdout);
	rng_seed(&gStress.rng, gStress.seed);

	/* the stall helper finds the lock it takes by name (shim_mutex_hold) */
	if (gStress.inject_stall != NULL)
		shim_mutex_registry_enable();
	status_t status = shim_boot();
	if (status != B_OK) {
		fprintf(stderr, "stress: shim_boot: %s\n", shim_status_name(status));
		return 2;
	}
	/* an application's first lookups: devfs loads the devfs driver part now, before any fault
	 * plan (a publish refused then would leave a clone node missing until a reload, as on Haiku) */
	shim_lookup("/dev/tun/clone");
	shim_lookup("/dev/tap/clone");
	checkpoint_boot();
	gStress.start = system_time();
	gStress.deadline = gStress.start + gStress.duration;
	struct worker* self = worker_spawn("main", NULL, NULL, false);
	monitor_start();
	units_init();
	scenario->setup(self);
	if (gStress.inject_stall != NULL)
		stall_inject(self, gStress.inject_stall);
	worker_spawn("checker", checker_main, NULL, false);
	stress_print("params: %s\n", gStress.params);

	while (!stopping() && system_time() < gStress.deadline)
		snooze(20000);
	workers_stop_and_join(self);
	faults_disarm();
	op_begin(self, OP_TEARDOWN, -1, 30 * SECOND);
	units_finish(self);
	op_end(self, OP_TEARDOWN);

	op_begin(self, OP_SHUTDOWN, -1, 120 * SECOND);
	status = shim_shutdown();
	op_end(self, OP_SHUTDOWN);
	if (status != B_OK)
		stress_fail(
			self, "shim_shutdown: %s (leak check or module unload)", shim_status_name(status));
	monitor_stop();
	bool failed = atomic_get64(&gStress.failures) != 0;
	write_result(failed ? "fail" : "pass");
	return failed ? 1 : 0;
}
