/* AFL++ persistent-mode entry of a fuzz harness: deferred fork server before the shim boots (it
 * starts threads), test cases from shared memory, the same fz_run_input() as libFuzzer calls. */
#include "common.h"

#include <unistd.h>

int LLVMFuzzerInitialize(int* argc, char*** argv);

__AFL_FUZZ_INIT();

int
main(int argc, char** argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	/* AFL's own output and our traces are not wanted: failures go to stderr */
	fz_out = fopen("/dev/null", "w");
	__AFL_INIT();
	unsigned char* buffer = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(100000))
		fz_run_input(buffer, (size_t)__AFL_FUZZ_TESTCASE_LEN);
	return 0;
}
