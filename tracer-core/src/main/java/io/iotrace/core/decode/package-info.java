/** Decoding ring events and their flag words. */
package io.iotrace.core.decode;
