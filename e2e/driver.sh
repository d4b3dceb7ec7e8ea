#!/usr/bin/env bash
# DRIVER=ours|upstream for run.sh (sourced): which tuntapfs hosts which driver, and how a check that
# meets a known bug of Haiku's tunnel.cpp (corpora/upstream/known) is reported: KNOWN, not PASS.
# shellcheck disable=SC2034 # DRIVER_NAME, FS_DEFAULT and E2E_KNOWN are read by run.sh and lib.sh

DRIVER=${DRIVER:-ours}
case $DRIVER in
ours)
	DRIVER_NAME="our driver (driver/)"
	FS_DEFAULT=build/fuse/tuntapfs
	;;
upstream)
	DRIVER_NAME="Haiku's tunnel.cpp (DRIVER=upstream)"
	FS_DEFAULT=build/fuse/upstream/tuntapfs
	;;
*)
	echo "e2e: DRIVER=$DRIVER: use one of: ours upstream" >&2
	exit 2
	;;
esac
KNOWN_LIST=corpora/upstream/known
E2E_KNOWN=0

# mount_ready: the daemon's tree is there. Our driver publishes tap/clone at boot; Haiku's has no
# clone node and publishes nothing before a unit is created (the stack's create, "ifconfig tap/0")
mount_ready() {
	if [ "$DRIVER" = ours ]; then
		test -e "$MNT/tap/clone"
	else
		mounted
	fi
}

# known_entry NAME: NAME if it is an entry of corpora/upstream/known (else the run is broken)
known_entry() {
	if ! awk -F'\t' -v n="$1" '$1 == n { found = 1 } END { exit !found }' "$KNOWN_LIST"; then
		echo "e2e: $1 is no entry of $KNOWN_LIST" >&2
		exit 2
	fi
	echo "$1"
}

# verdict CHECK OK FIGURES KNOWN_NAME: PASS or FAIL as for our driver; upstream, a failed check
# whose evidence matched a known finding (KNOWN_NAME set by the check) is KNOWN: visible, counted
verdict() {
	local check=$1 ok=$2 figures=$3 known=${4:-}
	if [ "$ok" = 1 ]; then
		pass "$check: $figures"
	elif [ "$DRIVER" = upstream ] && [ -n "$known" ]; then
		E2E_KNOWN=$((E2E_KNOWN + 1))
		E2E_RESULTS+=("KNOWN: $(known_entry "$known"): $check: $figures")
		echo "e2e: KNOWN: $known: $check: $figures"
	else
		fail "$check: $figures"
	fi
}

# daemon_panicked: the daemon died in the shim's panic for a call into the unloaded add-on image,
# the end of tunnel.cpp's refused delete of an open unit (delete-while-open-leak's pattern)
daemon_panicked() {
	grep -q 'PANIC: called into add-on image' "$LOGDIR/tuntapfs.log" 2>/dev/null
}

# leak_known: the known finding a leak report at the daemon's shutdown matches: a unit kept by
# queued net_buffers first (the known list's order), else a unit and its node alone
leak_known() {
	local log=$LOGDIR/tuntapfs.log
	grep -q 'tuntapfs: leak' "$log" || return 0
	if grep -q 'net_buffers: baseline' "$log"; then
		echo queued-packets-keep-deleted-unit
	elif grep -q 'nodes: baseline' "$log"; then
		echo delete-while-open-leak
	fi
}

# churn_known: every failed call of the dynamic check's churn a create the stack refused with
# ENODEV: the name of a unit deleted while open (delete-while-open-leak: "ifconfig tap/0" fails
# from then on)
churn_known() {
	local failed refused
	failed=$(grep -c 'failed' "$LOGDIR/churn.log") || true
	refused=$(grep -c 'ctl create tap -> 1: tuntapctl: create tap/[0-9]*: No such device' \
		"$LOGDIR/ctl.log") || true
	[ "$failed" -gt 0 ] && [ "$failed" = "$(grep -c 'create failed' "$LOGDIR/churn.log")" ] &&
		[ "$refused" = "$failed" ] && echo delete-while-open-leak
	return 0
}

# delete_known SOCAT_STATUS LIVE_OBJECTS_DIFF: what the delete check met. Haiku's driver refuses
# to delete an open unit (tunnel_uninit's EBUSY) and the stack unloads it all the same: the next
# call through socat's descriptor panics the daemon, or socat stays blocked in read, or the unit
# stays alive, kept by the packets queued for socat, or alone with its node
delete_known() {
	if daemon_panicked; then
		echo delete-while-open-leak
	elif [ -z "$1" ]; then
		echo blocked-read-after-delete
	elif [[ " $2" == *" net_buffers="* ]]; then
		echo queued-packets-keep-deleted-unit
	elif [[ " $2" == *" nodes="* ]]; then
		echo delete-while-open-leak
	fi
}

# enobufs_known PID: the driver tunnel's server socat PID exited on a write tunnel.cpp refused with
# ENOBUFS: tunnel_write's fifo_enqueue_buffer into a receive queue already holding its byte bound,
# while select said writable (write-enobufs-when-full; our driver blocks such a write instead)
enobufs_known() {
	if grep -q "socat\[$1\] E write(.*): No buffer space available" \
		"$LOGDIR/socat-server-drv.log" 2>/dev/null; then
		echo write-enobufs-when-full
	fi
	return 0
}
