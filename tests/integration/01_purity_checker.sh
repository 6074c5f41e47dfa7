#!/bin/bash
# The core-purity check must reject an object that makes a system call
# (otherwise its pass in `make check` proves nothing), and accept calls
# between core objects.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/bad.c" <<'C'
#include <time.h>
long now_ns(void);
long now_ns(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_nsec; }
C
cat > "$tmp/a.c" <<'C'
int helper(int);
int user(int x);
int user(int x) { return helper(x) + 1; }
C
cat > "$tmp/b.c" <<'C'
#include <string.h>
int helper(int);
int helper(int x) { char b[8]; memset(b, x, sizeof(b)); return b[3]; }
C
for f in bad a b; do cc -c -O2 -o "$tmp/$f.o" "$tmp/$f.c"; done
if scripts/check-core-purity "$tmp/bad.o" 2> "$tmp/err"; then
	echo "purity check accepted an object calling clock_gettime" >&2
	exit 1
fi
grep -q "calls clock_gettime" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
scripts/check-core-purity "$tmp/a.o" "$tmp/b.o"
