//! The printable page: one self-contained HTML document (inline CSS, inline SVG drawings, no
//! scripts, no external resources) laid out for A4 paper (R-GUIDE-1, R-GUIDE-2).

use std::fmt::Write as _;

use crate::media::MediaPage;
use crate::sheet::{GuidanceLanguage, GuidanceSheet, MedicineGuidance};

const STYLE: &str = r#"
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 180mm; color: #1b1b1b; line-height: 1.55; font-size: 11pt;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Droid Sans Fallback", "PingFang SC",
    "Microsoft YaHei", Arial, sans-serif; }
h1 { font-size: 19pt; margin: 0 0 4pt; color: #0b5c8a; }
h2 { font-size: 14pt; margin: 14pt 0 4pt; padding: 3pt 6pt; background: #e8f1f7; color: #0b3f5e;
  break-after: avoid; }
h2 .other { font-size: 10pt; color: #44606f; font-weight: normal; margin-left: 6pt; }
h3 { font-size: 11pt; margin: 8pt 0 2pt; color: #0b5c8a; break-after: avoid; }
p, ul, ol { margin: 2pt 0 4pt; }
ul, ol { padding-left: 18pt; }
.meta { display: flex; flex-wrap: wrap; gap: 4pt 18pt; margin: 0 0 6pt; padding: 0; }
.meta div { display: flex; gap: 4pt; }
.meta dt { color: #44606f; }
.meta dd { margin: 0; font-weight: bold; }
.intro, .closing { font-size: 9.5pt; color: #44606f; }
.source { font-size: 8.5pt; color: #5d6b73; }
.missing { border-left: 3pt solid #c77700; padding: 2pt 6pt; background: #fff6e5; }
.detail { font-size: 10pt; }
.steps { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6pt; margin: 4pt 0; }
.step { break-inside: avoid; border: 0.5pt solid #b8c7d1; padding: 4pt; font-size: 9pt; }
.step svg { width: 100%; height: auto; display: block; }
.step .n { font-weight: bold; color: #0b5c8a; }
.medicine { break-inside: auto; }
@media print { body { max-width: none; } h2 { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"#;

/// Render the sheet as a printable page. `media` are the demonstrations the caller loaded
/// from `assets/guidance/`; those the sheet links to are drawn inline, the others ignored.
pub fn render_html(sheet: &GuidanceSheet, media: &[MediaPage]) -> String {
    let l = &sheet.labels;
    let mut o = String::with_capacity(16 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"");
    o.push_str(sheet.language.tag());
    o.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n");
    // No network, ever: the policy blocks anything a drawing or a future edit might pull in.
    o.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    let _ = writeln!(o, "<title>{}</title>", esc(&l.title));
    let _ = writeln!(o, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        o,
        "<header>\n<h1>{}</h1>\n<dl class=\"meta\">",
        esc(&l.title)
    );
    for (k, v) in [
        (&l.patient, sheet.patient.as_str()),
        (&l.prescriber, sheet.prescriber.as_str()),
        (&l.date, &sheet.date.to_string()),
    ] {
        let _ = writeln!(o, "<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(v));
    }
    o.push_str("</dl>\n");
    let _ = writeln!(
        o,
        "<p class=\"intro\">{} ({} {})</p>\n</header>",
        esc(&l.intro),
        esc(&sheet.pack_version),
        match sheet.language {
            GuidanceLanguage::ZhCn => "版",
            GuidanceLanguage::En => "pack version",
        }
    );
    for m in &sheet.medicines {
        medicine(&mut o, sheet, m, media);
    }
    if !sheet.sources.is_empty() {
        let _ = writeln!(
            o,
            "<section class=\"sources\">\n<h2>{}</h2>\n<ol>",
            esc(&l.sources)
        );
        for s in &sheet.sources {
            // Titles only: the printed page links nowhere (no external URL).
            let _ = writeln!(
                o,
                "<li><code>{}</code> — {}; {} ({})</li>",
                esc(&s.id),
                esc(&s.title),
                esc(&s.publisher),
                esc(&s.licence)
            );
        }
        o.push_str("</ol>\n</section>\n");
    }
    let _ = writeln!(
        o,
        "<footer><p class=\"closing\">{}</p></footer>\n</body>\n</html>",
        esc(&l.closing)
    );
    o
}

fn medicine(o: &mut String, sheet: &GuidanceSheet, m: &MedicineGuidance, media: &[MediaPage]) {
    let l = &sheet.labels;
    let _ = write!(
        o,
        "<section class=\"medicine\" id=\"line-{}\">\n<h2>{}. {}",
        m.line,
        m.line,
        esc(&m.name)
    );
    if let Some(other) = &m.other_name {
        let _ = write!(o, "<span class=\"other\">{}</span>", esc(other));
    }
    o.push_str("</h2>\n");
    let h = &m.how_to_take;
    let _ = writeln!(
        o,
        "<h3>{}</h3>\n<p>{}</p>",
        esc(&l.how_to_take),
        esc(&h.text)
    );
    let mut details = Vec::new();
    if let Some(s) = &h.strength {
        details.push(format!(
            "{}{}{}",
            esc(&l.strength),
            sheet.language.colon(),
            esc(s)
        ));
    }
    if let Some(q) = &h.quantity {
        details.push(format!(
            "{}{}{}",
            esc(&l.quantity),
            sheet.language.colon(),
            esc(q)
        ));
    }
    if !details.is_empty() {
        let _ = writeln!(o, "<p class=\"detail\">{}</p>", details.join(" · "));
    }
    let _ = writeln!(
        o,
        "<p class=\"source\">{}{}{}</p>",
        esc(&l.source),
        sheet.language.colon(),
        esc(&h.source)
    );
    match &m.guidance {
        Some(g) => {
            let _ = writeln!(
                o,
                "<h3>{}</h3>\n<p>{}</p>",
                esc(&l.purpose),
                esc(&g.mechanism)
            );
            let _ = writeln!(o, "<h3>{}</h3>\n<p>{}</p>", esc(&l.effect), esc(&g.effect));
            if !g.adverse.is_empty() {
                let _ = writeln!(o, "<h3>{}</h3>", esc(&l.adverse));
                list(o, g.adverse.iter());
            }
            let _ = writeln!(o, "<h3>{}</h3>", esc(&l.adherence));
            list(o, h.reminder.iter().chain(g.adherence.iter()));
            let _ = writeln!(
                o,
                "<p class=\"source\">{}{}{}</p>",
                esc(&l.source),
                sheet.language.colon(),
                esc(&g.source)
            );
        }
        None => {
            if let Some(r) = &h.reminder {
                let _ = writeln!(o, "<h3>{}</h3>", esc(&l.adherence));
                list(o, std::iter::once(r));
            }
            if let Some(note) = &m.no_guidance {
                let _ = writeln!(o, "<p class=\"missing\">{}</p>", esc(note));
            }
        }
    }
    if let Some(link) = &m.media {
        let _ = writeln!(
            o,
            "<h3>{}</h3>\n<p>{} <span class=\"source\">(assets/{})</span></p>",
            esc(&l.media),
            esc(&link.label),
            esc(&link.href)
        );
        if let Some(page) = media.iter().find(|p| p.demonstration.id == link.id) {
            demonstration(o, sheet.language, page, &l.source);
        }
    }
    o.push_str("</section>\n");
}

fn demonstration(o: &mut String, lang: GuidanceLanguage, page: &MediaPage, source_label: &str) {
    let d = &page.demonstration;
    o.push_str("<div class=\"steps\">\n");
    for (i, step) in d.steps.iter().enumerate() {
        let text = match lang {
            GuidanceLanguage::ZhCn => &step.zh,
            GuidanceLanguage::En => &step.en,
        };
        o.push_str("<div class=\"step\">");
        if let Some(svg) = page.drawings.get(&step.image).and_then(|s| inline_svg(s)) {
            o.push_str(&svg);
        }
        let _ = writeln!(
            o,
            "<p><span class=\"n\">{}.</span> {}</p></div>",
            i + 1,
            esc(text)
        );
    }
    o.push_str("</div>\n");
    let _ = writeln!(
        o,
        "<p class=\"source\">{}{}{} — {}; {} ({})</p>",
        esc(source_label),
        lang.colon(),
        esc(&d.product),
        esc(&d.source.title),
        esc(&d.source.publisher),
        esc(&d.licence)
    );
}

/// An SVG drawing made to sit inside HTML: the namespace declaration is implied there, and a
/// drawing that scripts or references anything outside itself is left out rather than trusted.
fn inline_svg(svg: &str) -> Option<String> {
    let start = svg.find("<svg")?;
    let body = svg[start..].replace(" xmlns=\"http://www.w3.org/2000/svg\"", "");
    let lower = body.to_ascii_lowercase();
    let unsafe_markup = ["<script", "href", "url(", "://", "<foreignobject"]
        .iter()
        .any(|p| lower.contains(p))
        || has_event_handler(&lower);
    (!unsafe_markup).then_some(body)
}

/// An `on…=` attribute (onload, onclick …) anywhere in the markup.
fn has_event_handler(lower: &str) -> bool {
    lower.match_indices(" on").any(|(i, _)| {
        let rest = &lower[i + 3..];
        let name = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        name > 0 && rest[name..].trim_start().starts_with('=')
    })
}

fn list<'a>(o: &mut String, items: impl Iterator<Item = &'a String>) {
    o.push_str("<ul>\n");
    for it in items {
        let _ = writeln!(o, "<li>{}</li>", esc(it));
    }
    o.push_str("</ul>\n");
}

/// Escape text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
