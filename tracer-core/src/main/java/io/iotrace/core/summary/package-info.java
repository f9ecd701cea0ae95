/** Reads finished traces back: per-function and per-file totals for the demo and, later, the CLI. */
package io.iotrace.core.summary;
