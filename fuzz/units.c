/* Names for the harnesses (tun/N and tap/N as text, the per-process name caches, poll events) and
 * the reset's deletion of every interface an input left. See common.h. */
#include "common.h"

#include <string.h>

/* Names are formatted once and cached: snprintf (intercepted under ASan) on every op and every
 * reset was a large part of an input's cost. The caches fill under fz_out's lock (harness
 * threads may race to fill them) and are read without it once published. */
static char sUnitNames[2][FZ_UNIT_NAMES_MAX + 1][TUNTAP_NAME_LENGTH];
static bool sUnitNamesReady;

const char*
fz_unit_name(bool tap, int number)
{
	/* no scratch buffer: every shim thread shares one host thread's in the deterministic build */
	FZ_CHECK(number >= 0 && number <= FZ_UNIT_NAMES_MAX,
		"fz_unit_name(%d): beyond the name cache (FZ_UNIT_NAMES_MAX %d)", number,
		FZ_UNIT_NAMES_MAX);
	if (!__atomic_load_n(&sUnitNamesReady, __ATOMIC_ACQUIRE)) {
		flockfile(fz_out != NULL ? fz_out : stdout);
		if (!sUnitNamesReady) {
			for (int kind = 0; kind < 2; kind++) {
				for (int n = 0; n <= FZ_UNIT_NAMES_MAX; n++)
					snprintf(sUnitNames[kind][n], TUNTAP_NAME_LENGTH, "%s%d",
						kind == 0 ? "tun/" : "tap/", n);
			}
			__atomic_store_n(&sUnitNamesReady, true, __ATOMIC_RELEASE);
		}
		funlockfile(fz_out != NULL ? fz_out : stdout);
	}
	return sUnitNames[tap][number];
}

const char*
fz_unit_text(char* out, const char* prefix, const struct fz_sym* syms, int64 value)
{
	const char* name = syms != NULL ? fz_sym_find(syms, value) : NULL;
	size_t used = strlen(prefix);
	memcpy(out, prefix, used);
	if (name != NULL) {
		size_t length = strnlen(name, FZ_UNIT_TEXT - 1 - used);
		memcpy(out + used, name, length);
		out[used + length] = '\0';
		return out;
	}
	memcpy(out + used, (value & FZ_UNIT_TAP) != 0 ? "tap/" : "tun/", 4);
	used += 4;
	if ((value & FZ_UNIT_CLONE) != 0) {
		memcpy(out + used, "clone", 6);
		return out;
	}
	char digits[8];
	int count = 0;
	uint32 number = (uint32)(value & FZ_UNIT_MAX);
	do {
		digits[count++] = (char)('0' + number % 10);
		number /= 10;
	} while (number > 0);
	while (count > 0)
		out[used++] = digits[--count];
	out[used] = '\0';
	return out;
}

#define DEV_PATHS 32
static struct {
	const struct fz_sym* syms;
	int64 value;
	char path[TUNTAP_NAME_LENGTH + 8];
} sDevPaths[DEV_PATHS];
static int sDevPathCount; /* entries published (release), filled under fz_out's lock */

const char*
fz_dev_path(const struct fz_sym* syms, int64 value)
{
	int count = __atomic_load_n(&sDevPathCount, __ATOMIC_ACQUIRE);
	for (int i = 0; i < count; i++) {
		if (sDevPaths[i].syms == syms && sDevPaths[i].value == value)
			return sDevPaths[i].path;
	}
	FILE* lock = fz_out != NULL ? fz_out : stdout;
	flockfile(lock);
	const char* path = NULL;
	count = sDevPathCount;
	for (int i = 0; i < count && path == NULL; i++) {
		if (sDevPaths[i].syms == syms && sDevPaths[i].value == value)
			path = sDevPaths[i].path;
	}
	if (path == NULL && count < DEV_PATHS) {
		sDevPaths[count].syms = syms;
		sDevPaths[count].value = value;
		snprintf(sDevPaths[count].path, sizeof(sDevPaths[count].path), "/dev/%s",
			fz_sym_name(syms, value));
		path = sDevPaths[count].path;
		__atomic_store_n(&sDevPathCount, count + 1, __ATOMIC_RELEASE);
	}
	funlockfile(lock);
	/* no scratch buffer: every shim thread shares one host thread's in the deterministic build */
	FZ_CHECK(path != NULL, "fz_dev_path: more than %d paths (DEV_PATHS)", DEV_PATHS);
	return path;
}

static char sNoted[16][TUNTAP_NAME_LENGTH];
static int sNotedCount;

void
fz_note_interface(const char* name)
{
	for (int i = 0; i < sNotedCount; i++) {
		if (strcmp(sNoted[i], name) == 0)
			return;
	}
	if (sNotedCount < 16) {
		size_t length = strnlen(name, TUNTAP_NAME_LENGTH - 1); /* snprintf is slow under ASan */
		memcpy(sNoted[sNotedCount], name, length);
		sNoted[sNotedCount++][length] = '\0';
	}
}

/* delete every interface there is, in the order shim_if_list gives them */
static void
delete_listed_interfaces(void)
{
	static char names[64][SHIM_IF_NAME_LENGTH];
	int count;
	while ((count = shim_if_list(names, 64)) > 0) {
		for (int i = 0; i < count && i < 64; i++) {
			status_t status = shim_if_delete(names[i]);
			FZ_CHECK(status == B_OK, "reset: delete %s: %s", names[i], shim_status_name(status));
		}
	}
}

void
fz_delete_all_interfaces(bool listed)
{
	for (int i = 0; i < sNotedCount; i++) {
		if (shim_if_exists(sNoted[i]))
			shim_if_delete(sNoted[i]);
	}
	sNotedCount = 0;
	/* Counting up probes every number below the highest unit: a program that named any unit
	 * number (tap/60000) has its interfaces listed instead. Programs that did not are reset as
	 * they always were, the same shim calls in the same order, so their traces do not change. */
	if (listed)
		delete_listed_interfaces();
	for (int number = 0; shim_if_count() > 0; number++) {
		FZ_CHECK(number <= FZ_UNIT_NAMES_MAX,
			"%d interfaces left that are not tun/N or tap/N with a small N", shim_if_count());
		for (int kind = 0; kind < 2; kind++) {
			const char* name = fz_unit_name(kind != 0, number);
			if (shim_if_exists(name)) {
				status_t status = shim_if_delete(name);
				FZ_CHECK(status == B_OK, "reset: delete %s: %s", name, shim_status_name(status));
			}
		}
	}
	/* a reader that removed its own interface is joined by the next ifconfig call */
	shim_if_down("");
}

const char*
fz_poll_events(uint16 events)
{
	static __thread char text[96];
	static const struct {
		uint16 bit;
		const char* name;
	} kEvents[] = {{SHIM_POLLIN, "POLLIN"}, {SHIM_POLLOUT, "POLLOUT"}, {SHIM_POLLERR, "POLLERR"},
		{SHIM_POLLHUP, "POLLHUP"}, {SHIM_POLLNVAL, "POLLNVAL"}};
	size_t used = 0;
	text[0] = '\0';
	for (size_t i = 0; i < sizeof(kEvents) / sizeof(kEvents[0]); i++) {
		if ((events & kEvents[i].bit) != 0) {
			used += (size_t)snprintf(
				text + used, sizeof(text) - used, "%s%s", used > 0 ? "|" : "", kEvents[i].name);
			events &= (uint16)~kEvents[i].bit;
		}
	}
	if (events != 0)
		snprintf(text + used, sizeof(text) - used, "%s0x%x", used > 0 ? "|" : "", events);
	return text[0] != '\0' ? text : "0";
}
