/* SPDX-License-Identifier: ISC */
/*
 * OpenSSL, loaded when it is first needed. posta is not linked with
 * libssl and libcrypto: loading them costs more CPU than all of an
 * -odq intake (their relocations, made at start-up), and most runs
 * never open TLS. The first TLS connection, SASL mechanism, JWT or
 * token-cache lookup loads them with dlopen(3) under their sonames,
 * found as the dynamic loader finds them (never through LD_LIBRARY_PATH
 * in a set-group-id posta, by the same loader rule).
 *
 * A module includes this header, after any other OpenSSL header and
 * instead of including them itself, and calls OpenSSL by its usual
 * names: each function below is a macro that calls through the table
 * loaded by ossl_load(). Call ossl_load() where a failure can still be
 * reported (it is the error a delivery defers with); a call that reaches
 * OpenSSL first loads it as well and, if that fails, ends the process
 * with the reason on stderr and EX_OSFILE, as the dynamic loader would
 * have at start-up. A function posta starts to use is added to the list;
 * the link fails until it is.
 */
#ifndef POSTA_OSSL_H
#define POSTA_OSSL_H

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

struct perr;

#define OSSL_FUNCTIONS(X)                       \
	X(ASN1_STRING_get0_data)                \
	X(ASN1_STRING_length)                   \
	X(ASN1_TIME_to_tm)                      \
	X(BIO_free)                             \
	X(BIO_new)                              \
	X(BIO_new_mem_buf)                      \
	X(BIO_read)                             \
	X(BIO_s_mem)                            \
	X(CRYPTO_clear_free)                    \
	X(CRYPTO_free)                          \
	X(CRYPTO_malloc)                        \
	X(CRYPTO_memcmp)                        \
	X(ERR_clear_error)                      \
	X(ERR_error_string_n)                   \
	X(ERR_peek_last_error)                  \
	X(ERR_reason_error_string)              \
	X(EVP_DecodeBlock)                      \
	X(EVP_Digest)                           \
	X(EVP_DigestSign)                       \
	X(EVP_DigestSignInit)                   \
	X(EVP_MD_CTX_free)                      \
	X(EVP_MD_CTX_new)                       \
	X(EVP_PKEY_free)                        \
	X(EVP_PKEY_get_base_id)                 \
	X(EVP_Q_mac)                            \
	X(EVP_sha256)                           \
	X(GENERAL_NAMES_free)                   \
	X(OPENSSL_cleanse)                      \
	X(OPENSSL_init_ssl)                     \
	X(OPENSSL_sk_num)                       \
	X(OPENSSL_sk_value)                     \
	X(OpenSSL_version_num)                  \
	X(PEM_read_bio_PrivateKey)              \
	X(PKCS5_PBKDF2_HMAC)                    \
	X(RAND_bytes)                           \
	X(SSL_CIPHER_get_name)                  \
	X(SSL_CTX_check_private_key)            \
	X(SSL_CTX_ctrl)                         \
	X(SSL_CTX_free)                         \
	X(SSL_CTX_get_cert_store)               \
	X(SSL_CTX_new)                          \
	X(SSL_CTX_sess_set_new_cb)              \
	X(SSL_CTX_set_options)                  \
	X(SSL_CTX_set_verify)                   \
	X(SSL_CTX_use_PrivateKey)               \
	X(SSL_CTX_use_certificate_chain_file)   \
	X(SSL_SESSION_free)                     \
	X(SSL_SESSION_get0_hostname)            \
	X(SSL_SESSION_get0_peer)                \
	X(SSL_SESSION_get_protocol_version)     \
	X(SSL_SESSION_get_ticket_lifetime_hint) \
	X(SSL_SESSION_get_time)                 \
	X(SSL_SESSION_get_timeout)              \
	X(SSL_SESSION_is_resumable)             \
	X(SSL_connect)                          \
	X(SSL_ctrl)                             \
	X(SSL_free)                             \
	X(SSL_get0_param)                       \
	X(SSL_get0_peer_certificate)            \
	X(SSL_get1_peer_certificate)            \
	X(SSL_get_current_cipher)               \
	X(SSL_get_error)                        \
	X(SSL_get_ex_data)                      \
	X(SSL_get_ex_data_X509_STORE_CTX_idx)   \
	X(SSL_get_verify_result)                \
	X(SSL_get_version)                      \
	X(SSL_new)                              \
	X(SSL_read_ex)                          \
	X(SSL_session_reused)                   \
	X(SSL_set1_host)                        \
	X(SSL_set_ex_data)                      \
	X(SSL_set_fd)                           \
	X(SSL_set_hostflags)                    \
	X(SSL_set_quiet_shutdown)               \
	X(SSL_set_session)                      \
	X(SSL_shutdown)                         \
	X(SSL_write_ex)                         \
	X(TLS_client_method)                    \
	X(X509_LOOKUP_ctrl)                     \
	X(X509_LOOKUP_get_method_data)          \
	X(X509_LOOKUP_get_store)                \
	X(X509_LOOKUP_hash_dir)                 \
	X(X509_LOOKUP_meth_free)                \
	X(X509_LOOKUP_meth_new)                 \
	X(X509_LOOKUP_meth_set_get_by_subject)  \
	X(X509_LOOKUP_set_method_data)          \
	X(X509_NAME_cmp)                        \
	X(X509_NAME_free)                       \
	X(X509_NAME_get0_der)                   \
	X(X509_NAME_print_ex)                   \
	X(X509_OBJECT_set1_X509)                \
	X(X509_STORE_CTX_get_error)             \
	X(X509_STORE_CTX_get_ex_data)           \
	X(X509_STORE_add_cert)                  \
	X(X509_STORE_add_lookup)                \
	X(X509_VERIFY_PARAM_set1_ip_asc)        \
	X(X509_check_host)                      \
	X(X509_check_ip_asc)                    \
	X(X509_digest)                          \
	X(X509_free)                            \
	X(X509_get0_notAfter)                   \
	X(X509_get_default_cert_dir)            \
	X(X509_get_default_cert_dir_env)        \
	X(X509_get_default_cert_file)           \
	X(X509_get_default_cert_file_env)       \
	X(X509_get_ext_d2i)                     \
	X(X509_get_issuer_name)                 \
	X(X509_get_subject_name)                \
	X(X509_verify_cert_error_string)        \
	X(d2i_SSL_SESSION)                      \
	X(d2i_X509)                             \
	X(d2i_X509_AUX)                         \
	X(d2i_X509_NAME)                        \
	X(i2d_SSL_SESSION)

#define OSSL_MEMBER(f) __typeof__(f) *f;
struct ossl_functions {
	OSSL_FUNCTIONS(OSSL_MEMBER)
};
#undef OSSL_MEMBER

/* Filled once by ossl_load(); read-only after that. */
extern struct ossl_functions ossl_fn;
extern int ossl_loaded;

/* Load libssl and libcrypto, once; -1 with err (EX_TEMPFAIL) if not. */
int ossl_load(struct perr *err);

/* ossl_load() for a call that has no error to return. */
const struct ossl_functions *ossl_must(void);

#define OSSL_CALL(f) (*(ossl_loaded ? &ossl_fn : ossl_must())->f)

/* ossl.c fills the table, and sees the real declarations. */
#ifndef OSSL_TABLE
#define ASN1_STRING_get0_data	  OSSL_CALL(ASN1_STRING_get0_data)
#define ASN1_STRING_length	  OSSL_CALL(ASN1_STRING_length)
#define ASN1_TIME_to_tm		  OSSL_CALL(ASN1_TIME_to_tm)
#define BIO_free		  OSSL_CALL(BIO_free)
#define BIO_new			  OSSL_CALL(BIO_new)
#define BIO_new_mem_buf		  OSSL_CALL(BIO_new_mem_buf)
#define BIO_read		  OSSL_CALL(BIO_read)
#define BIO_s_mem		  OSSL_CALL(BIO_s_mem)
#define CRYPTO_clear_free	  OSSL_CALL(CRYPTO_clear_free)
#define CRYPTO_free		  OSSL_CALL(CRYPTO_free)
#define CRYPTO_malloc		  OSSL_CALL(CRYPTO_malloc)
#define CRYPTO_memcmp		  OSSL_CALL(CRYPTO_memcmp)
#define ERR_clear_error		  OSSL_CALL(ERR_clear_error)
#define ERR_error_string_n	  OSSL_CALL(ERR_error_string_n)
#define ERR_peek_last_error	  OSSL_CALL(ERR_peek_last_error)
#define ERR_reason_error_string	  OSSL_CALL(ERR_reason_error_string)
#define EVP_DecodeBlock		  OSSL_CALL(EVP_DecodeBlock)
#define EVP_Digest		  OSSL_CALL(EVP_Digest)
#define EVP_DigestSign		  OSSL_CALL(EVP_DigestSign)
#define EVP_DigestSignInit	  OSSL_CALL(EVP_DigestSignInit)
#define EVP_MD_CTX_free		  OSSL_CALL(EVP_MD_CTX_free)
#define EVP_MD_CTX_new		  OSSL_CALL(EVP_MD_CTX_new)
#define EVP_PKEY_free		  OSSL_CALL(EVP_PKEY_free)
#define EVP_PKEY_get_base_id	  OSSL_CALL(EVP_PKEY_get_base_id)
#define EVP_Q_mac		  OSSL_CALL(EVP_Q_mac)
#define EVP_sha256		  OSSL_CALL(EVP_sha256)
#define GENERAL_NAMES_free	  OSSL_CALL(GENERAL_NAMES_free)
#define OPENSSL_cleanse		  OSSL_CALL(OPENSSL_cleanse)
#define OPENSSL_init_ssl	  OSSL_CALL(OPENSSL_init_ssl)
#define OPENSSL_sk_num		  OSSL_CALL(OPENSSL_sk_num)
#define OPENSSL_sk_value	  OSSL_CALL(OPENSSL_sk_value)
#define OpenSSL_version_num	  OSSL_CALL(OpenSSL_version_num)
#define PEM_read_bio_PrivateKey	  OSSL_CALL(PEM_read_bio_PrivateKey)
#define PKCS5_PBKDF2_HMAC	  OSSL_CALL(PKCS5_PBKDF2_HMAC)
#define RAND_bytes		  OSSL_CALL(RAND_bytes)
#define SSL_CIPHER_get_name	  OSSL_CALL(SSL_CIPHER_get_name)
#define SSL_CTX_check_private_key OSSL_CALL(SSL_CTX_check_private_key)
#define SSL_CTX_ctrl		  OSSL_CALL(SSL_CTX_ctrl)
#define SSL_CTX_free		  OSSL_CALL(SSL_CTX_free)
#define SSL_CTX_get_cert_store	  OSSL_CALL(SSL_CTX_get_cert_store)
#define SSL_CTX_new		  OSSL_CALL(SSL_CTX_new)
#define SSL_CTX_sess_set_new_cb	  OSSL_CALL(SSL_CTX_sess_set_new_cb)
#define SSL_CTX_set_options	  OSSL_CALL(SSL_CTX_set_options)
#define SSL_CTX_set_verify	  OSSL_CALL(SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey	  OSSL_CALL(SSL_CTX_use_PrivateKey)
#define SSL_CTX_use_certificate_chain_file \
	OSSL_CALL(SSL_CTX_use_certificate_chain_file)
#define SSL_SESSION_free	  OSSL_CALL(SSL_SESSION_free)
#define SSL_SESSION_get0_hostname OSSL_CALL(SSL_SESSION_get0_hostname)
#define SSL_SESSION_get0_peer	  OSSL_CALL(SSL_SESSION_get0_peer)
#define SSL_SESSION_get_protocol_version \
	OSSL_CALL(SSL_SESSION_get_protocol_version)
#define SSL_SESSION_get_ticket_lifetime_hint \
	OSSL_CALL(SSL_SESSION_get_ticket_lifetime_hint)
#define SSL_SESSION_get_time	  OSSL_CALL(SSL_SESSION_get_time)
#define SSL_SESSION_get_timeout	  OSSL_CALL(SSL_SESSION_get_timeout)
#define SSL_SESSION_is_resumable  OSSL_CALL(SSL_SESSION_is_resumable)
#define SSL_connect		  OSSL_CALL(SSL_connect)
#define SSL_ctrl		  OSSL_CALL(SSL_ctrl)
#define SSL_free		  OSSL_CALL(SSL_free)
#define SSL_get0_param		  OSSL_CALL(SSL_get0_param)
#define SSL_get0_peer_certificate OSSL_CALL(SSL_get0_peer_certificate)
#define SSL_get1_peer_certificate OSSL_CALL(SSL_get1_peer_certificate)
#define SSL_get_current_cipher	  OSSL_CALL(SSL_get_current_cipher)
#define SSL_get_error		  OSSL_CALL(SSL_get_error)
#define SSL_get_ex_data		  OSSL_CALL(SSL_get_ex_data)
#define SSL_get_ex_data_X509_STORE_CTX_idx \
	OSSL_CALL(SSL_get_ex_data_X509_STORE_CTX_idx)
#define SSL_get_verify_result	    OSSL_CALL(SSL_get_verify_result)
#define SSL_get_version		    OSSL_CALL(SSL_get_version)
#define SSL_new			    OSSL_CALL(SSL_new)
#define SSL_read_ex		    OSSL_CALL(SSL_read_ex)
#define SSL_session_reused	    OSSL_CALL(SSL_session_reused)
#define SSL_set1_host		    OSSL_CALL(SSL_set1_host)
#define SSL_set_ex_data		    OSSL_CALL(SSL_set_ex_data)
#define SSL_set_fd		    OSSL_CALL(SSL_set_fd)
#define SSL_set_hostflags	    OSSL_CALL(SSL_set_hostflags)
#define SSL_set_quiet_shutdown	    OSSL_CALL(SSL_set_quiet_shutdown)
#define SSL_set_session		    OSSL_CALL(SSL_set_session)
#define SSL_shutdown		    OSSL_CALL(SSL_shutdown)
#define SSL_write_ex		    OSSL_CALL(SSL_write_ex)
#define TLS_client_method	    OSSL_CALL(TLS_client_method)
#define X509_LOOKUP_ctrl	    OSSL_CALL(X509_LOOKUP_ctrl)
#define X509_LOOKUP_get_method_data OSSL_CALL(X509_LOOKUP_get_method_data)
#define X509_LOOKUP_get_store	    OSSL_CALL(X509_LOOKUP_get_store)
#define X509_LOOKUP_hash_dir	    OSSL_CALL(X509_LOOKUP_hash_dir)
#define X509_LOOKUP_meth_free	    OSSL_CALL(X509_LOOKUP_meth_free)
#define X509_LOOKUP_meth_new	    OSSL_CALL(X509_LOOKUP_meth_new)
#define X509_LOOKUP_meth_set_get_by_subject \
	OSSL_CALL(X509_LOOKUP_meth_set_get_by_subject)
#define X509_LOOKUP_set_method_data    OSSL_CALL(X509_LOOKUP_set_method_data)
#define X509_NAME_cmp		       OSSL_CALL(X509_NAME_cmp)
#define X509_NAME_free		       OSSL_CALL(X509_NAME_free)
#define X509_NAME_get0_der	       OSSL_CALL(X509_NAME_get0_der)
#define X509_NAME_print_ex	       OSSL_CALL(X509_NAME_print_ex)
#define X509_OBJECT_set1_X509	       OSSL_CALL(X509_OBJECT_set1_X509)
#define X509_STORE_CTX_get_error       OSSL_CALL(X509_STORE_CTX_get_error)
#define X509_STORE_CTX_get_ex_data     OSSL_CALL(X509_STORE_CTX_get_ex_data)
#define X509_STORE_add_cert	       OSSL_CALL(X509_STORE_add_cert)
#define X509_STORE_add_lookup	       OSSL_CALL(X509_STORE_add_lookup)
#define X509_VERIFY_PARAM_set1_ip_asc  OSSL_CALL(X509_VERIFY_PARAM_set1_ip_asc)
#define X509_check_host		       OSSL_CALL(X509_check_host)
#define X509_check_ip_asc	       OSSL_CALL(X509_check_ip_asc)
#define X509_digest		       OSSL_CALL(X509_digest)
#define X509_free		       OSSL_CALL(X509_free)
#define X509_get0_notAfter	       OSSL_CALL(X509_get0_notAfter)
#define X509_get_default_cert_dir      OSSL_CALL(X509_get_default_cert_dir)
#define X509_get_default_cert_dir_env  OSSL_CALL(X509_get_default_cert_dir_env)
#define X509_get_default_cert_file     OSSL_CALL(X509_get_default_cert_file)
#define X509_get_default_cert_file_env OSSL_CALL(X509_get_default_cert_file_env)
#define X509_get_ext_d2i	       OSSL_CALL(X509_get_ext_d2i)
#define X509_get_issuer_name	       OSSL_CALL(X509_get_issuer_name)
#define X509_get_subject_name	       OSSL_CALL(X509_get_subject_name)
#define X509_verify_cert_error_string  OSSL_CALL(X509_verify_cert_error_string)
#define d2i_SSL_SESSION		       OSSL_CALL(d2i_SSL_SESSION)
#define d2i_X509		       OSSL_CALL(d2i_X509)
#define d2i_X509_AUX		       OSSL_CALL(d2i_X509_AUX)
#define d2i_X509_NAME		       OSSL_CALL(d2i_X509_NAME)
#define i2d_SSL_SESSION		       OSSL_CALL(i2d_SSL_SESSION)
#endif

#endif /* POSTA_OSSL_H */
