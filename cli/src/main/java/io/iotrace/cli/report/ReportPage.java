package io.iotrace.cli.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The HTML page of the report: the template {@code report.html} (style and script inline) with the data filled in. */
public final class ReportPage
{
    private static final String TEMPLATE = "report.html";

    private ReportPage()
    {
    }

    /**
     * @param title shown on the page (the trace dir).
     * @param json  the report's data ({@link ReportData#toJson}).
     * @return the page.
     * @throws IOException when the template is missing from the jar.
     */
    public static String render(final String title, final String json) throws IOException
    {
        final String template;
        try (InputStream in = ReportPage.class.getResourceAsStream(TEMPLATE))
        {
            if (null == in)
            {
                throw new IOException("the report template " + TEMPLATE + " is missing from the jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // inside <script>, "</script" in a file name would end the element: '<' is escaped as JSON allows
        final String data = json.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
        final int at = template.indexOf("@DATA@");
        return template.substring(0, at).replace("@TITLE@", escapeHtml(title)) + data +
            template.substring(at + "@DATA@".length());
    }

    static String escapeHtml(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
