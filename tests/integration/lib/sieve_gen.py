#!/usr/bin/env python3
"""Generates Sieve scripts from a grammar of what helpdeskd supports, for the differential test
against Pigeonhole (test_rules_sieve_generated.sh). Stdlib only; the same seed gives the same
scripts. Each script is a list of independent rules whose actions name the rule (fileinto
"rK" or "rK-${1}"), so one sieve-test run checks many tests; control flow (elsif, nested if,
allof/anyof/not, stop, discard, redirect, keep, set) is mixed in.

usage: sieve_gen.py OUTDIR --seed N --count N [--rules N]
"""
import argparse, os, random

HEADERS = ["subject", "from", "to", "cc", "reply-to", "date", "message-id", "received",
           "content-type", "mime-version", "x-mailer", "x-priority", "in-reply-to", "references",
           "return-path", "list-id", "precedence", "auto-submitted", "sender", "delivered-to",
           "x-spam-status", "user-agent", "content-transfer-encoding", "X-Missing"]
# Pigeonhole refuses address tests on headers that do not hold addresses (Return-Path,
# Delivered-To): "specified header ... is not allowed for the address test".
ADDR_HEADERS = ["from", "to", "cc", "reply-to", "sender", "bcc", "resent-from", "resent-to"]
WORDS = ["re", "fwd", "test", "hello", "invoice", "the", "mail", "example", "com", "org", "net",
         "a", "e", "1", "0", "2", "utf-8", "text", "multipart", "@", ".", "-", "<", ">", ":",
         "python", "ruby", "bug", "list", "urgent", "ä", "ö", "é", "€", "日本", "?", " ", "",
         "Subject", "GMail", "gmail.com", "example.com", "localhost", "noreply", "support",
         "billing", "unsubscribe", "charset", "boundary", "plain", "html", "To", "From"]
NUMBERS = ["0", "1", "2", "3", "5", "10", "100", "2000", "abc", "", "007", "-1", "1x"]
RELS = ["gt", "ge", "lt", "le", "eq", "ne"]
SIZES = ["0", "1", "100", "500", "2K", "3k", "10K", "1M", "1G"]
COMPARATORS = [None, None, "i;ascii-casemap", "i;octet"]
PARTS = [None, ":all", ":localpart", ":domain", ":user", ":detail"]
REGEXES = ["^re:", "[0-9]{2,}", "(.*)@(.*)", "^(.*)$", "([a-z]+)\\\\.([a-z]+)", "^$", ".",
           "^[^@]*$", "(a|e)+", "\\\\s+", "x{0,3}y", "[[:alpha:]]+", "^ "]


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def strlist(r, items, maxn=3):
    xs = r.sample(items, r.randint(1, min(maxn, len(items))))
    return q(xs[0]) if len(xs) == 1 and r.random() < 0.6 else "[" + ", ".join(map(q, xs)) + "]"


def glob(r):
    parts = []
    for _ in range(r.randint(1, 4)):
        c = r.random()
        # A key "\*" ("\\*" in Sieve source) is a literal star, "\?" a literal "?" (RFC 5228).
        parts.append("*" if c < 0.35 else "?" if c < 0.5 else r.choice(["\\*", "\\?"])
                     if c < 0.55 else r.choice(WORDS))
    return "".join(parts)


def header_name(r, h):
    """Header names compare without case: "subject", "Subject" or "SUBJECT"."""
    c = r.random()
    return h if c < 0.7 else h.title() if c < 0.85 else h.upper()


class gen:
    def __init__(self, r, body=True):
        self.r = r
        self.body = body
        self.req = set()
        self.vars = []
        self.max_depth = r.choice([3, 3, 4, 6])  # nesting of allof/anyof/not

    def var(self):
        """A reference to a variable set earlier: names compare without case (RFC 5229), and
        an unknown name is the empty string."""
        r = self.r
        if r.random() < 0.08:
            return "${nosuch}"
        name = r.choice(self.vars)
        return "${" + (name.upper() if r.random() < 0.3 else name) + "}"

    def headers(self, names, maxn=3):
        xs = self.r.sample(names, self.r.randint(1, min(maxn, len(names))))
        xs = [header_name(self.r, h) for h in xs]
        if len(xs) == 1 and self.r.random() < 0.6:
            return q(xs[0])
        return "[" + ", ".join(map(q, xs)) + "]"

    def match(self, numeric_ok=True):
        """A comparator and match type with keys: (text, captures)."""
        r = self.r
        kind = r.choices(["is", "contains", "matches", "regex", "value", "count"],
                         [3, 4, 4, 2, 1.5, 1.5])[0]
        out = []
        cmp = r.choice(COMPARATORS)
        if kind in ("value", "count"):
            self.req.add("relational")
            out.append(f':{kind} "{r.choice(RELS)}"')
            if r.random() < 0.7:
                self.req.add("comparator-i;ascii-numeric")
                cmp = "i;ascii-numeric"
            keys = strlist(r, NUMBERS if cmp == "i;ascii-numeric" else NUMBERS + WORDS, 2)
        elif kind == "regex":
            self.req.add("regex")
            out.append(":regex")
            keys = strlist(r, REGEXES, 2)
        elif kind == "is" and r.random() < 0.15:
            # i;ascii-numeric with :is: numbers compare by value ("007" is "7"), and every
            # string not starting with a digit is the same (positive infinity, RFC 4790).
            self.req.add("comparator-i;ascii-numeric")
            cmp = "i;ascii-numeric"
            out.append(":is")
            keys = strlist(r, NUMBERS + WORDS[:12], 2)
        elif kind == "matches":
            out.append(":matches")
            keys = strlist(r, [glob(r) for _ in range(3)], 2)
        else:
            out.append(f":{kind}")
            keys = strlist(r, WORDS, 3)
        if cmp and r.random() < 0.8:
            out.insert(r.randint(0, len(out)), f':comparator "{cmp}"')
        if self.vars and r.random() < 0.15:
            self.req.add("variables")
            keys = q(self.var())
        return " ".join(out), keys, kind in ("matches", "regex")

    def part(self, envelope=False):
        p = self.r.choice(PARTS)
        if p in (":user", ":detail"):
            self.req.add("subaddress")
        return p

    def test(self, depth=0):
        r = self.r
        k = r.choices(["header", "address", "exists", "size", "envelope", "body", "string",
                       "not", "anyof", "allof", "true", "false"],
                      [8, 6, 2, 1.5, 1.5, 2, 1.5, 1.5, 1.5, 1.5, 0.3, 0.3])[0]
        if (depth >= self.max_depth and k in ("not", "anyof", "allof")) or (k == "body" and not self.body):
            k = "header"
        if k in ("true", "false"):
            return k, False
        if k == "not":
            t, _ = self.test(depth + 1)
            return "not " + t, False
        if k in ("anyof", "allof"):
            kids = [self.test(depth + 1)[0] for _ in range(r.randint(1, 3))]
            return f"{k} ({', '.join(kids)})", False
        if k == "exists":
            return "exists " + self.headers(HEADERS), False
        if k == "size":
            return f"size :{r.choice(['over', 'under'])} {r.choice(SIZES)}", False
        m, keys, cap = self.match()
        if k == "header":
            return f"header {m} {self.headers(HEADERS)} {keys}", cap
        if k == "address":
            p = self.part()
            return " ".join(x for x in ["address", p, m, self.headers(ADDR_HEADERS), keys] if x), cap
        if k == "envelope":
            self.req.add("envelope")
            p = self.part()
            return " ".join(x for x in ["envelope", p, m, strlist(r, ["from", "to"], 2), keys] if x), cap
        if k == "body":
            self.req.add("body")
            # Every transform, and :content types that reach every kind of part: attached
            # messages (message/rfc822: their header lines), preamble and epilogue
            # (multipart), HTML, attachments, all parts ("").
            tr = r.choice(["", ":raw", ":text", ':content "text"', ':content "text/plain"',
                           ':content ""', ':content "multipart"', ':content "message/rfc822"',
                           ':content "message"', ':content ["text/html", "application"]',
                           ':content "TEXT/HTML"'])
            # A body test never sets match variables (RFC 5173), so its action must not read
            # ${N}: those would be an earlier rule's, and a difference there would be charged
            # to this rule.
            return " ".join(x for x in ["body", tr, m, keys] if x), False
        self.req.add("variables")
        # The source: a variable, a word, or a list of them (string tests each; :count counts
        # the non-empty ones, RFC 5229 section 5).
        srcs = [self.var() if self.vars and r.random() < 0.6 else r.choice(WORDS)
                for _ in range(r.choices([1, 2, 3], [6, 2, 1])[0])]
        src = q(srcs[0]) if len(srcs) == 1 else "[" + ", ".join(map(q, srcs)) + "]"
        return f"string {m} {src} {keys}", cap

    def action(self, n, cap):
        r = self.r
        c = r.random()
        if cap and c < 0.6:
            self.req.update(["fileinto", "variables"])
            return f'fileinto "r{n}-${{{r.choice(["0", "1", "2", "3", "9"])}}}";'
        if c < 0.7:
            self.req.add("fileinto")
            return f'fileinto "r{n}";'
        if c < 0.78:
            return f'redirect "r{n}@example.net";'
        if c < 0.83:
            return "keep;"
        if c < 0.87:
            return "discard;"
        if c < 0.89:
            return "stop;"
        self.req.update(["variables", "fileinto"])
        name = f"v{n}"
        self.vars.append(name)
        # One modifier of each precedence group (RFC 5229 section 4.1: two of a group is an
        # error in Pigeonhole).
        groups = [[":lower", ":upper"], [":lowerfirst", ":upperfirst"], [":quotewildcard"],
                  [":length"]]
        mods = " ".join(r.choice(g) for g in r.sample(groups, r.randint(0, 2)))
        val = "${1}" if cap else r.choice(WORDS)
        return (f'set {mods} "{name}" {q(val)}; '.replace("  ", " ") +
                f'fileinto "r{n}-${{{name}}}";')

    def rule(self, n):
        r = self.r
        t, cap = self.test()
        s = f"if {t} {{ {self.action(n, cap)} }}"
        if r.random() < 0.2:
            t2, cap2 = self.test()
            s += f" elsif {t2} {{ {self.action(n + 1000, cap2)} }}"
        if r.random() < 0.15:
            s += f' else {{ {self.action(n + 2000, False)} }}'
        for _ in range(r.choices([0, 1, 2], [90, 8, 2])[0]):
            t3, cap3 = self.test()
            s = f"if {t3} {{ {s} }}"
        return s


def script(r, nrules, body=True):
    g = gen(r, body)
    body = [g.rule(n) for n in range(1, nrules + 1)]
    req = "require [" + ", ".join(q(x) for x in sorted(g.req)) + "];\n" if g.req else ""
    return req + "\n".join(body) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--rules", type=int, default=12)
    ap.add_argument("--no-body", action="store_true", help="no body tests (see what else differs)")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    r = random.Random(a.seed)
    for i in range(a.count):
        with open(os.path.join(a.outdir, f"gen-{a.seed}-{i:04d}.sieve"), "w") as f:
            f.write(script(r, a.rules, not a.no_body))
    print(f"{a.count} scripts, seed {a.seed}")


if __name__ == "__main__":
    main()
