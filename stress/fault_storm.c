/* fault-storm: short random fault plans (allocation, semaphore, publish, user copy, net_buffer)
 * armed while stable units, a managed unit and churners run; only documented errors may result. */
#include "stress.h"

void
faults_disarm(void)
{
	for (int site = 0; site < SHIM_FAULT_SITE_COUNT; site++)
		shim_fault_fail_nth((enum shim_fault_site)site, 0, false);
}

status_t
faulter_main(struct worker* self)
{
	const struct faulter_config* config = self->data;
	while (!stopping()) {
		snooze(rng_range(&self->rng, 1000, config->pause_max_us));
		if (stopping())
			break;
		enum shim_fault_site site =
			(enum shim_fault_site)rng_range(&self->rng, 0, SHIM_FAULT_SITE_COUNT - 1);
		int64 nth = rng_range(&self->rng, 1, config->nth_max);
		bool persistent = rng_chance(&self->rng, 300);
		/* the plan is global: it hits whichever thread makes the nth call */
		op_begin(self, OP_FAULT, -1, gStress.call_bound);
		op_args(self, -1, site, nth);
		shim_fault_fail_nth(site, nth, persistent);
		op_end(self, OP_FAULT);
		atomic_add64(&gStress.fault_windows, 1);
		snooze(rng_range(&self->rng, 100, config->window_max_us));
		op_begin(self, OP_FAULT, -1, gStress.call_bound);
		op_args(self, -1, site, 0);
		shim_fault_fail_nth(site, 0, false);
		op_end(self, OP_FAULT);
	}
	faults_disarm();
	return B_OK;
}

static struct faulter_config sFaulter;
static struct churn_config sChurn;

static void
setup(struct worker* self)
{
	(void)self;
	int units = (int)draw("units", 1, 4);
	for (int i = 0; i < units; i++) {
		struct unit_config config;
		unit_config_draw(&config, i);
		/* a select entry that failed to register never fires: every poll has a timeout */
		config.poll_timeout_max_ms = 50;
		unit_add(&config);
	}
	if (draw("managed_units", 0, 1) != 0) {
		struct unit_config config;
		unit_config_draw(&config, units);
		config.managed = true;
		config.poll_timeout_max_ms = 50;
		unit_config_note_life(&config, units);
		unit_add(&config);
	}
	sChurn.range = (int)draw("churn_range", 8, 256);
	sChurn.target_live = (int)draw("churn_target", 4, 64);
	sChurn.keep_fds = (int)draw("churn_keep_fds", 1, 8);
	sChurn.max_up = 8;
	int churners = (int)draw("churners", 1, 3);
	for (int i = 0; i < churners; i++) {
		char name[32];
		snprintf(name, sizeof(name), "churner-%d", i);
		worker_spawn(name, churn_main, &sChurn, true);
	}
	sFaulter.window_max_us = (int)draw("fault_window_max_us", 200, 20000);
	sFaulter.pause_max_us = (int)draw("fault_pause_max_us", 2000, 100000);
	sFaulter.nth_max = (int)draw("fault_nth_max", 1, 50);
	worker_spawn("faulter", faulter_main, &sFaulter, false);
}

const struct scenario kFaultStorm = {
	"fault-storm", "random short fault plans while units, a manager and churners run", setup};
