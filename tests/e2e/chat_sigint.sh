#!/usr/bin/env bash
# hearth chat: Ctrl-C (SIGINT) during a reply stops that reply, keeps the session, and the next
# turn still works; /exit then ends with status 0.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/tiny-qwen2-bpe-Q8_0.gguf
model="$shared/models/tiny-qwen2-bpe-Q8_0.gguf"
tmp=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
mkfifo "$tmp/in"
# A long reply budget, so the reply is still streaming when the signal arrives.
"$bin" chat -m "$model" --temp 0 -n 3000 --ctx-size 4096 -v <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
pid=$!
exec 3>"$tmp/in"

stop_reply() {  # waits for output to grow, interrupts, waits for the acknowledgement
  local want=$1 size0
  size0=$(stat -c %s "$tmp/out")
  for _ in $(seq 1 300); do [ "$(stat -c %s "$tmp/out")" -gt "$size0" ] && break; sleep 0.1; done
  sleep 0.3
  kill -INT "$pid" || { echo "FAIL: chat died before the interrupt"; cat "$tmp/err"; exit 1; }
  for _ in $(seq 1 300); do
    [ "$(grep -c 'reply stopped' "$tmp/err")" -ge "$want" ] && break
    sleep 0.1
  done
  [ "$(grep -c 'reply stopped' "$tmp/err")" -ge "$want" ] ||
    { echo "FAIL: no '[reply stopped]' after SIGINT"; cat "$tmp/err"; exit 1; }
  # The turn is over when -v has printed its statistics; only then is the next message sent.
  for _ in $(seq 1 300); do grep -q "\[turn $want\]" "$tmp/err" && return 0; sleep 0.1; done
  echo "FAIL: no '[turn $want]' line after the stopped reply"; cat "$tmp/err"; exit 1
}

echo "Tell me a very long story." >&3
stop_reply 1
echo "And another one." >&3
stop_reply 2
echo "/exit" >&3
exec 3>&-
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?
if [ "$rc" != 0 ]; then echo "FAIL: exit status $rc after /exit"; cat "$tmp/err"; exit 1; fi
grep -q '\[turn 2\]' "$tmp/err" || { echo "FAIL: second turn did not run"; cat "$tmp/err"; exit 1; }
# The second turn reused the first turn's cache instead of reprocessing it.
grep '\[turn 2\]' "$tmp/err" | grep -Eq 'reused=[1-9]' || { echo "FAIL: turn 2 did not reuse the cache"; cat "$tmp/err"; exit 1; }
echo "ok: two replies interrupted, session kept, clean exit"
