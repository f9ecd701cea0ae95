#include "ring.h"

#include <string.h>

#include "iotrace_format.h"

#define ALIGN8(n) (((n) + 7u) & ~7u)

static inline int64_t load_acquire64(const unsigned char *p)
{
    return __atomic_load_n((const int64_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

static inline void store_release64(unsigned char *p, int64_t v)
{
    __atomic_store_n((int64_t *)(void *)p, v, __ATOMIC_RELEASE);
}

int64_t iotrace_ring_heartbeat(const unsigned char *data, uint32_t capacity)
{
    return load_acquire64(data + capacity + IOTRACE_TRAILER_CONSUMER_HEARTBEAT);
}

/*
 * claimCapacity of agrona 2.x: returns the record index, or -1 when there is no room. As in agrona, when the record
 * would not fit before the end of the buffer the rest of the buffer becomes a padding record; if the record does
 * not fit at the start either, the padding is still claimed and written and "full" returned (the next attempt then
 * starts at index 0). The one addition: -2 when the claim would reach beyond *reserved (checked against the
 * tail the CAS then confirms, so a successful claim only ever touches reserved pages).
 */
static int32_t claim(unsigned char *data, uint32_t capacity, const int64_t *reserved, int32_t required)
{
    unsigned char *trailer = data + capacity;
    unsigned char *tail_pos = trailer + IOTRACE_TRAILER_TAIL_POSITION;
    unsigned char *head_cache_pos = trailer + IOTRACE_TRAILER_HEAD_CACHE_POSITION;
    unsigned char *head_pos = trailer + IOTRACE_TRAILER_HEAD_POSITION;
    const int32_t cap = (int32_t)capacity;
    const int32_t mask = cap - 1;

    int64_t head = load_acquire64(head_cache_pos);
    int64_t tail;
    int64_t new_tail;
    int32_t tail_index;
    int32_t padding;
    int32_t write_index;
    do {
        tail = load_acquire64(tail_pos);
        int32_t available = cap - (int32_t)(tail - head);
        if (required > available) {
            head = load_acquire64(head_pos);
            if (required > cap - (int32_t)(tail - head))
                return -1;
            store_release64(head_cache_pos, head);
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
                head = load_acquire64(head_pos);
                head_index = (int32_t)head & mask;
                if (required > head_index) {
                    write_index = -1;
                    new_tail = tail;
                }
                store_release64(head_cache_pos, head);
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
        store_release64(data + tail_index, (int64_t)header);
    }
    return write_index;
}

int iotrace_ring_write(unsigned char *data, uint32_t capacity, const int64_t *reserved, int32_t type,
                       const void *payload, uint32_t length)
{
    if (length > (capacity >> 3)) /* agrona's maxMsgLength */
        return IOTRACE_RING_TOO_LONG;
    const int32_t record_length = (int32_t)length + IOTRACE_RECORD_HEADER_LENGTH;
    int32_t index = claim(data, capacity, reserved, (int32_t)ALIGN8((uint32_t)record_length));
    if (index < 0)
        return index == -2 ? IOTRACE_RING_UNRESERVED : IOTRACE_RING_FULL;

    int32_t *length_field = (int32_t *)(void *)(data + index);
    /* negative length first: the consumer stops here until the record is complete (and unblock() can pad it) */
    __atomic_store_n(length_field, -record_length, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(data + index + IOTRACE_RECORD_HEADER_LENGTH, payload, length);
    memcpy(data + index + 4, &type, 4);
    __atomic_store_n(length_field, record_length, __ATOMIC_RELEASE);
    return IOTRACE_RING_OK;
}
