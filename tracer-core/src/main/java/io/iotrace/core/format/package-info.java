/** The iotrace binary formats and the function table, mirrored from native-shim. */
package io.iotrace.core.format;
