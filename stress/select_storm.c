/* select-storm: poll-driven consumers whose readiness must match read and write exactly, observers
 * polling many units at once, and idle units whose pollers must never wake. */
#include "stress.h"

#define OBSERVER_FDS 16

status_t
observer_main(struct worker* self)
{
	const struct observer_config* config = self->data;
	while (!stopping()) {
		struct shim_pollfd fds[OBSERVER_FDS];
		int count = 0, want = (int)rng_range(&self->rng, 1, config->max_fds);
		for (int tries = 0; tries < 4 * want && count < want && count < OBSERVER_FDS; tries++) {
			struct unit* unit = unit_at((int)rng_range(&self->rng, 0, unit_count() - 1));
			/* stable units only: their descriptor never changes while workers run */
			if (unit->config.managed || !unit->live)
				continue;
			fds[count].fd = unit->fd;
			fds[count].events = SHIM_POLLIN | (rng_chance(&self->rng, 300) ? SHIM_POLLOUT : 0);
			fds[count++].revents = 0;
		}
		if (count == 0) {
			snooze(10000);
			continue;
		}
		bigtime_t timeout = rng_range(&self->rng, 0, config->timeout_max_ms) * 1000;
		op_begin(self, OP_POLL, -1, timeout + gStress.call_bound);
		int ready = shim_poll(fds, count, timeout);
		op_done(self, OP_POLL, ready != 0);
		if (ready == B_INTERRUPTED)
			saw_interrupt(self, "poll");
		else if (ready < 0 && !fault_error(self, ready))
			stress_fail_contract(self, "poll of %d units: %s", count, shim_status_name(ready));
		bool writable = false;
		for (int i = 0; ready > 0 && i < count; i++) {
			if ((fds[i].revents & ~fds[i].events) != 0)
				stress_fail_contract(
					self, "poll(0x%x) on a live unit reported 0x%x", fds[i].events, fds[i].revents);
			writable = writable || (fds[i].revents & SHIM_POLLOUT) != 0;
		}
		if (writable)
			snooze(rng_range(&self->rng, 100, 2000));
	}
	return B_OK;
}

/* an idle unit: nothing is ever sent or written, so a poll for input can only time out */
static status_t
idle_poller_main(struct worker* self)
{
	struct unit* unit = self->data;
	while (!stopping()) {
		struct shim_pollfd poll = {unit->fd, SHIM_POLLIN, 0};
		bigtime_t timeout = rng_range(&self->rng, 200, 2000) * 1000;
		op_begin(self, OP_POLL, unit->index, timeout + gStress.call_bound);
		op_args(self, unit->fd, poll.events, timeout);
		int ready = shim_poll(&poll, 1, timeout);
		op_done(self, OP_POLL, ready != 0);
		op_result(self, ready > 0 ? poll.revents : ready);
		if (ready == B_INTERRUPTED)
			saw_interrupt(self, "idle poll");
		else if (ready < 0 && !fault_error(self, ready))
			stress_fail_contract(self, "%s: idle poll: %s", unit->name, shim_status_name(ready));
		else if (ready > 0)
			stress_fail(self, "%s: idle poll returned %d (revents 0x%x): a wake-up without data",
				unit->name, ready, poll.revents);
	}
	return B_OK;
}

static struct observer_config sObserver;
static struct interrupter_config sInterrupter;

static void
setup(struct worker* self)
{
	(void)self;
	char name[32];
	int units = (int)draw("units", 2, 6);
	for (int i = 0; i < units; i++) {
		struct unit_config config;
		unit_config_draw(&config, i);
		config.consumer = true;
		config.nonblocking = true;
		unit_add(&config);
	}
	int idle = (int)draw("idle_units", 1, 2);
	for (int i = 0; i < idle; i++) {
		struct unit_config config;
		unit_config_draw(&config, units + i);
		config.readers = config.pollers = 0;
		config.writer = config.sender = config.receiver = config.ioctls = false;
		config.up = true;
		struct unit* unit = unit_add(&config);
		int pollers = (int)rng_range(&gStress.rng, 1, 3);
		for (int p = 0; p < pollers; p++) {
			snprintf(name, sizeof(name), "idle-poller-%d.%d", unit->index, p);
			worker_spawn(name, idle_poller_main, unit, false);
		}
	}
	sObserver.max_fds = (int)draw("observer_fds", 1, OBSERVER_FDS);
	sObserver.timeout_max_ms = (int)draw("observer_timeout_max_ms", 0, 100);
	int observers = (int)draw("observers", 1, 6);
	for (int i = 0; i < observers; i++) {
		snprintf(name, sizeof(name), "observer-%d", i);
		worker_spawn(name, observer_main, &sObserver, true);
	}
	sInterrupter.min_us = (int)draw("interrupt_min_us", 1000, 20000);
	sInterrupter.max_us = (int)draw("interrupt_max_us", sInterrupter.min_us, 100000);
	sInterrupter.quiet_permille = (int)draw("interrupt_quiet_permille", 200, 600);
	worker_spawn("interrupter", interrupter_main, &sInterrupter, false);
}

const struct scenario kSelectStorm = {"select-storm",
	"poll-driven consumers, multi-unit observers, idle units that must not wake", setup};
