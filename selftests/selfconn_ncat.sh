#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The seed's reproducer, `ncat 127.0.0.1 18082 -p 18082`, listed while it
# runs and after it is killed. In a network namespace of its own if it can:
# no TIME-WAIT left by an earlier run gets in the way.

PORT=18082
ADDR=127.0.0.1

. "$(dirname "$0")/selfconn_lib.sh"
sct_own_netns "$@"

sct_need_cmd ncat
sct_need_module

echo "1..4"

row() {
	grep "^inet $ADDR:$PORT " /proc/selfconn
}

sct_tmp
sct_ncat_hold $ADDR $PORT

if sct_wait sct_listed "^inet $ADDR:$PORT ESTAB "; then
	ok "ncat $ADDR $PORT -p $PORT is listed: $(row)"
else
	not_ok "ncat $ADDR $PORT -p $PORT is listed as ESTAB"
	echo "# expected: inet $ADDR:$PORT ESTAB 0 <inode> -"
	sed 's/^/# ncat: /' "$tmp/err"
	dump
fi

ino=$(row | awk '$3 == "ESTAB" { print $5 }')
if [ -n "$ino" ] && sct_sockets_of "$ncat_pid" | grep -qxF "socket:[$ino]" &&
	row | grep -Eq "^inet $ADDR:$PORT ESTAB 0 $ino -( |\$)"; then
	ok "the row is ncat's socket (uid 0, inode $ino, timer -)"
else
	not_ok "the row is ncat's socket (uid 0, its inode, timer -)"
	echo "# row: $(row)"
	echo "# ncat's sockets: $(sct_sockets_of "$ncat_pid" | tr '\n' ' ')"
fi

sct_ncat_stop

if sct_wait sct_listed "^inet $ADDR:$PORT TIME-WAIT 0 0 [1-9][0-9]*( |\$)"; then
	ok "after kill: $(row)"
else
	not_ok "after kill the row is TIME-WAIT with uid 0, inode 0, timer > 0"
	echo "# expected: inet $ADDR:$PORT TIME-WAIT 0 0 <ms>"
	dump
fi

# rows=N counts the rows (before any port report)
awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^rows=/) want = substr($i, 6) }
     NR > 2 && /^inet6? / { got++ }
     END { exit !(want != "" && want == got + 0) }' /proc/selfconn || { dump; false; }
check "rows=N matches the rows" $?

exit $failed
