#!/bin/sh
# The OAuth test bed itself (tests/lib/oauthbed.py), driven with Python's
# urllib, http.client and smtplib, not posta: every grant (refresh_token
# with rotation, client_credentials, jwt-bearer with its signature checked,
# authorization_code with PKCE through a loopback listener, device_code with
# pending, slow_down, expiry, approval and denial), both error styles,
# expiry of access tokens, the fault queue, chunked and Content-Length
# replies, both SMTP profiles (512-octet rule, XOAUTH2 after an empty 334,
# the OAUTHBEARER error challenge answered by AQ==), stored messages,
# counters, the request log, the secrets list and start/stop as a command.
# If this fails, every OAuth test of posta is suspect.
. "$(dirname "$0")/../lib/common.sh"
# posta does not run here: under make check-sanitize there is nothing
# for ASan to watch, and make check has run this already
sanitized && skip "checks the test bed, not posta (make check runs it)"
. "$LIB/oauthbed.sh"

t0=$(date +%s)
ob_start --set device_interval=1 --set slow_down_step=1
[ -r "$OB_KEY_FILE" ] || fail "no key file"
[ "$(stat -c %a "$OB_KEY_FILE")" = 600 ] || fail "key file mode $(stat -c %a "$OB_KEY_FILE")"
[ -d "/proc/$OB_PID" ] || fail "OB_PID $OB_PID is not running"

# --- everything else from Python ---------------------------------------------
LIB=$LIB T=$T "$PY" - <<'PYEOF' || fail "python self-check failed"
import base64, hashlib, http.client, http.server, json, os, re, smtplib
import socket, ssl, sys, threading, time, urllib.error, urllib.parse
import urllib.request
sys.path.insert(0, os.environ["LIB"])
import oauthbed

E = os.environ
CTX = ssl.create_default_context(cafile=E["OB_CA"])
USER, USER2 = E["OB_USER"], E["OB_USER2"]
CID, SEC = E["OB_CLIENT_ID"], E["OB_CLIENT_SECRET"]
MS_TOK, G_TOK = E["OB_MS_TOKEN_URL"], E["OB_GOOGLE_TOKEN_URL"]
asked = {}   # token requests made here, per grant
got = []     # every token and code received
checks = 0


def ok(cond, what):
    global checks
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    checks += 1


def post(url, form, basic=None, ctype="application/x-www-form-urlencoded",
         timeout=10, count=True):
    """(status, parsed JSON or raw bytes, headers)"""
    gt = (dict(urllib.parse.parse_qsl(form.decode())) if isinstance(form, bytes)
          else form).get("grant_type")
    g = oauthbed.GRANT_NAMES.get(gt, gt)
    if ctype != "application/x-www-form-urlencoded":
        g = "none"   # the bed reads no parameters from such a body
    if count and url.endswith("/token"):
        asked[g] = asked.get(g, 0) + 1
    h = {"Content-Type": ctype}
    if basic:
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % basic).encode()).decode()
    data = form if isinstance(form, bytes) else urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(url, data=data, headers=h)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=timeout) as r:
            st, body, hd = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        st, body, hd = e.code, e.read(), e.headers
    try:
        body = json.loads(body)
    except ValueError:
        pass
    if isinstance(body, dict):
        for k in ("access_token", "refresh_token"):
            if k in body:
                got.append(body[k])
    return st, body, hd


def ctl(cmd, **kv):
    req = urllib.request.Request("http://127.0.0.1:%s/%s" % (E["OB_CTL_PORT"], cmd),
                                 data=json.dumps(kv).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def state():
    with urllib.request.urlopen("http://127.0.0.1:%s/state" % E["OB_CTL_PORT"], timeout=10) as r:
        return json.load(r)


def ms_err(st, b, status, error, code):
    ok(st == status, "%s: status %s, want %s: %s" % (error, st, status, b))
    ok(isinstance(b, dict) and b.get("error") == error, "error %s, want %s" % (b, error))
    ok(b["error_codes"] == [code], "error_codes %s, want [%d]" % (b["error_codes"], code))
    ok(b["error_description"].startswith("AADSTS%d: " % code), "description %r" % b["error_description"])
    ok("\r\nTrace ID: " in b["error_description"], "no Trace ID line")
    for k in ("timestamp", "trace_id", "correlation_id"):
        ok(k in b, "no %s in %s" % (k, b))


def g_err(st, b, status, error, desc=None):
    ok(st == status, "%s: status %s, want %s: %s" % (error, st, status, b))
    ok(isinstance(b, dict) and b.get("error") == error, "error %s, want %s" % (b, error))
    if desc:
        ok(desc in b.get("error_description", ""), "description %r, want %r" % (b, desc))


def b64(s):
    return base64.b64encode(s.encode()).decode()


def xoauth2(user, tok):
    return b64("user=%s\x01auth=Bearer %s\x01\x01" % (user, tok))


def oauthbearer(user, tok, port):
    return b64("n,a=%s,\x01host=localhost\x01port=%d\x01auth=Bearer %s\x01\x01" % (user, port, tok))


def smtp(profile, implicit=False):
    port = int(E["OB_SMTP%s_%s_PORT" % ("S" if implicit else "",
                                         "MS" if profile == "ms" else "GOOGLE")])
    if implicit:
        s = smtplib.SMTP_SSL("localhost", port, context=CTX, timeout=10)
    else:
        s = smtplib.SMTP("localhost", port, timeout=10)
        s.ehlo("selfcheck.test")
        ok("starttls" in s.esmtp_features and "auth" not in s.esmtp_features,
           "%s: EHLO before TLS: %s" % (profile, s.esmtp_features))
        s.starttls(context=CTX)
    s.ehlo("selfcheck.test")
    s.port_ = port
    return s


def auth_ms(user, tok, implicit=False):
    """XOAUTH2 the Microsoft way: empty 334, then the response."""
    s = smtp("ms", implicit)
    c, m = s.docmd("AUTH", "XOAUTH2")
    ok(c == 334 and m == b"", "AUTH XOAUTH2: %s %s" % (c, m))
    return s, s.docmd(xoauth2(user, tok))


def g_fail(s, c, m, mech, answer="AQ=="):
    """The Google error challenge, answered."""
    ok(c == 334, "%s failure: %s %s, want the error challenge" % (mech, c, m))
    st = json.loads(base64.b64decode(m))
    ok(st["status"] == ("400" if mech == "XOAUTH2" else "invalid_token") and
       st["scope"] == E["OB_GOOGLE_SCOPE"], "challenge %s" % st)
    return s.docmd(answer)


def send(s, rcpt, body):
    s.sendmail(USER, [rcpt], body)
    s.quit()


T0 = time.time()

# --- the control interface ---------------------------------------------------
ok(state()["counts"]["token"] == 0, "token requests at start")
ok(ctl("set", expires_in=3600)["config"]["expires_in"] == 3600, "ctl set")
try:
    ctl("set", no_such_key=1)
    ok(False, "ctl set accepted an unknown key")
except urllib.error.HTTPError as e:
    ok(e.code == 400, "ctl set no_such_key: %s" % e.code)

# --- HTTPS basics ----------------------------------------------------------
try:
    urllib.request.urlopen(MS_TOK, context=CTX, timeout=5)
    ok(False, "GET on the token endpoint succeeded")
except urllib.error.HTTPError as e:
    ms_err(e.code, json.loads(e.read()), 405, "invalid_request", 900561)
bad = MS_TOK.replace(E["OB_TENANT"], "nosuch.onmicrosoft.com")
st, b, _ = post(bad, {"grant_type": "client_credentials"})
ms_err(st, b, 400, "invalid_request", 90002)
st, b, _ = post(MS_TOK, {"grant_type": "client_credentials"}, ctype="text/plain")
ms_err(st, b, 400, "invalid_request", 900144)
st, b, _ = post(MS_TOK.replace(E["OB_TENANT"], "organizations"),
                {"grant_type": "client_credentials", "client_id": CID})
ms_err(st, b, 401, "invalid_client", 7000218)
other = ssl.create_default_context()   # the system store does not know the test CA
try:
    urllib.request.urlopen(urllib.request.Request(MS_TOK, data=b"x=1"), context=other, timeout=5)
    ok(False, "the token endpoint verified against the system store")
except urllib.error.URLError as e:
    ok("CERTIFICATE_VERIFY_FAILED" in str(e), "unexpected %s" % e)

# --- client_credentials ------------------------------------------------------
APP = E["OB_MS_APP_SCOPE"]
st, b, _ = post(MS_TOK, {"grant_type": "client_credentials", "client_id": CID,
                         "client_secret": "wrong", "scope": APP})
ms_err(st, b, 401, "invalid_client", 7000215)
st, b, _ = post(MS_TOK, {"grant_type": "client_credentials", "client_id": CID,
                         "client_secret": SEC, "scope": "https://outlook.office.com/SMTP.Send"})
ms_err(st, b, 400, "invalid_scope", 1002012)
st, b, _ = post(MS_TOK, {"grant_type": "client_credentials", "client_id": "nobody",
                         "client_secret": SEC, "scope": APP})
ms_err(st, b, 400, "unauthorized_client", 700016)
st, b, _ = post(MS_TOK, {"grant_type": "client_credentials", "client_secret": SEC,
                         "scope": APP}, basic=(CID, SEC))
ms_err(st, b, 400, "invalid_request", 90023)
st, b, _ = post(MS_TOK, ("grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s&scope=%s"
                         % (CID, SEC, APP, APP)).encode())
ms_err(st, b, 400, "invalid_request", 90014)
st, b, _ = post(G_TOK, {"grant_type": "client_credentials", "client_id": CID,
                        "client_secret": SEC, "scope": APP})
g_err(st, b, 400, "unsupported_grant_type")
st, b, h = post(MS_TOK, {"grant_type": "client_credentials", "scope": APP}, basic=(CID, SEC))
ok(st == 200 and b["token_type"] == "Bearer" and b["expires_in"] == 3600 and
   b["ext_expires_in"] == 3600 and "refresh_token" not in b, "client_credentials: %s" % b)
ok(len(b["access_token"]) == 2200, "Microsoft token length %d" % len(b["access_token"]))
ok(h["Content-Length"] == str(len(json.dumps(b, separators=(",", ":")))) and
   not h["Transfer-Encoding"], "Microsoft replies carry Content-Length: %s" % h)
APPTOK = b["access_token"]

# --- Microsoft SMTP ------------------------------------------------------------
s = smtplib.SMTP("localhost", int(E["OB_SMTP_MS_PORT"]), timeout=10)
s.ehlo("x")
c, m = s.docmd("AUTH", "XOAUTH2")
ok(c == 504, "AUTH before STARTTLS: %s %s" % (c, m))
s.close()
s = smtp("ms")
ok(s.esmtp_features["auth"].strip() == "LOGIN XOAUTH2", "ms AUTH: %s" % s.esmtp_features)
c, m = s.docmd("MAIL", "FROM:<%s>" % USER)
ok(c == 530 and b"5.7.57" in m, "MAIL before AUTH: %s %s" % (c, m))
line = "AUTH XOAUTH2 " + xoauth2(USER, APPTOK)
ok(len(line) > 510, "the initial response fits one line (%d)" % len(line))
c, m = s.docmd(line)
ok(c == 500 and m == b"5.5.6 line too long", "long AUTH line: %s %s" % (c, m))
c, m = s.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, "short-unknown-token"))
ok(c == 535 and m.startswith(b"5.7.3 Authentication unsuccessful"), "unknown token: %s %s" % (c, m))
c, m = s.docmd("AUTH", "LOGIN")
ok(c == 334, "LOGIN: %s" % c)
s.docmd(b64(USER))
c, m = s.docmd(b64("password"))
ok(c == 535 and b"5.7.139" in m, "LOGIN on Microsoft: %s %s" % (c, m))
c, m = s.docmd("AUTH", "PLAIN")
ok(c == 504, "PLAIN on Microsoft: %s %s" % (c, m))
c, m = s.docmd("AUTH", "XOAUTH2")
ok(c == 334 and m == b"", "AUTH XOAUTH2 challenge: %s %r" % (c, m))
c, m = s.docmd(xoauth2(USER, APPTOK))
ok(c == 235, "XOAUTH2 after 334 with the app token: %s %s" % (c, m))
msg = ("From: %s\r\nTo: to@dest.test\r\nSubject: ms\r\n\r\n.leading dot\r\n..two\r\nend\r\n" % USER)
send(s, "to@dest.test", msg)
s, (c, m) = auth_ms(USER2, APPTOK, implicit=True)
ok(c == 235, "app token for another mailbox on implicit TLS: %s %s" % (c, m))
c, m = s.docmd("MAIL", "FROM:<%s>" % USER2)
c, m = s.docmd("RCPT", "TO:<reject-me@dest.test>")
ok(c == 550, "reject* recipient: %s" % c)
s.close()
s, (c, m) = auth_ms("stranger@elsewhere.test", APPTOK)
ok(c == 535, "app token for a mailbox it has no permission on: %s" % c)
s.close()

# --- refresh_token: rotation -------------------------------------------------
RT0 = E["OB_MS_REFRESH"]
ok(len(RT0) == 1400, "Microsoft refresh token length %d" % len(RT0))
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT0,
                         "scope": E["OB_MS_SCOPE"]})
ok(st == 200 and b["refresh_token"] != RT0 and len(b["refresh_token"]) == 1400 and
   "SMTP.Send" in b["scope"], "refresh: %s %s" % (st, b))
RT1, AT1 = b["refresh_token"], b["access_token"]
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT0})
ms_err(st, b, 400, "invalid_grant", 70000)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT1,
                         "scope": "https://graph.microsoft.com/Mail.Read offline_access"})
ms_err(st, b, 400, "invalid_scope", 70011)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT1,
                         "client_secret": "wrong"})
ms_err(st, b, 401, "invalid_client", 7000215)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": "0.Anonsense"})
ms_err(st, b, 400, "invalid_grant", 9002313)
st, b, _ = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": SEC,
                        "refresh_token": RT1})
g_err(st, b, 400, "invalid_grant", "Bad Request")
sr = {r["token"]: r["state"] for r in state()["refresh"]}
ok(sr[RT0] == "rotated" and sr[RT1] == "current", "refresh states %s %s" % (sr[RT0], sr[RT1]))
s, (c, m) = auth_ms(USER, AT1)
ok(c == 235, "refreshed token: %s %s" % (c, m))
s.close()
s, (c, m) = auth_ms(USER2, AT1)
ok(c == 535, "delegated token for another mailbox: %s" % c)
s.close()
# Single use under a race: 10 concurrent refreshes of one token, one wins.
res = []
def race():
    res.append(post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT1}))
ths = [threading.Thread(target=race) for _ in range(10)]
[t.start() for t in ths]
[t.join() for t in ths]
wins = [b for st, b, _ in res if st == 200]
ok(len(wins) == 1 and sum(1 for st, b, _ in res if b.get("error") == "invalid_grant") == 9,
   "10 concurrent refreshes: %s" % [st for st, b, _ in res])
RT2 = wins[0]["refresh_token"]

# --- Google: refresh without rotation, both SASL mechanisms ------------------
GRT = E["OB_GOOGLE_REFRESH"]
st, b, _ = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": GRT})
g_err(st, b, 400, "invalid_request", "client_secret is missing.")
st, b, h = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": SEC,
                        "refresh_token": GRT})
ok(st == 200 and "refresh_token" not in b and b["access_token"].startswith("ya29.") and
   len(b["access_token"]) == 220 and b["scope"] == E["OB_GOOGLE_SCOPE"], "google refresh: %s" % b)
ok(h["Transfer-Encoding"] == "chunked" and not h["Content-Length"], "Google replies are chunked: %s" % h)
GAT = b["access_token"]
st, b, _ = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": SEC,
                        "refresh_token": GRT})
ok(st == 200, "a Google refresh token does not rotate: %s" % b)
st, b, _ = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": "nope",
                        "refresh_token": GRT})
g_err(st, b, 401, "invalid_client", "Unauthorized")
s = smtplib.SMTP("localhost", int(E["OB_SMTP_GOOGLE_PORT"]), timeout=10)
s.ehlo("x")
c, m = s.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, GAT))
ok(c == 530, "Google AUTH before STARTTLS: %s" % c)
s.close()
s = smtp("google")
ok(s.esmtp_features["auth"].strip() == "LOGIN PLAIN XOAUTH2 OAUTHBEARER", "google AUTH: %s" % s.esmtp_features)
c, m = s.docmd("MAIL", "FROM:<%s>" % USER)
ok(c == 530, "MAIL before AUTH on Google: %s" % c)
c, m = s.docmd("AUTH", "OAUTHBEARER " + oauthbearer(USER, "ya29.bogus", s.port_))
c, m = g_fail(s, c, m, "OAUTHBEARER")
ok(c == 535 and b"5.7.8" in m and b"\n" in m, "OAUTHBEARER failure after AQ==: %s %s" % (c, m))
c, m = s.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, "ya29.bogus"))
c, m = g_fail(s, c, m, "XOAUTH2", "")
ok(c == 535, "XOAUTH2 failure after an empty line: %s %s" % (c, m))
c, m = s.docmd("AUTH", "OAUTHBEARER " + oauthbearer(USER, "ya29.bogus", s.port_))
c, m = g_fail(s, c, m, "OAUTHBEARER", "Kg==")
ok(c == 501, "OAUTHBEARER challenge answered with something else: %s %s" % (c, m))
c, m = s.docmd("AUTH", "PLAIN " + b64("\0%s\0pw" % USER))
ok(c == 534 and b"5.7.9" in m, "PLAIN on Google: %s %s" % (c, m))
c, m = s.docmd("AUTH", "OAUTHBEARER " + oauthbearer(USER2, GAT, s.port_))
c, m = g_fail(s, c, m, "OAUTHBEARER")
ok(c == 535, "Google token for another mailbox: %s" % c)
c, m = s.docmd("AUTH", "OAUTHBEARER")
ok(c == 334 and m == b"", "OAUTHBEARER without initial response: %s %r" % (c, m))
c, m = s.docmd(oauthbearer(USER, GAT, s.port_))
ok(c == 235, "OAUTHBEARER: %s %s" % (c, m))
send(s, "g@dest.test", "Subject: google\r\n\r\nhello\r\n")
s = smtp("google", implicit=True)
c, m = s.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, GAT))
ok(c == 235, "XOAUTH2 on implicit TLS: %s %s" % (c, m))
s.close()
s = smtp("google")
c, m = s.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, AT1))
c, m = g_fail(s, c, m, "XOAUTH2", "")
ok(c == 535, "a Microsoft token on Google: %s" % c)
s.close()

# --- expiry (Microsoft and Google), refresh-token lifetime ----------------------
# 5 s: long enough for one SMTP session on a loaded machine, which uses the
# Microsoft token at once; then wait until both are surely past it
ctl("set", expires_in=5)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT2})
ok(st == 200 and b["expires_in"] == 5, "short-lived token: %s" % b)
RT3, SHORT = b["refresh_token"], b["access_token"]
s, (c, m) = auth_ms(USER, SHORT)
ok(c == 235, "fresh short-lived token: %s" % c)
s.close()
st, b, _ = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": SEC,
                        "refresh_token": GRT})
GSHORT = b["access_token"]
t_short = time.time()    # both were issued before this
OLDRT = ctl("mint")["refresh_token"]
t_mint = time.time()
time.sleep(max(0, t_short + 5.1 - time.time(), t_mint + 1.1 - time.time()))
s, (c, m) = auth_ms(USER, SHORT)
ok(c == 535 and b"5.7.3" in m, "expired token on Microsoft: %s %s" % (c, m))
s.close()
s = smtp("google")
c, m = s.docmd("AUTH", "OAUTHBEARER " + oauthbearer(USER, GSHORT, s.port_))
c, m = g_fail(s, c, m, "OAUTHBEARER")
ok(c == 535 and b"5.7.8" in m, "expired token on Google: %s %s" % (c, m))
s.close()
ctl("set", refresh_lifetime=1)    # OLDRT is older than that now
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": OLDRT})
ms_err(st, b, 400, "invalid_grant", 700082)
ctl("set", rotate_grace=60, refresh_lifetime=0)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT2})
ok(st == 200 and b["refresh_token"] != RT3, "a rotated token within rotate_grace: %s" % b)
ctl("set", rotate_grace=0)
ctl("set", expires_in=3600, refresh_lifetime=0)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT3})
ok(st == 200, "refresh after expiry: %s" % b)
RT4, AT4 = b["refresh_token"], b["access_token"]
s, (c, m) = auth_ms(USER, AT4)
ok(c == 235, "new token after expiry: %s" % c)
s.close()
ok(state()["access_valid"] >= 1, "access_valid")

# --- jwt-bearer ----------------------------------------------------------------
key = json.load(open(E["OB_KEY_FILE"]))
ok(key["type"] == "service_account" and key["client_email"] == E["OB_SA_EMAIL"] and
   key["token_uri"] == G_TOK and key["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n") and
   re.fullmatch(r"[0-9a-f]{40}", key["private_key_id"]), "key file %s" % sorted(key))
now = int(time.time())
base = {"iss": key["client_email"], "scope": E["OB_GOOGLE_SCOPE"], "aud": G_TOK,
        "iat": now, "exp": now + 3600, "sub": USER}
def jwt(keyfile=E["OB_KEY_FILE"], header=None, **kv):
    c = dict(base, **kv)
    for k in [k for k, v in c.items() if v is None]:
        del c[k]
    return oauthbed.sign_jwt(keyfile, c, header)
def jb(a, url=G_TOK):
    return post(url, {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": a})
st, b, _ = jb(jwt())
ok(st == 200 and b["access_token"].startswith("ya29.") and "refresh_token" not in b and
   b["expires_in"] == 3600, "jwt-bearer: %s" % b)
JAT = b["access_token"]
g_err(*jb(jwt(E["OB_BAD_KEY_FILE"]))[:2], 400, "invalid_grant", "Invalid JWT Signature.")
good = jwt().split(".")
forged = ".".join([good[0], oauthbed.b64url(json.dumps(dict(base, sub=USER2)).encode()), good[2]])
g_err(*jb(forged)[:2], 400, "invalid_grant", "Invalid JWT Signature.")
g_err(*jb(jwt(aud="https://oauth2.googleapis.com/token"))[:2], 400, "invalid_grant", "audience")
g_err(*jb(jwt(exp=now + 7200))[:2], 400, "invalid_grant", "short-lived")
g_err(*jb(jwt(iat=now - 4000, exp=now - 400))[:2], 400, "invalid_grant", "short-lived")
g_err(*jb(jwt(sub="nobody@oauthbed.test"))[:2], 400, "invalid_grant", "Invalid email or User ID")
g_err(*jb(jwt(scope=None))[:2], 400, "invalid_scope")
g_err(*jb(jwt(iss="someone@else.iam.gserviceaccount.com"))[:2], 400, "invalid_grant", "account not found")
g_err(*jb(jwt(header={"alg": "none"}))[:2], 400, "invalid_grant", "alg")
g_err(*jb(good[0] + "=." + good[1] + "." + good[2])[:2], 400, "invalid_grant", "Invalid JWT")
ms_err(*jb(jwt(), MS_TOK)[:2], 400, "unsupported_grant_type", 70003)
ctl("set", dwd=False)
g_err(*jb(jwt())[:2], 401, "unauthorized_client")
ctl("set", dwd=True)
s = smtp("google")
c, m = s.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, JAT))
ok(c == 235, "jwt-bearer token on Google SMTP: %s %s" % (c, m))
send(s, "jwt@dest.test", "Subject: jwt\r\n\r\nvia a service account\r\n")

# --- device flow -----------------------------------------------------------------
MS_DEV, G_DEV = E["OB_MS_DEVICE_URL"], E["OB_GOOGLE_DEVICE_URL"]
def dev(url=MS_DEV, scope=E["OB_MS_SCOPE"]):
    st, b, _ = post(url, {"client_id": CID, "scope": scope})
    ok(st == 200, "device authorization: %s %s" % (st, b))
    return b
def poll(d, url=MS_TOK, **kv):
    f = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CID,
         "device_code": d["device_code"]}
    f.update(kv)
    return post(url, f)[:2]
# d1 polls too fast on purpose: an interval of 5 s, so that its second poll
# right after the first is too soon however loaded the machine
ctl("set", device_approve="auto:1", device_interval=5)    # approved at its first pending poll
d1 = dev()
ctl("set", device_interval=1)
ok(d1["interval"] == 5 and d1["expires_in"] == 600 and re.fullmatch(r"[A-Z0-9]{9}", d1["user_code"]) and
   d1["user_code"] in d1["message"] and d1["verification_uri"].startswith("https://"), "device: %s" % d1)
ctl("set", device_expires=1, device_approve="manual")
d2 = dev()
ctl("set", device_expires=600)
d3, d4 = dev(), dev()
ctl("set", device_approve="auto:2")
ms_err(*poll(d1), 400, "authorization_pending", 70016)
ms_err(*poll(d1), 400, "slow_down", 70016)              # its interval is 6 s now
t_slow = time.time()
ms_err(*poll(d3), 400, "authorization_pending", 70016)
ok(ctl("approve", user_code=d3["user_code"], user=USER2)["user"] == USER2, "approve")
ms_err(*poll(d4), 400, "authorization_pending", 70016)
ctl("deny", user_code=d4["user_code"])
st, b = post(G_DEV, {"client_id": CID, "scope": E["OB_GOOGLE_SCOPE"]})[:2]
g_err(st, b, 400, "invalid_scope", "Invalid device flow scope")
ctl("set", google_device_gmail=True)
gd = dev(G_DEV, E["OB_GOOGLE_SCOPE"])
ctl("set", google_device_gmail=False)
ok("verification_url" in gd and re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", gd["user_code"]), "google device: %s" % gd)
g_err(*poll(gd, G_TOK, client_secret=SEC), 428, "authorization_pending")
time.sleep(1.1)
ms_err(*poll(d2), 400, "expired_token", 70020)
st, b = poll(d3)
ok(st == 200 and b.get("refresh_token"), "approved device code: %s %s" % (st, b))
s, (c, m) = auth_ms(USER2, b["access_token"])
ok(c == 235, "device token for the approving mailbox: %s" % c)
s.close()
ms_err(*poll(d4), 400, "authorization_declined", 70000)
time.sleep(max(0, t_slow + 6.05 - time.time()))
st, b = poll(d1)
ok(st == 200 and b["refresh_token"].startswith("0.A") and len(b["access_token"]) == 2200,
   "device flow success: %s %s" % (st, b))
s, (c, m) = auth_ms(USER, b["access_token"])
ok(c == 235, "device token: %s" % c)
s.close()
ms_err(*poll(d1), 400, "invalid_grant", 54005)
dv = {x["user_code"]: x for x in state()["devices"]}[d1["user_code"]]
ok(dv["slow_downs"] == 1 and dv["pending"] == 1 and dv["state"] == "redeemed", "device state %s" % dv)

# --- authorization code + PKCE through a loopback listener ----------------------
hits = []
class Loop(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        hits.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))
        b = b"<html>done, close this window</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
lp = http.server.HTTPServer(("127.0.0.1", 0), Loop)
threading.Thread(target=lp.serve_forever, daemon=True).start()
RURI = "http://127.0.0.1:%d/" % lp.server_address[1]
ver = oauthbed.rand(64)
chal = oauthbed.b64url(hashlib.sha256(ver.encode()).digest())
def auth_url(base_url, scope, **kv):
    q = {"client_id": CID, "response_type": "code", "redirect_uri": RURI, "scope": scope,
         "code_challenge": chal, "code_challenge_method": "S256", "state": "st4te"}
    q.update(kv)
    return base_url + "?" + urllib.parse.urlencode(q)
r = ctl("browse", url=auth_url(E["OB_GOOGLE_AUTH_URL"], E["OB_GOOGLE_SCOPE"], access_type="offline"))
ok(r["status"] == 200 and "done" in r["body"] and hits[-1]["state"] == "st4te" and
   hits[-1]["code"].startswith("4/"), "browse: %s %s" % (r, hits))
code = hits[-1]["code"]
def redeem(url, code, **kv):
    f = {"grant_type": "authorization_code", "client_id": CID, "code": code,
         "redirect_uri": RURI, "code_verifier": ver}
    f.update(kv)
    for k in [k for k, v in f.items() if v is None]:
        del f[k]
    return post(url, f)[:2]
g_err(*redeem(G_TOK, code, client_secret=SEC, code_verifier=oauthbed.rand(64)), 400, "invalid_grant", "Invalid code verifier.")
g_err(*redeem(G_TOK, code, client_secret=SEC, code_verifier=None), 400, "invalid_grant", "Missing code verifier.")
g_err(*redeem(G_TOK, code, client_secret=SEC, redirect_uri=RURI + "x"), 400, "redirect_uri_mismatch")
st, b = redeem(G_TOK, code, client_secret=SEC)
ok(st == 200 and b["refresh_token"].startswith("1//") and b["access_token"].startswith("ya29."), "PKCE code: %s %s" % (st, b))
PAT = b["access_token"]
g_err(*redeem(G_TOK, code, client_secret=SEC), 400, "invalid_grant")
s = smtp("google")
c, m = s.docmd("AUTH", "OAUTHBEARER " + oauthbearer(USER, PAT, s.port_))
ok(c == 235, "PKCE token on Google SMTP: %s" % c)
s.close()
# Microsoft: the endpoint itself, no redirect followed; login_hint picks the mailbox
u = urllib.parse.urlsplit(auth_url(E["OB_MS_AUTH_URL"], E["OB_MS_SCOPE"], login_hint=USER2))
hc = http.client.HTTPSConnection("localhost", int(E["OB_HTTPS_PORT"]), context=CTX, timeout=10)
hc.request("GET", u.path + "?" + u.query)
r = hc.getresponse()
r.read()
loc = urllib.parse.urlsplit(r.getheader("Location"))
q = dict(urllib.parse.parse_qsl(loc.query))
ok(r.status == 302 and loc.geturl().startswith(RURI) and q["state"] == "st4te" and
   q["code"].startswith("0.A") and "session_state" in q, "Microsoft authorize: %s %s" % (r.status, q))
ms_err(*redeem(MS_TOK, q["code"], code_verifier=oauthbed.rand(50)), 400, "invalid_grant", 501481)
st, b = redeem(MS_TOK, q["code"])
ok(st == 200 and b["refresh_token"].startswith("0.A"), "Microsoft PKCE code: %s" % b)
s, (c, m) = auth_ms(USER2, b["access_token"])
ok(c == 235, "PKCE token for the login_hint mailbox: %s" % c)
s.close()
ms_err(*redeem(MS_TOK, q["code"]), 400, "invalid_grant", 54005)
r = ctl("browse", url=auth_url(E["OB_MS_AUTH_URL"], E["OB_MS_SCOPE"], code_challenge_method="plain"), fetch=False)
ok("error=invalid_request" in r["location"], "plain PKCE accepted: %s" % r)
r = ctl("browse", url=auth_url(E["OB_MS_AUTH_URL"], E["OB_MS_SCOPE"]), deny=True)
ok(r["status"] == 200 and hits[-1].get("error") == "access_denied", "denied: %s %s" % (r, hits[-1]))
r = ctl("browse", url=auth_url(E["OB_MS_AUTH_URL"], E["OB_MS_SCOPE"], redirect_uri="https://evil.example/"))
ok(r["authorize_status"] == 400 and not r["location"], "foreign redirect_uri: %s" % r)
lp.shutdown()

# --- the fault queue ---------------------------------------------------------------
CC = {"grant_type": "client_credentials", "client_id": CID, "client_secret": SEC, "scope": APP}
ctl("fault", kind="500")
ms_err(*post(MS_TOK, CC)[:2], 500, "temporarily_unavailable", 90033)
ok(post(MS_TOK, CC)[0] == 200, "after one 500")
ctl("fault", kind="429")
st, b, h = post(MS_TOK, CC)
ok(st == 429 and h["Retry-After"] == "1", "429: %s %s" % (st, h))
ctl("fault", kind="invalid_grant", count=2)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT4})
ms_err(st, b, 400, "invalid_grant", 70000)
ms_err(*post(MS_TOK, CC)[:2], 400, "invalid_grant", 70000)
st, b, _ = post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": RT4})
ok(st == 200, "a faulted request does not use up the refresh token: %s" % b)
ctl("fault", kind="invalid_client")
ms_err(*post(MS_TOK, CC)[:2], 401, "invalid_client", 7000215)
ctl("fault", kind="500")
st, b, _ = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": SEC, "refresh_token": GRT})
ok(st == 500 and b["error"]["status"] == "INTERNAL", "Google 500: %s" % b)
ctl("fault", kind="stall", seconds=30)    # closed long after the client gave up
t = time.time()
try:
    post(MS_TOK, CC, timeout=2)
    ok(False, "stall answered")
except (socket.timeout, TimeoutError, urllib.error.URLError):
    ok(time.time() - t < 15, "the client timed out")
ok(state()["faults"] == [], "the stalled request did not reach the bed")
ctl("fault", kind="drop")
try:
    post(MS_TOK, CC)
    ok(False, "drop answered")
except (http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError, ssl.SSLError):
    pass
ctl("fault", kind="truncated")
try:
    post(MS_TOK, CC)
    ok(False, "truncated body read completely")
except http.client.IncompleteRead:
    pass
ctl("fault", kind="badjson")
st, b, _ = post(MS_TOK, CC)
ok(st == 200 and isinstance(b, bytes), "badjson parsed")
ctl("fault", kind="huge")
st, b, _ = post(MS_TOK, CC)
ok(st == 200 and len(b["access_token"]) >= 2 << 20, "huge body: %s" % st)
got.pop()   # not a token the bed issued
ctl("fault", kind="html", target="device")
st, b, h = post(MS_DEV, {"client_id": CID, "scope": E["OB_MS_SCOPE"]})
ok(st == 200 and h["Content-Type"].startswith("text/html"), "html fault on the device endpoint")
ctl("fault", kind="454 4.7.0 Temporary authentication failure", target="smtp_auth")
s, (c, m) = auth_ms(USER, AT4)
ok(c == 454, "smtp_auth fault: %s %s" % (c, m))
c, m = s.docmd("AUTH", "XOAUTH2")
c, m = s.docmd(xoauth2(USER, AT4))
ok(c == 235, "after the smtp_auth fault: %s" % c)
s.close()
ok(state()["faults"] == [], "faults left: %s" % state()["faults"])

# --- revocation --------------------------------------------------------------------
ok(ctl("revoke", access="all", user=USER)["changed"] >= 1, "revoke")
s, (c, m) = auth_ms(USER, AT4)
ok(c == 535, "revoked access token: %s" % c)
s.close()
cur = [r for r in state()["refresh"] if r["state"] == "current" and r["profile"] == "microsoft"][-1]["token"]
ctl("revoke", refresh_token=cur)
ms_err(*post(MS_TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": cur})[:2], 400, "invalid_grant", 70000)

# --- framing: chunked / Content-Length, keep-alive -------------------------------------
ctl("set", chunked="always", chunk_size=7)
st, b, h = post(MS_TOK, CC)
ok(st == 200 and h["Transfer-Encoding"] == "chunked", "chunked=always: %s" % h)
ctl("set", chunked="never")
st, b, h = post(G_TOK, {"grant_type": "refresh_token", "client_id": CID, "client_secret": SEC, "refresh_token": GRT})
ok(st == 200 and h["Content-Length"] and not h["Transfer-Encoding"], "chunked=never: %s" % h)
ctl("set", chunked="auto")
hc = http.client.HTTPSConnection("localhost", int(E["OB_HTTPS_PORT"]), context=CTX, timeout=10)
for i in range(2):
    hc.request("POST", urllib.parse.urlsplit(MS_TOK).path, urllib.parse.urlencode(CC),
               {"Content-Type": "application/x-www-form-urlencoded"})
    asked["client_credentials"] += 1
    r = hc.getresponse()
    ok(r.status == 200 and json.loads(r.read())["access_token"], "keep-alive request %d" % i)

# --- what the bed recorded ------------------------------------------------------------
st = state()
ok(st["counts"]["grant"] == asked, "token requests per grant: bed %s, here %s" % (st["counts"]["grant"], asked))
ok(st["counts"]["token"] == sum(asked.values()), "token requests: %s" % st["counts"]["token"])
ok(st["counts"]["smtp_auth"]["ok"] >= 10, "smtp auth ok %s" % st["counts"]["smtp_auth"])
saved = json.load(open(E["OB_STATE"]))
ok(saved["counts"]["token"] == st["counts"]["token"], "state file is current")
log = [json.loads(x) for x in open(E["OB_LOG"])]
http_log = [x for x in log if x["kind"] == "http" and "path" in x]
ok(len([x for x in http_log if x.get("endpoint") == "token" and x["method"] == "POST"]) ==
   sum(asked.values()), "log: one line per token request")
ok(any("CA" in x.get("error", "") for x in log if x.get("event") == "error"), "TLS failure logged")
ok(all(x["sni"] == "localhost" for x in http_log), "SNI: %s" % {x["sni"] for x in http_log})
ok(any(x.get("event") == "line-too-long" and x["length"] > 512 for x in log), "line-too-long logged")
sec = set(open(E["OB_SECRETS"]).read().split("\n"))
miss = [t[:20] for t in got if t not in sec]
ok(not miss and SEC in sec, "tokens missing from the secrets list: %s" % miss)
mails = sorted(f for f in os.listdir(E["OB_MAIL"]) if f.endswith(".eml"))
ok(len(mails) == 3 and st["counts"]["messages"] == 3, "stored messages: %s" % mails)
m1 = open(os.path.join(E["OB_MAIL"], mails[0]), "rb").read()
ok(m1 == msg.encode(), "message stored byte-exact and unstuffed: %r" % m1)
env1 = open(os.path.join(E["OB_MAIL"], mails[0][:-4] + ".env")).read().splitlines()
ok("profile microsoft" in env1 and "user %s" % USER in env1 and "mech XOAUTH2" in env1 and
   "grant client_credentials" in env1 and "recipient to@dest.test" in env1 and
   "sender %s" % USER in env1, "envelope: %s" % env1)
env2 = open(os.path.join(E["OB_MAIL"], mails[1][:-4] + ".env")).read().splitlines()
ok("profile google" in env2 and "mech OAUTHBEARER" in env2, "envelope 2: %s" % env2)
with open(os.path.join(os.environ["T"], "leaky.log"), "w") as f:
    f.write("posta: relayed, token %s\n" % AT4)
print("# %d checks in %.1f s" % (checks, time.time() - T0))
PYEOF

# --- the leak check and the command form -------------------------------------------
printf 'posta: a clean log line\n' >"$T/clean.log"
ob_leaks "$T/clean.log"
( ob_leaks "$T/leaky.log" ) 2>/dev/null && fail "ob_leaks missed a token"
mkdir "$T/ob2" && cp "$T/ob/sa.pem" "$T/ob/sa-bad.pem" "$T/ob2/"   # no new RSA keys
env=$(sh "$LIB/oauthbed.sh" start "$T/ob2") || fail "oauthbed.sh start"
assert_eq "$env" "$T/ob2/oauthbed.env" "oauthbed.sh start output"
pid=$(cat "$T/ob2/pid")
FAULT_PIDS="$FAULT_PIDS $pid"
n=$(OB_CTL_PORT=$(sed -n 's/^export OB_CTL_PORT=//p' "$env") ob_get counts.token) ||
    fail "the second bed does not answer"
assert_eq "$n" 0 "ob_get on the second bed"
sh "$LIB/oauthbed.sh" stop "$T/ob2"
kill -0 "$pid" 2>/dev/null && fail "oauthbed.sh stop left $pid running"
ob_stop
echo "# self-check took $(($(date +%s) - t0)) s"
exit 0
