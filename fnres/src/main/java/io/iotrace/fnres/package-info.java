/** Handle to filename resolution: per-process tables of descriptors, streams, mappings and the cwd. */
package io.iotrace.fnres;
