"""Headless Chromium through chromedriver (Debian's chromium, chromium-driver, python3-selenium)
for the web app's tests. Each Browser is its own chromedriver on 127.0.0.1 with its own
profile folder, so two agents are two sessions with their own cookies.

    from browser import Browser, expect
    b = Browser(tmpdir + "/anna", "http://127.0.0.1:8025")
    b.login("anna", "secret", "Anna Berg")
    b.wait_present('a[href="#/r/1"]')
    b.quit()

Waiting is by polling the page's state (never a fixed sleep); a wait that is never met fails
with what it waited for, the page's text and the browser's console.
"""
import os
import shutil
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

# How long a wait may take before the test fails: generous, for a loaded CI machine. It is a
# guard against a hang, not a performance limit.
WAIT_S = float(os.environ.get("HD_BROWSER_WAIT_S", "60"))


def expect(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))
    print("ok - " + what)


def chromium_binary():
    for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if os.path.exists(p):
            return p
    raise RuntimeError("no Chromium binary (install the Debian package chromium)")


class Browser:
    def __init__(self, profile_dir, base):
        self.base = base
        os.makedirs(profile_dir, exist_ok=True)
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium_binary()
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-default-apps", "--metrics-recording-only",
                  "--disable-features=Translate,OptimizationHints,MediaRouter",
                  "--window-size=1280,900", "--lang=en-GB",
                  "--user-data-dir=" + os.path.join(profile_dir, "profile")):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        log = os.path.join(profile_dir, "chromedriver.log")
        # chromedriver listens on 127.0.0.1 only (its default: local connections).
        self.service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver",
                               service_args=["--log-path=" + log])
        self.driver = webdriver.Chrome(service=self.service, options=opts)
        self.driver.set_page_load_timeout(WAIT_S)

    def quit(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass

    # ---- navigation and input ------------------------------------------------------------
    def open(self, path):
        self.driver.get(self.base + path)

    def go(self, fragment):
        """Moves the app to #/... as a click on a link would (no page load)."""
        self.driver.execute_script("location.hash = arguments[0]", fragment)

    def login(self, user, password, shown_name):
        self.open("/")
        self.type("#login-user", user)
        self.type("#login-password", password)
        self.click("#login-submit")
        self.wait_text("#who", shown_name)

    def find(self, css):
        return self.wait(lambda: self._first(css), "an element " + css)

    def _first(self, css):
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found and found[0].is_displayed() else None

    def click(self, css):
        def go():
            try:
                el = self._first(css)
                if el is None or not el.is_enabled():
                    return False
                el.click()
                return True
            except (StaleElementReferenceException, WebDriverException):
                return False
        self.wait(go, "to click " + css)

    def type(self, css, text, clear=False):
        # As click: the view may be re-rendered under us (a list refreshed after an action),
        # so wait until the element is there and can take keys, and try again if it was
        # replaced meanwhile (a CI run failed on "element not interactable" here).
        def go():
            try:
                el = self._first(css)
                if el is None or not el.is_displayed() or not el.is_enabled():
                    return False
                if clear:
                    el.clear()
                el.send_keys(text)
                return True
            except (StaleElementReferenceException, WebDriverException):
                return False
        self.wait(go, "to type into " + css)

    def select(self, css, value):
        def go():
            try:
                el = self._first(css)
                if el is None:
                    return False
                Select(el).select_by_value(value)
                return True
            except (StaleElementReferenceException, WebDriverException):
                return False
        self.wait(go, "to choose %s in %s" % (value, css))

    def key(self, k):
        """A keyboard shortcut, typed on the page (not in a field)."""
        self.driver.execute_script("document.activeElement && document.activeElement.blur()")
        self.driver.find_element(By.TAG_NAME, "body").send_keys(k)

    # ---- reading and waiting -------------------------------------------------------------
    def text(self, css):
        el = self._first(css)
        return el.text if el is not None else ""

    def count(self, css):
        return len(self.driver.find_elements(By.CSS_SELECTOR, css))

    def wait_present(self, css):
        return self.find(css)

    def wait_text(self, css, text):
        def has():
            try:
                return any(text in e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css))
            except StaleElementReferenceException:
                return False
        return self.wait(has, "%r in %s" % (text, css))

    def wait(self, cond, what):
        end = time.time() + WAIT_S
        while time.time() < end:
            try:
                v = cond()
            except StaleElementReferenceException:
                v = None
            if v:
                return v
            time.sleep(0.05)
        page = ""
        try:
            page = self.driver.find_element(By.TAG_NAME, "body").text[:2000]
            console = self.driver.get_log("browser")
        except WebDriverException:
            console = []
        raise AssertionError("timed out waiting for %s\n--- page ---\n%s\n--- console ---\n%s"
                             % (what, page, "\n".join(str(c) for c in console)))
