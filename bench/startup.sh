#!/usr/bin/env bash
# Start-up benchmark of static runs (the repeated path and the first run) and the per-syscall cost on the repeated
# path, against the peers in ../shared/bench, in one run:
#
#   repeated   sandbox --policy P --exec /bin/true, P compiled before (sandbox-run, no JVM)
#              vs seclaunch with the same ~297-syscall allowlist (libseccomp compiles it at every start)  target <= 1.0
#   first run  the same with a policy the cache has not seen, and with an empty cache (sandbox-run finds
#              nothing; the JVM compiles, caches and runs) vs java Hello (JDK 17, stock flags)            target <= 2.0
#   syscalls   per-getppid cost on the repeated path vs under seclaunch (launch costs cancel out)       target <= 1.01
#
#   bench/startup.sh [PAIRS]      (default 21; pairbench runs A B A B ..., ratios pair by pair, medians [min-max])
source "$(dirname "$0")/common.sh"
pairs=${1:-21}
cd "$root"
export XDG_CACHE_HOME=$out/xdg-cache
rm -rf "$XDG_CACHE_HOME"
sandbox=("$root/sandbox" --policy "$out/large.json" --exec)
# First runs, every time. cold.sh: on an empty cache (one rm, counted against the sandbox). new-policy.sh: a policy
# the cache has not seen (the large allowlist with a run number in its metadata; shell builtins only), on a cache
# that holds the build's syscall-name entry, as on any machine after its first run.
printf '#!/bin/sh\nrm -rf "$XDG_CACHE_HOME/sandbox"\nexec "$@"\n' > "$out/cold.sh"
{
    printf '#!/bin/sh\n'
    printf 'read -r n < "%s"\n' "$out/new-policy.count"
    printf 'echo $((n + 1)) > "%s"\n' "$out/new-policy.count"
    printf 'read -r line < "%s"\n' "$out/large.json"
    printf 'printf '"'"'{"metadata": {"run": %%d}, %%s\\n'"'"' "$n" "${line#?}" > "%s"\n' "$out/new-policy.json"
    printf 'exec "%s" --policy "%s" --exec "$@"\n' "$root/sandbox" "$out/new-policy.json"
} > "$out/new-policy.sh"
echo 0 > "$out/new-policy.count"
chmod +x "$out/cold.sh" "$out/new-policy.sh"
"${sandbox[@]}" /bin/true # fill the cache for the repeated path, and the names entry

row() { # label target pairbench-output
    # the verdict compares the median ratio with the target; pairbench's own status ($21) follows it
    awk -F'\t' -v label="$1" -v target="$2" '{verdict = target == "-" ? "" : ($5 <= target ? "met" : "MISSED");
        printf "%-40s %9.2f ms %9.2f ms %8.3f [%.3f-%.3f]  target <= %s %s  (%s)\n",
        label, $3 * 1000, $4 * 1000, $5, $6, $7, target, verdict, $21}' <<< "$3"
}

printf '%-40s %12s %12s %8s\n' "A vs B" "A median" "B median" "A/B median [min-max]"
row "repeated: sandbox vs seclaunch" 1.0 "$(bash "$pairbench" -n "$pairs" -w 3 repeated \
    "${sandbox[*]} /bin/true" "$out/seclaunch -l large -O /bin/true")"
row "first run, new policy: vs java Hello" 2.0 "$(bash "$pairbench" -n "$pairs" -w 2 first_new \
    "$out/new-policy.sh /bin/true" "java -cp $out Hello")"
row "first run, empty cache: vs java Hello" 2.0 "$(bash "$pairbench" -n "$pairs" -w 2 first_empty \
    "$out/cold.sh ${sandbox[*]} /bin/true" "java -cp $out Hello")"
row "JVM path, cache current: vs java Hello" - "$(bash "$pairbench" -n "$pairs" -w 2 jvm_path \
    "$root/sandbox --sandbox-jvm --policy $out/large.json --exec /bin/true" "java -cp $out Hello")"
row "repeated: sandbox vs /bin/true" "-" "$(bash "$pairbench" -n "$pairs" -w 3 bare \
    "${sandbox[*]} /bin/true" "/bin/true")"
row "repeated: seclaunch vs /bin/true" "-" "$(bash "$pairbench" -n "$pairs" -w 3 bare_seclaunch \
    "$out/seclaunch -l large -O /bin/true" "/bin/true")"

# Per-syscall cost: (median wall at N calls - median wall at 0 calls) / N, alternating the two tools.
n=5000000
declare -A at0 atn
for ((r = 0; r < 7; r++)); do
    for tool in seclaunch sandbox; do
        case $tool in
            seclaunch) pre=("$out/seclaunch" -l large -O) ;;
            sandbox) pre=("${sandbox[@]}") ;;
        esac
        at0[$tool]+="$("$RTIME" "${pre[@]}" "$out/sysloop" 0 | cut -d' ' -f1) "
        atn[$tool]+="$("$RTIME" "${pre[@]}" "$out/sysloop" "$n" | cut -d' ' -f1) "
    done
done
per() { awk -v z="$(echo ${at0[$1]} | tr ' ' '\n' | median)" -v w="$(echo ${atn[$1]} | tr ' ' '\n' | median)" \
    -v n="$n" 'BEGIN {printf "%.1f", (w - z) / n * 1e9}'; }
s=$(per seclaunch)
x=$(per sandbox)
ratio=$(awk -v a="$x" -v b="$s" 'BEGIN {print a / b}')
printf '%-40s %9s ns %9s ns %8.3f  target <= 1.01 %s\n' "getppid: sandbox vs seclaunch (per call)" "$x" "$s" \
    "$ratio" "$(awk -v r="$ratio" 'BEGIN {print (r <= 1.01 ? "met" : "MISSED")}')"
