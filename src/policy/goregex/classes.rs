//! Character classes as Go builds them: explicit rune sets, folded and negated in Go's order.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, HirKind};

use super::GoSyntax;

/// Go's `\d`, `\s`, `\w`: ASCII only (`\s` has no `\v`).
const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const SPACE: &[(u32, u32)] = &[(0x9, 0xa), (0xc, 0xd), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)];

/// A Perl class escape (`\d` … `\W`): its ranges and whether it is negated.
pub(crate) fn perl_group(letter: u8) -> Option<(&'static [(u32, u32)], bool)> {
    Some(match letter {
        b'd' => (DIGIT, false),
        b'D' => (DIGIT, true),
        b's' => (SPACE, false),
        b'S' => (SPACE, true),
        b'w' => (WORD, false),
        b'W' => (WORD, true),
        _ => return None,
    })
}

/// A POSIX class name between `[:` and `:]` (`^` negates), as Go's table has them.
pub(crate) fn posix_group(name: &str) -> Option<(&'static [(u32, u32)], bool)> {
    let (name, negated) = match name.strip_prefix('^') {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    let ranges: &'static [(u32, u32)] = match name {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a)],
        "alpha" => &[(0x41, 0x5a), (0x61, 0x7a)],
        "ascii" => &[(0x0, 0x7f)],
        "blank" => &[(0x9, 0x9), (0x20, 0x20)],
        "cntrl" => &[(0x0, 0x1f), (0x7f, 0x7f)],
        "digit" => DIGIT,
        "graph" => &[(0x21, 0x7e)],
        "lower" => &[(0x61, 0x7a)],
        "print" => &[(0x20, 0x7e)],
        "punct" => &[(0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e)],
        "space" => &[(0x9, 0xd), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5a)],
        "word" => WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    };
    Some((ranges, negated))
}

/// Go's `unicode.Categories` keys (Go 1.25 added `Cn` and `LC`).
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "LC", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me",
    "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk",
    "Sm", "So", "Z", "Zl", "Zp", "Zs",
];

/// Go's `unicode.CategoryAliases` (Go 1.25): the long names Unicode gives the categories.
const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Cased_Letter", "LC"),
    ("Close_Punctuation", "Pe"),
    ("Combining_Mark", "M"),
    ("Connector_Punctuation", "Pc"),
    ("Control", "Cc"),
    ("Currency_Symbol", "Sc"),
    ("Dash_Punctuation", "Pd"),
    ("Decimal_Number", "Nd"),
    ("Enclosing_Mark", "Me"),
    ("Final_Punctuation", "Pf"),
    ("Format", "Cf"),
    ("Initial_Punctuation", "Pi"),
    ("Letter", "L"),
    ("Letter_Number", "Nl"),
    ("Line_Separator", "Zl"),
    ("Lowercase_Letter", "Ll"),
    ("Mark", "M"),
    ("Math_Symbol", "Sm"),
    ("Modifier_Letter", "Lm"),
    ("Modifier_Symbol", "Sk"),
    ("Nonspacing_Mark", "Mn"),
    ("Number", "N"),
    ("Open_Punctuation", "Ps"),
    ("Other", "C"),
    ("Other_Letter", "Lo"),
    ("Other_Number", "No"),
    ("Other_Punctuation", "Po"),
    ("Other_Symbol", "So"),
    ("Paragraph_Separator", "Zp"),
    ("Private_Use", "Co"),
    ("Punctuation", "P"),
    ("Separator", "Z"),
    ("Space_Separator", "Zs"),
    ("Spacing_Mark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecase_Letter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercase_Letter", "Lu"),
    ("cntrl", "Cc"),
    ("digit", "Nd"),
    ("punct", "P"),
];

/// Go 1.25's `canonicalName`: the first letter upper case, the others lower case, and `_`, `-`
/// and spaces dropped. Class names are looked up by it, but the tables' keys are not
/// canonicalised, so a script such as `Old_Italic` (canonically `Olditalic`) is not found.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for c in name.chars() {
        match c {
            '_' | '-' | ' ' => {}
            c if first => {
                first = false;
                out.push(c.to_ascii_uppercase());
            }
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Go's `unicode.Scripts` keys (Unicode 15, as current Go has them).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

/// The runes of a Unicode class name as Go's `\p{name}` knows it. From Go 1.25 (the Go of Flux
/// 2.7 to 2.9): `Any`, `Assigned`, `ASCII`, a category, a script or a category's long name,
/// matched by [`canonical_name`]. Before: `Any`, or a category or script by its exact key, with
/// no `Cn` or `LC`, and `C` without the unassigned code points.
pub(crate) fn unicode_table(name: &str, syntax: GoSyntax) -> Option<ClassUnicode> {
    if syntax < GoSyntax::Go1_25 {
        return match name {
            "Any" => Some(ranges(&[(0, 0x10ffff)])),
            "Cn" | "LC" => None,
            // Cc, Cf, Co and Cs (no string holds a surrogate).
            "C" => {
                let mut class = ClassUnicode::empty();
                for part in ["Cc", "Cf", "Co"] {
                    class.union(&category(part)?);
                }
                Some(class)
            }
            _ if CATEGORIES.contains(&name) => category(name),
            _ if SCRIPTS.contains(&name) => from_regex_syntax(&format!(r"\p{{sc={name}}}")),
            _ => None,
        };
    }
    let name = canonical_name(name);
    match name.as_str() {
        "Any" => return Some(ranges(&[(0, 0x10ffff)])),
        "Assigned" => {
            let mut class = category("Cn")?;
            class.negate();
            return Some(class);
        }
        "Ascii" => return Some(ranges(&[(0, 0x7f)])),
        // `LC` is the one key that is not canonical.
        "Lc" => return category("LC"),
        _ => {}
    }
    if CATEGORIES.contains(&name.as_str()) {
        return category(&name);
    }
    if SCRIPTS.contains(&name.as_str()) {
        // Go's script tables are the Script property, not Script_Extensions.
        return from_regex_syntax(&format!(r"\p{{sc={name}}}"));
    }
    CATEGORY_ALIASES
        .iter()
        .find(|(alias, _)| canonical_name(alias) == name)
        .and_then(|(_, key)| category(key))
}

/// A general category by its Go key.
fn category(key: &str) -> Option<ClassUnicode> {
    match key {
        // Surrogates: no string holds one, and the regex crate has no class of them.
        "Cs" => Some(ClassUnicode::empty()),
        _ => from_regex_syntax(&format!(r"\p{{gc={key}}}")),
    }
}

fn from_regex_syntax(pattern: &str) -> Option<ClassUnicode> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(class)) => Some(class),
        // A class with no scalar values (Cs, surrogates) comes back as a never-matching node.
        _ => Some(ClassUnicode::empty()),
    }
}

/// A class of Go runes `lo..=hi`; surrogates, which no string holds, are left out.
pub(crate) fn range(lo: u32, hi: u32) -> ClassUnicode {
    let mut class = ClassUnicode::empty();
    let mut add = |lo: u32, hi: u32| {
        if let (Some(l), Some(h)) = (char::from_u32(lo), char::from_u32(hi)) {
            if l <= h {
                class.push(ClassUnicodeRange::new(l, h));
            }
        }
    };
    add(lo, hi.min(0xd7ff));
    add(lo.max(0xe000), hi.min(0x10ffff));
    class
}

pub(crate) fn ranges(list: &[(u32, u32)]) -> ClassUnicode {
    let mut class = ClassUnicode::empty();
    for &(lo, hi) in list {
        class.union(&range(lo, hi));
    }
    class
}

/// Go's `appendGroup`: fold first (when `(?i)`), then negate.
pub(crate) fn group(list: &[(u32, u32)], negated: bool, fold: bool) -> ClassUnicode {
    let mut class = ranges(list);
    if fold {
        class.case_fold_simple();
    }
    if negated {
        class.negate();
    }
    class
}
