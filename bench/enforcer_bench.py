"""Load client for bench/enforcers.sh (not shipped): enrolls simulated enforcers with their own
keys and CSRs, then either pushes connection reports through the channel (ingest) or holds
thousands of policy streams open and times one policy change reaching them (streams)."""
import argparse
import asyncio
import json
import os
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def enroll(host, port, ca, token, hostname, directory):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    context = ssl.create_default_context(cafile=ca)
    with httpx.Client(base_url=f"https://{host}:{port}", verify=context, timeout=60) as c:
        r = c.post("/v1/enroll", headers={"authorization": f"Bearer {token}"},
                   json={"csr_pem": csr, "hostname": hostname})
        r.raise_for_status()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cert.pem").write_text(r.json()["certificate_pem"])
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory


def mtls_context(ca, directory):
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(str(directory / "cert.pem"), str(directory / "key.pem"))
    return context


def address(n):
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def ingest(args, work):
    """Sends `reports` connection reports with distinct keys (so each becomes one conversation
    row), in batches of `batch`, from `clients` enforcers in parallel; prints seconds."""
    identities = [enroll(args.host, args.port, args.ca, args.token, f"ingest-{args.round}-{i}", work / f"i{i}")
                  for i in range(args.clients)]
    batches = []
    for start in range(0, args.reports, args.batch):
        reports = [{"kind": "connection", "src": address(n), "dst": "bench-db", "port": 5432, "protocol": "tcp",
                    "application": "PostgreSQL", "bytes": 100, "sessions": 1, "action": "allow",
                    "occurred_at": args.time}
                   for n in range(start, min(start + args.batch, args.reports))]
        batches.append(reports)
    bodies = [json.dumps({"sequence": i, "reports": b}).encode() for i, b in enumerate(batches)]
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    failures = []

    def worker(index):
        with httpx.Client(base_url=f"https://{args.host}:{args.port}", timeout=300,
                          verify=mtls_context(args.ca, identities[index])) as c:
            while True:
                with lock:
                    if not queue:
                        return
                    sequence, body = queue.pop(0)
                r = c.post("/v1/enforcer/reports", content=body, headers={"content-type": "application/json"})
                if r.status_code != 200:
                    failures.append(r.text[:200])

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if failures:
        sys.exit(f"ingest failures: {failures[:3]}")
    print(json.dumps({"reports": args.reports, "seconds": elapsed}))


def copy_file(args):
    """The same rows as `ingest` sends, as a COPY text file for psql \\copy into conversations."""
    with open(args.out, "w") as f:
        for n in range(args.reports):
            f.write(f"{address(n)}\tbench-db\t5432\ttcp\tPostgreSQL\t100\t1\tallow\t{args.time}\t{args.time}\n")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def open_stream(host, port, context, results, index, ready):
    reader, writer = await asyncio.open_connection(host, port, ssl=context, limit=1 << 20)
    writer.write(f"GET /v1/enforcer/policy?after=0 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head[:200])
    lines = 0

    async def next_line():
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        data = await reader.readexactly(size + 2)
        return data

    first = await next_line()
    lines += 1
    ready.set_result(None) if not ready.done() else None
    while True:
        data = await next_line()
        message = json.loads(data.split(b"\n")[0])
        if message["type"] in ("ruleset", "current"):
            results[index] = time.monotonic()
            return writer


async def streams(args, work):
    identities = [enroll(args.host, args.port, args.ca, args.token, f"stream-{i}", work / f"s{i}")
                  for i in range(args.identities)]
    contexts = [mtls_context(args.ca, d) for d in identities]
    results = {}
    semaphore = asyncio.Semaphore(200)
    before = rss_kib(args.pid)
    opened = []

    async def one(index):
        async with semaphore:
            ready = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(
                open_stream(args.host, args.port, contexts[index % len(contexts)], results, index, ready))
            await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)
            if task.done() and task.exception():
                raise task.exception()
            opened.append(task)

    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(args.count)))
    open_seconds = time.monotonic() - started
    await asyncio.sleep(3)
    after = rss_kib(args.pid)
    change_at = time.monotonic()
    with httpx.Client(base_url=args.api, verify=ssl.create_default_context(cafile=args.ca), timeout=30,
                      headers={"authorization": f"Bearer {args.admin_token}"}) as c:
        r = c.post("/v1/groups", json={"name": f"bench-change-{int(time.time())}"})
        r.raise_for_status()
    deadline = change_at + 30
    while len(results) < args.count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    delays = sorted(results[i] - change_at for i in results)
    p99 = delays[int(0.99 * args.count) - 1] if len(delays) >= int(0.99 * args.count) else float("inf")
    for task in opened:
        task.cancel()
    print(json.dumps({
        "streams": args.count, "opened_seconds": open_seconds, "reached": len(delays), "p50": statistics.median(delays),
        "p99": p99, "rss_before_kib": before, "rss_after_kib": after,
        "kib_per_stream": (after - before) / args.count}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ingest", "copy-file", "streams"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19500)
    parser.add_argument("--ca")
    parser.add_argument("--token")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--round", default="0")
    parser.add_argument("--time", default=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    parser.add_argument("--out")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--identities", type=int, default=100)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--api")
    parser.add_argument("--admin-token")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="enforcer-bench-"))
    if args.mode == "ingest":
        ingest(args, work)
    elif args.mode == "copy-file":
        copy_file(args)
    else:
        asyncio.run(streams(args, work))


if __name__ == "__main__":
    main()
