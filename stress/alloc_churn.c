/* alloc-churn: threads create, delete, clone-open, open, close, up and down units by the hundred
 * (toward a drawn number of live units), while live units must always equal published nodes. */
#include "stress.h"

#include <stdlib.h>
#include <string.h>

#define CHURN_FDS 64
#define CHURN_NAMES 512

static int32 sUpCount; /* approximate: units a churner brought up */

struct churn_fd {
	int fd;
	bool tap;
};

struct churner {
	struct worker* self;
	const struct churn_config* config;
	struct churn_fd fds[CHURN_FDS];
	int fd_count;
	char names[CHURN_NAMES][TUNTAP_NAME_LENGTH];
	int name_count; /* ring: the latest CHURN_NAMES */
};

/* a creation that lost its number to a clone (ENODEV, BUSY) or found the semaphore table full
 * (the shim has 4096 semaphores; a unit takes 2 and an open descriptor 2 more) */
static bool
exhaustion(int64 status)
{
	if (status == B_DEVICE_NOT_FOUND || status == B_BUSY) {
		atomic_add64(&gStress.exhausted, 1);
		return true;
	}
	return table_exhausted(status);
}

static void
remember(struct churner* churner, const char* name)
{
	snprintf(churner->names[churner->name_count % CHURN_NAMES], TUNTAP_NAME_LENGTH, "%s", name);
	churner->name_count++;
}

static const char*
some_name(struct churner* churner, char* buffer)
{
	struct rng* rng = &churner->self->rng;
	int known = churner->name_count < CHURN_NAMES ? churner->name_count : CHURN_NAMES;
	if (known > 0 && rng_chance(rng, 800))
		return churner->names[rng_range(rng, 0, known - 1)];
	snprintf(buffer, TUNTAP_NAME_LENGTH, "%s%d", rng_chance(rng, 500) ? "tap/" : "tun/",
		(int)rng_range(rng, 0, churner->config->range - 1));
	return buffer;
}

static void
do_create(struct churner* churner)
{
	struct worker* self = churner->self;
	char buffer[TUNTAP_NAME_LENGTH];
	snprintf(buffer, sizeof(buffer), "%s%d", rng_chance(&self->rng, 500) ? "tap/" : "tun/",
		(int)rng_range(&self->rng, 0, churner->config->range - 1));
	gate_enter(self);
	op_begin(self, OP_CREATE, -1, gStress.op_bound);
	status_t status = shim_if_create(buffer);
	op_end(self, OP_CREATE);
	gate_leave();
	/* B_NAME_IN_USE: a concurrent create of the name listed its interface first (Haiku's
	 * add_interface(); both got the same device interface) */
	if (status == B_OK)
		remember(churner, buffer);
	else if (status != B_NAME_IN_USE && !create_fault(self, status) && !exhaustion(status))
		stress_fail_contract(self, "ifconfig %s: %s", buffer, shim_status_name(status));
}

static void
do_delete(struct churner* churner)
{
	struct worker* self = churner->self;
	char buffer[TUNTAP_NAME_LENGTH];
	const char* name = some_name(churner, buffer);
	gate_enter(self);
	op_begin(self, OP_DELETE, -1, gStress.op_bound);
	status_t status = shim_if_delete(name);
	op_end(self, OP_DELETE);
	gate_leave();
	if (status == B_OK)
		atomic_add64(&gStress.deletes, 1);
	else if (status != B_BAD_VALUE && !fault_error(self, status))
		stress_fail_contract(self, "ifconfig --delete %s: %s", name, shim_status_name(status));
}

static void
keep_or_close(struct churner* churner, int fd, bool tap)
{
	struct worker* self = churner->self;
	if (churner->fd_count < churner->config->keep_fds && churner->fd_count < CHURN_FDS) {
		churner->fds[churner->fd_count++] = (struct churn_fd){fd, tap};
		return;
	}
	op_begin(self, OP_CLOSE, -1, gStress.call_bound);
	status_t status = shim_close(fd);
	op_end(self, OP_CLOSE);
	if (status != B_OK)
		stress_fail_contract(self, "close: %s", shim_status_name(status));
}

static void
do_clone(struct churner* churner)
{
	struct worker* self = churner->self;
	bool tap = rng_chance(&self->rng, 500);
	gate_enter(self);
	op_begin(self, OP_CLONE, -1, gStress.call_bound);
	int fd = shim_open(tap ? "/dev/tap/clone" : "/dev/tun/clone", SHIM_O_RDWR | SHIM_O_NONBLOCK);
	op_end(self, OP_CLONE);
	gate_leave();
	if (fd < 0) {
		if (!create_fault(self, fd) && !exhaustion(fd))
			stress_fail_contract(
				self, "open %s clone: %s", tap ? "tap" : "tun", shim_status_name(fd));
		return;
	}
	char name[TUNTAP_NAME_LENGTH] = "";
	char path[TUNTAP_NAME_LENGTH + 8];
	op_begin(self, OP_IOCTL, -1, gStress.call_bound);
	status_t status = shim_ioctl_buf(fd, TUNTAP_GET_NAME, name, sizeof(name), sizeof(name));
	op_end(self, OP_IOCTL);
	if (status == B_OK) {
		if (strncmp(name, tap ? "tap/" : "tun/", 4) != 0)
			stress_fail_contract(self, "a %s clone got unit \"%s\"", tap ? "tap" : "tun", name);
		remember(churner, name);
		/* the node existed when we looked if the unit was still not deleted afterwards */
		snprintf(path, sizeof(path), "/dev/%s", name);
		bool exists = shim_node_exists(path);
		char again[TUNTAP_NAME_LENGTH];
		op_begin(self, OP_IOCTL, -1, gStress.call_bound);
		status = shim_ioctl_buf(fd, TUNTAP_GET_NAME, again, sizeof(again), sizeof(again));
		op_end(self, OP_IOCTL);
		if (!exists && status == B_OK)
			stress_fail_contract(self, "clone unit %s is live but %s is not published", name, path);
	}
	if (status != B_OK && status != B_DEVICE_NOT_FOUND && !fault_error(self, status))
		stress_fail_contract(
			self, "TUNTAP_GET_NAME on a clone descriptor: %s", shim_status_name(status));
	keep_or_close(churner, fd, tap);
}

static void
do_open(struct churner* churner)
{
	struct worker* self = churner->self;
	char buffer[TUNTAP_NAME_LENGTH], path[TUNTAP_NAME_LENGTH + 8];
	const char* name = some_name(churner, buffer);
	snprintf(path, sizeof(path), "/dev/%s", name);
	op_begin(self, OP_OPEN, -1, gStress.call_bound);
	int fd = shim_open(path, SHIM_O_RDWR | SHIM_O_NONBLOCK);
	op_end(self, OP_OPEN);
	if (fd >= 0)
		keep_or_close(churner, fd, strncmp(name, "tap/", 4) == 0);
	else if (fd != B_ENTRY_NOT_FOUND && fd != B_BUSY && fd != B_DEVICE_NOT_FOUND
			 && !fault_error(self, fd) && !table_exhausted(fd)) /* an open takes 2 semaphores */
		stress_fail_contract(self, "open %s: %s", path, shim_status_name(fd));
}

static void
do_close(struct churner* churner)
{
	if (churner->fd_count == 0)
		return;
	struct worker* self = churner->self;
	int index = (int)rng_range(&self->rng, 0, churner->fd_count - 1);
	int fd = churner->fds[index].fd;
	churner->fds[index] = churner->fds[--churner->fd_count];
	op_begin(self, OP_CLOSE, -1, gStress.call_bound);
	status_t status = shim_close(fd);
	op_end(self, OP_CLOSE);
	if (status != B_OK)
		stress_fail_contract(self, "close: %s", shim_status_name(status));
}

/* the result of one call on a kept descriptor: ENODEV once its unit is deleted */
static void
kept_result(struct worker* self, const char* what, int64 result)
{
	if (result == B_INTERRUPTED)
		saw_interrupt(self, what);
	else if (result < 0 && result != B_WOULD_BLOCK && result != B_DEVICE_NOT_FOUND
			 && !fault_error(self, result))
		stress_fail_contract(self, "%s on a kept descriptor: %s", what, shim_status_name(result));
}

/* one small write, a non-blocking read and the stats on a kept descriptor */
static void
do_io(struct churner* churner)
{
	if (churner->fd_count == 0)
		return;
	struct worker* self = churner->self;
	struct churn_fd* kept = &churner->fds[rng_range(&self->rng, 0, churner->fd_count - 1)];
	uint8 packet[64] = {0};
	memset(packet, 0xff, 6);
	if (!kept->tap)
		packet[0] = 0x45;
	op_begin(self, OP_WRITE, -1, gStress.call_bound);
	ssize_t written = shim_write(kept->fd, packet, kept->tap ? 60 : 40);
	op_done(self, OP_WRITE, written != B_WOULD_BLOCK);
	if (!write_refused_full(self, "a kept descriptor's unit", written))
		kept_result(self, "write", written);
	uint8 buffer[PACKET_MAX];
	op_begin(self, OP_READ, -1, gStress.call_bound);
	ssize_t length = shim_read(kept->fd, buffer, sizeof(buffer));
	op_done(self, OP_READ, length != B_WOULD_BLOCK);
	kept_result(self, "read", length);
	struct tuntap_stats stats;
	op_begin(self, OP_IOCTL, -1, gStress.call_bound);
	status_t status = shim_ioctl_buf(kept->fd, TUNTAP_GET_STATS, &stats, sizeof(stats), 0);
	op_end(self, OP_IOCTL);
	kept_result(self, "TUNTAP_GET_STATS", status);
	if (status == B_OK) {
		char name[32];
		snprintf(name, sizeof(name), "(kept fd %d)", kept->fd);
		check_stats_identity(self, name, &stats);
	}
}

static void
do_updown(struct churner* churner)
{
	struct worker* self = churner->self;
	char buffer[TUNTAP_NAME_LENGTH];
	const char* name = some_name(churner, buffer);
	bool up = atomic_get(&sUpCount) < churner->config->max_up && rng_chance(&self->rng, 500);
	gate_enter(self);
	op_begin(self, OP_UPDOWN, -1, gStress.op_bound);
	status_t status = up ? shim_if_up(name) : shim_if_down(name);
	op_end(self, OP_UPDOWN);
	gate_leave();
	if (status == B_OK && up)
		atomic_add(&sUpCount, 1);
	else if (status == B_OK && atomic_get(&sUpCount) > 0)
		atomic_add(&sUpCount, -1);
	else if (status != B_OK && status != B_BAD_VALUE && status != B_DEVICE_NOT_FOUND
			 && !fault_error(self, status))
		stress_fail_contract(
			self, "ifconfig %s %s: %s", name, up ? "up" : "down", shim_status_name(status));
}

status_t
churn_main(struct worker* self)
{
	struct churner* churner = calloc(1, sizeof(*churner));
	churner->self = self;
	churner->config = self->data;
	while (!stopping()) {
		bool grow = atomic_get64(&gStress.live_units) < churner->config->target_live;
		int choice = (int)rng_range(&self->rng, 0, 99);
		/* growing: create 30, clone 25, delete 5; shrinking: create 5, clone 5, delete 50 */
		int create = grow ? 30 : 5, clone = create + (grow ? 25 : 5);
		int delete = clone + (grow ? 5 : 50);
		if (choice < create)
			do_create(churner);
		else if (choice < clone)
			do_clone(churner);
		else if (choice < delete)
			do_delete(churner);
		else if (choice < delete + 10)
			do_open(churner);
		else if (choice < delete + 20)
			do_close(churner);
		else if (choice < delete + 35)
			do_io(churner);
		else
			do_updown(churner);
	}
	while (churner->fd_count > 0)
		do_close(churner);
	free(churner);
	return B_OK;
}

static struct churn_config sChurn;

static void
setup(struct worker* self)
{
	(void)self;
	sChurn.range = (int)draw("range", 64, 4096);
	sChurn.target_live = (int)draw("target_live", 100, 3000);
	sChurn.keep_fds = (int)draw("keep_fds", 1, CHURN_FDS);
	sChurn.max_up = (int)draw("max_up", 0, 32);
	int churners = (int)draw("churners", 2, 8);
	for (int i = 0; i < churners; i++) {
		char name[32];
		snprintf(name, sizeof(name), "churner-%d", i);
		worker_spawn(name, churn_main, &sChurn, true);
	}
}

const struct scenario kAllocChurn = {
	"alloc-churn", "create, delete, clone-open, open, close, up, down by the hundred", setup};
