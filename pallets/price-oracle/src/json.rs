//! Reading one price out of an exchange's JSON answer, without allocating a document tree.
//!
//! Sources are untrusted: the body may be HTML, truncated, nested a million levels deep or
//! megabytes long. The reader walks the bytes once, follows a path such as `data.amount` or
//! `result.XXBTZUSD.c.0` (a numeric segment indexes an array), never recurses deeper than
//! [`MAX_DEPTH`] and never panics. The value found may be a JSON number or a string holding a
//! plain decimal ("67012.5"); it must be positive.

use sp_runtime::FixedU128;

/// Deeper documents are refused rather than walked (recursion is bounded by this).
pub const MAX_DEPTH: u32 = 32;
/// Fraction digits beyond FixedU128's 18 are dropped (rounding down).
const FRACTION_DIGITS: u32 = 18;

/// Why no price could be read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JsonError {
	/// Not JSON, or JSON that ends early.
	Malformed,
	/// Nested deeper than [`MAX_DEPTH`].
	TooDeep,
	/// The path does not lead to a value.
	NotFound,
	/// The value is not a plain decimal number (e.g. an object, `true`, "n/a", "1e5").
	NotANumber,
	/// Zero or negative.
	NotPositive,
	/// Larger than FixedU128 can hold.
	Overflow,
	/// The path itself is empty or has an empty segment.
	BadPath,
}

/// Checks a path's syntax: dot-separated, non-empty segments.
pub fn validate_path(path: &[u8]) -> Result<(), JsonError> {
	if path.is_empty() || path.split(|b| *b == b'.').any(|segment| segment.is_empty()) {
		return Err(JsonError::BadPath);
	}
	Ok(())
}

/// The positive decimal found at `path` in the JSON document `body`.
pub fn price_at_path(body: &[u8], path: &[u8]) -> Result<FixedU128, JsonError> {
	validate_path(path)?;
	let mut reader = Reader { bytes: body, pos: 0 };
	let mut segments = path.split(|b| *b == b'.');
	let mut depth = 0;
	loop {
		reader.skip_whitespace();
		let Some(segment) = segments.next() else {
			return reader.read_decimal_value();
		};
		depth += 1;
		if depth > MAX_DEPTH {
			return Err(JsonError::TooDeep);
		}
		match reader.peek() {
			Some(b'{') => reader.enter_member(segment, depth)?,
			Some(b'[') => {
				let index = parse_index(segment).ok_or(JsonError::NotFound)?;
				reader.enter_element(index, depth)?
			},
			Some(_) => return Err(JsonError::NotFound),
			None => return Err(JsonError::Malformed),
		}
	}
}

fn parse_index(segment: &[u8]) -> Option<usize> {
	if segment.is_empty() || segment.len() > 9 || !segment.iter().all(u8::is_ascii_digit) {
		return None;
	}
	Some(segment.iter().fold(0usize, |acc, digit| acc * 10 + usize::from(digit - b'0')))
}

/// Parses a plain positive decimal ("123", "0.5", "67012.123"): no sign, no exponent.
pub fn parse_decimal(text: &[u8]) -> Result<FixedU128, JsonError> {
	if text.first() == Some(&b'-') {
		// A negative number is still a number: say so precisely.
		return match parse_decimal(&text[1..]) {
			Ok(_) | Err(JsonError::NotPositive) => Err(JsonError::NotPositive),
			Err(e) => Err(e),
		};
	}
	let (integer, fraction) = match text.iter().position(|b| *b == b'.') {
		Some(dot) => (&text[..dot], &text[dot + 1..]),
		None => (text, &text[text.len()..]),
	};
	let all_digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
	if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
		return Err(JsonError::NotANumber);
	}
	if text.contains(&b'.') && fraction.is_empty() {
		return Err(JsonError::NotANumber);
	}
	let accuracy = 10u128.pow(FRACTION_DIGITS);
	let mut integer_value: u128 = 0;
	for digit in integer {
		integer_value = integer_value
			.checked_mul(10)
			.and_then(|v| v.checked_add(u128::from(digit - b'0')))
			.ok_or(JsonError::Overflow)?;
	}
	let mut fraction_value: u128 = 0;
	let mut scale = accuracy;
	for digit in fraction.iter().take(FRACTION_DIGITS as usize) {
		scale /= 10;
		fraction_value += u128::from(digit - b'0') * scale;
	}
	let inner = integer_value
		.checked_mul(accuracy)
		.and_then(|v| v.checked_add(fraction_value))
		.ok_or(JsonError::Overflow)?;
	if inner == 0 {
		return Err(JsonError::NotPositive);
	}
	Ok(FixedU128::from_inner(inner))
}

struct Reader<'a> {
	bytes: &'a [u8],
	pos: usize,
}

impl<'a> Reader<'a> {
	fn peek(&self) -> Option<u8> {
		self.bytes.get(self.pos).copied()
	}

	fn skip_whitespace(&mut self) {
		while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
			self.pos += 1;
		}
	}

	fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
		self.skip_whitespace();
		if self.peek() == Some(byte) {
			self.pos += 1;
			Ok(())
		} else {
			Err(JsonError::Malformed)
		}
	}

	/// At `{`: moves to the value of member `key`.
	fn enter_member(&mut self, key: &[u8], depth: u32) -> Result<(), JsonError> {
		self.expect(b'{')?;
		self.skip_whitespace();
		if self.peek() == Some(b'}') {
			return Err(JsonError::NotFound);
		}
		loop {
			self.skip_whitespace();
			let name = self.read_string_raw()?;
			self.expect(b':')?;
			self.skip_whitespace();
			if name == key {
				return Ok(());
			}
			self.skip_value(depth + 1)?;
			self.skip_whitespace();
			match self.peek() {
				Some(b',') => self.pos += 1,
				Some(b'}') => return Err(JsonError::NotFound),
				_ => return Err(JsonError::Malformed),
			}
		}
	}

	/// At `[`: moves to element `index`.
	fn enter_element(&mut self, index: usize, depth: u32) -> Result<(), JsonError> {
		self.expect(b'[')?;
		self.skip_whitespace();
		if self.peek() == Some(b']') {
			return Err(JsonError::NotFound);
		}
		for _ in 0..index {
			self.skip_value(depth + 1)?;
			self.skip_whitespace();
			match self.peek() {
				Some(b',') => self.pos += 1,
				Some(b']') => return Err(JsonError::NotFound),
				_ => return Err(JsonError::Malformed),
			}
			self.skip_whitespace();
		}
		Ok(())
	}

	/// The bytes between the quotes of a string, escapes left as they are.
	fn read_string_raw(&mut self) -> Result<&'a [u8], JsonError> {
		self.expect(b'"')?;
		let start = self.pos;
		loop {
			match self.peek() {
				Some(b'"') => {
					let text = &self.bytes[start..self.pos];
					self.pos += 1;
					return Ok(text);
				},
				Some(b'\\') => self.pos += 2,
				Some(_) => self.pos += 1,
				None => return Err(JsonError::Malformed),
			}
		}
	}

	fn skip_value(&mut self, depth: u32) -> Result<(), JsonError> {
		if depth > MAX_DEPTH {
			return Err(JsonError::TooDeep);
		}
		self.skip_whitespace();
		match self.peek() {
			Some(b'"') => self.read_string_raw().map(|_| ()),
			Some(open @ (b'{' | b'[')) => {
				let close = if open == b'{' { b'}' } else { b']' };
				self.pos += 1;
				self.skip_whitespace();
				if self.peek() == Some(close) {
					self.pos += 1;
					return Ok(());
				}
				loop {
					if open == b'{' {
						self.skip_whitespace();
						self.read_string_raw()?;
						self.expect(b':')?;
					}
					self.skip_value(depth + 1)?;
					self.skip_whitespace();
					match self.peek() {
						Some(b',') => self.pos += 1,
						Some(byte) if byte == close => {
							self.pos += 1;
							return Ok(());
						},
						_ => return Err(JsonError::Malformed),
					}
				}
			},
			Some(_) => {
				let token = self.read_token();
				if token.is_empty() {
					Err(JsonError::Malformed)
				} else {
					Ok(())
				}
			},
			None => Err(JsonError::Malformed),
		}
	}

	/// A bare token: number, `true`, `false` or `null`.
	fn read_token(&mut self) -> &'a [u8] {
		let start = self.pos;
		while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
			self.pos += 1;
		}
		&self.bytes[start..self.pos]
	}

	fn read_decimal_value(&mut self) -> Result<FixedU128, JsonError> {
		match self.peek() {
			Some(b'"') => {
				let text = self.read_string_raw()?;
				parse_decimal(text)
			},
			Some(b'{' | b'[') => Err(JsonError::NotANumber),
			Some(_) => {
				let token = self.read_token();
				if token.is_empty() {
					return Err(JsonError::Malformed);
				}
				parse_decimal(token)
			},
			None => Err(JsonError::Malformed),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn price(text: &str) -> FixedU128 {
		parse_decimal(text.as_bytes()).unwrap()
	}

	#[test]
	fn decimals_parse_exactly() {
		assert_eq!(price("67012.5"), FixedU128::from_inner(67_012_500_000_000_000_000_000));
		assert_eq!(price("0.000000000000000001"), FixedU128::from_inner(1));
		// Digits past the 18th are dropped, never rounded up.
		assert_eq!(
			price("1.0000000000000000019"),
			FixedU128::from_inner(1_000_000_000_000_000_001)
		);
		assert_eq!(price("3000"), FixedU128::from_u32(3000));
		assert_eq!(parse_decimal(b"0"), Err(JsonError::NotPositive));
		assert_eq!(parse_decimal(b"0.000"), Err(JsonError::NotPositive));
		assert_eq!(parse_decimal(b"-5.2"), Err(JsonError::NotPositive));
		assert_eq!(parse_decimal(b"1e5"), Err(JsonError::NotANumber));
		assert_eq!(parse_decimal(b"12."), Err(JsonError::NotANumber));
		assert_eq!(parse_decimal(b".5"), Err(JsonError::NotANumber));
		assert_eq!(parse_decimal(b"n/a"), Err(JsonError::NotANumber));
		assert_eq!(parse_decimal(b""), Err(JsonError::NotANumber));
		assert_eq!(parse_decimal(b"999999999999999999999999"), Err(JsonError::Overflow));
	}

	#[test]
	fn real_exchange_shapes() {
		let binance = br#"{"symbol":"BTCUSDT","price":"67012.50000000"}"#;
		assert_eq!(price_at_path(binance, b"price"), Ok(price("67012.5")));
		let coinbase = br#"{"data":{"base":"BTC","currency":"USD","amount":"67012.51"}}"#;
		assert_eq!(price_at_path(coinbase, b"data.amount"), Ok(price("67012.51")));
		let kraken = br#"{"error":[],"result":{"XXBTZUSD":{"a":["67013.0","1","1.0"],
			"c":["67012.9","0.0015"],"v":["1.5",2.5]}}}"#;
		assert_eq!(price_at_path(kraken, b"result.XXBTZUSD.c.0"), Ok(price("67012.9")));
		assert_eq!(price_at_path(kraken, b"result.XXBTZUSD.a.2"), Ok(price("1.0")));
		let number = br#" { "p" : [ {"x": null}, 3021.25 ] } "#;
		assert_eq!(price_at_path(number, b"p.1"), Ok(price("3021.25")));
	}

	#[test]
	fn garbage_is_refused_without_panic() {
		let cases: &[(&[u8], &[u8], JsonError)] = &[
			(b"<html><body>502 Bad Gateway</body></html>", b"price", JsonError::NotFound),
			(b"", b"price", JsonError::Malformed),
			(br#"{"price":"#, b"price", JsonError::Malformed),
			(br#"{"price":"67000"#, b"price", JsonError::Malformed),
			(br#"{"pri"#, b"price", JsonError::Malformed),
			(br#"{"price":"-3"}"#, b"price", JsonError::NotPositive),
			(br#"{"price":0}"#, b"price", JsonError::NotPositive),
			(br#"{"price":"abc"}"#, b"price", JsonError::NotANumber),
			(br#"{"price":{"v":1}}"#, b"price", JsonError::NotANumber),
			(br#"{"price":true}"#, b"price", JsonError::NotANumber),
			(br#"{"other":1}"#, b"price", JsonError::NotFound),
			(br#"{"data":[1,2]}"#, b"data.5", JsonError::NotFound),
			(br#"{"data":[1,2]}"#, b"data.x", JsonError::NotFound),
			(br#"{"data":"1"}"#, b"data.amount", JsonError::NotFound),
			(br#"{"a":1}"#, b"a..b", JsonError::BadPath),
			(br#"{"a":1}"#, b"", JsonError::BadPath),
		];
		for (body, path, expected) in cases {
			assert_eq!(
				price_at_path(body, path),
				Err(*expected),
				"{}",
				String::from_utf8_lossy(body)
			);
		}
	}

	#[test]
	fn deep_nesting_is_bounded() {
		let mut deep = Vec::new();
		deep.extend(core::iter::repeat_n(b'[', 100_000));
		assert_eq!(price_at_path(&deep, b"price"), Err(JsonError::NotFound));
		let mut object = br#"{"skip":"#.to_vec();
		object.extend(core::iter::repeat_n(b'[', 100_000));
		assert_eq!(price_at_path(&object, b"price"), Err(JsonError::TooDeep));
	}
}
