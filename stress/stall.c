/* The watchdog's demonstration: a helper that takes a lock the scenario's calls need and never
 * lets go (a unit's lock: delete stalls as in the 2023 report; or the devfs lock: all I/O stops).
 */
#include "stress.h"

#include "dev/dev_private.h" /* gDevfsLock */
#include "tuntap_private.h"

static const char* sKind;

static status_t
stall_main(struct worker* self)
{
	/* let the scenario run for a moment first */
	snooze(rng_range(&self->rng, 500000, 1500000));
	if (strcmp(sKind, "global") == 0) {
		/* devfs (every descriptor call) and every unit of the scenario: nothing moves */
		stress_print(
			"stall: %s takes the devfs lock and every unit's lock, keeps them\n", self->name);
		mutex_lock(&gDevfsLock);
		for (int i = 0; i < unit_count(); i++) {
			tuntap_unit* unit = tuntap_unit_get(unit_at(i)->name);
			if (unit != NULL)
				mutex_lock(&unit->lock);
		}
	} else {
		tuntap_unit* unit = NULL;
		while (unit == NULL && !stopping()) {
			if (unit_count() > 0)
				unit = tuntap_unit_get(unit_at(0)->name);
			if (unit == NULL)
				snooze(1000);
		}
		if (unit == NULL)
			return B_OK;
		/* the stack peer's sender pauses first, so what gets stuck is what the scenario does
		 * to the unit next: its delete (delete-storm), reads, writes, polls, ioctls */
		atomic_set(&unit_at(0)->hold, 1);
		snooze(100000);
		stress_print(
			"stall: %s takes the lock of %s and keeps it\n", self->name, unit->device.name);
		mutex_lock(&unit->lock);
	}
	/* never released: the watchdog must notice and end the process */
	for (;;)
		snooze(SECOND);
	return B_OK;
}

void
stall_inject(struct worker* self, const char* kind)
{
	(void)self;
	sKind = kind;
	note_param("inject_stall=%s", kind);
	worker_spawn("stall-helper", stall_main, NULL, false);
}
