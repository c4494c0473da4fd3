/* MD5 (RFC 1321), for the consistent-hash queue allocation, which must
 * reproduce Java's MessageDigest.getInstance("MD5") bit for bit.  Not for
 * anything that needs a secure hash. */
#ifndef RMQ_BASE_MD5_H
#define RMQ_BASE_MD5_H

#include <stddef.h>
#include <stdint.h>

/* The 16-byte digest of the n bytes at p. */
void rmq_md5(const void *p, size_t n, uint8_t out[16]);

#endif
