#!/usr/bin/env bash
# Isolation start-up benchmark: `sandbox --unshare-all --ro-bind / /` against bubblewrap's `bwrap --unshare-all
# --ro-bind / /`, both running /bin/true, in the same run (pairbench alternates them), ratio printed. The sandbox's
# number includes its JVM start-up and the policy compile; the second line isolates what the isolation steps
# themselves cost, as the same sandbox command with and without them. firejail (when installed; as root the script
# installs it) is the third peer, with the nearest settings it has: no profile, --net=none, / read-only.
#
#   bench/isolation.sh [ROUNDS]      (default 7)
source "$(dirname "$0")/common.sh"
rounds=${1:-7}
cd "$root"
if ! command -v bwrap >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null; }
    else
        echo "bench/isolation.sh: bwrap is not installed (apt-get install bubblewrap, as root)" >&2
        exit 1
    fi
fi
if ! command -v firejail >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq --no-install-recommends firejail >/dev/null 2>&1 || true
fi
echo '{"mode":"block","syscalls":[]}' > "$out/allow-all.json"
sandbox="$root/sandbox --policy $out/allow-all.json"

echo "isolation start-up (pairbench: label pairs A_med B_med wall_ratio min max ...)"
bash "$pairbench" -n "$rounds" "sandbox_vs_bwrap" "$sandbox --unshare-all --ro-bind / / --exec /bin/true" \
    "bwrap --unshare-all --ro-bind / / /bin/true" | cut -f1-7
bash "$pairbench" -n "$rounds" "isolated_vs_plain_sandbox" "$sandbox --unshare-all --ro-bind / / --exec /bin/true" \
    "$sandbox --exec /bin/true" | cut -f1-7
if command -v firejail >/dev/null; then
    bash "$pairbench" -n "$rounds" "sandbox_vs_firejail" "$sandbox --unshare-all --ro-bind / / --exec /bin/true" \
        "firejail --quiet --noprofile --net=none --read-only=/ /bin/true" | cut -f1-7
else
    echo "sandbox_vs_firejail: firejail is not installed (apt-get install firejail, as root)"
fi
