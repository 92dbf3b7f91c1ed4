#ifndef PALISADE_COPENSSL_SHIM_H
#define PALISADE_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

// Macros and variadic functions that Swift cannot import, as prefixed static inline wrappers.

static inline int palisade_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long palisade_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long palisade_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) {
    return SSL_CTX_sess_set_cache_size(ctx, size);
}
static inline uint64_t palisade_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t options) {
    return SSL_CTX_set_options(ctx, options);
}
static inline long palisade_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline uint64_t palisade_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t palisade_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t palisade_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t palisade_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline long palisade_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline int palisade_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *palisade_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int i) {
    return sk_GENERAL_NAME_value(names, i);
}
static inline void palisade_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
static inline int palisade_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *extensions) {
    return sk_X509_EXTENSION_num(extensions);
}
static inline void palisade_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *extensions) {
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
}
static inline long palisade_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
static inline unsigned long palisade_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline void palisade_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline EVP_PKEY *palisade_generate_ec_p256(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }

// The type and value of one GENERAL_NAME, without reaching into the union from Swift.
static inline int palisade_GENERAL_NAME_type(const GENERAL_NAME *name) { return name->type; }
static inline const ASN1_IA5STRING *palisade_GENERAL_NAME_ia5(const GENERAL_NAME *name) {
    switch (name->type) {
    case GEN_URI: return name->d.uniformResourceIdentifier;
    case GEN_DNS: return name->d.dNSName;
    case GEN_EMAIL: return name->d.rfc822Name;
    default: return NULL;
    }
}
static inline const ASN1_OCTET_STRING *palisade_GENERAL_NAME_ip(const GENERAL_NAME *name) {
    return name->type == GEN_IPADD ? name->d.iPAddress : NULL;
}

#endif
