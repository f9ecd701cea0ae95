/** libc calls through the FFM API (flock, close, open, getuid). */
package io.iotrace.core.nativeio;
