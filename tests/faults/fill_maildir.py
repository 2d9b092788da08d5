"""fill_maildir.py MAILDIR N [FIRST] [TAG]: writes N distinct customer mails straight into
MAILDIR/new (the fast way to fill a Dovecot mailbox: ~15,000 mails/s). Mail i comes from its
own customer (customerI@example.org) with Message-ID <TAG-I@example.org>, so "stored exactly
once" is a count of distinct Message-IDs and "acknowledged at most once" a count per recipient.
Numbering starts at FIRST (default 1); TAG defaults to "soak". As root the files are given to
nobody:nogroup, Dovecot's mail user in tests/integration/lib/servers.sh."""
import os
import sys
import time

maildir, n = sys.argv[1], int(sys.argv[2])
first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
tag = sys.argv[4] if len(sys.argv) > 4 else "soak"
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(maildir, sub), exist_ok=True)
as_root = os.getuid() == 0
if as_root:
    import grp
    import pwd
    uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
line = "The printer on the second floor prints only blank pages since this morning.\r\n"
body = line * 25
now, pid = int(time.time()), os.getpid()
for i in range(first, first + n):
    mail = (
        f"From: Customer {i} <customer{i}@example.org>\r\n"
        f"To: support@example.com\r\n"
        f"Subject: Problem number {i}\r\n"
        f"Message-ID: <{tag}-{i}@example.org>\r\n"
        f"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"Mail {i}.\r\n{body}"
    ).encode()
    name = f"{now}.M{i}P{pid}.{tag}"
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(mail)
    if as_root:
        os.chown(tmp, uid, gid)
    os.rename(tmp, os.path.join(maildir, "new", name))
if as_root:
    for d in (maildir, *(os.path.join(maildir, s) for s in ("new", "cur", "tmp"))):
        os.chown(d, uid, gid)
