/* The watchdog's demonstration: a helper that takes a lock the scenario's calls need and never
 * lets go (a unit's lock: delete stalls as in the 2023 report; or the devfs lock: all I/O stops).
 */
#include "stress.h"

#include <stdio.h>
#include <string.h>

static const char* sKind;

/* lock the mutex `name` (shim_mutex_hold) once it exists; false if the run ends first */
static bool
hold_lock(const char* name)
{
	while (!stopping()) {
		if (shim_mutex_hold(name) == B_OK)
			return true;
		snooze(1000);
	}
	return false;
}

static void
unit_lock_name(char* lockName, size_t size, int index)
{
	/* the name the driver gives a unit's lock (driver/unit_table.c): a stall dump shows it */
	snprintf(lockName, size, "tuntap unit %s", unit_at(index)->name);
}

static status_t
stall_main(struct worker* self)
{
	char lockName[64];
	/* let the scenario run for a moment first */
	snooze(rng_range(&self->rng, 500000, 1500000));
	if (strcmp(sKind, "global") == 0) {
		/* devfs (every descriptor call) and every unit of the scenario: nothing moves */
		stress_print(
			"stall: %s takes the devfs lock and every unit's lock, keeps them\n", self->name);
		if (!hold_lock("shim devfs"))
			return B_OK;
		for (int i = 0; i < unit_count(); i++) {
			unit_lock_name(lockName, sizeof(lockName), i);
			shim_mutex_hold(lockName); /* a unit that is gone has no lock to take */
		}
	} else {
		while (unit_count() == 0 && !stopping())
			snooze(1000);
		if (unit_count() == 0)
			return B_OK;
		/* the stack peer's sender pauses first, so what gets stuck is what the scenario does
		 * to the unit next: its delete (delete-storm), reads, writes, polls, ioctls */
		atomic_set(&unit_at(0)->hold, 1);
		snooze(100000);
		unit_lock_name(lockName, sizeof(lockName), 0);
		stress_print("stall: %s takes the lock of %s and keeps it\n", self->name, unit_at(0)->name);
		if (!hold_lock(lockName))
			return B_OK;
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
