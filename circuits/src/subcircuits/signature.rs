//! The `signature` sub-circuit: knowledge of a Schnorr signature over Pallas.
//!
//! # Statement
//!
//! Public inputs (one instance column): `[PK.x, PK.y, msg]`. Private witnesses: the signature
//! `(R, s)` with `R` a Pallas point and `s` a Pallas scalar. The circuit proves
//!
//! ```text
//!     c    = Poseidon(R.x, R.y, PK.x, PK.y, msg)      (P128Pow5T3, width 3, rate 2, ConstantLength<5>)
//!     [s]G = R + [c]PK
//! ```
//!
//! with `PK` and `R` on the curve and not the identity. `G` is a fixed, nothing-up-my-sleeve
//! base ([`fixed_bases::generator`]). `msg` is a field element: the caller hashes the
//! transaction's fields into it.
//!
//! # How the circuit computes it
//!
//! 1. `PK` and `R` are witnessed as non-identity points (the ECC gadget checks the curve
//!    equation); `PK`'s coordinates are copy-constrained to public inputs 0 and 1, and `msg` is
//!    copied from public input 2.
//! 2. The Poseidon gadget (`Pow5Chip`) hashes the five cells *by copy*, so `c` is bound to the
//!    very `R`, `PK` and `msg` used elsewhere.
//! 3. `[s]G`: full-width fixed-base multiplication (85 three-bit windows with precomputed
//!    tables); `s` is decomposed and range-checked inside the gadget.
//! 4. `[c]PK`: variable-base multiplication with the scalar taken straight from the Poseidon
//!    output cell. `c ∈ F_p` and `p < q`, so multiplying by `c`'s integer value is exactly the
//!    native `[c mod q]PK` ([`challenge_scalar`]); the gadget's overflow check makes the bit
//!    decomposition of `c` canonical.
//! 5. `R + [c]PK` by complete addition, constrained equal (both coordinates) to `[s]G`.
//!
//! Soundness rests on every value of the equation being the cell the hash absorbed: there is no
//! freely witnessed copy of `c`, `R` or `PK`.
//!
//! # Layout
//!
//! Ten advice columns shared by the ECC and Poseidon chips (as in Orchard's action circuit),
//! eight fixed columns holding the fixed-base Lagrange coefficients that double as Poseidon's
//! round constants (and, the first, as the constants column), and the 10-bit lookup table of
//! the variable-base multiplication's range checks. The 2¹⁰-row table dominates, so `k = 11`; [`rows::measure`]
//! derives that from the real layout rather than assuming it.
//!
//! # Native API
//!
//! [`SigningKey`], [`PublicKey`], [`Signature`], [`verify`], [`challenge`] compute the same
//! statement out of circuit, for building operations and datasets.

use std::sync::OnceLock;

use halo2_gadgets::ecc::chip::{EccChip, EccConfig};
use halo2_gadgets::ecc::{CircuitVersion, FixedPoint, NonIdentityPoint, ScalarFixed, ScalarVar};
use halo2_gadgets::poseidon::primitives::{ConstantLength, P128Pow5T3};
use halo2_gadgets::poseidon::{Hash, Pow5Chip, Pow5Config};
use halo2_gadgets::sinsemilla::primitives::K as RANGE_CHECK_BITS;
use halo2_gadgets::utilities::lookup_range_check::{
    LookupRangeCheck, PallasLookupRangeCheckConfig,
};
use halo2_proofs::circuit::{AssignedCell, Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, Fixed, Instance, TableColumn,
};
use pasta_curves::pallas;

use super::SubCircuit;
use crate::Fp;

pub mod fixed_bases;
mod native;
pub use super::rows;

pub use fixed_bases::SchnorrFixedBases;
pub use native::{challenge, challenge_scalar, verify, PublicKey, Signature, SigningKey};

use fixed_bases::SchnorrGenerator;

/// Row of `PK.x` in the instance column.
pub const PK_X_ROW: usize = 0;
/// Row of `PK.y` in the instance column.
pub const PK_Y_ROW: usize = 1;
/// Row of `msg` in the instance column.
pub const MSG_ROW: usize = 2;

/// Poseidon width (`P128Pow5T3`).
const WIDTH: usize = 3;
/// Poseidon rate (`P128Pow5T3`).
const RATE: usize = 2;

/// The ECC chip over the signature's fixed bases.
pub type SignatureEccChip = EccChip<SchnorrFixedBases, PallasLookupRangeCheckConfig>;
/// The Poseidon chip hashing the challenge.
pub type SignaturePoseidonChip = Pow5Chip<Fp, WIDTH, RATE>;

/// Why a signature witness cannot satisfy the circuit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key is the identity point, which the circuit cannot witness.
    #[error("signature: the public key is the identity point")]
    IdentityPublicKey,
    /// The signature's `R` is the identity point, which the circuit cannot witness.
    #[error("signature: the signature's nonce commitment R is the identity point")]
    IdentityNonce,
    /// `[s]G ≠ R + [c]PK` for this public key and message.
    #[error(
        "signature: [s]G != R + [c]PK (the signature does not verify for this key and message)"
    )]
    Invalid,
    /// Laying out the circuit's shape failed (a construction bug, not a witness problem).
    #[error("signature: laying out the circuit failed: {0}")]
    Layout(String),
}

/// Columns and chip configurations of the signature circuit.
#[derive(Clone, Debug)]
pub struct SignatureConfig {
    instance: Column<Instance>,
    advices: [Column<Advice>; 10],
    constants: Column<Fixed>,
    table_idx: TableColumn,
    ecc: EccConfig<SchnorrFixedBases, PallasLookupRangeCheckConfig>,
    poseidon: Pow5Config<Fp, WIDTH, RATE>,
}

impl SignatureConfig {
    /// Allocates the columns and configures the ECC and Poseidon chips on them.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let instance = meta.instance_column();
        meta.enable_equality(instance);

        let advices: [Column<Advice>; 10] = std::array::from_fn(|_| meta.advice_column());
        let lagrange_coeffs: [Column<Fixed>; 8] = std::array::from_fn(|_| meta.fixed_column());
        // Constants (Poseidon's initial capacity word, ...) share the first Lagrange column, as
        // in Orchard: the floor planner puts them below the rows the fixed-base tables use,
        // which saves a whole fixed column.
        let constants = lagrange_coeffs[0];
        meta.enable_constant(constants);

        let table_idx = meta.lookup_table_column();
        let range_check = PallasLookupRangeCheckConfig::configure(meta, advices[9], table_idx);
        let ecc = SignatureEccChip::configure(meta, advices, lagrange_coeffs, range_check);

        // Poseidon reuses columns exactly as Orchard's action circuit does: state in
        // advices[6..9], partial S-box in advices[5], round constants in the fixed columns
        // that hold the fixed-base Lagrange coefficients elsewhere.
        let poseidon = SignaturePoseidonChip::configure::<P128Pow5T3>(
            meta,
            [advices[6], advices[7], advices[8]],
            advices[5],
            [lagrange_coeffs[2], lagrange_coeffs[3], lagrange_coeffs[4]],
            [lagrange_coeffs[5], lagrange_coeffs[6], lagrange_coeffs[7]],
        );

        SignatureConfig {
            instance,
            advices,
            constants,
            table_idx,
            ecc,
            poseidon,
        }
    }

    /// The ECC chip on this configuration (the fixed variable-base circuit version).
    pub fn ecc_chip(&self) -> SignatureEccChip {
        EccChip::construct(self.ecc.clone(), CircuitVersion::AnchoredBase)
    }

    /// The Poseidon chip on this configuration.
    pub fn poseidon_chip(&self) -> SignaturePoseidonChip {
        Pow5Chip::construct(self.poseidon.clone())
    }

    /// The fixed columns enabled for constants.
    pub fn constants_columns(&self) -> Vec<Column<Fixed>> {
        vec![self.constants]
    }

    /// Loads the table of the variable-base multiplication's 10-bit range checks (the
    /// lookup compares words against `table_idx` alone); once per circuit.
    ///
    /// The gadget's own loader is test-only and Orchard shares Sinsemilla's table instead, so
    /// the column is filled here with `0..2^10`.
    pub fn load(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        layouter.assign_table(
            || "range check table",
            |mut table| {
                for index in 0..(1usize << RANGE_CHECK_BITS) {
                    table.assign_cell(
                        || "table_idx",
                        self.table_idx,
                        index,
                        || Value::known(Fp::from(index as u64)),
                    )?;
                }
                Ok(())
            },
        )
    }
}

/// The gadget: constrains `[s]G = R + [c]PK` with `c = Poseidon(R.x, R.y, PK.x, PK.y, msg)`
/// computed in-circuit, and returns the cell holding `c`.
///
/// `pk`, `r` and `msg` must already be assigned (and bound to public inputs as the caller needs).
pub fn verify_signature(
    ecc: &SignatureEccChip,
    poseidon: SignaturePoseidonChip,
    mut layouter: impl Layouter<Fp>,
    pk: &NonIdentityPoint<pallas::Affine, SignatureEccChip>,
    r: &NonIdentityPoint<pallas::Affine, SignatureEccChip>,
    msg: AssignedCell<Fp, Fp>,
    s: Value<pallas::Scalar>,
) -> Result<AssignedCell<Fp, Fp>, Error> {
    let c = Hash::<_, _, P128Pow5T3, ConstantLength<5>, WIDTH, RATE>::init(
        poseidon,
        layouter.namespace(|| "challenge hasher"),
    )?
    .hash(
        layouter.namespace(|| "c = Poseidon(R, PK, msg)"),
        [
            r.inner().x(),
            r.inner().y(),
            pk.inner().x(),
            pk.inner().y(),
            msg,
        ],
    )?;

    let s = ScalarFixed::new(ecc.clone(), layouter.namespace(|| "s"), s)?;
    let (s_g, _) = FixedPoint::from_inner(ecc.clone(), SchnorrGenerator)
        .mul(layouter.namespace(|| "[s]G"), s)?;

    let c_scalar = ScalarVar::from_base(ecc.clone(), layouter.namespace(|| "c as scalar"), &c)?;
    let (c_pk, _) = pk.mul(layouter.namespace(|| "[c]PK"), c_scalar)?;

    let rhs = r.add(layouter.namespace(|| "R + [c]PK"), &c_pk)?;
    s_g.constrain_equal(layouter.namespace(|| "[s]G == R + [c]PK"), &rhs)?;
    Ok(c)
}

/// The witness of one signature check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignatureWitness {
    /// The signer's public key (public inputs 0 and 1).
    #[serde(with = "crate::codec::point")]
    pub pk: pallas::Affine,
    /// The signed message (public input 2).
    #[serde(with = "crate::codec::fp")]
    pub msg: Fp,
    /// The signature (private).
    pub signature: Signature,
}

impl SignatureWitness {
    /// Checks natively that this witness satisfies the circuit, naming what is wrong if not.
    pub fn check(&self) -> Result<(), SignatureError> {
        let pk = PublicKey::from_affine(self.pk)?;
        if bool::from(group::CurveAffine::is_identity(&self.signature.r)) {
            return Err(SignatureError::IdentityNonce);
        }
        if verify(&pk, self.msg, &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

/// The signature circuit; [`Default`] (no witness) is the shape used for key generation.
#[derive(Clone, Debug, Default)]
pub struct SignatureCircuit {
    witness: Option<SignatureWitness>,
}

impl SignatureCircuit {
    /// A circuit proving knowledge of `witness.signature` on `witness.msg` under `witness.pk`.
    ///
    /// The witness is not checked here (so that tests can build invalid circuits); call
    /// [`SignatureWitness::check`] for a clear error before proving.
    pub fn new(witness: SignatureWitness) -> Self {
        Self {
            witness: Some(witness),
        }
    }

    /// The witness, if any.
    pub fn witness(&self) -> Option<&SignatureWitness> {
        self.witness.as_ref()
    }

    /// The rows this circuit's shape occupies and the `k` that holds them (measured once per
    /// process: the shape does not depend on the witness).
    pub fn row_usage() -> Result<rows::RowUsage, SignatureError> {
        static USAGE: OnceLock<Result<rows::RowUsage, SignatureError>> = OnceLock::new();
        USAGE
            .get_or_init(|| {
                rows::measure(
                    &SignatureCircuit::default(),
                    SignatureConfig::constants_columns,
                )
                .map_err(|e| SignatureError::Layout(e.to_string()))
            })
            .clone()
    }

    /// Synthesizes the circuit and returns the cell holding the challenge `c`.
    fn synthesize_with_challenge(
        &self,
        config: SignatureConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        config.load(&mut layouter)?;
        let ecc = config.ecc_chip();
        let witness = self.witness.map_or(Value::unknown(), Value::known);

        let pk = NonIdentityPoint::new(
            ecc.clone(),
            layouter.namespace(|| "PK"),
            witness.map(|w| w.pk),
        )?;
        layouter.constrain_instance(pk.inner().x().cell(), config.instance, PK_X_ROW)?;
        layouter.constrain_instance(pk.inner().y().cell(), config.instance, PK_Y_ROW)?;

        let r = NonIdentityPoint::new(
            ecc.clone(),
            layouter.namespace(|| "R"),
            witness.map(|w| w.signature.r),
        )?;

        let msg = layouter.assign_region(
            || "msg",
            |mut region| {
                region.assign_advice_from_instance(
                    || "msg",
                    config.instance,
                    MSG_ROW,
                    config.advices[0],
                    0,
                )
            },
        )?;

        verify_signature(
            &ecc,
            config.poseidon_chip(),
            layouter.namespace(|| "verify signature"),
            &pk,
            &r,
            msg,
            witness.map(|w| w.signature.s),
        )
    }
}

impl Circuit<Fp> for SignatureCircuit {
    type Config = SignatureConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        SignatureConfig::configure(meta)
    }

    fn synthesize(&self, config: Self::Config, layouter: impl Layouter<Fp>) -> Result<(), Error> {
        self.synthesize_with_challenge(config, layouter).map(|_| ())
    }
}

impl SubCircuit for SignatureCircuit {
    const NAME: &'static str = "signature";

    fn k(&self) -> u32 {
        // The shape is fixed, so a failure here is a construction bug that every test hits.
        match Self::row_usage() {
            Ok(usage) => usage.k,
            Err(e) => panic!("signature: laying out the circuit's shape failed: {e}"),
        }
    }

    /// `[PK.x, PK.y, msg]`; empty for the witness-less shape.
    fn public_inputs(&self) -> Vec<Vec<Fp>> {
        match &self.witness {
            Some(w) => {
                let (x, y) = native::coordinates(&w.pk);
                vec![vec![x, y, w.msg]]
            }
            None => vec![vec![]],
        }
    }
}

#[cfg(test)]
mod tests;
