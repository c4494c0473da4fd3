/* <storePathRootDir>/checkpoint (Apache RocketMQ StoreCheckpoint; reference
 * broker.md 1.7): a 4096-byte file, big-endian:
 *    0  int64 physicMsgTimestamp  store time of the last message a full commit-log flush covered
 *    8  int64 logicsMsgTimestamp  store time of the last message dispatched to a consume queue
 *   16  int64 indexMsgTimestamp   end time of the newest full, flushed index file
 *   24  int64 masterFlushedOffset (5.x; kept as read)
 *   32  int64 confirmPhyOffset    (5.x; kept as read)
 * Recovery after a crash starts from the first commit-log file whose first
 * record is older than min(physic, logics) - 3 s. */
#ifndef RMQ_STORE_CHECKPOINT_H
#define RMQ_STORE_CHECKPOINT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_CHECKPOINT_SIZE 4096

typedef struct rmq_checkpoint {
    char *path;
    int fd;
    uint8_t *base;
    _Atomic int64_t physic_ts;
    _Atomic int64_t logics_ts;
    _Atomic int64_t index_ts;
} rmq_checkpoint_t;

/* Opens (creating a zeroed file) and reads the values.  The file's blocks are
 * allocated first: NULL with err filled when the disk has no room for them. */
rmq_checkpoint_t *rmq_checkpoint_open(const char *path, char *err, size_t errlen);
void rmq_checkpoint_close(rmq_checkpoint_t *cp);
/* Writes the current values and msyncs; 0 or ROCKETMQ_ERR__IO. */
int rmq_checkpoint_flush(rmq_checkpoint_t *cp);
/* max(0, min(physic, logics) - 3000), as StoreCheckpoint.getMinTimestamp. */
int64_t rmq_checkpoint_min_ts(const rmq_checkpoint_t *cp);

#endif
