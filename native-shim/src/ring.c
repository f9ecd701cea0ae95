/* The out-of-line entry points of ring.h (the claim and commit themselves are inline there). */
#include "ring.h"

int64_t iotrace_ring_heartbeat(const unsigned char *data, uint32_t capacity)
{
    return iotrace_load_acquire64(data + capacity + IOTRACE_TRAILER_CONSUMER_HEARTBEAT);
}

int iotrace_ring_write(unsigned char *data, uint32_t capacity, const int64_t *reserved, int32_t type,
                       const void *payload, uint32_t length)
{
    return iotrace_ring_write_inline(data, capacity, reserved, type, payload, length);
}
