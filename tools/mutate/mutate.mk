# make mutate: mutation testing of driver/*.c (tools/mutate/README.md); included by ../../Makefile.
# tools/mutate/run.sh does the work in build/mutate/ (copies of the tree, never driver/).

## MUTATE_FILES=<driver/x.c,..>  make mutate: the files to mutate (default: every driver/*.c)
## MUTATE_ONLY=<A..B>  make mutate: only the lines that git range changed
## MUTATE_MAX=<n>  make mutate: at most n mutants, spread evenly over the list
## MUTATE_FUZZ=<duration>  make mutate: also fuzz-ci that long on each mutant still alive (off)
MUTATE_ENV = $(foreach v,MUTATE_FILES MUTATE_ONLY MUTATE_MAX MUTATE_FUZZ,$(call bugs_user,$(v)))

.PHONY: mutate mutate-test
mutate: check-deps ## mutants of driver/*.c: score per file and kind, survivors, build/mutate/
	@$(MUTATE_ENV) bash tools/mutate/run.sh
	@bash tools/mutate/html.sh build/mutate

mutate-test: check-deps ## the tool's own check: a known mutant is killed, a known equivalent survives
	@bash tools/mutate/selftest.sh
