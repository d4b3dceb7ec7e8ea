/* The host's SIGQUIT hook for both builds of the host seam: a stall dump from a process that hangs,
 * so a test runner that stops a hung binary shows which thread waits on what. */
#include "shim_private.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"

static void (*sQuitDump)(void);

static void
quit_handler(int number)
{
	static const char kLine[] = "\nshim: SIGQUIT: the process is stopped; what each thread does:\n";
	if (write(STDERR_FILENO, kLine, sizeof(kLine) - 1) < 0) {
		/* nothing to do: stderr is the only place to say it */
	}
	if (sQuitDump != NULL)
		sQuitDump();
	signal(number, SIG_DFL);
	raise(number);
}

void
host_on_quit(void (*dump)(void))
{
	struct sigaction current;
	if (sQuitDump != NULL || sigaction(SIGQUIT, NULL, &current) != 0
		|| current.sa_handler != SIG_DFL)
		return;
	sQuitDump = dump;
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = quit_handler;
	sigemptyset(&action.sa_mask);
	sigaction(SIGQUIT, &action, NULL);
}
