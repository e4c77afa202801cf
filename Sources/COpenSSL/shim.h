#ifndef AIRGAP_COPENSSL_SHIM_H
#define AIRGAP_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/obj_mac.h>

/* Swift cannot import function-like macros; these wrap the ones we use. */
static inline void airgap_openssl_free(void *p) { OPENSSL_free(p); }
static inline long airgap_bio_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }
#endif
