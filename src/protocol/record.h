/* The stored message record, in the commit log and in every PULL body
 * (Apache RocketMQ 4.9.8
 * store/.../CommitLog.java, common/.../message/MessageDecoder.java; reference
 * broker.md section 2).  All integers big-endian.
 *
 *   off(v4/v4) size  field
 *    0         4     TOTALSIZE              whole record, this field included
 *    4         4     MAGICCODE              0xDAA320A7 (5.x also 0xDAA320AB, 2-byte topic length)
 *    8         4     BODYCRC                crc32(body) & 0x7FFFFFFF
 *   12         4     QUEUEID
 *   16         4     FLAG
 *   20         8     QUEUEOFFSET            consume-queue index (0 for prepared/rollback)
 *   28         8     PHYSICALOFFSET         commit-log offset of this record
 *   36         4     SYSFLAG
 *   40         8     BORNTIMESTAMP
 *   48         8|20  BORNHOST               4-byte IPv4 (16-byte IPv6 with sysflag 0x10) + int32 port
 *   56         8     STORETIMESTAMP
 *   64         8|20  STOREHOSTADDRESS       same encoding, sysflag 0x20 for IPv6
 *   72         4     RECONSUMETIMES
 *   76         8     PREPARED TX OFFSET
 *   84         4+n   BODY                   int32 length + bytes
 *   88+n       1+t   TOPIC                  int8 length (<= 127) + bytes
 *   89+n+t     2+p   PROPERTIES             int16 length (<= 32767) + bytes
 * TOTALSIZE = 91 + n + t + p with two IPv4 hosts (115 with two IPv6 hosts).
 *
 * A segment's tail that cannot hold the next record holds a BLANK record:
 * int32 remaining bytes of the file, int32 0xCBD43194, nothing else written. */
#ifndef RMQ_PROTOCOL_RECORD_H
#define RMQ_PROTOCOL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_MESSAGE_MAGIC 0xDAA320A7u
#define RMQ_MESSAGE_MAGIC_V2 0xDAA320ABu
#define RMQ_BLANK_MAGIC 0xCBD43194u
#define RMQ_END_FILE_MIN_BLANK 8

/* MessageSysFlag */
#define RMQ_SYSFLAG_COMPRESSED 0x1
#define RMQ_SYSFLAG_MULTI_TAGS 0x2
#define RMQ_SYSFLAG_TX_MASK 0xC
#define RMQ_SYSFLAG_TX_NOT 0x0
#define RMQ_SYSFLAG_TX_PREPARED 0x4
#define RMQ_SYSFLAG_TX_COMMIT 0x8
#define RMQ_SYSFLAG_TX_ROLLBACK 0xC
#define RMQ_SYSFLAG_BORNHOST_V6 0x10
#define RMQ_SYSFLAG_STOREHOST_V6 0x20

/* Field offsets that do not move with the host sizes. */
#define RMQ_REC_OFF_QUEUEOFFSET 20
#define RMQ_REC_OFF_PHYSICALOFFSET 28
#define RMQ_REC_OFF_SYSFLAG 36
#define RMQ_REC_OFF_BORNHOST 48

/* Properties separators (MessageDecoder NAME_VALUE_SEPARATOR / PROPERTY_SEPARATOR). */
#define RMQ_PROP_NAME_VALUE_SEP '\001'
#define RMQ_PROP_SEP '\002'

#define RMQ_TOPIC_MAX_LEN 127
#define RMQ_PROPERTIES_MAX_LEN 32767

/* A socket address as the record stores it. */
typedef struct rmq_host {
    uint8_t addr[16]; /* IPv4 in the first 4 bytes */
    bool v6;
    int32_t port;
} rmq_host_t;

/* Parses "a.b.c.d:port" or "v6addr:port" (split at the last colon, brackets
 * optional).  Returns 0 or -1. */
int rmq_host_parse(const char *ip_port, rmq_host_t *h);
/* "a.b.c.d:port" / "v6addr:port" into out (at least 64 bytes). */
void rmq_host_format(const rmq_host_t *h, char *out, size_t n);

/* What the broker hands to the store for one message. */
typedef struct rmq_msg_in {
    const char *topic;
    size_t topic_len;
    int32_t queue_id;
    int32_t flag;
    const uint8_t *body;
    size_t body_len;
    const char *properties; /* "k\001v\002k\001v", may be NULL */
    size_t properties_len;
    int32_t sysflag; /* the host v6 bits are set by the encoder from the hosts */
    int64_t born_timestamp;
    rmq_host_t born_host;
    rmq_host_t store_host;
    int32_t reconsume_times;
    int64_t prepared_tx_offset;
} rmq_msg_in_t;

/* Size of the record for m (TOTALSIZE). */
size_t rmq_record_size(const rmq_msg_in_t *m);
/* Writes the record for m into out (rmq_record_size bytes) with QUEUEOFFSET,
 * PHYSICALOFFSET and STORETIMESTAMP zero; returns the size.  The caller has
 * checked the limits (topic <= 127 bytes, properties <= 32767 bytes). */
size_t rmq_record_encode(const rmq_msg_in_t *m, uint8_t *out);
/* Fills the three fields known only inside the append lock. */
void rmq_record_patch(uint8_t *rec, int64_t queue_offset, int64_t phys_offset, int64_t store_ts);
/* Writes the 8-byte BLANK record announcing `remaining` bytes to the file end. */
void rmq_record_write_blank(uint8_t *p, int32_t remaining);

/* A parsed record; pointers point into the parsed buffer. */
typedef struct rmq_record {
    int32_t total_size;
    uint32_t magic;
    int32_t body_crc;
    int32_t queue_id;
    int32_t flag;
    int64_t queue_offset;
    int64_t phys_offset;
    int32_t sysflag;
    int64_t born_timestamp;
    rmq_host_t born_host;
    int64_t store_timestamp;
    rmq_host_t store_host;
    int32_t reconsume_times;
    int64_t prepared_tx_offset;
    const uint8_t *body;
    int32_t body_len;
    const char *topic;
    int32_t topic_len;
    const char *properties;
    int32_t properties_len;
} rmq_record_t;

typedef enum rmq_record_status {
    RMQ_RECORD_OK = 0,     /* a message record; rec filled */
    RMQ_RECORD_BLANK = 1,  /* the end-of-file marker; rec->total_size = bytes to skip */
    RMQ_RECORD_BAD = -1,   /* bad magic, size mismatch, truncated, or CRC mismatch */
} rmq_record_status_t;

/* Parses the record at p (avail bytes readable) as CommitLog
 * checkMessageAndReturnSize does: TOTALSIZE must fit avail and equal the size
 * recomputed from the lengths; with check_crc the body CRC must match.  Never
 * reads past avail. */
rmq_record_status_t rmq_record_parse(const uint8_t *p, size_t avail, bool check_crc,
                                     rmq_record_t *rec);

/* crc32 (zlib / java.util.zip.CRC32) & 0x7FFFFFFF: UtilAll.crc32. */
int32_t rmq_crc32_masked(const void *p, size_t n);
/* Java String.hashCode of UTF-8 text (hashed as UTF-16 code units, surrogate
 * pairs for non-BMP characters; invalid UTF-8 bytes count as U+FFFD). */
int32_t rmq_java_hash(const char *s, size_t len);
/* Tags code of the TAGS property: Java hashCode sign-extended, 0 without tags. */
int64_t rmq_tags_code(const char *tags, size_t len);

/* Looks up a property; true with *val and *vlen pointing into props. */
bool rmq_props_find(const char *props, size_t len, const char *name, const char **val,
                    size_t *vlen);

/* Offset message id: upper-case hex of store host address + port + commit-log
 * offset (32 chars for IPv4, 56 for IPv6), NUL-terminated into out[57]. */
void rmq_msg_id_encode(const rmq_host_t *store_host, int64_t phys_offset, char out[57]);
/* Decodes an offset message id; 0 or -1. */
int rmq_msg_id_decode(const char *id, rmq_host_t *store_host, int64_t *phys_offset);

/* One inner message of a batch body (MessageDecoder.encodeMessages). */
typedef struct rmq_batch_item {
    int32_t flag;
    const uint8_t *body;
    int32_t body_len;
    const char *properties;
    int32_t properties_len;
} rmq_batch_item_t;

/* Walks a batch body: int32 total size | int32 magic | int32 body crc | int32
 * flag | int32 body length + body | int16 properties length + properties,
 * repeated.  Calls cb for each item (stops and returns its non-zero result);
 * returns 0, or -1 if the body is malformed (nothing is called then). */
int rmq_batch_foreach(const uint8_t *body, size_t len,
                      int (*cb)(const rmq_batch_item_t *item, void *arg), void *arg);

#endif
