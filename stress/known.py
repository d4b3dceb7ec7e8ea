#!/usr/bin/env python3
# Known upstream findings set aside in DRIVER=upstream stress runs (stress/run.sh): a failed slot's
# log cut into its failures, each matched against corpora/upstream/known.stress (stress/README.md).
#
# usage: stress/known.py LIST LOG
#   prints one line per failure of the slot: "known<TAB><entry>" or "new<TAB><first line>", and
#   exits 0 when every failure is known (the slot is set aside), 1 when one is new or the slot
#   failed without a failure report we can read, 2 for a bad list (one line on stderr).
#
# The list is fuzz's format (corpora/upstream/known): one entry per line, a name then patterns,
# tab-separated; '#' starts a comment. A failure matches an entry when its report holds every
# pattern; the first entry that matches takes it. Every name must be an entry of the fuzz list
# (corpora/upstream/known, next to it): the same bug has the same name in both.
import os
import re
import sys

# the lines that start a failure's report, and what the report holds after them
STARTS = re.compile(r"^(FAIL \[|WATCHDOG \[|PANIC: |==\d+==ERROR: AddressSanitizer|"
                    r"==\d+==ERROR: LeakSanitizer|.*runtime error: )")
SANITIZER = re.compile(r"^==\d+==ERROR: ")
# the shim's leak check prints its lines before the FAIL line of shim_shutdown: they belong to it
LEAK_LINE = "leak check (shim_shutdown):"
SHUTDOWN_FAIL = "shim_shutdown: B_ERROR"
# LeakSanitizer repeats what the shim's leak check found (the same objects never freed): with a
# shim leak report in the log, it is part of that one failure, not a second one
LSAN = "ERROR: LeakSanitizer"
CONTEXT_LINES = 200


def die(message):
    print(f"stress/known.py: {message}", file=sys.stderr)
    sys.exit(2)


def read_list(path):
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as error:
        die(f"{path}: {error.strerror}")
    fuzz_list = os.path.join(os.path.dirname(path), "known")
    fuzz_names = set()
    if os.path.exists(fuzz_list):
        for line in open(fuzz_list, encoding="utf-8").read().splitlines():
            if line and not line.startswith("#"):
                fuzz_names.add(line.split("\t")[0])
    entries = []
    for number, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not all(fields):
            die(f"{path}:{number}: an entry is a name and at least one pattern, tab-separated")
        if fuzz_names and fields[0] not in fuzz_names:
            die(f"{path}:{number}: '{fields[0]}' is not an entry of {fuzz_list}")
        entries.append((fields[0], fields[1:]))
    if not entries:
        die(f"{path}: no entry")
    return entries


def failures(log_lines):
    """the slot's failures: (first line, report text) each"""
    leak = [line for line in log_lines if line.startswith(LEAK_LINE)]
    has_shim_leak = any(SHUTDOWN_FAIL in line for line in log_lines)
    found = []
    for index, line in enumerate(log_lines):
        if not STARTS.match(line):
            continue
        if LSAN in line and has_shim_leak:
            continue
        # a report runs to the next failure's first line; a sanitizer's (on stderr, interleaved
        # with stdout's FAIL lines) to its SUMMARY line or the next sanitizer report
        sanitizer = SANITIZER.match(line) is not None
        end = index + 1
        while end < len(log_lines) and end < index + CONTEXT_LINES:
            if SANITIZER.match(log_lines[end]) or (not sanitizer and STARTS.match(log_lines[end])):
                break
            end += 1
            if sanitizer and log_lines[end - 1].startswith("SUMMARY: "):
                break
        report = [line] + [other for other in log_lines[index + 1:end] if not STARTS.match(other)]
        if SHUTDOWN_FAIL in line:
            report = leak + [line]
        found.append((line, "\n".join(report)))
    return found


def main():
    if len(sys.argv) != 3:
        die("usage: stress/known.py LIST LOG")
    entries = read_list(sys.argv[1])
    try:
        log_lines = open(sys.argv[2], encoding="utf-8", errors="replace").read().splitlines()
    except OSError as error:
        die(f"{sys.argv[2]}: {error.strerror}")
    found = failures(log_lines)
    if not found:
        print("new\tno failure report in the log (a crash without one)")
        return 1
    all_known = True
    for first, report in found:
        name = next((n for n, patterns in entries if all(p in report for p in patterns)), None)
        if name is None:
            all_known = False
            print(f"new\t{first}")
        else:
            print(f"known\t{name}")
    return 0 if all_known else 1


if __name__ == "__main__":
    sys.exit(main())
