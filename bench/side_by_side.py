#!/usr/bin/env python3
# make bench DRIVER=upstream: our driver's figures beside Haiku's tunnel.cpp's, from one run's
# JSON files (bench_handoff and bench_wakeup of each build); bench/README.md says what each is.
#
# usage: bench/side_by_side.py OURS_HANDOFF OURS_WAKEUP UPSTREAM_HANDOFF UPSTREAM_WAKEUP
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def main():
    if len(sys.argv) != 5:
        print("usage: bench/side_by_side.py OURS_HANDOFF OURS_WAKEUP UPSTREAM_HANDOFF "
              "UPSTREAM_WAKEUP", file=sys.stderr)
        return 2
    ours_h, ours_w, up_h, up_w = (load(path) for path in sys.argv[1:])
    print("== side by side: our driver, Haiku's tunnel.cpp (DRIVER=upstream), same run, same shim")
    print(f"{'figure':44} {'ours':>12} {'upstream':>12} {'upstream/ours':>14}")

    def row(name, ours, upstream, unit=""):
        ratio = f"{upstream / ours:.2f}" if ours and upstream is not None else "-"
        shown = "-" if upstream is None else f"{upstream:.0f}{unit}"
        print(f"{name:44} {ours:>11.0f}{unit or ' '} {shown:>12} {ratio:>14}")

    # the two run one after the other on a shared machine: each path also as a share of its own
    # run's fifo (what the goals judge), which the load moves less
    for size, methods in ours_h["throughput_pps"].items():
        ours_fifo = methods["fifo"]["median"]
        up_fifo = up_h["throughput_pps"].get(size, {}).get("fifo", {}).get("median")
        for method, figures in methods.items():
            if not isinstance(figures, dict) or not method.startswith("driver"):
                continue
            upstream = up_h["throughput_pps"].get(size, {}).get(method, {}).get("median")
            row(f"{method} {size} B, packets/s", figures["median"], upstream)
            if upstream is not None and up_fifo:
                label = "  the same, as a share of its run's fifo"
                print(f"{label:44} {figures['median'] / ours_fifo:>12.2f} "
                      f"{upstream / up_fifo:>12.2f}")
    row("idle poll loop, poll returns in 5 s", ours_h["idle"]["poll_returns"],
        up_h["idle"]["poll_returns"])
    row("idle poll loop, select notifications", ours_h["idle"]["select_notifications"],
        up_h["idle"]["select_notifications"])
    for trigger in ("data", "interrupt", "delete"):
        if trigger in ours_w:
            upstream = up_w.get(trigger, {}).get("p99")
            row(f"wake-up by {trigger}, p99 µs", ours_w[trigger]["p99"], upstream)
    print("(upstream's delete: never measured: a delete does not wake a reader there, "
          "corpora/upstream/blocked-read-after-delete; goals are judged on ours only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
