//! `bulwark-node benchmark ...`: the benchmarks that produce the runtime's weights.
//!
//! Only built with `--features runtime-benchmarks`, so a validator's binary carries none of it.

use crate::{
	cli::Cli,
	service::{self, FullBackend, FullClient},
};
use bulwark_runtime::{
	opaque::Block, AccountId, BalancesCall, RuntimeCall, Signature, SignedPayload, SystemCall,
	UncheckedExtrinsic, EXISTENTIAL_DEPOSIT, VERSION,
};
use frame_benchmarking_cli::{
	BenchmarkCmd, ExtrinsicBuilder, ExtrinsicFactory, SUBSTRATE_REFERENCE_HARDWARE,
};
use sc_cli::SubstrateCli;
use sc_client_api::BlockBackend;
use sc_service::PartialComponents;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::codec::Encode;
use sp_runtime::OpaqueExtrinsic;
use std::sync::Arc;

pub fn run(cli: &Cli, cmd: &BenchmarkCmd) -> sc_cli::Result<()> {
	let runner = cli.create_runner(cmd)?;
	runner.sync_run(|config| match cmd {
		BenchmarkCmd::Pallet(cmd) => cmd
			.run_with_spec::<sp_runtime::traits::HashingFor<Block>, service::HostFunctions>(Some(
				config.chain_spec,
			)),
		BenchmarkCmd::Block(cmd) => {
			let PartialComponents { client, .. } = service::new_partial(&config)?;
			cmd.run::<Block, FullBackend, _>(client)
		},
		BenchmarkCmd::Storage(cmd) => {
			let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
			let db = backend.expose_db();
			let storage = backend.expose_storage();
			let shared_cache = backend.expose_shared_trie_cache();
			cmd.run::<Block, FullBackend, _>(config, client, db, storage, shared_cache)
		},
		BenchmarkCmd::Overhead(cmd) => cmd
			.run_with_default_builder_and_spec::<Block, service::HostFunctions>(Some(
				config.chain_spec,
			)),
		BenchmarkCmd::Extrinsic(cmd) => {
			let PartialComponents { client, .. } = service::new_partial(&config)?;
			let factory = ExtrinsicFactory(vec![
				Box::new(SignedCallBuilder::remark(client.clone())),
				Box::new(SignedCallBuilder::transfer_keep_alive(client.clone())),
			]);
			cmd.run(client, inherent_benchmark_data()?, Vec::new(), &factory)
		},
		BenchmarkCmd::Machine(cmd) => cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone()),
	})
}

/// Builds one kind of call, signed by Alice, for `benchmark extrinsic`.
struct SignedCallBuilder {
	client: Arc<FullClient>,
	pallet: &'static str,
	extrinsic: &'static str,
	call: RuntimeCall,
}

impl SignedCallBuilder {
	fn remark(client: Arc<FullClient>) -> Self {
		let call = RuntimeCall::System(SystemCall::remark { remark: vec![] });
		Self { client, pallet: "system", extrinsic: "remark", call }
	}

	fn transfer_keep_alive(client: Arc<FullClient>) -> Self {
		let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value: EXISTENTIAL_DEPOSIT,
		});
		Self { client, pallet: "balances", extrinsic: "transfer_keep_alive", call }
	}
}

impl ExtrinsicBuilder for SignedCallBuilder {
	fn pallet(&self) -> &str {
		self.pallet
	}

	fn extrinsic(&self) -> &str {
		self.extrinsic
	}

	fn build(&self, nonce: u32) -> Result<OpaqueExtrinsic, &'static str> {
		let genesis = self.client.block_hash(0).ok().flatten().ok_or("no genesis block")?;
		let extension = bulwark_runtime::tx_extension(nonce);
		// What the extensions add to the signed payload without putting it in the extrinsic, in
		// the order of `TxExtension`: only the version and genesis checks add anything.
		let implicit = (
			(),                          // AuthorizeCall
			(),                          // CheckNonZeroSender
			VERSION.spec_version,        // CheckSpecVersion
			VERSION.transaction_version, // CheckTxVersion
			genesis,                     // CheckGenesis
			genesis,                     // CheckEra (immortal: the genesis hash)
			(),                          // CheckNonce
			(),                          // CheckWeight
			(),                          // PrioritizeLiquidations
			(),                          // OwnerLane
			(),                          // ChargeTransactionPayment (tip priority capped)
			(None::<[u8; 32]>, ()),      // CheckMetadataHash (mode 0: no hash), WeightReclaim
		);
		let payload = SignedPayload::from_raw(self.call.clone(), extension.clone(), implicit);
		let signer = Sr25519Keyring::Alice;
		let signature = payload.using_encoded(|bytes| signer.sign(bytes));
		let xt = UncheckedExtrinsic::new_signed(
			self.call.clone(),
			AccountId::from(signer.public()).into(),
			Signature::Sr25519(signature),
			extension,
		);
		OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode())
			.map_err(|_| "extrinsic does not decode")
	}
}

/// Inherent data for benchmark blocks: the timestamp at zero, which is slot zero for Aura.
fn inherent_benchmark_data() -> sc_cli::Result<InherentData> {
	let mut data = InherentData::new();
	let timestamp = sp_timestamp::InherentDataProvider::new(0.into());
	futures::executor::block_on(timestamp.provide_inherent_data(&mut data))
		.map_err(|e| format!("creating inherent data: {e:?}"))?;
	Ok(data)
}
