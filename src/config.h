/* SPDX-License-Identifier: ISC */
/*
 * /etc/posta.conf (INI, read with libinih) -> an immutable struct config.
 * Strings are owned by the struct and released by config_free().
 */
#ifndef POSTA_CONFIG_H
#define POSTA_CONFIG_H

#include <stddef.h>
#include <time.h>

#include "perr.h"

enum tls_mode {
	TLS_STARTTLS,		/* plain connect, STARTTLS required */
	TLS_IMPLICIT,		/* TLS from the first byte (port 465) */
	TLS_NONE		/* never TLS, and so never credentials */
};

enum auth_mech {
	AUTH_AUTO,		/* best one the server offers */
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,
	AUTH_SCRAM_SHA_256,
	AUTH_XOAUTH2
};

enum delivery_mode {
	DELIVERY_FOREGROUND,	/* -odi: deliver now, wait */
	DELIVERY_BACKGROUND,	/* -odb: deliver in a detached child */
	DELIVERY_QUEUE		/* -odq: queue only */
};

struct alias {
	char	*name;		/* local name, lower case */
	char	*value;		/* comma-separated targets, as written */
};

struct config {
	char	*path;		/* file it was read from */

	/* [upstream] */
	char		*host;
	int		 port;		/* default: 587, or 465 with tls = implicit */
	enum tls_mode	 tls;		/* default: implicit on port 465, else starttls */
	char		*username;
	char		*password;
	char		*password_file;
	char		*password_command;
	enum auth_mech	 auth;
	char		*ca_file;	/* NULL: the system trust store */
	int		 has_pin;
	unsigned char	 pin[32];	/* sha256 of the server certificate (DER) */
	char		*cert_file;	/* client certificate (PEM), or NULL */
	char		*key_file;	/* its key; both or neither */
	int		 tls_min_version; /* 12 (default) or 13 */
	int		 timeout;	/* seconds per SMTP step */
	char		*helo;		/* NULL: this host's name */

	/* [sender] */
	char		*from;
	char		*domain;
	int		 force_from;

	/* [aliases], in file order; "*" is kept apart */
	struct alias	*aliases;
	size_t		 naliases;
	char		*catchall;

	/* [queue] */
	char		*spooldir;
	enum delivery_mode delivery;
	time_t		 max_age;

	/* [log] */
	int		 syslog;
	char		*logfile;
};

/*
 * Read FILE into cfg, which is zeroed first and holds the defaults for
 * what the file does not set. On error cfg is freed, err says
 * "FILE:LINE: message" (EX_CONFIG) and -1 is returned. With
 * check_secure, a file that holds a password and can be read by
 * others is refused.
 */
int	config_load(struct config *cfg, const char *file, int check_secure,
	    struct perr *err);

/* Release what cfg owns, wiping the password; cfg may be zeroed. */
void	config_free(struct config *cfg);

/* The alias targets for a lower-case local name, or NULL. */
const char *config_alias(const struct config *cfg, const char *name);

/* Parse "90", "90s", "15m", "2h", "5d", "1w" into seconds; -1 if invalid. */
long	config_duration(const char *s);

#endif /* POSTA_CONFIG_H */
