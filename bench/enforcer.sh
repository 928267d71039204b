#!/usr/bin/env bash
# Enforcer benchmark: per-syscall cost under `sandbox --policy` against the C libseccomp launcher with the same
# ~297-syscall allowlist (bare for context), and the launch cost against /bin/true and a JVM hello-world.
#
#   bench/enforcer.sh [ROUNDS]      (default 7; every round runs each tool once, alternating)
#
# Per-syscall cost = (median wall at N calls - median wall at 0 calls) / N, so launch costs cancel out.
source "$(dirname "$0")/common.sh"
rounds=${1:-7}
cd "$root"
sandbox=("$root/sandbox" --policy "$out/large.json" --exec)
seclaunch=("$out/seclaunch" -l large -O)

measure() { # name workload-args... : prints "ns_per_call" for each of bare, seclaunch, sandbox
    local per=$1; shift
    local n=$1; shift
    declare -A at0 atn
    for ((r = 0; r < rounds; r++)); do
        for tool in bare seclaunch sandbox; do
            case $tool in
                bare) pre=() ;;
                seclaunch) pre=("${seclaunch[@]}") ;;
                sandbox) pre=("${sandbox[@]}") ;;
            esac
            at0[$tool]+="$("$RTIME" "${pre[@]}" "$@" 0 | cut -d' ' -f1) "
            atn[$tool]+="$("$RTIME" "${pre[@]}" "$@" "$n" | cut -d' ' -f1) "
        done
    done
    for tool in bare seclaunch sandbox; do
        z=$(echo ${at0[$tool]} | tr ' ' '\n' | median)
        w=$(echo ${atn[$tool]} | tr ' ' '\n' | median)
        echo "$tool $(awk -v z="$z" -v w="$w" -v n="$n" -v per="$per" 'BEGIN {printf "%.1f", (w - z) / n / per * 1e9}')"
    done
}

printf '%-28s %10s %12s %10s %22s\n' workload bare_ns seclaunch_ns sandbox_ns "sandbox/seclaunch"
for spec in "sysloop:1:5000000" "openloop:3:1000000"; do
    IFS=: read -r w per n <<< "$spec"
    res=$(measure "$per" "$n" "$out/$w")
    b=$(awk '$1=="bare"{print $2}' <<< "$res"); s=$(awk '$1=="seclaunch"{print $2}' <<< "$res")
    x=$(awk '$1=="sandbox"{print $2}' <<< "$res")
    printf '%-28s %10s %12s %10s %22s\n' "$w (per syscall)" "$b" "$s" "$x" \
        "$(awk -v a="$x" -v b="$s" 'BEGIN {printf "%.3f", a / b}')"
done

echo
echo "launch (pairbench: label pairs A_med B_med wall_ratio min max ...)"
bash "$pairbench" -n "$rounds" "sandbox_vs_java_hello" "$root/sandbox --policy $out/large.json --exec /bin/true" \
    "java -cp $out Hello" | cut -f1-7
bash "$pairbench" -n "$rounds" "sandbox_vs_bin_true" "$root/sandbox --policy $out/large.json --exec /bin/true" \
    "/bin/true" | cut -f1-7
bash "$pairbench" -n "$rounds" "seclaunch_vs_bin_true" "$out/seclaunch -l large -O /bin/true" "/bin/true" | cut -f1-7
