#!/bin/sh
# nginx-local-conf.sh PREFIX PORT SOCKET [SITE [TEMPLATE]]
#
# Writes to stdout a self-contained nginx.conf for a loopback run: the
# template nginx/caravel-local.conf.in with a server on 127.0.0.1:PORT
# that holds the API's server directives, nginx/caravel-api.inc (the file
# the production site nginx/caravel.conf includes), passing requests to
# the unix socket SOCKET. PREFIX is the directory nginx keeps
# its pid, logs and temp files in. Used by scripts/caravel-local and
# tests/e2e/lib.sh, so both run the site config that ships.

set -eu

usage()
{
	echo "usage: $0 PREFIX PORT SOCKET [SITE [TEMPLATE]]" >&2
	exit 2
}

# Paths go into nginx directives unquoted and through awk's gsub, so
# they are kept to characters that mean nothing to either.
check_path()
{
	case $2 in
	/*) ;;
	*) echo "$0: $1 must be an absolute path: $2" >&2; exit 2 ;;
	esac
	case $2 in
	*[!A-Za-z0-9._/+-]*)
		echo "$0: $1 may only hold letters, digits and ._/+- : $2" >&2
		exit 2 ;;
	esac
}

if [ $# -lt 3 ] || [ $# -gt 5 ]; then
	usage
fi
srcdir=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1%/}
port=$2
socket=$3
site=${4:-$srcdir/nginx/caravel-api.inc}
template=${5:-$srcdir/nginx/caravel-local.conf.in}

check_path PREFIX "$prefix"
check_path SOCKET "$socket"
case $port in
''|*[!0-9]*) echo "$0: PORT must be a number: $port" >&2; exit 2 ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
	echo "$0: PORT out of range: $port" >&2
	exit 2
fi
[ -r "$site" ] || { echo "$0: cannot read $site" >&2; exit 1; }
[ -r "$template" ] || { echo "$0: cannot read $template" >&2; exit 1; }

# First file: the server directives, the production socket path replaced.
# Second file: the template, where @SITE@ alone on a line takes a server
# block on 127.0.0.1:PORT around them and @PREFIX@ the prefix (comment
# lines are left as written). Directives with no socket to replace, or a
# listen line of their own, are an error: the result would not be what
# the tests claim.
awk -v prefix="$prefix" -v port="$port" -v socket="$socket" -v sitefile="$site" '
FNR == NR {
	line = $0
	if ($1 == "listen")
		nlisten++
	nsocket += gsub(/unix:\/run\/caravel\/api\.sock/, "unix:" socket, line)
	site = site (line == "" ? "" : "\t\t" line) "\n"
	next
}
$0 == "@SITE@" {
	printf "\tserver {\n\t\tlisten 127.0.0.1:%s;\n", port
	printf "\t\tserver_name localhost;\n\t\tserver_tokens off;\n\n"
	printf "%s\t}\n", site
	nsite++
	next
}
$0 !~ /^[ \t]*#/ {
	gsub(/@PREFIX@/, prefix)
	if ($0 ~ /@[A-Z]+@/) {
		printf "unreplaced placeholder in template: %s\n", $0 > "/dev/stderr"
		bad = 1
	}
}
{ print }
END {
	if (nlisten > 0 || nsocket < 1) {
		printf "%s: a listen line, or no unix:/run/caravel/api.sock\n", sitefile > "/dev/stderr"
		bad = 1
	}
	if (nsite != 1) {
		print "template must hold exactly one @SITE@ line" > "/dev/stderr"
		bad = 1
	}
	exit bad
}' "$site" "$template"
