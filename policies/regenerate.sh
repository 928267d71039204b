#!/usr/bin/env bash
# Regenerates the shipped program policies by learning, with the sandbox itself: each program is run under
# `sandbox --trace-block-dynamic --on-unknown allow --full --into FILE` once per invocation below, so the policy is
# the merge of what those runs needed (the one merge and the one writer of the policy format), with every run
# recorded in its metadata. minimal.json, base.json and ceiling.json are written by hand (see their metadata).
# PolicyFilesTest runs every shipped policy against its program.
#   SANDBOX_POLICIES_OUT=DIR  writes the policies there instead of policies/ (to compare before replacing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f tui/target/sandbox.jar ] || mvn -q -B package -DskipTests
out=${SANDBOX_POLICIES_OUT:-policies}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

learn() { # name invocation...
    local name=$1; shift
    local target="$work/$name.json"
    for inv in "$@"; do
        echo "learning $name: $inv" >&2
        eval "args=($inv)"  # invocations are written with shell quoting
        # The program's own exit status does not matter (some invocations fail on purpose); a failed save does.
        ./sandbox --trace-block-dynamic --on-unknown allow --full --into "$target" --exec "${args[@]}" \
            </dev/null >/dev/null 2>>"$work/$name.err" || true
        if [ ! -f "$target" ]; then
            echo "regenerate.sh: learning $name saved nothing:" >&2
            cat "$work/$name.err" >&2
            exit 1
        fi
    done
    ./sandbox policy check "$target" >&2
    mv "$target" "$out/$name.json"
}

learn ls "/bin/ls /" "/bin/ls -la /usr/share/doc" "/bin/ls -lR /etc/apt" "/bin/ls -la /nonexistent"
learn cat "/bin/cat /etc/os-release" "/bin/cat /etc/hostname /etc/os-release" "/bin/cat /nonexistent"
learn echo "/bin/echo hello world" "/bin/echo -n -e 'a\tb'"
# A shell whose PWD is missing or names another directory (started by a service, a test runner, a JVM) takes
# another path (getcwd); env removes it for those runs.
learn sh "/bin/sh -c true" "/bin/sh -c 'echo hi; cd /tmp; pwd'" "/bin/sh -c '/bin/true; x=\$(echo y); echo \$x'" \
    "/usr/bin/env -u PWD /bin/sh -c 'echo hi; cd /tmp; pwd'" "/usr/bin/env -u PWD /bin/sh -c 'x=\$(echo y); echo \$x'"
learn python3 "/usr/bin/python3 -c 'print(42)'" \
    "/usr/bin/python3 -c 'import os, json; print(json.dumps(sorted(os.listdir(\"/etc/apt\"))))'"
