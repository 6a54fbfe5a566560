#!/usr/bin/env bash
# Link launcher for hearth-static (see cmake/StaticRuntime.cmake). CMake hands it the usual link
# command of the target; it links the same objects with -static, swapping every shared library
# on the line for the static archive next to it, dropping libcpp-httplib.so (its implementation
# is compiled into the target instead) and grouping the archives so their order does not matter.
set -euo pipefail
out=()
after_output=0
grouped=0
expect_output=0
for a in "$@"; do
  case "$a" in
    */libcpp-httplib.so*) continue ;;
    -Wl,-rpath,*|-rdynamic) continue ;;
    *.so|*.so.*)
      archive="${a%%.so*}.a"
      if [ ! -f "$archive" ]; then
        echo "static link: $a has no static archive ($archive)" >&2
        exit 1
      fi
      a="$archive" ;;
  esac
  out+=("$a")
  if [ "$expect_output" = 1 ]; then after_output=1; expect_output=0; fi
  if [ "$a" = "-o" ]; then expect_output=1; fi
  if [ "$after_output" = 1 ] && [ "$grouped" = 0 ]; then out+=("-Wl,--start-group"); grouped=1; fi
done
[ "$grouped" = 1 ] && out+=("-Wl,--end-group")
exec "${out[@]}" -static
