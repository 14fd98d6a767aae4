#!/usr/bin/env bash
# `make run`: a demo yubin on loopback, state under ./run/, local domain example.test and
# the account demo@example.test with a generated password (printed below).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/yubin}
run=$PWD/run
conf=$run/yubin.conf
mkdir -p "$run"
if [ ! -f "$conf" ]; then
	cat >"$conf" <<CONF
# yubin demo configuration, written by make run
myhostname = mail.example.test
mydomains = example.test
data_directory = $run/data
smtp_listen = 127.0.0.1:2525
submission_listen = 127.0.0.1:2587
submissions_listen = 127.0.0.1:2465
imap_listen = 127.0.0.1:2143
imaps_listen = 127.0.0.1:2993
pop3_listen = 127.0.0.1:2110
pop3s_listen = 127.0.0.1:2995
# stay the user who ran make run
run_as_user =
CONF
fi
if [ ! -f "$run/demo-password" ]; then
	head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$run/demo-password"
	"$bin" -c "$conf" user add demo@example.test <"$run/demo-password"
fi
cat <<MSG
yubin demo: state in $run, config $conf
  account:    demo@example.test
  password:   $(cat "$run/demo-password")
  SMTP 127.0.0.1:2525   submission 127.0.0.1:2587 (STARTTLS)   submissions 127.0.0.1:2465 (TLS)
  IMAP 127.0.0.1:2143 (STARTTLS)   IMAPS 127.0.0.1:2993   POP3 127.0.0.1:2110   POP3S 127.0.0.1:2995
Stop with Ctrl-C.
MSG
exec "$bin" -c "$conf" serve
