"""Delivers mail files to a user over LMTP: lmtp_send.py HOST PORT USER FILE..."""
import smtplib
import sys

host, port, user, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
with smtplib.LMTP(host, port) as lmtp:
    for name in files:
        with open(name, "rb") as f:
            data = f.read()
        lmtp.sendmail("sender@example.org", [user], data)
