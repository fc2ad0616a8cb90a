#!/usr/bin/env python3
"""The attack script (issues 17 and 18): the tenantry binary on PostgreSQL, attacked the way the
security review did — over HTTP as an anonymous client, another tenant's user and a guesser of the
superuser's password, and in SQL as the service role and the product role. Every attack must end
with its expected refusal and nothing changed; the script prints one line per attack and exits 1
when any attack got through.

Usage: python3 .ci/attack.py <path to the tenantry binary>
Needs: DATABASE_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust auth for the
roles tenantry_app and tenantry_product on 127.0.0.1, as on the project's machines) and psql.
Python's standard library only.
"""

import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "a long attack-script password"
SU_EMAIL, SU_PASSWORD = "ops@attack.example.com", "the operator's long password"
SU2_EMAIL = "second@attack.example.com"
BACKUP_KEY = "42" * 32
RESULTS = []


def report(name, ok, seen):
    RESULTS.append((name, ok, seen))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {seen}", flush=True)


# ------------------------------------------------------------------------------------------ SQL

def url_for(role, db):
    parts = urllib.parse.urlsplit(ADMIN_URL)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    user = role or parts.username or "postgres"
    auth = user if role else (parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else user)
    return f"postgres://{auth}@{host}:{port}/{db}"


def psql(url, sql):
    """(ok, output) of one statement list run by psql, stopping at the first error."""
    done = subprocess.run(
        ["psql", url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True, timeout=60)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def admin_sql(db, sql):
    ok, out = psql(url_for(None, db), sql)
    if not ok:
        raise RuntimeError(f"admin SQL failed: {sql}: {out}")
    return out


# ----------------------------------------------------------------------------------------- HTTP

class Client:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, token=None, headers=None, form=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["content-type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["content-type"] = "application/x-www-form-urlencoded"
        if token:
            h["authorization"] = f"Bearer {token}"
        if cookie:
            h["cookie"] = cookie
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return r.status, parsed, r.headers


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------------------------ the setup

def start(binary, db, log):
    port = free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url_for("tenantry_app", db),
        "DATABASE_ADMIN_URL": url_for(None, db),
        "TENANTRY_ADDR": f"127.0.0.1:{port}",
        "TENANTRY_BILLING": "simulator",
        "TENANTRY_BACKUP_KEY": BACKUP_KEY,
        "TENANTRY_JWT_SECRET": "ab" * 32,
        "TENANTRY_SUPERUSER_EMAIL": "",
        "TENANTRY_SUPERUSER_PASSWORD": "",
    })
    server = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    client = Client(port)
    for _ in range(150):
        try:
            if client.request("GET", "/healthz")[0] == 200:
                return server, client
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the service exited with {server.returncode}; see {log.name}")
        time.sleep(0.2)
    raise RuntimeError("the service did not answer /healthz")


def create_superuser(binary, db, email, password):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url_for("tenantry_app", db),
        "DATABASE_ADMIN_URL": url_for(None, db),
        "TENANTRY_SUPERUSER_PASSWORD": password,
    })
    done = subprocess.run([binary, "create-superuser", "--email", email], env=env, capture_output=True, text=True,
                          input=password + "\n", timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"create-superuser: {done.stdout}{done.stderr}")


def signup(c, slug):
    status, body, _ = c.request("POST", "/v1/signup", {
        "company_name": f"{slug} Ltd", "slug": slug, "email": f"owner@{slug}.example.com",
        "password": PASSWORD, "name": "Owner"})
    if status != 201:
        raise RuntimeError(f"signup {slug}: {status} {body}")
    return body["tenant"]["id"], body["access_token"]


def superuser_token(c, email=SU_EMAIL, password=SU_PASSWORD):
    status, body, _ = c.request("POST", "/v1/auth/login", {"email": email, "password": password})
    if status != 200:
        return None, status, body
    if body.get("mfa_required"):
        return None, status, body
    return body["access_token"], status, body


def web_login(c, tenant, email, password):
    """A browser session: its cookie header and its CSRF token (read off its first page), or None."""
    status, _, headers = c.request("POST", "/login", form={"tenant": tenant, "email": email, "password": password})
    cookies = [v.split(";", 1)[0] for k, v in headers.items() if k.lower() == "set-cookie"]
    cookies = [c for c in cookies if c.split("=", 1)[1]]
    if status not in (302, 303) or not cookies:
        return None
    cookie = "; ".join(cookies)
    page = c.request("GET", f"/app/{tenant}", cookie=cookie)[1]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page if isinstance(page, str) else "")
    return cookie, (csrf.group(1) if csrf else "")


# ---------------------------------------------------------------------------------- the attacks

def attack_hosted_billing_pages(c, victim, victim_token, stranger_cookie, owner_cookie):
    status, checkout, _ = c.request("POST", f"/v1/tenants/{victim}/billing/checkout", {}, token=victim_token)
    if status != 200 or not isinstance(checkout, dict) or "url" not in checkout:
        report("a checkout session for the victim", False, f"{status} {checkout}")
        return
    status, portal, _ = c.request("POST", f"/v1/tenants/{victim}/billing/portal", {}, token=victim_token)
    checkout_path = checkout["url"].split("?")[0]
    portal_path = portal["url"].split("?")[0] if isinstance(portal, dict) and "url" in portal else None

    status, _, headers = c.request("GET", checkout["url"])
    report("anonymous GET of another tenant's Checkout page", status != 200,
           f"{status} {headers.get('location', '')}".strip())
    if portal_path:
        status, _, headers = c.request("GET", portal["url"])
        report("anonymous GET of another tenant's Portal page (invoices)", status != 200,
               f"{status} {headers.get('location', '')}".strip())
        before = c.request("GET", f"/v1/tenants/{victim}/subscription", token=victim_token)[1]
        status, _, headers = c.request("POST", portal_path, form={"card": "declines", "return_to": "/"})
        after = c.request("GET", f"/v1/tenants/{victim}/subscription", token=victim_token)[1]
        to_login = status in (302, 303) and headers.get("location", "").startswith("/login")
        report("anonymous POST of a declining card on another tenant's Portal",
               (status >= 400 or to_login) and before == after,
               f"{status} {headers.get('location', '')}, subscription {'unchanged' if before == after else 'CHANGED'}")
    stranger, stranger_csrf = stranger_cookie
    status, _, _ = c.request("GET", checkout["url"], cookie=stranger)
    report("another tenant's signed-in owner opens the victim's Checkout", status == 404, str(status))
    status, _, _ = c.request("POST", checkout_path, form={"card": "succeeds", "return_to": "/", "csrf": stranger_csrf},
                             cookie=stranger)
    report("another tenant's signed-in owner posts the victim's Checkout (with their own CSRF token)",
           status == 404, str(status))

    # Walk the session ids the way an outsider would: sequential numbers around the ones seen.
    hits, tried = 0, 0
    for path in filter(None, [checkout_path, portal_path]):
        m = re.match(r"^(/billing/simulator/\w+/)(\w+?_sim\d+_)(\d+)$", path)
        if not m:
            continue
        for n in range(1, 41):
            tried += 1
            status, _, _ = c.request("GET", f"{m.group(1)}{m.group(2)}{n:06d}")
            hits += status == 200
    report("anonymous walk of sequential simulator session ids", hits == 0,
           f"{hits} of {tried} answered 200" if tried else "ids are not sequential (nothing to walk)")

    # The return address: a tab after the slash makes `/\t/evil.com`, which browsers read as //evil.com.
    if owner_cookie:
        owner, owner_csrf = owner_cookie
        fresh = c.request("POST", f"/v1/tenants/{victim}/billing/checkout", {}, token=victim_token)[1]
        checkout_path = fresh["url"].split("?")[0]
        form = {"card": "succeeds", "return_to": "/\t/evil.example.com", "csrf": owner_csrf}
        status, _, headers = c.request("POST", checkout_path, form=form, cookie=owner)
        location = headers.get("location", "")
        report("a Checkout return address `/<TAB>/evil.example.com`", "evil" not in location,
               f"{status} location={location!r}")


def attack_superuser_lockout(c):
    def wrong(_):
        return c.request("POST", "/v1/auth/login", {"email": SU_EMAIL, "password": "not the password at all"})[0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(wrong, range(20)))
    token, status, body = superuser_token(c)
    report("20 parallel wrong superuser passwords, then the right one", token is None,
           f"wrong: {sorted(set(statuses))}; the right one then answered {status}")


def attack_logout_race(c):
    revived = 0
    rounds = 6
    for _ in range(rounds):
        token, status, body = superuser_token(c, SU2_EMAIL, SU_PASSWORD)
        if token is None:
            report("a logout racing failed superuser logins stays a logout", False, f"login {status} {body}")
            return

        def step(i):
            if i == 0:
                return c.request("POST", "/v1/auth/logout", {}, token=token)[0]
            return c.request("POST", "/v1/auth/login", {"email": SU2_EMAIL, "password": "wrong password here"})[0]
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(step, range(4)))
        revived += c.request("GET", "/v1/admin/stats", token=token)[0] == 200
    report("a logout racing failed superuser logins stays a logout", revived == 0,
           f"the logged-out token worked again in {revived} of {rounds} rounds")


def attack_restore_revives_credentials(c, su):
    tid, owner = signup(c, "restored")
    status, issued, _ = c.request("POST", f"/v1/tenants/{tid}/api-keys", {"name": "ci", "role": "admin"}, token=owner)
    if status != 201:
        report("a key revoked after the backup stays revoked after a restore", False, f"api key {status} {issued}")
        return
    key, kid = issued["secret"], issued["key"]["id"]
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=60)
    conn.request("POST", f"/v1/admin/tenants/{tid}/backups", headers={"authorization": f"Bearer {su}"})
    r = conn.getresponse()
    archive = r.read()
    conn.close()
    if r.status != 200:
        report("a key revoked after the backup stays revoked after a restore", False, f"backup {r.status}")
        return
    c.request("DELETE", f"/v1/tenants/{tid}/api-keys/{kid}", token=owner)
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=60)
    conn.request("POST", f"/v1/admin/tenants/{tid}/restore", body=archive,
                 headers={"authorization": f"Bearer {su}", "content-type": "application/octet-stream"})
    r = conn.getresponse()
    restored = r.read()
    conn.close()
    if r.status not in (200, 201):
        report("a key revoked after the backup stays revoked after a restore", False, f"restore {r.status} {restored}")
        return
    status = c.request("GET", f"/v1/tenants/{tid}/users", token=key)[0]
    report("a key revoked after the backup stays revoked after a restore", status == 401, f"the key answered {status}")
    status = c.request("GET", f"/v1/tenants/{tid}/users", token=owner)[0]
    report("a session from before a restore ends with it", status == 401, f"the owner's token answered {status}")
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=60)
    conn.request("POST", f"/v1/admin/tenants/{tid}/restore?mode=clone&slug=restored-copy", body=archive,
                 headers={"authorization": f"Bearer {su}", "content-type": "application/octet-stream"})
    r = conn.getresponse()
    clone = json.loads(r.read() or b"null")
    conn.close()
    if r.status in (200, 201):
        status, body, _ = c.request("POST", "/v1/auth/login", {
            "tenant": "restored-copy", "email": "owner@restored.example.com", "password": PASSWORD})
        report("a clone receives no credentials (the old password opens nothing)", status != 200, str(status))
    else:
        report("a clone receives no credentials (the old password opens nothing)", False, f"clone {r.status} {clone}")


SERVICE_ATTEMPTS = [
    ("plant a superuser",
     "INSERT INTO tenantry.superusers (id, email, name, password_hash, active, failed_logins, token_version, "
     "created_at) VALUES (gen_random_uuid(), 'evil@attack.example.com', 'Evil', 'x', true, 0, 0, now())"),
    ("unlock the superusers", "UPDATE tenantry.superusers SET failed_logins = 0, locked_until = NULL"),
    ("write the platform settings",
     "INSERT INTO tenantry.platform_settings (id, settings) VALUES (true, '{}') "
     "ON CONFLICT (id) DO UPDATE SET settings = '{}'"),
    ("read every tenant's erasure ledger", "SELECT count(*) FROM tenantry.erasure_ledger"),
    ("forge an erasure ledger row",
     "INSERT INTO tenantry.erasure_ledger VALUES (gen_random_uuid(), gen_random_uuid(), now(), '{}')"),
    ("create an ad campaign", "INSERT INTO tenantry.ad_campaigns VALUES (gen_random_uuid(), now(), '{}')"),
    ("change ad counts", "UPDATE tenantry.ad_counts SET impressions = impressions + 1000"),
    ("forge a daily statistic", "INSERT INTO tenantry.platform_daily_stats VALUES ('2001-01-01', '{}')"),
    ("forge a platform audit event",
     "INSERT INTO tenantry.platform_audit (id, at, actor, action, outcome, details) "
     "VALUES (gen_random_uuid(), now(), '{}', 'forged', 'success', '{}')"),
    ("move tenantry's clock", "UPDATE tenantry.clock SET offset_by = interval '100 years'"),
    ("every tenant's audit events through a NULL tenant",
     "SELECT count(*) FROM tenantry_lookup.audit_events(NULL, false, NULL, 1000, NULL, NULL)"),
    ("housekeeping with its own cut-offs (wipe live links)",
     "SELECT * FROM tenantry_lookup.housekeeping('infinity', 'infinity', 'infinity', ARRAY[''])"),
    ("claim due jobs with a lease until infinity",
     "SELECT * FROM tenantry_lookup.claim_due_jobs('infinity', 2147483647, 1000)"),
    ("due tenants at a time of its choosing", "SELECT count(*) FROM tenantry_lookup.due_tenants('infinity', 1000)"),
]

PRODUCT_ATTEMPTS = SERVICE_ATTEMPTS + [
    ("read tenantry's users in a tenant's scope",
     "SELECT set_config('tenantry.tenant_id', (SELECT '{tenant}'), false); SELECT count(*) FROM tenantry.users"),
    ("append to tenantry's audit log directly",
     "SELECT set_config('tenantry.tenant_id', '{tenant}', false); INSERT INTO tenantry.audit_events "
     "(tenant_id, id, at, actor, action, outcome, details) VALUES ('{tenant}', gen_random_uuid(), now(), '{}', "
     "'forged', 'success', '{}')"),
]

PLATFORM_TABLES = ["superusers", "platform_settings", "erasure_ledger", "ad_campaigns", "ad_counts",
                   "platform_daily_stats", "platform_audit", "jobs", "account_links", "markers", "clock"]


def fingerprint(db):
    found = {}
    for table in PLATFORM_TABLES:
        ok, out = psql(url_for(None, db), f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                                          f"FROM tenantry.{table} t")
        found[table] = out if ok else "absent"
    return found


def attack_sql(db, role, attempts, tenant):
    before = fingerprint(db)
    for name, sql in attempts:
        ok, out = psql(url_for(role, db), sql.replace("{tenant}", tenant))
        # A refusal is the server's: a role that cannot even connect proves nothing.
        refused = not ok and "connection to server" not in out
        errors = [line for line in out.splitlines() if line.startswith("ERROR:")]
        first = errors[0] if errors else (out.splitlines()[-1] if out else "")
        report(f"SQL as {role}: {name}", refused, ("refused: " if refused else "NOT REFUSED: ") + first[:120])
    after = fingerprint(db)
    changed = [t for t in PLATFORM_TABLES if before[t] != after[t]]
    report(f"SQL as {role}: the platform tables and jobs are unchanged", not changed,
           "unchanged" if not changed else f"changed: {', '.join(changed)}")


def attack_verifier(binary, db, tenants):
    a, b = tenants
    admin_sql(db, "CREATE SCHEMA IF NOT EXISTS notes; "
                  "CREATE TABLE notes.items (tenant_id uuid NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE, "
                  "id int NOT NULL, body text NOT NULL, PRIMARY KEY (tenant_id, id)); "
                  "CREATE POLICY open_to_all ON notes.items USING (true) WITH CHECK (true); "
                  "SELECT tenantry.register_product_table('notes.items');"
                  f"INSERT INTO notes.items VALUES ('{a}', 1, 'secret of tenant A')")
    for role in ("tenantry_app", "tenantry_product"):
        ok, out = psql(url_for(role, db), f"BEGIN; SELECT set_config('tenantry.tenant_id', '{b}', true); "
                                          "SELECT count(*) FROM notes.items; COMMIT")
        rows = out.splitlines()[-1] if ok and out else out
        report(f"a planted USING (true) policy: {role} in tenant B reads tenant A's product rows",
               ok and rows.strip() == "0" or not ok and "permission denied" in out,
               f"{'read ' + rows + ' row(s)' if ok else out.splitlines()[-1][:100]}")
    env = dict(os.environ, DATABASE_URL=url_for("tenantry_app", db))
    done = subprocess.run([binary, "check-isolation"], env=env, capture_output=True, text=True, timeout=60)
    named = "notes.items" in done.stdout and "open_to_all" in done.stdout
    report("check-isolation names the planted permissive policy", done.returncode != 0 and named,
           f"exit {done.returncode}, {'names it' if named else 'does not name it'}")
    admin_sql(db, "DROP SCHEMA notes CASCADE; DELETE FROM tenantry.product_tables WHERE table_name = 'notes.items'")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    db = f"tenantry_attack_{os.getpid()}"
    psql(url_for(None, urllib.parse.urlsplit(ADMIN_URL).path.lstrip("/") or "postgres"),
         f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    admin_sql(urllib.parse.urlsplit(ADMIN_URL).path.lstrip("/") or "postgres", f"CREATE DATABASE {db}")
    log = tempfile.NamedTemporaryFile("w+", prefix="tenantry-attack-", suffix=".log", delete=False)
    server = None
    try:
        env = dict(os.environ, DATABASE_ADMIN_URL=url_for(None, db))
        done = subprocess.run([binary, "migrate"], env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"migrate: {done.stdout}{done.stderr}")
        create_superuser(binary, db, SU_EMAIL, SU_PASSWORD)
        create_superuser(binary, db, SU2_EMAIL, SU_PASSWORD)
        server, c = start(binary, db, log)
        victim, victim_token = signup(c, "victim")
        stranger, _ = signup(c, "stranger")
        stranger_cookie = web_login(c, "stranger", "owner@stranger.example.com", PASSWORD)
        owner_cookie = web_login(c, "victim", "owner@victim.example.com", PASSWORD)
        su, status, body = superuser_token(c)
        if su is None:
            raise RuntimeError(f"superuser login: {status} {body}")

        attack_hosted_billing_pages(c, victim, victim_token, stranger_cookie, owner_cookie)
        attack_restore_revives_credentials(c, su)
        attack_logout_race(c)
        attack_superuser_lockout(c)
        attack_sql(db, "tenantry_app", SERVICE_ATTEMPTS, victim)
        attack_sql(db, "tenantry_product", PRODUCT_ATTEMPTS, victim)
        attack_verifier(binary, db, (victim, stranger))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        psql(url_for(None, urllib.parse.urlsplit(ADMIN_URL).path.lstrip("/") or "postgres"),
             f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)} of {len(RESULTS)} attacks refused; service log: {log.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
