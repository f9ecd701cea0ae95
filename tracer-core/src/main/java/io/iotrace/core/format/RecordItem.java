package io.iotrace.core.format;

/**
 * One item of the record column of a table row: its JSON name, kind and position in the event.
 *
 * @param name     JSON key inside function_data (a parameter name or a computed name).
 * @param kind     how it is encoded and written.
 * @param position slot index for scalar kinds, order among the string items for string kinds.
 */
public record RecordItem(String name, ArgKind kind, int position)
{
}
