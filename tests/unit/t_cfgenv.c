/* SPDX-License-Identifier: ISC */
/*
 * cfgenv.c: the POSTA_URL parser, the variable-name mapping over
 * config.c's key table, and settings over a file (overrides, aliases,
 * secrets, a missing file, errors naming the variable).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cfgenv.h"
#include "config.h"
#include "paths.h"
#include "tap.h"

static char path[64];

static const char *
conf(const char *text)
{
	size_t len = strlen(text);
	int fd;

	if (path[0] != '\0')
		(void)unlink(path);
	(void)snprintf(path, sizeof(path), "/tmp/t_cfgenv.XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, len) != (ssize_t)len || close(fd) == -1) {
		perror("conf");
		exit(2);
	}
	return path;
}

static void
url_ok(const char *url, const char *host, const char *port, const char *tls,
    const char *user)
{
	struct cfgenv_url u;
	struct perr err = { 0, "" };

	ok(cfgenv_url(url, &u, &err) == 0, "%s: parsed", url);
	is_str(u.host, host, "%s: host", url);
	is_str(u.port, port, "%s: port", url);
	is_str(u.tls, tls, "%s: tls", url);
	is_str(u.username, user, "%s: username", url);
}

static void
url_bad(const char *url, const char *want)
{
	struct cfgenv_url u;
	struct perr err = { 0, "" };

	ok(cfgenv_url(url, &u, &err) == -1 && err.code == EX_CONFIG,
	    "%s: refused", url);
	is_str(err.msg, want, "%s: message", url);
}

static void
test_url(void)
{
	url_ok("smtps://me@example.com@smtp.example.com:465",
	    "smtp.example.com", "465", "implicit", "me@example.com");
	url_ok("smtps://me%40example.com@smtp.example.com",
	    "smtp.example.com", "465", "implicit", "me@example.com");
	url_ok("smtp://robot@mail.example.org:587/", "mail.example.org",
	    "587", "starttls", "robot");
	url_ok("smtp://mail.example.org", "mail.example.org", "587",
	    "starttls", "");
	url_ok("SMTPS://h:2465", "h", "2465", "implicit", "");
	url_ok("smtp://u@[::1]:2525", "::1", "2525", "starttls", "u");
	url_ok("smtps://[2001:db8::1]", "2001:db8::1", "465", "implicit", "");
	url_bad("smtps://me:secret@h:465", "POSTA_URL: a password in the URL "
	    "is refused; put it in a file and set "
	    "POSTA_UPSTREAM_PASSWORD_FILE");
	url_bad("smtps://me:@h", "POSTA_URL: a password in the URL is "
	    "refused; put it in a file and set POSTA_UPSTREAM_PASSWORD_FILE");
	url_bad("https://h", "POSTA_URL: expected smtps://[user@]host[:port] "
	    "(implicit TLS) or smtp://[user@]host[:port] (STARTTLS)");
	url_bad("h:587", "POSTA_URL: expected smtps://[user@]host[:port] "
	    "(implicit TLS) or smtp://[user@]host[:port] (STARTTLS)");
	url_bad("smtp://h:0", "POSTA_URL: invalid port \"0\"; expected a "
	    "number from 1 to 65535");
	url_bad("smtp://h:65536", "POSTA_URL: invalid port \"65536\"; "
	    "expected a number from 1 to 65535");
	url_bad("smtp://h:", "POSTA_URL: invalid port \"\"; expected a number "
	    "from 1 to 65535");
	url_bad("smtp://h:58x", "POSTA_URL: invalid port \"58x\"; expected a "
	    "number from 1 to 65535");
	url_bad("smtp://", "POSTA_URL: no host");
	url_bad("smtp://u@:25", "POSTA_URL: no host");
	url_bad("smtp://h/path", "POSTA_URL: a path, query or fragment "
	    "(\"/path\") is not allowed");
	url_bad("smtp://h?x=1", "POSTA_URL: a path, query or fragment "
	    "(\"?x=1\") is not allowed");
	url_bad("smtp://[::1", "POSTA_URL: unbalanced [ in the host");
	url_bad("smtp://%4@h", "POSTA_URL: invalid user name; write it "
	    "percent-encoded (me%40example.com) or as it is");
	url_bad("smtp://a%0ab@h", "POSTA_URL: invalid user name; write it "
	    "percent-encoded (me%40example.com) or as it is");
	url_bad("smtp://@h", "POSTA_URL: invalid user name; write it "
	    "percent-encoded (me%40example.com) or as it is");
}

static void
name_is(const char *var, int want, const char *section, const char *name,
    const char *msg)
{
	char s[32] = "", n[CFGENV_MAX_NAME] = "";
	struct perr err = { 0, "" };
	int rc;

	rc = cfgenv_name(var, s, sizeof(s), n, sizeof(n), &err);
	is_int(rc, want, "%s: result", var);
	if (want == 1) {
		is_str(s, section, "%s: section", var);
		is_str(n, name, "%s: key", var);
	}
	if (want == -1)
		is_str(err.msg, msg, "%s: message", var);
}

static void
test_names(void)
{
	name_is("POSTA_UPSTREAM_HOST", 1, "upstream", "host", NULL);
	name_is("POSTA_UPSTREAM_PASSWORD_FILE", 1, "upstream",
	    "password_file", NULL);
	name_is("POSTA_UPSTREAM_CA_FILE", 1, "upstream", "ca_file", NULL);
	name_is("POSTA_SENDER_FROM", 1, "sender", "from", NULL);
	name_is("POSTA_SENDER_FORCE_FROM", 1, "sender", "force_from", NULL);
	name_is("POSTA_QUEUE_DIR", 1, "queue", "dir", NULL);
	name_is("POSTA_QUEUE_MAX_AGE", 1, "queue", "max_age", NULL);
	name_is("POSTA_LOG_FILE", 1, "log", "file", NULL);
	name_is("POSTA_ALIASES_ROOT", 1, "aliases", "root", NULL);
	name_is("POSTA_ALIASES_WWW_DATA", 1, "aliases", "www_data", NULL);
	name_is("POSTA_ALIASES_CATCHALL", 1, "aliases", "*", NULL);
	/* every key of the table maps back to itself */
	{
		const char *sec, *key;
		char var[CFGENV_MAX_NAME], s[32], n[CFGENV_MAX_NAME];
		struct perr err = { 0, "" };
		size_t i, j, bad = 0;

		for (i = 0; (key = config_key_name(i, &sec)) != NULL; i++) {
			(void)snprintf(var, sizeof(var), "POSTA_%s_%s", sec,
			    key);
			for (j = 0; var[j] != '\0'; j++)
				if (var[j] >= 'a' && var[j] <= 'z')
					var[j] = (char)(var[j] - 'a' + 'A');
			if (cfgenv_name(var, s, sizeof(s), n, sizeof(n),
			    &err) != 1 || strcmp(s, sec) != 0 ||
			    strcmp(n, key) != 0)
				bad++;
		}
		ok(i > 15 && bad == 0, "all %zu keys map", i);
	}
	name_is("PATH", 0, NULL, NULL, NULL);
	name_is("POSTA", 0, NULL, NULL, NULL);
	name_is("POSTA_VALGRIND", 0, NULL, NULL, NULL);
	name_is("POSTA_T", 0, NULL, NULL, NULL);
	name_is("posta_upstream_host", 0, NULL, NULL, NULL);
	name_is("POSTA_UPSTREAM_PASWORD", -1, NULL, NULL,
	    "POSTA_UPSTREAM_PASWORD: unknown variable; did you mean "
	    "POSTA_UPSTREAM_PASSWORD?");
	name_is("POSTA_UPSTRAEM_HOST", -1, NULL, NULL,
	    "POSTA_UPSTRAEM_HOST: unknown variable; did you mean "
	    "POSTA_UPSTREAM_HOST?");
	name_is("POSTA_URI", -1, NULL, NULL,
	    "POSTA_URI: unknown variable; did you mean POSTA_URL?");
	name_is("POSTA_QUEUE_COLOUR", -1, NULL, NULL,
	    "POSTA_QUEUE_COLOUR: unknown variable; see ENVIRONMENT in "
	    "posta(8)");
	name_is("POSTA_UPSTREAM_FROM", -1, NULL, NULL,
	    "POSTA_UPSTREAM_FROM: unknown variable; did you mean "
	    "POSTA_SENDER_FROM?");
}

/* Load the file text (NULL: none) with the environment env. */
static int
load(struct config *cfg, const char *text, char *const *env,
    struct perr *err)
{
	memset(err, 0, sizeof(*err));
	return cfgenv_load(cfg, text != NULL ? conf(text) :
	    "/nonexistent/posta.conf", 0, env, err);
}

#define ENV(...)	((char *const *)(const char *const[]){ __VA_ARGS__, NULL })

static const char base[] =
    "[upstream]\nhost = file.example\nport = 465\nusername = fileuser\n"
    "password = filepw\n[sender]\nfrom = file@example.com\n"
    "[aliases]\nroot = fileroot@example.com\nops = ops@example.com\n"
    "[queue]\ndir = /var/spool/file\n";

static void
test_override(void)
{
	struct config cfg;
	struct perr err;

	ok(load(&cfg, base, ENV("POSTA_UPSTREAM_HOST=env.example",
	    "POSTA_UPSTREAM_PORT=2587", "POSTA_QUEUE_DIR=/srv/spool",
	    "POSTA_SENDER_FROM=", "POSTA_ALIASES_ROOT=envroot@example.com",
	    "POSTA_ALIASES_CATCHALL=all@example.com", "HOME=/root"),
	    &err) == 0, "override: loaded (%s)", err.msg);
	is_str(cfg.host, "env.example", "override: host");
	is_int(cfg.port, 2587, "override: port");
	is_int(cfg.tls, TLS_STARTTLS, "override: tls follows the new port");
	is_str(cfg.spooldir, "/srv/spool", "override: queue dir");
	is_str(cfg.from, "file@example.com", "override: empty is unset");
	ok(config_alias(&cfg, "root") != NULL &&
	    config_alias(&cfg, "root")->n == 1 &&
	    strcmp(config_alias(&cfg, "root")->v[0],
	    "envroot@example.com") == 0, "override: alias replaced");
	ok(config_alias(&cfg, "ops") != NULL &&
	    config_alias(&cfg, "ops")->n == 1 &&
	    strcmp(config_alias(&cfg, "ops")->v[0], "ops@example.com") == 0,
	    "override: other alias kept");
	ok(cfg.catchall.n == 1 &&
	    strcmp(cfg.catchall.v[0], "all@example.com") == 0,
	    "override: catch-all");
	is_str(cfg.path, path, "override: path is the file");
	config_free(&cfg);

	/* a password_file from outside drops the file's password */
	ok(load(&cfg, base, ENV("POSTA_UPSTREAM_PASSWORD_FILE=/run/secrets/pw"),
	    &err) == 0, "secret: loaded (%s)", err.msg);
	ok(cfg.password == NULL, "secret: the file's password dropped");
	is_str(cfg.password_file, "/run/secrets/pw", "secret: password_file");
	config_free(&cfg);

	/* the URL, and a specific variable winning over it */
	ok(load(&cfg, base, ENV("POSTA_UPSTREAM_PORT=2465",
	    "POSTA_URL=smtp://urluser@url.example"), &err) == 0,
	    "url: loaded (%s)", err.msg);
	is_str(cfg.host, "url.example", "url: host");
	is_int(cfg.port, 2465, "url: POSTA_UPSTREAM_PORT wins");
	is_int(cfg.tls, TLS_STARTTLS, "url: tls");
	is_str(cfg.username, "urluser", "url: username");
	is_str(cfg.password, "filepw", "url: password from the file");
	config_free(&cfg);
}

static void
test_nofile(void)
{
	struct config cfg;
	struct perr err;

	ok(load(&cfg, NULL, ENV("POSTA_URL=smtps://bot%40example.com@"
	    "smtp.example.com", "POSTA_UPSTREAM_PASSWORD_FILE=/run/pw"),
	    &err) == 0, "no file: loaded (%s)", err.msg);
	is_str(cfg.host, "smtp.example.com", "no file: host");
	is_int(cfg.port, 465, "no file: port");
	is_int(cfg.tls, TLS_IMPLICIT, "no file: tls");
	is_str(cfg.username, "bot@example.com", "no file: user");
	ok(cfg.path == NULL, "no file: no path");
	is_str(cfg.spooldir, SPOOLDIR, "no file: default spool");
	config_free(&cfg);

	ok(load(&cfg, NULL, ENV("POSTA_UPSTREAM_HOST=h.example"), &err) == 0,
	    "no file, host only: loaded (%s)", err.msg);
	is_int(cfg.port, 587, "no file, host only: port");
	config_free(&cfg);

	ok(load(&cfg, NULL, ENV("POSTA_QUEUE_DIR=/x"), &err) == -1,
	    "no file, no host: refused");
	is_str(err.msg, "/nonexistent/posta.conf: cannot open: No such file "
	    "or directory", "no file, no host: message");

	/* -C names a file: it must exist, whatever the environment says */
	memset(&err, 0, sizeof(err));
	ok(cfgenv_load(&cfg, "/nonexistent/c.conf", 1,
	    ENV("POSTA_UPSTREAM_HOST=h"), &err) == -1, "-C: must exist");

	/* envp NULL: the environment is ignored */
	ok(load(&cfg, NULL, NULL, &err) == -1, "ignored env: file needed");
	ok(load(&cfg, base, NULL, &err) == 0, "ignored env: loaded");
	is_str(cfg.host, "file.example", "ignored env: file's host");
	config_free(&cfg);
}

static void
env_err(const char *text, char *const *env, const char *want)
{
	struct config cfg;
	struct perr err;

	ok(load(&cfg, text, env, &err) == -1 && err.code == EX_CONFIG,
	    "%s: refused", want);
	is_str(err.msg, want, "%.40s: message", want);
	ok(cfg.host == NULL, "%.40s: cfg freed", want);
}

static void
test_errors(void)
{
	env_err(base, ENV("POSTA_UPSTREAM_PORT=abc"), "POSTA_UPSTREAM_PORT: "
	    "invalid port \"abc\"; expected a number from 1 to 65535");
	env_err(NULL, ENV("POSTA_UPSTREAM_HOST=smtp://x"),
	    "POSTA_UPSTREAM_HOST: invalid host \"smtp://x\"; expected a host "
	    "name or address, without scheme or port");
	env_err(base, ENV("POSTA_UPSTREAM_TLS=maybe"), "POSTA_UPSTREAM_TLS: "
	    "invalid tls \"maybe\"; expected starttls, implicit or none");
	env_err(base, ENV("POSTA_QUEUE_DIR=spool"), "POSTA_QUEUE_DIR: dir "
	    "must be an absolute path");
	env_err(base, ENV("POSTA_UPSTREAM_TIMEOUT=forever"),
	    "POSTA_UPSTREAM_TIMEOUT: invalid timeout \"forever\"; expected a "
	    "duration from 1s to 1d, such as 60, 90s or 2m");
	env_err(base, ENV("POSTA_SENDER_FROM=a\nb"), "POSTA_SENDER_FROM: "
	    "control character in the value");
	env_err(base, ENV("POSTA_ALIASES_ROOT=x", "POSTA_ALIASES_A@B=y"),
	    "POSTA_ALIASES_A@B: invalid alias name \"a@b\"; expected a local "
	    "name without '@' or blanks");
	env_err(NULL, ENV("POSTA_UPSTREAM_HOST=h", "POSTA_UPSTREAM_USERNAME=u"),
	    "POSTA_UPSTREAM_USERNAME: username is set but none of password, "
	    "password_file or password_command");
	env_err(NULL, ENV("POSTA_UPSTREAM_HOST=h", "POSTA_UPSTREAM_USERNAME=u",
	    "POSTA_UPSTREAM_PASSWORD=p", "POSTA_UPSTREAM_PASSWORD_FILE=/p"),
	    "POSTA_UPSTREAM_PASSWORD_FILE: set only one of password, "
	    "password_file and password_command");
	env_err(base, ENV("POSTA_LOG_SYSLOG=sometimes"), "POSTA_LOG_SYSLOG: "
	    "invalid syslog \"sometimes\"; expected yes, no, true, false, "
	    "on, off, 1 or 0");
	env_err(base, ENV("POSTA_URL=smtps://u:p@h"), "POSTA_URL: a password "
	    "in the URL is refused; put it in a file and set "
	    "POSTA_UPSTREAM_PASSWORD_FILE");
	env_err(base, ENV("POSTA_SENDER_FORM=x"), "POSTA_SENDER_FORM: unknown "
	    "variable; did you mean POSTA_SENDER_FROM?");
	/* a file error still reads FILE:LINE */
	{
		struct config cfg;
		struct perr err;
		char want[256];

		ok(load(&cfg, "[upstream]\nhost = h\nport = x\n",
		    ENV("POSTA_QUEUE_DIR=/q"), &err) == -1, "file error");
		(void)snprintf(want, sizeof(want), "%s:3: invalid port \"x\"; "
		    "expected a number from 1 to 65535", path);
		is_str(err.msg, want, "file error: FILE:LINE");
	}
}

int
main(void)
{
	test_url();
	test_names();
	test_override();
	test_nofile();
	test_errors();
	if (path[0] != '\0')
		(void)unlink(path);
	return done_testing();
}
