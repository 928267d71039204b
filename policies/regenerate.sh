#!/usr/bin/env bash
# Regenerates the shipped program policies by learning: each program is run under
# `sandbox --trace-block-dynamic --on-unknown allow --full` once per invocation below, and the policy is the union
# of what those runs needed, with the runs recorded in its metadata. minimal.json and base.json are written by hand
# (see their metadata). PolicyFilesTest runs every shipped policy against its program.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f tui/target/sandbox.jar ] || mvn -q -B package -DskipTests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

learn() { # name invocation...
    local name=$1; shift
    local i=0
    for inv in "$@"; do
        i=$((i + 1))
        echo "learning $name: $inv" >&2
        eval "args=($inv)"  # invocations are written with shell quoting
        ./sandbox --trace-block-dynamic --on-unknown allow --full --save "$work/$name.$i.json" --exec "${args[@]}" \
            </dev/null >/dev/null 2>"$work/$name.$i.err" || true
    done
    python3 - "$name" "$work" "$@" <<'PY'
import glob, json, sys
name, work, invocations = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [json.load(open(f)) for f in sorted(glob.glob(f"{work}/{name}.*.json"))]
syscalls = sorted(set().union(*[set(r["syscalls"]) for r in runs]))
meta = dict(runs[0]["metadata"])
for k in ("args", "counts", "provenance", "denied", "exit_status", "date"):
    meta.pop(k, None)
meta["made"] = ("policies/regenerate.sh: union of %d learning runs with --on-unknown allow --full" % len(runs))
meta["runs"] = invocations
meta["date"] = runs[-1]["metadata"]["date"]
json.dump({"mode": "allow", "syscalls": syscalls, "metadata": meta}, open(f"policies/{name}.json", "w"), indent=2)
open(f"policies/{name}.json", "a").write("\n")
print(f"policies/{name}.json: {len(syscalls)} syscalls", file=sys.stderr)
PY
}

learn ls "/bin/ls /" "/bin/ls -la /usr/share/doc" "/bin/ls -lR /etc/apt" "/bin/ls -la /nonexistent"
learn cat "/bin/cat /etc/os-release" "/bin/cat /etc/hostname /etc/os-release" "/bin/cat /nonexistent"
learn echo "/bin/echo hello world" "/bin/echo -n -e 'a\tb'"
# A shell whose PWD is missing or names another directory (started by a service, a test runner, a JVM) takes
# another path (getcwd); ./sandbox is a script and would correct PWD, so env removes it for those runs.
learn sh "/bin/sh -c true" "/bin/sh -c 'echo hi; cd /tmp; pwd'" "/bin/sh -c '/bin/true; x=\$(echo y); echo \$x'" \
    "/usr/bin/env -u PWD /bin/sh -c 'echo hi; cd /tmp; pwd'" "/usr/bin/env -u PWD /bin/sh -c 'x=\$(echo y); echo \$x'"
learn python3 "/usr/bin/python3 -c 'print(42)'" \
    "/usr/bin/python3 -c 'import os, json; print(json.dumps(sorted(os.listdir(\"/etc/apt\"))))'"
