#!/usr/bin/env bash
# The web app's admin area and files, in headless Chromium (issue 16): an admin reprocesses and
# drops quarantined mail from the quarantine page (an agent does not see it); an agent replies
# with a file uploaded from the browser and forwards the request with the customer's
# attachment, and both reach the SMTP receiver as real MIME attachments.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
command -v chromedriver >/dev/null || fail "chromedriver is missing (scripts/packages.txt: chromium-driver)"

smtp_start "$T/smtp"
port=$(hd_free_port)
{
  config_database
  config_outgoing 'from_name = "Example Support"'
  config_smtp 'timeout_s = 10'
  config_user anna 'name = "Anna Berg"'
  config_user root 'name = "Rita Admin"' 'role = "admin"'
  config_mailbox
  config_table '[http]' "listen = \"127.0.0.1:$port\""
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
printf 'anna-secret-1\n' | h users passwd anna >/dev/null
printf 'root-secret-99\n' | h users passwd root >/dev/null

# Two mails without a sender: quarantined (pipe mode exits 65, the raw mail kept).
for n in 1 2; do
  printf 'To: support@example.com\r\nSubject: lost %s\r\nMessage-ID: <q%s@x>\r\n\r\nno sender\r\n' "$n" "$n" \
    | h ingest --mailbox support 2>/dev/null && fail "a mail without sender was stored"
done
# A customer mail with a PDF (request #1).
cat > "$T/pdf.eml" <<'EOF'
From: Jane Doe <jane@customer.example>
To: support@example.com
Subject: Invoice question
Message-ID: <inv1@customer.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

The invoice is attached.
--b1
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQgaW52b2ljZQ==
--b1--
EOF
h ingest --mailbox support < "$T/pdf.eml"
printf 'line one\nline two\n' > "$T/steps.txt"

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'http.listening' "$T/run.log" && break; sleep 0.02; done
grep -q 'http.listening' "$T/run.log" || { cat "$T/run.log" >&2; fail "the app did not start"; }

PYTHONPATH="$HD_SOURCE_DIR/tests/integration/lib" /usr/bin/python3 - "$port" "$SMTP_DIR" "$T" <<'PY'
import email, email.policy, glob, sys
from browser import Browser, expect
port, smtp_dir, tdir = sys.argv[1:]
base = "http://127.0.0.1:%s" % port

def sent():
    return sorted(glob.glob(smtp_dir + "/*.eml"))

def parsed(path):
    return email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)

admin = Browser(tdir + "/root", base)
anna = Browser(tdir + "/anna", base)
try:
    admin.login("root", "root-secret-99", "Rita Admin")
    anna.login("anna", "anna-secret-1", "Anna Berg")
    expect(anna.count('a[href="#/admin/quarantine"]'), 0, "an agent has no quarantine link")
    anna.go("#/admin/quarantine")
    anna.wait_text("#toast", "admin")  # the API says admins only; nothing is listed
    expect(anna.count(".q-reprocess"), 0, "nothing of the quarantine shown to an agent")

    admin.click('a[href="#/admin/quarantine"]')
    admin.wait(lambda: admin.count(".q-reprocess") == 2, "two quarantined mails listed")
    expect("no sender" in admin.text("main") or "sender" in admin.text("main"), True,
           "the reason is shown")
    # Reprocess the first: still no sender, so it is quarantined again (a new entry).
    admin.click('tr[data-id="1"] .q-reprocess')
    admin.wait_text("#toast", "quarantined again")
    # Drop the second with a note.
    admin.type('tr[data-id="2"] .q-note', "spam test")
    admin.click('tr[data-id="2"] .q-drop')
    admin.wait_text("#toast", "dropped")
    admin.wait(lambda: admin.count('tr[data-id="1"]') == 0 and admin.count('tr[data-id="2"]') == 0,
               "resolved entries leave the list")
    expect(admin.count('tr[data-id="3"]'), 1, "the reprocessed mail is listed again as #3")

    # anna replies with a file chosen in the browser.
    anna.go("#/r/1")
    anna.wait_present("#act-reply")
    anna.wait_text(".attachments", "invoice.pdf")
    anna.click("#act-reply")
    anna.type("#f-text", "The steps are in the file.")
    anna.find("#f-files").send_keys(tdir + "/steps.txt")
    before = len(sent())
    anna.click("#f-send")
    anna.wait(lambda: len(sent()) > before, "the reply at the SMTP receiver")
    m = parsed(sent()[-1])
    files = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in m.iter_attachments()]
    expect(files, [("steps.txt", "text/plain", "line one\nline two\n")], "the uploaded file is attached")
    # The reply can reach the receiver before the page has drawn the request again (which
    # closes the form): wait for that, or the forward form opened now is closed under us.
    anna.wait(lambda: anna.count("#f-send") == 0 and "The steps are in the file." in anna.text("main"),
              "the request drawn again with the reply")
    # Forward to a colleague outside: the customer's PDF goes along (ticked by default).
    anna.click("#act-forward")
    anna.wait_present(".fwd-file")
    expect(anna.driver.execute_script("return document.querySelector('.fwd-file').checked"), True,
           "the request's attachment is ticked")
    anna.type("#f-to", "accounts@partner.example")
    anna.type("#f-text", "Can you check this invoice?")
    before = len(sent())
    anna.click("#f-send")
    anna.wait(lambda: len(sent()) > before, "the forward at the SMTP receiver")
    m = parsed(sent()[-1])
    expect(str(m["To"]).endswith("accounts@partner.example"), True, "forwarded to the partner")
    files = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in m.iter_attachments()]
    expect(files, [("invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")], "the PDF went along")
finally:
    admin.quit()
    anna.quit()
PY
kill -TERM "$pid"
wait "$pid" || true
