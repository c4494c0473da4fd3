/* CRC-32 of zlib and java.util.zip.CRC32 (reflected polynomial 0xEDB88320):
 * the message body checksum of the commit log and the register-broker body.
 * The same results as zlib's crc32_z, faster on short buffers: zlib spends
 * ~85 ns on a 128-byte body on this project's machine, about the cost of
 * the rest of a store append. */
#ifndef RMQ_BASE_CRC32_H
#define RMQ_BASE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of n bytes at p continued from crc (0 to start), as crc32_z. */
uint32_t rmq_crc32(uint32_t crc, const void *p, size_t n);

#endif
