#!/usr/bin/env bash
# Fidelity benchmark: learn each of ~45 real programs in full mode (--full --no-families, every syscall allowed and
# recorded), enforce the saved policy on the same command, and compare. Prints, per program, whether the enforced
# run is identical to the learning run (exit status and stdout, with stdout to a regular file as in `cmd > out`),
# and the learned syscall set against what `strace -f` sees in a bare run of the same command:
#   learned-not-seen  syscalls in the policy that strace did not see (the learner recorded something extra)
#   seen-not-learned  syscalls strace saw that the policy lacks (the enforcer would kill or refuse there)
# and at the end `K/N identical` and the totals. A bare run is the reference for "deterministic": a program whose
# bare runs differ from each other is marked (nondeterministic) rather than counted against the sandbox.
#
#   bench/fidelity.sh [NAME...]      (default: all; missing tools are installed with apt-get when root)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
sandbox=$root/sandbox
out=$here/target/fidelity
[ -f "$root/tui/target/sandbox.jar" ] || (cd "$root" && mvn -q -B package -DskipTests) || exit 1

need=(gcc make git python3 perl tar gzip xz bzip2 zstd zip unzip file strace java node openssl objdump)
missing=()
for t in "${need[@]}"; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        declare -A pkg=([gcc]=gcc [make]=make [git]=git [python3]=python3 [perl]=perl [tar]=tar [gzip]=gzip
            [xz]=xz-utils [bzip2]=bzip2 [zstd]=zstd [zip]=zip [unzip]=unzip [file]=file [strace]=strace
            [java]=default-jre-headless [node]=nodejs [openssl]=openssl [objdump]=binutils)
        apt-get update -qq && for t in "${missing[@]}"; do apt-get install -y -qq "${pkg[$t]}" >/dev/null; done
    else
        echo "fidelity: missing ${missing[*]} (run as root to install them with apt-get)" >&2
    fi
fi
command -v strace >/dev/null || { echo "fidelity: strace is needed" >&2; exit 1; }

# The template every run starts from (a fresh copy each time, so runs cannot see each other's files).
tpl=$out/tpl
rm -rf "$out" && mkdir -p "$tpl/src"
cd "$tpl"
for i in $(seq 1 400); do echo "line $i of the data file, with some words: alpha beta gamma"; done > data.txt
sed 's/alpha/ALPHA/' data.txt > data2.txt
head -c 256 /dev/urandom > small.bin
printf '#include <stdio.h>\nint main(void) { printf("hello %%d\\n", 6 * 7); return 0; }\n' > src/hello.c
printf 'int twice(int x) { return 2 * x; }\n' > src/lib.c
printf 'hello: src/hello.c\n\tcc -O2 -o hello src/hello.c\n\t./hello\n' > Makefile
ln -s data.txt link
gcc -c -o hello.o src/hello.c
tar --mtime=@0 --sort=name --owner=0 --group=0 -cf src.tar src
zip -q -X src.zip src/hello.c src/lib.c
( export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b \
      GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z
  git init -q repo && cp src/hello.c repo/ && git -C repo add . && git -C repo commit -q -m first ) || exit 1
touch -d @0 -h $(find . -mindepth 1) 2>/dev/null

# name | command (run in a fresh copy of the template, stdin /dev/null, stdout and stderr to files)
programs=$(cat <<'EOF'
cat|cat data.txt
ls|ls -l --time-style=+ src
sort|sort -r data.txt
wc|wc data.txt
head|head -n 5 data.txt
tail|tail -n 5 data.txt
sed|sed s/alpha/omega/g data.txt
awk|awk '{ s += length($0) } END { print s }' data.txt
grep|grep -c gamma data.txt
find|sh -c 'find src -type f | sort'
du|du -s src
stat|stat -c '%s %n' data.txt
md5sum|md5sum data.txt
sha256sum|sha256sum data.txt
base64|base64 small.bin
od|od -An -tx1 small.bin
tr|sh -c 'tr a-z A-Z < data.txt'
cut|cut -d' ' -f1,2 data.txt
diff|diff data.txt data2.txt
cmp|cmp data.txt data2.txt
readlink|readlink -f link
id|id -u
uname|uname -sr
env|env
seq|seq 1 2000
factor|factor 1234567 987654321
xargs|sh -c 'echo a b c | xargs -n1 echo'
file|file src/hello.c small.bin
gzip|gzip -c -n data.txt
xz|xz -c data.txt
bzip2|bzip2 -c data.txt
zstd|zstd -q -c data.txt
tar-c|tar --mtime=@0 --sort=name --owner=0 --group=0 -cf - src
tar-x|tar -xOf src.tar
zip|zip -q -X - data.txt
unzip|unzip -p src.zip
cc-E|cc -E src/hello.c
cc-S|cc -S -o - src/lib.c
gcc|gcc -O2 -o hello src/hello.c
make|make -s
objdump|objdump -h hello.o
strings|strings -n 6 hello.o
python3|/usr/bin/python3 -c 'import json; print(json.dumps({"a": [1, 2]}))'
perl|perl -e 'print join(",", map { $_ * 2 } 1..5), "\n"'
sh|sh -c 'for i in 1 2 3; do echo $i; done'
bash|bash -c 'echo ${#BASH_VERSINFO[@]}'
git-log|git -C repo log --format='%H %s'
git-status|git -C repo status --porcelain=v1 -b
openssl|openssl dgst -sha256 data.txt
java|java -version
node|node -e 'console.log(1 + 1)'
nproc|nproc
EOF
)

fresh() { rm -rf "$out/run" && cp -a "$tpl" "$out/run" && cd "$out/run"; }

# syscall names from a full `strace -f` log: "PID name(" and "<... name resumed>" (not `strace -c`, which leaves
# out calls that never return, such as exit_group)
strace_set() {
    sed -nE 's/^([0-9]+ +)?([a-z0-9_]+)\(.*/\2/p; s/^([0-9]+ +)?<\.\.\. ([a-z0-9_]+) resumed>.*/\2/p' "$1" | sort -u
}

total=0; same=0; extra_total=0; missing_total=0
report=$out/report.txt
: > "$report"
printf '%-11s %-30s %8s %8s  %s\n' program result learned strace "learned-not-seen | seen-not-learned"
while IFS='|' read -r name cmd; do
    [ -z "$name" ] && continue
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    tool=$(eval "set -- $cmd"; echo "$1")
    command -v "$tool" >/dev/null || { printf '%-11s skipped: %s is not installed\n' "$name" "$tool"; continue; }
    d=$out/$name; mkdir -p "$d"
    total=$((total + 1))
    fresh; eval "bare() { $cmd; }"
    bare < /dev/null > "$d/bare.out" 2> "$d/bare.err"; bare_rc=$?
    fresh; bare < /dev/null > "$d/bare2.out" 2>/dev/null; bare2_rc=$?
    fresh; eval "learn() { \"\$sandbox\" --trace-block-dynamic --on-unknown allow --full --no-families \
        --save \"$d/policy.json\" --exec $cmd; }"
    learn < /dev/null > "$d/learn.out" 2> "$d/learn.err"; learn_rc=$?
    fresh; eval "enforce() { \"\$sandbox\" --policy \"$d/policy.json\" --exec $cmd; }"
    enforce < /dev/null > "$d/enforce.out" 2> "$d/enforce.err"; enforce_rc=$?
    # the same kinds of stdio as the other runs: a program writing to /dev/null may take another path
    fresh; eval "traced() { strace -f -qq -o \"$d/strace.txt\" $cmd; }"
    traced < /dev/null > "$d/strace.out" 2> "$d/strace.err"
    cd "$out"

    strace_set "$d/strace.txt" > "$d/strace.set"
    python3 -c 'import json, sys; [print(s) for s in json.load(open(sys.argv[1]))["syscalls"]]' \
        "$d/policy.json" 2>/dev/null | sort -u > "$d/learned.set"
    extra=$(comm -23 "$d/learned.set" "$d/strace.set" | tr '\n' ' ')
    lacking=$(comm -13 "$d/learned.set" "$d/strace.set" | tr '\n' ' ')
    [ -n "$extra" ] && extra_total=$((extra_total + 1))
    [ -n "$lacking" ] && missing_total=$((missing_total + 1))

    if [ "$enforce_rc" = "$learn_rc" ] && cmp -s "$d/learn.out" "$d/enforce.out"; then
        result="identical (exit $enforce_rc)"; same=$((same + 1))
    else
        why="exit $enforce_rc, learned $learn_rc"
        cmp -s "$d/learn.out" "$d/enforce.out" || why="$why, stdout differs"
        named=$(grep -o 'syscall [a-z0-9_]* is not allowed\|violation in pid .*' "$d/enforce.err" | head -1)
        [ -n "$named" ] && why="$why: $named"
        result="DIFFERENT ($why)"
    fi
    if [ "$bare_rc" != "$bare2_rc" ] || ! cmp -s "$d/bare.out" "$d/bare2.out"; then
        result="$result (nondeterministic bare)"
    elif [ "$bare_rc" != "$learn_rc" ] || ! cmp -s "$d/bare.out" "$d/learn.out"; then
        result="$result (learning run differs from bare)"
    fi
    line=$(printf '%-11s %-30s %8s %8s  %s| %s' "$name" "$result" "$(wc -l < "$d/learned.set")" \
        "$(wc -l < "$d/strace.set")" "${extra:--} " "${lacking:--}")
    echo "$line"; echo "$line" >> "$report"
done <<< "$programs"
echo
echo "$same/$total identical"
echo "$extra_total/$total with syscalls learned that strace did not see; $missing_total/$total with syscalls strace saw that were not learned"
echo "(details per program in $out/NAME/: policy.json, learn/enforce/bare .out/.err, strace.txt)"
