//! The flags the stand-in serves to Fluent Python's flags downloaders (the `flags` crate).
//!
//! Fluent Python's programs fetch `{BASE_URL}/{cc}/{cc}.gif` and, in `flags3_asyncio.py`,
//! `{BASE_URL}/{cc}/metadata.json`, from `https://www.fluentpython.com/data/flags` or from a
//! local copy of that folder served by Python's `http.server`. The stand-in serves the same paths
//! under [`PREFIX`] for the codes of [`COUNTRIES`]: a small GIF drawn from the code (three
//! stripes, the colours and their direction picked by a hash of it, so every code has its own
//! and every run gets the same bytes) and `{"country": "..."}`. Any other code is a 404, as a
//! static file server's missing file is. The stand-in's faults (errors, slow answers, drops)
//! apply to these paths as to the pages. What the downloaders' reports must say for a log of
//! such requests is in [`crate::counts`].

use bytes::Bytes;

/// Where the flags live on the stand-in, as on Fluent Python's servers (`.../flags`).
pub const PREFIX: &str = "/flags";

/// The codes the stand-in has flags for, with each country's name: the 195 sovereign states
/// (the UN's members and its two observer states), as `-a` expects ("AD to ZW").
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AD", "Andorra"),
    ("AE", "United Arab Emirates"),
    ("AF", "Afghanistan"),
    ("AG", "Antigua and Barbuda"),
    ("AL", "Albania"),
    ("AM", "Armenia"),
    ("AO", "Angola"),
    ("AR", "Argentina"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("AZ", "Azerbaijan"),
    ("BA", "Bosnia and Herzegovina"),
    ("BB", "Barbados"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BF", "Burkina Faso"),
    ("BG", "Bulgaria"),
    ("BH", "Bahrain"),
    ("BI", "Burundi"),
    ("BJ", "Benin"),
    ("BN", "Brunei"),
    ("BO", "Bolivia"),
    ("BR", "Brazil"),
    ("BS", "Bahamas"),
    ("BT", "Bhutan"),
    ("BW", "Botswana"),
    ("BY", "Belarus"),
    ("BZ", "Belize"),
    ("CA", "Canada"),
    ("CD", "Democratic Republic of the Congo"),
    ("CF", "Central African Republic"),
    ("CG", "Republic of the Congo"),
    ("CH", "Switzerland"),
    ("CI", "Côte d'Ivoire"),
    ("CL", "Chile"),
    ("CM", "Cameroon"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("CU", "Cuba"),
    ("CV", "Cabo Verde"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DJ", "Djibouti"),
    ("DK", "Denmark"),
    ("DM", "Dominica"),
    ("DO", "Dominican Republic"),
    ("DZ", "Algeria"),
    ("EC", "Ecuador"),
    ("EE", "Estonia"),
    ("EG", "Egypt"),
    ("ER", "Eritrea"),
    ("ES", "Spain"),
    ("ET", "Ethiopia"),
    ("FI", "Finland"),
    ("FJ", "Fiji"),
    ("FM", "Micronesia"),
    ("FR", "France"),
    ("GA", "Gabon"),
    ("GB", "United Kingdom"),
    ("GD", "Grenada"),
    ("GE", "Georgia"),
    ("GH", "Ghana"),
    ("GM", "Gambia"),
    ("GN", "Guinea"),
    ("GQ", "Equatorial Guinea"),
    ("GR", "Greece"),
    ("GT", "Guatemala"),
    ("GW", "Guinea-Bissau"),
    ("GY", "Guyana"),
    ("HN", "Honduras"),
    ("HR", "Croatia"),
    ("HT", "Haiti"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IN", "India"),
    ("IQ", "Iraq"),
    ("IR", "Iran"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JM", "Jamaica"),
    ("JO", "Jordan"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KG", "Kyrgyzstan"),
    ("KH", "Cambodia"),
    ("KI", "Kiribati"),
    ("KM", "Comoros"),
    ("KN", "Saint Kitts and Nevis"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("KW", "Kuwait"),
    ("KZ", "Kazakhstan"),
    ("LA", "Laos"),
    ("LB", "Lebanon"),
    ("LC", "Saint Lucia"),
    ("LI", "Liechtenstein"),
    ("LK", "Sri Lanka"),
    ("LR", "Liberia"),
    ("LS", "Lesotho"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("LY", "Libya"),
    ("MA", "Morocco"),
    ("MC", "Monaco"),
    ("MD", "Moldova"),
    ("ME", "Montenegro"),
    ("MG", "Madagascar"),
    ("MH", "Marshall Islands"),
    ("MK", "North Macedonia"),
    ("ML", "Mali"),
    ("MM", "Myanmar"),
    ("MN", "Mongolia"),
    ("MR", "Mauritania"),
    ("MT", "Malta"),
    ("MU", "Mauritius"),
    ("MV", "Maldives"),
    ("MW", "Malawi"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("MZ", "Mozambique"),
    ("NA", "Namibia"),
    ("NE", "Niger"),
    ("NG", "Nigeria"),
    ("NI", "Nicaragua"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NP", "Nepal"),
    ("NR", "Nauru"),
    ("NZ", "New Zealand"),
    ("OM", "Oman"),
    ("PA", "Panama"),
    ("PE", "Peru"),
    ("PG", "Papua New Guinea"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PS", "Palestine"),
    ("PT", "Portugal"),
    ("PW", "Palau"),
    ("PY", "Paraguay"),
    ("QA", "Qatar"),
    ("RO", "Romania"),
    ("RS", "Serbia"),
    ("RU", "Russia"),
    ("RW", "Rwanda"),
    ("SA", "Saudi Arabia"),
    ("SB", "Solomon Islands"),
    ("SC", "Seychelles"),
    ("SD", "Sudan"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SI", "Slovenia"),
    ("SK", "Slovakia"),
    ("SL", "Sierra Leone"),
    ("SM", "San Marino"),
    ("SN", "Senegal"),
    ("SO", "Somalia"),
    ("SR", "Suriname"),
    ("SS", "South Sudan"),
    ("ST", "Sao Tome and Principe"),
    ("SV", "El Salvador"),
    ("SY", "Syria"),
    ("SZ", "Eswatini"),
    ("TD", "Chad"),
    ("TG", "Togo"),
    ("TH", "Thailand"),
    ("TJ", "Tajikistan"),
    ("TL", "Timor-Leste"),
    ("TM", "Turkmenistan"),
    ("TN", "Tunisia"),
    ("TO", "Tonga"),
    ("TR", "Turkey"),
    ("TT", "Trinidad and Tobago"),
    ("TV", "Tuvalu"),
    ("TZ", "Tanzania"),
    ("UA", "Ukraine"),
    ("UG", "Uganda"),
    ("US", "United States"),
    ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"),
    ("VA", "Vatican City"),
    ("VC", "Saint Vincent and the Grenadines"),
    ("VE", "Venezuela"),
    ("VN", "Vietnam"),
    ("VU", "Vanuatu"),
    ("WS", "Samoa"),
    ("YE", "Yemen"),
    ("ZA", "South Africa"),
    ("ZM", "Zambia"),
    ("ZW", "Zimbabwe"),
];

/// The country's name, for an upper-case code the stand-in has.
pub fn country(cc: &str) -> Option<&'static str> {
    COUNTRIES
        .binary_search_by(|&(code, _)| code.cmp(cc))
        .ok()
        .map(|i| COUNTRIES[i].1)
}

/// The body and content type of `path`, if it is a flag or a country's metadata the stand-in
/// has: `/flags/br/br.gif`, `/flags/br/metadata.json`. The downloaders ask in lower case.
pub fn file(path: &str) -> Option<(Bytes, &'static str)> {
    let (cc, name) = path
        .strip_prefix(PREFIX)?
        .strip_prefix('/')?
        .split_once('/')?;
    if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let cc = cc.to_ascii_uppercase();
    let country = country(&cc)?;
    if name == format!("{}.gif", cc.to_ascii_lowercase()) {
        Some((Bytes::from(flag_gif(&cc)), "image/gif"))
    } else if name == "metadata.json" {
        let json = format!("{{\"country\": \"{country}\"}}\n");
        Some((Bytes::from(json), "application/json"))
    } else {
        None
    }
}

/// The code a flags path asks about, in upper case: `/flags/br/metadata.json` is `BR`.
pub fn code_of(path: &str) -> Option<String> {
    let (cc, _) = path
        .strip_prefix(PREFIX)?
        .strip_prefix('/')?
        .split_once('/')?;
    (cc.len() == 2).then(|| cc.to_ascii_uppercase())
}

/// Width and height of every flag, in pixels.
const WIDTH: usize = 24;
const HEIGHT: usize = 15;

/// A GIF89a of three stripes whose colours and direction come from a hash of `cc`: small
/// (under 500 bytes), different for every code, the same bytes every time.
pub fn flag_gif(cc: &str) -> Vec<u8> {
    // FNV-1a of the code, then its bits picked apart for colours.
    let hash = cc.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let colour = |i: u32| {
        let bits = hash >> (i * 12);
        [
            (bits & 0xf) as u8 * 17,
            (bits >> 4 & 0xf) as u8 * 17,
            (bits >> 8 & 0xf) as u8 * 17,
        ]
    };
    let vertical = hash >> 63 == 1;
    let mut gif = Vec::with_capacity(512);
    gif.extend_from_slice(b"GIF89a");
    gif.extend_from_slice(&(WIDTH as u16).to_le_bytes());
    gif.extend_from_slice(&(HEIGHT as u16).to_le_bytes());
    // A global colour table of 4 entries (2 bits), no background, no aspect ratio.
    gif.extend_from_slice(&[0b1000_0001, 0, 0]);
    for i in 0..3 {
        gif.extend_from_slice(&colour(i));
    }
    gif.extend_from_slice(&[0, 0, 0]);
    // The image: all of the screen, no local colour table, not interlaced.
    gif.push(b',');
    gif.extend_from_slice(&[0, 0, 0, 0]);
    gif.extend_from_slice(&(WIDTH as u16).to_le_bytes());
    gif.extend_from_slice(&(HEIGHT as u16).to_le_bytes());
    gif.push(0);
    let pixels = (0..WIDTH * HEIGHT).map(|i| {
        let (x, y) = (i % WIDTH, i / WIDTH);
        if vertical {
            x * 3 / WIDTH
        } else {
            y * 3 / HEIGHT
        }
    });
    let data = lzw_uncompressed(pixels);
    gif.push(MIN_CODE_SIZE);
    for block in data.chunks(255) {
        gif.push(block.len() as u8);
        gif.extend_from_slice(block);
    }
    gif.push(0);
    gif.push(b';');
    gif
}

/// The LZW code size of 2-bit pixels: codes start 3 bits wide; 4 clears, 5 ends.
const MIN_CODE_SIZE: u8 = 2;
const CLEAR: u16 = 4;
const END: u16 = 5;

/// GIF's LZW without the compression: a clear code before every two pixels, so the decoder's
/// table never grows past 3-bit codes. Valid for every decoder, and simple enough to trust.
fn lzw_uncompressed(pixels: impl Iterator<Item = usize>) -> Vec<u8> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0u32);
    let mut put = |code: u16| {
        acc |= u32::from(code) << bits;
        bits += 3;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    };
    for (i, pixel) in pixels.enumerate() {
        if i % 2 == 0 {
            put(CLEAR);
        }
        put(pixel as u16);
    }
    put(END);
    if bits > 0 {
        out.push(acc as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GIF decoder for what [`flag_gif`] writes: a global colour table and one image of
    /// 2-bit LZW codes. Returns the palette and the pixels, or why it is not such a GIF.
    fn decode(gif: &[u8]) -> Result<(Vec<[u8; 3]>, Vec<u8>), String> {
        let rest = gif.strip_prefix(b"GIF89a").ok_or("no GIF89a signature")?;
        let (width, height) = (
            u16::from_le_bytes([rest[0], rest[1]]) as usize,
            u16::from_le_bytes([rest[2], rest[3]]) as usize,
        );
        let table = 3 << ((rest[4] & 7) + 1);
        let palette = rest[7..7 + table]
            .chunks(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let image = &rest[7 + table..];
        if image[0] != b',' || image[9] != 0 {
            return Err("no plain image descriptor".into());
        }
        let min = u32::from(image[10]);
        let (mut data, mut at) = (Vec::new(), 11);
        while image[at] != 0 {
            let len = image[at] as usize;
            data.extend_from_slice(&image[at + 1..at + 1 + len]);
            at += 1 + len;
        }
        if &image[at + 1..] != b";" {
            return Err("no trailer".into());
        }
        // A textbook LZW decoder, the table as (prefix code, last pixel) pairs.
        let (clear, end) = (1u32 << min, (1u32 << min) + 1);
        let (mut width_bits, mut table, mut prev) = (min + 1, Vec::new(), None::<u32>);
        let expand = |table: &Vec<(u32, u8)>, mut code: u32| {
            let mut out = Vec::new();
            while code >= clear + 2 {
                let (prefix, last) = table[(code - clear - 2) as usize];
                out.push(last);
                code = prefix;
            }
            out.push(code as u8);
            out.reverse();
            out
        };
        let (mut pixels, mut bit) = (Vec::new(), 0usize);
        loop {
            let mut code = 0u32;
            for i in 0..width_bits {
                let byte = *data.get(bit / 8).ok_or("ran out of data")?;
                code |= u32::from(byte >> (bit % 8) & 1) << i;
                bit += 1;
            }
            if code == clear {
                (width_bits, table, prev) = (min + 1, Vec::new(), None);
                continue;
            }
            if code == end {
                break;
            }
            let next = clear + 2 + table.len() as u32;
            let run = match prev {
                None => expand(&table, code),
                Some(p) => {
                    let run = if code < next {
                        expand(&table, code)
                    } else {
                        let mut run = expand(&table, p);
                        run.push(run[0]);
                        run
                    };
                    table.push((p, run[0]));
                    if clear + 2 + table.len() as u32 == 1 << width_bits && width_bits < 12 {
                        width_bits += 1;
                    }
                    run
                }
            };
            pixels.extend_from_slice(&run);
            prev = Some(code);
        }
        if pixels.len() != width * height {
            return Err(format!("{} pixels, not {width} x {height}", pixels.len()));
        }
        Ok((palette, pixels))
    }

    #[test]
    fn every_flag_is_a_small_gif_of_three_stripes_and_its_own() {
        let mut seen = std::collections::HashSet::new();
        for &(cc, _) in COUNTRIES {
            let gif = flag_gif(cc);
            assert!(gif.len() < 500, "{cc}: {} bytes", gif.len());
            assert_eq!(gif, flag_gif(cc), "the same bytes every time");
            let (palette, pixels) = decode(&gif).unwrap_or_else(|e| panic!("{cc}: {e}"));
            assert_eq!(palette.len(), 4);
            for stripe in 0..3 {
                assert_eq!(
                    pixels.iter().filter(|&&p| p == stripe).count(),
                    WIDTH * HEIGHT / 3
                );
            }
            assert!(seen.insert(gif), "{cc} looks like another code's flag");
        }
    }

    #[test]
    fn the_codes_are_sorted_unique_and_their_names_fit_in_json() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(COUNTRIES.len(), 195);
        for &(cc, name) in COUNTRIES {
            assert!(cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(!name.contains(['"', '\\']), "{name}");
        }
        assert_eq!(country("BR"), Some("Brazil"));
        assert_eq!(country("ZZ"), None);
    }

    #[test]
    fn serves_flags_and_metadata_for_known_codes_only() {
        let (gif, ty) = file("/flags/br/br.gif").unwrap();
        assert_eq!((&gif[..], ty), (&flag_gif("BR")[..], "image/gif"));
        let (json, ty) = file("/flags/us/metadata.json").unwrap();
        assert_eq!(
            (&json[..], ty),
            (
                &b"{\"country\": \"United States\"}\n"[..],
                "application/json"
            )
        );
        for missing in [
            "/flags/zz/zz.gif",
            "/flags/zz/metadata.json",
            "/flags/br/us.gif",
            "/flags/BR/BR.gif",
            "/flags/br/br.png",
            "/br/br.gif",
            "/flags/bra/bra.gif",
        ] {
            assert!(file(missing).is_none(), "{missing}");
        }
        assert_eq!(code_of("/flags/zz/zz.gif").as_deref(), Some("ZZ"));
        assert_eq!(code_of("/www.jython.org"), None);
    }
}
