/* SPDX-License-Identifier: ISC */
/*
 * What one TLS client session must check: filled in by the protocols
 * (smtp.c, http.c), carried by the transport (conn.h) to the TLS
 * engine (tls.h), so that the protocols need not know the engine.
 */
#ifndef POSTA_TLSPARAMS_H
#define POSTA_TLSPARAMS_H

/* Zeroed fields mean: system trust store, no client certificate, TLS 1.2, no resumption. */
struct tls_params {
	const char *
	    servername; /* SNI and name check; an IP literal is checked as an IP */
	const char *ca_file; /* PEM bundle; NULL: the system trust store */
	const unsigned char
	    *pin; /* 32-byte SHA-256 of the certificate (DER), or NULL */
	const char *cert_file; /* client certificate chain (PEM), or NULL */
	const char *
	    key_file; /* its key (PEM, not encrypted, not readable by others) */
	int min_version; /* 13: TLS 1.3 only; otherwise 1.2 or later */
	const char
	    *session_file; /* resume from and save to; NULL: never resume */
	const char
	    *session_peer; /* "host:port mode": what a stored session is for */
};

#endif /* POSTA_TLSPARAMS_H */
