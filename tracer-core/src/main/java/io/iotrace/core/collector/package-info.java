/** The per-node collector: finds, drains and retires rings and spill files. */
package io.iotrace.core.collector;
