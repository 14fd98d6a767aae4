#!/usr/bin/env bash
# Install the Debian packages yubin needs to build, run and test.
# Usage: scripts/deps.sh [build|test|fuzz|bench]  (fuzz and bench include build and test)
# Idempotent: only missing packages are installed; apt-get update runs at most once.
set -eu
level=${1:-test}

build_pkgs="build-essential meson ninja-build pkg-config libevent-dev libssl-dev
	libc-ares-dev libsqlite3-dev libcrypt-dev zlib1g-dev openssl libpsl-dev publicsuffix libjansson-dev"
test_pkgs="libcmocka-dev python3 python3-pytest python3-spf python3-authheaders python3-authres python3-yaml man-db groff-base swaks libnet-ssleay-perl libauthen-sasl-perl curl isync fetchmail dnsmasq-base
	cppcheck procps clang-format python3-dkim python3-nacl opendkim opendkim-tools
	miltertest clamav-daemon clamav-milter python3-milter rspamd libxml2-utils python3-prometheus-client pebble chromium"
fuzz_pkgs="clang libclang-rt-14-dev"
bench_pkgs="postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd rspamd"

pkgs=$build_pkgs
case $level in
build) ;;
test) pkgs="$pkgs $test_pkgs" ;;
fuzz) pkgs="$pkgs $test_pkgs $fuzz_pkgs" ;;
bench) pkgs="$pkgs $test_pkgs $bench_pkgs strace sqlite3" ;;
*) echo "usage: $0 [build|test|fuzz|bench]" >&2; exit 64 ;;
esac

# The admin page's browser test (tests/integration/test_admin_web.py) drives Debian's
# chromium with playwright-core from npm (no browser download: it is a library only),
# pinned, in its own directory outside the repo.
PLAYWRIGHT_VERSION=1.65.1
PLAYWRIGHT_DIR=/opt/yubin-playwright
playwright_core() {
	case $level in build) return 0 ;; esac
	local pj=$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json
	if [ -f "$pj" ] && grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$pj"; then
		return 0
	fi
	local sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	if ! command -v npm >/dev/null; then
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
	fi
	echo "deps: installing playwright-core@$PLAYWRIGHT_VERSION into $PLAYWRIGHT_DIR" >&2
	$sudo mkdir -p "$PLAYWRIGHT_DIR"
	$sudo npm install --no-audit --no-fund --prefix "$PLAYWRIGHT_DIR" \
		"playwright-core@$PLAYWRIGHT_VERSION" >&2
}

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	playwright_core
	exit 0
fi

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix must not ask questions nor start a system instance: benchmarks run private ones.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
stamp=/var/lib/apt/periodic/yubin-update-stamp
if [ ! -e "$stamp" ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
	$SUDO apt-get update -q
	$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
# Keep package scripts from starting system daemons (dovecot, postfix) on this machine.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod +x "$policy"
	created_policy=1
fi
$SUDO apt-get install -y -q --no-install-recommends $missing || rc=$?
[ -n "$created_policy" ] && $SUDO rm -f "$policy"
[ -z "${rc:-}" ] && playwright_core
exit ${rc:-0}
