#pragma once
// libcrypto's SHA-256 (Debian's libssl-dev, which libpq-dev already depends on):
// SHA-NI or AVX2 code, about 9x the portable Swift implementation on this farm's
// payloads. The one-shot-context API is deprecated in OpenSSL 3 in favour of EVP,
// whose heap context would not give a copyable hasher value; these wrappers keep it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

static inline int reel_sha256_init(SHA256_CTX *context) { return SHA256_Init(context); }
static inline int reel_sha256_update(SHA256_CTX *context, const void *bytes, size_t count) {
    return SHA256_Update(context, bytes, count);
}
static inline int reel_sha256_final(unsigned char *digest, SHA256_CTX *context) { return SHA256_Final(digest, context); }
