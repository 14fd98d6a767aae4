"""Shared helpers for yubin's benchmarks: free ports, bounded waits, process-tree CPU and
memory accounting from /proc, machine busy time, medians and small formatting helpers.
Pure standard library (runs under Debian's /usr/bin/python3)."""

import atexit
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time

CLK_TCK = os.sysconf('SC_CLK_TCK')


class BenchError(Exception):
    """A benchmark step failed (server did not start, load tool failed, timeout)."""


def log(msg):
    """Progress line on stderr (the result table goes to stdout)."""
    import sys
    print('[%s] %s' % (time.strftime('%H:%M:%S'), msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- ports and waits

def free_port(host='127.0.0.1'):
    """A TCP port that is free on host right now (bind to 0, read it back, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def free_ports(n, host='127.0.0.1'):
    """n distinct free ports (all bound at once so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(pred, timeout, what, interval=0.05):
    """Poll pred() until true; BenchError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise BenchError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(host, port, timeout=15, what=None):
    wait_until(lambda: port_open(host, port), timeout, what or '%s:%d to accept' % (host, port))


def wait_smtp_banner(host, port, timeout=15):
    """Wait until host:port answers with an SMTP 220 greeting (a listener alone is not enough:
    Postfix's master accepts before smtpd is ready)."""
    wait_until(lambda: smtp_greets(host, port), timeout, 'SMTP greeting on %s:%d' % (host, port),
               interval=0.1)


def smtp_greets(host, port):
    """True if host:port answers with a 220 greeting now."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.settimeout(5)
            data = s.recv(512)
            s.sendall(b'QUIT\r\n')
            return data.startswith(b'220')
    except OSError:
        return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as gone
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


# ---------------------------------------------------------------- daemons in their own session

# Daemons started in a session of their own (yubin, rspamd: see Yubin.start) get neither the
# terminal's SIGINT nor a signal sent to the benchmark's process group, so a benchmark that
# is interrupted or killed by `timeout` would leave them running: they are stopped at exit.
_own_session = []  # their subprocess.Popen objects


def own_session_started(proc):
    """proc (a Popen started with start_new_session=True) is stopped at the benchmark's exit
    unless own_session_stopped(proc) was called first."""
    _own_session.append(proc)


def own_session_stopped(proc):
    if proc in _own_session:
        _own_session.remove(proc)


def stop_own_session_daemons():
    """Stops every daemon own_session_started() still lists (before a file system they use
    is unmounted, say). Only while its Popen has not reaped it: its PID is still its own."""
    while _own_session:
        proc = _own_session.pop()
        if proc.poll() is None:
            stop_pid(proc.pid, timeout=10)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds the finally blocks, then runs atexit


atexit.register(stop_own_session_daemons)
if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def stop_pid(pid, timeout=10, sig=signal.SIGTERM):
    """Send sig to pid, wait up to timeout s, then SIGKILL. Only ever one PID we started."""
    if pid is None or not pid_alive(pid):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(cmd, timeout=60, input=None, check=True, env=None, daemon_log=None):
    """Run a command with a bounded time; returns CompletedProcess (text). For a command that
    leaves a daemon behind (dovecot, postfix start) pass daemon_log=PATH: output goes to that
    file instead of a pipe the daemon would hold open."""
    if daemon_log:
        with open(daemon_log, 'a') as out:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                               timeout=timeout, env=env)
        if check and r.returncode != 0:
            with open(daemon_log) as f:
                tail = f.read()[-2000:]
            raise BenchError('%s failed (%d): %s' % (' '.join(cmd), r.returncode, tail))
        return r
    r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise BenchError('%s failed (%d): %s%s' % (' '.join(cmd), r.returncode, r.stdout, r.stderr))
    return r


# ---------------------------------------------------------------- /proc accounting

def _read_stat(pid):
    """(ppid, utime+stime, cutime+cstime) in ticks for pid, or None if gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data.rsplit(')', 1)[1].split()
    # fields[0] is state (field 3); utime is field 14 -> index 11
    ppid = int(fields[1])
    own = int(fields[11]) + int(fields[12])
    children = int(fields[13]) + int(fields[14])
    return ppid, own, children


def _all_stats():
    out = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            st = _read_stat(int(name))
            if st:
                out[int(name)] = st
    return out


def process_tree(root_pids):
    """Set of root_pids and all their live descendants."""
    stats = _all_stats()
    kids = {}
    for pid, (ppid, _o, _c) in stats.items():
        kids.setdefault(ppid, []).append(pid)
    seen = set()
    todo = [p for p in root_pids if p in stats]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, []))
    return seen


def tree_cpu_seconds(root_pids):
    """CPU seconds (user+sys) used so far by root_pids and all descendants: live processes' own
    time plus the time of the children they have already reaped (cutime/cstime). Take the
    difference of two readings for one interval; the roots must live through the interval."""
    stats = _all_stats()
    kids = {}
    for pid, (ppid, _o, _c) in stats.items():
        kids.setdefault(ppid, []).append(pid)
    total = 0
    seen = set()
    todo = [p for p in root_pids if p in stats]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        _pp, own, reaped = stats[p]
        total += own + reaped
        todo.extend(kids.get(p, []))
    return total / CLK_TCK


class CpuMeter:
    """CPU of a set of process trees over an interval: start() ... stop() -> seconds.
    A child that exits during the interval moves from 'live' to its parent's cutime, which
    tree_cpu_seconds counts either way (the parent reaps it: Postfix master, Dovecot master)."""

    def __init__(self, root_pids_fn):
        self.root_pids_fn = root_pids_fn
        self.t0 = None

    def start(self):
        self.t0 = tree_cpu_seconds(self.root_pids_fn())

    def stop(self):
        return tree_cpu_seconds(self.root_pids_fn()) - self.t0


def machine_busy_seconds():
    """Total non-idle CPU seconds of the machine (all cores) from /proc/stat; iowait counts as idle."""
    with open('/proc/stat') as f:
        parts = f.readline().split()
    vals = [int(x) for x in parts[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice
    busy = vals[0] + vals[1] + vals[2] + vals[5] + vals[6] + (vals[7] if len(vals) > 7 else 0)
    return busy / CLK_TCK


def vm_hwm_kib(pid):
    """Peak resident set size (VmHWM) of pid in KiB, or None."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pss_kib(pids):
    """Sum of Pss over pids (from /proc/PID/smaps_rollup) in KiB."""
    total = 0
    for pid in pids:
        try:
            with open('/proc/%d/smaps_rollup' % pid) as f:
                for line in f:
                    if line.startswith('Pss:'):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


# ---------------------------------------------------------------- statistics and output

def median(xs):
    return statistics.median(xs) if xs else float('nan')


def fmt_table(rows, header):
    """Left-aligned plain text table."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ['  '.join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append('  '.join('-' * w for w in widths))
    for r in rows:
        lines.append('  '.join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return '\n'.join(lines)


def set_fd_limit(n):
    """Raise RLIMIT_NOFILE (soft, and hard if root) to at least n for this process and children."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= n:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(hard, n)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


# ---------------------------------------------------------------- rounds and timing

class Timer:
    """with Timer() as t: ...  then t.seconds (monotonic clock)."""

    def __enter__(self):
        self.t0 = time.monotonic()
        self.seconds = None
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.t0
        return False


def alternating(rounds, kinds):
    """Yields (round, kind) for `rounds` rounds, the order of kinds reversed every other round
    (A B, B A, A B, ...) so neither system always runs on a warmer or colder machine."""
    for rnd in range(1, rounds + 1):
        order = list(kinds) if rnd % 2 else list(reversed(kinds))
        for k in order:
            yield rnd, k


def ratio(a, b):
    """a / b, nan when b is 0."""
    return a / b if b else float('nan')


def fdatasync_rate(directory, seconds=1.0, block=4096):
    """fdatasyncs per second of 4 KiB appends to a scratch file in directory, one writer, for
    about `seconds`: what the disk under the benchmark allows right now (bench/README.md "Reading it":
    ~3,600/s on an idle machine of this kind). Printed with the results so a slow or busy disk shows."""
    path = os.path.join(directory, '.fdatasync-probe')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        buf = b'x' * block
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds and n < 100000:
            os.write(fd, buf)
            os.fdatasync(fd)
            n += 1
        return n / (time.monotonic() - t0)
    finally:
        os.close(fd)
        os.unlink(path)


# Round state removed only when the whole run is over. The root file system here is ext4
# without a journal, and there ext4's inode allocator skips every inode freed in the last
# dirty_expire_centisecs (+5 s): find_inode_bit() calls recently_deleted() for each free bit,
# a buffer-cache lookup each. Removing one round's 10,000 files just before the next round
# made each file the next system created walk past them all: a third of yubin's CPU went to
# recently_deleted() (perf record -g on the server). Whichever system ran after a removal
# paid for it; deferring the removals makes the rounds independent again.
_deferred_trees = []


def rmtree_later(path):
    """Removes `path` when rmtree_deferred() runs (at the end of the bench)."""
    _deferred_trees.append(path)


def rmtree_deferred():
    while _deferred_trees:
        shutil.rmtree(_deferred_trees.pop(), ignore_errors=True)


# ---------------------------------------------------------------- a file system of its own

class ScratchFs:
    """A journaled ext4 file system in a sparse image file, loop-mounted for one bench run
    (--scratch-fs). This machine's root is ext4 *without* a journal, where the inode
    allocator skips every inode freed in the last ~35 s one by one (recently_deleted(), only
    done when there is no journal): each round's file creations then cost more the more files
    the rounds before removed, and rounds drift by 20-40%. On a journaled ext4, as a real
    server runs, that does not happen. Both systems of a run use the same file system."""

    def __init__(self, size_gib, image_dir='/var/tmp'):
        self.image = os.path.join(image_dir, 'yubin-bench-%d.img' % os.getpid())
        self.mountpoint = self.image[:-4] + '.mnt'
        self.mounted = False
        with open(self.image, 'wb') as f:
            f.truncate(int(size_gib * (1 << 30)))
        try:
            run(['mkfs.ext4', '-q', '-F', self.image], timeout=120)
            os.makedirs(self.mountpoint, exist_ok=True)
            run(['mount', '-o', 'loop', self.image, self.mountpoint], timeout=60)
            self.mounted = True
            os.chmod(self.mountpoint, 0o755)
        except BenchError:
            self.remove()
            raise

    def remove(self):
        """Unmounts (the loop device goes with it) and deletes the image."""
        if self.mounted:
            run(['umount', self.mountpoint], timeout=120, check=False)
            self.mounted = False
        if os.path.isdir(self.mountpoint):
            os.rmdir(self.mountpoint)
        if os.path.exists(self.image):
            os.unlink(self.image)
