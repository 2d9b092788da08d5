#!/usr/bin/env bash
# Both seed scenarios in the web app, in a real browser (issue 16): headless Chromium through
# chromedriver (Debian packages), two agents in two browser sessions, the real Dovecot (IMAPS,
# LMTP) and SMTP receiver, `helpdeskd run` serving the app and the API on 127.0.0.1.
#
# 1. Mail in -> the request appears live on both dashboards -> anna accepts (ole's open page
#    updates) -> ole's stale action is refused and the page says who changed what -> anna
#    transfers to ole with a note -> ole replies from a template (preview in the customer's
#    language) -> the customer's answer arrives and is marked unread -> ole closes it.
# 2. A phone call: anna registers it for a known customer found by name; ole accepts it and
#    forwards it to the vendor; the vendor's answer threads back live; ole closes it.
# Along the way: the interface in Norwegian for ole (per-agent language), search with a
# highlighted hit, keyboard shortcuts, and screenshots of the main pages (HD_SCREENSHOTS=DIR).
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
command -v chromedriver >/dev/null || fail "chromedriver is missing (scripts/packages.txt: chromium-driver)"

imap_server_start
smtp_start "$T/smtp"
port=$(hd_free_port)
{
  config_database
  config_outgoing 'from_name = "Example Support"' 'message_id_domain = "helpdesk.example.com"'
  config_smtp 'timeout_s = 10'
  config_user anna 'name = "Anna Berg"'
  config_user ole 'name = "Ole Hansen"' 'signature = "Ole Hansen, Example Support"'
  config_category hardware 'assignment = "manual"' 'members = ["anna", "ole"]'
  config_imap_mailbox support 'language = "en"' 'poll_interval_s = 600' 'category = "hardware"'
  config_table '[http]' "listen = \"127.0.0.1:$port\"" 'events_wait_s = 20'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
printf 'anna-secret-1\n' | h users passwd anna >/dev/null
printf 'ole-secret-2\n' | h users passwd ole >/dev/null

# Åsa mailed before: a known person (for scenario 2), closed.
dovecot_lmtp support "$HD_SOURCE_DIR/etc/demo/mail/02-no-skriver.eml"
h run --once 2>> "$T/run.log" || { cat "$T/run.log" >&2; fail "run --once"; }
h requests close 1 --as anna >/dev/null

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'imap.connected' "$T/run.log" && break; sleep 0.02; done
grep -q 'http.listening' "$T/run.log" || { cat "$T/run.log" >&2; fail "the app did not start"; }

PYTHONPATH="$HD_SOURCE_DIR/tests/integration/lib" /usr/bin/python3 - "$port" "$SMTP_DIR" "$T" \
  "$DOVECOT_LMTP_PORT" "${HD_SCREENSHOTS:-}" <<'PY'
import glob, os, subprocess, sys, time
from browser import Browser, expect
port, smtp_dir, tdir, lmtp_port, shots = sys.argv[1:]
base = "http://127.0.0.1:%s" % port
lib = os.path.join(os.environ["HD_SOURCE_DIR"], "tests/integration/lib")

def lmtp(path):
    subprocess.run([sys.executable, lib + "/lmtp_send.py", "127.0.0.1", lmtp_port, "support", path],
                   check=True)

def sent():
    return sorted(glob.glob(smtp_dir + "/*.eml"))

def header_of(path, name):
    for line in open(path, "rb").read().decode("utf-8", "replace").splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""

def shot(b, name):
    if shots:
        os.makedirs(shots, exist_ok=True)
        b.driver.save_screenshot(os.path.join(shots, name + ".png"))

anna = Browser(tdir + "/anna", base)
ole = Browser(tdir + "/ole", base)
try:
    # Log in through the form. A wrong password first: a message, no session.
    anna.open("/")
    anna.type("#login-user", "anna")
    anna.type("#login-password", "wrong")
    anna.click("#login-submit")
    anna.wait_text("[role=alert]", "Wrong login or password")
    shot(anna, "login")
    anna.type("#login-password", "anna-secret-1", clear=True)
    anna.click("#login-submit")
    anna.wait_text("#who", "Anna Berg")
    ole.login("ole", "ole-secret-2", "Ole Hansen")
    # ole works in Norwegian (saved for him, not for anna).
    ole.go("#/settings")
    ole.select("#f-language", "nb")
    ole.click("#f-save")
    ole.wait_text("header", "Logg ut")
    ole.go("#/")
    ole.wait_text("main h1", "Oversikt")
    anna.go("#/")
    anna.wait_text("main h1", "Dashboard")
    expect(anna.driver.execute_script("return document.cookie"), "", "the session cookie is HttpOnly")

    # ---- seed scenario 1 ----------------------------------------------------------------
    lmtp(os.path.join(os.environ["HD_SOURCE_DIR"], "etc/demo/mail/04-en-export.eml"))
    # Live: both dashboards show it without a reload.
    anna.wait_present('a[href="#/r/2"]')
    ole.wait_present('a[href="#/r/2"]')
    expect(anna.count("tr.unread"), 1, "the new request is unread for anna")
    shot(anna, "dashboard")
    anna.click('td.title a[href="#/r/2"]')
    ole.click('td.title a[href="#/r/2"]')
    anna.wait_present("#act-accept")
    ole.wait_present("#act-accept")
    anna.wait_present("iframe.mail, .msg .text")
    # ole opens the transfer editor (his view is now the one he acts on)...
    ole.click("#act-transfer")
    ole.wait_present("#editor-transfer")
    # ... anna accepts meanwhile.
    anna.click("#act-accept")
    anna.wait_text("#req-owner", "anna")
    # ole's stale transfer is refused (412) and his page says who changed what.
    ole.select("#f-to", "ole")
    ole.click("#f-send")
    ole.wait_text("#toast", "anna")
    expect("accepted" in ole.text("#toast"), True, "the refusal names the change (accepted)")
    ole.wait_text("#req-owner", "anna")
    # anna transfers to ole with a note.
    anna.click("#act-transfer")
    anna.select("#f-to", "ole")
    anna.type("#f-text", "Export question: yours")
    anna.click("#f-send")
    anna.wait_text("#req-owner", "ole")
    # ole's page updated live (anna's action), and his dashboard lists it as his.
    ole.wait_text("#req-owner", "ole")
    ole.go("#/")
    ole.wait_present('section:first-child a[href="#/r/2"]')
    ole.click('td.title a[href="#/r/2"]')
    # He answers from the template, previews it in the customer's language, sends it.
    ole.key("r")
    ole.wait_present("#editor-reply")
    ole.select("#f-template", "answer")
    ole.type("#f-text", "Use File > Export, then choose CSV.")
    ole.click("#f-preview")
    ole.wait_text("#preview", "Use File > Export")
    shot(ole, "reply")
    before = len(sent())
    ole.click("#f-send")
    ole.wait(lambda: len(sent()) >= before + 1 and "Export" in open(sent()[-1], "rb").read().decode("utf-8", "replace"),
             "the reply at the SMTP receiver")
    reply = [p for p in sent() if "Use File > Export" in open(p, "rb").read().decode("utf-8", "replace")]
    expect(len(reply), 1, "one reply sent")
    expect("Kind regards,\nOle Hansen" in open(reply[0], "rb").read().decode("utf-8", "replace").replace("\r\n", "\n"), True,
           "the reply is signed by ole")
    # The customer answers: ole's dashboard marks it unread, live.
    ole.go("#/")
    ole.wait_present('a[href="#/r/2"]')
    expect(ole.count("tr.unread"), 0, "read after ole opened it")
    answer = ("From: Emily Carter <emily.carter@example.co.uk>\r\nTo: support@example.com\r\n"
              "Subject: Re: [#2] export\r\nMessage-ID: <web-answer.1@example.co.uk>\r\n"
              "In-Reply-To: %s\r\n\r\nThat worked, thanks!\r\n" % header_of(reply[0], "Message-ID"))
    open(tdir + "/answer.eml", "w").write(answer)
    lmtp(tdir + "/answer.eml")
    ole.wait(lambda: ole.count("tr.unread") == 1, "the customer's answer marked unread on ole's dashboard")
    ole.click('td.title a[href="#/r/2"]')
    ole.wait_text(".thread", "That worked, thanks!")
    ole.key("c")
    ole.wait_text("#req-status", "lukket")
    shot(ole, "request")
    anna.go("#/requests?status=all")
    anna.wait_present('a[href="#/r/2"]')

    # ---- seed scenario 2: a phone call ------------------------------------------------------
    anna.go("#/new")
    anna.type("#f-person", "Åsa")
    # The known person is offered by name (datalist); choosing fills in her address.
    options = anna.driver.execute_script(
        "return [...document.querySelectorAll('#f-persons option')].map(o => o.value)")
    pick = [o for o in options if o.startswith("Åsa")]
    expect(len(pick), 1, "Åsa is found by name")
    anna.type("#f-person", pick[0], clear=True)
    anna.driver.execute_script("document.getElementById('f-person').dispatchEvent(new Event('change'))")
    anna.type("#f-title", "Phone: scanner on 2nd floor jams")
    anna.type("#f-text", "Called 10:15; jams since Monday")
    anna.select("#f-category", "hardware")
    anna.click("#f-send")
    anna.wait_present("#act-accept")
    rid = int(anna.driver.current_url.rsplit("/", 1)[1])
    expect("asa@" in anna.text(".facts"), True, "registered for the known person")
    ole.go("#/")
    ole.wait_present('a[href="#/r/%d"]' % rid)
    ole.click('td.title a[href="#/r/%d"]' % rid)
    ole.key("a")
    ole.wait_text("#req-owner", "ole")
    anna.wait_text("#req-owner", "ole")  # anna's open page follows
    ole.click("#act-forward")
    ole.type("#f-to", "vendor@scanners.example")
    ole.type("#f-text", "Known jam issue?")
    before = len(sent())
    ole.click("#f-send")
    ole.wait(lambda: len(sent()) > before, "the forward at the SMTP receiver")
    fwd = sent()[-1]
    expect("vendor@scanners.example" in header_of(fwd, "To"), True, "forwarded to the vendor")
    vendor = ("From: Scanner Vendor <vendor@scanners.example>\r\nTo: support@example.com\r\n"
              "Subject: Re: Fwd: [#%d] scanner\r\nMessage-ID: <v1@scanners.example>\r\n"
              "In-Reply-To: %s\r\n\r\nYes: firmware 3.1 fixes the jams.\r\n" % (rid, header_of(fwd, "Message-ID")))
    open(tdir + "/vendor.eml", "w").write(vendor)
    lmtp(tdir + "/vendor.eml")
    ole.wait_text(".thread", "firmware 3.1")  # live, on the open page
    ole.click("#act-close")
    ole.wait_text("#req-status", "lukket")

    # Search: the hit is highlighted (a <mark> built by the page, not markup from the server).
    anna.go("#/search?q=firmware")
    anna.wait_text("mark", "firmware")
    shot(anna, "search")
    # 360 px wide: nothing wider than the screen.
    anna.driver.set_window_size(360, 740)
    anna.go("#/r/%d" % rid)
    anna.wait_present("#act-reopen")
    wide = anna.driver.execute_script("return document.documentElement.scrollWidth")
    expect(wide <= 360, True, "the request view fits 360 px (scrollWidth %s)" % wide)
    shot(anna, "request-360")
    # Logging out ends the session: the cookie no longer works.
    anna.click("#logout")
    anna.wait_present("#login-user")
    status = anna.driver.execute_script(
        "return fetch('/api/me', {credentials: 'same-origin'}).then(r => r.status)")
    expect(status, 401, "after logout the session is gone")
    for b in (anna, ole):
        errors = [e for e in b.driver.get_log("browser") if e["level"] == "SEVERE"
                  and "/api/" not in e["message"]]
        expect(errors, [], "no script errors in the console")
finally:
    anna.quit()
    ole.quit()
PY
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "SIGTERM exits 0 with pages waiting on the live feed"
