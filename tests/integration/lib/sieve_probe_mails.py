#!/usr/bin/env python3
"""Writes probe mails for the differential test against Pigeonhole's sieve-test.

Real-world corpora rarely hold the malformed address headers and raw 8-bit subjects where two
Sieve implementations can part ways, so this generates them: one mail per address value (used
as From, To and Cc at once) and one per subject value. Each value is written as bytes, escapes
as in Python's "unicode_escape" (\\xe9 is the raw byte 0xE9).

usage: sieve_probe_mails.py OUTDIR
"""
import os
import sys

ADDRESS_VALUES = r"""
a@b.example
A <a@b.example>
a@b.example, d@e.example
Big Bug bb@bug.example
g: a@b.example, d@e.example;
g: a@b.example
undisclosed-recipients:;
undisclosed-recipients:
g:;, a@b.example
a@b.example, g:;
g: <>, a@b.example;
g: g2: a@b.example;;
g:a@b.example;, h:d@e.example;
"J\xc3\xb6hn Doe" <jd\xc3\xb6e@m\xc3\xa4chine.example>
j\xc3\xb6e@ex\xc3\xa4mple.example
a@ex\xc3\xa4mple.example
a@b.example, j\xc3\xb6e@x.example
J\xc3\xb6hn <a@b.example>
J\xf6hn <j@x.example>
j\xf6@x.example
<a@b.example>
<>
<a@b.example>, <>
<a@b.example
a@
@b.example
a@b
foo
MAILER-DAEMON
foo, a@b.example
a@b.example, foo
Big Bug bb@bug.example, a@b.example
a@b.example, Big Bug bb@bug.example
a@b.example (comment)
a@b.example (c) (d)
"Name" <a@b.example> (c)
=?utf-8?q?Doe=2C_John?= <j@x.example>
=?utf-8?q?a=40b.example?=
=?iso-8859-1?q?J=F6hn?= <a@b.example>
Doe, John <j@x.example>
a@b.example,
,a@b.example
a@b.example,,d@e.example
<a@b.example> , , <d@e.example>
a@b.example d@e.example
a@b.example d@e.example, g@h.example
<a@b.example> <d@e.example>
a@b.example <d@e.example>
<a@b.example>x
<a@b.example>x, d@e.example
A <a@b.example> B
a@b.example; d@e.example
x <a@b.example>; d@e.example
Name <a@b.example>;
a@b.example;
<@route:a@b.example>
<@r1,@r2:a@b.example>
a@b .example
a @ b.example
<a @ b.example>
< a@b.example >
"quoted local"@b.example
"a b"@c.example
"a\\"b"@c.example
""@b.example
a@b.example, ""@b.example
"a"."b"@c.example
"a".b@c.example
a@"b".example
a.@b.example
.a@b.example
a..b@c.example
a.b@c.example
a\\@b@c.example
a(b)@c.example
a@b(c).example
a@[192.0.2.1]
a@[ 192.0.2.1 ]
a@[192.0.2.1
a@-b.example
a@b.example.
a@.b.example
a@b..example
Mary Smith <mary@x.example>, jdoe@example.org, Who? <one@y.example>
"Giant; \\"Big\\" Box" <sysservices@example.net>
Pete(A nice \\) chap) <pete(his account)@silly.example(his host)>
A Group(Some people):Chris Jones <c@(Chris's host.)public.example>, joe@example.org, John <jdoe@one.example> (my dear friend); (the end of the group)
"unterminated <a@b.example>
(unterminated <a@b.example>
a@b.example (unterminated
a@b.example, (unterminated
A.B <a@b.example>
A. B. <a@b.example>
Name<a@b.example>
"Name"<a@b.example>
Name <a@B.EXAMPLE>
user+detail@b.example
user+@b.example
+detail@b.example
user+a+b@b.example
a@b.example\x01
a\x01@b.example
a@b\x7f.example
a@b.example\\
a@b.example "
"""

SUBJECT_VALUES = r"""
Forma\xe7\xe3o
caf\xe9
caf\xe9 x\xe9\xe9y
=?iso-8859-1?q?caf=E9?= \xe9
=?utf-8?q?caf=E9?=
=?utf-8?q?caf=E9=E9?=x
a\xc3
a\xc3\xa9\xff\xfe
\xef\xbf\xbd\xe9
=?unknown?q?x=E9?=
caf\xc3\xa9
\xed\xa0\x80
\xf4\x90\x80\x80
\xc0\xaf
=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=
=?utf-8?q?a?= b =?utf-8?q?c?=
=?utf-8?q?a_b?=
=?iso-8859-1?b?6Q==?=
"""


def values(block):
    return [line.encode("latin-1").decode("unicode_escape").encode("latin-1")
            for line in block.split("\n") if line]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for i, v in enumerate(values(ADDRESS_VALUES)):
        mail = (b"From: " + v + b"\nTo: " + v + b"\nCc: " + v +
                b"\nSubject: address probe %d\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n"
                b"Message-ID: <probe-a%d@helpdeskd.test>\n\nbody\n" % (i, i))
        open(os.path.join(out, "probe-address-%03d.eml" % i), "wb").write(mail)
        n += 1
    for i, v in enumerate(values(SUBJECT_VALUES)):
        mail = (b"From: probe@example.org\nTo: support@example.com\nSubject: " + v +
                b"\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n"
                b"Message-ID: <probe-s%d@helpdeskd.test>\n\nbody\n" % i)
        open(os.path.join(out, "probe-subject-%03d.eml" % i), "wb").write(mail)
        n += 1
    # An empty To: and a To: of white space only.
    for i, v in enumerate([b"", b"   "]):
        mail = (b"From: probe@example.org\nTo:" + v + b"\nCc: a@b.example\nSubject: empty to\n"
                b"Message-ID: <probe-e%d@helpdeskd.test>\n\nbody\n" % i)
        open(os.path.join(out, "probe-empty-%03d.eml" % i), "wb").write(mail)
        n += 1
    print(n)


if __name__ == "__main__":
    main()
