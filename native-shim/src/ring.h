/*
 * Producer side of agrona 2.x ManyToOneRingBuffer over a mapped data area + trailer (iotrace_format.h 2b/2c).
 * The Java collector reads the same memory with org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer, so claim and
 * commit follow agrona's protocol step by step (tail CAS with head cache, padding at the wrap, -length/+length).
 */
#ifndef IOTRACE_RING_H
#define IOTRACE_RING_H

#include <stdint.h>

#define IOTRACE_RING_OK           0
#define IOTRACE_RING_FULL         (-1) /* agrona's INSUFFICIENT_CAPACITY: retry after the consumer moved */
#define IOTRACE_RING_TOO_LONG     (-2) /* longer than capacity / 8: can never be written */
#define IOTRACE_RING_UNRESERVED   (-3) /* the claim would touch data-area bytes beyond *reserved: reserve more */

/*
 * data: start of the data area; capacity: its size (power of two); the trailer follows it.
 * reserved: bytes of the data area (from 0) whose pages are known to exist. Ring pages are populated on demand,
 * because touching a page that tmpfs cannot allocate raises SIGBUS; a claim that would touch more returns
 * IOTRACE_RING_UNRESERVED before the tail moves. Once *reserved == capacity the check costs nothing.
 */
int iotrace_ring_write(unsigned char *data, uint32_t capacity, const int64_t *reserved, int32_t type,
                       const void *payload, uint32_t length);

/* the collector's heartbeat (epoch ms) from the trailer, 0 if never written */
int64_t iotrace_ring_heartbeat(const unsigned char *data, uint32_t capacity);

#endif /* IOTRACE_RING_H */
