# Shared by the bench scripts: builds the peer tools from ../shared/bench and the policy with their allowlist.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${SANDBOX_SHARED_BENCH:-$root/../shared/bench}
out=$here/target
mkdir -p "$out"
if [ ! -x "$out/seclaunch" ] || [ ! -x "$out/minitrace" ]; then
    bash "$shared/build_all.sh" "$out" >/dev/null
fi
if [ ! -f "$out/Hello.class" ]; then
    printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' \
        > "$out/Hello.java"
    javac -d "$out" "$out/Hello.java"
fi
# The same ~297-syscall allowlist the C launcher and minitrace -s use (LARGE_LIST in syslists.h), as a policy.
python3 - "$shared/syslists.h" "$out/large.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
body = text[text.index("LARGE_LIST[]"):]
body = body[:body.index("};")]
names = re.findall(r'"([a-z0-9_]+)"', body)
json.dump({"mode": "allow", "syscalls": names}, open(sys.argv[2], "w"))
PY
[ -f "$root/tui/target/sandbox.jar" ] || (cd "$root" && mvn -q -B package -DskipTests)
RTIME=$out/rtime
export RTIME
pairbench=$shared/pairbench.sh

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
