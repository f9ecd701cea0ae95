package io.iotrace.core.format;

/**
 * One C parameter of a row of {@code functions.tbl} (column 4), as the C wrapper generator needs it.
 *
 * @param type the C type; an array parameter ({@code char *const argv[]}, {@code times[2]}) has the pointer type
 *             ({@code char *const *}).
 * @param name the parameter name.
 * @param text the declaration as written in the table (used verbatim in prototypes).
 */
public record CParameter(String type, String name, String text)
{
}
