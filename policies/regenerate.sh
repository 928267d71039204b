#!/usr/bin/env bash
# Regenerates the shipped program policies by learning, with the sandbox itself: each program is run under
# `sandbox --trace-block-dynamic --on-unknown allow --full --into FILE` once per invocation below and per stdio kind,
# so the policy is the merge of what those runs needed (the one merge and the one writer of the policy format), with
# every run recorded in its metadata. minimal.json, base.json and ceiling.json are written by hand (see their
# metadata). PolicyFilesTest runs every shipped policy against its program, with the same stdio kinds.
#
# The program gets the sandbox's own fds, and programs take other paths for other kinds of output: cat copies to a
# regular file with copy_file_range, a terminal is asked for its size, and so on. So every invocation is learned with
# its stdout and stderr to a terminal (a pty from util-linux script, which is also its stdin), to a pipe and to a
# regular file, the file last: the newest run's command, stdio and output are what `sandbox verify` compares with.
# An invocation whose first word is stdin=PATH reads PATH on its stdin, once from the file itself and once through a
# pipe, with each kind of output.
#   SANDBOX_POLICIES_OUT=DIR  writes the policies there instead of policies/ (to compare before replacing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f tui/target/sandbox.jar ] || mvn -q -B package -DskipTests
command -v script >/dev/null || { echo "regenerate.sh: needs script (util-linux) for the terminal runs" >&2; exit 1; }
out=${SANDBOX_POLICIES_OUT:-policies}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One learning run: learn_run TARGET OUTPUT-KIND STDIN-KIND STDIN-PATH PROGRAM ARGS...
# --on-unknown allow asks nothing and --into saves without the save question, so no run waits for a person, even with
# a terminal on stdin.
learn_run() {
    local target=$1 kind=$2 in_kind=$3 in_path=$4; shift 4
    local cmd
    cmd=$(printf '%q ' ./sandbox --trace-block-dynamic --on-unknown allow --full --into "$target" --exec "$@")
    case $in_kind in
        none) [ "$kind" = terminal ] || cmd+=" </dev/null" ;;  # a terminal run keeps the terminal as stdin
        file) cmd+=" <$(printf %q "$in_path")" ;;
        pipe) cmd="cat $(printf %q "$in_path") | $cmd" ;;
    esac
    printf 'cd %q && %s\n' "$root" "$cmd" >"$work/run.sh"
    # The program's own exit status does not matter (some invocations fail on purpose); a failed save does.
    case $kind in
        terminal) script -qec "bash $(printf %q "$work/run.sh")" /dev/null </dev/null >"$work/err" 2>&1 || true ;;
        pipe) { bash "$work/run.sh" 2>&1 || true; } | cat >"$work/err" ;;
        file) bash "$work/run.sh" >"$work/out" 2>"$work/err" || true ;;
    esac
}

learn() { # name invocation...
    local name=$1; shift
    # Learned in place (the first run starts from nothing): the file is the base of every later run, and
    # metadata.base_policy names it.
    local target="$out/$name.json"
    rm -f "$target"
    for inv in "$@"; do
        eval "args=($inv)"  # invocations are written with shell quoting
        local in_kinds=(none) in_path=""
        if [[ ${args[0]} == stdin=* ]]; then
            in_path=${args[0]#stdin=}
            args=("${args[@]:1}")
            in_kinds=(pipe file)
        fi
        for in_kind in "${in_kinds[@]}"; do
            for kind in terminal pipe file; do
                echo "learning $name: $inv (output: $kind${in_path:+, input: $in_kind})" >&2
                local before=""
                [ -f "$target" ] && before=$(sha256sum <"$target")
                learn_run "$target" "$kind" "$in_kind" "$in_path" "${args[@]}"
                # Every saved run adds itself to the metadata: an unchanged file is a save that failed.
                if [ ! -f "$target" ] || [ "$(sha256sum <"$target")" = "$before" ]; then
                    echo "regenerate.sh: learning $name ($kind output) saved nothing:" >&2
                    cat "$work/err" >&2
                    exit 1
                fi
            done
        done
    done
    ./sandbox policy check --strict "$target" >&2
}

learn ls "/bin/ls /" "/bin/ls -la /usr/share/doc" "/bin/ls -lR /etc/apt" "/bin/ls -la /nonexistent/missing"
learn cat "/bin/cat /etc/os-release" "/bin/cat /etc/hostname /etc/os-release" "/bin/cat /nonexistent/missing" \
    "stdin=/etc/os-release /bin/cat" "stdin=/etc/os-release /bin/cat - /etc/hostname"
learn echo "/bin/echo hello world" "/bin/echo -n -e 'a\tb'"
# A shell whose PWD is missing or names another directory (started by a service, a test runner, a JVM) takes
# another path (getcwd); env removes it for those runs.
learn sh "/bin/sh -c true" "/bin/sh -c 'echo hi; cd /tmp; pwd'" "/bin/sh -c '/bin/true; x=\$(echo y); echo \$x'" \
    "/usr/bin/env -u PWD /bin/sh -c 'echo hi; cd /tmp; pwd'" "/usr/bin/env -u PWD /bin/sh -c 'x=\$(echo y); echo \$x'"
learn python3 "/usr/bin/python3 -c 'print(42)'" \
    "/usr/bin/python3 -c 'import os, json; print(json.dumps(sorted(os.listdir(\"/etc/apt\"))))'"
