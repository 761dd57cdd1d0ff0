fn main() {
	#[cfg(feature = "std")]
	{
		// With the metadata hash (BWK, 12 decimals) that `CheckMetadataHash` signs, so hardware
		// and metadata-checking signers can sign for this runtime. It costs a second Wasm build
		// (the first one's metadata is hashed).
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_metadata_hash("BWK", 12)
			.build();
		// The same runtime with `spec_version` + 1, for upgrade tests (`next_spec_version`); no
		// metadata hash (one Wasm build less): after that upgrade only `mode = 0` signs.
		#[cfg(not(feature = "runtime-benchmarks"))]
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("next-spec-version")
			.set_file_name("bulwark_runtime_next")
			.build();
	}
}
