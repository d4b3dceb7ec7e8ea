#!/usr/bin/env bash
# The iperf3 check of run.sh (sourced): TCP through the driver, bare-FUSE and plain-TAP tunnels in
# interleaved rounds, each tunnel with its own iperf3 server, so one tunnel's failure stays its own.
# shellcheck disable=SC2034 # IPERF_SUMMARY is read by run.sh

# the tunnels: subnet 10.77.<index>.0/24 and iperf3 port 5210 + index (5202 is the delete check's)
declare -A TUNNEL_INDEX=([drv]=0 [plain]=1 [bare]=2) IPERF_SERVER

tunnel_addr() {
	echo "10.77.${TUNNEL_INDEX[$1]}.1"
}

iperf_port() {
	echo $((5210 + TUNNEL_INDEX[$1]))
}

# iperf_server NAME: (re)start the iperf3 server of tunnel NAME, bound to its server address. A
# client killed by its timeout while the tunnel was dead never told the server: the server would
# refuse every later test ("the server is busy running a test"), so it is restarted then
iperf_server() {
	local port
	port=$(iperf_port "$1")
	[ -z "${IPERF_SERVER[$1]:-}" ] || stop_pid "${IPERF_SERVER[$1]}"
	bg_start "iperf3-server-$1" "${IN_S[@]}" iperf3 -s -p "$port" -B "$(tunnel_addr "$1")"
	IPERF_SERVER[$1]=$BG_PID
	wait_until 3000 s_listens "$port" || note "iperf3 server of $1 does not listen on $port"
}

# iperf_run NAME SECS: TCP from the client namespace through tunnel NAME; IPERF_MBPS (receiver),
# IPERF_RETR
iperf_run() {
	local out
	out=$(timeout $(($2 + 15)) "${IN_C[@]}" iperf3 -c "$(tunnel_addr "$1")" -p "$(iperf_port "$1")" \
		-t "$2" -f m --connect-timeout 3000 2>&1) || true
	printf '== %s\n%s\n' "$1" "$out" >>"$LOGDIR/iperf3.log"
	IPERF_MBPS=$(awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' \
		<<<"$out" | tail -n 1)
	IPERF_RETR=$(awk '/sender/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i + 1) }' \
		<<<"$out" | tail -n 1)
	IPERF_MBPS=${IPERF_MBPS:-0}
}

# tunnel_down NAME: why tunnel NAME carries nothing any more (a socat of it exited, with its last
# error line), or nothing and status 1 while both socats run
tunnel_down() {
	local side pid err
	for side in server client; do
		if [ "$side" = server ]; then pid=${SERVER_PID[$1]}; else pid=${CLIENT_PID[$1]}; fi
		is_gone "$pid" || continue
		err=$(grep "socat\[$pid\] E " "$LOGDIR/socat-$side-$1.log" | tail -n 1 | sed 's/.* E //')
		echo "its $side socat (pid $pid) exited: '${err:-no error line}'"
		return 0
	done
	return 1
}

# restart_tunnel NAME: a new socat for each side of tunnel NAME that exited; status 1 if one did
# not start
restart_tunnel() {
	if is_gone "${SERVER_PID[$1]}"; then
		reap "${SERVER_PID[$1]}"
		start_tunnel_server "$1" || return 1
	fi
	if is_gone "${CLIENT_PID[$1]}"; then
		reap "${CLIENT_PID[$1]}"
		start_client "$1" "${TUNNEL_INDEX[$1]}" "${TUNNEL_INDEX[$1]}" || return 1
	fi
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

check_iperf() {
	local round name load order broken='' names=plain
	local -A sum=([drv]=0 [plain]=0 [bare]=0) retr=([drv]=0 [plain]=0 [bare]=0) runs rate down
	local drv_server=${SERVER_PID[drv]:-} # the socat whose log is the evidence of a refused write
	[ -z "$DAEMON_PID" ] || names="drv bare plain"
	for name in $names; do
		iperf_server "$name"
		runs[$name]=0
	done
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	# per-packet cost first: RTT through each tunnel (20 pings, 50 ms apart)
	local rtts=
	for name in $names; do
		ping_run "$(tunnel_addr "$name")" 20 0.05
		rtts+=" $name ${PING_RTT:-none} ($PING_RX/20),"
	done
	for ((round = 1; round <= IPERF_ROUNDS; round++)); do
		# interleaved, every other round backwards (drv bare plain, plain bare drv, ...)
		order="drv bare plain"
		((round % 2)) || order="plain bare drv"
		for name in $order; do
			if [[ " $names " != *" $name "* ]] || [ -n "${down[$name]:-}" ]; then continue; fi
			if down[$name]=$(tunnel_down "$name"); then # between rounds: once, then no more runs
				down[$name]="before round $round: ${down[$name]}"
				broken+=" $name(down before round $round)"
				note "iperf3: the $name tunnel is down ${down[$name]}; no more runs through it"
				continue
			fi
			iperf_run "$name" "$IPERF_SECS"
			runs[$name]=$((runs[$name] + 1))
			note "iperf3 round $round $name: $IPERF_MBPS Mbit/s (retransmits ${IPERF_RETR:-?})"
			sum[$name]=$(awk -v a="${sum[$name]}" -v b="$IPERF_MBPS" 'BEGIN { print a + b }')
			retr[$name]=$((retr[$name] + ${IPERF_RETR:-0}))
			awk -v r="$IPERF_MBPS" 'BEGIN { exit !(r > 0) }' && continue
			broken+=" $name(round $round)"
			if down[$name]=$(tunnel_down "$name"); then
				down[$name]="in round $round: ${down[$name]}"
				note "iperf3: the $name tunnel went down ${down[$name]}; no more runs through it"
			else
				iperf_server "$name" # alive: a fresh server for its next round
			fi
		done
	done
	for name in $names; do
		stop_pid "${IPERF_SERVER[$name]}"
		IPERF_SERVER[$name]=
		rate[$name]=$(awk -v s="${sum[$name]}" -v n="${runs[$name]}" \
			'BEGIN { if (n > 0) printf "%.0f", s / n; else print 0 }')
	done
	local drv=${rate[drv]:-0} plain=${rate[plain]} bare=${rate[bare]:-0} downs=
	IPERF_SUMMARY="driver $drv Mbit/s, bare FUSE $bare Mbit/s, plain TAP $plain Mbit/s;"
	IPERF_SUMMARY+=" driver/bare $(ratio "$drv" "$bare"), driver/plain $(ratio "$drv" "$plain"),"
	IPERF_SUMMARY+=" bare/plain $(ratio "$bare" "$plain") (TCP, means of the runs made: drv"
	IPERF_SUMMARY+=" ${runs[drv]:-0}, bare ${runs[bare]:-0}, plain ${runs[plain]} of $IPERF_ROUNDS"
	IPERF_SUMMARY+=" interleaved runs of $IPERF_SECS s; retransmits drv ${retr[drv]} bare"
	IPERF_SUMMARY+=" ${retr[bare]} plain ${retr[plain]}; load average before: $load; ping RTT"
	IPERF_SUMMARY+=" min/avg/max ms:${rtts%,})"
	# a tunnel that went down is reported here once, and brought back for the checks after this one
	for name in $names; do
		[ -n "${down[$name]:-}" ] || continue
		downs+=" the $name tunnel went down ${down[$name]};"
		restart_tunnel "$name" || downs+=" (restarting it failed)"
	done
	[ -z "$downs" ] || IPERF_SUMMARY+=";${downs%;} (restarted for the next checks)"
	if [ -n "$broken" ]; then
		# only the driver tunnel broken, its socat refused a frame with ENOBUFS: Haiku's tunnel_write
		local known=
		[[ $broken == *bare* || $broken == *plain* ]] || [ -z "$drv_server" ] ||
			known=$(enobufs_known "$drv_server")
		verdict "iperf3" 0 "no transfer in:$broken (see $LOGDIR/iperf3.log): $IPERF_SUMMARY" \
			"$known"
	elif [ -z "$DAEMON_PID" ]; then
		note "iperf3: plain TAP baseline only: $plain Mbit/s"
	elif awk -v d="$drv" -v b="$bare" -v g="$GOAL" 'BEGIN { exit !(b > 0 && d >= g * b) }'; then
		pass "iperf3: $IPERF_SUMMARY"
	else
		fail "iperf3: below the goal driver >= $GOAL x bare FUSE: $IPERF_SUMMARY"
	fi
}
