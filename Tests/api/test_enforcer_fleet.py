"""End to end with the real binaries: a simulated fleet learns, is switched to protect and
enforces; a server killed with SIGKILL in the middle of a report storm loses no acknowledged
report."""
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, Server
from enforcer_helpers import channel, enroll, join_token
from palisade_harness import wait_for


def test_a_simulated_fleet_learns_then_enforces(server, tmp_path):
    token = join_token(server, uses=20)
    fleet = subprocess.Popen(
        [str(BIN / "palisade-enforcer"), "--server", f"127.0.0.1:{server.enforcer_port}", "--token", token["token"],
         "--ca", server.ca, "--simulate", "20", "--duration", "300", "--interval", "0.5",
         "--state-dir", str(tmp_path / "fleet")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with server.admin() as c:
            def learned():
                rules = c.get("/v1/rules", params={"learned": "true"}).json()["items"]
                pairs = {(r["from"], r["to"], tuple(r["ports"])) for r in rules}
                return pairs >= {("nv.frontend.sim", "nv.api.sim", ("tcp/8080",)),
                                 ("nv.api.sim", "nv.db.sim", ("tcp/5432",))}
            wait_for("learned rules", learned)
            topology = c.get("/v1/topology").json()
            edges = {(e["from"], e["to"]) for e in topology["edges"]}
            assert ("sim-3-api", "sim-3-db") in edges and ("sim-2-frontend", "sim-3-api") in edges
            assert len([n for n in topology["nodes"] if n["kind"] == "workload"]) >= 60
            profile = c.get("/v1/groups/nv.db.sim/process-profile").json()["items"]
            assert [p["name"] for p in profile] == ["postgres"] and profile[0]["learned"]

            group = c.get("/v1/groups/nv.db.sim").json()
            assert group["member_count"] == 20
            switched = c.put("/v1/groups/nv.db.sim", json={
                "name": "nv.db.sim", "criteria": group["criteria"], "policy_mode": "protect", "learned": True})
            assert switched.status_code == 200, switched.text

            def all_applied():
                revision = int(server.database.sql("SELECT revision FROM policy_revision")[0][0])
                enforcers = [e for e in c.get("/v1/enforcers", params={"limit": 100}).json()["items"]
                             if e["hostname"].startswith("sim-node-")]
                return len(enforcers) == 20 and all(
                    e["applied_revision"] == revision and e["revision_lag"] == 0 and e["state"] == "connected"
                    for e in enforcers)
            wait_for("every node to apply the new revision", all_applied, timeout=30)

            def blocked():
                events = c.get("/v1/events", params={"kind": "network_violation", "limit": 50}).json()["items"]
                return [e for e in events if e["action"] == "deny" and e["group"] == "nv.db.sim"]
            violations = wait_for("violation events", blocked)
            assert "tcp/22" in violations[0]["summary"]
            process = c.get("/v1/events", params={"kind": "process", "limit": 5}).json()["items"]
            assert process and process[0]["action"] == "deny" and "sh" in process[0]["summary"]
            rules = {r["to"]: r["hits"] for r in c.get("/v1/rules", params={"learned": "true"}).json()["items"]}
            assert rules["nv.db.sim"] > 0
    finally:
        fleet.send_signal(signal.SIGINT)
        out, err = fleet.communicate(timeout=60)
    assert fleet.returncode == 0, err[-2000:]
    assert "20/20 nodes connected" in out, out


def test_sigkill_during_a_report_storm_loses_no_acknowledged_report(tmp_path_factory, tmp_path):
    from conftest import Database
    database = Database()
    data = tmp_path_factory.mktemp("storm")
    server = Server(data, database)
    directories = []
    try:
        token = join_token(server, uses=4)
        for index in range(4):
            directories.append(tmp_path / f"n{index}")
            enroll(server, token["token"], directories[-1], hostname=f"storm-{index}")
        acknowledged, lock, stop = [], threading.Lock(), threading.Event()

        def storm(index):
            sequence = 0
            with channel(server, directories[index], timeout=5) as c:
                while not stop.is_set():
                    reports = [{"kind": "threat", "name": f"storm-{index}-{sequence}-{n}", "severity": "low"}
                               for n in range(20)]
                    try:
                        r = c.post("/v1/enforcer/reports", json={"sequence": sequence, "reports": reports})
                    except Exception:
                        return  # the server is gone; whatever was not acknowledged does not count
                    if r.status_code == 200:
                        with lock:
                            acknowledged.append((index, sequence))
                        sequence += 1

        threads = [threading.Thread(target=storm, args=(index,)) for index in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
        assert len(acknowledged) > 20, "the storm did not get going"

        server = Server(data, database)  # restart on the same database
        rows = server.database.sql(
            "SELECT substring(e.hostname from 7)::int, b.sequence FROM report_batches b "
            "JOIN enforcers e ON e.id = b.enforcer_id")
        stored = {(int(host), int(sequence)) for host, sequence in rows}
        missing = set(acknowledged) - stored
        assert not missing, f"acknowledged but lost: {sorted(missing)[:10]}"
        events = int(server.database.sql("SELECT count(*) FROM events WHERE summary LIKE 'storm-%'")[0][0])
        assert events >= 20 * len(acknowledged)
        with channel(server, directories[0]) as c:  # the channel works after the restart
            assert c.post("/v1/enforcer/reports", json={"sequence": 10**6, "reports": []}).status_code == 200
    finally:
        if server.process.poll() is None:
            server.stop()
        database.drop()
