"""Token stores for the built-in spam filter's benchmark (bench/smtp-in --spam on): a trained
data_directory/mail/<account>/spam.db per account, made before `yubin serve` starts, so each
message is classified against a store of realistic size (the lookups are what costs) rather
than skipped for want of training. The schema is migration 1 of src/spam/spam_db.c."""
import os
import random
import sqlite3

SCHEMA = """
CREATE TABLE tokens (token TEXT PRIMARY KEY, nspam INTEGER NOT NULL DEFAULT 0,
  nham INTEGER NOT NULL DEFAULT 0, atime INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX tokens_use ON tokens (nspam + nham, atime);
CREATE TABLE trained (key INTEGER PRIMARY KEY, class INTEGER NOT NULL);
CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 0), nspam INTEGER NOT NULL,
  nham INTEGER NOT NULL, ntokens INTEGER NOT NULL);
PRAGMA user_version = 1;
"""

# the words smtp-source's payload and headers are made of, so lookups hit too
HIT_WORDS = ["la", "from", "to", "date", "message-id", "subject", "h:from", "h:to",
             "h:subject", "h:x-mailer", "h:message-id", "h:date"]


def seed(data_dir, accounts, tokens=50000, trained=500, seed_value=1):
    rng = random.Random(seed_value)
    words = ["w%06d" % i for i in range(tokens - len(HIT_WORDS))] + HIT_WORDS
    rows = [(w, rng.randint(0, trained // 10), rng.randint(0, trained // 10), 1) for w in words]
    for a in accounts:
        d = os.path.join(data_dir, "mail", a)
        path = os.path.join(d, "spam.db")
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        with db:
            db.executemany("INSERT INTO tokens VALUES (?, ?, ?, ?)", rows)
            db.execute("INSERT INTO totals VALUES (0, ?, ?, ?)", (trained, trained, len(rows)))
        db.close()
        st = os.stat(d)
        for f in os.listdir(d):
            if f.startswith("spam.db"):
                os.lchown(os.path.join(d, f), st.st_uid, st.st_gid)
