# Sourced by e2e scripts: start_fake_openai DIR REPLY_PY starts lib/fake_openai.py with the
# reply function in REPLY_PY (Python defining reply(body) -> str), logging requests to
# DIR/calls.log; it sets $spid and $fake_port. The caller kills $spid on exit.
start_fake_openai() {
  local dir="$1" lib
  lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  { printf 'import sys\nsys.path.insert(0, %s)\nfrom fake_openai import serve\n' "'$lib'"; cat "$2"
    printf '\nserve(reply)\n'; } >"$dir/fake.py"
  python3 "$dir/fake.py" "$dir/port" "$dir/calls.log" & spid=$!
  for _ in $(seq 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
  [ -s "$dir/port" ] || { echo "FAIL: fake endpoint did not start" >&2; exit 1; }
  fake_port=$(cat "$dir/port")
}
