/* ctrlc-storm: readers, writers, pollers and ioctls on several stable units while a thread
 * presses ctrl+c on random ones; nothing may be lost or duplicated, every count must add up. */
#include "stress.h"

status_t
interrupter_main(struct worker* self)
{
	const struct interrupter_config* config = self->data;
	bigtime_t phaseEnd = 0;
	bool quiet = false;
	while (!stopping()) {
		if (system_time() >= phaseEnd) {
			/* storms and calm: a lost wake-up only shows when no ctrl+c rescues the sleeper */
			quiet = rng_chance(&self->rng, config->quiet_permille);
			phaseEnd = system_time() + rng_range(&self->rng, 500, quiet ? 5000 : 3000) * 1000;
		}
		if (quiet) {
			snooze(10000);
			continue;
		}
		snooze(rng_range(&self->rng, config->min_us, config->max_us));
		for (int tries = 0; tries < 16 && !stopping(); tries++) {
			struct worker* target = worker_at((int)rng_range(&self->rng, 0, worker_count() - 1));
			if (!target->interruptible || __atomic_load_n(&target->done, __ATOMIC_ACQUIRE) != 0)
				continue;
			/* noted on the unit the target works on, for that unit's history */
			op_begin(self, OP_INTERRUPT, __atomic_load_n(&target->op_unit, __ATOMIC_RELAXED),
				gStress.call_bound);
			op_args(self, -1, target->index, 0);
			interrupt_worker(target);
			op_end(self, OP_INTERRUPT);
			break;
		}
	}
	return B_OK;
}

static struct interrupter_config sInterrupter;

static void
setup(struct worker* self)
{
	(void)self;
	int units = (int)draw("units", 2, 8);
	for (int i = 0; i < units; i++) {
		struct unit_config config;
		unit_config_draw(&config, i);
		unit_add(&config);
	}
	int interrupters = (int)draw("interrupters", 1, 2);
	sInterrupter.min_us = (int)draw("interrupt_min_us", 50, 2000);
	sInterrupter.max_us = (int)draw("interrupt_max_us", sInterrupter.min_us, 20000);
	sInterrupter.quiet_permille = (int)draw("interrupt_quiet_permille", 200, 600);
	for (int i = 0; i < interrupters; i++)
		worker_spawn(
			i == 0 ? "interrupter" : "interrupter2", interrupter_main, &sInterrupter, false);
}

const struct scenario kCtrlcStorm = {
	"ctrlc-storm", "readers, writers, pollers on stable units, ctrl+c on random threads", setup};
