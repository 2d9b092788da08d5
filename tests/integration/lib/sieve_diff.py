#!/usr/bin/env python3
"""Compares helpdeskd's `rules test --json` with Pigeonhole's `sieve-test` over every (script,
mail) pair: the Sieve actions (keep, fileinto, discard, redirect) and the implicit keep, as
sieve-test prints them under "Performed actions" / "Implicit keep". Used by
test_rules_sieve_test.sh (hand-written scripts) and test_rules_sieve_generated.sh (scripts from
sieve_gen.py). Scripts must be compiled (sievec) first: parallel sieve-test runs would race to
save the binary.

usage: sieve_diff.py HELPDESKD MAILS_FILE [--known FILE] [--skip-mail SUBSTRING]... SCRIPT...
           [-- SIEVE_TEST_OPTION...]
--known FILE: allowed differences, one a line: REGEX <TAB> MAIL_SUBSTRING <TAB> REASON. A
difference is allowed when every rule whose actions differ (a generated script names its rule
K in its folders and addresses: rK, rK-..., rK@) matches REGEX and the mail's path contains
MAIL_SUBSTRING ('*' for every mail), or reads a variable that such a listed rule sets (its
knock-on); when only the implicit keep differs, when some rule of the script matches REGEX. Exit 0 when no difference is left unlisted.
"""
import concurrent.futures, json, os, re, subprocess, sys

ENV_FROM, ENV_TO = "sender@example.org", "support+billing@example.com"


def pigeonhole(script, mail, opts):
    out = subprocess.run(["sieve-test", *opts, "-f", ENV_FROM, "-r", ENV_TO, script, mail],
                         capture_output=True, text=True, errors="replace")
    if "Performed actions:" not in out.stdout:
        return ("error", out.stdout + out.stderr)
    acts, implicit, section = set(), False, None
    for line in out.stdout.splitlines():
        if line.startswith("Performed actions:"): section = "acts"; continue
        if line.startswith("Implicit keep:"): section = "implicit"; continue
        s = line.lstrip()  # folder names may end in spaces
        if not s.startswith("* "): continue
        s = s[2:]
        if section == "implicit":
            implicit = implicit or s.startswith("store message in folder")
        elif s.startswith("store message in folder: "):
            acts.add("store:" + s[len("store message in folder: "):])
        elif s.startswith("redirect message to: "):
            acts.add("redirect:" + s[len("redirect message to: "):].strip("<>"))
        elif s == "discard":
            acts.add("discard")
        else:
            acts.add("other:" + s)
    return (sorted(acts), implicit)


def printed(name):
    """A folder name as sieve-test prints it (Dovecot's str_sanitize with 128): control
    characters as '?', more than 128 bytes cut to 125 at a character boundary plus '...'."""
    name = "".join("?" if ord(c) < 0x20 or ord(c) == 0x7f else c for c in name)
    b = name.encode()
    if len(b) <= 128:
        return name
    return b[:125].decode("utf-8", "ignore") + "..."


def ours(helpdeskd, script, mails):
    out = subprocess.run([helpdeskd, "-c", "/nonexistent.toml", "rules", "test", "--rules", script,
                          "--envelope-from", ENV_FROM, "--envelope-to", ENV_TO, "--json", *mails],
                         capture_output=True, text=True, errors="replace")
    dec = json.JSONDecoder()
    text, pos, results = out.stdout, 0, {}
    while True:
        while pos < len(text) and text[pos].isspace(): pos += 1
        if pos >= len(text): break
        obj, pos = dec.raw_decode(text, pos)
        acts = set()
        for a in obj["actions"]:
            if a["type"] == "keep": acts.add("store:INBOX")
            elif a["type"] == "fileinto": acts.add("store:" + printed(a["argument"]))
            elif a["type"] == "redirect": acts.add("redirect:" + a["argument"])
            else: acts.add(a["type"])
        results[obj["file"]] = (sorted(acts), obj["implicit_keep"])
    return results, out.stderr


def rules_of(script_text, want, got):
    """The rules (lines of a generated script) whose actions differ; all lines if unknown."""
    lines = script_text.splitlines()
    ids = set()
    for a in set(want[0]) ^ set(got[0]):
        m = re.match(r"(?:store|redirect):r(\d+)", a)
        if not m:
            return lines
        ids.add(int(m.group(1)) % 1000)
    if not ids:  # only the implicit keep differs: some keep/discard/stop somewhere
        return lines
    return [l for l in lines if any(re.search(rf'"r{i}[-"@]|"r{i + 1000}[-"@]|"r{i + 2000}[-"@]', l)
                                    for i in ids)]


def sets(rule):
    """The variables a rule sets (lower case: Sieve variable names ignore case)."""
    return {v.lower() for v in re.findall(r'\bset\b(?:\s+:[\w-]+)*\s+"(\w+)"', rule)}


def reads(rule):
    return {v.lower() for v in re.findall(r'\$\{(\w+)\}', rule)}


def explained(rx, rules):
    """True when every rule matches RX, or reads a variable that a rule matching RX sets: a
    listed difference changes what that rule puts in the variable, and so what the rules that
    read it do (a knock-on, not a difference of its own)."""
    listed = [r for r in rules if rx.search(r)]
    tainted = set().union(*(sets(r) for r in listed)) if listed else set()
    return bool(listed) and all(rx.search(r) or reads(r) & tainted for r in rules)


def main():
    args = sys.argv[1:]
    opts = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    helpdeskd, mails_file = args[0], args[1]
    known, skips, scripts, i = [], [], [], 2
    while i < len(args):
        if args[i] == "--known":
            for line in open(args[i + 1], encoding="utf-8"):
                if line.strip() and not line.startswith("#"):
                    rx, mail, reason = line.rstrip("\n").split("\t", 2)
                    known.append((re.compile(rx), mail, reason))
            i += 2
        elif args[i] == "--skip-mail":
            skips.append(args[i + 1]); i += 2
        else:
            scripts.append(args[i]); i += 1
    mails = open(mails_file).read().split("\n")[:-1]
    failures, compared, skipped, allowed = 0, 0, 0, {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for script in scripts:
            text = open(script, encoding="utf-8").read()
            got, err = ours(helpdeskd, script, mails)
            want = dict(zip(mails, pool.map(lambda m: pigeonhole(script, m, opts), mails)))
            for mail in mails:
                w, g, name = want[mail], got.get(mail), os.path.basename(script)
                if w[0] == "error":
                    skipped += 1
                    print(f"skip {name} {mail}: sieve-test failed: {w[1].strip()[:200]}")
                    continue
                if g is None:
                    failures += 1
                    print(f"DIFF {name} {mail}: helpdeskd gave no result ({err.strip()[:200]})")
                    continue
                compared += 1
                if list(g) == list(w):
                    continue
                rules = rules_of(text, w, g)
                # Attributed to rules: each must be listed; only the implicit keep (or an
                # unnamed action) differs: some rule of the script must be.
                attributed = rules != text.splitlines()
                why = next((k for k in known
                            if (k[1] == "*" or k[1] in mail) and
                            (explained(k[0], rules) if attributed
                             else any(k[0].search(r) for r in rules))),
                           None)
                if why:
                    allowed[why[2]] = allowed.get(why[2], 0) + 1
                    continue
                failures += 1
                print(f"DIFF {name} {mail}:\n  sieve-test: {w}\n  helpdeskd:  {g}")
                for r in rules[:4]:
                    print(f"  rule: {r[:300]}")
    for reason, n in sorted(allowed.items()):
        print(f"listed difference ({n} pairs): {reason}")
    print(f"compared {compared} (script, message) pairs over {len(scripts)} scripts; "
          f"{failures} differ; {sum(allowed.values())} listed in the known-differences file; "
          f"{skipped} skipped (sieve-test failed)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
