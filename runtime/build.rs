fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
		// The same runtime with `spec_version` + 1, for upgrade tests (`next_spec_version`).
		#[cfg(not(feature = "runtime-benchmarks"))]
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("next-spec-version")
			.set_file_name("bulwark_runtime_next")
			.build();
	}
}
