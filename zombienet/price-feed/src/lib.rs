//! A price server for tests and demos, on loopback.
//!
//! It answers the ticker requests of three real exchange APIs, each in its own JSON shape:
//!
//! | shape    | request                                  | price at                  |
//! |----------|------------------------------------------|---------------------------|
//! | Binance  | `/api/v3/ticker/price?symbol=BTCUSDT`    | `price`                   |
//! | Coinbase | `/v2/prices/BTC-USD/spot`                | `data.amount`             |
//! | Kraken   | `/0/public/Ticker?pair=XBTUSD`           | `result.XXBTZUSD.c.0`     |
//!
//! Prices come from `--price MARKET=PRICE`, a script of timed changes, or the control endpoints,
//! which also make the server misbehave the ways real sources do:
//!
//! - `/control/set?market=BTC-USD&price=60000`: set a price;
//! - `/control/jump?market=BTC-USD&factor=0.1`: multiply a price (a crash, or a 10x liar);
//! - `/control/wick?market=BTC-USD&price=50250&answers=3`: the next `answers` price answers for
//!   the market carry `price`, then the set price again (a wick that lasts for a number of
//!   readers rather than a time, so a test can make it reach exactly one oracle round; a
//!   `set` meanwhile changes the price served after it);
//! - `/control/mode?mode=M`: `normal`, `stall` (accept, never answer), `error` (HTTP 500),
//!   `garbage` (binary junk), `html` (an error page), `empty` (close without answering),
//!   `huge` (a 10 MB body);
//! - `/control/state`: the current prices and mode, as JSON.

use std::{
	collections::BTreeMap,
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	sync::{Arc, Mutex},
	thread,
	time::{Duration, Instant},
};

/// How the server answers price requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
	Normal,
	Stall,
	Error,
	Garbage,
	Html,
	Empty,
	Huge,
}

impl Mode {
	pub fn parse(text: &str) -> Option<Mode> {
		Some(match text {
			"normal" => Mode::Normal,
			"stall" => Mode::Stall,
			"error" => Mode::Error,
			"garbage" => Mode::Garbage,
			"html" => Mode::Html,
			"empty" => Mode::Empty,
			"huge" => Mode::Huge,
			_ => return None,
		})
	}

	fn name(self) -> &'static str {
		match self {
			Mode::Normal => "normal",
			Mode::Stall => "stall",
			Mode::Error => "error",
			Mode::Garbage => "garbage",
			Mode::Html => "html",
			Mode::Empty => "empty",
			Mode::Huge => "huge",
		}
	}
}

/// One timed step of a script: at `at` after start, set a market's price or the mode.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
	Price { at: Duration, market: String, price: f64 },
	Mode { at: Duration, mode: Mode },
}

impl Step {
	fn at(&self) -> Duration {
		match self {
			Step::Price { at, .. } | Step::Mode { at, .. } => *at,
		}
	}
}

/// Parses a script: one step per line, `<seconds> <MARKET> <PRICE>` or `<seconds> mode <MODE>`;
/// blank lines and `#` comments are skipped.
pub fn parse_script(text: &str) -> Result<Vec<Step>, String> {
	let mut steps = Vec::new();
	for (number, line) in text.lines().enumerate() {
		let line = line.trim();
		if line.is_empty() || line.starts_with('#') {
			continue;
		}
		let fields: Vec<&str> = line.split_whitespace().collect();
		let bad = || format!("script line {}: `{line}`", number + 1);
		let [seconds, what, value] = fields[..] else { return Err(bad()) };
		let seconds: f64 = seconds.parse().map_err(|_| bad())?;
		if !(seconds >= 0.0 && seconds.is_finite()) {
			return Err(bad());
		}
		let at = Duration::from_secs_f64(seconds);
		steps.push(if what == "mode" {
			Step::Mode { at, mode: Mode::parse(value).ok_or_else(bad)? }
		} else {
			Step::Price { at, market: what.to_string(), price: parse_price(value).ok_or_else(bad)? }
		});
	}
	steps.sort_by_key(Step::at);
	Ok(steps)
}

/// A positive, finite price.
pub fn parse_price(text: &str) -> Option<f64> {
	text.parse::<f64>().ok().filter(|price| price.is_finite() && *price > 0.0)
}

/// A price served for a number of answers instead of the set one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wick {
	pub price: f64,
	pub answers_left: u32,
}

/// What the server serves right now.
#[derive(Debug)]
pub struct State {
	pub prices: BTreeMap<String, f64>,
	pub mode: Mode,
	/// Per market: a wick still to be served. Removed once its last answer is out.
	pub wicks: BTreeMap<String, Wick>,
	script: Vec<Step>,
	started: Instant,
}

impl State {
	pub fn new(prices: BTreeMap<String, f64>, script: Vec<Step>) -> Self {
		State {
			prices,
			mode: Mode::Normal,
			wicks: BTreeMap::new(),
			script,
			started: Instant::now(),
		}
	}

	/// The price to answer for `market` now; a wick's answer is counted as served.
	fn serve_price(&mut self, market: &str) -> Option<f64> {
		if let Some(wick) = self.wicks.get_mut(market) {
			let price = wick.price;
			// The last answer (or a count of zero, which `control` never stores) ends it.
			if wick.answers_left <= 1 {
				self.wicks.remove(market);
			} else {
				wick.answers_left -= 1;
			}
			return Some(price);
		}
		self.prices.get(market).copied()
	}

	/// Applies the script's steps that are due.
	fn advance(&mut self) {
		let elapsed = self.started.elapsed();
		while self.script.first().is_some_and(|step| step.at() <= elapsed) {
			match self.script.remove(0) {
				Step::Price { market, price, .. } => {
					self.prices.insert(market, price);
				},
				Step::Mode { mode, .. } => self.mode = mode,
			}
		}
	}
}

/// An HTTP answer, or none at all.
#[derive(Debug, PartialEq)]
pub enum Reply {
	Answer {
		status: u16,
		content_type: &'static str,
		body: Vec<u8>,
	},
	/// Hold the connection open without a byte, then drop it.
	Stall,
	/// Close at once without a byte.
	Close,
}

fn json(status: u16, body: String) -> Reply {
	Reply::Answer { status, content_type: "application/json", body: body.into_bytes() }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
	query.split('&').find_map(|pair| {
		let (key, value) = pair.split_once('=')?;
		(key == name).then_some(value)
	})
}

/// Kraken's result key: `X<base>Z<quote>` for the old majors, `<base><quote>` for the rest.
fn kraken_result_key(base: &str) -> String {
	match base {
		"BTC" => "XXBTZUSD".into(),
		"ETH" => "XETHZUSD".into(),
		other => format!("{other}USD"),
	}
}

/// Answers one request target (`/path?query`).
pub fn respond(state: &mut State, target: &str) -> Reply {
	state.advance();
	let (path, query) = target.split_once('?').unwrap_or((target, ""));
	if let Some(command) = path.strip_prefix("/control/") {
		return control(state, command, query);
	}
	// Which market is asked for, in which shape.
	let request = if path == "/api/v3/ticker/price" {
		query_param(query, "symbol")
			.and_then(|symbol| symbol.strip_suffix("USDT"))
			.map(|base| (base.to_string(), Shape::Binance))
	} else if let Some(pair) =
		path.strip_prefix("/v2/prices/").and_then(|p| p.strip_suffix("/spot"))
	{
		pair.strip_suffix("-USD").map(|base| (base.to_string(), Shape::Coinbase))
	} else if path == "/0/public/Ticker" {
		query_param(query, "pair").and_then(|pair| pair.strip_suffix("USD")).map(|base| {
			let base = if base == "XBT" { "BTC" } else { base };
			(base.to_string(), Shape::Kraken)
		})
	} else {
		None
	};
	let Some((base, shape)) = request else {
		return json(404, r#"{"error":"unknown endpoint"}"#.into());
	};
	match state.mode {
		Mode::Normal => {},
		Mode::Stall => return Reply::Stall,
		Mode::Empty => return Reply::Close,
		Mode::Error => return json(500, r#"{"error":"internal error"}"#.into()),
		Mode::Garbage => {
			return Reply::Answer {
				status: 200,
				content_type: "application/json",
				body: b"\x00\xff\xfe\x9c{{{garbage\"price\":".to_vec(),
			}
		},
		Mode::Html => {
			return Reply::Answer {
				status: 200,
				content_type: "text/html",
				body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
			}
		},
		Mode::Huge => {
			let mut body = br#"{"price":""#.to_vec();
			body.resize(10 * 1024 * 1024, b'9');
			body.extend_from_slice(br#""}"#);
			return Reply::Answer { status: 200, content_type: "application/json", body };
		},
	}
	let market = format!("{base}-USD");
	let Some(price) = state.serve_price(&market) else {
		return json(400, format!(r#"{{"error":"unknown market {market}"}}"#));
	};
	json(
		200,
		match shape {
			Shape::Binance => format!(r#"{{"symbol":"{base}USDT","price":"{price:.8}"}}"#),
			Shape::Coinbase => {
				format!(r#"{{"data":{{"amount":"{price:.2}","base":"{base}","currency":"USD"}}}}"#)
			},
			Shape::Kraken => format!(
				r#"{{"error":[],"result":{{"{key}":{{"a":["{ask:.5}","1","1.000"],"b":["{bid:.5}","1","1.000"],"c":["{price:.5}","0.00100000"],"v":["100.0","2500.0"]}}}}}}"#,
				key = kraken_result_key(&base),
				ask = price * 1.0001,
				bid = price * 0.9999,
			),
		},
	)
}

#[derive(Clone, Copy)]
enum Shape {
	Binance,
	Coinbase,
	Kraken,
}

fn control(state: &mut State, command: &str, query: &str) -> Reply {
	let bad = |why: &str| json(400, format!(r#"{{"error":"{why}"}}"#));
	match command {
		"set" | "jump" => {
			let Some(market) = query_param(query, "market") else { return bad("market missing") };
			let value = query_param(query, if command == "set" { "price" } else { "factor" });
			let Some(value) = value.and_then(parse_price) else { return bad("bad number") };
			let price = if command == "set" {
				value
			} else {
				match state.prices.get(market) {
					Some(old) => old * value,
					None => return bad("unknown market"),
				}
			};
			state.prices.insert(market.to_string(), price);
		},
		"wick" => {
			let Some(market) = query_param(query, "market") else { return bad("market missing") };
			if !state.prices.contains_key(market) {
				return bad("unknown market");
			}
			let Some(price) = query_param(query, "price").and_then(parse_price) else {
				return bad("bad number");
			};
			let answers = query_param(query, "answers").and_then(|text| text.parse::<u32>().ok());
			let Some(answers_left) = answers.filter(|answers| *answers > 0) else {
				return bad("answers must be a positive count");
			};
			state.wicks.insert(market.to_string(), Wick { price, answers_left });
		},
		"mode" => match query_param(query, "mode").and_then(Mode::parse) {
			Some(mode) => state.mode = mode,
			None => return bad("unknown mode"),
		},
		"state" => {},
		_ => return bad("unknown control"),
	}
	let prices: Vec<String> =
		state.prices.iter().map(|(market, price)| format!(r#""{market}":{price}"#)).collect();
	let wicks: Vec<String> = state
		.wicks
		.iter()
		.map(|(market, wick)| {
			format!(r#""{market}":{{"price":{},"answers_left":{}}}"#, wick.price, wick.answers_left)
		})
		.collect();
	json(
		200,
		format!(
			r#"{{"mode":"{}","prices":{{{}}},"wicks":{{{}}}}}"#,
			state.mode.name(),
			prices.join(","),
			wicks.join(",")
		),
	)
}

/// How long a stalled request is held before the connection drops.
pub const STALL: Duration = Duration::from_secs(30);

/// Serves until the process ends; one thread per connection.
pub fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
	for stream in listener.incoming().flatten() {
		let state = state.clone();
		thread::spawn(move || handle(stream, &state));
	}
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) {
	let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
	let mut request = Vec::new();
	let mut buffer = [0u8; 2048];
	while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
		match stream.read(&mut buffer) {
			Ok(0) | Err(_) => return,
			Ok(n) => request.extend_from_slice(&buffer[..n]),
		}
	}
	let text = String::from_utf8_lossy(&request);
	let target = text.lines().next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or("/");
	let reply = match state.lock() {
		Ok(mut state) => respond(&mut state, target),
		Err(_) => return,
	};
	match reply {
		Reply::Answer { status, content_type, body } => {
			let reason = match status {
				200 => "OK",
				400 => "Bad Request",
				404 => "Not Found",
				_ => "Internal Server Error",
			};
			let head = format!(
				"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
				body.len()
			);
			let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
		},
		Reply::Stall => thread::sleep(STALL),
		Reply::Close => {},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn state() -> State {
		let prices = [("BTC-USD".to_string(), 67_000.5), ("DOT-USD".to_string(), 7.25)];
		State::new(prices.into_iter().collect(), Vec::new())
	}

	fn body(reply: Reply) -> (u16, String) {
		match reply {
			Reply::Answer { status, body, .. } => (status, String::from_utf8(body).unwrap()),
			other => panic!("no answer: {other:?}"),
		}
	}

	#[test]
	fn three_exchange_shapes() {
		let mut state = state();
		assert_eq!(
			body(respond(&mut state, "/api/v3/ticker/price?symbol=BTCUSDT")),
			(200, r#"{"symbol":"BTCUSDT","price":"67000.50000000"}"#.into())
		);
		assert_eq!(
			body(respond(&mut state, "/v2/prices/DOT-USD/spot")),
			(200, r#"{"data":{"amount":"7.25","base":"DOT","currency":"USD"}}"#.into())
		);
		let (status, kraken) = body(respond(&mut state, "/0/public/Ticker?pair=XBTUSD"));
		assert_eq!(status, 200);
		assert!(kraken.contains(r#""XXBTZUSD":{"#), "{kraken}");
		assert!(kraken.contains(r#""c":["67000.50000","#), "{kraken}");
		let (_, dot) = body(respond(&mut state, "/0/public/Ticker?pair=DOTUSD"));
		assert!(dot.contains(r#""DOTUSD":{"#), "{dot}");
		assert_eq!(body(respond(&mut state, "/v2/prices/ETH-USD/spot")).0, 400);
		assert_eq!(body(respond(&mut state, "/nothing")).0, 404);
	}

	#[test]
	fn control_sets_jumps_and_breaks() {
		let mut state = state();
		assert_eq!(body(respond(&mut state, "/control/set?market=BTC-USD&price=60000")).0, 200);
		assert_eq!(state.prices["BTC-USD"], 60_000.0);
		respond(&mut state, "/control/jump?market=BTC-USD&factor=10");
		assert_eq!(state.prices["BTC-USD"], 600_000.0);
		assert_eq!(body(respond(&mut state, "/control/set?market=BTC-USD&price=-1")).0, 400);
		assert_eq!(body(respond(&mut state, "/control/jump?market=XYZ-USD&factor=2")).0, 400);
		assert_eq!(body(respond(&mut state, "/control/mode?mode=sideways")).0, 400);

		respond(&mut state, "/control/mode?mode=stall");
		assert_eq!(respond(&mut state, "/v2/prices/BTC-USD/spot"), Reply::Stall);
		respond(&mut state, "/control/mode?mode=empty");
		assert_eq!(respond(&mut state, "/v2/prices/BTC-USD/spot"), Reply::Close);
		respond(&mut state, "/control/mode?mode=error");
		assert_eq!(body(respond(&mut state, "/v2/prices/BTC-USD/spot")).0, 500);
		respond(&mut state, "/control/mode?mode=huge");
		let (status, huge) = body(respond(&mut state, "/v2/prices/BTC-USD/spot"));
		assert_eq!((status, huge.len()), (200, 10 * 1024 * 1024 + 2));
		let (_, snapshot) = body(respond(&mut state, "/control/state"));
		assert_eq!(
			snapshot,
			r#"{"mode":"huge","prices":{"BTC-USD":600000,"DOT-USD":7.25},"wicks":{}}"#
		);
	}

	#[test]
	fn a_wick_lasts_for_its_answers_and_no_longer() {
		let mut state = state();
		assert_eq!(
			body(respond(&mut state, "/control/wick?market=BTC-USD&price=50250&answers=2")).1,
			r#"{"mode":"normal","prices":{"BTC-USD":67000.5,"DOT-USD":7.25},"wicks":{"BTC-USD":{"price":50250,"answers_left":2}}}"#
		);
		// Another market is not touched, and control requests are no answers.
		assert_eq!(
			body(respond(&mut state, "/v2/prices/DOT-USD/spot")).1,
			r#"{"data":{"amount":"7.25","base":"DOT","currency":"USD"}}"#
		);
		respond(&mut state, "/control/state");
		let coinbase = |state: &mut State| body(respond(state, "/v2/prices/BTC-USD/spot")).1;
		assert_eq!(
			coinbase(&mut state),
			r#"{"data":{"amount":"50250.00","base":"BTC","currency":"USD"}}"#
		);
		assert_eq!(state.wicks["BTC-USD"].answers_left, 1);
		assert_eq!(
			body(respond(&mut state, "/api/v3/ticker/price?symbol=BTCUSDT")).1,
			r#"{"symbol":"BTCUSDT","price":"50250.00000000"}"#
		);
		assert!(state.wicks.is_empty());
		assert_eq!(
			coinbase(&mut state),
			r#"{"data":{"amount":"67000.50","base":"BTC","currency":"USD"}}"#
		);
		// An error answer carries no price, so it serves none of the wick.
		respond(&mut state, "/control/wick?market=BTC-USD&price=1&answers=1");
		respond(&mut state, "/control/mode?mode=error");
		assert_eq!(body(respond(&mut state, "/v2/prices/BTC-USD/spot")).0, 500);
		assert_eq!(state.wicks["BTC-USD"].answers_left, 1);
		for bad in [
			"/control/wick?market=XYZ-USD&price=1&answers=1",
			"/control/wick?market=BTC-USD&price=0&answers=1",
			"/control/wick?market=BTC-USD&price=1&answers=0",
			"/control/wick?market=BTC-USD&price=1",
			"/control/wick?price=1&answers=1",
		] {
			assert_eq!(body(respond(&mut state, bad)).0, 400, "{bad}");
		}
	}

	#[test]
	fn scripts_parse_and_play_in_time_order() {
		let script =
			parse_script("# a crash\n0 BTC-USD 100\n\n0 mode html\n3600 BTC-USD 50\n").unwrap();
		assert_eq!(script.len(), 3);
		let mut state = State::new(BTreeMap::new(), script);
		respond(&mut state, "/control/state");
		assert_eq!(state.prices["BTC-USD"], 100.0);
		assert_eq!(state.mode, Mode::Html);
		for bad in ["x BTC-USD 1", "1 BTC-USD", "1 BTC-USD -5", "1 mode sideways", "-1 A-USD 1"] {
			assert!(parse_script(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn serves_over_tcp() {
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let address = listener.local_addr().unwrap();
		let shared = Arc::new(Mutex::new(state()));
		thread::spawn(move || serve(listener, shared));
		let mut stream = TcpStream::connect(address).unwrap();
		stream
			.write_all(b"GET /api/v3/ticker/price?symbol=DOTUSDT HTTP/1.1\r\nHost: x\r\n\r\n")
			.unwrap();
		let mut answer = String::new();
		stream.read_to_string(&mut answer).unwrap();
		assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
		assert!(answer.ends_with(r#"{"symbol":"DOTUSDT","price":"7.25000000"}"#), "{answer}");
	}
}
