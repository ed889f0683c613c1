//! The PDF export (R-GUIDE-1): A4 pages, Chinese and Latin text in embedded font subsets.
//!
//! Each font is written as a Type0 font with a CIDFontType2 descendant, Identity-H encoding
//! (two-byte CIDs = glyph ids of the subset) and a ToUnicode CMap, so the text can be
//! selected, searched and extracted. The CJK font lacks Latin letters, so every character
//! goes to the Latin font unless it is CJK (or the Latin font lacks it); a character neither
//! font has is drawn as the missing-glyph box but still extracts as itself.
//!
//! Pure: the caller reads the font files and writes the bytes.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use ttf_parser::Face;

use crate::error::GuidanceError;
use crate::media::MediaPage;
use crate::sheet::{GuidanceLanguage, GuidanceSheet, MedicineGuidance};

/// The fonts the PDF embeds (subset), as file bytes.
#[derive(Debug, Clone, Copy)]
pub struct PdfFonts<'a> {
    /// Chinese: `assets/fonts/DroidSansFallbackFull.ttf`.
    pub cjk: &'a [u8],
    /// Latin letters, digits and punctuation: `assets/fonts/Roboto-Regular.ttf`.
    pub latin: &'a [u8],
}

const PAGE_W: f32 = 595.276;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const TOP: f32 = PAGE_H - 60.0;
const BOTTOM: f32 = 64.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const INK: (f32, f32, f32) = (0.106, 0.106, 0.106);
const ACCENT: (f32, f32, f32) = (0.043, 0.36, 0.54);
const MUTED: (f32, f32, f32) = (0.36, 0.42, 0.45);
const WARN: (f32, f32, f32) = (0.60, 0.36, 0.0);

/// Render the sheet as a PDF. `media` are the demonstrations the caller loaded; the steps of
/// those the sheet links to are printed as text under the medicine.
pub fn render_pdf(
    sheet: &GuidanceSheet,
    media: &[MediaPage],
    fonts: &PdfFonts<'_>,
) -> Result<Vec<u8>, GuidanceError> {
    let mut set = FontSet::new(fonts)?;
    let blocks = blocks(sheet, media);
    let lines = layout(&blocks, &set);
    let pages = paginate(&lines);
    let total = pages.len();

    // Content first: encoding the text decides which glyphs each subset needs.
    let mut contents = Vec::with_capacity(total);
    for (i, page) in pages.iter().enumerate() {
        let footer = sheet
            .labels
            .page
            .replace("{n}", &(i + 1).to_string())
            .replace("{total}", &total.to_string());
        contents.push(page_content(page, &footer, &sheet.labels.title, &mut set));
    }

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let font_refs: Vec<FontRefs> = (0..2)
        .map(|_| FontRefs {
            type0: alloc(),
            cid: alloc(),
            descriptor: alloc(),
            file: alloc(),
            cmap: alloc(),
        })
        .collect();
    let page_refs: Vec<(Ref, Ref)> = (0..total).map(|_| (alloc(), alloc())).collect();

    // The document language lets screen readers and text extraction pick the right rules.
    pdf.catalog(catalog)
        .pages(tree)
        .lang(TextStr(sheet.language.tag()));
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(total as i32);
    pdf.document_info(info)
        .title(TextStr(&sheet.labels.title))
        .producer(TextStr("MedDesk"));
    for ((page_id, content_id), content) in page_refs.iter().zip(contents) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(*content_id);
        let mut res = page.resources();
        let mut f = res.fonts();
        f.pair(Name(b"F0"), font_refs[0].type0);
        f.pair(Name(b"F1"), font_refs[1].type0);
        f.finish();
        res.finish();
        page.finish();
        pdf.stream(*content_id, &content);
    }
    for (slot, refs) in set.slots.iter().zip(&font_refs) {
        slot.write(&mut pdf, refs)?;
    }
    Ok(pdf.finish())
}

/// Characters of the sheet that neither font can draw (they print as a box). Tests use it to
/// prove the shipped fonts cover the shipped text.
pub fn missing_glyphs(
    sheet: &GuidanceSheet,
    fonts: &PdfFonts<'_>,
) -> Result<Vec<char>, GuidanceError> {
    let set = FontSet::new(fonts)?;
    let mut missing = Vec::new();
    for block in blocks(sheet, &[]) {
        for c in block.text.chars() {
            if set.pick(c).1 == 0 && !c.is_whitespace() && !missing.contains(&c) {
                missing.push(c);
            }
        }
    }
    Ok(missing)
}

pub(crate) struct FontRefs {
    pub(crate) type0: Ref,
    pub(crate) cid: Ref,
    pub(crate) descriptor: Ref,
    pub(crate) file: Ref,
    pub(crate) cmap: Ref,
}

/// One embedded font: the parsed face, the glyphs used so far and the text they stand for.
pub(crate) struct FontSlot<'a> {
    which: &'static str,
    data: &'a [u8],
    face: Face<'a>,
    /// font units → 1/1000 em.
    scale: f32,
    remapper: GlyphRemapper,
    /// new glyph id → the character it was used for (ToUnicode).
    chars: BTreeMap<u16, char>,
}

impl<'a> FontSlot<'a> {
    fn new(which: &'static str, data: &'a [u8]) -> Result<Self, GuidanceError> {
        let face = Face::parse(data, 0).map_err(|e| GuidanceError::FontInvalid {
            which,
            reason: e.to_string(),
        })?;
        let scale = 1000.0 / f32::from(face.units_per_em());
        Ok(FontSlot {
            which,
            data,
            face,
            scale,
            remapper: GlyphRemapper::new(),
            chars: BTreeMap::new(),
        })
    }

    fn advance(&self, gid: u16) -> f32 {
        f32::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        ) * self.scale
    }

    pub(crate) fn write(&self, pdf: &mut Pdf, refs: &FontRefs) -> Result<(), GuidanceError> {
        let invalid = |reason: String| GuidanceError::FontInvalid {
            which: self.which,
            reason,
        };
        let subset =
            subsetter::subset(self.data, 0, &self.remapper).map_err(|e| invalid(e.to_string()))?;
        let ps_name = self
            .face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .and_then(|n| n.to_string())
            .filter(|n| !n.is_empty() && n.is_ascii())
            .unwrap_or_else(|| self.which.to_owned());
        let base = format!("{}+{}", subset_tag(&self.chars), ps_name.replace(' ', ""));
        let base = Name(base.as_bytes());
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(refs.type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(refs.cid)
            .to_unicode(refs.cmap);

        let widths: Vec<f32> = self
            .remapper
            .remapped_gids()
            .map(|old| self.advance(old))
            .collect();
        let mut cid = pdf.cid_font(refs.cid);
        cid.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(refs.descriptor)
            .default_width(0.0);
        cid.widths().consecutive(0, widths);
        cid.cid_to_gid_map_predefined(Name(b"Identity"));
        cid.finish();

        let bbox = self.face.global_bounding_box();
        let s = self.scale;
        let cap = self.face.capital_height().unwrap_or(self.face.ascender());
        pdf.font_descriptor(refs.descriptor)
            .name(base)
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * s,
                f32::from(bbox.y_min) * s,
                f32::from(bbox.x_max) * s,
                f32::from(bbox.y_max) * s,
            ))
            .italic_angle(0.0)
            .ascent(f32::from(self.face.ascender()) * s)
            .descent(f32::from(self.face.descender()) * s)
            .cap_height(f32::from(cap) * s)
            .stem_v(80.0)
            .font_file2(refs.file);

        pdf.stream(refs.file, &subset)
            .pair(Name(b"Length1"), subset.len() as i32);

        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
        for (gid, c) in &self.chars {
            cmap.pair(*gid, *c);
        }
        let cmap = cmap.finish();
        pdf.cmap(refs.cmap, cmap.as_slice())
            .name(Name(b"Custom"))
            .system_info(system);
        Ok(())
    }
}

/// A deterministic six-letter subset tag (PDF 32000 §9.6.4) from the glyphs used.
fn subset_tag(chars: &BTreeMap<u16, char>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (g, c) in chars {
        for b in g.to_be_bytes().into_iter().chain((*c as u32).to_be_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect()
}

pub(crate) struct FontSet<'a> {
    /// 0: Latin, 1: CJK (resource names F0, F1).
    pub(crate) slots: [FontSlot<'a>; 2],
}

impl<'a> FontSet<'a> {
    pub(crate) fn new(fonts: &PdfFonts<'a>) -> Result<Self, GuidanceError> {
        Ok(FontSet {
            slots: [
                FontSlot::new("latin", fonts.latin)?,
                FontSlot::new("cjk", fonts.cjk)?,
            ],
        })
    }

    /// Which font draws `c`, and its glyph id there (0: neither has it).
    pub(crate) fn pick(&self, c: char) -> (usize, u16) {
        let order: [usize; 2] = if is_wide(c) { [1, 0] } else { [0, 1] };
        for slot in order {
            if let Some(g) = self.slots[slot].face.glyph_index(c) {
                return (slot, g.0);
            }
        }
        (0, 0)
    }

    /// Width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                let (slot, gid) = self.pick(c);
                self.slots[slot].advance(gid)
            })
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// CJK ideographs, kana, hangul, CJK and full-width punctuation: each one is a place a line
/// may break, and the CJK font draws them even where the Latin font also could.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x303F | 0x3040..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
}

/// Punctuation that must not start a line (it hangs at the end of the previous one).
fn no_break_before(c: char) -> bool {
    "，。、；：！？）》」』】,.;:!?)".contains(c)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Title,
    Meta,
    Intro,
    Heading,
    Subheading,
    Body,
    Bullet,
    /// A numbered demonstration step: indented like a bullet, numbered instead.
    Step,
    Source,
    Warning,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 19.0,
            Style::Heading => 13.5,
            Style::Subheading => 11.0,
            Style::Body | Style::Bullet | Style::Step | Style::Warning => 10.5,
            Style::Meta => 10.0,
            Style::Intro => 9.0,
            Style::Source => 8.0,
        }
    }
    fn color(self) -> (f32, f32, f32) {
        match self {
            Style::Title | Style::Subheading => ACCENT,
            Style::Heading => (0.04, 0.25, 0.37),
            Style::Intro | Style::Source => MUTED,
            Style::Warning => WARN,
            _ => INK,
        }
    }
    /// Space before the block, in points.
    fn space_before(self) -> f32 {
        match self {
            Style::Heading => 14.0,
            Style::Subheading => 6.0,
            Style::Bullet | Style::Step | Style::Source => 1.0,
            _ => 2.0,
        }
    }
    fn keep_with_next(self) -> bool {
        matches!(self, Style::Heading | Style::Subheading | Style::Title)
    }
}

struct Block {
    style: Style,
    text: String,
}

fn blocks(sheet: &GuidanceSheet, media: &[MediaPage]) -> Vec<Block> {
    let l = &sheet.labels;
    let mut v = Vec::new();
    let mut push = |style, text: String| v.push(Block { style, text });
    push(Style::Title, l.title.clone());
    push(
        Style::Meta,
        format!(
            "{}{c}{}    {}{c}{}    {}{c}{}",
            l.patient,
            sheet.patient,
            l.prescriber,
            sheet.prescriber,
            l.date,
            sheet.date,
            c = sheet.language.colon()
        ),
    );
    let version = match sheet.language {
        GuidanceLanguage::ZhCn => format!("（知识库版本 {}）", sheet.pack_version),
        GuidanceLanguage::En => format!(" (knowledge pack {})", sheet.pack_version),
    };
    push(Style::Intro, format!("{}{version}", l.intro));
    for m in &sheet.medicines {
        medicine_blocks(&mut push, sheet, m, media);
    }
    if !sheet.sources.is_empty() {
        push(Style::Heading, l.sources.clone());
        for (i, s) in sheet.sources.iter().enumerate() {
            push(
                Style::Source,
                format!(
                    "{}. [{}] {}; {} ({})",
                    i + 1,
                    s.id,
                    s.title,
                    s.publisher,
                    s.licence
                ),
            );
        }
    }
    push(Style::Intro, l.closing.clone());
    v
}

fn medicine_blocks(
    push: &mut impl FnMut(Style, String),
    sheet: &GuidanceSheet,
    m: &MedicineGuidance,
    media: &[MediaPage],
) {
    let l = &sheet.labels;
    let c = sheet.language.colon();
    let title = match &m.other_name {
        Some(o) => format!("{}. {}  ({o})", m.line, m.name),
        None => format!("{}. {}", m.line, m.name),
    };
    push(Style::Heading, title);
    let h = &m.how_to_take;
    push(Style::Subheading, l.how_to_take.clone());
    push(Style::Body, h.text.clone());
    let mut details = Vec::new();
    if let Some(s) = &h.strength {
        details.push(format!("{}{c}{s}", l.strength));
    }
    if let Some(q) = &h.quantity {
        details.push(format!("{}{c}{q}", l.quantity));
    }
    if !details.is_empty() {
        push(Style::Body, details.join("    "));
    }
    push(Style::Source, format!("{}{c}{}", l.source, h.source));
    match &m.guidance {
        Some(g) => {
            push(Style::Subheading, l.purpose.clone());
            push(Style::Body, g.mechanism.clone());
            push(Style::Subheading, l.effect.clone());
            push(Style::Body, g.effect.clone());
            if !g.adverse.is_empty() {
                push(Style::Subheading, l.adverse.clone());
                for a in &g.adverse {
                    push(Style::Bullet, a.clone());
                }
            }
            push(Style::Subheading, l.adherence.clone());
            for a in h.reminder.iter().chain(&g.adherence) {
                push(Style::Bullet, a.clone());
            }
            push(Style::Source, format!("{}{c}{}", l.source, g.source));
        }
        None => {
            if let Some(r) = &h.reminder {
                push(Style::Subheading, l.adherence.clone());
                push(Style::Bullet, r.clone());
            }
            if let Some(note) = &m.no_guidance {
                push(Style::Warning, note.clone());
            }
        }
    }
    if let Some(link) = &m.media {
        push(Style::Subheading, l.media.clone());
        push(
            Style::Body,
            format!("{} (assets/{})", link.label, link.href),
        );
        if let Some(page) = media.iter().find(|p| p.demonstration.id == link.id) {
            let d = &page.demonstration;
            for (i, step) in d.steps.iter().enumerate() {
                let text = match sheet.language {
                    GuidanceLanguage::ZhCn => &step.zh,
                    GuidanceLanguage::En => &step.en,
                };
                push(Style::Step, format!("{}. {text}", i + 1));
            }
            push(
                Style::Source,
                format!(
                    "{}{c}{} — {}; {}",
                    l.source, d.product, d.source.title, d.source.publisher
                ),
            );
        }
    }
}

/// One laid-out line of text.
struct Line {
    style: Style,
    x: f32,
    text: String,
    /// Space from the previous baseline to this one.
    advance: f32,
    bullet: bool,
    keep_with_next: bool,
}

fn layout(blocks: &[Block], fonts: &FontSet<'_>) -> Vec<Line> {
    let mut lines = Vec::new();
    for b in blocks {
        let size = b.style.size();
        let leading = size * 1.5;
        let indent = if matches!(b.style, Style::Bullet | Style::Step) {
            14.0
        } else {
            0.0
        };
        // A source line stays on the page of the text it cites (one line back, never a chain,
        // so a long source list still flows across pages).
        if b.style == Style::Source {
            if let Some(prev) = lines
                .last_mut()
                .filter(|l: &&mut Line| l.style != Style::Source)
            {
                prev.keep_with_next = true;
            }
        }
        let wrapped = wrap(&b.text, CONTENT_W - indent, size, fonts);
        for (i, text) in wrapped.into_iter().enumerate() {
            let first = i == 0;
            lines.push(Line {
                style: b.style,
                x: MARGIN_X + indent,
                text,
                advance: leading + if first { b.style.space_before() } else { 0.0 },
                bullet: first && b.style == Style::Bullet,
                keep_with_next: b.style.keep_with_next(),
            });
        }
    }
    lines
}

/// Greedy line breaking: anywhere between CJK characters, at spaces between Latin words, and
/// inside a Latin word only when the word alone is wider than the line.
pub(crate) fn wrap(text: &str, max: f32, size: f32, fonts: &FontSet<'_>) -> Vec<String> {
    enum Tok {
        Space,
        Word(String),
    }
    let mut toks = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == ' ' || c == '\u{3000}' {
            if !word.is_empty() {
                toks.push(Tok::Word(std::mem::take(&mut word)));
            }
            toks.push(Tok::Space);
        } else if is_wide(c) {
            if !word.is_empty() {
                toks.push(Tok::Word(std::mem::take(&mut word)));
            }
            toks.push(Tok::Word(c.to_string()));
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        toks.push(Tok::Word(word));
    }

    let space = fonts.width(" ", size);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0.0;
    let mut pending_space = false;
    for t in toks {
        match t {
            Tok::Space => pending_space = !line.is_empty(),
            Tok::Word(word) => {
                let ww = fonts.width(&word, size);
                let sp = if pending_space { space } else { 0.0 };
                let hangs = word.chars().next().is_some_and(no_break_before);
                let alone = if line.is_empty() || w + sp + ww <= max || hangs {
                    let alone = line.is_empty();
                    if pending_space {
                        line.push(' ');
                    }
                    line.push_str(&word);
                    w += sp + ww;
                    alone
                } else {
                    lines.push(std::mem::take(&mut line));
                    line.push_str(&word);
                    w = ww;
                    true
                };
                pending_space = false;
                // A single word wider than the line: cut it by characters (a hanging mark
                // after other text is allowed past the edge and never cut off).
                while alone && w > max && line.chars().count() > 1 {
                    let mut cut = String::new();
                    let mut cw = 0.0;
                    for c in line.chars() {
                        let c_w = fonts.width(c.encode_utf8(&mut [0; 4]), size);
                        if cw + c_w > max && !cut.is_empty() {
                            break;
                        }
                        cut.push(c);
                        cw += c_w;
                    }
                    let rest = line[cut.len()..].to_owned();
                    if rest.is_empty() {
                        break;
                    }
                    lines.push(cut);
                    line = rest;
                    w = fonts.width(&line, size);
                }
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Split lines into pages; a heading is never the last line on a page.
fn paginate(lines: &[Line]) -> Vec<Vec<(f32, &Line)>> {
    let mut pages: Vec<Vec<(f32, &Line)>> = vec![Vec::new()];
    let mut y = TOP;
    for (i, line) in lines.iter().enumerate() {
        let mut need = line.advance;
        if line.keep_with_next {
            // Keep the heading with whatever follows it (the next non-heading line).
            need += lines[i + 1..]
                .iter()
                .take_while(|n| n.keep_with_next)
                .map(|n| n.advance)
                .sum::<f32>();
            need += lines[i + 1..]
                .iter()
                .find(|n| !n.keep_with_next)
                .map_or(0.0, |n| n.advance);
        }
        let page_has_content = pages.last().is_some_and(|p| !p.is_empty());
        if y - need < BOTTOM && page_has_content {
            pages.push(Vec::new());
            y = TOP;
        }
        let advance = if pages.last().is_some_and(|p| p.is_empty()) {
            line.style.size()
        } else {
            line.advance
        };
        y -= advance;
        if let Some(p) = pages.last_mut() {
            p.push((y, line));
        }
    }
    pages
}

fn page_content(
    page: &[(f32, &Line)],
    footer: &str,
    title: &str,
    set: &mut FontSet<'_>,
) -> Vec<u8> {
    let mut c = Content::new();
    for (y, line) in page {
        let size = line.style.size();
        if line.style == Style::Heading {
            c.set_fill_rgb(0.91, 0.945, 0.97);
            c.rect(
                MARGIN_X - 4.0,
                y - size * 0.35,
                CONTENT_W + 8.0,
                size * 1.45,
            );
            c.fill_nonzero();
        }
        if line.style == Style::Title {
            c.set_stroke_rgb(ACCENT.0, ACCENT.1, ACCENT.2);
            c.set_line_width(1.0);
            c.move_to(MARGIN_X, y - 7.0);
            c.line_to(PAGE_W - MARGIN_X, y - 7.0);
            c.stroke();
        }
        if line.bullet {
            show(
                &mut c,
                set,
                "•",
                MARGIN_X + 3.0,
                *y,
                size,
                line.style.color(),
            );
        }
        show(
            &mut c,
            set,
            &line.text,
            line.x,
            *y,
            size,
            line.style.color(),
        );
    }
    // Footer: sheet title on the left, page number on the right.
    show(&mut c, set, title, MARGIN_X, 36.0, 8.0, MUTED);
    let fw = set.width(footer, 8.0);
    show(
        &mut c,
        set,
        footer,
        PAGE_W - MARGIN_X - fw,
        36.0,
        8.0,
        MUTED,
    );
    c.finish().to_vec()
}

/// Show `text` at (x, y): one text object, switching font whenever the character's font
/// changes; each run is a string of two-byte CIDs of the subset.
pub(crate) fn show(
    c: &mut Content,
    set: &mut FontSet<'_>,
    text: &str,
    x: f32,
    y: f32,
    size: f32,
    rgb: (f32, f32, f32),
) {
    if text.is_empty() {
        return;
    }
    c.set_fill_rgb(rgb.0, rgb.1, rgb.2);
    c.begin_text();
    c.next_line(x, y);
    runs(c, set, text, size);
    c.end_text();
}

/// Show `text` with the text matrix `matrix` (e.g. rotated).
pub(crate) fn show_matrix(
    c: &mut Content,
    set: &mut FontSet<'_>,
    text: &str,
    matrix: [f32; 6],
    size: f32,
    rgb: (f32, f32, f32),
) {
    if text.is_empty() {
        return;
    }
    c.set_fill_rgb(rgb.0, rgb.1, rgb.2);
    c.begin_text();
    c.set_text_matrix(matrix);
    runs(c, set, text, size);
    c.end_text();
}

fn runs(c: &mut Content, set: &mut FontSet<'_>, text: &str, size: f32) {
    let mut run: Vec<u8> = Vec::new();
    let mut current: Option<usize> = None;
    for ch in text.chars() {
        let (slot, gid) = set.pick(ch);
        if current != Some(slot) {
            if let Some(prev) = current {
                flush(c, prev, &run, size);
                run.clear();
            }
            current = Some(slot);
        }
        let s = &mut set.slots[slot];
        let cid = s.remapper.remap(gid);
        s.chars.entry(cid).or_insert(ch);
        run.extend_from_slice(&cid.to_be_bytes());
    }
    if let Some(slot) = current {
        flush(c, slot, &run, size);
    }
}

fn flush(c: &mut Content, slot: usize, run: &[u8], size: f32) {
    let name: &[u8] = if slot == 0 { b"F0" } else { b"F1" };
    c.set_font(Name(name), size);
    c.show(Str(run));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/fonts")
            .join(name);
        std::fs::read(path).expect("shipped font")
    }

    #[test]
    fn latin_breaks_at_spaces_and_cjk_anywhere() {
        let (cjk, latin) = (
            font("DroidSansFallbackFull.ttf"),
            font("Roboto-Regular.ttf"),
        );
        let set = FontSet::new(&PdfFonts {
            cjk: &cjk,
            latin: &latin,
        })
        .expect("fonts parse");

        let en = "Take with meals, exactly as prescribed by your doctor and pharmacist today.";
        let lines = wrap(en, 120.0, 10.0, &set);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(set.width(l, 10.0) <= 120.0, "{l:?} overflows");
            assert!(!l.starts_with(' ') && !l.ends_with(' '));
        }
        assert_eq!(lines.join(" "), en, "breaks only at spaces, nothing lost");

        let zh = "每天同一时间服用一次，随餐或空腹均可。未经医生同意不要停药。";
        let lines = wrap(zh, 60.0, 10.0, &set);
        assert!(lines.len() > 3, "{lines:?}");
        assert_eq!(
            lines.concat(),
            zh,
            "breaks between characters, nothing lost"
        );
        for l in &lines {
            assert!(
                !l.starts_with(['，', '。']),
                "{l:?} starts with closing punctuation"
            );
            // Only a hanging punctuation mark may pass the edge.
            let body: String = l.trim_end_matches(['，', '。']).to_owned();
            assert!(set.width(&body, 10.0) <= 60.0, "{l:?} overflows");
        }

        let word = "a".repeat(120);
        let lines = wrap(&word, 50.0, 10.0, &set);
        assert_eq!(lines.concat(), word);
        assert!(lines.iter().all(|l| set.width(l, 10.0) <= 50.0));
    }

    #[test]
    fn characters_go_to_the_font_that_has_them() {
        let (cjk, latin) = (
            font("DroidSansFallbackFull.ttf"),
            font("Roboto-Regular.ttf"),
        );
        let set = FontSet::new(&PdfFonts {
            cjk: &cjk,
            latin: &latin,
        })
        .expect("fonts parse");
        assert_eq!(set.pick('a').0, 0);
        assert_eq!(set.pick('—').0, 0);
        assert_eq!(set.pick('每').0, 1);
        assert_eq!(
            set.pick('，').0,
            1,
            "full-width punctuation from the CJK font"
        );
        assert_eq!(
            set.pick('\u{1F48A}'),
            (0, 0),
            "neither: the missing-glyph box"
        );
    }

    #[test]
    fn a_font_that_is_not_a_font_is_an_error() {
        let latin = font("Roboto-Regular.ttf");
        let err = FontSet::new(&PdfFonts {
            cjk: b"not a font",
            latin: &latin,
        })
        .err()
        .expect("refused");
        assert_eq!(err.code(), "font_invalid");
    }
}
