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

import base64
import concurrent.futures
import hashlib
import hmac
import struct
import http.client
import json
import multiprocessing
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
DATA_KEY = "5e" * 32
METRICS_TOKEN = "a metrics token the scraper keeps"
# The superusers' TOTP secret (create-superuser --totp-secret-file): the script computes their codes.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The script is the service's trusted proxy: each attack names its own client address.
HOME_ADDRESS = "192.0.2.10"
RESULTS = []


def report(name, ok, seen):
    RESULTS.append((name, ok, seen))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {seen}", flush=True)


# ----------------------------------------------------------------------------------------- TOTP

LAST_STEP = {}


def totp(secret, step):
    """RFC 6238 with the authenticator defaults (HMAC-SHA1, 6 digits, 30 s)."""
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def next_code(email):
    """A code the service has not seen for this account: a step is accepted once, one step early or
    late, so a step after the last one used, waiting for the clock when all three are spent."""
    while True:
        current = int(time.time()) // 30
        step = max(current - 1, LAST_STEP.get(email, -1) + 1)
        if step <= current + 1:
            LAST_STEP[email] = step
            return totp(TOTP_SECRET, step)
        time.sleep(1)


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
    def __init__(self, port, address=HOME_ADDRESS):
        self.port = port
        self.address = address

    def at(self, address):
        """The same service seen from another client address."""
        return Client(self.port, address)

    def request(self, method, path, body=None, token=None, headers=None, form=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        h.setdefault("x-forwarded-for", self.address)
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
        "TENANTRY_MAIL": "console",
        "TENANTRY_BACKUP_KEY": BACKUP_KEY,
        "TENANTRY_JWT_SECRET": "ab" * 32,
        "TENANTRY_DATA_KEY": DATA_KEY,
        "TENANTRY_TRUSTED_PROXIES": "127.0.0.1",
        # Cardless trials, explicitly: the attacks need tenants that act at once (the payment
        # method at signup and its 403 payment_method_required are tested in crates/http).
        "TENANTRY_PAYMENT_METHOD_AT_SIGNUP": "optional",
        "TENANTRY_METRICS_TOKEN": METRICS_TOKEN,
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
        "TENANTRY_DATA_KEY": DATA_KEY,
    })
    env.pop("TENANTRY_SUPERUSER_PASSWORD", None)
    with tempfile.NamedTemporaryFile("w", suffix=".totp") as secret:
        secret.write(TOTP_SECRET + "\n")
        secret.flush()
        done = subprocess.run([binary, "create-superuser", "--email", email, "--totp-secret-file", secret.name],
                              env=env, capture_output=True, text=True, input=password + "\n", timeout=120)
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
    """The superuser's access token through both steps (password, then a TOTP code), or None."""
    status, body, _ = c.request("POST", "/v1/auth/login", {"email": email, "password": password})
    if status != 200:
        return None, status, body
    if body.get("mfa_required"):
        status, body, _ = c.request("POST", "/v1/auth/mfa", {"mfa_token": body["mfa_token"], "code": next_code(email)})
        if status != 200:
            return None, status, body
    return body.get("access_token"), status, body


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


def scrape(c, token=METRICS_TOKEN):
    """(status, the /metrics text's sample lines)."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    status, body, _ = c.request("GET", "/metrics", headers=headers)
    text = body if isinstance(body, str) else ""
    return status, [line for line in text.splitlines() if line and not line.startswith("#")]


def metric_total(c, name):
    return sum(float(line.rsplit(" ", 1)[1]) for line in scrape(c)[1]
               if line.startswith(name + "{") or line.startswith(name + " "))


def attack_login_burst(c, victim, victim_token):
    """100 logins in 10 s from one address at the limits as shipped: at most 10 reach Argon2, the rest
    answer 429, and a signed-in user's reads stay fast meanwhile (p99 of some 500 reads)."""
    burst = c.at("198.51.100.7")
    hashed_before = metric_total(c, "tenantry_password_hashes_total")

    # The signed-in reader runs in a process of its own, so that the burst's client threads (Python's
    # interpreter lock) do not count in its timings; first without a burst, for the baseline.
    def reader(seconds, out):
        ends, samples = time.perf_counter() + seconds, []
        while time.perf_counter() < ends:
            started = time.perf_counter()
            status = c.request("GET", f"/v1/tenants/{victim}/users", token=victim_token)[0]
            samples.append((time.perf_counter() - started, status))
            time.sleep(0.01)
        out.put(samples)

    def read_for(seconds):
        out = multiprocessing.Queue()
        process = multiprocessing.Process(target=reader, args=(seconds, out))
        process.start()
        return process, out
    process, out = read_for(3)
    baseline = out.get()
    process.join()
    process, out = read_for(10.5)
    time.sleep(0.5)

    # 100 logins spread over 9 s (the bucket regains one every 10 s, so at most the first 10 pass).
    def guess(i):
        time.sleep(max(0.0, started + i * 0.09 - time.time()))
        return burst.request("POST", "/v1/auth/login", {
            "tenant": "victim", "email": f"guess{i}@victim.example.com", "password": "a guessed password"})
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(guess, range(100)))
    elapsed = time.time() - started
    timings = out.get()
    process.join()
    hashed = metric_total(c, "tenantry_password_hashes_total") - hashed_before
    statuses = [status for status, _, _ in answers]
    limited = [headers for status, _, headers in answers if status == 429]
    with_retry = sum(1 for headers in limited if headers.get("retry-after", "").isdigit())
    report("100 logins in 10 s from one address: at most 10 reach Argon2, the rest 429 with Retry-After",
           elapsed <= 10 and hashed <= 10 and len(limited) >= 90 and with_retry == len(limited),
           f"{hashed:.0f} hashed; {len(limited)} answered 429 ({with_retry} with Retry-After), "
           f"{statuses.count(401)} 401, in {elapsed:.1f} s")
    def p99(samples):
        durations = sorted(d for d, _ in samples)
        return durations[min(len(durations) - 1, int(len(durations) * 0.99))] if durations else float("inf")
    failed = sum(1 for _, status in timings + baseline if status != 200)
    during, before = p99(timings), p99(baseline)
    report("a signed-in user's GET during the burst: p99 under 50 ms, all answered",
           during < 0.05 and failed == 0 and len(timings) >= 200,
           f"p99 {during * 1000:.1f} ms over {len(timings)} reads during the burst, {before * 1000:.1f} ms over "
           f"{len(baseline)} before (slowest during: "
           f"{', '.join(f'{d * 1000:.0f}' for d in sorted((d for d, _ in timings), reverse=True)[:5])} ms); "
           f"{failed} not 200")


def attack_invented_methods(c):
    status, _ = scrape(c, token=None)
    report("/metrics without the metrics token", status in (401, 403, 404), str(status))
    for method in ("INVENTED", "INVENTED"):
        c.request(method, "/v1/tenants")
    scrape(c)
    before = len(scrape(c)[1])
    for i in range(1000):
        c.request(f"X{i:04d}", "/v1/tenants")
    after = len(scrape(c)[1])
    report("1,000 requests with invented methods leave the /metrics series unchanged", after == before,
           f"{before} series before, {after} after")


def attack_refresh_replay(c, victim_slug, tid):
    status, first, _ = c.request("POST", "/v1/auth/login", {
        "tenant": victim_slug, "email": f"owner@{victim_slug}.example.com", "password": PASSWORD})
    if status != 200 or "refresh_token" not in (first or {}):
        report("a rotated refresh token replayed", False, f"login {status} {first}")
        return
    status, rotated, _ = c.request("POST", "/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    if status != 200:
        report("a rotated refresh token replayed", False, f"the first refresh {status} {rotated}")
        return
    replay, body, _ = c.request("POST", "/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    report("a rotated refresh token replayed", replay == 401, f"{replay} {(body or {}).get('code', '')}".strip())
    after = c.request("POST", "/v1/auth/refresh", {"refresh_token": rotated["refresh_token"]})[0]
    report("after the replay the rotated refresh token is dead too", after == 401, str(after))
    reads = c.request("GET", f"/v1/tenants/{tid}/users", token=rotated["access_token"])[0]
    report("after the replay the session's access token is dead too", reads == 401, str(reads))


def raise_limits(c, su):
    most = {"burst": 1_000_000, "per_minute": 1_000_000}
    status, body, _ = c.request("PATCH", "/v1/admin/settings", {
        "anonymous_limits": {"per_address": most, "per_account": most, "cross_tenant": most}}, token=su)
    if status != 200:
        raise RuntimeError(f"raising the limits for the remaining attacks: {status} {body}")


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
    ("set a superuser's password (only the operator may)", "UPDATE tenantry.superusers SET password_hash = 'x'"),
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
    ("give a promotion code its redemptions back", "UPDATE tenantry.promotion_codes SET times_redeemed = 0"),
    ("plant a coupon", "INSERT INTO tenantry.coupons (id, created_at, data) VALUES (gen_random_uuid(), now(), '{}')"),
]

PRODUCT_ATTEMPTS = SERVICE_ATTEMPTS + [
    ("read tenantry's users in a tenant's scope",
     "SELECT set_config('tenantry.tenant_id', (SELECT '{tenant}'), false); SELECT count(*) FROM tenantry.users"),
    ("append one of tenantry's own actions to the audit log (the product may append only its own)",
     "SELECT set_config('tenantry.tenant_id', '{tenant}', false); INSERT INTO tenantry.audit_events "
     "(tenant_id, id, at, actor, action, outcome, details) VALUES ('{tenant}', gen_random_uuid(), now(), '{}', "
     "'auth.login_succeeded', 'success', '{}')"),
    ("count a promotion code's redemption back", "SELECT tenantry_lookup.count_redemption(gen_random_uuid(), -1)"),
    ("make a coupon through tenantry's function", "SELECT tenantry_lookup.insert_coupon(gen_random_uuid(), '{}')"),
]

PLATFORM_TABLES = ["superusers", "platform_settings", "erasure_ledger", "ad_campaigns", "ad_counts",
                   "platform_daily_stats", "platform_audit", "jobs", "account_links", "markers", "clock",
                   "coupons", "promotion_codes"]


def attack_promotion_codes(c, su, victim, victim_token, stranger_token):
    """A tenant's owner makes no coupon; another tenant's owner applies no code to the victim; a new
    tenant still waiting for its payment method redeems nothing; the code's count stays 0."""
    status, coupon, _ = c.request("POST", "/v1/admin/coupons", {
        "name": "Attack", "percent_off_basis_points": 10000, "duration": "forever"}, token=victim_token)
    report("promotion codes: a tenant's owner makes a 100 % coupon", status == 404, f"{status}")
    status, coupon, _ = c.request("POST", "/v1/admin/coupons", {
        "name": "Spring", "percent_off_basis_points": 2000, "duration": "repeating", "duration_in_months": 3},
        token=su)
    if status != 201:
        raise RuntimeError(f"the superuser's coupon: {status} {coupon}")
    status, code, _ = c.request("POST", f"/v1/admin/coupons/{coupon['id']}/promotion-codes",
                                {"code": "ATTACK20", "max_redemptions": 1}, token=su)
    if status != 201:
        raise RuntimeError(f"the superuser's code: {status} {code}")
    status, _, _ = c.request("POST", f"/v1/tenants/{victim}/subscription/promotion-code", {"code": "ATTACK20"},
                             token=stranger_token)
    report("promotion codes: another tenant's owner applies the last redemption to the victim", status == 404,
           f"{status}")
    # A tenant that just signed up has no payment method: waiting for it (403 payment_method_required)
    # or, under cardless trials, nothing to discount yet (409 nothing_to_discount).
    waiting_tid, waiting_token = signup(c, "waiting")
    status, body, _ = c.request("POST", f"/v1/tenants/{waiting_tid}/subscription/promotion-code",
                                {"code": "ATTACK20"}, token=waiting_token)
    refusal = body.get("code") if isinstance(body, dict) else None
    waiting = (status, refusal) in ((403, "payment_method_required"), (409, "nothing_to_discount"))
    report("promotion codes: a tenant without its payment method redeems a code", waiting, f"{status} {body}")
    status, listed, _ = c.request("GET", "/v1/admin/coupons", token=su)
    counts = [p.get("times_redeemed") for p in listed.get("promotion_codes", [])] if status == 200 else None
    report("promotion codes: no redemption was counted", counts == [0], f"{status} {counts}")


def attack_account_flows(c, victim, victim_token, stranger_token):
    """A stolen access token cannot move the account to the thief's address without the password;
    a forged address-change code naming the victim's tenant moves nothing; /find-workspace answers a
    known and an unknown address alike; a tenant's owner has no platform profile."""
    status, body, _ = c.request("POST", "/v1/me/email", {"email": "thief@attack.example.com",
                                                          "password": "a guess at the password"}, token=victim_token)
    refusal = body.get("code") if isinstance(body, dict) else None
    report("account: a stolen token moves the address without the password", (status, refusal) == (
        422, "wrong_password"), f"{status} {refusal}")
    forged = f"tchg_{victim.replace('-', '')}_{'0' * 32}_{'ab' * 32}"
    status, body, _ = c.request("POST", "/v1/auth/email-change", {"token": forged})
    refusal = body.get("code") if isinstance(body, dict) else None
    report("account: a forged address-change code for the victim's tenant", status == 422 and refusal ==
           "invalid_token", f"{status} {refusal}")
    known = c.request("POST", "/v1/auth/find-workspace", {"email": "owner@victim.example.com"})
    unknown = c.request("POST", "/v1/auth/find-workspace", {"email": "nobody@attack.example.com"})
    report("account: /find-workspace tells a known address from an unknown one",
           known[0] == unknown[0] == 204 and known[1] == unknown[1], f"{known[0]} vs {unknown[0]}")
    for who, token in (("anonymous", None), ("a tenant's owner", stranger_token)):
        status, _, headers = c.request("POST", "/admin/profile/name", form={"name": "Mallory", "csrf": "x"},
                                       token=token)
        saved = "saved" in (headers.get("location") or "")
        report(f"account: {who} renames a superuser", status != 200 and not saved,
               f"{status} {headers.get('location')}")


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


def attack_notes(db, victim):
    """The platform's notes (decision 0029): the six named functions the store calls after its writes.
    Without the unit of work's tenant each refuses; with another tenant set they cannot take the
    victim's slug or billing customer; and a note can never lower a user's highest token version."""
    victim_user = admin_sql(db, f"SELECT id FROM tenantry.users WHERE tenant_id = '{victim}' LIMIT 1")
    no_tenant = [
        ("claim a slug", "SELECT tenantry_lookup.claim_slug('taken-by-attack')"),
        ("free a tenant's slug and customer", "SELECT tenantry_lookup.release_tenant()"),
        ("set a billing customer", "SELECT tenantry_lookup.set_billing_customer('cus_attack')"),
        ("note credentials", f"SELECT tenantry_lookup.note_credentials(ARRAY['{victim_user}'::uuid], "
                             "ARRAY[0::bigint], ARRAY['x'], ARRAY[true], ARRAY[NULL::text])"),
        ("note revoked keys", "SELECT tenantry_lookup.note_keys_revoked(ARRAY[gen_random_uuid()], ARRAY[now()])"),
        ("note erasures", f"SELECT tenantry_lookup.note_erasures(ARRAY['{victim_user}'::uuid], ARRAY[now()], "
                          "ARRAY['{}'::jsonb])"),
    ]
    for name, sql in no_tenant:
        ok, out = psql(url_for("tenantry_app", db), f"SELECT set_config('tenantry.tenant_id', '', false); {sql}")
        refused = not ok and "needs the unit of work's tenant" in out
        report(f"SQL as tenantry_app: {name} with no tenant", refused,
               "refused" if refused else f"NOT REFUSED: {out.splitlines()[-1][:100] if out else ''}")
    slug = admin_sql(db, f"SELECT slug FROM tenantry.tenants WHERE tenant_id = '{victim}'")
    other = "00000000-0000-4000-8000-00000000a77a"
    ok, out = psql(url_for("tenantry_app", db), f"SELECT set_config('tenantry.tenant_id', '{other}', false); "
                                               f"SELECT tenantry_lookup.claim_slug('{slug}')")
    owner = admin_sql(db, f"SELECT tenant_id FROM tenantry.tenant_slugs WHERE slug = '{slug}'")
    report("SQL as tenantry_app: take the victim's slug through claim_slug", not ok and owner == victim,
           "refused" if not ok else f"NOT REFUSED: the slug now leads to {owner}")
    before = admin_sql(db, f"SELECT max_token_version FROM tenantry.credential_ledger WHERE user_id = '{victim_user}'")
    admin_sql(db, f"UPDATE tenantry.credential_ledger SET max_token_version = greatest(max_token_version, 3) "
                  f"WHERE user_id = '{victim_user}'")
    psql(url_for("tenantry_app", db), f"SELECT set_config('tenantry.tenant_id', '{victim}', false); "
                                      f"SELECT tenantry_lookup.note_credentials(ARRAY['{victim_user}'::uuid], "
                                      "ARRAY[0::bigint], ARRAY['x'], ARRAY[true], ARRAY[NULL::text])")
    after = admin_sql(db, f"SELECT max_token_version FROM tenantry.credential_ledger WHERE user_id = '{victim_user}'")
    report("SQL as tenantry_app: lower a user's highest token version through note_credentials",
           after.strip() == str(max(3, int(before or 0))), f"ledger version {before} -> 3 -> {after} after noting 0")


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
        stranger, stranger_token = signup(c, "stranger")
        stranger_cookie = web_login(c, "stranger", "owner@stranger.example.com", PASSWORD)
        owner_cookie = web_login(c, "victim", "owner@victim.example.com", PASSWORD)
        su, status, body = superuser_token(c)
        if su is None:
            raise RuntimeError(f"superuser login: {status} {body}")

        # The limits as shipped first; then raised (the remaining attacks test other walls).
        attack_login_burst(c, victim, victim_token)
        attack_invented_methods(c)
        raise_limits(c, su)
        attack_refresh_replay(c, "victim", victim)
        attack_hosted_billing_pages(c, victim, victim_token, stranger_cookie, owner_cookie)
        attack_promotion_codes(c, su, victim, victim_token, stranger_token)
        attack_account_flows(c, victim, victim_token, stranger_token)
        attack_restore_revives_credentials(c, su)
        attack_logout_race(c)
        attack_superuser_lockout(c)
        attack_sql(db, "tenantry_app", SERVICE_ATTEMPTS, victim)
        attack_sql(db, "tenantry_product", PRODUCT_ATTEMPTS, victim)
        attack_notes(db, victim)
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
