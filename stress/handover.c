/* The hand-over of a unit's descriptor to its workers: a worker enters the current life (waits
 * while the unit is between lives), uses its descriptor, leaves; what a deleted life may return. */
#include "stress.h"

/* ENODEV (or POLLHUP) is legitimate once this life's delete began */
bool
unit_deleted(struct unit* unit, uint32 life)
{
	return atomic_get((int32*)&unit->deleting_life) == (int32)life;
}

bool
unit_closing(struct unit* unit)
{
	return __atomic_load_n(&unit->closing, __ATOMIC_ACQUIRE);
}

bool
unit_enter(struct worker* self, struct unit* unit, struct unit_view* view)
{
	op_begin(self, OP_WAIT, unit->index, gStress.stall_timeout);
	pthread_mutex_lock(&unit->lock);
	while (!unit->live || unit->closing || unit->life == self->dead_life) {
		if (stopping()) {
			pthread_mutex_unlock(&unit->lock);
			op_end(self, OP_WAIT);
			return false;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&unit->changed, &unit->lock, &until);
	}
	unit->users++;
	view->fd = unit->fd;
	view->life = unit->life;
	pthread_mutex_unlock(&unit->lock);
	op_end(self, OP_WAIT);
	return true;
}

void
unit_leave(struct unit* unit)
{
	pthread_mutex_lock(&unit->lock);
	if (--unit->users == 0)
		pthread_cond_broadcast(&unit->changed);
	pthread_mutex_unlock(&unit->lock);
}
