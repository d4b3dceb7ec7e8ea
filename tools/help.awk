# make help: every public target and knob of the makefiles given, one line each, in file order.
# A rule is public when its line ends with "## text"; a knob when a line "## VAR=values  text"
# stands above its assignment. Usage: awk -f tools/help.awk Makefile part.mk ...
/^## [A-Z_]+=/ {
	line = substr($0, 4)
	knobs[++nknobs] = line
	next
}
/^[a-zA-Z0-9_.-]+:.*## / {
	target = $0
	sub(/:.*/, "", target)
	text = $0
	sub(/.*## /, "", text)
	targets[++ntargets] = sprintf("  make %-16s %s", target, text)
}
END {
	print "Targets (make <target>; README.md says more):"
	for (i = 1; i <= ntargets; i++)
		print targets[i]
	print ""
	print "Knobs (make <target> VAR=value):"
	for (i = 1; i <= nknobs; i++) {
		split(knobs[i], parts, /  +/)
		printf "  %-28s %s\n", parts[1], substr(knobs[i], length(parts[1]) + 1)
	}
}
