/* Seed compiler: assembles a harness's text program (one op per line, see fuzz/common.h) into the
 * binary input all three builds read. Usage: <target>-compile-seed IN.txt OUT */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char** argv)
{
	static char text[1 << 20];
	static uint8 output[1 << 20];
	if (argc != 3) {
		fprintf(stderr, "usage: %s IN.txt OUT  (assemble a %s text program)\n", argv[0],
			fz_harness.name);
		return 2;
	}
	FILE* in = fopen(argv[1], "rb");
	if (in == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	size_t length = fread(text, 1, sizeof(text) - 1, in);
	fclose(in);
	text[length] = '\0';
	char error[1024];
	ssize_t size = fz_assemble(text, length, output, sizeof(output), error, sizeof(error));
	if (size < 0) {
		fprintf(stderr, "%s:%s\n", argv[1], error);
		return 2;
	}
	FILE* out = fopen(argv[2], "wb");
	if (out == NULL || fwrite(output, 1, (size_t)size, out) != (size_t)size || fclose(out) != 0) {
		fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
