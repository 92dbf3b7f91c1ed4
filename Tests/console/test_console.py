"""The console in a real browser (Debian's headless Chromium) against a real server fed by a
simulated fleet: sign in and out, the dashboard's charts, the live topology, switching a group
to protect and seeing it on the rules and enforcers pages, live events, what a reader sees,
session expiry, and, on every page, no foreign requests, no console errors and a CSP header."""
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ADMIN_PASSWORD, wait_for

PAGES = ["dashboard", "network", "groups", "rules", "profiles", "events", "enforcers", "settings"]
# Controls that change nothing on the server: all a reader may be shown.
READ_ONLY_BUTTONS = {"Sign out", "Filter", "Apply", "Load older events", "Cancel", "OK", "Change password", ""}


def wait(console, condition, timeout=20):
    return WebDriverWait(console.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def sign_in(console, name="admin", password=ADMIN_PASSWORD):
    console.driver.get(console.server.url + "/")
    wait(console, EC.visibility_of_element_located((By.NAME, "username"))).send_keys(name)
    console.driver.find_element(By.NAME, "password").send_keys(password, Keys.ENTER)
    wait(console, EC.visibility_of_element_located((By.ID, "topbar")))


def go(console, page, ready=None):
    console.driver.execute_script("location.hash = arguments[0]", f"#/{page}")
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), PAGE_TITLES[page]))
    if ready:
        wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, ready)))


PAGE_TITLES = {"dashboard": "Dashboard", "network": "Network activity", "groups": "Groups", "rules": "Rules",
               "profiles": "Process profiles", "events": "Events", "enforcers": "Enforcers", "settings": "Settings"}
READY = {"dashboard": "#risk", "network": "#topology svg", "groups": "table.data", "rules": "#rules table",
         "profiles": "#profile table", "events": "#event-rows tr", "enforcers": "#enforcers table",
         "settings": "#password-title"}


def click(console, selector, timeout=20):
    """Clicks the element once it exists; a list redrawn in between is looked up again."""
    def clicked(driver):
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        if not found:
            return False
        found[0].click()
        return True
    wait(console, clicked, timeout)


def row_with(console, container, text):
    for row in console.driver.find_elements(By.CSS_SELECTOR, f"{container} tbody tr"):
        if text in row.text:
            return row
    return None


def test_sign_in_shows_the_dashboard_and_sign_out_returns_to_sign_in(console, fleet):
    console.allowed_errors = ["/v1/auth/login - Failed to load resource"]
    console.driver.get(console.server.url + "/")
    wait(console, EC.visibility_of_element_located((By.NAME, "username"))).send_keys("admin")
    console.driver.find_element(By.NAME, "password").send_keys("not-the-password", Keys.ENTER)
    error = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, "form.login .error")))
    assert "not right" in error.text
    assert console.driver.execute_script("return sessionStorage.length") == 0

    sign_in(console)
    wait(console, EC.presence_of_element_located((By.ID, "risk")))
    assert "admin (admin)" in console.driver.find_element(By.ID, "who").text
    assert console.driver.execute_script("return document.cookie") == ""
    console.driver.find_element(By.ID, "logout").click()
    wait(console, EC.visibility_of_element_located((By.NAME, "username")))
    assert console.driver.find_element(By.ID, "topbar").get_attribute("hidden") is not None
    assert console.driver.execute_script("return sessionStorage.length") == 0
    assert "signed out" in console.driver.find_element(By.ID, "notice").text


def test_the_dashboard_draws_non_empty_charts(console, fleet):
    sign_in(console)
    go(console, "dashboard", "#risk")
    sums = wait(console, lambda d: d.execute_script("""
        const sum = (id) => {
          const chart = window.Chart && Chart.getChart(document.getElementById(id));
          return chart ? chart.data.datasets.flatMap((s) => s.data).reduce((a, b) => a + b, 0) : 0;
        };
        const s = { severity: sum("severity-chart"), enforcers: sum("enforcer-chart"), modes: sum("mode-chart") };
        return s.severity > 0 && s.enforcers > 0 && s.modes > 0 ? s : null;"""))
    assert sums["enforcers"] == 4, sums
    assert sums["modes"] >= 12, sums  # 4 nodes x 3 workloads, each in a learned service group
    score = int(console.driver.find_element(By.CSS_SELECTOR, "#risk .score").text)
    assert 0 <= score <= 100
    top = console.driver.find_element(By.CSS_SELECTOR, "main").text
    assert "nv.frontend.sim" in top  # the monitored group keeps raising violations


def test_the_topology_graph_draws_the_simulated_workloads_and_edges(console, fleet):
    with console.server.admin() as c:
        topology = c.get("/v1/topology").json()
    sign_in(console)
    go(console, "network", "#topology svg")
    circles = console.driver.find_elements(By.CSS_SELECTOR, "#topology svg circle")
    lines = console.driver.find_elements(By.CSS_SELECTOR, "#topology svg line")
    assert len(circles) >= len(topology["nodes"]) >= 12
    assert len(lines) >= len(topology["edges"]) > 0
    labels = set(console.driver.execute_script(
        "return [...document.querySelectorAll('#topology svg text')].map((t) => t.textContent)"))
    assert {"api-0", "db-0", "frontend-0"} <= labels
    # The layout ran: nodes are spread out, not all at the origin.
    positions = {c.get_attribute("transform") for c in console.driver.find_elements(By.CSS_SELECTOR, "#topology svg g.node")}
    assert len(positions) > 1

    row = wait(console, lambda d: row_with(console, "main", "tcp/5432"))
    row.click()
    panel = wait(console, EC.text_to_be_present_in_element((By.ID, "edge-panel"), "Sessions"))
    assert panel
    text = console.driver.find_element(By.ID, "edge-panel").text
    assert "tcp/5432" in text and "PostgreSQL" in text
    assert console.driver.find_element(By.XPATH, "//aside[@id='edge-panel']//button[text()='Create rule from this']")
    # An edge in the graph itself opens the panel too.
    console.driver.execute_script("""
        const line = document.querySelector('#topology svg line');
        line.dispatchEvent(new MouseEvent('click', { bubbles: true }));""")
    wait(console, EC.text_to_be_present_in_element((By.ID, "edge-panel"), "Last seen"))


def test_switching_a_group_to_protect_shows_on_the_rules_and_enforcers_pages(console, fleet):
    sign_in(console)
    go(console, "groups", "table.data")
    wait(console, lambda d: row_with(console, "main", "nv.db.sim")).click()
    wait(console, EC.text_to_be_present_in_element((By.ID, "group-panel"), "db-0"))
    Select(console.driver.find_element(By.CSS_SELECTOR, "#group-panel select[name=policy_mode]")).select_by_value("protect")
    console.driver.find_element(By.XPATH, "//aside[@id='group-panel']//button[text()='Change mode']").click()
    dialog = wait(console, EC.visibility_of_element_located((By.ID, "dialog")))
    assert "4 workload(s) on 4 host(s)" in dialog.text and "blocked" in dialog.text
    console.driver.find_element(By.ID, "dialog-ok").click()
    wait(console, EC.text_to_be_present_in_element((By.ID, "notice"), "nv.db.sim is now in protect mode"))
    with console.server.admin() as c:
        assert c.get("/v1/groups/nv.db.sim").json()["policy_mode"] == "protect"

    go(console, "rules", "#rules table")
    row = wait(console, lambda d: row_with(console, "#rules", "nv.db.sim"))
    assert "protect" in row.text and "tcp/5432" in row.text

    revision = int(console.server.database.sql("SELECT revision FROM policy_revision")[0][0])

    def every_enforcer_current(driver):
        go(console, "enforcers", "#enforcers table")
        rows = driver.find_elements(By.CSS_SELECTOR, "#enforcers tbody tr")
        texts = [r.text for r in rows]
        ok = len(rows) == 4 and all("current" in t and f" {revision} " in f" {t} " and "connected" in t for t in texts)
        if not ok:
            go(console, "dashboard", "#risk")
        return ok
    wait(console, every_enforcer_current, timeout=40)
    assert "0 behind on policy" in console.driver.find_element(By.CSS_SELECTOR, "#enforcers .summary").text


def test_a_new_violation_appears_on_the_events_page_without_reload(console, fleet):
    sign_in(console)
    go(console, "events", "#event-rows tr")
    Select(console.driver.find_element(By.NAME, "kind")).select_by_value("network_violation")
    console.driver.find_element(By.XPATH, "//form[@aria-label='Event filters']//button[text()='Filter']").click()
    wait(console, lambda d: all("network violation" in r.text for r in d.find_elements(By.CSS_SELECTOR, "#event-rows tr")))
    wait(console, EC.text_to_be_present_in_element((By.ID, "live-state"), "live"))
    console.driver.execute_script("window.__notReloaded = true")
    newest = max(int(r.get_attribute("data-id")) for r in console.driver.find_elements(By.CSS_SELECTOR, "#event-rows tr"))

    def arrived(driver):
        ids = [int(r.get_attribute("data-id")) for r in driver.find_elements(By.CSS_SELECTOR, "#event-rows tr.new")]
        return [i for i in ids if i > newest]
    fresh = wait(console, arrived, timeout=30)
    assert console.driver.execute_script("return window.__notReloaded") is True
    ids = console.driver.execute_script(
        "return [...document.querySelectorAll('#event-rows tr')].map((r) => Number(r.dataset.id))")
    assert ids[0] == max(ids) >= max(fresh)  # newest on top, however many arrived meanwhile
    first = console.driver.find_element(By.CSS_SELECTOR, "#event-rows tr")
    assert "network violation" in first.text
    first.click()
    wait(console, EC.text_to_be_present_in_element((By.ID, "event-panel"), "Detail"))


def test_a_reader_sees_no_edit_controls_and_the_api_refuses_anyway(console, fleet, reader_password):
    console.allowed_errors = ["/v1/groups - Failed to load resource: the server responded with a status of 403"]
    sign_in(console, "watcher", reader_password)
    for page in PAGES:
        go(console, page, READY[page])
        buttons = {b.text.strip() for b in console.driver.find_elements(By.CSS_SELECTOR, "main button, main summary")}
        assert buttons <= READ_ONLY_BUTTONS, (page, buttons - READ_ONLY_BUTTONS)
        assert not console.driver.find_elements(By.CSS_SELECTOR, "details.create, button.danger")
    go(console, "groups", "table.data")
    wait(console, lambda d: row_with(console, "main", "nv.api.sim")).click()
    wait(console, EC.text_to_be_present_in_element((By.ID, "group-panel"), "api-0"))
    assert not console.driver.find_elements(By.CSS_SELECTOR, "#group-panel select, #group-panel button")
    go(console, "network", "#topology svg")
    wait(console, lambda d: row_with(console, "main", "tcp/5432")).click()
    wait(console, EC.text_to_be_present_in_element((By.ID, "edge-panel"), "Sessions"))
    assert not console.driver.find_elements(By.CSS_SELECTOR, "#edge-panel button")
    status = console.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const token = JSON.parse(sessionStorage.getItem("palisade.session")).token;
        fetch("/v1/groups", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "sneaky", criteria: [] }) }).then((r) => done(r.status));""")
    assert status == 403


def test_an_ended_session_returns_to_sign_in_with_a_plain_message(console, fleet):
    console.allowed_errors = ["status of 401"]
    sign_in(console)
    go(console, "rules", "#rules table")
    token = console.driver.execute_script('return JSON.parse(sessionStorage.getItem("palisade.session")).token')
    with console.server.client(token) as c:
        assert c.post("/v1/auth/logout").status_code == 204
    go_anyway = "location.hash = '#/groups'"
    console.driver.execute_script(go_anyway)
    wait(console, EC.visibility_of_element_located((By.NAME, "username")))
    assert "session has ended" in console.driver.find_element(By.ID, "notice").text
    assert console.driver.execute_script("return sessionStorage.length") == 0


def test_every_page_is_clean_and_readable_wide_and_narrow(console, fleet):
    sign_in(console)
    for width in (1280, 600):
        console.driver.set_window_size(width, 800)
        for page in PAGES:
            go(console, page, READY[page])
            time.sleep(0.3)  # let charts and the graph settle before measuring
            overflow = console.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, (page, width, overflow)
            empty_labels = console.driver.execute_script("""
                return [...document.querySelectorAll('main input, main select')]
                  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                  .map((e) => e.name);""")
            assert not empty_labels, (page, empty_labels)
    # Keyboard: the skip link comes first, then the sections.
    console.driver.get(console.server.url + "/#/dashboard")
    console.driver.refresh()  # a new hash alone keeps the document, and its focus
    wait(console, EC.presence_of_element_located((By.ID, "risk")))
    # Keys go to whatever has focus (clicking the body would move the starting point).
    ActionChains(console.driver).send_keys(Keys.TAB).perform()
    assert console.driver.switch_to.active_element.text == "Skip to content"
    ActionChains(console.driver).send_keys(Keys.TAB).perform()
    focused = console.driver.switch_to.active_element
    assert focused.tag_name == "a" and focused.get_attribute("href").endswith("#/dashboard")
    assert focused.get_attribute("aria-current") == "page"
    ActionChains(console.driver).send_keys(Keys.TAB, Keys.ENTER).perform()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Network activity"))
    console.collect_logs()
    assert console.documents, "the page's own response was not seen"


def test_every_html_response_has_the_security_headers(server):
    with server.client() as c:
        page = c.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-cache"
        assets = sorted(set(part.split('"')[0] for part in page.text.split('"/assets/')[1:]))
        assert len(assets) >= 4
        for asset in assets:
            r = c.get("/assets/" + asset)
            assert r.status_code == 200, asset
            assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert r.headers["x-content-type-options"] == "nosniff"
        # No inline script or style in the page itself.
        assert "<script>" not in page.text and "style=" not in page.text and "<style" not in page.text
        assert c.get("/assets/0000000000000000/js/main.js").status_code == 404


def test_an_operator_edits_rules_enforcers_and_keys_through_the_console(console, fleet):
    sign_in(console)
    go(console, "rules", "#rules table")
    with console.server.admin() as c:
        before = c.get("/v1/rules", params={"limit": 500}).json()["items"]
    learned = next(r for r in before if r["learned"])
    # Create a rule with the form; it lands last in evaluation order.
    console.driver.find_element(By.XPATH, "//summary[text()='Create a rule']").click()
    form = console.driver.find_element(By.CSS_SELECTOR, "details.create form")
    Select(form.find_element(By.NAME, "from")).select_by_value("nv.frontend.sim")
    Select(form.find_element(By.NAME, "to")).select_by_value("nv.db.sim")
    ports = form.find_element(By.NAME, "ports")
    ports.clear()
    ports.send_keys("tcp/9000")
    Select(form.find_element(By.NAME, "action")).select_by_value("deny")
    form.find_element(By.XPATH, ".//button[text()='Create rule']").click()
    notice = wait(console, EC.visibility_of_element_located((By.ID, "notice")))
    wait(console, EC.text_to_be_present_in_element((By.ID, "notice"), "created"))
    with console.server.admin() as c:
        rules = c.get("/v1/rules", params={"limit": 500}).json()["items"]
    created = rules[-1]
    assert created["ports"] == ["tcp/9000"] and created["action"] == "deny" and not created["learned"], notice.text
    # Move it up one place, then promote a learned rule, then delete the new one.
    click(console, f"button[aria-label='Move up rule {created['id']}']")
    with console.server.admin() as c:
        wait(console, lambda d: [r["id"] for r in c.get("/v1/rules", params={"limit": 500}).json()["items"]][-2]
             == created["id"])
    click(console, f"button[aria-label='Promote rule {learned['id']}']")
    wait(console, EC.text_to_be_present_in_element((By.ID, "notice"), "is now a user rule"))
    with console.server.admin() as c:
        assert c.get(f"/v1/rules/{learned['id']}").json()["learned"] is False
    click(console, f"button[aria-label='Delete rule {created['id']}']")
    wait(console, EC.visibility_of_element_located((By.ID, "dialog")))
    console.driver.find_element(By.ID, "dialog-ok").click()
    wait(console, EC.text_to_be_present_in_element((By.ID, "notice"), f"Rule {created['id']} deleted"))
    with console.server.admin() as c:
        assert c.get(f"/v1/rules/{created['id']}").status_code == 404

    # A join token is shown once, with the command to run on a node.
    go(console, "enforcers", "#enforcers table")
    wait(console, EC.presence_of_element_located((By.XPATH, "//button[text()='Create join token']"))).click()
    command = wait(console, EC.visibility_of_element_located((By.ID, "enroll-command"))).text
    assert command.startswith("palisade-enforcer enroll --server ") and " --token plj_" in command
    token = command.split(" --token ")[1].split()[0]
    rows = wait(console, lambda d: d.find_elements(By.CSS_SELECTOR, "#join-tokens tbody tr"))
    assert rows and token not in console.driver.find_element(By.ID, "join-tokens").text.replace(command, "")

    # An API key's secret is shown once and works.
    go(console, "settings", "#keys-title")
    console.driver.find_element(By.XPATH, "//summary[text()='Create an API key']").click()
    key_form = console.driver.find_element(By.CSS_SELECTOR, "form[aria-label='Create an API key']")
    key_form.find_element(By.NAME, "name").send_keys("soar")
    key_form.find_element(By.XPATH, ".//button[text()='Create key']").click()
    secret = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, "#key-secret pre"))).text
    with console.server.client(secret) as c:
        me = c.get("/v1/auth/me").json()
        assert me["kind"] == "api_key" and me["role"] == "reader"
    go(console, "dashboard", "#risk")
    go(console, "settings", "#keys-title")
    assert not console.driver.find_elements(By.ID, "key-secret")
    assert secret not in console.driver.page_source
