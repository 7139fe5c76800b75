using System.Globalization;
using System.Net;
using System.Text;

namespace WeightWatcher.Reports.Html;

/// <summary>
/// A page of the report: one HTML file with its style and the table-sorting script inline, and no URL
/// outside the site (no fonts, scripts or images from elsewhere; even the favicon is an empty data URL),
/// so it opens on an offline cluster as from a blob container.
/// </summary>
internal sealed class HtmlPage
{
    private readonly StringBuilder _body = new();

    public HtmlPage(string title, string root, string? back)
    {
        Title = title;
        Root = root;
        if (back is not null)
        {
            _body.Append("<nav><a href=\"").Append(Attr(root + "index.html")).Append("\">← ").Append(Text(back)).Append("</a></nav>\n");
        }
        _body.Append("<h1>").Append(Text(title)).Append("</h1>\n");
    }

    /// <summary>The relative path from this page to the site root ("" or "../" ...).</summary>
    public string Root { get; }

    public string Title { get; }

    public HtmlPage Heading(string text, string? id = null)
    {
        _body.Append("<h2").Append(id is null ? "" : $" id=\"{Attr(id)}\"").Append('>').Append(Text(text)).Append("</h2>\n");
        return this;
    }

    public HtmlPage Paragraph(string text, string? cssClass = null)
    {
        _body.Append("<p").Append(cssClass is null ? "" : $" class=\"{Attr(cssClass)}\"").Append('>').Append(Text(text)).Append("</p>\n");
        return this;
    }

    /// <summary>Raw HTML the caller has built from escaped parts.</summary>
    public HtmlPage Raw(string html)
    {
        _body.Append(html).Append('\n');
        return this;
    }

    /// <summary>A figure: the PNG, linking to its SVG when there is one.</summary>
    public HtmlPage Figure(string png, string? svg, string caption, string cssClass = "figure")
    {
        _body.Append("<figure class=\"").Append(cssClass).Append("\">");
        _body.Append(svg is null ? "" : $"<a href=\"{Attr(svg)}\">");
        _body.Append("<img src=\"").Append(Attr(png)).Append("\" alt=\"").Append(Attr(caption)).Append("\" loading=\"lazy\">");
        _body.Append(svg is null ? "" : "</a>");
        _body.Append("<figcaption>").Append(Text(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    /// <summary>A sortable table (click a header to sort; numbers sort as numbers, blanks last).</summary>
    public HtmlPage Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<Cell>> rows, string id)
    {
        _body.Append("<table class=\"sortable\" id=\"").Append(Attr(id)).Append("\"><thead><tr>");
        foreach (var h in headers)
        {
            _body.Append("<th>").Append(Text(h)).Append("</th>");
        }
        _body.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row)
            {
                _body.Append("<td");
                if (cell.SortKey is { } key)
                {
                    _body.Append(" data-v=\"").Append(Attr(key)).Append('"');
                }
                if (cell.CssClass is { } css)
                {
                    _body.Append(" class=\"").Append(Attr(css)).Append('"');
                }
                _body.Append('>').Append(cell.Html).Append("</td>");
            }
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    public byte[] ToBytes()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<link rel=\"icon\" href=\"data:,\">")
            .Append("<title>").Append(Text(Title)).Append("</title><style>").Append(Style).Append("</style></head>\n<body>\n")
            .Append(_body)
            .Append("<script>").Append(SortScript).Append("</script>\n</body></html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    public static string Text(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static string Attr(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static string Link(string href, string text) => $"<a href=\"{Attr(href)}\">{Text(text)}</a>";

    /// <summary>A number as the tables show it (4 significant decimals; blank for null/NaN).</summary>
    public static Cell Number(double? v, int decimals = 4)
    {
        if (v is not { } d || double.IsNaN(d))
        {
            return new Cell("", "", "num");
        }
        string shown = double.IsInfinity(d) ? (d > 0 ? "inf" : "-inf") : Math.Round(d, decimals).ToString("0.####", CultureInfo.InvariantCulture);
        return new Cell(Text(shown), d.ToString("R", CultureInfo.InvariantCulture), "num");
    }

    /// <summary>A table cell: its HTML, the value it sorts by (null: its text), and a CSS class.</summary>
    public sealed record Cell(string Html, string? SortKey = null, string? CssClass = null)
    {
        public static Cell Of(string? text) => new(Text(text));

        public static Cell Markup(string html, string sortKey) => new(html, sortKey);
    }

    private const string Style = """
        body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:1.5rem 2rem;color:#222;background:#fff}
        h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
        th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
        th{background:#f0f3f7;cursor:pointer;user-select:none;white-space:nowrap}
        th[data-dir=asc]::after{content:" ▲"}th[data-dir=desc]::after{content:" ▼"}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        td.bad,li.bad{color:#b00020}td.warn{color:#a65e00}
        .figure{display:inline-block;margin:.5rem;vertical-align:top}.figure img{max-width:640px;border:1px solid #eee}
        .thumb{display:inline-block;margin:.25rem;text-align:center;font-size:.75rem}.thumb img{width:200px;border:1px solid #eee}
        .alerts{background:#fff4f4;border:1px solid #f3c2c2;padding:.5rem 1rem}
        .changes{background:#f6f9ff;border:1px solid #c9d8f2;padding:.5rem 1rem}
        nav{margin-bottom:1rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}
        code{font-size:.8rem;word-break:break-all}
        """;

    private const string SortScript = """
        document.querySelectorAll('table.sortable').forEach(function(table){
          table.querySelectorAll('th').forEach(function(th,col){
            th.addEventListener('click',function(){
              var dir=th.dataset.dir==='asc'?'desc':'asc';
              table.querySelectorAll('th').forEach(function(h){delete h.dataset.dir;});
              th.dataset.dir=dir;
              var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
              function key(r){var c=r.cells[col];return c?(c.dataset.v!==undefined?c.dataset.v:c.textContent.trim()):'';}
              rows.sort(function(a,b){
                var x=key(a),y=key(b);
                if(x===''||y===''){return x===y?0:(x===''?1:-1);}
                var nx=Number(x),ny=Number(y),r=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
                return dir==='asc'?r:-r;
              });
              rows.forEach(function(r){body.appendChild(r);});
            });
          });
        });
        """;
}
