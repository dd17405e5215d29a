/* SPDX-License-Identifier: ISC */
/*
 * /etc/posta.conf (INI, read with libinih) -> an immutable struct config.
 * Strings are owned by the struct and released by config_free().
 */
#ifndef POSTA_CONFIG_H
#define POSTA_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "perr.h"

enum tls_mode {
	TLS_STARTTLS, /* plain connect, STARTTLS required */
	TLS_IMPLICIT, /* TLS from the first byte (port 465) */
	TLS_NONE      /* never TLS, and so never credentials */
};

enum auth_mech {
	AUTH_AUTO, /* best one the server offers */
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,
	AUTH_SCRAM_SHA_256,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER /* RFC 7628 */
};

enum delivery_mode {
	DELIVERY_FOREGROUND, /* -odi: deliver now, wait */
	DELIVERY_BACKGROUND, /* -odb: deliver in a detached child */
	DELIVERY_QUEUE	     /* -odq: queue only */
};

struct alias {
	char *name;	       /* local name, lower case */
	struct strvec targets; /* addr-specs, parsed at load; n > 0 */
};

struct config {
	char *path; /* file it was read from; NULL: none */

	/* [upstream] */
	char *host;
	int port;	   /* default: 587, or 465 with tls = implicit */
	enum tls_mode tls; /* default: implicit on port 465, else starttls */
	char *username;
	char *password;
	char *password_file;
	char *password_command;
	enum auth_mech auth;
	char *ca_file; /* NULL: the system trust store */
	int has_pin;
	unsigned char pin[32]; /* sha256 of the server certificate (DER) */
	char *cert_file;       /* client certificate (PEM), or NULL */
	char *key_file;	       /* its key; both or neither */
	int tls_min_version;   /* 12 (default) or 13 */
	int timeout;	       /* seconds per SMTP step */
	int send_timeout;      /* seconds a foreground delivery may
					   take in all, default 30 */
	char *helo;	       /* NULL: this host's name */

	/* [sender] */
	char *from;
	char *domain;
	int force_from;
	int notify_any; /* notifications to any sender */

	/* [aliases], in file order; "*" is kept apart */
	struct alias *aliases;
	size_t naliases;
	struct strvec catchall; /* targets of "*"; n == 0: none */

	/*
	 * Not a key: the end (mono_now()) of the wait a caller puts up
	 * with, set on a copy of the configuration for one foreground
	 * delivery (submit.c); 0 for none. Every wait of that delivery,
	 * the OAuth token request included, ends by then.
	 */
	double deadline;

	/* [queue] */
	char *spooldir;
	enum delivery_mode delivery;
	time_t max_age;

	/* [log] */
	int syslog;
	char *logfile;

	/* [listen]: posta -bd */
	struct listen_conf {
		char *address;	  /* an address literal; NULL: 127.0.0.1 */
		int port;	  /* default 25 */
		char *allow;	  /* client networks besides loopback */
		int max_clients;  /* connections at once, default 50 */
		int max_commands; /* per connection, default 10000 */
		int timeout; /* seconds a client may be idle, default 300 */
		long long max_size; /* octets of one message; 0: no limit */
	} listen;

	/* [oauth] */
	struct oauth_conf {
		int set; /* the [oauth] section is present */
		enum oauth_provider {
			OAUTH_GENERIC,
			OAUTH_MICROSOFT,
			OAUTH_GOOGLE
		} provider;
		char *tenant; /* microsoft; default "organizations" */
		enum oauth_grant {
			GRANT_REFRESH_TOKEN,
			GRANT_CLIENT_CREDENTIALS,
			GRANT_JWT_BEARER
		} grant;
		char *client_id;
		char *client_secret, *client_secret_file,
		    *client_secret_command;
		char *scope; /* default per provider and grant */
		char *token_url, *device_url, *auth_url; /* same */
		char *ca_file; /* NULL: the system trust store */
		char *refresh_token_file;
		char *key_file;	     /* jwt_bearer: the account's JSON key */
		char *cache;	     /* default: <spooldir>/oauth/<name> */
		long refresh_margin; /* seconds, default 600 */
	} oauth;
};

/*
 * Read FILE into cfg, which is zeroed first and holds the defaults for
 * what the file does not set. On error cfg is freed, err says
 * "FILE:LINE: message" (EX_CONFIG) and -1 is returned. With
 * check_secure, a file that holds a password and can be read by
 * others is refused.
 */
int config_load(struct config *cfg, const char *file, int check_secure,
    struct perr *err);

/*
 * config_load() from a stream already open (the caller closes it),
 * named name in errors; no permission check: for tests and fuzzing.
 */
int config_load_stream(struct config *cfg, FILE *fp, const char *name,
    struct perr *err);

/* One setting from outside the file: an environment variable (cfgenv.h). */
struct config_setting {
	const char *section; /* "upstream", "aliases", ... */
	const char *name;    /* the key, or the alias name */
	const char *value;
	const char *origin; /* for errors: "POSTA_UPSTREAM_PORT" */
};

/*
 * config_load(), then set[0..nset) over what the file says, a later
 * setting winning over an earlier one; then the defaults and checks.
 * A secret set this way drops the file's other source of it (password
 * over password_file, ...). file NULL: no file; with optional, a file
 * that does not exist is no file (cfg->path stays NULL). An error
 * about a setting starts with its origin instead of "FILE:LINE".
 */
int config_load_with(struct config *cfg, const char *file, int optional,
    const struct config_setting *set, size_t nset, int check_secure,
    struct perr *err);

/*
 * The seconds one wait may take: timeout, or fewer when cfg->deadline
 * comes first (rounded up, at least 1), for the waits that take whole
 * seconds (a password_command, the OAuth requests).
 */
int config_timeout(const struct config *cfg);

/* Section i, or NULL past the end; key i and its section, or NULL. */
const char *config_section_name(size_t i);
const char *config_key_name(size_t i, const char **section);

/* Case-insensitive edit distance; SIZE_MAX for names over 64 octets. */
size_t config_distance(const char *a, const char *b);

/* Release what cfg owns, wiping the password; cfg may be zeroed. */
void config_free(struct config *cfg);

/* The targets of the alias of a local name (any case), or NULL. */
const struct strvec *config_alias(const struct config *cfg, const char *name);

/*
 * Parse an [aliases] value, a list of addresses as in To:, into its
 * targets (addr-specs and bare local names, initialised here). Returns
 * 0, or -1 with err (EX_CONFIG: not a list, or no address in it;
 * EX_OSERR) and targets empty. config_load() does this for every alias.
 */
int config_alias_parse(const char *value, struct strvec *targets,
    struct perr *err);

#endif /* POSTA_CONFIG_H */
