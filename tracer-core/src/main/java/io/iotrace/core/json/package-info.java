/** JSON Lines output of decoded events. */
package io.iotrace.core.json;
