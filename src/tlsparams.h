/* SPDX-License-Identifier: ISC */
/*
 * What one TLS client session must check: filled in by the protocols
 * (smtp.c, http.c), carried by the transport (conn.h) to the TLS
 * engine (tls.h), so that the protocols need not know the engine.
 */
#ifndef POSTA_TLSPARAMS_H
#define POSTA_TLSPARAMS_H

struct tls_params {
	const char		*servername;	/* SNI and name check; an IP literal is checked as an IP */
	const char		*ca_file;	/* PEM bundle; NULL: the system trust store */
	const unsigned char	*pin;		/* 32-byte SHA-256 of the certificate (DER), or NULL */
};

#endif /* POSTA_TLSPARAMS_H */
