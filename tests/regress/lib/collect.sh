# Helpers for the export/collect tests (source after common.sh).  Everything
# runs on loopback; collectors listen on port 0 and the tests read the
# ports the kernel chose from their "listening on" lines.
FIELDS1=stime,ltime,dur,sstime,sltime,dstime,dltime,proto,protonum,ipver,saddr,daddr,srcv4,dstv4,srcv6,dstv6,sport,dport,srcport,dstport,icmptc,icmp6tc,vlan,dir,state,flowid,reason,endreason,trans,flows,samprate,bidir,pkts,spkts,dpkts,bytes,sbytes,dbytes,l2bytes,sl2bytes,dl2bytes,sttl,dttl,smaxttl,dmaxttl,stos,dtos,sflags,dflags,stcpflags,dtcpflags,sinitflags,dinitflags,smss,dmss,swscale,dwscale,swinmin,dwinmin,swinmax
FIELDS2=dwinmax,loss,sloss,dloss,ploss,sploss,dploss,sgap,dgap,retrans,sretrans,dretrans,sretransbytes,dretransbytes,ooo,sooo,dooo,sdup,ddup,lsrc,tcprtt,synack,ackdat,synackus,ackdatus,sjit,djit,sintpkt,dintpkt,sjitn,djitn,smac,dmac,sspi,dspi
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# start_collect NAME NLISTEN ARGS...: netsift collect in the background,
# stderr in $TMP/NAME.log, pid in $TMP/NAME.pid
start_collect() {
    local name=$1 n=$2
    shift 2
    "$NS_BIN" collect "$@" 2>"$TMP/$name.log" &
    local pid=$!
    PIDS="$PIDS $pid"
    echo "$pid" >"$TMP/$name.pid"
    for _ in $(seq 200); do
        [ "$(grep -c 'listening on' "$TMP/$name.log")" -ge "$n" ] && return 0
        kill -0 "$pid" 2>/dev/null || fail "collector $name died: $(cat "$TMP/$name.log")"
        sleep 0.05
    done
    fail "collector $name did not start: $(cat "$TMP/$name.log")"
}

# port_of NAME SCHEME [HOST]: the port of the NAME collector's listener
port_of() {
    sed -n "s#.*listening on $2://${3:-127.0.0.1}:\([0-9]*\)\$#\1#p" "$TMP/$1.log" | head -1
}

# stop_collect NAME [SIGNAL]: stop it and wait
stop_collect() {
    local pid
    pid=$(cat "$TMP/$1.pid")
    kill "-${2:-TERM}" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

# records of IPFIX files as sorted CSV lines (every field `netsift read`
# knows; at most 64 per read, so two reads side by side)
records() {
    "$NS_BIN" read -r "$@" -s "$FIELDS1" -F csv >"$TMP/.r1" 2>/dev/null || fail "read $*"
    "$NS_BIN" read -r "$@" -s "$FIELDS2" -F csv >"$TMP/.r2" 2>/dev/null || fail "read $*"
    paste -d, "$TMP/.r1" "$TMP/.r2" | tail -n +2 | LC_ALL=C sort
}

# a free TCP/UDP port on 127.0.0.1 (for collectors restarted on the same port)
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
