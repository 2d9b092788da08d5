"""make_mails.py DIR N [BODY_BYTES]: writes N distinct customer mails (unique Message-IDs,
senders from a small pool so persons repeat) to DIR/000001.eml ..."""
import os
import sys

out, n = sys.argv[1], int(sys.argv[2])
body_bytes = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
os.makedirs(out, exist_ok=True)
line = "The quick brown fox jumps over the lazy dog, and the printer still does not work.\r\n"
for i in range(1, n + 1):
    body = (line * (body_bytes // len(line) + 1))[:body_bytes]
    mail = (
        f"From: Customer {i % 37} <customer{i % 37}@example.org>\r\n"
        f"To: support@example.com\r\n"
        f"Subject: Problem number {i}\r\n"
        f"Message-ID: <fault-{i}@example.org>\r\n"
        f"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"Mail {i}.\r\n{body}\r\n"
    )
    with open(os.path.join(out, "%06d.eml" % i), "w", newline="") as f:
        f.write(mail)
