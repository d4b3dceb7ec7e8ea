/* delete-storm: every unit's manager deletes and re-creates it under full I/O, often with the
 * readers blocked; blocked calls must wake with ENODEV and no packet may cross lives. */
#include "stress.h"

static void
setup(struct worker* self)
{
	(void)self;
	int units = (int)draw("units", 1, 6);
	for (int i = 0; i < units; i++) {
		struct unit_config config;
		unit_config_draw(&config, i);
		config.managed = true;
		unit_config_note_life(&config, i);
		unit_add(&config);
	}
}

const struct scenario kDeleteStorm = {
	"delete-storm", "delete/create cycling under full I/O, readers blocked at the delete", setup};
