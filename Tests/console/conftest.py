"""Fixtures for the console's browser tests: a real `palisade serve`, a simulated fleet from the
real `palisade-enforcer --simulate` feeding it, and Debian's headless Chromium driven through
chromedriver (selenium). Every test's browser is checked on the way out: no request left for a
host other than the server, nothing was logged as an error in the browser console. A failing
test leaves a screenshot and the page's HTML in the test output directory."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "harness"))

from palisade_harness import ADMIN_PASSWORD, BIN, ROOT, database, server, wait_for  # noqa: E402,F401
from enforcer_helpers import join_token  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

OUTPUT = Path(os.environ.get("PALISADE_TEST_OUTPUT", ROOT / ".build" / "test-output")) / "console"
CHROMIUM = os.environ.get("PALISADE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PALISADE_CHROMEDRIVER", "/usr/bin/chromedriver")
FLEET_NODES = 4


@pytest.fixture(scope="module")
def fleet(server, tmp_path_factory):
    """FLEET_NODES simulated nodes that have learned their rules; the frontend group is in
    monitor mode, so traffic from outside any group keeps raising violation events."""
    token = join_token(server, uses=FLEET_NODES)
    state = tmp_path_factory.mktemp("fleet")
    process = subprocess.Popen(
        [str(BIN / "palisade-enforcer"), "--server", f"127.0.0.1:{server.enforcer_port}", "--token", token["token"],
         "--ca", server.ca, "--simulate", str(FLEET_NODES), "--duration", "1200", "--interval", "0.5",
         "--state-dir", str(state)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with server.admin() as c:
            wait_for("learned rules", lambda: len(c.get("/v1/rules", params={"learned": "true"}).json()["items"]) >= 2)
            wait_for("topology edges", lambda: c.get("/v1/topology").json()["edges"])
            group = c.get("/v1/groups/nv.frontend.sim").json()
            r = c.put("/v1/groups/nv.frontend.sim", json={**{k: group[k] for k in ("name", "criteria", "learned")},
                                                           "policy_mode": "monitor"})
            assert r.status_code == 200, r.text
            wait_for("violation events",
                     lambda: c.get("/v1/events", params={"kind": "network_violation"}).json()["items"])
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


class Console:
    """One headless Chromium on the console, with what it logged and requested."""

    def __init__(self, server):
        self.server = server
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,800", "--no-first-run", "--disable-extensions",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-default-apps", "--disable-sync", "--metrics-recording-only"):
            options.add_argument(argument)
        # The server's certificate comes from its own CA, which this throwaway profile does not hold.
        options.accept_insecure_certs = True
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        self.console_errors = []
        self.requests = []
        self.documents = []

    def collect_logs(self):
        for entry in self.driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                self.console_errors.append(entry["message"])
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif (message["method"] == "Network.responseReceived" and params.get("type") == "Document"
                  and params["response"]["url"].startswith(self.server.url)):
                self.documents.append(params["response"])

    def foreign_requests(self):
        own = urlsplit(self.server.url).netloc
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own]

    def save_evidence(self, name):
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(OUTPUT / f"{name}.png"))
        (OUTPUT / f"{name}.html").write_text(self.driver.page_source)
        (OUTPUT / f"{name}.log").write_text("\n".join(self.console_errors + self.requests))

    def quit(self):
        self.driver.quit()


@pytest.fixture
def console(server, request):
    browser = Console(server)
    browser.allowed_errors = []
    yield browser
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    try:
        browser.collect_logs()
        if failed:
            browser.save_evidence(request.node.name)
        else:
            unexpected = [e for e in browser.console_errors if not any(a in e for a in browser.allowed_errors)]
            assert not unexpected, f"browser console errors: {unexpected}"
            assert not browser.foreign_requests(), f"requests to other hosts: {browser.foreign_requests()}"
            for document in browser.documents:
                headers = {k.lower(): v for k, v in document["headers"].items()}
                assert "content-security-policy" in headers, f"no CSP on {document['url']}"
    except AssertionError:
        browser.save_evidence(request.node.name)
        raise
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def reader_password(server):
    password = "reader-password-long-enough"
    with server.admin() as c:
        r = c.post("/v1/users", json={"name": "watcher", "role": "reader", "password": password})
        assert r.status_code == 201, r.text
    return password


__all__ = ["ADMIN_PASSWORD", "wait_for"]
