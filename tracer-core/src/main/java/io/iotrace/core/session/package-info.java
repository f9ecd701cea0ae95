/** Public entry points for tests and the CLI: where a session lives and waiting for its collector. */
package io.iotrace.core.session;
