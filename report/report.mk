# make report: one static HTML page from what the runs left behind (report/README.md). Included by
# ../Makefile after the parts whose runs it reads.
#
#   make report        build/report/index.html (plots/*.svg beside it; gnuplot-nox)
#   make report-test   the page made from report/fixture/, checked in headless Chromium (chromium),
#                      then make report's own page when there is one; screenshots in build/report/
#
# make fuzz, stress, bench, e2e, fuzz-bug and stress-bug end with $(REPORT_UPDATE): the page made
# again (a second or two) and its path printed, whatever the run's status, which it keeps.

## REPORT_AFTER=1|0  make fuzz, stress, bench, e2e: end by updating the report (default 1)
REPORT_AFTER ?= 1
REPORT_UPDATE = $(if $(filter 1,$(REPORT_AFTER)),bash report/after.sh,true)

.PHONY: report report-test
report: ## one HTML page of every run's results: build/report/index.html
	@bash tools/deps.sh report
	@python3 report/build.py

report-test: ## the report from a fixture, checked in headless Chromium; screenshots: build/report/
	@bash tools/deps.sh report-test
	@bash report/test.sh
