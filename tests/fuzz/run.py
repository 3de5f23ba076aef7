"""Fuzzes every operation of Zhida's OpenAPI document with schemathesis, as four callers:
signed out, a resident, an enterprise agent acting for the enterprise, and a licence reviewer.

It starts its own server (demo data, a fresh SQLite database), logs the callers in through the
API, and runs schemathesis once per caller. A run fails on any 5xx, any body that does not
decode with its declared Content-Encoding (every request accepts gzip and deflate), any
Content-Type the document does not declare, and any body that does not match its documented
schema. Prints `fuzz: N passed, M failed` (one per caller) and exits non-zero on a failure.

Usage: python run.py --bin target/debug/zhida --static dist --report-dir target/fuzz
"""

import argparse
import http.cookiejar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request

CSRF = ("X-Requested-With", "zhida")
SEED = "20261202"
EXAMPLES = "12"
CHECKS = "not_a_server_error,content_type_conformance,response_schema_conformance"
# Operations that end the caller's own session would leave the rest of its run signed out;
# the signed-out caller fuzzes them instead.
ENDS_SESSION = ["--exclude-path-regex", r"^/api/(auth/logout|me/sessions/)"]


def start(binary, static_dir, folder):
    database = "sqlite://" + os.path.join(folder, "fuzz.sqlite")
    process = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--demo", "--database-url", database,
         "--static-dir", static_dir],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "RUST_LOG": "warn"}, cwd=folder,
    )
    url = None
    for line in process.stdout:
        if "running at " in line:
            url = line.split("running at ", 1)[1].strip().rstrip("/")
            break
    if url is None:
        process.kill()
        raise SystemExit("fuzz: the server did not start")
    # Keep reading so that the server never blocks on a full pipe; print what it logs.
    log = open(os.path.join(folder, "server.log"), "w")
    threading.Thread(target=lambda: [log.write(l) or log.flush() for l in process.stdout],
                     daemon=True).start()
    return process, url


class Caller:
    """A browser-like client: keeps cookies, sends the app's CSRF header."""

    def __init__(self, url):
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header(*CSRF)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with self.opener.open(request) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def by_phone(url, phone):
    c = Caller(url)
    sent = c.call("POST", "/api/auth/sms/send", {"phone": phone})
    c.call("POST", "/api/auth/sms/verify", {"phone": phone, "code": sent["demo_code"]})
    return c


def agent(url):
    c = by_phone(url, "13800000004")
    me = c.call("GET", "/api/me")
    enterprise = me["person"]["enterprises"][0]["id"]
    c.call("POST", "/api/me/acting-for", {"enterprise_id": enterprise})
    return c


def reviewer(url):
    c = Caller(url)
    code = c.call("GET", "/api/auth/staff/demo-totp?username=reviewer")
    c.call("POST", "/api/auth/staff/login",
           {"username": "reviewer", "password": "zhida-demo-2026", "totp": code})
    return c


def schemathesis(url, name, cookie, report_dir, extra):
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run",
        url + "/api/openapi.json", "--url", url,
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", EXAMPLES, "--seed", SEED,
        "--workers", "2",
        "--suppress-health-check", "all",
        "--request-timeout", "10",
        "--header", "%s: %s" % CSRF,
        "--header", "Accept-Encoding: gzip, deflate",
        "--report", "junit",
        "--report-junit-path", os.path.join(report_dir, f"{name}.xml"),
        "--output-truncate", "false",
        *extra,
    ]
    if cookie:
        command += ["--header", f"Cookie: {cookie}"]
    print(f"\n==> fuzz as {name}", flush=True)
    hooks = {"SCHEMATHESIS_HOOKS": "hooks", "PYTHONPATH": os.path.dirname(os.path.abspath(__file__))}
    # Run in the report folder: schemathesis keeps its cache of past crashes beside it.
    env = {**os.environ, **hooks, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, env=env, cwd=report_dir).returncode == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--static", required=True)
    parser.add_argument("--report-dir", required=True)
    args = parser.parse_args()
    args.report_dir = os.path.abspath(args.report_dir)
    os.makedirs(args.report_dir, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="zhida-fuzz-")
    process, url = start(os.path.abspath(args.bin), os.path.abspath(args.static), folder)
    results = []
    try:
        callers = [
            ("signed-out", None, []),
            ("resident", by_phone(url, "13800000001").cookie(), ENDS_SESSION),
            ("enterprise-agent", agent(url).cookie(), ENDS_SESSION),
            ("reviewer", reviewer(url).cookie(), ENDS_SESSION),
        ]
        for name, cookie, extra in callers:
            results.append((name, schemathesis(url, name, cookie, args.report_dir, extra)))
    finally:
        process.terminate()
        process.wait(timeout=20)
        log = os.path.join(folder, "server.log")
        if os.path.exists(log):
            shutil.copy(log, os.path.join(args.report_dir, "server.log"))
        shutil.rmtree(folder, ignore_errors=True)
    failed = [n for n, ok in results if not ok]
    print()
    for name, ok in results:
        print(f"  fuzz as {name:<18} {'ok' if ok else 'FAILED'}")
    print(f"fuzz: {len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
