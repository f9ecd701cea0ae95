package io.iotrace.core.format;

/**
 * One item of the record column of a table row: its JSON name, kind and position in the event, and how the shim
 * computes it.
 *
 * @param name       JSON key inside function_data (a parameter name or a computed name).
 * @param kind       how it is encoded and written.
 * @param position   slot index for scalar kinds, order among the string items for string kinds.
 * @param expression the C expression computing the value ({@code name:kind=<expr>} or
 *                   {@code name:kind@post=<expr>}), or null when the item is the parameter of that name.
 * @param post       true when the expression is computed after the real call ({@code @post}, scalar kinds only).
 */
public record RecordItem(String name, ArgKind kind, int position, String expression, boolean post)
{
    /**
     * An item that is the function parameter of the same name.
     *
     * @param name     JSON key inside function_data, and the parameter name.
     * @param kind     how it is encoded and written.
     * @param position slot index for scalar kinds, order among the string items for string kinds.
     */
    public RecordItem(final String name, final ArgKind kind, final int position)
    {
        this(name, kind, position, null, false);
    }

    /** @return true when the value is a C expression rather than the parameter of the same name. */
    public boolean isComputed()
    {
        return null != expression;
    }
}
