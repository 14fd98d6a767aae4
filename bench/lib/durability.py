"""Checks a mail server's durability rule from the outside, with strace: every 250 reply to an
end-of-data must be preceded by an fsync-family call (fsync, fdatasync, syncfs, sync) that
STARTED after the last bytes of that message were read from the client and FINISHED before the
250 was written. Group commit passes (one sync may cover many messages); a server that answers
before its data is synced fails. Also counts the sync calls per message.

Attach with SyncTrace(pids).start() after the server is up (strace -f -p: all threads, and all
children forked later), run the load, .stop(), then analyze(path)."""

import os
import re
import signal
import subprocess
import time

from benchutil import BenchError, process_tree, stop_pid

SYNC_CALLS = ('fsync', 'fdatasync', 'syncfs', 'sync')
TRACED = ('read', 'readv', 'recvfrom', 'recvmsg', 'write', 'writev', 'sendto', 'sendmsg') + \
    SYNC_CALLS + ('sync_file_range', 'msync')

# "PID TS name(args) = RET <DUR>", "PID TS name(args <unfinished ...>",
# "PID TS <... name resumed>args) = RET <DUR>"
LINE_FULL = re.compile(r'^(\d+) +(\d+\.\d+) (\w+)\((.*)\) += (-?\d+|\?)[^<]*(?:<(\d+\.\d+)>)?\s*$')
LINE_UNFIN = re.compile(r'^(\d+) +(\d+\.\d+) (\w+)\((.*) <unfinished \.\.\.>\s*$')
LINE_RESUMED = re.compile(r'^(\d+) +(\d+\.\d+) <\.\.\. (\w+) resumed>(.*)\) += (-?\d+|\?)')
FD_TCP = re.compile(r'^\d+<TCP(?:v6)?:\[([^\]]+)\]>')
FIRST_STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


class SyncTrace:
    """strace -f attached to running server processes, writing a timestamped trace."""

    def __init__(self, root_pids, out_path):
        self.root_pids = list(root_pids)
        self.out_path = out_path
        self.proc = None

    def start(self, settle=1.0):
        cmd = ['strace', '-f', '-qq', '-ttt', '-T', '-yy', '-s', '12', '-o', self.out_path,
               '-e', 'trace=' + ','.join(TRACED)]
        # every live process of the trees (e.g. an smtpd Postfix forked earlier), not just roots
        for p in sorted(process_tree(self.root_pids)):
            cmd += ['-p', str(p)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        time.sleep(settle)   # strace attaches asynchronously
        if self.proc.poll() is not None:
            raise BenchError('strace failed: %s' % self.proc.stderr.read().decode()[-500:])

    def stop(self, timeout=30):
        """SIGINT: strace detaches and the server runs on."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_pid(self.proc.pid, timeout=5)
                self.proc.wait(timeout=5)
        self.proc = None


def _events(path):
    """Yields (tid, name, args, ret, t_entry, t_exit) for each completed call of the trace."""
    pending = {}
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE_FULL.match(line)
            if m and '<unfinished' not in line:
                tid, ts, name, args, ret, dur = m.groups()
                t = float(ts)
                yield tid, name, args, ret, t, t + float(dur or 0)
                continue
            m = LINE_UNFIN.match(line)
            if m:
                tid, ts, name, args = m.groups()
                pending[tid] = (name, args, float(ts))
                continue
            m = LINE_RESUMED.match(line)
            if m:
                tid, ts, name, rest, ret = m.groups()
                name0, args, t0 = pending.pop(tid, (name, '', float(ts)))
                yield tid, name, args + rest, ret, t0, float(ts)


def analyze(path):
    """Returns a dict: replies (end-of-data 250s seen), violations (those with no covering sync),
    syncs (count per call name), sync_files (count per file synced), examples (a few
    violations, as text)."""
    syncs = []                   # (t_entry, t_exit)
    sync_count = {}
    sync_files = {}
    conn = {}                    # tcp key -> {'last_read': t, 'after_354': bool}
    replies = []                 # (key, t_data_end, t_reply)
    for tid, name, args, ret, t0, t1 in _events(path):
        if name in SYNC_CALLS or name in ('sync_file_range', 'msync'):
            sync_count[name] = sync_count.get(name, 0) + 1
            if name in SYNC_CALLS and ret == '0':
                syncs.append((t0, t1))
                fm = re.match(r'^\d+<([^>]*)>', args)
                if fm:
                    sync_files[fm.group(1)] = sync_files.get(fm.group(1), 0) + 1
            continue
        m = FD_TCP.match(args)
        if not m:
            continue
        key = m.group(1)
        st = conn.setdefault(key, {'last_read': None, 'after_354': False})
        if name in ('read', 'readv', 'recvfrom', 'recvmsg'):
            if ret not in ('?',) and int(ret) > 0:
                st['last_read'] = t1
            continue
        s = FIRST_STR.search(args)
        text = s.group(1) if s else ''
        if text.startswith('354'):
            st['after_354'] = True
        elif text.startswith('250') and st['after_354']:
            st['after_354'] = False
            replies.append((key, st['last_read'], t0))
    syncs.sort()
    starts = [s for s, _e in syncs]
    import bisect
    violations = []
    for key, t_data, t_reply in replies:
        ok = False
        if t_data is not None:
            i = bisect.bisect_left(starts, t_data)
            while i < len(syncs) and syncs[i][0] < t_reply:
                if syncs[i][1] <= t_reply:
                    ok = True
                    break
                i += 1
        if not ok:
            violations.append((key, t_data, t_reply))
    examples = ['%s: data end %.6f, 250 at %.6f, no sync started and finished in between'
                % (k, d or 0, r) for k, d, r in violations[:3]]
    return {'replies': len(replies), 'violations': len(violations), 'syncs': sync_count,
            'sync_files': sync_files, 'examples': examples}


def _group_files(counts):
    """Sync counts grouped by kind of file: by base name when it repeats (Maildir 'new',
    'dovecot-uidlist', 'index.db-wal'), else as 'parent/*' (unique queue or message files)."""
    by_base = {}
    for path, n in counts.items():
        by_base.setdefault(os.path.basename(path) or path, []).append((path, n))
    groups = {}
    for base, items in by_base.items():
        if len(items) > 1 or sum(n for _p, n in items) > 1:
            key = base
        else:
            key = os.path.basename(os.path.dirname(items[0][0])) + '/*'
        groups[key] = groups.get(key, 0) + sum(n for _p, n in items)
    return sorted(groups.items(), key=lambda kv: -kv[1])


def summarize(res, messages):
    """One or two lines of text for a report."""
    n_sync = sum(res['syncs'].get(k, 0) for k in SYNC_CALLS)
    top = ', '.join('%s x%d' % kv for kv in _group_files(res['sync_files'])[:4])
    return ('%d end-of-data replies traced, %d without a covering sync (%s); %d sync calls '
            '(%s) = %.2f per message; most synced: %s'
            % (res['replies'], res['violations'], 'OK' if res['violations'] == 0 and
               res['replies'] >= messages else 'FAIL', n_sync,
               ', '.join('%s %d' % kv for kv in sorted(res['syncs'].items())),
               n_sync / max(messages, 1), top or '-'))
