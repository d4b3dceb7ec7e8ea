/* The op-program format shared by every harness and build: decoding bytes into ops, printing ops
 * as text (traces, -d) and assembling text programs (seeds) back into bytes. See common.h. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "shim_sched.h"

/* ---- the format ---------------------------------------------------------------------------- */

struct reader {
	const uint8* data;
	size_t end;
	size_t pos;
};

static uint64
take(struct reader* reader, int bytes)
{
	uint64 value = 0;
	for (int i = 0; i < bytes; i++) {
		if (reader->pos < reader->end)
			value |= (uint64)reader->data[reader->pos++] << (8 * i);
	}
	return value;
}

static int
sym_count(const struct fz_sym* syms)
{
	int count = 0;
	while (syms[count].name != NULL)
		count++;
	return count;
}

static void decode_args(
	struct reader* reader, const struct fz_arg* args, struct fz_op* op, struct fz_program* program);

/* the header ops' specs (no code of their own: they stand before the program), each after its
 * magic; the sched magic starts no input of corpora/ (nor follows a failnth header in one) */
const struct fz_sym fz_sched_syms[] = {{"tape", SHIM_SCHED_TAPE}, {"pct", SHIM_SCHED_PCT},
	{"chaos", SHIM_SCHED_CHAOS}, {"mix", SHIM_SCHED_MIX}, {NULL, 0}};
const struct fz_op_spec fz_header_ops[FZ_HEADERS] = {{"failnth", {{"n", FZ_U32}}},
	{"sched", {{"strategy", FZ_ENUM, fz_sched_syms}, {"depth", FZ_U8}}}};
static const uint8 kHeaderMagic[FZ_HEADERS][FZ_HEADER_MAGIC_LENGTH] = {
	{0xf5, 0x1d, 0xfa, 0x17}, {0x5c, 0xed, 0x1e, 0x57}};

/* the header op whose magic starts data[pos...], or -1 */
static int
header_at(const uint8* data, size_t size, size_t pos)
{
	for (int h = 0; h < FZ_HEADERS; h++) {
		if (size - pos >= FZ_HEADER_MAGIC_LENGTH
			&& memcmp(data + pos, kHeaderMagic[h], FZ_HEADER_MAGIC_LENGTH) == 0)
			return h;
	}
	return -1;
}

void
fz_decode(const uint8* data, size_t size, struct fz_program* program)
{
	struct reader reader = {data, size, 0};
	program->count = 0;
	program->tape = NULL;
	program->tape_size = 0;
	program->any_unit = false;
	program->fail_nth = 0;
	program->sched = -1;
	program->sched_depth = 0;
	/* header ops, any number, a later one overriding an earlier one of its kind */
	for (int h; (h = header_at(data, size, reader.pos)) >= 0;) {
		struct fz_op header = {0};
		reader.pos += FZ_HEADER_MAGIC_LENGTH;
		decode_args(&reader, fz_header_ops[h].args, &header, program);
		if (h == FZ_HEADER_FAILNTH)
			program->fail_nth = header.arg[0];
		else {
			program->sched = (int)header.arg[0];
			program->sched_depth = (int)header.arg[1];
		}
	}
	if (fz_harness.flags & FZ_TAPE) {
		size_t length = take(&reader, 2);
		reader.end = reader.pos + length < size ? reader.pos + length : size;
		program->tape = data + reader.end;
		program->tape_size = size - reader.end;
	}
	while (reader.pos < reader.end && program->count < FZ_MAX_OPS) {
		struct fz_op* op = &program->ops[program->count];
		memset(op, 0, sizeof(*op));
		op->index = program->count++;
		if (fz_harness.flags & FZ_THREADS)
			op->thread = (int)(take(&reader, 1) % (uint64)fz_harness.threads);
		op->code = (int)(take(&reader, 1) % (uint64)fz_harness.op_count);
		decode_args(&reader, fz_harness.ops[op->code].args, op, program);
	}
}

static void
decode_args(
	struct reader* reader, const struct fz_arg* args, struct fz_op* op, struct fz_program* program)
{
	const uint8* data = reader->data;
	for (int i = 0; i < FZ_MAX_ARGS && args[i].kind != FZ_NONE; i++) {
		switch (args[i].kind) {
			case FZ_U8:
				op->arg[i] = (int64)take(reader, 1);
				break;
			case FZ_U16:
				op->arg[i] = (int64)take(reader, 2);
				break;
			case FZ_U32:
				op->arg[i] = (int64)take(reader, 4);
				break;
			case FZ_ENUM:
				op->arg[i] = args[i].syms[take(reader, 1) % (uint64)sym_count(args[i].syms)].value;
				break;
			case FZ_UNIT: {
				uint64 selector = take(reader, 1);
				bool escaped = selector == FZ_UNIT_ESCAPE_TUN || selector == FZ_UNIT_ESCAPE_TAP;
				program->any_unit |= escaped;
				op->arg[i] = escaped
								 ? FZ_UNIT_NAME(selector == FZ_UNIT_ESCAPE_TAP, take(reader, 2))
								 : args[i].syms[selector % (uint64)sym_count(args[i].syms)].value;
				break;
			}
			case FZ_CODE: {
				uint64 selector = take(reader, 1);
				op->arg[i] = selector < 0xf0
								 ? args[i].syms[selector % (uint64)sym_count(args[i].syms)].value
								 : (int64)take(reader, 4);
				break;
			}
			case FZ_DATA: {
				size_t length = take(reader, 2);
				size_t left = reader->end - reader->pos;
				op->size = length < left ? length : left;
				op->data = data + reader->pos;
				reader->pos += op->size;
				break;
			}
			case FZ_NONE:
				break;
		}
	}
}

const char*
fz_sym_find(const struct fz_sym* syms, int64 value)
{
	for (int i = 0; syms[i].name != NULL; i++) {
		if (syms[i].value == value)
			return syms[i].name;
	}
	return NULL;
}

const char*
fz_sym_name(const struct fz_sym* syms, int64 value)
{
	const char* name = fz_sym_find(syms, value);
	return name != NULL ? name : "?";
}

static void print_op_args(
	FILE* out, const struct fz_op_spec* spec, const struct fz_op* op, bool full);

void
fz_print_op(FILE* out, const struct fz_op* op, bool full)
{
	if (fz_harness.flags & FZ_THREADS)
		fprintf(out, "t%d ", op->thread);
	print_op_args(out, &fz_harness.ops[op->code], op, full);
}

void
fz_print_header(FILE* out, const struct fz_program* program)
{
	if (program->fail_nth != 0) {
		struct fz_op header = {.arg = {program->fail_nth}};
		print_op_args(out, &fz_header_ops[FZ_HEADER_FAILNTH], &header, true);
		fputs("\n", out);
	}
	if (program->sched >= 0) {
		struct fz_op header = {.arg = {program->sched, program->sched_depth}};
		print_op_args(out, &fz_header_ops[FZ_HEADER_SCHED], &header, true);
		fputs("\n", out);
	}
}

static void
print_op_args(FILE* out, const struct fz_op_spec* spec, const struct fz_op* op, bool full)
{
	fputs(spec->name, out);
	for (int i = 0; i < FZ_MAX_ARGS && spec->args[i].kind != FZ_NONE; i++) {
		const struct fz_arg* arg = &spec->args[i];
		const char* name = arg->syms != NULL ? fz_sym_find(arg->syms, op->arg[i]) : NULL;
		fprintf(out, " %s=", arg->name);
		if (arg->kind == FZ_DATA) {
			size_t shown = full || op->size <= 32 ? op->size : 32;
			fputs("x:", out);
			for (size_t j = 0; j < shown; j++)
				fprintf(out, "%02x", op->data[j]);
			if (shown < op->size)
				fprintf(out, "...(%zu bytes)", op->size);
		} else if (name != NULL)
			fputs(name, out);
		else if (arg->kind == FZ_UNIT) {
			char text[FZ_UNIT_TEXT];
			fputs(fz_unit_text(text, "", arg->syms, op->arg[i]), out);
		} else if (arg->kind == FZ_CODE || arg->kind == FZ_U32)
			fprintf(out, "0x%llx", (unsigned long long)op->arg[i]);
		else
			fprintf(out, "%lld", (long long)op->arg[i]);
	}
}

/* ---- the assembler ------------------------------------------------------------------------- */

struct writer {
	uint8* out;
	size_t capacity;
	size_t length;
};

static bool
put(struct writer* writer, uint64 value, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		if (writer->length >= writer->capacity)
			return false;
		writer->out[writer->length++] = (uint8)(value >> (8 * i));
	}
	return true;
}

static int
hex_digit(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* x:HEX or "text" into writer (u16 length first when withLength) */
static const char*
put_data(struct writer* writer, const char* token, bool withLength)
{
	size_t start = writer->length;
	if (withLength && !put(writer, 0, 2))
		return "output too long";
	if (strncmp(token, "x:", 2) == 0) {
		for (const char* c = token + 2; *c != '\0'; c += 2) {
			if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]))
				return "bad hex data";
			if (!put(writer, (uint64)(hex_digit(c[0]) << 4 | hex_digit(c[1])), 1))
				return "output too long";
		}
	} else if (token[0] == '"') {
		size_t length = strlen(token);
		if (length < 2 || token[length - 1] != '"')
			return "unterminated string";
		for (size_t i = 1; i + 1 < length; i++) {
			if (!put(writer, (uint8)token[i], 1))
				return "output too long";
		}
	} else
		return "data must be x:HEX or \"text\"";
	if (withLength) {
		size_t length = writer->length - start - 2;
		if (length > 0xffff)
			return "data longer than 65535 bytes";
		writer->out[start] = (uint8)length;
		writer->out[start + 1] = (uint8)(length >> 8);
	}
	return NULL;
}

static bool
parse_number(const char* token, int64* value)
{
	char* end;
	errno = 0;
	*value = (int64)strtoll(token, &end, 0);
	return end != token && *end == '\0' && errno == 0;
}

/* The assembler's error: where on the line (sProblemAt, a pointer into the line being assembled)
 * and what, with the offending token and the valid choices (the assembler runs on one thread). */
static char sProblem[1024];
static const char* sProblemAt;

static const char* __attribute__((format(printf, 2, 3)))
problem_at(const char* at, const char* format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(sProblem, sizeof(sProblem), format, args);
	va_end(args);
	sProblemAt = at;
	return sProblem;
}

/* A list of names for a message, at most what fits: each name joined with `separator`, and once
 * one does not fit, a last ", ..." (when there is room for it). Returns the list. */
struct name_list {
	char text[768];
	size_t used;
	bool full;
};

static struct name_list*
name_list_start(struct name_list* list)
{
	list->used = 0;
	list->full = false;
	list->text[0] = '\0';
	return list;
}

static void
name_list_add(struct name_list* list, const char* separator, const char* name)
{
	if (list->full)
		return;
	size_t room = sizeof(list->text) - list->used;
	int written =
		snprintf(list->text + list->used, room, "%s%s", list->used > 0 ? separator : "", name);
	if (written < 0 || (size_t)written >= room) {
		list->text[list->used] = '\0';
		snprintf(list->text + list->used, room, "%s...", list->used > 0 ? separator : "");
		list->full = true;
		return;
	}
	list->used += (size_t)written;
}

/* the names of a symbol table, for "use one of" messages */
static const char*
sym_choices(const struct fz_sym* syms)
{
	static struct name_list list;
	name_list_start(&list);
	for (int i = 0; syms[i].name != NULL; i++)
		name_list_add(&list, ", ", syms[i].name);
	return list.text;
}

/* the op's argument names, for "missing" and "too many" messages */
static const char*
arg_names(const struct fz_op_spec* op)
{
	static struct name_list list;
	name_list_start(&list);
	for (int i = 0; i < FZ_MAX_ARGS && op->args[i].kind != FZ_NONE; i++)
		name_list_add(&list, " ", op->args[i].name);
	return list.used > 0 ? list.text : "no arguments";
}

/* the harness's op names, for "unknown op" messages */
static const char*
op_names(void)
{
	static struct name_list list;
	name_list_start(&list);
	for (int i = 0; i < fz_harness.op_count; i++)
		name_list_add(&list, ", ", fz_harness.ops[i].name);
	return list.text;
}

/* the symbols of an FZ_UNIT table that are not tun/N or tap/N (clone paths, refused names) */
static const char*
unit_others(const struct fz_sym* syms)
{
	static struct name_list list;
	name_list_start(&list);
	for (int i = 0; syms[i].name != NULL; i++) {
		if ((syms[i].value & (FZ_UNIT_CLONE | FZ_UNIT_OTHER)) != 0)
			name_list_add(&list, ", ", syms[i].name);
	}
	return list.text;
}

/* tun/N or tap/N, any unit number the driver accepts (0..FZ_UNIT_MAX, decimal, no leading
 * zeros: driver/README.md), as the escape byte and N; `at` is where the argument starts */
static const char*
put_unit(struct writer* writer, const struct fz_arg* arg, const char* at, const char* token)
{
	bool tap = strncmp(token, "tap/", 4) == 0;
	if (!tap && strncmp(token, "tun/", 4) != 0) {
		const char* others = unit_others(arg->syms);
		return problem_at(at, "unknown %s '%s': use tun/N or tap/N (N 0..%d)%s%s", arg->name, token,
			FZ_UNIT_MAX, others[0] != '\0' ? ", or one of " : "", others);
	}
	const char* digits = token + 4;
	size_t length = strlen(digits);
	if (length == 0 || strspn(digits, "0123456789") != length || (digits[0] == '0' && length > 1))
		return problem_at(digits,
			"unit number '%s' in '%s' is not a decimal 0..%d without leading zeros", digits, token,
			FZ_UNIT_MAX);
	if (length > 5 || strtol(digits, NULL, 10) > FZ_UNIT_MAX)
		return problem_at(
			digits, "unit number %s in '%s' is out of range 0..%d", digits, token, FZ_UNIT_MAX);
	return put(writer, tap ? FZ_UNIT_ESCAPE_TAP : FZ_UNIT_ESCAPE_TUN, 1)
				   && put(writer, (uint64)strtol(digits, NULL, 10), 2)
			   ? NULL
			   : "output too long";
}

static const char*
put_arg(struct writer* writer, const struct fz_arg* arg, const char* token)
{
	const char* at = token;
	const char* equals = strchr(token, '=');
	if (equals != NULL && token[0] != '"' && strncmp(token, "x:", 2) != 0) {
		if ((size_t)(equals - token) != strlen(arg->name)
			|| strncmp(token, arg->name, strlen(arg->name)) != 0)
			return problem_at(at,
				"'%.*s' is not the argument here: expected %s=", (int)(equals - token), token,
				arg->name);
		token = equals + 1;
	}
	int64 value = 0;
	int index = -1;
	if (arg->syms != NULL) {
		for (int i = 0; arg->syms[i].name != NULL && index < 0; i++) {
			if (strcmp(arg->syms[i].name, token) == 0)
				index = i;
		}
		/* a unit is named, not numbered: "2" is no tap/0 */
		if (index < 0 && arg->kind != FZ_UNIT && parse_number(token, &value)) {
			for (int i = 0; arg->syms[i].name != NULL && index < 0; i++) {
				if (arg->syms[i].value == value)
					index = i;
			}
		}
	}
	switch (arg->kind) {
		case FZ_DATA: {
			const char* error = put_data(writer, token, true);
			return error != NULL ? problem_at(at, "%s: '%s'", error, token) : NULL;
		}
		case FZ_ENUM:
			if (index < 0)
				return problem_at(
					at, "unknown %s '%s': use one of %s", arg->name, token, sym_choices(arg->syms));
			return put(writer, (uint64)index, 1) ? NULL : "output too long";
		case FZ_UNIT:
			if (index >= 0)
				return put(writer, (uint64)index, 1) ? NULL : "output too long";
			return put_unit(writer, arg, at, token);
		case FZ_CODE:
			if (index >= 0)
				return put(writer, (uint64)index, 1) ? NULL : "output too long";
			if (!parse_number(token, &value) || value < 0 || value > 0xffffffffLL)
				return problem_at(at, "%s '%s' is neither a known symbol (%s) nor a number 0..%u",
					arg->name, token, sym_choices(arg->syms), 0xffffffffU);
			return put(writer, 0xff, 1) && put(writer, (uint64)value, 4) ? NULL : "output too long";
		default: {
			int bytes = arg->kind == FZ_U8 ? 1 : arg->kind == FZ_U16 ? 2 : 4;
			int64 max = bytes == 4 ? 0xffffffffLL : (1LL << (8 * bytes)) - 1;
			if (!parse_number(token, &value))
				return problem_at(at, "%s '%s' is not a number", arg->name, token);
			if (value < 0 || value > max)
				return problem_at(
					at, "%s %s is out of range 0..%lld", arg->name, token, (long long)max);
			return put(writer, (uint64)value, bytes) ? NULL : "output too long";
		}
	}
}

/* split a line into whitespace-separated tokens ("..." kept whole), '#' ends it */
static int
tokenize(char* line, char** tokens, int max)
{
	int count = 0;
	char* c = line;
	while (*c != '\0' && count < max) {
		while (isspace((unsigned char)*c))
			c++;
		if (*c == '\0' || *c == '#')
			break;
		tokens[count++] = c;
		bool quoted = false;
		while (*c != '\0' && (quoted || !isspace((unsigned char)*c))) {
			if (*c == '"')
				quoted = !quoted;
			c++;
		}
		if (*c != '\0')
			*c++ = '\0';
	}
	return count;
}

static const char* put_args(
	struct writer* writer, const struct fz_op_spec* op, char** tokens, int given, char* at);

static unsigned sHeadersSeen; /* bit h: a line of header op h was assembled */

static const char*
assemble_line(char* line, struct writer* program, struct writer* tape, struct writer* header)
{
	char* tokens[FZ_MAX_ARGS + 3];
	/* a line of a -v trace: "[ 12] op args  # -> result" */
	char* start = line + strspn(line, " \t");
	if (*start == '[' && strchr(start, ']') != NULL)
		line = strchr(start, ']') + 1;
	int count = tokenize(line, tokens, FZ_MAX_ARGS + 3);
	if (count == 0)
		return NULL;
	if (strcmp(tokens[0], "tape") == 0) {
		if (!(fz_harness.flags & FZ_TAPE))
			return problem_at(tokens[0], "the %s harness has no choice tape", fz_harness.name);
		for (int i = 1; i < count; i++) {
			int64 value;
			if (parse_number(tokens[i], &value)) {
				if (value < 0 || value > 255)
					return problem_at(tokens[i], "tape byte %s is out of range 0..255", tokens[i]);
				if (!put(tape, (uint64)value, 1))
					return "tape too long";
				continue;
			}
			const char* error = put_data(tape, tokens[i], false);
			if (error != NULL)
				return problem_at(tokens[i], "%s: '%s'", error, tokens[i]);
		}
		return NULL;
	}
	for (int h = 0; h < FZ_HEADERS; h++) {
		if (strcmp(tokens[0], fz_header_ops[h].name) != 0)
			continue;
		if (sHeadersSeen & (1u << h))
			return problem_at(tokens[0], "a second %s line", fz_header_ops[h].name);
		if (h == FZ_HEADER_SCHED && !(fz_harness.flags & FZ_TAPE))
			return problem_at(tokens[0], "the %s harness has no choice tape", fz_harness.name);
		sHeadersSeen |= 1u << h;
		for (size_t i = 0; i < FZ_HEADER_MAGIC_LENGTH; i++)
			put(header, kHeaderMagic[h][i], 1);
		return put_args(header, &fz_header_ops[h], tokens + 1, count - 1, tokens[0]);
	}
	int first = 0;
	if (fz_harness.flags & FZ_THREADS) {
		int64 thread = 0;
		if (tokens[0][0] == 't' && parse_number(tokens[0] + 1, &thread)) {
			if (thread < 0 || thread >= fz_harness.threads)
				return problem_at(
					tokens[0], "no thread '%s': use t0..t%d", tokens[0], fz_harness.threads - 1);
			first = 1;
		}
		if (!put(program, (uint64)thread, 1))
			return "output too long";
	}
	if (first >= count)
		return problem_at(tokens[0], "'%s' is a thread without an op", tokens[0]);
	int code = -1;
	for (int i = 0; i < fz_harness.op_count && code < 0; i++) {
		if (strcmp(fz_harness.ops[i].name, tokens[first]) == 0)
			code = i;
	}
	if (code < 0)
		return problem_at(
			tokens[first], "unknown op '%s': use one of %s", tokens[first], op_names());
	if (!put(program, (uint64)code, 1))
		return "output too long";
	return put_args(
		program, &fz_harness.ops[code], tokens + first + 1, count - first - 1, tokens[first]);
}

/* an op's `given` argument tokens, checked against its spec (`at`: the op's token) */
static const char*
put_args(struct writer* writer, const struct fz_op_spec* op, char** tokens, int given, char* at)
{
	int wanted = 0;
	while (wanted < FZ_MAX_ARGS && op->args[wanted].kind != FZ_NONE)
		wanted++;
	if (given > wanted)
		return problem_at(
			tokens[wanted], "too many arguments: %s takes %s", op->name, arg_names(op));
	if (given < wanted)
		return problem_at(
			at, "missing %s: %s takes %s", op->args[given].name, op->name, arg_names(op));
	for (int i = 0; i < wanted; i++) {
		const char* error = put_arg(writer, &op->args[i], tokens[i]);
		if (error != NULL)
			return error;
	}
	return NULL;
}

ssize_t
fz_assemble(
	const char* text, size_t textLength, uint8* out, size_t capacity, char* error, size_t errorSize)
{
	static uint8 tapeBuffer[65536];
	static uint8 headerBuffer[FZ_HEADERS * (FZ_HEADER_MAGIC_LENGTH + 4)];
	struct writer header = {headerBuffer, sizeof(headerBuffer), 0};
	sHeadersSeen = 0;
	bool withTape = (fz_harness.flags & FZ_TAPE) != 0;
	size_t offset = withTape ? 2 : 0;
	if (capacity < offset)
		return -1;
	struct writer program = {out + offset, capacity - offset, 0};
	struct writer tape = {tapeBuffer, sizeof(tapeBuffer), 0};
	static char line[1 << 17];
	int number = 0;
	for (size_t position = 0; position < textLength;) {
		const char* c = text + position;
		const char* newline = memchr(c, '\n', textLength - position);
		size_t length = newline != NULL ? (size_t)(newline - c) : textLength - position;
		number++;
		const char* nul = memchr(c, '\0', length);
		if (nul != NULL) {
			snprintf(error, errorSize, "%d:%d: a NUL byte: a text program is text", number,
				(int)(nul - c) + 1);
			return -1;
		}
		if (length >= sizeof(line)) {
			snprintf(error, errorSize, "%d:1: the line is too long", number);
			return -1;
		}
		memcpy(line, c, length);
		line[length] = '\0';
		sProblemAt = NULL;
		const char* problem = assemble_line(line, &program, &tape, &header);
		if (problem != NULL) {
			int column = sProblemAt != NULL ? (int)(sProblemAt - line) + 1 : 1;
			snprintf(error, errorSize, "%d:%d: %s", number, column, problem);
			return -1;
		}
		position += length + (newline != NULL ? 1 : 0);
	}
	if (withTape) {
		if (program.length > 0xffff || program.length + 2 + tape.length > capacity) {
			snprintf(error, errorSize, "%d:1: the program is too long", number);
			return -1;
		}
		out[0] = (uint8)program.length;
		out[1] = (uint8)(program.length >> 8);
		memcpy(out + 2 + program.length, tapeBuffer, tape.length);
	}
	size_t length = offset + program.length + tape.length;
	if (header.length > 0) { /* the header goes first */
		if (length + header.length > capacity) {
			snprintf(error, errorSize, "%d:1: the program is too long", number);
			return -1;
		}
		memmove(out + header.length, out, length);
		memcpy(out, headerBuffer, header.length);
	}
	return (ssize_t)(length + header.length);
}
