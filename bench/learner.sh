#!/usr/bin/env bash
# Learner benchmark: `sandbox --trace-block-dynamic --on-unknown allow` against bare, strace -f and the minimal C
# tracer (as people run them, and pinned to one CPU), and fast mode against the C seccomp-assisted tracer.
#
#   bench/learner.sh [PAIRS] [full|fast|all]     (default 3 pairs, all)
#
# Each line is ../shared/bench/pairbench.sh output cut to: label, pairs, A median s, B median s, A/B wall ratio
# median, min, max. The sandbox runs unpinned by default; the "full-pinned" rows add --pin.
# ls -laR runs on /usr/share/doc, not /usr/share: strace -f needs tens of seconds per run on the latter here.
source "$(dirname "$0")/common.sh"
pairs=${1:-3}
which=${2:-all}
cd "$root"
command -v strace >/dev/null || { echo "bench/learner.sh needs strace (apt-get install strace)" >&2; exit 1; }
learn="$root/sandbox --trace-block-dynamic --on-unknown allow --exec"
full="$root/sandbox --trace-block-dynamic --on-unknown allow --full --exec"
fast="$root/sandbox --trace-block-dynamic --on-unknown allow --policy $out/large.json --exec"
strace="strace -f -qq -o /dev/null"

row() { bash "$pairbench" -n "$pairs" "$@" | cut -f1-7; }

full_workloads=(
    "sysloop|$out/sysloop 50000"
    "openloop|$out/openloop 20000"
    "forkexec|$out/forkexec 200"
    "threads|$out/threads 4 12500"
    "ls-laR|ls -laR /usr/share/doc"
)
fast_workloads=(
    "sysloop|$out/sysloop 5000000"
    "openloop|$out/openloop 1000000"
    "forkexec|$out/forkexec 200"
    "threads|$out/threads 4 1250000"
    "ls-laR|ls -laR /usr/share"
)

printf 'label\tpairs\tA_s\tB_s\tratio\tmin\tmax\n'
if [ "$which" != fast ]; then
    for w in "${full_workloads[@]}"; do
        IFS='|' read -r name cmd <<< "$w"
        row "$name:full/bare" "$full $cmd" "$cmd"
        row "$name:full/strace-f" "$full $cmd" "$strace $cmd"
        row "$name:full-pinned/strace-f-pinned" "$root/sandbox --trace-block-dynamic --on-unknown allow --full --pin --exec $cmd" "taskset -c 0 $strace $cmd"
        row "$name:full/strace-f-pinned" "$full $cmd" "taskset -c 0 $strace $cmd"
        row "$name:full/minitrace" "$full $cmd" "$out/minitrace $cmd"
        row "$name:full/minitrace-pinned" "$full $cmd" "taskset -c 0 $out/minitrace $cmd"
    done
fi
if [ "$which" != full ]; then
    for w in "${fast_workloads[@]}"; do
        IFS='|' read -r name cmd <<< "$w"
        row "$name:fast/bare" "$fast $cmd" "$cmd"
        row "$name:fast/minitrace-s" "$fast $cmd" "$out/minitrace -s $cmd"
    done
fi
