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

/* ---- the producer's claim and commit, inline for the shim's hot path (event.c); iotrace_ring_write is the same ---- */

#include <string.h>

#include "iotrace_format.h"

#define IOTRACE_ALIGN8(n) (((n) + 7u) & ~7u)

static inline int64_t iotrace_load_acquire64(const unsigned char *p)
{
    return __atomic_load_n((const int64_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

static inline void iotrace_store_release64(unsigned char *p, int64_t v)
{
    __atomic_store_n((int64_t *)(void *)p, v, __ATOMIC_RELEASE);
}

/*
 * claimCapacity of agrona 2.x: returns the record index, or -1 when there is no room. As in agrona, when the record
 * would not fit before the end of the buffer the rest of the buffer becomes a padding record; if the record does
 * not fit at the start either, the padding is still claimed and written and "full" returned (the next attempt then
 * starts at index 0). The one addition: -2 when the claim would reach beyond *reserved (checked against the
 * tail the CAS then confirms, so a successful claim only ever touches reserved pages).
 */
static inline int32_t iotrace_ring_claim(unsigned char *data, uint32_t capacity, const int64_t *reserved, int32_t required)
{
    unsigned char *trailer = data + capacity;
    unsigned char *tail_pos = trailer + IOTRACE_TRAILER_TAIL_POSITION;
    unsigned char *head_cache_pos = trailer + IOTRACE_TRAILER_HEAD_CACHE_POSITION;
    unsigned char *head_pos = trailer + IOTRACE_TRAILER_HEAD_POSITION;
    const int32_t cap = (int32_t)capacity;
    const int32_t mask = cap - 1;

    int64_t head = iotrace_load_acquire64(head_cache_pos);
    int64_t tail;
    int64_t new_tail;
    int32_t tail_index;
    int32_t padding;
    int32_t write_index;
    do {
        tail = iotrace_load_acquire64(tail_pos);
        int32_t available = cap - (int32_t)(tail - head);
        if (required > available) {
            head = iotrace_load_acquire64(head_pos);
            if (required > cap - (int32_t)(tail - head))
                return -1;
            iotrace_store_release64(head_cache_pos, head);
        }
        new_tail = tail + required;
        padding = 0;
        tail_index = (int32_t)tail & mask;
        write_index = tail_index;
        int32_t to_end = cap - tail_index;
        if (required > to_end) {
            int32_t head_index = (int32_t)head & mask;
            write_index = 0;
            if (required > head_index) {
                head = iotrace_load_acquire64(head_pos);
                head_index = (int32_t)head & mask;
                if (required > head_index) {
                    write_index = -1;
                    new_tail = tail;
                }
                iotrace_store_release64(head_cache_pos, head);
            }
            padding = to_end;
            new_tail += padding;
        }
        /* first pass over the buffer only: afterwards every page has been reserved */
        int64_t limit = __atomic_load_n(reserved, __ATOMIC_ACQUIRE);
        if (limit < cap && (new_tail < cap ? new_tail : cap) > limit)
            return -2;
    } while (!__atomic_compare_exchange_n((int64_t *)(void *)tail_pos, &tail, new_tail, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));

    if (padding != 0) {
        /* length and type (-1) in one 64-bit release store: the consumer sees a complete padding record or none */
        uint64_t header = (uint64_t)(uint32_t)padding | ((uint64_t)(uint32_t)IOTRACE_PADDING_TYPE_ID << 32);
        iotrace_store_release64(data + tail_index, (int64_t)header);
    }
    return write_index;
}

static inline int iotrace_ring_write_inline(unsigned char *data, uint32_t capacity, const int64_t *reserved,
                                            int32_t type, const void *payload, uint32_t length)
{
    if (length > (capacity >> 3)) /* agrona's maxMsgLength */
        return IOTRACE_RING_TOO_LONG;
    const int32_t record_length = (int32_t)length + IOTRACE_RECORD_HEADER_LENGTH;
    const int32_t required = (int32_t)IOTRACE_ALIGN8((uint32_t)record_length);
    /*
     * The usual claim first: the cached head leaves room, the record ends before the end of the data area (no
     * padding) and within the reserved pages; one CAS. Anything else (or a lost CAS) takes agrona's full claim.
     */
    int32_t index;
    unsigned char *tail_pos = data + capacity + IOTRACE_TRAILER_TAIL_POSITION;
    int64_t tail = iotrace_load_acquire64(tail_pos);
    int64_t head = iotrace_load_acquire64(data + capacity + IOTRACE_TRAILER_HEAD_CACHE_POSITION);
    int32_t tail_index = (int32_t)tail & (int32_t)(capacity - 1);
    int64_t limit = __atomic_load_n(reserved, __ATOMIC_ACQUIRE);
    if (required <= (int32_t)capacity - (int32_t)(tail - head) && required <= (int32_t)capacity - tail_index &&
        (limit >= (int64_t)capacity || tail_index + required <= limit) &&
        __atomic_compare_exchange_n((int64_t *)(void *)tail_pos, &tail, tail + required, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        index = tail_index;
    else {
        index = iotrace_ring_claim(data, capacity, reserved, required);
        if (index < 0)
            return index == -2 ? IOTRACE_RING_UNRESERVED : IOTRACE_RING_FULL;
    }

    int32_t *length_field = (int32_t *)(void *)(data + index);
    /* negative length first: the consumer stops here until the record is complete (and unblock() can pad it) */
    __atomic_store_n(length_field, -record_length, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(data + index + IOTRACE_RECORD_HEADER_LENGTH, payload, length);
    memcpy(data + index + 4, &type, 4);
    __atomic_store_n(length_field, record_length, __ATOMIC_RELEASE);
    return IOTRACE_RING_OK;
}

#endif /* IOTRACE_RING_H */
