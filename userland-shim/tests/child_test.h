/* Running a test step in a forked child with its stderr captured, for the tests of what must end
 * the process: panics, ASan reports, deadlock reports. Include after cmocka.h. */
#ifndef CHILD_TEST_H
#define CHILD_TEST_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* runs child() in a forked process (20 s at most) with its stderr captured; its wait status */
static int __attribute__((unused)) run_in_child(void (*child)(void), char* output, size_t size)
{
	int pipeEnds[2];
	assert_int_equal(pipe(pipeEnds), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipeEnds[1], STDERR_FILENO);
		close(pipeEnds[0]);
		alarm(20);
		child();
		_exit(0);
	}
	close(pipeEnds[1]);
	size_t used = 0;
	ssize_t bytes;
	while ((bytes = read(pipeEnds[0], output + used, size - 1 - used)) > 0)
		used += bytes;
	output[used] = '\0';
	close(pipeEnds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* `action` in a forked child must end in SIGABRT with both strings in its stderr (a panic, an
 * ASan report: the Makefile's ASAN_OPTIONS abort) */
static void __attribute__((unused))
expect_abort(void (*action)(void), const char* marker, const char* fragment)
{
	char output[16384];
	int status = run_in_child(action, output, sizeof(output));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || strstr(output, marker) == NULL
		|| strstr(output, fragment) == NULL)
		fail_msg("expected an abort with \"%s\" and \"%s\"; child status 0x%x, output:\n%s", marker,
			fragment, status, output);
}

#endif
