#!/bin/sh
# t0180-install.sh: the README's server install, in a staging root.
# `make install DESTDIR` puts the programs, the systemd units (with this
# build's paths), the sysusers.d and tmpfiles.d files, the env template
# and the man pages where they belong; systemd-sysusers and
# systemd-tmpfiles --root make the caravel user and its directories from
# them; then, as that non-root user, caravel-admin migrate works (the
# directory exists before any unit ran) and every program accepts the env
# file made from the template and `caravel-admin genkeys`, and the API
# answers a request. The template and caravel.env(5) name every setting.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

for t in systemd-sysusers systemd-tmpfiles systemd-analyze groff; do
	command -v "$t" > /dev/null 2>&1 ||
	    bail "$t is missing (the Debian packages systemd and groff-base)"
done

S=$T/stage
make -s -C "$top_builddir" install DESTDIR="$S" > "$T/install.log" 2>&1 ||
    bail "make install DESTDIR failed: $(tail -n 5 "$T/install.log")"

# The configured directories, as this build has them.
dirs=$(make -s -C "$top_builddir" print-install-dirs) ||
    bail "make print-install-dirs failed"
eval "$dirs"
diag "sbindir=$sbindir unitdir=$systemdsystemunitdir"

for p in caravel-api caravel-admin caravel-infra caravel-robot \
    caravel-billing; do
	check "$p installed in sbindir" test -x "$S$sbindir/$p"
	check "$p(8) installed" test -f "$S$mandir/man8/$p.8"
	check "$p(8) formats without warnings" sh -c \
	    "test -z \"\$(groff -man -ww -z '$S$mandir/man8/$p.8' 2>&1)\""
done
check "caravel.env(5) installed" test -f "$S$mandir/man5/caravel.env.5"
U=$S$systemdsystemunitdir
for u in caravel-api.service caravel-api.socket caravel-worker@.service \
    caravel-worker@.timer; do
	check "unit $u installed where systemd looks" test -f "$U/$u"
done
check "the API unit starts the installed program" \
    grep -qx "ExecStart=$sbindir/caravel-api --children 4" \
    "$U/caravel-api.service"
check "the worker unit starts the installed programs" \
    grep -qx "ExecStart=$sbindir/caravel-%i" "$U/caravel-worker@.service"
check "no unit names a path this build did not configure" sh -c \
    "! grep -h '/usr/local\|/etc/\|/var/' '$U'/* | grep -v '^#' |
    grep -v '$sbindir\|$sysconfdir\|$localstatedir\|/run/caravel'"

# systemd-analyze checks the units' syntax; the only complaint allowed is
# that the programs are not at their path on this machine (they are in
# the staging root).
V=$T/units
mkdir -p "$V"
cp "$U"/* "$V"/
for k in service timer; do
	cp "$V/caravel-worker@.$k" "$V/caravel-worker@billing.$k"
done
(cd "$V" && systemd-analyze verify ./caravel-api.socket ./caravel-api.service \
    ./caravel-worker@billing.timer ./caravel-worker@billing.service) \
    > "$T/verify.out" 2>&1
check "systemd-analyze verify: the units are sound" sh -c \
    "! grep -v 'Command $sbindir/caravel-[a-z]* is not executable' '$T/verify.out' |
    grep ."

# --- the README's steps, in the staging root ---

mkdir -p "$S/etc"
: > "$S/etc/passwd"
: > "$S/etc/group"
if [ "$(id -u)" -eq 0 ]; then
	# The files named: a prefix of this build (distcheck's) may be one
	# these tools do not search.
	systemd-sysusers --root="$S" "$S$sysusersdir/caravel.conf" \
	    > "$T/sysusers.out" 2>&1
	check "systemd-sysusers makes the caravel user" \
	    grep -q '^caravel:' "$S/etc/passwd"
	systemd-tmpfiles --root="$S" --create "$S$tmpfilesdir/caravel.conf" \
	    > "$T/tmpfiles.out" 2>&1
	check "systemd-tmpfiles makes the state directory" \
	    test -d "$S$localstatedir/lib/caravel"
	uid=$(grep '^caravel:' "$S/etc/passwd" | cut -d: -f3)
	gid=$(grep '^caravel:' "$S/etc/passwd" | cut -d: -f4)
	check "... owned by caravel, mode 0750" test \
	    "$(stat -c '%u %a' "$S$localstatedir/lib/caravel")" = "$uid 750"
	check "... and the env file's directory, root's, readable by caravel" \
	    test "$(stat -c '%u %g %a' "$S$sysconfdir/caravel")" = "0 $gid 750"
	as_caravel() { setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"; }
	# The staging root's parents must let caravel through to its files.
	chmod 0755 "$T"
else
	# Not root: the directories by hand, and this user is the service user.
	mkdir -p "$S$localstatedir/lib/caravel" "$S$sysconfdir/caravel"
	check "systemd-sysusers and tmpfiles files installed" sh -c \
	    "test -f '$S$sysusersdir/caravel.conf' && test -f '$S$tmpfilesdir/caravel.conf'"
	as_caravel() { "$@"; }
fi
check "the sysusers.d file makes a system user that cannot log in" \
    grep -q "^u caravel - .* $localstatedir/lib/caravel /usr/sbin/nologin$" \
    "$S$sysusersdir/caravel.conf"

# The env file from the template and genkeys, as the README says.
E=$S$sysconfdir/caravel/caravel.env
DBF=$S$localstatedir/lib/caravel/caravel.db
{
	sed "s|^#DATABASE_URL=.*|DATABASE_URL=sqlite://$DBF|" \
	    "$S$pkgdatadir/caravel.env.example"
	"$S$sbindir/caravel-admin" genkeys
} > "$E"
chmod 0640 "$E"
[ "$(id -u)" -eq 0 ] && chgrp "$gid" "$E"

as_caravel "$S$sbindir/caravel-admin" --env-file "$E" migrate > "$T/m.out" 2>&1
check "caravel-admin migrate as the service user: exit 0" test "$?" -eq 0
check "... the database is in the state directory" test -f "$DBF"
[ "$(id -u)" -eq 0 ] && check "... owned by caravel" \
    test "$(stat -c %u "$DBF")" = "$uid"
for p in caravel-api caravel-infra caravel-robot caravel-billing; do
	as_caravel "$S$sbindir/$p" --env-file "$E" -n > "$T/n.out" 2>&1
	rc=$?
	check "$p -n accepts the template with genkeys' secrets" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || diag "$(cat "$T/n.out")"
done
if [ "$(id -u)" -eq 0 ]; then
	# Root on the service user's database would leave root-owned files.
	"$S$sbindir/caravel-admin" --env-file "$E" tenants > "$T/root.out" 2>&1
	check "root running caravel-admin on caravel's database: refused" \
	    test "$?" -eq 1
	check "... saying to run it as that user" \
	    grep -q "belongs to uid $uid.*run it as that user" "$T/root.out"
	"$S$sbindir/caravel-robot" --env-file "$E" > "$T/root.out" 2>&1
	check "root running a worker: refused too" test "$?" -eq 1
	check "... and nothing in the state directory belongs to root" \
	    test -z "$(find "$S$localstatedir/lib/caravel" -uid 0)"
fi
as_caravel env -i PATH="$PATH" REQUEST_METHOD=GET PATH_INFO=/health \
    DATABASE_URL="sqlite://$DBF" "$S$sbindir/caravel-api" > "$T/cgi.out" 2>&1
check "the installed API answers /health as the service user" \
    grep -q '"status":"ok"' "$T/cgi.out"

# Every setting the programs know is in the template and in caravel.env(5).
"$S$sbindir/caravel-admin" --env-file "$E" check-config |
    sed -n 's/^\([A-Z_0-9]*\)=.*/\1/p' > "$T/keys"
check "check-config lists the settings" test "$(wc -l < "$T/keys")" -gt 30
missing=
while read -r k; do
	grep -Eq "^#?$k=" "$S$pkgdatadir/caravel.env.example" ||
	    missing="$missing template:$k"
	grep -q "^\\.B $k\$" "$S$mandir/man5/caravel.env.5" ||
	    missing="$missing man:$k"
done < "$T/keys"
check "the template and caravel.env(5) name every setting" test -z "$missing"
[ -z "$missing" ] || diag "missing:$missing"

done_testing
