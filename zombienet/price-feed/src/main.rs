//! `bulwark-price-feed --listen 127.0.0.1:8101 --price BTC-USD=67000 [--script FILE]`
//!
//! See the crate docs (`src/lib.rs`) for the endpoints and the control commands.

use bulwark_price_feed::{parse_price, parse_script, serve, State};
use std::{
	collections::BTreeMap,
	net::TcpListener,
	process::ExitCode,
	sync::{Arc, Mutex},
};

const USAGE: &str =
	"usage: bulwark-price-feed [--listen ADDR] [--price MARKET=PRICE]... [--script FILE]";

fn run() -> Result<(), String> {
	let mut listen = "127.0.0.1:8101".to_string();
	let mut prices = BTreeMap::new();
	let mut script = Vec::new();
	let mut args = std::env::args().skip(1);
	while let Some(flag) = args.next() {
		let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
		match flag.as_str() {
			"--listen" => listen = value()?,
			"--price" => {
				let text = value()?;
				let (market, price) = text
					.split_once('=')
					.and_then(|(market, price)| Some((market.to_string(), parse_price(price)?)))
					.ok_or_else(|| {
						format!("`{text}`: expected MARKET=PRICE with a positive price")
					})?;
				prices.insert(market, price);
			},
			"--script" => {
				let path = value()?;
				let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
				script = parse_script(&text)?;
			},
			"--help" | "-h" => {
				println!("{USAGE}");
				return Ok(());
			},
			other => return Err(format!("unknown argument `{other}`; {USAGE}")),
		}
	}
	let listener = TcpListener::bind(&listen).map_err(|e| format!("{listen}: {e}"))?;
	eprintln!("bulwark-price-feed on http://{listen}");
	serve(listener, Arc::new(Mutex::new(State::new(prices, script))));
	Ok(())
}

fn main() -> ExitCode {
	match run() {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("Error: {error}");
			ExitCode::FAILURE
		},
	}
}
