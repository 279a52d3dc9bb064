//! ECDSA over secp256k1 — the signature Ethereum uses — with the signed message bound to the
//! transaction's fields.
//!
//! # What the circuit proves
//!
//! Public inputs ([`native::public_inputs`], one instance column, [`NUM_PUBLIC_INPUTS`] cells):
//! the transaction fields `from, to, value, nonce, chain_id` (one bn254 element each) and the
//! signer's public key `(x, y)` as 3 little-endian 88-bit limbs per coordinate. The circuit
//! constrains that the prover knows `(r, s)` such that:
//!
//! 1. `h = Poseidon(from, to, value, nonce, chain_id)` is computed **in the circuit** from the
//!    public field cells (halo2-base `PoseidonHasher`, T=3, RATE=2, R_F=8, R_P=57);
//! 2. the ECDSA message hash `m`, loaded as a secp256k1 scalar in CRT form (3 range-checked
//!    88-bit limbs plus their native combination), equals `h` **as an integer**: its native value
//!    equals `h` (so `m ≡ h mod r_bn254`) and its limbs are below bn254's modulus `r` (a limb-wise
//!    big-integer comparison), so `m = h` — without the second check `m = h + r` or `h + 2r`, other
//!    valid secp256k1 scalars, would pass and a signature on a *different* message would do;
//! 3. the public key is a point on secp256k1 (`y² = x³ + 7`; affine, so not the identity);
//! 4. `r ∈ [1, n-1]` and `s ∈ [1, (n-1)/2]` (low s, EIP-2: no malleated twin `(r, n-s)`);
//! 5. `ecdsa_verify_no_pubkey_check(pk, r, s, m)` outputs 1 — its output is a bit that halo2-ecc
//!    does **not** constrain itself; this module asserts it equals one.
//!
//! What it does not prove: that `from` is the address of the public key (Ethereum derives it as
//! `keccak256(pk)[12..]`; that needs an in-circuit Keccak, left to a later step — until then a
//! verifier must check the `from`/public-key pair against its own state).
//!
//! # Shape
//!
//! [`K`] = 15 (2^15 rows), lookup table of [`LOOKUP_BITS`] = 14 bits: 576,449 advice cells in
//! 18 advice columns, 93,399 range-check lookup cells in 3 lookup-advice columns, 1 fixed
//! column, 8,354 constants; [`NUM_PUBLIC_INPUTS`] = 11 instance cells. The proof is 6,944 bytes.
//!
//! Proving goes through [`keygen`] / [`prove`] / [`verify`] (SHPLONK with snark-verifier's
//! Poseidon transcript, see [`crate::params`]).
pub mod native;

use halo2_base::{
    gates::{
        circuit::{builder::BaseCircuitBuilder, BaseCircuitParams, CircuitBuilderStage},
        flex_gate::MultiPhaseThreadBreakPoints,
        GateInstructions, RangeChip,
    },
    halo2_proofs::halo2curves::ff::PrimeField as _,
    halo2_proofs::poly::commitment::Params,
    halo2_proofs::{
        halo2curves::{
            bn256::{Bn256, Fr, G1Affine},
            secp256k1::{Fp, Fq, Secp256k1Affine},
            CurveAffine,
        },
        plonk::{ProvingKey, VerifyingKey},
        poly::kzg::commitment::ParamsKZG,
    },
    poseidon::hasher::PoseidonHasher,
    utils::{fe_to_biguint, modulus},
    AssignedValue, Context,
};
use halo2_ecc::{
    bigint::{big_less_than, FixedOverflowInteger, ProperCrtUint},
    ecc::{ecdsa::ecdsa_verify_no_pubkey_check, EccChip},
    fields::FieldChip,
    secp256k1::{FpChip, FqChip},
};

use crate::params::ProofError;

pub use native::{
    public_inputs, EcdsaSignature, Keypair, SignError, SignedTransaction, Transaction,
    NUM_PUBLIC_INPUTS, NUM_TX_FIELDS,
};

/// Bits per CRT limb of secp256k1 field elements. 88 × 3 = 264 ≥ 256 bits, and 88 is what
/// halo2-ecc's own secp256k1 ECDSA tests use: products of two limbs (176 bits) plus carries stay
/// far below bn254's 254-bit modulus, which the CRT multiplication needs.
pub const LIMB_BITS: usize = 88;
/// Number of CRT limbs (see [`LIMB_BITS`]).
pub const NUM_LIMBS: usize = 3;
/// Window of the variable-base scalar multiplication `u2·pk`. 4 is halo2-ecc's tuned value: a
/// 16-entry table per window; 3 makes more doublings' worth of additions, 5 a table twice as big.
pub const VAR_WINDOW_BITS: usize = 4;
/// Window of the fixed-base scalar multiplication `u1·G` (precomputed tables of the generator);
/// 4, as in halo2-ecc's secp256k1 ECDSA tests and benches.
pub const FIXED_WINDOW_BITS: usize = 4;
/// log2 of the number of rows. At 2^15 rows the ~0.57 M advice cells fill ~18 columns, which
/// was the fastest point measured on the 2-core machine (k=16 halves the columns but doubles
/// every FFT/MSM; k=14 doubles the columns and the permutation argument).
pub const K: u32 = 15;
/// Range-check lookup table of `[0, 2^14)`, the largest that fits in `2^K` rows (one row short
/// of the blinding rows), so an 88-bit limb is checked with 7 lookups.
pub const LOOKUP_BITS: usize = K as usize - 1;
/// Rows reserved at the bottom for halo2's blinding factors (halo2-ecc's benches use 20).
pub const UNUSABLE_ROWS: usize = 20;

/// Lays out the signature check of `witness` in `ctx` and returns the public-input cells, in
/// [`native::public_inputs`] order. See the module docs for the constraints.
///
/// # Panics
///
/// If `witness.public_key` is the identity (no affine coordinates).
pub fn assign_signature_check(
    ctx: &mut Context<Fr>,
    range: &RangeChip<Fr>,
    witness: &SignedTransaction,
) -> Vec<AssignedValue<Fr>> {
    let gate = &range.gate;

    // 1. h = Poseidon(fields), from the (public) field cells.
    let fields = ctx.assign_witnesses(witness.tx.fields());
    let mut hasher = PoseidonHasher::<Fr, 3, 2>::new(native::poseidon_spec());
    hasher.initialize_consts(ctx, gate);
    let h = hasher.hash_fix_len_array(ctx, gate, &fields);

    let fp_chip = FpChip::<Fr>::new(range, LIMB_BITS, NUM_LIMBS);
    let fq_chip = FqChip::<Fr>::new(range, LIMB_BITS, NUM_LIMBS);

    // 2. m = h as integers.
    let m = fq_chip.load_private(ctx, witness.msghash);
    ctx.constrain_equal(m.native(), &h);
    let r_bn254 = FixedOverflowInteger::from_native(&modulus::<Fr>(), NUM_LIMBS, LIMB_BITS);
    assert_less_than_constant(ctx, range, &m, r_bn254);

    // 4. r in [1, n-1], s in [1, (n-1)/2]; nonzero-ness is checked inside the ECDSA gadget.
    let r = fq_chip.load_private(ctx, witness.signature.r);
    let s = fq_chip.load_private(ctx, witness.signature.s);
    fq_chip.enforce_less_than(ctx, r.clone());
    // (n-1)/2 + 1 = (n+1)/2.
    let half_n_plus_one = (fe_to_biguint(&-Fq::one()) >> 1) + fe_to_biguint(&Fq::one());
    let low_s_bound = FixedOverflowInteger::from_native(&half_n_plus_one, NUM_LIMBS, LIMB_BITS);
    assert_less_than_constant(ctx, range, &s, low_s_bound);

    // 3. The public key is on the curve.
    let ecc_chip = EccChip::<Fr, FpChip<Fr>>::new(&fp_chip);
    let coords = witness
        .public_key
        .coordinates()
        .expect("a public key is not the identity");
    let pk = ecc_chip.load_private::<Secp256k1Affine>(ctx, (*coords.x(), *coords.y()));

    // 5. The ECDSA equation holds.
    let ok = ecdsa_verify_no_pubkey_check::<Fr, Fp, Fq, Secp256k1Affine>(
        &ecc_chip,
        ctx,
        pk.clone(),
        r,
        s,
        m,
        VAR_WINDOW_BITS,
        FIXED_WINDOW_BITS,
    );
    gate.assert_is_const(ctx, &ok, &Fr::one());

    let mut public = fields;
    public.extend(pk.x().limbs().iter().copied());
    public.extend(pk.y().limbs().iter().copied());
    public
}

/// Constrains the integer held by `a` (proper limbs of [`LIMB_BITS`] bits) to be below the
/// constant `bound` (given in the same limb shape).
fn assert_less_than_constant(
    ctx: &mut Context<Fr>,
    range: &RangeChip<Fr>,
    a: &ProperCrtUint<Fr>,
    bound: FixedOverflowInteger<Fr>,
) {
    let bound = bound.assign(ctx);
    let limb_base = Fr::from_u128(1u128 << LIMB_BITS);
    let lt = big_less_than::assign(range, ctx, a.clone(), bound, LIMB_BITS, limb_base);
    range.gate.assert_is_const(ctx, &lt, &Fr::one());
}

/// The signature circuit for `witness` at `stage`, with its public inputs registered.
///
/// * `Keygen` / `Mock`: `config` is `None`; the shape is computed ([`BaseCircuitBuilder::calculate_params`]).
/// * `Prover`: `config` is the keygen-time `(params, break_points)`.
pub fn build_circuit(
    stage: CircuitBuilderStage,
    witness: &SignedTransaction,
    config: Option<(BaseCircuitParams, MultiPhaseThreadBreakPoints)>,
) -> BaseCircuitBuilder<Fr> {
    build_circuit_at(stage, witness, config, K)
}

/// [`build_circuit`] at `2^k` rows instead of `2^K` (for sizing experiments).
pub fn build_circuit_at(
    stage: CircuitBuilderStage,
    witness: &SignedTransaction,
    config: Option<(BaseCircuitParams, MultiPhaseThreadBreakPoints)>,
    k: u32,
) -> BaseCircuitBuilder<Fr> {
    let mut builder = match config {
        Some((params, break_points)) => BaseCircuitBuilder::prover(params, break_points),
        None => BaseCircuitBuilder::from_stage(stage)
            .use_k(k as usize)
            .use_lookup_bits(k as usize - 1)
            .use_instance_columns(1),
    };
    let range = builder.range_chip();
    let public = assign_signature_check(builder.main(0), &range, witness);
    builder.assigned_instances[0] = public;
    if !matches!(stage, CircuitBuilderStage::Prover) {
        builder.calculate_params(Some(UNUSABLE_ROWS));
    }
    builder
}

/// Proving key of the signature circuit, with the circuit shape the prover must reuse.
#[derive(Debug)]
pub struct SignatureKeys {
    /// The halo2 proving key (holds the verifying key: `pk.get_vk()`).
    pub pk: ProvingKey<G1Affine>,
    /// The circuit shape fixed at key generation.
    pub config: BaseCircuitParams,
    /// Where the virtual region breaks into columns, fixed at key generation.
    pub break_points: MultiPhaseThreadBreakPoints,
}

/// A fixed, valid witness used to lay the circuit out at key generation (the shape does not
/// depend on the witness; the keys do not depend on its values).
pub fn sample_witness() -> SignedTransaction {
    let keypair = Keypair::from_secret(&[0x11; 32]).expect("0x11..11 is a valid secret key");
    let tx = Transaction {
        from: [0xaa; 20],
        to: [0xbb; 20],
        value: 1,
        nonce: 0,
        chain_id: 1,
        data: Fr::from(0x0da7a),
    };
    SignedTransaction::sign(&keypair, tx).expect("signing a fixed transaction")
}

/// Generates the signature circuit's keys at `2^K` rows (`params.k()` must be [`K`]).
pub fn keygen(params: &ParamsKZG<Bn256>) -> Result<SignatureKeys, ProofError> {
    if params.k() != K {
        return Err(ProofError::Keygen(format!(
            "params are for k = {}, need k = {K}",
            params.k()
        )));
    }
    let builder = build_circuit(CircuitBuilderStage::Keygen, &sample_witness(), None);
    let pk = crate::params::keygen(params, &builder)?;
    Ok(SignatureKeys {
        pk,
        config: builder.config_params.clone(),
        break_points: builder.break_points(),
    })
}

/// Proves that `witness` is valid (see the module docs). An invalid witness makes the prover
/// fail (or, where halo2 does not notice, yields a proof that does not verify).
pub fn prove(
    params: &ParamsKZG<Bn256>,
    keys: &SignatureKeys,
    witness: &SignedTransaction,
) -> Result<Vec<u8>, ProofError> {
    let config = Some((keys.config.clone(), keys.break_points.clone()));
    let builder = build_circuit(CircuitBuilderStage::Prover, witness, config);
    crate::params::prove(params, &keys.pk, builder, &[witness.public_inputs()])
}

/// Verifies `proof` that `public_key` signed `tx`.
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    tx: &Transaction,
    public_key: &Secp256k1Affine,
) -> Result<(), ProofError> {
    crate::params::verify(params, vk, proof, &[public_inputs(tx, public_key)])
}
