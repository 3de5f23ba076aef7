//! A fast RFC 4180 reader over bytes in memory: records are split without copying, and a field
//! is unescaped only when it is quoted.

use std::borrow::Cow;

/// Reads records from `data[from..to]`. `from` must be the start of a record.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

/// Why a record could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], from: usize, to: usize) -> Reader<'a> {
        Reader {
            data,
            pos: from,
            end: to,
        }
    }

    /// The byte offset where the next record starts.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Reads the next record's fields into `fields` (cleared first). Returns false at the end.
    pub fn record(&mut self, fields: &mut Vec<Cow<'a, [u8]>>) -> Result<bool, SyntaxError> {
        fields.clear();
        if self.pos >= self.end {
            return Ok(false);
        }
        let data = self.data;
        // Most records hold no quote: split the line at its commas.
        let rest = &data[self.pos..self.end];
        let line_end = memchr::memchr(b'\n', rest);
        let line = &rest[..line_end.unwrap_or(rest.len())];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // One pass over the line: commas split it, a quote sends it to the general reader.
        let mut start = 0;
        let mut quoted = false;
        for (i, &b) in line.iter().enumerate() {
            if b == b',' {
                fields.push(Cow::Borrowed(&line[start..i]));
                start = i + 1;
            } else if b == b'"' {
                quoted = true;
                break;
            }
        }
        if !quoted {
            fields.push(Cow::Borrowed(&line[start..]));
            self.pos = line_end.map_or(self.end, |i| self.pos + i + 1);
            return Ok(true);
        }
        fields.clear();
        loop {
            if self.pos < self.end && data[self.pos] == b'"' {
                // A quoted field: up to the closing quote; "" stands for one quote.
                let start = self.pos;
                let mut i = self.pos + 1;
                let mut owned: Option<Vec<u8>> = None;
                let mut chunk_start = i;
                loop {
                    let Some(q) = memchr::memchr(b'"', &data[i..self.end]) else {
                        return Err(SyntaxError {
                            offset: start,
                            message: "a quoted field is not closed",
                        });
                    };
                    let q = i + q;
                    if q + 1 < self.end && data[q + 1] == b'"' {
                        owned
                            .get_or_insert_with(Vec::new)
                            .extend_from_slice(&data[chunk_start..=q]);
                        i = q + 2;
                        chunk_start = i;
                        continue;
                    }
                    let field = match owned {
                        Some(mut v) => {
                            v.extend_from_slice(&data[chunk_start..q]);
                            Cow::Owned(v)
                        }
                        None => Cow::Borrowed(&data[chunk_start..q]),
                    };
                    fields.push(field);
                    self.pos = q + 1;
                    break;
                }
                match data.get(self.pos).filter(|_| self.pos < self.end) {
                    Some(b',') => {
                        self.pos += 1;
                        continue;
                    }
                    Some(b'\r') if data.get(self.pos + 1) == Some(&b'\n') => {
                        self.pos += 2;
                        return Ok(true);
                    }
                    Some(b'\n') => {
                        self.pos += 1;
                        return Ok(true);
                    }
                    None => return Ok(true),
                    Some(_) => {
                        return Err(SyntaxError {
                            offset: self.pos,
                            message: "unexpected text after a closing quote",
                        })
                    }
                }
            }
            // An unquoted field: up to the next comma or line end.
            let rest = &data[self.pos..self.end];
            match memchr::memchr3(b',', b'\n', b'"', rest) {
                Some(i) if rest[i] == b',' => {
                    fields.push(Cow::Borrowed(&rest[..i]));
                    self.pos += i + 1;
                }
                Some(i) if rest[i] == b'\n' => {
                    let field = rest[..i].strip_suffix(b"\r").unwrap_or(&rest[..i]);
                    fields.push(Cow::Borrowed(field));
                    self.pos += i + 1;
                    return Ok(true);
                }
                Some(i) => {
                    return Err(SyntaxError {
                        offset: self.pos + i,
                        message: "a quote inside an unquoted field",
                    })
                }
                None => {
                    let field = rest.strip_suffix(b"\r").unwrap_or(rest);
                    fields.push(Cow::Borrowed(field));
                    self.pos = self.end;
                    return Ok(true);
                }
            }
        }
    }
}

/// Appends `s` as one CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line end.
pub fn write_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// A record boundary near `target`: the start of the first record at or after the first line
/// end at or after `target`, outside quotes. Used to split a file between threads.
pub fn split_point(data: &[u8], target: usize) -> usize {
    if target >= data.len() {
        return data.len();
    }
    // Inside quotes iff an odd number of quotes come before: count them (usually none).
    let quotes = memchr::memchr_iter(b'"', &data[..target]).count();
    let mut inside = quotes % 2 == 1;
    let mut i = target;
    while i < data.len() {
        match data[i] {
            b'"' => inside = !inside,
            b'\n' if !inside => return i + 1,
            _ => {}
        }
        i += 1;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Result<Vec<Vec<String>>, SyntaxError> {
        let mut r = Reader::new(text.as_bytes(), 0, text.len());
        let mut out = Vec::new();
        let mut fields = Vec::new();
        while r.record(&mut fields)? {
            out.push(
                fields
                    .iter()
                    .map(|f| String::from_utf8(f.to_vec()).unwrap())
                    .collect(),
            );
        }
        Ok(out)
    }

    #[test]
    fn reads_plain_and_quoted_fields() {
        let got =
            records("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,,\n3,\"multi\nline\",z").unwrap();
        assert_eq!(
            got,
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x, y", "say \"hi\""],
                vec!["2", "", ""],
                vec!["3", "multi\nline", "z"],
            ]
        );
    }

    #[test]
    fn reads_lines_without_quotes_alike() {
        // Lines without a quote take the quick path: Windows line ends, an empty last field
        // and a last line without an end read as they do in the general one.
        let got = records("4,p\r\n5,\n,6\n7,\"q\"\n8,r").unwrap();
        assert_eq!(
            got,
            vec![
                vec!["4", "p"],
                vec!["5", ""],
                vec!["", "6"],
                vec!["7", "q"],
                vec!["8", "r"],
            ]
        );
    }

    #[test]
    fn refuses_broken_quoting() {
        assert_eq!(
            records("a,\"open\n").unwrap_err().message,
            "a quoted field is not closed"
        );
        assert_eq!(
            records("a,\"x\"y\n").unwrap_err().message,
            "unexpected text after a closing quote"
        );
        assert_eq!(
            records("a,x\"y\n").unwrap_err().message,
            "a quote inside an unquoted field"
        );
    }

    #[test]
    fn splits_between_records_outside_quotes() {
        let data = b"h\n1,\"a\nb\"\n2,c\n";
        assert_eq!(split_point(data, 5), 10);
        assert_eq!(split_point(data, 1), 2);
        assert_eq!(split_point(data, 100), data.len());
    }
}
