/* The unit engine's workers: readers, a writer, pollers, a poll-driven consumer and an ioctl
 * worker on the application side; the stack peer's sender and receiver on the other. */
#include "stress.h"


#include <string.h>
#include <sys/ioctl.h>

static size_t
random_length(struct worker* self, struct unit* unit)
{
	return (size_t)rng_range(&self->rng, unit->config.min_size, unit->config.max_size);
}

/* ---- application side ---------------------------------------------------------------------- */

/* ENODEV and friends; returns true if the worker must leave this life */
static bool
app_error(struct worker* self, struct unit* unit, const struct unit_view* view, const char* what,
	int64 status)
{
	if (status == B_INTERRUPTED) {
		saw_interrupt(self, what);
		return false;
	}
	if (status == B_DEVICE_NOT_FOUND && unit_deleted(unit, view->life)) {
		self->dead_life = view->life;
		return true;
	}
	if (fault_error(self, status) || table_exhausted(status))
		return false;
	if (!STRESS_CONTRACT) {
		/* which errors a driver returns is its contract: not checked here; a short pause keeps
		 * a call the driver refuses from spinning */
		snooze(rng_range(&self->rng, 100, 1000));
		return false;
	}
	if (status == B_NO_MORE_SEMS || status == B_NO_MEMORY) {
		/* no fault injected during the call: exhaustion, so say what is live */
		struct shim_objects live;
		shim_objects_get(&live);
		stress_fail_contract(self,
			"%s on %s (life %u): %s with no fault injected during the call (live: %lld "
			"semaphores, %lld allocations, %lld net_buffers, %lld nodes)",
			what, unit->name, view->life, shim_status_name(status), (long long)live.semaphores,
			(long long)live.allocations, (long long)live.net_buffers, (long long)live.nodes);
		shim_dump_semaphores(stdout);
		return true;
	}
	stress_fail_contract(
		self, "%s on %s (life %u): %s", what, unit->name, view->life, shim_status_name(status));
	return true;
}

/* after a ctrl+c or an error the application may do something else for a while (at most one
 * such break every 5-20 s); a reader that was woken for the packet it left behind must have
 * handed the wake-up on to the other readers */
static void
take_a_break(struct worker* self, struct unit* unit, bigtime_t* allowed)
{
	bigtime_t now = system_time();
	if (now < *allowed)
		return;
	bigtime_t end = now + rng_range(&self->rng, 500, 4000) * 1000;
	while (system_time() < end && !stopping() && !unit_closing(unit))
		snooze(10000);
	*allowed = system_time() + rng_range(&self->rng, 5000, 20000) * 1000;
}

status_t
reader_main(struct worker* self)
{
	struct unit* unit = self->data;
	bool single = unit->config.readers == 1;
	bigtime_t bound = gStress.call_bound;
	uint8 buffer[PACKET_MAX];
	struct unit_view view;
	/* every 1-5 s a buggy application reads into a bad buffer: B_BAD_ADDRESS, and the packet
	 * stays queued for the next read (anybody's) */
	bigtime_t nextBad = system_time() + rng_range(&self->rng, 1000, 5000) * 1000;
	bigtime_t breakAllowed = 0;
	while (!stopping() && unit_enter(self, unit, &view)) {
		struct rx_state state = {0};
		while (!stopping() && !unit_closing(unit)) {
			bool bad = system_time() >= nextBad;
			if (bad)
				nextBad = system_time() + rng_range(&self->rng, 1000, 5000) * 1000;
			/* a blocking read may wait for ever: the watchdog's idle rule (wait_rule.h) */
			traffic_mark_take(self, unit, !unit->config.nonblocking);
			op_begin(self, OP_READ, unit->index, bound);
			op_args(self, view.fd, PACKET_MAX, bad);
			ssize_t length = bad ? shim_read_user(view.fd, shim_user_bad_address(), PACKET_MAX)
								 : shim_read(view.fd, buffer, sizeof(buffer));
			op_done(self, OP_READ, length != B_WOULD_BLOCK);
			op_result(self, length);
			read_completed(self, unit, length, bad);
			if (length > 0 && bad) {
				stress_fail(self, "%s: a read into a bad buffer returned %zd", unit->name, length);
				break;
			}
			if (length > 0)
				check_app_packet(self, unit, view.life, buffer, length, &state, single);
			else if (length == B_WOULD_BLOCK && unit->config.nonblocking)
				snooze(rng_range(&self->rng, 20, 500));
			else if (bad && length == B_BAD_ADDRESS) {
				if (rng_chance(&self->rng, 500))
					take_a_break(self, unit, &breakAllowed);
			} else if (app_error(self, unit, &view, "read", length))
				break;
			else if (rng_chance(&self->rng, 100))
				take_a_break(self, unit, &breakAllowed);
		}
		unit_leave(unit);
	}
	return B_OK;
}

bool
write_refused_full(struct worker* self, const char* unitName, ssize_t written)
{
	if (written != SHIM_ENOBUFS || fault_during(self))
		return false;
	/* Haiku's tunnel_write: its receive fifo's ENOBUFS past TUNNEL_QUEUE_MAX bytes, while its
	 * tunnel_select reports writable always (corpora/upstream/known.stress) */
	stress_fail(self,
		"%s: write refused a frame with ENOBUFS (no room): a blocking write must wait for room, "
		"a non-blocking one say EAGAIN, so poll's POLLOUT means something",
		unitName);
	return true;
}

/* a few frames ahead of the stack peer at most, so its capture never overflows */
static void
writer_throttle(struct worker* self, struct unit* unit)
{
	for (int round = 0; round < 1000 && !stopping() && !unit_closing(unit); round++) {
		pthread_rwlock_rdlock(&unit->life_lock);
		int pending = unit->exists ? shim_stack_pending(unit->name) : 0;
		pthread_rwlock_unlock(&unit->life_lock);
		if (pending < 1024)
			return;
		snooze(500);
	}
}

status_t
writer_main(struct worker* self)
{
	struct unit* unit = self->data;
	bigtime_t bound = gStress.call_bound;
	uint8 packet[PACKET_MAX];
	struct unit_view view;
	int count = 0;
	while (!stopping() && unit_enter(self, unit, &view)) {
		while (!stopping() && !unit_closing(unit)) {
			if (unit->config.up && ++count % 32 == 0)
				writer_throttle(self, unit);
			uint64 seq = unit->to_stack.next;
			size_t length = random_length(self, unit);
			packet_build(unit, false, view.life, seq, length, packet);
			op_begin(self, OP_WRITE, unit->index, bound);
			op_args(self, view.fd, (int64)length, 0);
			ssize_t written = shim_write(view.fd, packet, length);
			op_done(self, OP_WRITE, written != B_WOULD_BLOCK);
			op_result(self, written);
			if (written == (ssize_t)length) {
				stream_advance(&unit->to_stack, seq, false);
				atomic_add64(&unit->writes_ok, 1);
			} else if (written >= 0) {
				stress_fail(
					self, "%s: write of %zu bytes returned %zd", unit->name, length, written);
				break;
			} else if (write_refused_full(self, unit->name, written))
				break;
			else if (written == B_WOULD_BLOCK && unit->config.nonblocking)
				snooze(rng_range(&self->rng, 20, 500));
			else if (app_error(self, unit, &view, "write", written))
				break;
		}
		unit_leave(unit);
	}
	return B_OK;
}

static bool
check_revents(struct worker* self, struct unit* unit, const struct unit_view* view,
	const struct shim_pollfd* poll)
{
	uint16 allowed = poll->events | SHIM_POLLHUP;
	if ((poll->revents & ~allowed) != 0) {
		stress_fail(self, "%s: poll(0x%x) reported 0x%x", unit->name, poll->events, poll->revents);
		return true;
	}
	if ((poll->revents & SHIM_POLLHUP) != 0) {
		if (!unit_deleted(unit, view->life)) {
			stress_fail_contract(self, "%s: POLLHUP on a live unit", unit->name);
			return true;
		}
		self->dead_life = view->life;
		return true;
	}
	return false;
}

static bigtime_t
poll_timeout(struct worker* self, int maxMs)
{
	if (rng_chance(&self->rng, 100))
		return 0;
	if (maxMs <= 0 && rng_chance(&self->rng, 300))
		return B_INFINITE_TIMEOUT;
	return rng_range(&self->rng, 1, maxMs > 0 ? maxMs : 50) * 1000;
}

status_t
poller_main(struct worker* self)
{
	struct unit* unit = self->data;
	struct unit_view view;
	while (!stopping() && unit_enter(self, unit, &view)) {
		while (!stopping() && !unit_closing(unit)) {
			struct shim_pollfd poll = {view.fd, SHIM_POLLIN, 0};
			if (rng_chance(&self->rng, 200))
				poll.events |= SHIM_POLLOUT;
			bigtime_t timeout = poll_timeout(self, unit->config.poll_timeout_max_ms);
			traffic_mark_take(self, unit, timeout == B_INFINITE_TIMEOUT);
			op_begin(self, OP_POLL, unit->index,
				timeout == B_INFINITE_TIMEOUT ? gStress.call_bound : timeout + gStress.call_bound);
			op_args(self, view.fd, poll.events, timeout);
			int ready = shim_poll(&poll, 1, timeout);
			op_done(self, OP_POLL, ready != 0);
			op_result(self, ready > 0 ? poll.revents : ready);
			if (ready >= 0) {
				if (ready > 0 && check_revents(self, unit, &view, &poll))
					break;
				if ((poll.revents & SHIM_POLLOUT) != 0)
					snooze(rng_range(&self->rng, 100, 1000));
			} else if (app_error(self, unit, &view, "poll", ready))
				break;
		}
		unit_leave(unit);
	}
	return B_OK;
}

/* select-storm: the only reader and writer of its descriptor, driven by poll. Readiness must be
 * exactly what read and write do: POLLIN means a read succeeds, POLLOUT a write; and a POLLIN
 * poll that times out must not have had a packet queued all along (one poll in four is checked:
 * queued before and after, nothing read or flushed in between). */
status_t
consumer_main(struct worker* self)
{
	struct unit* unit = self->data;
	uint8 buffer[PACKET_MAX], packet[PACKET_MAX];
	struct unit_view view;
	while (!stopping() && unit_enter(self, unit, &view)) {
		struct rx_state state = {0};
		while (!stopping() && !unit_closing(unit)) {
			bool write = unit->config.writer && rng_chance(&self->rng, 500);
			if (write)
				writer_throttle(self, unit);
			struct shim_pollfd poll = {view.fd, SHIM_POLLIN | (write ? SHIM_POLLOUT : 0), 0};
			bigtime_t timeout = rng_range(&self->rng, 1, 50) * 1000;
			struct tuntap_stats before;
			bool checked = STRESS_CONTRACT && rng_chance(&self->rng, 250)
						   && unit_stats(self, unit, view.fd, &before) == B_OK
						   && before.to_app.queued > 0;
			op_begin(self, OP_POLL, unit->index, timeout + gStress.call_bound);
			op_args(self, view.fd, poll.events, timeout);
			int ready = shim_poll(&poll, 1, timeout);
			op_done(self, OP_POLL, ready != 0);
			op_result(self, ready > 0 ? poll.revents : ready);
			struct tuntap_stats after;
			if (ready == 0 && checked && unit_stats(self, unit, view.fd, &after) == B_OK
				&& after.to_app.queued > 0 && after.to_app.dequeued == before.to_app.dequeued
				&& after.to_app.dropped == before.to_app.dropped) {
				stress_fail_contract(self,
					"%s: poll(POLLIN) timed out after %lld ms with %lld packet(s) queued before "
					"and "
					"after it, none read or dropped: readiness hid them",
					unit->name, (long long)(timeout / 1000), (long long)after.to_app.queued);
				break;
			}
			if (ready < 0) {
				if (app_error(self, unit, &view, "poll", ready))
					break;
				continue;
			}
			if (ready > 0 && check_revents(self, unit, &view, &poll))
				break;
			if ((poll.revents & SHIM_POLLIN) != 0) {
				op_begin(self, OP_READ, unit->index, gStress.call_bound);
				op_args(self, view.fd, sizeof(buffer), 0);
				ssize_t length = shim_read(view.fd, buffer, sizeof(buffer));
				op_end(self, OP_READ);
				op_result(self, length);
				if (length > 0)
					check_app_packet(self, unit, view.life, buffer, length, &state, true);
				else if (length == B_WOULD_BLOCK)
					stress_fail(self, "%s: poll said POLLIN, read said EAGAIN", unit->name);
				else if (app_error(self, unit, &view, "read", length))
					break;
			}
			if ((poll.revents & SHIM_POLLOUT) != 0) {
				uint64 seq = unit->to_stack.next;
				size_t length = random_length(self, unit);
				packet_build(unit, false, view.life, seq, length, packet);
				op_begin(self, OP_WRITE, unit->index, gStress.call_bound);
				op_args(self, view.fd, (int64)length, 0);
				ssize_t written = shim_write(view.fd, packet, length);
				op_end(self, OP_WRITE);
				op_result(self, written);
				if (written == (ssize_t)length) {
					stream_advance(&unit->to_stack, seq, false);
					atomic_add64(&unit->writes_ok, 1);
				} else if (written == B_WOULD_BLOCK)
					stress_fail(self, "%s: poll said POLLOUT, write said EAGAIN", unit->name);
				else if (write_refused_full(self, unit->name, written))
					break;
				else if (app_error(self, unit, &view, "write", written))
					break;
			}
		}
		unit_leave(unit);
	}
	return B_OK;
}

status_t
ioctl_main(struct worker* self)
{
	struct unit* unit = self->data;
	struct unit_view view;
	while (!stopping() && unit_enter(self, unit, &view)) {
		while (!stopping() && !unit_closing(unit)) {
			union {
				char name[TUNTAP_NAME_LENGTH];
				struct tuntap_info info;
				struct tuntap_stats stats;
				int count;
			} argument;
			static const uint32 kOps[] = {
				TUNTAP_GET_NAME, TUNTAP_GET_INFO, TUNTAP_GET_STATS, FIONREAD};
			uint32 op = kOps[rng_range(&self->rng, 0, 3)];
			memset(&argument, 0, sizeof(argument));
			op_begin(self, OP_IOCTL, unit->index, gStress.call_bound);
			op_args(self, view.fd, op, 0);
			status_t status = shim_ioctl_buf(view.fd, op, &argument, sizeof(argument), 0);
			op_end(self, OP_IOCTL);
			op_result(self, status);
			if (status != B_OK) {
				if (app_error(self, unit, &view, "ioctl", status))
					break;
				continue;
			}
			if (op == TUNTAP_GET_NAME && strcmp(argument.name, unit->name) != 0)
				stress_fail_contract(
					self, "%s: TUNTAP_GET_NAME says \"%s\"", unit->name, argument.name);
			else if (op == TUNTAP_GET_INFO
					 && argument.info.mode
							!= (unit->config.tap ? TUNTAP_MODE_TAP : TUNTAP_MODE_TUN))
				stress_fail_contract(
					self, "%s: TUNTAP_GET_INFO mode %u", unit->name, argument.info.mode);
			else if (op == TUNTAP_GET_STATS && STRESS_CONTRACT)
				check_stats_identity(self, unit->name, &argument.stats);
			else if (op == FIONREAD && argument.count < 0)
				stress_fail_contract(self, "%s: FIONREAD %d", unit->name, argument.count);
			snooze(rng_range(&self->rng, 0, 2000));
		}
		unit_leave(unit);
	}
	return B_OK;
}

/* ---- stack side ---------------------------------------------------------------------------- */

/* one packet from the stack; false when the burst should end (no interface now) */
static bool
sender_send(struct worker* self, struct unit* unit)
{
	uint8 packet[PACKET_MAX];
	uint64 seq = unit->to_app.next;
	size_t length = random_length(self, unit);
	pthread_rwlock_rdlock(&unit->life_lock);
	bool exists = unit->exists;
	packet_build(unit, true, unit->life, seq, length, packet);
	op_begin(self, OP_SEND, unit->index, gStress.call_bound);
	op_args(self, -1, (int64)length, 0);
	status_t status = shim_stack_send(unit->name, packet, length, 0);
	op_end(self, OP_SEND);
	op_result(self, status);
	pthread_rwlock_unlock(&unit->life_lock);
	if (status == B_OK || status == B_WOULD_BLOCK)
		stream_advance(&unit->to_app, seq, status == B_WOULD_BLOCK);
	else if (status == B_BAD_VALUE && exists && fault_during(self)) {
		/* the driver could not read the packet's first byte (a user-copy fault in the shim's
		 * net_buffer read): refused and counted as dropped */
		stream_advance(&unit->to_app, seq, true);
	} else if (status == B_BAD_VALUE && !exists) {
		snooze(1000);
		return false;
	} else if (!STRESS_CONTRACT) {
		/* refused (its errors are the driver's contract): it never reaches the application */
		stream_advance(&unit->to_app, seq, true);
		snooze(1000);
		return false;
	} else if (!fault_error(self, status)) {
		stress_fail_contract(self, "%s: send_data: %s", unit->name, shim_status_name(status));
		return false;
	}
	return true;
}

/* the stack's sender: bursts most of the time, and trickle phases (an idle VPN's keepalives:
 * single packets seconds apart) where a lost wake-up cannot hide behind the next packet */
status_t
sender_main(struct worker* self)
{
	struct unit* unit = self->data;
	bool trickle = false;
	bigtime_t phaseEnd = 0;
	while (!stopping()) {
		if (atomic_get(&unit->hold) != 0) {
			snooze(1000);
			continue;
		}
		if (system_time() >= phaseEnd) {
			trickle = rng_chance(&self->rng, 250);
			phaseEnd = system_time() + rng_range(&self->rng, 1000, trickle ? 12000 : 8000) * 1000;
		}
		if (trickle) {
			sender_send(self, unit);
			bigtime_t end = system_time() + rng_range(&self->rng, 300, 4000) * 1000;
			while (system_time() < end && !stopping() && atomic_get(&unit->hold) == 0)
				snooze(10000);
			continue;
		}
		int burst = (int)rng_range(&self->rng, 1, unit->config.burst);
		for (int i = 0; i < burst && !stopping() && sender_send(self, unit); i++) {
		}
		if (unit->config.pause_us > 0)
			snooze(rng_range(&self->rng, 0, unit->config.pause_us));
	}
	return B_OK;
}

status_t
receiver_main(struct worker* self)
{
	struct unit* unit = self->data;
	uint8 buffer[PACKET_MAX];
	while (!stopping()) {
		pthread_rwlock_rdlock(&unit->life_lock);
		if (!unit->exists) {
			pthread_rwlock_unlock(&unit->life_lock);
			snooze(2000);
			continue;
		}
		uint32 life = unit->life;
		op_begin(self, OP_RECV, unit->index, gStress.call_bound);
		op_args(self, -1, 2000, 0);
		ssize_t length = shim_stack_receive(unit->name, buffer, sizeof(buffer), 2000);
		op_done(self, OP_RECV, length != B_TIMED_OUT && length != B_WOULD_BLOCK);
		op_result(self, length);
		pthread_rwlock_unlock(&unit->life_lock);
		if (length > 0)
			check_stack_frame(self, unit, life, buffer, length, &unit->stack_rx, unit->config.up);
		else if (length == B_BAD_ADDRESS && fault_during(self)) {
			/* the peer popped the frame and could not copy it out: it is gone */
			atomic_add64(&unit->stack_lost, 1);
			unit->stack_rx.have = false;
		} else if (length != B_TIMED_OUT && length != B_WOULD_BLOCK && !STRESS_CONTRACT) {
			snooze(2000); /* the driver's errors are its contract */
		} else if (length != B_TIMED_OUT && length != B_WOULD_BLOCK) {
			stress_fail_contract(
				self, "%s: stack receive: %s", unit->name, shim_status_name(length));
			return B_ERROR;
		}
	}
	return B_OK;
}
