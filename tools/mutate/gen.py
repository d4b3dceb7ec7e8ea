#!/usr/bin/env python3
# Mutant generator of make mutate: reads clang's token stream of a driver file (-dump-tokens, so
# tokens are the compiler's own, with line/column) and lists the mutants of tools/mutate/README.md.
"""usage: gen.py list CFLAGS FILE...        mutants, one TSV line each (id file line col endline
                                             endcol kind original replacement)
       gen.py apply FILE LINE COL ENDLINE ENDCOL REPLACEMENT   the mutated FILE on stdout"""
import hashlib
import re
import subprocess
import sys

TOKEN = re.compile(r"^(\w+) '(.*)'\t(.*)Loc=<([^:>]+):(\d+):(\d+)( <Spelling=[^>]*>)?>$")
SWAPS = {
	"rel": {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="},
	"arith": {"+": "-", "-": "+", "+=": "-=", "-=": "+="},
	"logic": {"&&": "||", "||": "&&"},
}
# calls whose loss is a classic kernel bug: unlocks, wake-ups, frees, reference drops (first)
PRIORITY = re.compile(r"(mutex_unlock|release_sem|notify_select_event|wake|signal|free|_put$|"
	r"delete|recursive_lock_unlock|condition_variable|cancel)")
COPY_CHECK = re.compile(r"^user_(memcpy|strlcpy)$")
STATUS_OK = "B_OK"
STATUS_ERR = "B_ERROR"
STATUS_NAMES = re.compile(r"^(B_[A-Z_]+|EINVAL|ENOMEM|EAGAIN|EINTR|EBADF|ENODEV|ENXIO)$")


class Tok:
	def __init__(self, kind, text, line, col, endline, endcol, flags):
		self.kind, self.text, self.line, self.col = kind, text, line, col
		self.endline, self.endcol, self.flags = endline, endcol, flags


def macro_extent(lines, line, col):
	"""the source text of the macro use at line:col (a name, and its (...) if function-like)"""
	src = lines[line - 1]
	m = re.match(r"[A-Za-z_]\w*", src[col - 1:])
	if not m:
		return None
	name = m.group(0)
	end = col - 1 + len(name)
	j = end
	while j < len(src) and src[j] in " \t":
		j += 1
	if j < len(src) and src[j] == "(":
		depth, k, quote = 0, j, None
		while k < len(src):
			c = src[k]
			if quote:
				if c == "\\":
					k += 1
				elif c == quote:
					quote = None
			elif c in "\"'":
				quote = c
			elif c == "(":
				depth += 1
			elif c == ")":
				depth -= 1
				if depth == 0:
					return name, line, k + 2
			k += 1
		return None  # spans lines: left alone
	return name, line, end + 1


def tokens(cflags, path):
	out = subprocess.run(["clang", *cflags.split(), "-fsyntax-only", "-Xclang", "-dump-tokens",
		path], capture_output=True, text=True, check=False)
	if out.returncode != 0:
		sys.exit(f"gen.py: clang failed on {path}:\n{out.stderr[-2000:]}")
	lines = open(path, encoding="utf-8").read().split("\n")
	toks, seen = [], set()
	for raw in out.stderr.split("\n"):
		m = TOKEN.match(raw)
		if not m or m.group(4) != path:
			continue
		kind, text, flags = m.group(1), m.group(2), m.group(3)
		line, col = int(m.group(5)), int(m.group(6))
		if m.group(7):
			# a macro's expansion: one token for the use itself, named by its source text
			if (line, col) in seen:
				continue
			seen.add((line, col))
			ext = macro_extent(lines, line, col)
			if ext is None:
				continue
			name, endline, endcol = ext
			toks.append(Tok("macro", name, line, col, endline, endcol, flags))
			continue
		toks.append(Tok(kind, text, line, col, line, col + len(text), flags))
	return toks, lines


def matching(toks, i, open_kind, close_kind):
	depth = 0
	for j in range(i, len(toks)):
		if toks[j].kind == open_kind:
			depth += 1
		elif toks[j].kind == close_kind:
			depth -= 1
			if depth == 0:
				return j
	return None


def source(lines, a, b):
	"""the text from token a's start to token b's end (same or several lines)"""
	if a.line == b.endline:
		return lines[a.line - 1][a.col - 1:b.endcol - 1]
	parts = [lines[a.line - 1][a.col - 1:]]
	parts += lines[a.line:b.endline - 1]
	parts.append(lines[b.endline - 1][:b.endcol - 1])
	return "\n".join(parts)


def mutants(toks, lines):
	"""(tok_from, tok_to, kind, replacement) for every mutation point of the file"""
	depth = 0
	for i, t in enumerate(toks):
		prev = toks[i - 1] if i else None
		if t.kind == "l_brace":
			depth += 1
		elif t.kind == "r_brace":
			depth -= 1
		if depth == 0:
			continue  # declarations and initialisers of file scope: not code
		for kind, table in SWAPS.items():
			if t.text in table and t.kind not in ("macro", "identifier"):
				if kind == "arith" and t.text in "+-" and (prev is None or prev.kind not in (
						"identifier", "numeric_constant", "r_paren", "r_square", "macro")):
					continue  # unary sign
				yield t, t, kind, table[t.text]
		if t.kind == "numeric_constant" and re.fullmatch(r"\d+[uUlL]*", t.text):
			digits = re.match(r"\d+", t.text).group(0)
			suffix = t.text[len(digits):]
			if not (len(digits) > 1 and digits.startswith("0")):  # octal: left alone
				n = int(digits)
				yield t, t, "const", f"{n + 1}{suffix}"
				if n > 0:
					yield t, t, "const", f"{n - 1}{suffix}"
		if t.kind in ("if", "while") and i + 1 < len(toks) and toks[i + 1].kind == "l_paren":
			close = matching(toks, i + 1, "l_paren", "r_paren")
			if close is not None and close > i + 2:
				cond = source(lines, toks[i + 2], toks[close - 1])
				yield toks[i + 2], toks[close - 1], "negate", f"!({cond})"
				names = {x.text for x in toks[i + 2:close]}
				if t.kind == "if" and any(COPY_CHECK.match(n) for n in names):
					# a user-copy check deleted: the copy runs, its status is ignored
					end = statement_end(toks, close + 1)
					if end is not None and (end + 1 >= len(toks) or toks[end + 1].kind != "else"):
						yield t, toks[end], "delete-copy-check", f"(void)({cond});"
		if (t.kind == "return" and i + 1 < len(toks) and toks[i + 1].kind == "macro" and
				STATUS_NAMES.match(toks[i + 1].text) and i + 2 < len(toks) and
				toks[i + 2].kind == "semi"):
			name = toks[i + 1].text
			yield toks[i + 1], toks[i + 1], "status", STATUS_ERR if name == STATUS_OK else STATUS_OK
		if (t.kind == "identifier" and i + 1 < len(toks) and toks[i + 1].kind == "l_paren" and
				prev is not None and prev.kind in ("semi", "l_brace", "r_brace", "colon") and
				not (prev.kind == "r_paren")):
			close = matching(toks, i + 1, "l_paren", "r_paren")
			if close is not None and close + 1 < len(toks) and toks[close + 1].kind == "semi":
				kind = "delete-priority" if PRIORITY.search(t.text) else "delete-call"
				yield t, toks[close + 1], kind, ""


def statement_end(toks, i):
	"""the last token of the statement starting at toks[i] (a block or up to its ';')"""
	if i >= len(toks):
		return None
	if toks[i].kind == "l_brace":
		return matching(toks, i, "l_brace", "r_brace")
	depth = 0
	for j in range(i, len(toks)):
		if toks[j].kind in ("l_paren", "l_brace"):
			depth += 1
		elif toks[j].kind in ("r_paren", "r_brace"):
			depth -= 1
		elif toks[j].kind == "semi" and depth == 0:
			return j
	return None


def list_mutants(cflags, paths):
	for path in paths:
		toks, lines = tokens(cflags, path)
		for a, b, kind, repl in mutants(toks, lines):
			orig = source(lines, a, b)
			# stable across runs: the file, the kind, the replacement and the code around it,
			# with its position (two equal lines in one file differ by position)
			key = f"{path}:{a.line}:{a.col}:{b.endline}:{b.endcol}:{kind}:{repl}"
			mid = hashlib.sha1(key.encode()).hexdigest()[:10]
			esc = lambda s: s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
			print("\t".join([mid, path, str(a.line), str(a.col), str(b.endline), str(b.endcol),
				kind, esc(orig), esc(repl)]))


def apply(path, line, col, endline, endcol, repl):
	lines = open(path, encoding="utf-8").read().split("\n")
	head = "\n".join(lines[:line - 1] + [lines[line - 1][:col - 1]])
	tail = "\n".join([lines[endline - 1][endcol - 1:]] + lines[endline:])
	repl = repl.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
	sys.stdout.write(head + repl + tail)


def main(argv):
	if len(argv) >= 3 and argv[0] == "list":
		list_mutants(argv[1], argv[2:])
	elif len(argv) == 7 and argv[0] == "apply":
		apply(argv[1], *map(int, argv[2:6]), argv[6])
	else:
		sys.exit(__doc__)


if __name__ == "__main__":
	main(sys.argv[1:])
