#!/bin/sh
# Negative test of the verification kit: runs verify_rtl.sh with the given
# arguments, requires it to fail, and requires every --expect pattern (grep
# -E) in its report, so a planted bug is not only caught but reported usefully.
#   expect_failure.sh --expect PATTERN [--expect PATTERN ...] -- VERIFY_RTL_ARGS...
set -u
n=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  [ "$1" = "--expect" ] || { echo "expect_failure: unknown argument $1" >&2; exit 2; }
  n=$((n + 1))
  eval "pattern_$n=\$2"
  shift 2
done
shift
log=$(mktemp)
"$(dirname "$0")/verify_rtl.sh" "$@" > "$log" 2>&1
rc=$?
cat "$log"
status=0
if [ $rc -ne 1 ]; then
  echo "expect_failure: the kit exited $rc; a planted bug must make it exit 1"
  status=1
fi
i=1
while [ $i -le $n ]; do
  eval "p=\$pattern_$i"
  if ! grep -Eq "$p" "$log"; then
    echo "expect_failure: the report lacks /$p/"
    status=1
  fi
  i=$((i + 1))
done
rm -f "$log"
[ $status = 0 ] && echo "expect_failure: caught, with every expected line of the report"
exit $status
