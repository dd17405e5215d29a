#!/usr/bin/env python3
"""oauthbed.py: an offline OAuth 2.0 identity provider and two OAuth-only
SMTP servers (Microsoft-like and Google-like) in ONE process, for posta's
integration tests.  Standard library only; openssl(1) makes the keys.

  oauthbed.py serve --dir DIR [--cert C --key K --ca CA] [--set KEY=VALUE]...
  oauthbed.py ctl PORT|ENVFILE COMMAND [KEY=VALUE]...
  oauthbed.py jwt KEYFILE [CLAIM=VALUE]... [--header KEY=VALUE]...

From shell tests use tests/lib/oauthbed.sh (sourced after common.sh:
ob_start [--set K=V]..., ob_ctl, ob_get, ob_stop; or run as a command:
oauthbed.sh start DIR | stop DIR).

SERVE binds every port on 127.0.0.1 (kernel-chosen free ports), makes its
keys (RSA keys already in DIR/sa.pem, DIR/sa-bad.pem are kept), writes
DIR/pid, DIR/oauthbed.env (sh, exported OB_* variables), then DIR/ready.
SIGTERM ends it at once.  Without --cert/--key/--ca it makes a test CA and
a localhost/127.0.0.1 certificate in DIR/tls (oauthbed.sh passes the
Postfix test bed's TB_CERT/TB_KEY/TB_CA when $TB_ENV is set).  All state
is in memory: a restart forgets every token.

oauthbed.env:
  OB_DIR OB_ENV OB_PID OB_HOST (localhost) OB_CA OB_URL (https://localhost:P)
  OB_HTTPS_PORT OB_CTL_PORT OB_TENANT
  OB_MS_TOKEN_URL   $OB_URL/$OB_TENANT/oauth2/v2.0/token
  OB_MS_DEVICE_URL  $OB_URL/$OB_TENANT/oauth2/v2.0/devicecode
  OB_MS_AUTH_URL    $OB_URL/$OB_TENANT/oauth2/v2.0/authorize
  OB_GOOGLE_TOKEN_URL $OB_URL/token, OB_GOOGLE_DEVICE_URL $OB_URL/device/code,
  OB_GOOGLE_AUTH_URL $OB_URL/o/oauth2/v2/auth
  OB_MS_SCOPE "https://outlook.office.com/SMTP.Send offline_access"
  OB_MS_APP_SCOPE "https://outlook.office365.com/.default"
  OB_GOOGLE_SCOPE "https://mail.google.com/"
  OB_CLIENT_ID OB_CLIENT_SECRET (one client, valid on both providers)
  OB_KEY_FILE (Google service-account JSON: client_email, private_key,
  private_key_id, token_uri = $OB_GOOGLE_TOKEN_URL), OB_BAD_KEY_FILE (same
  client_email, another key: its signatures fail), OB_SA_EMAIL
  OB_USER OB_USER2 (the mailboxes; tokens are bound to one of them)
  OB_MS_REFRESH OB_GOOGLE_REFRESH (seed refresh tokens for OB_USER, with
  the scopes above; the Microsoft one rotates on first use)
  OB_SMTP_MS_PORT (STARTTLS) OB_SMTPS_MS_PORT (implicit TLS)
  OB_SMTP_GOOGLE_PORT OB_SMTPS_GOOGLE_PORT
  OB_MAIL (stored messages) OB_LOG (request log) OB_STATE (state JSON)
  OB_SECRETS (every secret the bed knows, one a line: `grep -F -f`)
  OB_TRANSCRIPT (SMTP transcript)

HTTPS (token, device and authorization endpoints).  The path decides the
style of the replies:
  /TENANT/oauth2/v2.0/{token,devicecode,authorize}   Microsoft: errors are
      {"error","error_description":"AADSTSnnn: ...\\r\\nTrace ID: ...",
      "error_codes":[n],"timestamp","trace_id","correlation_id","error_uri"},
      replies with Content-Length, 2 KB JWT-like access tokens, 1.4 KB
      refresh tokens that ROTATE (the old one then gets invalid_grant
      AADSTS70000); device and code flows return a refresh token only
      when the scope has offline_access.  TENANT: the configured one,
      "organizations" or "common"; others get AADSTS90002.
  /token /device/code /o/oauth2/v2/auth   Google: pretty-printed JSON,
      chunked replies, errors {"error","error_description"} (5xx/429:
      {"error":{"code","message","status"}}), "ya29." tokens, refresh
      tokens that do not rotate, device flow refused for the Gmail scope
      (invalid_scope), 428 for authorization_pending, jwt-bearer.
Grants: refresh_token; client_credentials (Microsoft, secret required,
scope must end in /.default); authorization_code (PKCE S256 required,
redirect_uri must be http://127.0.0.1:PORT/... or http://localhost:PORT/...
and equal the one authorized, code single-use); device_code
(authorization_pending until approved as device_approve said when the code
was issued, slow_down when polled sooner than the current interval after
the previous poll, which then grows by slow_down_step, expired_token after
device_expires seconds, invalid_grant once redeemed); jwt-bearer
(Google: RS256 signature checked against the key file, iss = client_email,
aud = token_uri, scope, sub = a mailbox, iat/exp within 60 min, skew 60 s).
Client authentication in the form or by HTTP Basic (not both).  Microsoft
treats the client as public (secret optional, checked when sent) except for
client_credentials; Google wants client_secret except for jwt-bearer.
Access tokens are valid on the SMTP servers of their provider only, for
expires_in seconds, for the mailbox they were issued to (app-only
client_credentials tokens: any mailbox).  Authorization approves as
login_hint when it is a mailbox, else as authorize_user.

SMTP, profile "microsoft": STARTTLS required; EHLO after TLS offers AUTH
LOGIN XOAUTH2; a command line over 512 octets (CR LF included) gets
"500 5.5.6 line too long", so the XOAUTH2 response goes after an empty
"334 "; a bad token gets "535 5.7.3 Authentication unsuccessful"; LOGIN
gets ms_login_reply (535 5.7.139 ...).  Profile "google": AUTH LOGIN PLAIN
XOAUTH2 OAUTHBEARER; a bad token gets "334 <base64 JSON status>", the
client must send AQ== (OAUTHBEARER; XOAUTH2 may send an empty line), then
"535-5.7.8 ..." (multi-line); any other reply to the challenge is 501.
LOGIN/PLAIN get 534 5.7.9.  Recipients reject* get 550.  Each message is
OB_MAIL/NNNNNN.eml (DATA unstuffed, byte-exact) + NNNNNN.env (lines:
profile, port, tls, user, mech, sender, param..., recipient...).

CONTROL (plain HTTP on OB_CTL_PORT; `oauthbed.py ctl` wraps it, values
k=v are int/float/true/false/string):
  state                 the state JSON (also kept in OB_STATE, rewritten on
                        every change): counts (token requests per grant,
                        per endpoint, per error, smtp auth results,
                        messages), access tokens issued and valid, refresh
                        tokens with state current/rotated/revoked, device
                        codes, pending faults, config.
  get PATH              one value of the state, dotted (list index as a
                        number): get counts.grant.refresh_token,
                        get refresh_current.0; absent counters print 0
  set K=V...            change the configuration (keys: CONFIG below)
  fault kind=K [count=N] [target=token|device|authorize|any|smtp_auth]
        [seconds=S]     the next N matching requests fail: kind is an HTTP
                        status (500, 503, 429 with Retry-After: 1, ...), an
                        OAuth error (invalid_grant, invalid_client, ...),
                        stall (hold the connection S s, then close), drop
                        (close at once), truncated (Content-Length larger
                        than the body), badjson, huge (2 MB body), html
                        (200 text/html).  target smtp_auth: kind is the
                        whole SMTP reply given instead of the AUTH result.
  clear_faults
  approve [user_code=C] [user=MAILBOX]  approve a pending device code (the
                        newest by default); deny [user_code=C] likewise
  mint [profile=microsoft|google] [user=U] [scope=S]  a new refresh token
  revoke refresh_token=T | access=all [user=U] [how=revoke|expire]
  browse url=AUTHORIZE_URL [user=U] [deny=true] [fetch=false]  act as the
                        browser: authorize, then GET the redirect (the
                        loopback listener); returns location, status, body
  log [from=N]          request log lines from N
A request log line (OB_LOG, JSON) per HTTP request and SMTP event: kind
http|smtp|browse|ctl, time, and for http: method, path, sni, tls, headers,
params, grant, status, error, fault; for smtp: profile, conn, event, mech,
user, result, reason.

CONFIG (--set at start or `ctl set`): see CONFIG_DEFAULTS below.

Recipes for posta's tests (sh, after ob_start):
  posta.conf: [upstream] host = $OB_HOST, port = $OB_SMTP_MS_PORT, tls =
    starttls, ca_file = $OB_CA, username = $OB_USER, auth = xoauth2;
    [oauth] provider = microsoft, tenant = $OB_TENANT, token_url =
    $OB_MS_TOKEN_URL, client_id = $OB_CLIENT_ID, ca_file = $OB_CA; seed
    with: printf '%s' "$OB_MS_REFRESH" | posta --oauth-import.
  One token request for N concurrent sends: ob_start --set token_delay=1,
    run them, then [ "$(ob_get counts.grant.refresh_token)" = 1 ].
  kill -9 during a refresh: --set token_delay=3 --set rotate_grace=60;
    wait until ob_get counts.token is 1, kill posta: the bed still rotates
    (the request arrived), so the cache holds the old token, which works
    for rotate_grace seconds like at servers that keep it a while; the
    next send must succeed with it.  Without rotate_grace it gets
    invalid_grant, which must keep the mail queued.
  A 535 on a cached token: ob_ctl revoke access=all, send: one refresh,
    one retry (or ob_ctl fault target=smtp_auth kind="535 5.7.3 ...").
  Expiry: --set expires_in=2, send, sleep 3, send: two token requests.
  The cache changing between posta's token fetch and its AUTH: ob_ctl set
    greeting_hold=true, send in the background, wait until ob_get
    counts.greeting_held is 1, posta --oauth-refresh, ob_ctl set
    greeting_hold=false.
  Device login: ob_ctl set device_approve=manual, run posta --oauth-login in
    the background, read the user code it printed, ob_ctl approve.
  Loopback login: run posta --oauth-login=loopback:PORT in the background,
    take the URL it printed, ob_ctl browse url="$URL".
  No leaks: ob_leaks "$T/posta.log" "$T/out" ... (the spool too).
  Errors: ob_ctl fault kind=invalid_grant (or 500, 429, stall seconds=20,
    invalid_client); the error text with AADSTS70000 is in OB_LOG.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import shlex
import signal
import socket
import socketserver
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

CONFIG_DEFAULTS = {
    "tenant": "oauthbed.onmicrosoft.com",
    "expires_in": 3600,          # access token lifetime, seconds
    "ms_token_len": 2200,        # Microsoft access tokens (JWT-like)
    "google_token_len": 220,
    "ms_refresh_len": 1400,
    "google_refresh_len": 103,
    "ms_rotate": True,           # each refresh returns a new refresh token
    "google_rotate": False,
    "rotate_grace": 0,           # seconds a rotated refresh token still works
    "refresh_lifetime": 0,       # seconds a refresh token lives; 0: forever
    "chunked": "auto",           # auto (Google chunked) | always | never
    "chunk_size": 100,
    "keepalive": True,           # HTTP/1.1 persistent connections
    "token_delay": 0.0,          # seconds before answering a token request
    "device_interval": 1,
    "device_expires": 600,
    "device_approve": "auto:2",  # for new codes: auto:N (approved at the Nth
                                 # pending poll) | deny:N | manual (ctl approve)
    "slow_down_step": 5,         # RFC 8628 3.5: the client adds 5 s
    "authorize": "approve",      # approve | deny
    "authorize_user": "",        # default: OB_USER
    "code_lifetime": 600,
    "google_device_gmail": False,  # allow the device flow for Gmail's scope
    "jwt_skew": 60,
    "dwd": True,                 # domain-wide delegation granted (jwt sub)
    "ms_login_reply": "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
    "ms_line_limit": 512,
    "google_line_limit": 0,      # 0: none
    "stall_seconds": 30,
    "greeting_hold": False,      # SMTP: no 220 while set (at most
                                 # stall_seconds); counts.greeting_held
}

MS_SCOPE = "https://outlook.office.com/SMTP.Send offline_access"
MS_APP_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
MS_SMTP_SCOPES = ("https://outlook.office.com/SMTP.Send",
                  "https://outlook.office365.com/SMTP.Send")
OIDC_SCOPES = ("offline_access", "openid", "profile", "email")
GT_DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
GT_JWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_NAMES = {GT_DEVICE: "device_code", GT_JWT: "jwt_bearer"}
DIGESTINFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")
B64URL = string.ascii_letters + string.digits + "-_"
MS_HOST = "BN8PR04CA0001.namprd04.prod.outlook.com"
MAX_BODY = 1 << 20


def rand(n, alphabet=B64URL):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s) or len(s) % 4 == 1:
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def utcstamp(fmt="%Y-%m-%d %H:%M:%SZ"):
    return time.strftime(fmt, time.gmtime())


def openssl(*args, data=None):
    p = subprocess.run(["openssl"] + list(args), input=data,
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args),
                                               p.stderr.decode(errors="replace")))
    return p.stdout


def rsa_public(pem_path):
    """(n, e) of an RSA private key file."""
    out = openssl("rsa", "-in", pem_path, "-noout", "-text", "-modulus").decode()
    n = int(re.search(r"^Modulus=([0-9A-Fa-f]+)$", out, re.M).group(1), 16)
    e = int(re.search(r"publicExponent: (\d+)", out).group(1))
    return n, e


def rsa_verify(pub, msg, sig):
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2.2), by pow()."""
    n, e = pub
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= n:
        return False
    em = pow(s, e, n).to_bytes(k, "big")
    t = DIGESTINFO_SHA256 + hashlib.sha256(msg).digest()
    want = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, want)


def sign_jwt(keyfile, claims, header=None):
    """An RS256 JWT signed with the private key of a Google JSON key file
    (for tests; posta signs its own)."""
    with open(keyfile) as f:
        key = json.load(f)
    hdr = {"alg": "RS256", "typ": "JWT", "kid": key.get("private_key_id", "")}
    hdr.update(header or {})
    inp = (b64url(json.dumps(hdr, separators=(",", ":")).encode()) + "." +
           b64url(json.dumps(claims, separators=(",", ":")).encode()))
    with tempfile.TemporaryDirectory() as td:
        kp = os.path.join(td, "k.pem")
        fd = os.open(kp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key["private_key"])
        sig = openssl("dgst", "-sha256", "-sign", kp, data=inp.encode())
    return inp + "." + b64url(sig)


def scopes(s):
    return [x for x in (s or "").split(" ") if x]


# --------------------------------------------------------------------------
# Replies of the HTTP endpoints


class Reply:
    def __init__(self, status, obj=None, style="ms", headers=None,
                 body=None, ctype="application/json; charset=utf-8"):
        self.status, self.obj, self.style = status, obj, style
        self.headers = headers or []
        self.body, self.ctype = body, ctype
        self.error = obj.get("error") if isinstance(obj, dict) else None
        if isinstance(self.error, dict):
            self.error = self.error.get("status")


def ms_error(error, code, desc, status=400):
    ts = utcstamp()
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    return Reply(status, {
        "error": error,
        "error_description": "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s"
        % (code, desc, trace, corr, ts),
        "error_codes": [code],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % code,
    }, "ms", [("x-ms-clitelem", "1,%d,0,," % code)])


def g_error(error, desc, status=400):
    return Reply(status, {"error": error, "error_description": desc}, "google")


def err(style, error, ms_code, ms_desc, g_desc, status=400):
    if style == "ms":
        return ms_error(error, ms_code, ms_desc, status)
    return g_error(error, g_desc, status)


def status_reply(style, status):
    """A provider's answer with an HTTP error status (fault injection)."""
    if style == "ms":
        if status == 429:
            r = ms_error("temporarily_unavailable", 50196,
                         "The server terminated an operation because it encountered a client request loop. Please retry.", 429)
        else:
            r = ms_error("temporarily_unavailable", 90033,
                         "A transient error has occurred. Please try again.", status)
    else:
        names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        r = Reply(status, {"error": {
            "code": status,
            "message": "Internal error encountered." if status != 429 else "Quota exceeded.",
            "status": names.get(status, "UNKNOWN")}}, "google")
    if status in (429, 503):
        r.headers.append(("Retry-After", "1"))
    return r


# --------------------------------------------------------------------------
# The state: tokens, codes, counters, faults, log


class Bed:
    def __init__(self, d, cfg):
        self.dir = d
        self.cfg = cfg
        self.lock = threading.RLock()
        self.access = {}     # token -> dict
        self.refresh = {}    # token -> dict (insertion order = issue order)
        self.devices = {}    # device_code -> dict
        self.codes = {}      # authorization code -> dict
        self.faults = []
        self.counts = {"http": 0, "token": 0, "grant": {}, "endpoint": {},
                       "status": {}, "errors": {}, "device": 0,
                       "authorize": 0, "smtp_conn": 0, "smtp_auth": {},
                       "smtp_auth_ok": 0, "smtp_auth_fail": 0,
                       "messages": 0, "faults_used": 0}
        self.logn = 0
        self.msgn = 0
        self.conn_n = 0
        self.stop = threading.Event()
        self.logf = open(os.path.join(d, "requests.log"), "a", buffering=1)
        self.secf = open(os.path.join(d, "secrets.txt"), "a", buffering=1)
        self.trf = open(os.path.join(d, "smtp.transcript"), "a", buffering=1)
        self.mail = os.path.join(d, "mail")
        os.makedirs(self.mail, exist_ok=True)
        self.env = {}

    # -- bookkeeping
    def log(self, rec):
        with self.lock:
            self.logn += 1
            rec = dict(rec, n=self.logn, t=round(time.time(), 3))
            self.logf.write(json.dumps(rec) + "\n")
        return rec

    def transcript(self, tag, line):
        with self.lock:
            self.trf.write("%s %s\n" % (tag, line))

    def secret(self, s):
        # Short strings (a PEM tail line) would match innocent text.
        if len(s) >= 24:
            with self.lock:
                self.secf.write(s + "\n")
        return s

    def count(self, *path):
        with self.lock:
            d = self.counts
            for k in path[:-1]:
                d = d.setdefault(k, {})
            if isinstance(d.get(path[-1], 0), int):
                d[path[-1]] = d.get(path[-1], 0) + 1

    def take_fault(self, target):
        """The next fault queued for target (one count used), or None."""
        with self.lock:
            for f in self.faults:
                if f["target"] == target or (f["target"] == "any" and
                                             target != "smtp_auth"):
                    f["count"] -= 1
                    if f["count"] <= 0:
                        self.faults.remove(f)
                    self.counts["faults_used"] += 1
                    return dict(f)
        return None

    def state(self):
        now = time.time()
        with self.lock:
            valid = [t for t, a in self.access.items()
                     if not a["revoked"] and a["expires"] > now]
            return {
                "pid": os.getpid(),
                "counts": json.loads(json.dumps(self.counts)),
                "access_issued": len(self.access),
                "access_valid": len(valid),
                "access": [{"token_start": t[:16], "profile": a["profile"],
                            "grant": a["grant"], "user": a["user"],
                            "seconds_left": round(a["expires"] - now, 1),
                            "revoked": a["revoked"]}
                           for t, a in self.access.items()],
                "refresh": [{"token": t, "profile": r["profile"],
                             "user": r["user"], "state": r["state"],
                             "used": r["used"], "issued": r["issued"]}
                            for t, r in self.refresh.items()],
                "refresh_current": [t for t, r in self.refresh.items()
                                    if r["state"] == "current"],
                "devices": [{"user_code": v["user_code"], "state": v["state"],
                             "polls": v["polls"], "pending": v["pending"],
                             "slow_downs": v["slow_downs"],
                             "interval": v["interval"]}
                            for v in self.devices.values()],
                "codes": [{"state": c["state"], "user": c["user"]}
                          for c in self.codes.values()],
                "faults": list(self.faults),
                "config": dict(self.cfg),
                "log_lines": self.logn,
                "messages": self.msgn,
            }

    def save(self):
        st = self.state()
        p = os.path.join(self.dir, "state.json")
        with self.lock:
            with open(p + ".tmp", "w") as f:
                json.dump(st, f, indent=1)
            os.replace(p + ".tmp", p)

    # -- tokens
    def mailboxes(self):
        return [self.env["OB_USER"], self.env["OB_USER2"]]

    def is_mailbox(self, u):
        return bool(u) and u.lower() in [m.lower() for m in self.mailboxes()]

    def new_access(self, profile, grant, user, scope, client_id):
        now = time.time()
        if profile == "microsoft":
            hdr = b64url(json.dumps({"typ": "JWT", "nonce": rand(43),
                                     "alg": "RS256", "x5t": rand(27),
                                     "kid": rand(27)}).encode())
            claims = {"aud": "https://outlook.office.com", "iss": "https://sts.windows.net/%s/" % self.cfg["tenant"],
                      "iat": int(now), "nbf": int(now),
                      "exp": int(now + self.cfg["expires_in"]),
                      "appid": client_id, "scp": " ".join(scope),
                      "upn": user or "", "tid": str(uuid.uuid4())}
            body = b64url(json.dumps(claims).encode())
            sig = rand(342)
            pad = self.cfg["ms_token_len"] - len(hdr) - len(body) - len(sig) - 2
            tok = hdr + "." + body + rand(max(pad, 0)) + "." + sig
        else:
            tok = "ya29." + rand(max(self.cfg["google_token_len"] - 5, 16))
        self.access[tok] = {"profile": profile, "grant": grant, "user": user,
                            "scope": scope, "client_id": client_id,
                            "issued": now, "expires": now + self.cfg["expires_in"],
                            "revoked": False}
        return self.secret(tok)

    def new_refresh(self, profile, user, scope, client_id):
        if profile == "microsoft":
            tok = "0.A" + rand(max(self.cfg["ms_refresh_len"] - 3, 16))
        else:
            tok = "1//0" + rand(max(self.cfg["google_refresh_len"] - 4, 16))
        self.refresh[tok] = {"profile": profile, "user": user, "scope": scope,
                             "client_id": client_id, "issued": time.time(),
                             "state": "current", "used": 0}
        return self.secret(tok)

    def check_token(self, profile, user, tok):
        """None when tok lets user send on profile's SMTP, else a reason."""
        a = self.access.get(tok)
        if a is None:
            return "unknown"
        if a["revoked"]:
            return "revoked"
        if a["expires"] <= time.time():
            return "expired"
        if a["profile"] != profile:
            return "wrong_provider"
        if profile == "microsoft":
            if a["user"] is None:
                if MS_APP_SCOPE not in a["scope"]:
                    return "wrong_scope"
                return None if self.is_mailbox(user) else "no_mailbox_permission"
            if not any(s in a["scope"] for s in MS_SMTP_SCOPES):
                return "wrong_scope"
        elif GOOGLE_SCOPE not in a["scope"]:
            return "wrong_scope"
        if (user or "").lower() != (a["user"] or "").lower():
            return "wrong_user"
        return None

    def token_reply(self, style, access, scope, refresh=None):
        ei = int(self.cfg["expires_in"])
        if style == "ms":
            o = {"token_type": "Bearer",
                 "scope": " ".join(s for s in scope if s not in OIDC_SCOPES),
                 "expires_in": ei, "ext_expires_in": ei,
                 "access_token": access}
        else:
            o = {"access_token": access, "expires_in": ei,
                 "scope": " ".join(scope), "token_type": "Bearer"}
        if refresh:
            o["refresh_token"] = refresh
        return Reply(200, o, style)

    # -- the token endpoint
    def client_auth(self, style, p, basic):
        """(client_id, secret or None, Reply or None)"""
        cid, sec = p.get("client_id"), p.get("client_secret")
        if basic is not None:
            if sec is not None:
                return None, None, err(style, "invalid_request", 90023,
                                       "Multiple client authentication methods are not allowed.",
                                       "Multiple client authentication methods.")
            bid, bsec = basic
            if cid is not None and cid != bid:
                return None, None, err(style, "invalid_client", 7000215,
                                       "Client id in the body and the Authorization header differ.",
                                       "Unauthorized", 401)
            cid, sec = bid, bsec
        return cid, sec, None

    def check_client(self, style, grant, cid, sec):
        want_id, want_sec = self.env["OB_CLIENT_ID"], self.env["OB_CLIENT_SECRET"]
        if not cid:
            return err(style, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'client_id'.",
                       "Missing required parameter: client_id")
        if cid != want_id:
            if style == "ms":
                return ms_error("unauthorized_client", 700016,
                                "Application with identifier '%s' was not found in the directory '%s'."
                                % (cid, self.cfg["tenant"]))
            return g_error("invalid_client", "The OAuth client was not found.", 401)
        need = (grant == "client_credentials") if style == "ms" else True
        if sec is None or sec == "":
            if need:
                if style == "ms":
                    return ms_error("invalid_client", 7000218,
                                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                                    401)
                return g_error("invalid_request", "client_secret is missing.")
            return None
        if not hmac.compare_digest(sec.encode(), want_sec.encode()):
            return err(style, "invalid_client", 7000215,
                       "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'." % cid,
                       "Unauthorized", 401)
        return None

    def token(self, style, p, basic):
        grant = p.get("grant_type")
        if not grant:
            return err(style, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'grant_type'.",
                       "Missing required parameter: grant_type")
        profile = "microsoft" if style == "ms" else "google"
        gname = GRANT_NAMES.get(grant, grant)
        if gname == "jwt_bearer":
            if style == "ms":
                return ms_error("unsupported_grant_type", 70003,
                                "The app requested an unsupported grant type '%s'." % grant)
            return self.grant_jwt(p)
        if gname not in ("refresh_token", "client_credentials",
                         "authorization_code", "device_code"):
            return err(style, "unsupported_grant_type", 70003,
                       "The app requested an unsupported grant type '%s'." % grant,
                       "Invalid grant_type: %s" % grant)
        if gname == "client_credentials" and style == "google":
            return g_error("unsupported_grant_type",
                           "Invalid grant_type: client_credentials")
        cid, sec, r = self.client_auth(style, p, basic)
        if r:
            return r
        r = self.check_client(style, gname, cid, sec)
        if r:
            return r
        return getattr(self, "grant_" + gname)(style, profile, p, cid)

    def grant_refresh_token(self, style, profile, p, cid):
        rt = p.get("refresh_token")
        if not rt:
            return err(style, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'refresh_token'.",
                       "Missing required parameter: refresh_token")
        r = self.refresh.get(rt)
        if r is None or r["profile"] != profile:
            return err(style, "invalid_grant", 9002313,
                       "Invalid request. Request is malformed or invalid.",
                       "Bad Request")
        life = self.cfg["refresh_lifetime"]
        if r["state"] == "current" and life and time.time() - r["issued"] > life:
            r["state"] = "expired"
        if r["state"] == "expired":
            return err(style, "invalid_grant", 700082,
                       "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %d seconds."
                       % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["issued"])), life),
                       "Token has been expired or revoked.")
        if (r["state"] == "rotated" and self.cfg["rotate_grace"] and
                time.time() - r["rotated"] <= self.cfg["rotate_grace"]):
            pass    # a server that keeps the previous token a while
        elif r["state"] != "current":
            return err(style, "invalid_grant", 70000,
                       "The provided value for the 'refresh_token' is not valid: the grant was revoked or already redeemed (state %s)." % r["state"],
                       "Token has been expired or revoked.")
        if r["client_id"] != cid:
            return err(style, "invalid_grant", 70000,
                       "The refresh token was issued to a different client.",
                       "Unauthorized")
        want = scopes(p.get("scope"))
        extra = [s for s in want if s not in r["scope"] and s not in OIDC_SCOPES]
        if extra:
            return err(style, "invalid_scope", 70011,
                       "The provided value for the input parameter 'scope' is not valid. The scope %s was not granted for this refresh token." % " ".join(extra),
                       "Invalid scope: %s" % " ".join(extra))
        r["used"] += 1
        at = self.new_access(profile, "refresh_token", r["user"], r["scope"], cid)
        new = None
        if self.cfg["ms_rotate" if style == "ms" else "google_rotate"]:
            if r["state"] == "current":
                r["state"], r["rotated"] = "rotated", time.time()
            new = self.new_refresh(profile, r["user"], r["scope"], cid)
        return self.token_reply(style, at, r["scope"], new)

    def grant_client_credentials(self, style, profile, p, cid):
        sc = scopes(p.get("scope"))
        if not sc:
            return ms_error("invalid_request", 900144,
                            "The request body must contain the following parameter: 'scope'.")
        if len(sc) != 1 or not sc[0].endswith("/.default"):
            return ms_error("invalid_scope", 1002012,
                            "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)." % " ".join(sc))
        at = self.new_access(profile, "client_credentials", None, sc, cid)
        return self.token_reply(style, at, sc)

    def grant_authorization_code(self, style, profile, p, cid):
        code = p.get("code")
        if not code:
            return err(style, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'code'.",
                       "Missing required parameter: code")
        c = self.codes.get(code)
        if c is None or c["profile"] != profile:
            return err(style, "invalid_grant", 9002313,
                       "Invalid request. Request is malformed or invalid.",
                       "Malformed auth code.")
        if c["state"] == "redeemed":
            return err(style, "invalid_grant", 54005,
                       "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                       "Bad Request")
        if time.time() > c["expires"]:
            return err(style, "invalid_grant", 70008,
                       "The provided authorization code or refresh token has expired due to inactivity.",
                       "Bad Request")
        if c["client_id"] != cid:
            return err(style, "invalid_grant", 70000,
                       "The authorization code was issued to a different client.",
                       "Unauthorized")
        if p.get("redirect_uri") != c["redirect_uri"]:
            if style == "ms":
                return ms_error("invalid_grant", 50011,
                                "The redirect URI '%s' specified in the request does not match the redirect URI of the authorization request." % p.get("redirect_uri"))
            return g_error("redirect_uri_mismatch", "Bad Request")
        v = p.get("code_verifier")
        if not v:
            return err(style, "invalid_grant", 501481,
                       "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                       "Missing code verifier.")
        ok = (re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", v) is not None and
              b64url(hashlib.sha256(v.encode()).digest()) == c["challenge"])
        if not ok:
            return err(style, "invalid_grant", 501481,
                       "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                       "Invalid code verifier.")
        c["state"] = "redeemed"
        sc = c["scope"]
        at = self.new_access(profile, "authorization_code", c["user"], sc, cid)
        rt = None
        if style == "google" or "offline_access" in sc:
            rt = self.new_refresh(profile, c["user"], sc, cid)
        return self.token_reply(style, at, sc, rt)

    def grant_device_code(self, style, profile, p, cid):
        dc = p.get("device_code")
        if not dc:
            return err(style, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'device_code'.",
                       "Missing required parameter: device_code")
        d = self.devices.get(dc)
        if d is None or d["profile"] != profile:
            if style == "ms":
                return ms_error("bad_verification_code", 70000,
                                "The provided value for the input parameter 'device_code' is not valid.")
            return g_error("invalid_grant", "Malformed device code.")
        if d["client_id"] != cid:
            return err(style, "invalid_grant", 70000,
                       "The device code was issued to a different client.",
                       "Unauthorized")
        now = time.time()
        d["polls"] += 1
        if d["state"] == "redeemed":
            return err(style, "invalid_grant", 54005,
                       "The device code was already redeemed.", "Bad Request")
        if now > d["expires"]:
            d["state"] = "expired"
            return err(style, "expired_token", 70020,
                       "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
                       "Expired", 400)
        last, d["last_poll"] = d["last_poll"], now
        if last is not None and now - last < d["interval"] - 0.15:
            d["slow_downs"] += 1
            d["interval"] += self.cfg["slow_down_step"]
            return err(style, "slow_down", 70016,
                       "OAuth 2.0 device flow error. Polling too fast: wait at least the interval between requests, plus %d seconds from now on." % self.cfg["slow_down_step"],
                       "Forbidden", 400 if style == "ms" else 403)
        if d["state"] == "denied":
            if style == "ms":
                return ms_error("authorization_declined", 70000,
                                "The end user denied the authorization request.")
            return g_error("access_denied", "Forbidden", 403)
        if d["state"] == "approved":
            d["state"] = "redeemed"
            sc = d["scope"]
            at = self.new_access(profile, "device_code", d["user"], sc, cid)
            rt = None
            if style == "google" or "offline_access" in sc:
                rt = self.new_refresh(profile, d["user"], sc, cid)
            return self.token_reply(style, at, sc, rt)
        d["pending"] += 1
        mode = d["approve"]
        if mode.startswith("auto:") and d["pending"] >= int(mode[5:]):
            d["state"], d["user"] = "approved", d["user"] or self.env["OB_USER"]
        elif mode.startswith("deny:") and d["pending"] >= int(mode[5:]):
            d["state"] = "denied"
        return err(style, "authorization_pending", 70016,
                   "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                   "Precondition Required", 400 if style == "ms" else 428)

    def grant_jwt(self, p):
        a = p.get("assertion")
        if not a:
            return g_error("invalid_request", "Missing required parameter: assertion")
        parts = a.split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not three parts")
            hdr = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
            if not isinstance(hdr, dict) or not isinstance(claims, dict):
                raise ValueError("not objects")
        except ValueError as e:
            return g_error("invalid_grant", "Invalid JWT: %s" % e)
        if hdr.get("alg") != "RS256":
            return g_error("invalid_grant", "Invalid JWT: alg must be RS256")
        if claims.get("iss") != self.env["OB_SA_EMAIL"]:
            return g_error("invalid_grant", "Invalid grant: account not found")
        if not rsa_verify(self.sa_pub, (parts[0] + "." + parts[1]).encode(), sig):
            return g_error("invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") != self.env["OB_GOOGLE_TOKEN_URL"]:
            return g_error("invalid_grant",
                           "Invalid JWT: Failed audience check. The expected value was %s but got %s."
                           % (self.env["OB_GOOGLE_TOKEN_URL"], claims.get("aud")))
        iat, exp, now, skew = claims.get("iat"), claims.get("exp"), time.time(), self.cfg["jwt_skew"]
        if (not isinstance(iat, int) or not isinstance(exp, int) or
                exp - iat > 3600 or exp <= iat or iat > now + skew or
                exp < now - skew):
            return g_error("invalid_grant",
                           "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        sc = scopes(claims.get("scope"))
        if not sc or any(s != GOOGLE_SCOPE for s in sc):
            return g_error("invalid_scope",
                           "Invalid OAuth scope or ID token audience provided.")
        sub = claims.get("sub")
        if sub is not None:
            if not self.is_mailbox(sub):
                return g_error("invalid_grant", "Invalid email or User ID")
            if not self.cfg["dwd"]:
                return g_error("unauthorized_client",
                               "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
                               401)
        user = sub if sub is not None else claims["iss"]
        at = self.new_access("google", "jwt_bearer", user, sc,
                             claims["iss"])
        r = self.token_reply("google", at, sc)
        del r.obj["scope"]
        return r

    # -- device authorization and authorization endpoints
    def device(self, style, p):
        profile = "microsoft" if style == "ms" else "google"
        cid = p.get("client_id")
        if cid != self.env["OB_CLIENT_ID"]:
            if style == "ms":
                return ms_error("unauthorized_client", 700016,
                                "Application with identifier '%s' was not found in the directory '%s'." % (cid, self.cfg["tenant"]))
            return g_error("invalid_client", "The OAuth client was not found.", 401)
        sc = scopes(p.get("scope"))
        if not sc:
            return err(style, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'scope'.",
                       "Missing required parameter: scope")
        if style == "google" and GOOGLE_SCOPE in sc and not self.cfg["google_device_gmail"]:
            return g_error("invalid_scope", "Invalid device flow scope: %s" % GOOGLE_SCOPE)
        if style == "ms":
            dc = "CAQABIQEAAAD" + rand(240)
            uc = rand(9, string.ascii_uppercase + string.digits)
        else:
            dc = "AH-1Ng" + rand(90)
            uc = rand(4, string.ascii_uppercase) + "-" + rand(4, string.ascii_uppercase)
        self.secret(dc)
        now = time.time()
        self.devices[dc] = {"profile": profile, "client_id": cid, "scope": sc,
                            "user_code": uc, "issued": now,
                            "expires": now + self.cfg["device_expires"],
                            "interval": self.cfg["device_interval"],
                            "last_poll": None, "polls": 0, "pending": 0,
                            "slow_downs": 0, "state": "pending", "user": None,
                            "approve": self.cfg["device_approve"]}
        ei, iv = int(self.cfg["device_expires"]), int(self.cfg["device_interval"])
        if style == "ms":
            vu = self.env["OB_URL"] + "/devicelogin"
            return Reply(200, {
                "user_code": uc, "device_code": dc, "verification_uri": vu,
                "expires_in": ei, "interval": iv,
                "message": "To sign in, use a web browser to open the page %s and enter the code %s to authenticate." % (vu, uc)}, "ms")
        return Reply(200, {"device_code": dc, "user_code": uc,
                           "expires_in": ei, "interval": iv,
                           "verification_url": self.env["OB_URL"] + "/device"}, "google")

    def authorize(self, style, q, user=None, deny=None):
        """The authorization endpoint: a Reply (302 to the redirect_uri, or
        400 with a page when the client or redirect_uri is wrong)."""
        profile = "microsoft" if style == "ms" else "google"

        def page(status, text):
            return Reply(status, None, style, body=("<html><body><h1>%s</h1></body></html>\n" % text).encode(),
                         ctype="text/html; charset=utf-8")
        if q.get("client_id") != self.env["OB_CLIENT_ID"]:
            return page(400, "unauthorized_client: unknown client_id")
        ru = q.get("redirect_uri") or ""
        u = urllib.parse.urlsplit(ru)
        if (u.scheme != "http" or u.hostname not in ("127.0.0.1", "localhost") or
                not u.port or u.query or u.fragment):
            return page(400, "redirect_uri_mismatch: %s" % ru)

        def back(**kv):
            if q.get("state") is not None:
                kv["state"] = q["state"]
            loc = ru + "?" + urllib.parse.urlencode(kv)
            return Reply(302, None, style, headers=[("Location", loc)],
                         body=b"<html><body>Redirecting</body></html>\n",
                         ctype="text/html; charset=utf-8")
        if q.get("response_type") != "code":
            return back(error="unsupported_response_type",
                        error_description="response_type must be code")
        ch, m = q.get("code_challenge"), q.get("code_challenge_method")
        if not ch or m != "S256" or not re.fullmatch(r"[A-Za-z0-9_-]{43}", ch):
            return back(error="invalid_request",
                        error_description="PKCE required: code_challenge (43 characters base64url) with code_challenge_method=S256")
        sc = scopes(q.get("scope"))
        if not sc:
            return back(error="invalid_scope", error_description="scope missing")
        if deny is None:
            deny = self.cfg["authorize"] == "deny"
        if deny:
            if style == "ms":
                return back(error="access_denied", error_subcode="cancel",
                            error_description="AADSTS65004: User declined to consent to access the app.")
            return back(error="access_denied")
        if not user:
            hint = q.get("login_hint")
            user = hint if self.is_mailbox(hint) else (
                self.cfg["authorize_user"] or self.env["OB_USER"])
        code = ("0.AXkA" + rand(900)) if style == "ms" else ("4/0A" + rand(69))
        self.secret(code)
        self.codes[code] = {"profile": profile, "client_id": q["client_id"],
                            "redirect_uri": ru, "challenge": ch, "scope": sc,
                            "user": user, "state": "issued",
                            "expires": time.time() + self.cfg["code_lifetime"]}
        if style == "ms":
            return back(code=code, session_state=str(uuid.uuid4()))
        return back(code=code, scope=" ".join(sc))


# --------------------------------------------------------------------------
# HTTPS endpoints


MS_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/(token|devicecode|authorize)$")
G_PATHS = {"/token": "token", "/device/code": "devicecode",
           "/o/oauth2/v2/auth": "authorize"}


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ssl_ctx.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        self.bed.log({"kind": "http", "event": "error", "error": repr(e)})


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oauthbed"

    def log_message(self, *a):
        pass

    def setup(self):
        self.request.settimeout(30)
        self.request.do_handshake()   # failures: TLSServer.handle_error
        super().setup()

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def do_PUT(self):
        self.serve("PUT")

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if te == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline(100).split(b";")[0].strip(), 16)
                if n == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline(10)
                if len(out) > MAX_BODY:
                    raise ValueError("body too large")
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n)

    def serve(self, method):
        bed = self.server.bed
        bed.count("http")
        u = urllib.parse.urlsplit(self.path)
        rec = {"kind": "http", "method": method, "path": u.path,
               "version": self.request_version,
               "sni": getattr(self.request, "ob_sni", None),
               "tls": self.request.version(),
               "headers": dict(self.headers.items())}
        try:
            body = self.read_body()
        except ValueError as e:
            rec["error"] = str(e)
            self.send(Reply(400, None, body=b"bad request body\n",
                            ctype="text/plain"), rec)
            return
        m = MS_PATH.match(u.path)
        if m:
            style, ep, tenant = "ms", m.group(2), m.group(1)
        elif u.path in G_PATHS:
            style, ep, tenant = "google", G_PATHS[u.path], None
        else:
            self.send(Reply(404, None, body=b"<html><body>Not Found</body></html>\n",
                            ctype="text/html"), rec)
            return
        rec["endpoint"], rec["style"] = ep, style
        bed.count("endpoint", ep)
        if not self.headers.get("Host"):
            self.send(Reply(400, None, body=b"Bad Request: no Host header\n",
                            ctype="text/plain"), rec)
            return
        if ep == "authorize":
            if method != "GET":
                self.send(Reply(405, None, body=b"GET only\n", ctype="text/plain"), rec)
                return
            q, bad = parse_form(u.query)
            rec["params"] = q
            f = bed.take_fault("authorize")
            if f:
                rec["fault"] = f["kind"]
                if self.fault(f, style, rec):
                    return
            with bed.lock:
                bed.count("authorize")
                r = bed.authorize(style, q)
                bed.save()
            self.send(r, rec)
            return
        if method != "POST":
            self.send(err(style, "invalid_request", 900561,
                          "The endpoint only accepts POST requests. Received a %s request." % method,
                          "Method Not Allowed", 405), rec)
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        p, dup = parse_form(body.decode("utf-8", "replace")
                            if ctype == "application/x-www-form-urlencoded" else "")
        rec["params"] = p
        target = "token" if ep == "token" else "device"
        if target == "token":
            bed.count("token")
            rec["grant"] = GRANT_NAMES.get(p.get("grant_type"), p.get("grant_type"))
            bed.count("grant", rec["grant"] or "none")
        else:
            bed.count("device")
        f = bed.take_fault(target)
        if f:
            rec["fault"] = f["kind"]
            if self.fault(f, style, rec):
                return
        if target == "token" and bed.cfg["token_delay"]:
            time.sleep(float(bed.cfg["token_delay"]))
        if tenant is not None and tenant not in (bed.cfg["tenant"], "organizations", "common"):
            r = ms_error("invalid_request", 90002,
                         "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud." % tenant)
        elif ctype != "application/x-www-form-urlencoded":
            r = err(style, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'grant_type'.",
                    "Content-Type must be application/x-www-form-urlencoded")
        elif dup:
            r = err(style, "invalid_request", 90014,
                    "A parameter was given more than once: '%s'." % dup,
                    "Duplicate parameter: %s" % dup)
        else:
            with bed.lock:
                if target == "token":
                    r = bed.token(style, p, basic_auth(self.headers))
                else:
                    r = bed.device(style, p)
        with bed.lock:
            bed.count("status", str(r.status))
            if r.error:
                bed.count("errors", r.error)
            bed.save()
        self.send(r, rec)

    def fault(self, f, style, rec):
        """Answer with fault f; True when the request is done."""
        bed, k = self.server.bed, str(f["kind"])
        if k == "stall":
            bed.log(dict(rec, status=None))
            bed.stop.wait(float(f.get("seconds") or bed.cfg["stall_seconds"]))
            self.close_connection = True
            return True
        if k == "drop":
            self.close_connection = True
            bed.log(dict(rec, status=None))
            return True
        if k == "truncated":
            body = json.dumps({"access_token": rand(200), "token_type": "Bearer",
                               "expires_in": 3600}).encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                             % (len(body) + 100) + body)
            self.close_connection = True
            bed.log(dict(rec, status=200))
            return True
        if k == "badjson":
            r = Reply(200, None, style, body=b'{"access_token": "abc", "token_type": "Bearer", "expires_in": ')
        elif k == "huge":
            r = Reply(200, None, style, body=b'{"access_token": "' + b"A" * (2 << 20) + b'", "token_type": "Bearer", "expires_in": 3600}')
        elif k == "html":
            r = Reply(200, None, style, body=b"<html><body>Captive portal: sign in first</body></html>\n",
                      ctype="text/html")
        elif k.isdigit():
            r = status_reply(style, int(k))
        elif k == "invalid_client":
            r = err(style, "invalid_client", 7000215,
                    "Invalid client secret provided (injected fault).",
                    "Unauthorized", 401)
        elif k == "invalid_grant":
            r = err(style, "invalid_grant", 70000,
                    "The provided value for the 'refresh_token' is not valid (injected fault).",
                    "Token has been expired or revoked.")
        else:
            r = err(style, k, 50000, "Injected fault %s." % k, "Injected fault %s." % k)
        with bed.lock:
            bed.count("status", str(r.status))
            if r.error:
                bed.count("errors", r.error)
            bed.save()
        self.send(r, rec)
        return True

    def send(self, r, rec):
        bed = self.server.bed
        if r.body is None:
            if r.style == "google":
                r.body = (json.dumps(r.obj, indent=2) + "\n").encode()
            else:
                r.body = json.dumps(r.obj, separators=(",", ":")).encode()
        chunked = {"always": True, "never": False}.get(bed.cfg["chunked"],
                                                       r.style == "google")
        if self.request_version != "HTTP/1.1":
            chunked = False
        h = [("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
             ("Content-Type", r.ctype)]
        if r.style == "ms":
            h += [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"),
                  ("Expires", "-1"),
                  ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                  ("X-Content-Type-Options", "nosniff"),
                  ("P3P", 'CP="DSP CUR OTPi IND OTRi ONL FIN"'),
                  ("x-ms-request-id", str(uuid.uuid4())),
                  ("x-ms-ests-server", "2.1.18874.4 - SCUS ProdSlices"),
                  ("X-XSS-Protection", "0"),
                  ("Set-Cookie", "fpc=%s; expires=Sat, 01-Jan-2039 00:00:00 GMT; path=/; secure; HttpOnly; SameSite=None" % rand(40)),
                  ("Set-Cookie", "x-ms-gateway-slice=estsfd; path=/; secure; samesite=none; httponly"),
                  ("Set-Cookie", "stsservicecookie=estsfd; path=/; secure; samesite=none; httponly")]
        else:
            h += [("Vary", "Origin"), ("Vary", "X-Origin"), ("Vary", "Referer"),
                  ("Server", "scaffolding on HTTPServer2"),
                  ("Cache-Control", "private"), ("X-XSS-Protection", "0"),
                  ("X-Frame-Options", "SAMEORIGIN"),
                  ("X-Content-Type-Options", "nosniff"),
                  ("Alt-Svc", 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000')]
        h += r.headers
        if not bed.cfg["keepalive"]:
            self.close_connection = True
        if self.close_connection:
            h.append(("Connection", "close"))
        h.append(("Transfer-Encoding", "chunked") if chunked
                 else ("Content-Length", str(len(r.body))))
        try:
            phrase = http.HTTPStatus(r.status).phrase
        except ValueError:
            phrase = "Status"
        out = ("HTTP/1.1 %d %s\r\n" % (r.status, phrase) +
               "".join("%s: %s\r\n" % kv for kv in h) + "\r\n").encode()
        if chunked:
            cs = max(int(bed.cfg["chunk_size"]), 1)
            for i in range(0, len(r.body), cs):
                c = r.body[i:i + cs]
                out += b"%x\r\n" % len(c) + c + b"\r\n"
            out += b"0\r\n\r\n"
        else:
            out += r.body
        rec.update(status=r.status, error=r.error)
        bed.log(rec)
        try:
            self.wfile.write(out)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


def parse_form(s):
    """(dict, name of a duplicated parameter or None)"""
    out, dup = {}, None
    for k, v in urllib.parse.parse_qsl(s, keep_blank_values=True):
        if k in out:
            dup = k
        out[k] = v
    return out, dup


def basic_auth(headers):
    a = headers.get("Authorization") or ""
    if not a.lower().startswith("basic "):
        return None
    try:
        i, _, s = base64.b64decode(a[6:].strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return ("", "")
    return urllib.parse.unquote_plus(i), urllib.parse.unquote_plus(s)


# --------------------------------------------------------------------------
# SMTP


class Closed(Exception):
    pass


class SMTPConn:
    def __init__(self, bed, profile, sock, implicit, port):
        self.bed, self.profile, self.sock = bed, profile, sock
        self.implicit, self.port = implicit, port
        self.buf = b""
        self.tls = False
        with bed.lock:
            bed.conn_n += 1
            self.n = bed.conn_n
            bed.counts["smtp_conn"] += 1
        self.tag = "%s/%d C%d" % (profile, port, self.n)
        self.id = rand(12, string.ascii_lowercase + string.digits)
        self.helo = False
        self.user = None
        self.mech = None
        self.reset()

    def reset(self):
        self.sender, self.params, self.rcpts = None, [], []

    def ev(self, **kv):
        self.bed.log(dict({"kind": "smtp", "profile": self.profile,
                           "port": self.port, "conn": self.n,
                           "tls": self.tls}, **kv))

    # -- I/O
    def send(self, *lines):
        for ln in lines:
            self.bed.transcript(self.tag, "> " + ln)
        self.sock.sendall("".join(ln + "\r\n" for ln in lines).encode())

    def readline(self, cap=1 << 16):
        while b"\n" not in self.buf:
            if len(self.buf) > cap:
                raise Closed("line over %d octets" % cap)
            d = self.sock.recv(65536)
            if not d:
                raise Closed("eof")
            self.buf += d
        i = self.buf.index(b"\n")
        line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return line

    def starttls(self):
        if self.buf:
            self.ev(event="starttls-injection", bytes=len(self.buf))
            self.buf = b""
        self.sock = self.bed.ssl_ctx.wrap_socket(self.sock, server_side=True)
        self.tls = True
        self.helo = False
        self.user = None
        self.reset()
        self.ev(event="tls", version=self.sock.version(),
                sni=getattr(self.sock, "ob_sni", None))

    # -- the session
    def run(self):
        try:
            self.ev(event="connect")
            if self.implicit:
                self.starttls()
            self.hold_greeting()
            if self.profile == "microsoft":
                self.send("220 %s Microsoft ESMTP MAIL Service ready at %s"
                          % (MS_HOST, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())))
            else:
                self.send("220 smtp.gmail.com ESMTP %s - gsmtp" % self.id)
            while self.command():
                pass
        except (Closed, OSError, ssl.SSLError) as e:
            self.ev(event="close", reason=str(e))
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def hold_greeting(self):
        """No greeting while greeting_hold is set: the client has connected
        and waits, and a test acts (refreshes the token cache) before the
        client's first command."""
        if not self.bed.cfg["greeting_hold"]:
            return
        self.bed.count("greeting_held")
        self.ev(event="greeting-held")
        end = time.time() + self.bed.cfg["stall_seconds"]
        while (self.bed.cfg["greeting_hold"] and time.time() < end and
               not self.bed.stop.is_set()):
            time.sleep(0.05)
        self.ev(event="greeting-released")

    def ms(self):
        return self.profile == "microsoft"

    def command(self):
        raw = self.readline()
        line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
        self.bed.transcript(self.tag, "< " + line)
        limit = self.bed.cfg["ms_line_limit" if self.ms() else "google_line_limit"]
        if limit and len(raw) > limit:
            self.ev(event="line-too-long", length=len(raw),
                    command=line.split(" ")[0].upper())
            self.send("500 5.5.6 line too long")
            return True
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        f = getattr(self, "c_" + verb.lower(), None) if verb.isalpha() else None
        if f is None:
            if self.ms():
                self.send("500 5.3.3 Unrecognized command '%s'" % verb)
            else:
                self.send("502 5.5.1 Unrecognized command. %s - gsmtp" % self.id)
            return True
        return f(arg)

    def c_ehlo(self, arg, helo=False):
        self.helo = True
        self.reset()
        if self.ms():
            first = "%s Hello [127.0.0.1]" % MS_HOST
            ext = ["SIZE 157286400", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES"]
            ext += ["AUTH LOGIN XOAUTH2"] if self.tls else ["STARTTLS"]
            ext += ["8BITMIME", "SMTPUTF8"]
        else:
            first = "smtp.gmail.com at your service, [127.0.0.1]"
            ext = ["SIZE 35882577", "8BITMIME"]
            ext += ["AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER"] if self.tls else ["STARTTLS"]
            ext += ["ENHANCEDSTATUSCODES", "PIPELINING", "SMTPUTF8"]
        if helo:
            self.send("250 " + first)
            return True
        lines = [first] + ext
        self.send(*["250-" + x for x in lines[:-1]] + ["250 " + lines[-1]])
        return True

    def c_helo(self, arg):
        return self.c_ehlo(arg, helo=True)

    def c_starttls(self, arg):
        if self.tls:
            self.send("503 5.5.1 TLS already active")
            return True
        self.send("220 2.0.0 SMTP server ready" if self.ms()
                  else "220 2.0.0 Ready to start TLS")
        self.starttls()
        return True

    def c_noop(self, arg):
        self.send("250 2.0.0 OK")
        return True

    def c_rset(self, arg):
        self.reset()
        self.send("250 2.0.0 Resetting" if self.ms()
                  else "250 2.1.5 Flushed %s - gsmtp" % self.id)
        return True

    def c_quit(self, arg):
        self.send("221 2.0.0 Service closing transmission channel" if self.ms()
                  else "221 2.0.0 closing connection %s - gsmtp" % self.id)
        self.ev(event="quit")
        return False

    def auth_fail(self, mech, reason, user):
        """The profile's answer to a token that was refused."""
        self.bed.count("smtp_auth", reason)
        self.bed.count("smtp_auth_fail")
        if self.ms():
            self.ev(event="auth", mech=mech, user=user, result="fail", reason=reason)
            self.send("535 5.7.3 Authentication unsuccessful [%s]" % MS_HOST)
            return True
        st = {"status": "400" if mech == "XOAUTH2" else "invalid_token",
              "schemes": "Bearer", "scope": GOOGLE_SCOPE}
        self.send("334 " + base64.b64encode(json.dumps(st, separators=(",", ":")).encode()).decode())
        ans = self.readline().rstrip(b"\r\n").decode("utf-8", "replace")
        self.bed.transcript(self.tag, "< " + ans)
        ok = ans == "AQ==" or (mech == "XOAUTH2" and ans == "")
        self.ev(event="auth", mech=mech, user=user, result="fail", reason=reason,
                dummy=ans if len(ans) < 20 else ans[:20] + "...", dummy_ok=ok)
        if not ok:
            self.send("501 5.5.2 Expected %x01 (AQ==) after the error challenge")
            return True
        self.send("535-5.7.8 Username and Password not accepted. For more information, go to",
                  "535 5.7.8  https://support.google.com/mail/?p=BadCredentials %s - gsmtp" % self.id)
        return True

    def c_auth(self, arg):
        words = arg.split(" ")
        mech = words[0].upper()
        ir = words[1] if len(words) > 1 else None
        offered = ("LOGIN", "XOAUTH2") if self.ms() else ("LOGIN", "PLAIN", "XOAUTH2", "OAUTHBEARER")
        if not self.tls:
            if self.ms():
                self.send("504 5.7.4 Unrecognized authentication type [%s]" % MS_HOST)
            else:
                self.send("530 5.7.0 Must issue a STARTTLS command first. %s - gsmtp" % self.id)
            self.ev(event="auth", mech=mech, result="fail", reason="no_tls")
            return True
        if self.user is not None:
            self.send("503 5.5.1 Already authenticated")
            return True
        if mech not in offered:
            self.send("504 5.7.4 Unrecognized authentication type")
            self.ev(event="auth", mech=mech, result="fail", reason="mechanism")
            return True
        if mech in ("LOGIN", "PLAIN"):
            return self.auth_password(mech, ir)
        if ir is None:
            self.send("334 ")
            ir = self.readline().rstrip(b"\r\n").decode("utf-8", "replace")
            self.bed.transcript(self.tag, "< " + ir)
            after334 = True
        else:
            after334 = False
        if ir == "*":
            self.send("501 5.7.0 Authentication cancelled")
            self.ev(event="auth", mech=mech, result="cancelled")
            return True
        try:
            data = b"" if ir == "=" else base64.b64decode(ir, validate=True)
            data = data.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            self.send("501 5.5.2 Cannot Decode response")
            self.ev(event="auth", mech=mech, result="fail", reason="base64")
            return True
        user, tok, why = (parse_xoauth2 if mech == "XOAUTH2" else parse_oauthbearer)(data)
        f = self.bed.take_fault("smtp_auth")
        if f:
            self.ev(event="auth", mech=mech, user=user, result="fault", reply=f["kind"])
            self.send(*str(f["kind"]).split("\n"))
            return True
        with self.bed.lock:
            reason = why or self.bed.check_token(self.profile, user, tok)
        if reason:
            return self.auth_fail(mech, reason, user)
        a = self.bed.access[tok]
        self.user, self.mech = user, mech
        self.grant = a["grant"]
        self.bed.count("smtp_auth", "ok")
        self.bed.count("smtp_auth_ok")
        self.ev(event="auth", mech=mech, user=user, result="ok",
                grant=a["grant"], after334=after334)
        self.send("235 2.7.0 Authentication successful" if self.ms()
                  else "235 2.7.0 Accepted")
        return True

    def auth_password(self, mech, ir):
        if mech == "LOGIN":
            self.send("334 VXNlcm5hbWU6")
            self.bed.transcript(self.tag, "< " + self.readline().rstrip(b"\r\n").decode("utf-8", "replace"))
            self.send("334 UGFzc3dvcmQ6")
            self.bed.transcript(self.tag, "< " + self.readline().rstrip(b"\r\n").decode("utf-8", "replace"))
        elif ir is None:
            self.send("334 ")
            self.bed.transcript(self.tag, "< " + self.readline().rstrip(b"\r\n").decode("utf-8", "replace"))
        self.bed.count("smtp_auth", "password")
        self.bed.count("smtp_auth_fail")
        self.ev(event="auth", mech=mech, result="fail", reason="password")
        if self.ms():
            self.send(*self.bed.cfg["ms_login_reply"].split("\n"))
        else:
            self.send("534-5.7.9 Application-specific password required. For more information, go to",
                      "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor %s - gsmtp" % self.id)
        return True

    def c_mail(self, arg):
        if not self.helo:
            self.send("503 5.5.1 Send hello first")
            return True
        if self.user is None:
            if self.ms():
                self.send("530 5.7.57 Client not authenticated to send mail. [%s]" % MS_HOST)
            else:
                self.send("530-5.7.0 Authentication Required. For more information, go to",
                          "530 5.7.0  https://support.google.com/mail/?p=WantAuthError %s - gsmtp" % self.id)
            return True
        m = re.match(r"(?i)FROM:\s*<([^>]*)>\s*(.*)$", arg)
        if not m:
            self.send("501 5.5.4 Invalid arguments")
            return True
        if self.sender is not None:
            self.send("503 5.5.1 Sender already specified")
            return True
        self.sender, self.params = m.group(1), m.group(2).split()
        self.send("250 2.1.0 Sender OK" if self.ms()
                  else "250 2.1.0 OK %s - gsmtp" % self.id)
        return True

    def c_rcpt(self, arg):
        if self.sender is None:
            self.send("503 5.5.1 Need mail command")
            return True
        m = re.match(r"(?i)TO:\s*<([^>]+)>", arg)
        if not m:
            self.send("501 5.5.4 Invalid arguments")
            return True
        if m.group(1).lower().startswith("reject"):
            self.send("550 5.1.1 Recipient address rejected: user unknown")
            return True
        self.rcpts.append(m.group(1))
        self.send("250 2.1.5 Recipient OK" if self.ms()
                  else "250 2.1.5 OK %s - gsmtp" % self.id)
        return True

    def c_data(self, arg):
        if not self.rcpts:
            self.send("503 5.5.1 Need rcpt command")
            return True
        self.send("354 Start mail input; end with <CRLF>.<CRLF>" if self.ms()
                  else "354 Go ahead %s - gsmtp" % self.id)
        data = bytearray()
        while True:
            ln = self.readline()
            if ln in (b".\r\n", b".\n"):
                break
            if ln.startswith(b"."):
                ln = ln[1:]
            data += ln
            if len(data) > 64 << 20:
                raise Closed("message too large")
        with self.bed.lock:
            self.bed.msgn += 1
            n = self.bed.msgn
            self.bed.counts["messages"] += 1
        base = os.path.join(self.bed.mail, "%06d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        with open(base + ".env", "w") as f:
            f.write("profile %s\nport %d\ntls %s\nuser %s\nmech %s\ngrant %s\nsender %s\n"
                    % (self.profile, self.port, "implicit" if self.implicit else "starttls",
                       self.user, self.mech, self.grant, self.sender))
            for p in self.params:
                f.write("param %s\n" % p)
            for r in self.rcpts:
                f.write("recipient %s\n" % r)
        os.rename(base + ".eml.tmp", base + ".eml")
        self.ev(event="message", n=n, size=len(data), sender=self.sender,
                rcpts=self.rcpts, user=self.user)
        self.bed.save()
        self.reset()
        if self.ms():
            self.send("250 2.0.0 OK <%s@%s> [Hostname=%s]" % (self.id, MS_HOST, MS_HOST))
        else:
            self.send("250 2.0.0 OK  %d %s - gsmtp" % (time.time(), self.id))
        return True


def parse_xoauth2(s):
    """(user, token, None) or (user, None, reason)"""
    if not s.endswith("\x01\x01"):
        return None, None, "malformed"
    kv = dict(x.partition("=")[::2] for x in s[:-2].split("\x01"))
    user, auth = kv.get("user"), kv.get("auth", "")
    if not user or not auth.lower().startswith("bearer "):
        return user, None, "malformed"
    return user, auth[7:], None


def parse_oauthbearer(s):
    """RFC 7628 3.1: gs2-header kvsep *(kvpair kvsep) kvsep"""
    m = re.match(r"^([ny]),(?:a=([^,]*))?,\x01", s)
    if not m or not s.endswith("\x01\x01"):
        return None, None, "malformed"
    user = (m.group(2) or "").replace("=2C", ",").replace("=3D", "=") or None
    kv = {}
    for x in s[m.end():-2].split("\x01"):
        k, eq, v = x.partition("=")
        if not eq or not re.fullmatch(r"[A-Za-z]+", k):
            return user, None, "malformed"
        kv[k] = v
    auth = kv.get("auth", "")
    if not user or not auth.lower().startswith("bearer "):
        return user, None, "malformed"
    return user, auth[7:], None


def smtp_listener(bed, profile, lsock, implicit):
    port = lsock.getsockname()[1]

    def conn(s):
        s.settimeout(60)
        SMTPConn(bed, profile, s, implicit, port).run()
    while not bed.stop.is_set():
        try:
            s, _ = lsock.accept()
        except OSError:
            continue
        threading.Thread(target=conn, args=(s,), daemon=True).start()


# --------------------------------------------------------------------------
# Control


class CtlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, obj):
        b = (json.dumps(obj, indent=1) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        bed = self.server.bed
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/state":
            self.answer(200, bed.state())
        elif u.path == "/log":
            start = int(q.get("from", 1))
            with open(os.path.join(bed.dir, "requests.log")) as f:
                lines = [json.loads(x) for x in f]
            self.answer(200, [x for x in lines if x["n"] >= start])
        else:
            self.answer(404, {"error": "unknown"})

    def do_POST(self):
        bed = self.server.bed
        n = int(self.headers.get("Content-Length") or 0)
        try:
            a = json.loads(self.rfile.read(n) or b"{}")
            cmd = urllib.parse.urlsplit(self.path).path.strip("/")
            f = getattr(self, "cmd_" + cmd, None)
            if f is None:
                raise ValueError("unknown command %s" % cmd)
            bed.log({"kind": "ctl", "cmd": cmd, "args": a})
            if cmd == "browse":
                # Not under the lock: the loopback listener it calls
                # will ask the token endpoint.
                r = f(bed, a)
            else:
                with bed.lock:
                    r = f(bed, a)
            bed.save()
            self.answer(200, r)
        except (ValueError, KeyError, TypeError) as e:
            self.answer(400, {"error": str(e)})

    def cmd_set(self, bed, a):
        for k, v in a.items():
            if k not in CONFIG_DEFAULTS:
                raise ValueError("unknown setting %s" % k)
            bed.cfg[k] = coerce(CONFIG_DEFAULTS[k], v)
        return {"config": bed.cfg}

    def cmd_fault(self, bed, a):
        f = {"kind": str(a["kind"]), "count": int(a.get("count", 1)),
             "target": a.get("target", "token"), "seconds": a.get("seconds")}
        if f["target"] not in ("token", "device", "authorize", "any", "smtp_auth"):
            raise ValueError("bad target %s" % f["target"])
        bed.faults.append(f)
        return {"faults": bed.faults}

    def cmd_clear_faults(self, bed, a):
        bed.faults.clear()
        return {"faults": []}

    def pick_device(self, bed, a):
        c = [d for d in bed.devices.values() if d["state"] == "pending" and
             a.get("user_code") in (None, d["user_code"])]
        if not c:
            raise ValueError("no pending device code")
        return c[-1]

    def cmd_approve(self, bed, a):
        d = self.pick_device(bed, a)
        d["state"], d["user"] = "approved", a.get("user") or bed.env["OB_USER"]
        return {"user_code": d["user_code"], "user": d["user"]}

    def cmd_deny(self, bed, a):
        d = self.pick_device(bed, a)
        d["state"] = "denied"
        return {"user_code": d["user_code"]}

    def cmd_mint(self, bed, a):
        prof = a.get("profile", "microsoft")
        sc = scopes(a.get("scope") or (MS_SCOPE if prof == "microsoft" else GOOGLE_SCOPE))
        t = bed.new_refresh(prof, a.get("user") or bed.env["OB_USER"], sc,
                            a.get("client_id") or bed.env["OB_CLIENT_ID"])
        return {"refresh_token": t}

    def cmd_revoke(self, bed, a):
        n = 0
        if "refresh_token" in a:
            r = bed.refresh[a["refresh_token"]]
            r["state"] = "revoked"
            n = 1
        if a.get("access") == "all":
            for t in bed.access.values():
                if a.get("user") in (None, t["user"]):
                    if a.get("how", "revoke") == "expire":
                        t["expires"] = min(t["expires"], time.time())
                    else:
                        t["revoked"] = True
                    n += 1
        return {"changed": n}

    def cmd_browse(self, bed, a):
        u = urllib.parse.urlsplit(a["url"])
        m = MS_PATH.match(u.path)
        style = "ms" if m else "google" if G_PATHS.get(u.path) == "authorize" else None
        if style is None or (m and m.group(2) != "authorize"):
            raise ValueError("not an authorization URL of this bed: %s" % a["url"])
        q, _ = parse_form(u.query)
        with bed.lock:
            bed.count("authorize")
            r = bed.authorize(style, q, user=a.get("user"),
                              deny=a.get("deny"))
        loc = dict(r.headers).get("Location")
        out = {"authorize_status": r.status, "location": loc}
        bed.log({"kind": "browse", "params": q, "status": r.status,
                 "location": loc})
        if loc and a.get("fetch", True):
            try:
                with urllib.request.urlopen(loc, timeout=20) as resp:
                    out.update(status=resp.status,
                               body=resp.read(4096).decode("utf-8", "replace"))
            except urllib.error.HTTPError as e:
                out.update(status=e.code, body=e.read(4096).decode("utf-8", "replace"))
            except (OSError, urllib.error.URLError) as e:
                out.update(status=None, error=str(e))
        return out


def coerce(default, v):
    if isinstance(default, bool):
        if isinstance(v, str):
            return v.lower() in ("1", "true", "yes", "on")
        return bool(v)
    if isinstance(default, int):
        return int(v)
    if isinstance(default, float):
        return float(v)
    return str(v)


def typed(v):
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    if re.fullmatch(r"-?\d+\.\d*", v):
        return float(v)
    if v in ("true", "false"):
        return v == "true"
    return v


# --------------------------------------------------------------------------
# Start-up


def make_tls(d):
    t = os.path.join(d, "tls")
    os.makedirs(t, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ca, cak = os.path.join(t, "ca.crt"), os.path.join(t, "ca.key")
    openssl("req", "-x509", *ec, "-keyout", cak, "-out", ca, "-days", "3650",
            "-subj", "/O=posta oauthbed/CN=oauthbed test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    crt, key = os.path.join(t, "server.crt"), os.path.join(t, "server.key")
    csr, ext = os.path.join(t, "server.csr"), os.path.join(t, "server.ext")
    san = "DNS:localhost,IP:127.0.0.1"
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % san)
    openssl("req", "-new", *ec, "-keyout", key, "-out", csr,
            "-subj", "/CN=localhost", "-addext", "subjectAltName=" + san)
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cak,
            "-CAcreateserial", "-days", "825", "-extfile", ext, "-out", crt)
    return crt, key, ca


def write_sa_key(path, pem, url, email):
    key = {"type": "service_account", "project_id": "posta-oauthbed",
           "private_key_id": secrets.token_hex(20), "private_key": pem,
           "client_email": email, "client_id": str(secrets.randbelow(10**21) + 10**20),
           "auth_uri": url + "/o/oauth2/auth", "token_uri": url + "/token",
           "auth_provider_x509_cert_url": url + "/oauth2/v1/certs",
           "client_x509_cert_url": url + "/robot/v1/metadata/x509/" + urllib.parse.quote(email),
           "universe_domain": "googleapis.com"}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(key, f, indent=2)
        f.write("\n")


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def serve(a):
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    for f in ("ready", "oauthbed.env"):
        try:
            os.unlink(os.path.join(d, f))
        except FileNotFoundError:
            pass
    cfg = dict(CONFIG_DEFAULTS)
    for kv in a.set or []:
        k, eq, v = kv.partition("=")
        if not eq or k not in CONFIG_DEFAULTS:
            sys.exit("oauthbed: bad --set %s (keys: %s)" % (kv, " ".join(CONFIG_DEFAULTS)))
        cfg[k] = coerce(CONFIG_DEFAULTS[k], v)
    # The service-account keys take longest: start them first.
    # A key already in DIR (a restart) is kept.
    keys = {}
    for name in ("sa", "sa-bad"):
        p = os.path.join(d, name + ".pem")
        if os.path.exists(p):
            keys[name] = (p, subprocess.Popen(["true"], stderr=subprocess.PIPE))
            continue
        keys[name] = (p, subprocess.Popen(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
             "rsa_keygen_bits:2048", "-out", p],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    if a.cert:
        crt, key, ca = a.cert, a.key, a.ca
    else:
        crt, key, ca = make_tls(d)
    bed = Bed(d, cfg)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(crt, key)

    def sni(sock, name, c):
        try:
            sock.ob_sni = name
        except AttributeError:
            pass
    ctx.sni_callback = sni
    bed.ssl_ctx = ctx

    https = TLSServer(("127.0.0.1", 0), Handler)
    https.ssl_ctx, https.bed = ctx, bed
    ctl = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CtlHandler)
    ctl.daemon_threads = True
    ctl.bed = bed
    smtp = {k: listen() for k in ("ms", "mss", "g", "gs")}
    hp, cp = https.server_address[1], ctl.server_address[1]
    url = "https://localhost:%d" % hp
    t = cfg["tenant"]
    env = {
        "OB_DIR": d, "OB_ENV": os.path.join(d, "oauthbed.env"),
        "OB_PID": str(os.getpid()), "OB_HOST": "localhost", "OB_CA": ca,
        "OB_URL": url, "OB_HTTPS_PORT": str(hp), "OB_CTL_PORT": str(cp),
        "OB_TENANT": t,
        "OB_MS_TOKEN_URL": "%s/%s/oauth2/v2.0/token" % (url, t),
        "OB_MS_DEVICE_URL": "%s/%s/oauth2/v2.0/devicecode" % (url, t),
        "OB_MS_AUTH_URL": "%s/%s/oauth2/v2.0/authorize" % (url, t),
        "OB_GOOGLE_TOKEN_URL": url + "/token",
        "OB_GOOGLE_DEVICE_URL": url + "/device/code",
        "OB_GOOGLE_AUTH_URL": url + "/o/oauth2/v2/auth",
        "OB_MS_SCOPE": MS_SCOPE, "OB_MS_APP_SCOPE": MS_APP_SCOPE,
        "OB_GOOGLE_SCOPE": GOOGLE_SCOPE,
        "OB_CLIENT_ID": str(uuid.uuid4()),
        "OB_CLIENT_SECRET": "Cs8Q~" + rand(35),
        "OB_KEY_FILE": os.path.join(d, "sa.json"),
        "OB_BAD_KEY_FILE": os.path.join(d, "sa-bad.json"),
        "OB_SA_EMAIL": "posta-relay@posta-oauthbed.iam.gserviceaccount.com",
        "OB_USER": "mailbox@oauthbed.test", "OB_USER2": "other@oauthbed.test",
        "OB_SMTP_MS_PORT": str(smtp["ms"].getsockname()[1]),
        "OB_SMTPS_MS_PORT": str(smtp["mss"].getsockname()[1]),
        "OB_SMTP_GOOGLE_PORT": str(smtp["g"].getsockname()[1]),
        "OB_SMTPS_GOOGLE_PORT": str(smtp["gs"].getsockname()[1]),
        "OB_MAIL": bed.mail, "OB_LOG": os.path.join(d, "requests.log"),
        "OB_STATE": os.path.join(d, "state.json"),
        "OB_SECRETS": os.path.join(d, "secrets.txt"),
        "OB_TRANSCRIPT": os.path.join(d, "smtp.transcript"),
    }
    bed.env = env
    bed.secret(env["OB_CLIENT_SECRET"])
    for name, (p, proc) in keys.items():
        if proc.wait(timeout=60) != 0:
            sys.exit("oauthbed: openssl genpkey: %s" % proc.stderr.read().decode())
        with open(p) as f:
            pem = f.read()
        for ln in pem.splitlines():
            if not ln.startswith("-----"):
                bed.secret(ln)
        write_sa_key(os.path.join(d, name + ".json"), pem, url, env["OB_SA_EMAIL"])
    bed.sa_pub = rsa_public(keys["sa"][0])
    env["OB_MS_REFRESH"] = bed.new_refresh("microsoft", env["OB_USER"],
                                           scopes(MS_SCOPE), env["OB_CLIENT_ID"])
    env["OB_GOOGLE_REFRESH"] = bed.new_refresh("google", env["OB_USER"],
                                               scopes(GOOGLE_SCOPE), env["OB_CLIENT_ID"])
    bed.save()

    signal.signal(signal.SIGTERM, lambda *x: os._exit(0))
    signal.signal(signal.SIGINT, lambda *x: os._exit(0))
    for srv in (https, ctl):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    for k, prof, imp in (("ms", "microsoft", False), ("mss", "microsoft", True),
                         ("g", "google", False), ("gs", "google", True)):
        threading.Thread(target=smtp_listener, args=(bed, prof, smtp[k], imp),
                         daemon=True).start()
    with open(os.path.join(d, "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    with open(env["OB_ENV"] + ".tmp", "w") as f:
        f.write("# oauthbed.py test bed: source this file (sh).\n")
        for k, v in env.items():
            f.write("export %s=%s\n" % (k, shlex.quote(v)))
    os.replace(env["OB_ENV"] + ".tmp", env["OB_ENV"])
    with open(os.path.join(d, "ready"), "w") as f:
        f.write("ready\n")
    bed.log({"kind": "start", "env": env})
    while True:
        time.sleep(3600)


# --------------------------------------------------------------------------
# Command-line clients


def ctl_main(a):
    port = a.target
    if not port.isdigit():
        with open(port) as f:
            port = re.search(r"^export OB_CTL_PORT=(\d+)", f.read(), re.M).group(1)
    base = "http://127.0.0.1:%s" % port
    args = {}
    for kv in a.args:
        k, eq, v = kv.partition("=")
        if not eq:
            sys.exit("oauthbed ctl: KEY=VALUE expected, got %s" % kv)
        args[k] = typed(v)
    try:
        if a.command in ("state", "get"):
            with urllib.request.urlopen(base + "/state", timeout=20) as r:
                out = json.load(r)
            if a.command == "get":
                for k in a.path.split("."):
                    out = out[int(k)] if isinstance(out, list) else out.get(k, 0)
        elif a.command == "log":
            with urllib.request.urlopen(base + "/log?from=%d" % int(args.get("from", 1)), timeout=20) as r:
                out = json.load(r)
        else:
            req = urllib.request.Request(base + "/" + a.command, method="POST",
                                         data=json.dumps(args).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                out = json.load(r)
    except urllib.error.HTTPError as e:
        sys.stderr.write("oauthbed ctl: %s\n" % e.read().decode(errors="replace").strip())
        return 1
    if isinstance(out, (str, int, float)) and not isinstance(out, bool):
        print(out)
    else:
        print(json.dumps(out, indent=1))
    return 0


def jwt_main(a):
    with open(a.keyfile) as f:
        key = json.load(f)
    now = int(time.time())
    claims = {"iss": key["client_email"], "scope": GOOGLE_SCOPE,
              "aud": key["token_uri"], "iat": now, "exp": now + 3600}
    for kv in a.claims:
        k, _, v = kv.partition("=")
        m = re.fullmatch(r"now([+-]\d+)?", v)
        claims[k] = now + int(m.group(1) or 0) if m else typed(v)
        if v == "":
            del claims[k]
    hdr = dict((kv.partition("=")[0], kv.partition("=")[2]) for kv in a.header or [])
    print(sign_jwt(a.keyfile, claims, hdr))
    return 0


def main():
    ap = argparse.ArgumentParser(description="offline OAuth 2.0 + SMTP test bed")
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--ca")
    s.add_argument("--set", action="append", metavar="KEY=VALUE")
    c = sub.add_parser("ctl")
    c.add_argument("target", help="control port or oauthbed.env")
    c.add_argument("command")
    c.add_argument("args", nargs="*")
    j = sub.add_parser("jwt")
    j.add_argument("keyfile")
    j.add_argument("claims", nargs="*", help="CLAIM=VALUE (now, now+N, now-N; empty drops it)")
    j.add_argument("--header", action="append")
    a = ap.parse_args()
    if a.mode == "serve":
        if bool(a.cert) != bool(a.key) or bool(a.cert) != bool(a.ca):
            ap.error("--cert, --key and --ca go together")
        serve(a)
    elif a.mode == "ctl":
        if a.command == "get":
            if not a.args:
                ap.error("get PATH")
            a.path = a.args.pop(0)
        sys.exit(ctl_main(a))
    else:
        sys.exit(jwt_main(a))


if __name__ == "__main__":
    main()
