"""Reads what yubin stored, straight from its on-disk format (src/store/README.md):
data_directory/mail/<account>/index.db (SQLite) and the message files under msg/. The only
module of the suite that knows that format: when POP3/IMAP exist, tests may read through them
instead, and when the store's format changes only this file changes."""
import os
import sqlite3


class StorePeek:
    def __init__(self, data_dir):
        self.data_dir = data_dir

    def account_dir(self, account):
        return os.path.join(self.data_dir, "mail", account.lower())

    def _db(self, account):
        path = os.path.join(self.account_dir(account), "index.db")
        if not os.path.exists(path):
            return None
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        return db

    def account_exists(self, account):
        return os.path.exists(os.path.join(self.account_dir(account), "index.db"))

    def mailboxes(self, account):
        db = self._db(account)
        if db is None:
            return []
        try:
            return [r[0] for r in db.execute("SELECT name FROM mailboxes ORDER BY name")]
        finally:
            db.close()

    def _rows(self, account, mailbox):
        """(uid, relative file path, size) of every message in mailbox, by UID."""
        db = self._db(account)
        if db is None:
            return []
        try:
            mb = db.execute("SELECT id FROM mailboxes WHERE name = ?", (mailbox,)).fetchone()
            if mb is None:
                return []
            return db.execute("SELECT uid, file, size FROM messages WHERE mailbox = ? "
                              "ORDER BY uid", (mb[0],)).fetchall()
        finally:
            db.close()

    def message_path(self, account, rel):
        return os.path.join(self.account_dir(account), "msg", rel)

    def messages(self, account, mailbox="INBOX"):
        """Raw bytes of every message in account's mailbox, in UID order. Checks on the way
        that each file is complete (its length is the size the index records)."""
        out = []
        for uid, rel, size in self._rows(account, mailbox):
            with open(self.message_path(account, rel), "rb") as f:
                data = f.read()
            assert size is None or len(data) == size, \
                "%s uid %d: file has %d bytes, index says %d" % (account, uid, len(data), size)
            out.append(data)
        return out

    def count(self, account, mailbox="INBOX"):
        return len(self._rows(account, mailbox))

    def all_messages(self):
        """{account: [raw bytes of every message in every mailbox]}."""
        res = {}
        root = os.path.join(self.data_dir, "mail")
        if not os.path.isdir(root):
            return res
        for account in sorted(os.listdir(root)):
            msgs = []
            for mb in self.mailboxes(account):
                msgs += self.messages(account, mb)
            res[account] = msgs
        return res

    def all_files_bytes(self):
        """Concatenated content of every file under data_directory (message files, tmp
        files, journal, WALs): for checking that something was NOT stored anywhere, not even
        half-written."""
        root = self.data_dir
        chunks = []
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                try:
                    with open(os.path.join(dirpath, name), "rb") as f:
                        chunks.append(f.read())
                except OSError:
                    pass
        return b"".join(chunks)

    # -- SORT/THREAD keys (schema 2: msgdata.sortkeys) ------------------------------------
    def sortkeys_missing(self, account):
        """How many message rows have no sortkeys blob (NULL: not built yet)."""
        db = self._db(account)
        try:
            return db.execute("SELECT count(*) FROM messages m JOIN msgdata d ON d.id = m.data"
                              " WHERE d.sortkeys IS NULL").fetchone()[0]
        finally:
            db.close()

    def make_schema1(self, account):
        """Turns an account's index back into the schema before the sortkeys column
        (user_version 1: before the INTERNALDATE zone, the sortkeys column and the quota totals), as an index.db
        made by an older yubin is. Server stopped."""
        path = os.path.join(self.account_dir(account), "index.db")
        db = sqlite3.connect(path, timeout=10)
        try:
            db.execute("ALTER TABLE msgdata DROP COLUMN sortkeys")
            db.execute("ALTER TABLE msgdata DROP COLUMN header")
            db.execute("ALTER TABLE messages DROP COLUMN internaldate_tz")
            for trigger in ("quota_insert", "quota_delete", "quota_resize"):
                db.execute("DROP TRIGGER IF EXISTS " + trigger)
            db.execute("DELETE FROM meta WHERE key LIKE 'quota_%'")
            db.execute("PRAGMA user_version = 1")
            db.commit()
        finally:
            db.close()
