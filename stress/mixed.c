/* mixed: everything at once: stable units under ctrl+c, managed units deleted under load, churners,
 * observers and (one run in two) fault plans. */
#include "stress.h"

static struct interrupter_config sInterrupter;
static struct churn_config sChurn;
static struct observer_config sObserver;
static struct faulter_config sFaulter;

static void
setup(struct worker* self)
{
	(void)self;
	char name[32];
	bool faults = draw("faults", 0, 1) != 0;
	int stable = (int)draw("stable_units", 1, 3);
	int managed = (int)draw("managed_units", 1, 3);
	for (int i = 0; i < stable + managed; i++) {
		struct unit_config config;
		unit_config_draw(&config, i);
		config.managed = i >= stable;
		if (faults)
			config.poll_timeout_max_ms = 50;
		if (config.managed)
			unit_config_note_life(&config, i);
		unit_add(&config);
	}
	sChurn.range = (int)draw("churn_range", 16, 512);
	sChurn.target_live = (int)draw("churn_target", 8, 300);
	sChurn.keep_fds = (int)draw("churn_keep_fds", 1, 16);
	sChurn.max_up = 8;
	int churners = (int)draw("churners", 1, 3);
	for (int i = 0; i < churners; i++) {
		snprintf(name, sizeof(name), "churner-%d", i);
		worker_spawn(name, churn_main, &sChurn, true);
	}
	sObserver.max_fds = (int)draw("observer_fds", 1, 8);
	sObserver.timeout_max_ms = (int)draw("observer_timeout_max_ms", 0, 100);
	int observers = (int)draw("observers", 0, 2);
	for (int i = 0; i < observers; i++) {
		snprintf(name, sizeof(name), "observer-%d", i);
		worker_spawn(name, observer_main, &sObserver, true);
	}
	sInterrupter.min_us = (int)draw("interrupt_min_us", 200, 5000);
	sInterrupter.max_us = (int)draw("interrupt_max_us", sInterrupter.min_us, 50000);
	sInterrupter.quiet_permille = (int)draw("interrupt_quiet_permille", 200, 600);
	worker_spawn("interrupter", interrupter_main, &sInterrupter, false);
	if (faults) {
		sFaulter.window_max_us = (int)draw("fault_window_max_us", 200, 10000);
		sFaulter.pause_max_us = (int)draw("fault_pause_max_us", 5000, 200000);
		sFaulter.nth_max = (int)draw("fault_nth_max", 1, 50);
		worker_spawn("faulter", faulter_main, &sFaulter, false);
	}
}

const struct scenario kMixed = {
	"mixed", "stable and managed units, churners, observers, ctrl+c and faults at once", setup};
