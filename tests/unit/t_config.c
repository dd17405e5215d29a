/* SPDX-License-Identifier: ISC */
/*
 * config.c: every key, the defaults and their port/tls interplay, each
 * error message with its FILE:LINE, the permission check. (The duration
 * parser itself is tested in t_util.c.)
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "paths.h"
#include "posta.h"
#include "tap.h"
#include "util.h"

static char path[64];

/* Write text to a fresh temporary file with the given mode. */
static const char *
conf(const char *text, mode_t mode)
{
	int fd;
	size_t len = strlen(text);

	if (path[0] != '\0')
		(void)unlink(path);
	(void)snprintf(path, sizeof(path), "/tmp/t_config.XXXXXX");
	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(2);
	}
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) == -1 ||
	    close(fd) == -1) {
		perror("write");
		exit(2);
	}
	return path;
}

/* Targets joined by '|', or NULL for no vector or an empty one. */
static const char *
targets(const struct strvec *sv)
{
	static char buf[1024];
	size_t i, len;

	if (sv == NULL || sv->n == 0)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < sv->n; i++) {
		len = strlen(buf);
		(void)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i > 0 ? "|" : "", sv->v[i]);
	}
	return buf;
}

/* Load text; returns the rc and leaves the message in err. */
static int
load(struct config *cfg, const char *text, struct perr *err)
{
	memset(err, 0, sizeof(*err));
	return config_load(cfg, conf(text, 0600), 1, err);
}

/* The message expected for text, with FILE: replaced by the temp path. */
static void
expect_err(const char *text, const char *want, const char *what)
{
	struct config cfg;
	struct perr err;
	char full[1200];
	int rc;

	rc = load(&cfg, text, &err);
	(void)snprintf(full, sizeof(full), "%s%s", path, want);
	ok(rc == -1 && err.code == EX_CONFIG, "%s: refused with EX_CONFIG",
	    what);
	is_str(err.msg, full, "%s: message", what);
	ok(cfg.host == NULL && cfg.path == NULL && cfg.spooldir == NULL,
	    "%s: cfg freed on error", what);
}

static void
test_full(void)
{
	struct config cfg;
	struct perr err;
	/* one NUL more, or is_mem's %.*s trips -Wformat-overflow */
	static const unsigned char pin[33] = {
		0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89,
		0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89,
		0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89,
		0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89,
	};
	int rc;

	rc = load(&cfg,
	    "; a comment\n"
	    "[upstream]\n"
	    "host = smtp.example.com\n"
	    "port = 2525\n"
	    "tls = implicit\n"
	    "username = me@example.com\n"
	    "password = s3cret\n"
	    "auth = scram-sha-256\n"
	    "ca_file = /etc/ssl/ca.pem\n"
	    "cert_file = /etc/ssl/client.pem\n"
	    "key_file = /etc/ssl/client.key\n"
	    "tls_min_version = 1.3\n"
	    "fingerprint = sha256:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:"
	    "67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n"
	    "timeout = 2m\n"
	    "send_timeout = 45s\n"
	    "helo = client.example.com\n"
	    "\n"
	    "[sender]\n"
	    "from = robot@example.com\n"
	    "domain = example.com\n"
	    "force_from = on\n"
	    "\n"
	    "[aliases]\n"
	    "root = admin@example.com, ops@example.com\n"
	    "Postmaster = root\n"
	    "* = catch@example.com\n"
	    "\n"
	    "[queue]\n"
	    "dir = /tmp/posta-spool\n"
	    "delivery = background\n"
	    "max_age = 2d\n"
	    "\n"
	    "[log]\n"
	    "syslog = no\n"
	    "file = /var/log/posta.log\n", &err);
	is_int(rc, 0, "full file loads");
	if (rc != 0) {
		fprintf(stderr, "# %s\n", err.msg);
		return;
	}
	is_str(cfg.path, path, "path");
	is_str(cfg.host, "smtp.example.com", "host");
	is_int(cfg.port, 2525, "port");
	is_int(cfg.tls, TLS_IMPLICIT, "tls");
	is_str(cfg.username, "me@example.com", "username");
	is_str(cfg.password, "s3cret", "password");
	ok(cfg.password_file == NULL && cfg.password_command == NULL,
	    "no other secret source");
	is_int(cfg.auth, AUTH_SCRAM_SHA_256, "auth");
	is_str(cfg.ca_file, "/etc/ssl/ca.pem", "ca_file");
	is_str(cfg.cert_file, "/etc/ssl/client.pem", "cert_file");
	is_str(cfg.key_file, "/etc/ssl/client.key", "key_file");
	is_int(cfg.tls_min_version, 13, "tls_min_version");
	is_int(cfg.has_pin, 1, "has_pin");
	is_mem(cfg.pin, sizeof(cfg.pin), pin, 32, "pin bytes");
	is_int(cfg.timeout, 120, "timeout");
	is_int(cfg.send_timeout, 45, "send_timeout");
	is_str(cfg.helo, "client.example.com", "helo");
	is_str(cfg.from, "robot@example.com", "from");
	is_str(cfg.domain, "example.com", "domain");
	is_int(cfg.force_from, 1, "force_from");
	is_int(cfg.naliases, 2, "two aliases, catch-all apart");
	is_str(targets(config_alias(&cfg, "root")),
	    "admin@example.com|ops@example.com", "alias root");
	is_str(targets(config_alias(&cfg, "postmaster")), "root",
	    "alias name lower-cased");
	is_str(cfg.aliases[1].name, "postmaster", "stored lower case");
	is_str(targets(config_alias(&cfg, "nobody")), NULL,
	    "no alias, no catch-all");
	is_str(targets(&cfg.catchall), "catch@example.com", "catch-all");
	is_str(cfg.spooldir, "/tmp/posta-spool", "dir");
	is_int(cfg.delivery, DELIVERY_BACKGROUND, "delivery");
	is_int(cfg.max_age, 2 * 86400, "max_age");
	is_int(cfg.syslog, 0, "syslog");
	is_str(cfg.logfile, "/var/log/posta.log", "log file");

	config_free(&cfg);
	ok(cfg.host == NULL && cfg.password == NULL && cfg.aliases == NULL &&
	    cfg.naliases == 0 && cfg.port == 0, "config_free zeroes cfg");
	config_free(&cfg);
	ok(1, "config_free twice is safe");
}

static void
test_defaults(void)
{
	struct config cfg;
	struct perr err;

	is_int(load(&cfg, "[upstream]\nhost = mx\n", &err), 0, "minimal file");
	is_int(cfg.port, 587, "default port 587");
	is_int(cfg.tls, TLS_STARTTLS, "default tls starttls");
	is_int(cfg.timeout, DEFAULT_TIMEOUT, "default timeout");
	is_int(cfg.send_timeout, 30, "default send_timeout");
	is_int(config_timeout(&cfg), DEFAULT_TIMEOUT, "no deadline: timeout");
	cfg.deadline = mono_now() + 2.5;
	is_int(config_timeout(&cfg), 3, "a deadline 2.5 s away: 3 s");
	cfg.deadline = mono_now() - 1;
	is_int(config_timeout(&cfg), 1, "a deadline passed: 1 s");
	cfg.deadline = 0;
	is_int(cfg.tls_min_version, 12, "default tls_min_version 1.2");
	ok(cfg.cert_file == NULL && cfg.key_file == NULL, "no client certificate");
	is_str(cfg.spooldir, SPOOLDIR, "default spool dir");
	is_int(cfg.delivery, DELIVERY_FOREGROUND, "default delivery");
	is_int(cfg.max_age, DEFAULT_MAX_AGE, "default max_age");
	is_int(cfg.syslog, 1, "default syslog yes");
	is_int(cfg.auth, AUTH_AUTO, "default auth");
	ok(cfg.has_pin == 0 && cfg.helo == NULL && cfg.from == NULL &&
	    cfg.logfile == NULL && cfg.catchall.n == 0 && cfg.naliases == 0 &&
	    cfg.force_from == 0 && cfg.username == NULL, "unset keys");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nport = 465\nhost = mx\n", &err), 0,
	    "port 465");
	is_int(cfg.tls, TLS_IMPLICIT, "port 465 implies implicit TLS");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\ntls = implicit\nhost = mx\n", &err), 0,
	    "tls implicit");
	is_int(cfg.port, 465, "implicit TLS implies port 465");
	config_free(&cfg);

	is_int(load(&cfg,
	    "[upstream]\nhost = mx\ntls = implicit\nport = 2465\n", &err), 0,
	    "implicit on another port");
	ok(cfg.port == 2465 && cfg.tls == TLS_IMPLICIT, "both kept");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nport = 465\ntls = starttls\nhost = mx\n",
	    &err), 0, "starttls on 465");
	ok(cfg.port == 465 && cfg.tls == TLS_STARTTLS, "explicit tls wins");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nhost = mx\nport = 25\n", &err), 0,
	    "port 25");
	is_int(cfg.tls, TLS_STARTTLS, "other ports default to starttls");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nhost = mx\ntls = none\n", &err), 0,
	    "tls none without credentials");
	ok(cfg.port == 587 && cfg.tls == TLS_NONE, "none on 587");
	config_free(&cfg);

	is_int(load(&cfg, "[UpStream]\nHost = mx\nTLS = Implicit\n"
	    "[log]\nfile =\n", &err), 0, "names and words in any case");
	ok(cfg.tls == TLS_IMPLICIT && cfg.logfile == NULL,
	    "case-insensitive; empty value is unset");
	config_free(&cfg);

	is_int(load(&cfg, "\xef\xbb\xbf[upstream]\r\nhost = mx\r\n", &err), 0,
	    "BOM and CRLF");
	is_str(cfg.host, "mx", "CR stripped");
	config_free(&cfg);
}

static void
test_errors(void)
{
	expect_err("[upstream]\nhost = mx\nport = 587\ntls = starttls\n"
	    "username = u\npassword_file = /x\npasswrd = y\n",
	    ":7: unknown key \"passwrd\" in [upstream]; "
	    "did you mean \"password\"?", "misspelt key");
	expect_err("[upstream]\nhost = mx\nfrobnicate = 1\n",
	    ":3: unknown key \"frobnicate\" in [upstream]", "unknown key");
	expect_err("[sender]\nhost = mx\n",
	    ":2: unknown key \"host\" in [sender]; it belongs in [upstream]",
	    "key in the wrong section");
	expect_err("[queue]\ndelivry = queue\n",
	    ":2: unknown key \"delivry\" in [queue]; did you mean "
	    "\"delivery\"?", "suggestion per section");
	expect_err("[upstream]\nhost = mx\n\n[upstrem]\nport = 25\n",
	    ":4: unknown section [upstrem]; did you mean [upstream]?",
	    "misspelt section at its own line");
	expect_err("[upstream]\nhost = mx\n[misc]\nx = 1\n",
	    ":3: unknown section [misc]; expected [upstream], [sender], "
	    "[aliases], [queue], [log], [oauth] or [listen]",
	    "unknown section");
	expect_err("host = mx\n",
	    ":1: \"host\" is outside any section; put it under [upstream]",
	    "key before any section");
	expect_err("[upstream]\nhost = a\nport = 25\nhost = b\n",
	    ":4: duplicate key \"host\" in [upstream] (first set on line 2)",
	    "duplicate key");
	expect_err("[upstream]\nhost = a\n  port = 25\n",
	    ":3: indented line continues \"host\" from line 2; remove the "
	    "leading blanks", "indented continuation");
	expect_err("[upstream]\nhost = mx\ntls_min_version = 1.1\n",
	    ":3: invalid tls_min_version \"1.1\"; expected 1.2 or 1.3",
	    "bad tls_min_version");
	expect_err("[upstream]\nhost = mx\ncert_file = /c.pem\n",
	    ":3: set both cert_file and key_file, or neither",
	    "cert_file alone");
	expect_err("[upstream]\nhost = mx\nkey_file = /k.pem\n",
	    ":3: set both cert_file and key_file, or neither",
	    "key_file alone");
	expect_err("[upstream]\nhost = mx\ntls = none\ncert_file = /c.pem\n"
	    "key_file = /k.pem\n", ":3: tls = none with a cert_file: the "
	    "certificate would never be sent", "tls = none with cert_file");
	expect_err("[upstream]\nhost = mx\ntls = none\ntls_min_version = 1.3\n",
	    ":3: tls = none with tls_min_version: TLS is never used",
	    "tls = none with tls_min_version");
	expect_err("[upstream]\nhost = mx\ntls = ssl\n",
	    ":3: invalid tls \"ssl\"; expected starttls, implicit or none",
	    "bad tls");
	expect_err("[upstream]\nhost = mx\nauth = ntlm\n",
	    ":3: invalid auth \"ntlm\"; expected auto, plain, login, cram-md5, "
	    "scram-sha-256, xoauth2 or oauthbearer", "bad auth");
	expect_err("[upstream]\nhost = mx\nport = 70000\n",
	    ":3: invalid port \"70000\"; expected a number from 1 to 65535",
	    "port out of range");
	expect_err("[upstream]\nhost = mx\nport = 58x\n",
	    ":3: invalid port \"58x\"; expected a number from 1 to 65535",
	    "port with garbage");
	expect_err("[upstream]\nhost = mx\ntimeout = 0\n",
	    ":3: invalid timeout \"0\"; expected a duration from 1s to 1d, "
	    "such as 60, 90s or 2m", "zero timeout");
	expect_err("[upstream]\nhost = mx\n[sender]\nforce_from = maybe\n",
	    ":4: invalid force_from \"maybe\"; expected yes, no, true, false, "
	    "on, off, 1 or 0", "bad bool");
	expect_err("[upstream]\nhost = mx\n[queue]\ndelivery = later\n",
	    ":4: invalid delivery \"later\"; expected foreground, background "
	    "or queue", "bad delivery");
	expect_err("[upstream]\nhost = mx\n[queue]\nmax_age = forever\n",
	    ":4: invalid max_age \"forever\"; expected a duration from 1s to "
	    "365d, such as 5d or 12h", "bad max_age");
	expect_err("[upstream]\nhost = mx\n[queue]\ndir = spool\n",
	    ":4: dir must be an absolute path", "relative dir");
	expect_err("[upstream]\nhost = smtp://mx\n",
	    ":2: invalid host \"smtp://mx\"; expected a host name or address, "
	    "without scheme or port", "URL as host");
	expect_err("[upstream]\nhost = mx.example.com:587\n",
	    ":2: invalid host \"mx.example.com:587\"; expected a host name or "
	    "address, without scheme or port", "host with port");
	expect_err("[upstream]\nhost = mx\nhelo = my host\n",
	    ":3: invalid helo \"my host\"; expected a host name or address, "
	    "without scheme or port", "helo with a space");
	expect_err("[upstream]\nhost = mx\n[sender]\nfrom = robot\n",
	    ":4: invalid from \"robot\"; expected an address such as "
	    "robot@example.com", "from without @");
	expect_err("[upstream]\nhost = mx\n[sender]\nfrom = <a@b.c>\n",
	    ":4: invalid from \"<a@b.c>\"; expected an address such as "
	    "robot@example.com", "from with brackets");
	expect_err("[upstream]\nhost = mx\n[sender]\ndomain = a@b\n",
	    ":4: invalid domain \"a@b\"; expected a domain name such as "
	    "example.com", "bad domain");
	expect_err("[upstream]\nhost = mx\nthis is not ini\n",
	    ":3: syntax error; expected \"[section]\" or \"key = value\"",
	    "syntax error");
	expect_err("[upstream]\nbroken line\nhost = mx\nhost = mx\n",
	    ":2: syntax error; expected \"[section]\" or \"key = value\"",
	    "first error wins: syntax before duplicate");
	expect_err("[upstream]\nhost = mx\n[aliases]\na@b = c@d\n",
	    ":4: invalid alias name \"a@b\"; expected a local name without "
	    "'@' or blanks", "alias name with @");
	expect_err("[upstream]\nhost = mx\n[aliases]\nroot = a@b\nROOT = c@d\n",
	    ":5: duplicate alias \"root\"", "duplicate alias, any case");
	expect_err("[upstream]\nhost = mx\n[aliases]\n* = a@b\n* = c@d\n",
	    ":5: duplicate alias \"*\"", "duplicate catch-all");
	expect_err("[upstream]\nhost = mx\n[aliases]\nroot =\n",
	    ":4: alias \"root\" has no targets", "empty alias");
	expect_err("[upstream]\nhost = mx\nhelo = a\tb\n",
	    ":3: control character in the value of \"helo\"", "tab in value");
	expect_err("[upstream]\nhost = mx\nhelo = a\001b\n",
	    ":3: control character in the value of \"helo\"",
	    "control character");
}

static void
test_secret_free_errors(void)
{
	struct config cfg;
	struct perr err;

	load(&cfg, "[upstream]\nhost = mx\nusername = u\n"
	    "password = hun\tter2\n", &err);
	ok(err.code == EX_CONFIG && strstr(err.msg, "hun") == NULL &&
	    strstr(err.msg, "ter2") == NULL, "bad password is not echoed");
	load(&cfg, "[upstream]\nhost = mx\nusername = u\npassword = hunter2\n"
	    "password = hunter3\n", &err);
	ok(err.code == EX_CONFIG && strstr(err.msg, "hunter") == NULL,
	    "duplicate password is not echoed");
}

static void
test_long_lines(void)
{
	char text[1024], want[128];
	size_t n;

	/* a value longer than inih's line buffer must not shift line numbers */
	n = (size_t)snprintf(text, sizeof(text),
	    "[upstream]\nhost = mx\npassword_command = ");
	memset(text + n, 'x', 400);
	(void)snprintf(text + n + 400, sizeof(text) - n - 400,
	    "\nusername = u\n");
	expect_err(text, ":3: line is longer than 199 octets", "long line");

	n = (size_t)snprintf(text, sizeof(text), "[upstream]\nhost = mx\n");
	memcpy(text + n, "helo = a\0b\n", 11);
	text[n + 11] = '\0';
	(void)snprintf(want, sizeof(want), ":3: NUL byte in line");
	/* the NUL cuts the C string, so write the bytes ourselves */
	{
		struct config cfg;
		struct perr err;
		char full[1200];
		int fd;

		(void)conf("", 0600);
		fd = open(path, O_WRONLY | O_TRUNC);
		ok(fd != -1 && write(fd, text, n + 11) == (ssize_t)(n + 11) &&
		    close(fd) == 0, "wrote a file with a NUL");
		memset(&err, 0, sizeof(err));
		(void)config_load(&cfg, path, 1, &err);
		(void)snprintf(full, sizeof(full), "%s%s", path, want);
		is_str(err.msg, full, "NUL byte refused");
	}
}

static void
test_semantics(void)
{
	expect_err("[upstream]\nport = 25\n", ": [upstream] host is not set",
	    "missing host");
	expect_err("[upstream]\n", ": [upstream] host is not set",
	    "empty upstream");
	expect_err("[upstream]\nhost = mx\ntls = none\nusername = u\n"
	    "password_file = /p\n",
	    ":3: tls = none with a username: credentials are never sent "
	    "without TLS", "tls none with username");
	expect_err("[upstream]\nhost = mx\nusername = u\n",
	    ":3: username is set but none of password, password_file or "
	    "password_command", "username without a secret");
	expect_err("[upstream]\nhost = mx\npassword_command = pass smtp\n",
	    ":3: a password is set but username is not",
	    "secret without username");
	expect_err("[upstream]\nhost = mx\nusername = u\npassword = p\n"
	    "password_file = /p\n",
	    ":5: set only one of password, password_file and "
	    "password_command", "two secret sources");
	expect_err("[upstream]\nhost = mx\nauth = xoauth2\n",
	    ":3: auth = xoauth2 needs username and password, password_file or "
	    "password_command", "xoauth2 without a token");
	expect_err("[upstream]\nhost = mx\ntls = none\nfingerprint = "
	    "00000000000000000000000000000000"
	    "00000000000000000000000000000000\n",
	    ":3: tls = none with a fingerprint: the pin would never be checked",
	    "pin without TLS");
}

static void
test_open(void)
{
	struct config cfg;
	struct perr err;
	char want[200];

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, "/nonexistent/posta.conf", 1, &err), -1,
	    "missing file");
	is_int(err.code, EX_CONFIG, "missing file: EX_CONFIG");
	is_str(err.msg, "/nonexistent/posta.conf: cannot open: No such file "
	    "or directory", "missing file: message");

	(void)conf("[upstream]\nhost = mx\n", 0600);
	(void)snprintf(want, sizeof(want), "%s.link", path);
	(void)unlink(want);
	ok(symlink(path, want) == 0, "made a symlink");
	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, want, 1, &err), -1, "symlink refused");
	ok(strstr(err.msg, "cannot open: is a symbolic link") != NULL,
	    "symlink: message");
	(void)unlink(want);

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, "/tmp", 1, &err), -1, "directory refused");
	is_str(err.msg, "/tmp: cannot open: not a regular file",
	    "directory: message");
}

/* path (a file of mode 0600) refused with the writable message at mode. */
static void
writable_refused(const char *text, const char *file, mode_t mode,
    const char *what)
{
	struct config cfg;
	struct perr err;
	char want[300];

	(void)chmod(file, mode);
	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(text, 0600), 1, &err), -1, "%s: %04o "
	    "refused", what, (unsigned int)mode);
	(void)snprintf(want, sizeof(want), "%s: mode %04o lets other users "
	    "change it; chmod go-w %s", file, (unsigned int)mode, file);
	is_str(err.msg, want, "%s: message", what);
	is_int(err.code, EX_CONFIG, "%s: EX_CONFIG", what);
	(void)chmod(file, 0600);
	is_int(config_load(&cfg, conf(text, 0600), 1, &err), 0, "%s: 0600 "
	    "accepted", what);
	config_free(&cfg);
}

/* Files others may change are refused, whatever they hold. */
static void
test_writable(void)
{
	struct config cfg;
	struct perr err;
	char want[300];
	const char *sec = "/tmp/t_config.secret";
	const char *plain = "[upstream]\nhost = mx\n";
	int fd;

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(plain, 0666), 1, &err), -1,
	    "0666 without any secret refused");
	(void)snprintf(want, sizeof(want), "%s: mode 0666 lets other users "
	    "change it; chmod go-w %s", path, path);
	is_str(err.msg, want, "0666: message");
	is_int(err.code, EX_CONFIG, "0666: EX_CONFIG");
	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf("[upstream]\nhost = mx\nusername = u\n"
	    "password_command = cat /run/s\n", 0602), 1, &err), -1,
	    "0602 with password_command refused");
	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(plain, 0644), 1, &err), 0,
	    "0644 without a secret accepted");
	config_free(&cfg);

	/* group write: root's group or ours only */
	memset(&err, 0, sizeof(err));
	if (chown(conf(plain, 0660), (uid_t)-1, getegid()) == 0)
		is_int(config_load(&cfg, path, 1, &err), 0,
		    "0660, posta's own group, accepted");
	config_free(&cfg);
	if (getegid() != 65534 && chown(conf(plain, 0660), (uid_t)-1,
	    65534) == 0) {
		memset(&err, 0, sizeof(err));
		is_int(config_load(&cfg, path, 1, &err), -1,
		    "0660, another group, refused");
		(void)snprintf(want, sizeof(want), "%s: mode 0660 lets other "
		    "users change it; chmod go-w %s", path, path);
		is_str(err.msg, want, "another group: message");
		if (chown(path, (uid_t)-1, 0) == 0) {
			is_int(config_load(&cfg, path, 1, &err), 0,
			    "0660, root's group, accepted");
			config_free(&cfg);
		}
	} else
		ok(1, "# skip: cannot give a file to another group");

	(void)unlink(sec);
	if ((fd = open(sec, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(sec);
		exit(2);
	}
	(void)close(fd);
	writable_refused("[upstream]\nhost = mx\nusername = u\n"
	    "password_file = /tmp/t_config.secret\n", sec, 0666,
	    "password_file");
	writable_refused("[upstream]\nhost = mx\nusername = u\n"
	    "password_file = /tmp/t_config.secret\n", sec, 0602,
	    "password_file o+w only");
	writable_refused("[upstream]\nhost = mx\ncert_file = /c\n"
	    "key_file = /tmp/t_config.secret\n", sec, 0646, "key_file");
	writable_refused("[upstream]\nhost = mx\nusername = u\n"
	    "auth = xoauth2\n[oauth]\nprovider = google\nclient_id = a\n"
	    "client_secret_file = /tmp/t_config.secret\n", sec, 0662,
	    "oauth client_secret_file");
	writable_refused("[upstream]\nhost = mx\nusername = u\n"
	    "auth = xoauth2\n[oauth]\nprovider = google\n"
	    "grant = jwt_bearer\nkey_file = /tmp/t_config.secret\n", sec,
	    0602, "oauth key_file");
	writable_refused("[upstream]\nhost = mx\nusername = u\n"
	    "auth = xoauth2\n[oauth]\nprovider = google\nclient_id = a\n"
	    "client_secret = b\n"
	    "refresh_token_file = /tmp/t_config.secret\n", sec, 0602,
	    "oauth refresh_token_file");
	(void)unlink(sec);
}

static void
test_secure(void)
{
	struct config cfg;
	struct perr err;
	char want[300];
	const char *text = "[upstream]\nhost = mx\nusername = u\n"
	    "password = hunter2\n";

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(text, 0644), 1, &err), -1,
	    "0644 with a password refused");
	(void)snprintf(want, sizeof(want), "%s: holds a password but is "
	    "readable by others; chmod 600 %s", path, path);
	is_str(err.msg, want, "check_secure message");
	is_int(err.code, EX_CONFIG, "check_secure: EX_CONFIG");

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(text, 0602), 1, &err), -1,
	    "0602 with a password refused");
	(void)snprintf(want, sizeof(want), "%s: mode 0602 lets other users "
	    "change it; chmod go-w %s", path, path);
	is_str(err.msg, want, "writable: message");

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(text, 0600), 1, &err), 0,
	    "0600 with a password accepted");
	config_free(&cfg);

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(text, 0640), 1, &err), 0,
	    "0640 (group, for set-group-id) accepted");
	config_free(&cfg);

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf(text, 0644), 0, &err), 0,
	    "0644 accepted without check_secure");
	config_free(&cfg);

	memset(&err, 0, sizeof(err));
	is_int(config_load(&cfg, conf("[upstream]\nhost = mx\nusername = u\n"
	    "password_file = /run/secret\n", 0644), 1, &err), 0,
	    "0644 without a password key accepted");
	is_str(cfg.password_file, "/run/secret", "password_file kept");
	config_free(&cfg);
	test_writable();
}

static void
test_pin(void)
{
	struct config cfg;
	struct perr err;
	unsigned char want[32];
	size_t i;

	for (i = 0; i < sizeof(want); i++)
		want[i] = (unsigned char)(i * 8 + 7);
	is_int(load(&cfg, "[upstream]\nhost = mx\nfingerprint = "
	    "070f171f272f373f474f575f676f777f"
	    "878f979fa7afb7bfc7cfd7dfe7eff7ff\n",
	    &err), 0, "plain hex pin");
	is_mem(cfg.pin, 32, want, 32, "plain hex bytes");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nhost = mx\nfingerprint = SHA256:"
	    "07:0F:17:1F:27:2F:37:3F:47:4F:57:5F:67:6F:77:7F:87:8F:97:9F:A7:AF:"
	    "B7:BF:C7:CF:D7:DF:E7:EF:F7:FF\n", &err), 0,
	    "colon form, upper case");
	ok(cfg.has_pin, "has_pin set");
	is_mem(cfg.pin, 32, want, 32, "colon form bytes");
	config_free(&cfg);

	expect_err("[upstream]\nhost = mx\nfingerprint = sha256:abcd\n",
	    ":3: invalid fingerprint; expected \"sha256:\" and 64 hex digits "
	    "(the SHA-256 of the server certificate)", "short pin");
	expect_err("[upstream]\nhost = mx\nfingerprint = "
	    "070f171f272f373f474f575f676f777f"
	    "878f979fa7afb7bfc7cfd7dfe7eff7ff00\n",
	    ":3: invalid fingerprint; expected \"sha256:\" and 64 hex digits "
	    "(the SHA-256 of the server certificate)", "long pin");
	expect_err("[upstream]\nhost = mx\nfingerprint = sha1:"
	    "070f171f272f373f474f575f676f777f"
	    "878f979fa7afb7bfc7cfd7dfe7eff7ff\n",
	    ":3: invalid fingerprint; expected \"sha256:\" and 64 hex digits "
	    "(the SHA-256 of the server certificate)", "other algorithm");
	expect_err("[upstream]\nhost = mx\nfingerprint = "
	    "g70f171f272f373f474f575f676f777f"
	    "878f979fa7afb7bfc7cfd7dfe7eff7ff\n",
	    ":3: invalid fingerprint; expected \"sha256:\" and 64 hex digits "
	    "(the SHA-256 of the server certificate)", "non-hex pin");
}

static void
test_aliases(void)
{
	struct config cfg;
	struct perr err;

	is_int(load(&cfg, "[upstream]\nhost = mx\n[aliases]\n"
	    "WebMaster = root\nroot = a@example.com,b@example.com\n"
	    "* = all@example.com\nwww-data = root\n", &err), 0, "aliases load");
	is_int(cfg.naliases, 3, "three named aliases");
	is_str(cfg.aliases[0].name, "webmaster", "first, lower-cased");
	is_str(cfg.aliases[2].name, "www-data", "file order kept");
	is_str(targets(config_alias(&cfg, "webmaster")), "root",
	    "lookup lower case");
	is_str(targets(config_alias(&cfg, "root")),
	    "a@example.com|b@example.com", "value parsed into targets");
	is_str(targets(config_alias(&cfg, "*")), NULL,
	    "* is not a named alias");
	is_str(targets(config_alias(&cfg, "other")), NULL, "unknown name");
	is_str(targets(&cfg.catchall), "all@example.com",
	    "catch-all kept apart");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nhost = mx\n[aliases]\n"
	    "team = Ops <ops@x> (night), \"a, b\"@y, root,\n", &err), 0,
	    "address list syntax");
	is_str(targets(config_alias(&cfg, "team")), "ops@x|\"a, b\"@y|root",
	    "display names and comments dropped, quotes kept");
	config_free(&cfg);

	/* a bad target is a load error with its line, not a delivery error */
	expect_err("[upstream]\nhost = mx\n[aliases]\nroot = a@b\n"
	    "team = a@x, <broken\n",
	    ":5: alias \"team\": cannot parse \"a@x, <broken\" as a list of "
	    "addresses", "alias target syntax");
	expect_err("[upstream]\nhost = mx\n[aliases]\n* = , ,\n",
	    ":4: alias \"*\": no addresses in \", ,\"",
	    "catch-all without addresses");
	expect_err("[upstream]\nhost = mx\n[aliases]\nx = a b@c\n",
	    ":4: alias \"x\": cannot parse \"a b@c\" as a list of addresses",
	    "blank inside an address");
	expect_err("[upstream]\nhost = mx\n[aliases]\nx = <a@b\n",
	    ":4: alias \"x\": cannot parse \"<a@b\" as a list of addresses",
	    "unclosed angle bracket");
}

/* [listen]: posta -bd */
static void
test_listen(void)
{
	struct config cfg;
	struct perr err;

	is_int(load(&cfg, "[upstream]\nhost = mx\n", &err), 0, "no [listen]");
	ok(cfg.listen.address == NULL && cfg.listen.allow == NULL &&
	    cfg.listen.port == 25 && cfg.listen.max_clients == 50 &&
	    cfg.listen.max_commands == 10000 && cfg.listen.timeout == 300 &&
	    cfg.listen.max_size == 50LL * 1024 * 1024, "[listen] defaults");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nhost = mx\nport = 465\ntimeout = 9\n"
	    "[listen]\naddress = [::1]\nport = 2525\n"
	    "allow = 10.0.0.0/8, fd00::/8\nmax_clients = 7\n"
	    "max_commands = 100\ntimeout = 2m\nmax_message_size = 10M\n",
	    &err), 0, "every [listen] key");
	is_str(cfg.listen.address, "[::1]", "address");
	is_str(cfg.listen.allow, "10.0.0.0/8, fd00::/8", "allow as written");
	ok(cfg.listen.port == 2525 && cfg.listen.max_clients == 7 &&
	    cfg.listen.max_commands == 100 && cfg.listen.timeout == 120 &&
	    cfg.listen.max_size == 10LL * 1024 * 1024, "numbers");
	ok(cfg.port == 465 && cfg.tls == TLS_IMPLICIT && cfg.timeout == 9,
	    "[upstream] port and timeout are their own");
	config_free(&cfg);

	is_int(load(&cfg, "[upstream]\nhost = mx\n[listen]\nport = 2525\n"
	    "max_message_size = 0\n", &err), 0, "listen port only");
	ok(cfg.port == 587 && cfg.tls == TLS_STARTTLS &&
	    cfg.listen.max_size == 0,
	    "a [listen] port is not the upstream's; size 0: no limit");
	config_free(&cfg);

	expect_err("[upstream]\nhost = mx\n[listen]\naddress = localhost\n",
	    ":4: invalid address \"localhost\"; expected an IP address such "
	    "as 127.0.0.1, ::1 or 0.0.0.0 (not a host name)", "address name");
	expect_err("[upstream]\nhost = mx\n[listen]\n"
	    "allow = 10.0.0.0/8 172.16.0.1/12\n",
	    ":4: invalid allow network \"172.16.0.1/12\": host bits set "
	    "after the prefix length (write the network address); expected "
	    "networks such as 192.168.1.0/24, fd00::/8", "allow host bits");
	expect_err("[upstream]\nhost = mx\n[listen]\nallow = 0.0.0.0/0\n",
	    ":4: invalid allow network \"0.0.0.0/0\": a /0 network would "
	    "let anyone relay; expected networks such as 192.168.1.0/24, "
	    "fd00::/8", "allow everyone");
	expect_err("[upstream]\nhost = mx\n[listen]\nmax_clients = 0\n",
	    ":4: invalid max_clients \"0\"; expected a number from 1 to "
	    "1000000", "max_clients 0");
	expect_err("[upstream]\nhost = mx\n[listen]\nport = 0\n",
	    ":4: invalid port \"0\"; expected a number from 1 to 65535",
	    "listen port 0");
	expect_err("[upstream]\nhost = mx\n[listen]\nmax_message_size = 5T\n",
	    ":4: invalid max_message_size \"5T\"; expected a size such as "
	    "10M, 512k or 0 (no limit), at most 1024G", "size unit");
	expect_err("[upstream]\nhost = mx\n[listen]\n"
	    "max_message_size = 1025G\n",
	    ":4: invalid max_message_size \"1025G\"; expected a size such as "
	    "10M, 512k or 0 (no limit), at most 1024G", "size too big");
	expect_err("[upstream]\nhost = mx\n[listen]\ntimeout = 0\n",
	    ":4: invalid timeout \"0\"; expected a duration from 1s to 1d, "
	    "such as 60, 90s or 2m", "listen timeout 0");
	expect_err("[upstream]\nhost = mx\n[listen]\nadress = ::1\n",
	    ":4: unknown key \"adress\" in [listen]; did you mean "
	    "\"address\"?", "misspelt listen key");
}

static void
test_zeroed_free(void)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	config_free(&cfg);
	config_free(&cfg);
	config_free(NULL);
	ok(1, "config_free on a zeroed struct, twice, and NULL");
}

#define UP	"[upstream]\nhost = mx\nusername = box@example.com\n"

static void
test_oauth(void)
{
	struct config cfg;
	struct perr err;
	char want[200];
	int fd;

	/* microsoft defaults, delegated */
	is_int(load(&cfg, UP "[oauth]\nprovider = microsoft\n"
	    "client_id = abc\n", &err), 0, "oauth: microsoft loads");
	ok(cfg.oauth.set, "oauth: set");
	is_int(cfg.auth, AUTH_XOAUTH2, "oauth: auth auto becomes xoauth2");
	is_str(cfg.oauth.tenant, "organizations", "oauth: default tenant");
	is_str(cfg.oauth.token_url, "https://login.microsoftonline.com/"
	    "organizations/oauth2/v2.0/token", "oauth: microsoft token_url");
	is_str(cfg.oauth.device_url, "https://login.microsoftonline.com/"
	    "organizations/oauth2/v2.0/devicecode", "oauth: device_url");
	is_str(cfg.oauth.scope, "https://outlook.office.com/SMTP.Send "
	    "offline_access", "oauth: delegated scope");
	is_int(cfg.oauth.refresh_margin, 600, "oauth: default margin");
	is_int(cfg.oauth.grant, GRANT_REFRESH_TOKEN, "oauth: default grant");
	(void)snprintf(want, sizeof(want), "%s/oauth/%s-", SPOOLDIR,
	    strrchr(path, '/') + 1);
	ok(cfg.oauth.cache != NULL && strncmp(cfg.oauth.cache, want,
	    strlen(want)) == 0 && strlen(cfg.oauth.cache) == strlen(want) + 8,
	    "oauth: default cache in the spool (%s)", cfg.oauth.cache);
	config_free(&cfg);

	is_int(load(&cfg, UP "auth = oauthbearer\n[oauth]\nprovider = "
	    "microsoft\ntenant = contoso.onmicrosoft.com\ngrant = "
	    "client_credentials\nclient_id = abc\nclient_secret = s3\n"
	    "refresh_margin = 0\ncache = /var/tmp/c\n", &err), 0,
	    "oauth: app-only loads");
	is_int(cfg.auth, AUTH_OAUTHBEARER, "oauth: oauthbearer kept");
	is_str(cfg.oauth.token_url, "https://login.microsoftonline.com/"
	    "contoso.onmicrosoft.com/oauth2/v2.0/token", "oauth: tenant used");
	is_str(cfg.oauth.scope, "https://outlook.office365.com/.default",
	    "oauth: client credentials scope");
	is_int(cfg.oauth.refresh_margin, 0, "oauth: margin 0 allowed");
	is_str(cfg.oauth.cache, "/var/tmp/c", "oauth: cache set");
	config_free(&cfg);

	is_int(load(&cfg, UP "[oauth]\nprovider = google\nclient_id = x\n"
	    "scope = https://example.com/s\ntoken_url = https://t.example/tok"
	    "\n", &err), 0, "oauth: google loads");
	is_str(cfg.oauth.token_url, "https://t.example/tok",
	    "oauth: token_url overrides");
	is_str(cfg.oauth.auth_url, "https://accounts.google.com/o/oauth2/v2/"
	    "auth", "oauth: google auth_url");
	is_str(cfg.oauth.scope, "https://example.com/s", "oauth: scope set");
	config_free(&cfg);

	/* an empty [oauth] section still means OAuth */
	expect_err(UP "[oauth]\n", ":4: provider = generic needs token_url "
	    "(or use provider = microsoft or google)", "oauth: empty section");
	expect_err(UP "[oauth]\ntoken_url = https://t/x\n",
	    ":4: auth = xoauth2 with [oauth] needs client_id (the "
	    "application's client ID)", "oauth: no client_id");
	expect_err(UP "[oauth]\nprovider = google\ngrant = jwt_bearer\n",
	    ":6: grant = jwt_bearer needs key_file (the service account's "
	    "JSON key)", "oauth: jwt without key");
	expect_err(UP "[oauth]\nprovider = microsoft\nclient_id = a\n"
	    "grant = client_credentials\n", ":7: grant = client_credentials "
	    "needs client_secret, client_secret_file or "
	    "client_secret_command", "oauth: app-only without secret");
	expect_err(UP "password = p\n[oauth]\nprovider = google\n"
	    "client_id = a\n", ":4: password is not used with [oauth] (the "
	    "token comes from the OAuth cache); remove it",
	    "oauth: password too");
	expect_err("[upstream]\nhost = mx\n[oauth]\nprovider = google\n"
	    "client_id = a\n", ":3: [oauth] needs [upstream] username: the "
	    "mailbox the token is for", "oauth: no username");
	expect_err(UP "auth = plain\n[oauth]\nprovider = google\n"
	    "client_id = a\n", ":4: auth = plain cannot carry an OAuth "
	    "token; with [oauth] use auth = xoauth2 or oauthbearer",
	    "oauth: plain");
	expect_err(UP "[oauth]\nprovider = google\nclient_id = a\n"
	    "client_secret = b\nclient_secret_file = /x\n",
	    ":8: set only one of client_secret, client_secret_file and "
	    "client_secret_command", "oauth: two secrets");
	expect_err(UP "[oauth]\nprovider = google\ntenant = x.com\n",
	    ":6: tenant is only used with provider = microsoft",
	    "oauth: tenant with google");
	expect_err(UP "[oauth]\ntoken_url = http://t/x\n",
	    ":5: invalid token_url \"http://t/x\"; expected an https:// URL",
	    "oauth: plain http");
	expect_err(UP "[oauth]\nprovider = yahoo\n", ":5: invalid provider "
	    "\"yahoo\"; expected microsoft, google or generic",
	    "oauth: bad provider");
	expect_err(UP "[oauth]\ngrant = password\n", ":5: invalid grant "
	    "\"password\"; expected refresh_token, client_credentials or "
	    "jwt_bearer", "oauth: bad grant");
	expect_err(UP "[oauth]\nrefresh_margin = 2d\n", ":5: invalid "
	    "refresh_margin \"2d\"; expected a duration from 0 to 1d, such as "
	    "10m", "oauth: margin too long");
	expect_err(UP "[oauth]\ncache = oauth.json\n", ":5: cache must be an "
	    "absolute path", "oauth: relative cache");
	expect_err(UP "[upstream]\nclient_id = a\n", ":5: unknown key "
	    "\"client_id\" in [upstream]; it belongs in [oauth]",
	    "oauth: key in the wrong section");
	expect_err(UP "[oauth]\nprovider = microsoft\ngrant = jwt_bearer\n"
	    "key_file = /k\n", ":6: grant = jwt_bearer is for Google service "
	    "accounts; Microsoft app-only access uses grant = "
	    "client_credentials", "oauth: jwt with microsoft");

	/* secrets in [oauth] are guarded like passwords */
	memset(&err, 0, sizeof(err));
	ok(config_load(&cfg, conf(UP "[oauth]\nprovider = google\n"
	    "client_id = a\nclient_secret = b\n", 0644), 1, &err) == -1 &&
	    strstr(err.msg, "holds a client secret but is readable by "
	    "others") != NULL, "oauth: client_secret in a readable file");
	(void)unlink("/tmp/t_config.key");
	fd = open("/tmp/t_config.key", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	(void)fchmod(fd, 0644);
	(void)close(fd);
	expect_err(UP "[oauth]\nprovider = google\ngrant = jwt_bearer\n"
	    "key_file = /tmp/t_config.key\n", ":7: key_file /tmp/t_config.key "
	    "is readable by others; chmod 600 /tmp/t_config.key",
	    "oauth: key file readable by others");
	(void)chmod("/tmp/t_config.key", 0600);
	is_int(load(&cfg, UP "[oauth]\nprovider = google\ngrant = jwt_bearer\n"
	    "key_file = /tmp/t_config.key\n", &err), 0,
	    "oauth: key file 0600 accepted");
	config_free(&cfg);
	(void)unlink("/tmp/t_config.key");

	/* without [oauth], xoauth2 keeps sending the password as a token */
	is_int(load(&cfg, UP "auth = xoauth2\npassword_file = /t\n", &err), 0,
	    "static xoauth2 token still loads");
	ok(!cfg.oauth.set && cfg.oauth.cache == NULL, "static: no oauth");
	config_free(&cfg);
}

int
main(void)
{
	test_full();
	test_defaults();
	test_errors();
	test_secret_free_errors();
	test_long_lines();
	test_semantics();
	test_open();
	test_secure();
	test_pin();
	test_aliases();
	test_zeroed_free();
	test_oauth();
	test_listen();
	if (path[0] != '\0')
		(void)unlink(path);
	return done_testing();
}
