//! Native rules of the signature sub-circuit: the transaction, how its fields become bn254
//! field elements, the message hash, RFC 6979 ECDSA signing over secp256k1 (with `k256`), and
//! the public-input layout. Nothing here is a constraint; the circuit in the parent module
//! re-checks all of it.
use halo2_base::{
    halo2_proofs::halo2curves::{
        bn256::Fr,
        ff::PrimeField,
        group::{ff::Field, Curve},
        secp256k1::{Fp, Fq, Secp256k1Affine},
        Coordinates, CurveAffine,
    },
    poseidon::hasher::spec::OptimizedPoseidonSpec,
    utils::{biguint_to_fe, decompose_biguint, fe_to_biguint, modulus},
};
use k256::ecdsa::{
    signature::hazmat::{PrehashSigner, PrehashVerifier},
    Signature, SigningKey, VerifyingKey,
};
use snark_verifier::{loader::native::NativeLoader, util::hash::Poseidon};

use super::{LIMB_BITS, NUM_LIMBS};

/// Number of transaction fields hashed into the message, in [`Transaction::fields`] order.
pub const NUM_TX_FIELDS: usize = 6;

/// Number of public inputs: the transaction fields, then the public key's `x` and `y`
/// coordinates as [`NUM_LIMBS`] little-endian limbs of [`LIMB_BITS`] bits each.
pub const NUM_PUBLIC_INPUTS: usize = NUM_TX_FIELDS + 2 * NUM_LIMBS;

/// The message-hash Poseidon spec: T=3, RATE=2, R_F=8, R_P=57 over bn254's scalar field, the
/// spec halo2-base's `PoseidonHasher` and snark-verifier's transcript use.
pub fn poseidon_spec() -> OptimizedPoseidonSpec<Fr, 3, 2> {
    OptimizedPoseidonSpec::new::<8, 57, 0>()
}

/// A transfer as the signer sees it. Every field is encoded as one bn254 field element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transaction {
    /// Sender address (20 bytes, big-endian integer < 2^160).
    pub from: [u8; 20],
    /// Recipient address (20 bytes, big-endian integer < 2^160).
    pub to: [u8; 20],
    /// Amount, in the token's smallest unit.
    pub value: u128,
    /// Sender's nonce (replay protection within a chain).
    pub nonce: u64,
    /// Chain id (replay protection across chains).
    pub chain_id: u64,
    /// Commitment to the call data: everything else the transaction does (a contract call's
    /// steps, a token transfer's token and amounts), hashed by the caller; zero for a plain
    /// transfer that has nothing more to say.
    #[serde(with = "crate::serde_fields::fr")]
    pub data: Fr,
}

impl Transaction {
    /// The fields as bn254 elements: `[from, to, value, nonce, chain_id, data]`. Each of the
    /// first five is an integer below 2^160, so the encoding is injective.
    pub fn fields(&self) -> [Fr; NUM_TX_FIELDS] {
        [
            address_to_fr(&self.from),
            address_to_fr(&self.to),
            Fr::from_u128(self.value),
            Fr::from(self.nonce),
            Fr::from(self.chain_id),
            self.data,
        ]
    }

    /// The signed message: Poseidon (T=3, RATE=2, R_F=8, R_P=57) of [`Self::fields`], computed
    /// exactly as halo2-base's `PoseidonHasher::hash_fix_len_array` does in the circuit
    /// (capacity 2^64, one padding `1`, output = `state[1]`).
    pub fn message_hash(&self) -> Fr {
        let mut sponge = Poseidon::<Fr, Fr, 3, 2>::from_spec(&NativeLoader, poseidon_spec());
        sponge.update(&self.fields());
        sponge.squeeze()
    }
}

/// `addr` read as a big-endian integer, as a bn254 element.
fn address_to_fr(addr: &[u8; 20]) -> Fr {
    let mut le = [0u8; 32];
    for (dst, src) in le.iter_mut().zip(addr.iter().rev()) {
        *dst = *src;
    }
    Fr::from_repr(le).expect("a 160-bit integer is a canonical bn254 element")
}

/// The message hash as a secp256k1 scalar: the same integer (bn254's modulus is below
/// secp256k1's group order, so this is the identity on integers).
pub fn msghash_scalar(hash: Fr) -> Fq {
    Fq::from_repr(hash.to_repr()).expect("bn254 r < secp256k1 n, so every Fr is a valid scalar")
}

/// An ECDSA signature over secp256k1, as scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EcdsaSignature {
    /// `r = x(kG) mod n`.
    #[serde(with = "crate::serde_fields::secp_scalar")]
    pub r: Fq,
    /// `s = k^-1 (m + r·sk) mod n`, normalised to the low half (`s <= (n-1)/2`, EIP-2).
    #[serde(with = "crate::serde_fields::secp_scalar")]
    pub s: Fq,
}

/// Why native signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The secret key bytes are zero or not below the group order.
    #[error("invalid secp256k1 secret key")]
    InvalidKey,
    /// `k256` refused to sign (practically unreachable with RFC 6979 nonces).
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A secp256k1 key pair.
#[derive(Clone, Debug)]
pub struct Keypair {
    signing: SigningKey,
}

impl Keypair {
    /// The key pair with secret key `secret` (32 bytes, big-endian, in `[1, n-1]`).
    pub fn from_secret(secret: &[u8; 32]) -> Result<Self, SignError> {
        let signing = SigningKey::from_slice(secret).map_err(|_| SignError::InvalidKey)?;
        Ok(Self { signing })
    }

    /// The public key as a halo2curves point.
    pub fn public_key(&self) -> Secp256k1Affine {
        verifying_key_to_affine(self.signing.verifying_key())
    }

    /// Signs the prehashed message `msghash` (a secp256k1 scalar) with an RFC 6979
    /// deterministic nonce, producing a low-s signature.
    pub fn sign_hash(&self, msghash: Fq) -> Result<EcdsaSignature, SignError> {
        let sig: Signature = self
            .signing
            .sign_prehash(&scalar_to_be_bytes(msghash))
            .map_err(|e| SignError::Signing(e.to_string()))?;
        let (r, s) = sig.split_bytes();
        Ok(EcdsaSignature {
            r: be_bytes_to_scalar(&r.into()),
            s: be_bytes_to_scalar(&s.into()),
        })
    }

    /// Signs `tx`: [`Self::sign_hash`] of its [`Transaction::message_hash`].
    pub fn sign(&self, tx: &Transaction) -> Result<EcdsaSignature, SignError> {
        self.sign_hash(msghash_scalar(tx.message_hash()))
    }
}

/// Plain ECDSA verification of `sig` on `msghash` under `public_key`, with halo2curves
/// arithmetic: `r, s ∈ [1, n-1]` and `x(m/s·G + r/s·pk) mod n = r`. Like textbook ECDSA it
/// accepts both `s` and `n - s`; [`SignedTransaction::is_valid`] and the circuit also demand
/// low s.
pub fn verify_hash(public_key: &Secp256k1Affine, msghash: Fq, sig: &EcdsaSignature) -> bool {
    if bool::from(sig.r.is_zero()) || bool::from(sig.s.is_zero()) {
        return false;
    }
    let Some(s_inv) = Option::<Fq>::from(sig.s.invert()) else {
        return false;
    };
    let point = Secp256k1Affine::generator() * (msghash * s_inv) + *public_key * (sig.r * s_inv);
    let Some(coords) =
        Option::<Coordinates<Secp256k1Affine>>::from(point.to_affine().coordinates())
    else {
        return false;
    };
    let x_mod_n = fe_to_biguint(coords.x()) % modulus::<Fq>();
    biguint_to_fe::<Fq>(&x_mod_n) == sig.r
}

/// Verification with `k256` (which, like Ethereum, rejects high-s signatures); a cross-check
/// of [`verify_hash`] and of the conversions between the two libraries.
pub fn verify_hash_k256(public_key: &Secp256k1Affine, msghash: Fq, sig: &EcdsaSignature) -> bool {
    let Some(vk) = affine_to_verifying_key(public_key) else {
        return false;
    };
    let Ok(sig) = Signature::from_scalars(scalar_to_be_bytes(sig.r), scalar_to_be_bytes(sig.s))
    else {
        return false;
    };
    vk.verify_prehash(&scalar_to_be_bytes(msghash), &sig)
        .is_ok()
}

/// Everything the prover knows: the transaction, the signer's public key, the signature and the
/// message hash the signature is on. Honestly, `msghash` is
/// `msghash_scalar(tx.message_hash())`; the circuit rejects anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedTransaction {
    /// The transaction (public).
    pub tx: Transaction,
    /// The signer's public key (public).
    #[serde(with = "crate::serde_fields::secp_point")]
    pub public_key: Secp256k1Affine,
    /// The signature (private).
    pub signature: EcdsaSignature,
    /// The signed message hash (private; must equal the Poseidon hash of the fields).
    #[serde(with = "crate::serde_fields::secp_scalar")]
    pub msghash: Fq,
}

impl SignedTransaction {
    /// Signs `tx` with `keypair`.
    pub fn sign(keypair: &Keypair, tx: Transaction) -> Result<Self, SignError> {
        let msghash = msghash_scalar(tx.message_hash());
        Ok(Self {
            tx,
            public_key: keypair.public_key(),
            signature: keypair.sign_hash(msghash)?,
            msghash,
        })
    }

    /// Native check of what the circuit proves.
    pub fn is_valid(&self) -> bool {
        self.msghash == msghash_scalar(self.tx.message_hash())
            && is_low_s(self.signature.s)
            && verify_hash(&self.public_key, self.msghash, &self.signature)
    }

    /// The public inputs, see [`public_inputs`].
    pub fn public_inputs(&self) -> Vec<Fr> {
        public_inputs(&self.tx, &self.public_key)
    }
}

/// The public-input vector ([`NUM_PUBLIC_INPUTS`] elements): `tx.fields()`, then `x` and `y` of
/// `public_key`, each as [`NUM_LIMBS`] little-endian limbs of [`LIMB_BITS`] bits.
pub fn public_inputs(tx: &Transaction, public_key: &Secp256k1Affine) -> Vec<Fr> {
    let coords = public_key
        .coordinates()
        .expect("a signer's public key is not the identity");
    let mut out = tx.fields().to_vec();
    for c in [coords.x(), coords.y()] {
        out.extend(decompose_biguint::<Fr>(
            &fe_to_biguint(c),
            NUM_LIMBS,
            LIMB_BITS,
        ));
    }
    out
}

/// Whether `s <= (n-1)/2` (the canonical, non-malleable half; EIP-2).
pub fn is_low_s(s: Fq) -> bool {
    let half = fe_to_biguint(&-Fq::one()) >> 1;
    fe_to_biguint(&s) <= half
}

fn scalar_to_be_bytes(x: Fq) -> [u8; 32] {
    let mut bytes = x.to_repr();
    bytes.reverse();
    bytes
}

fn be_bytes_to_scalar(bytes: &[u8; 32]) -> Fq {
    let mut le = *bytes;
    le.reverse();
    Fq::from_repr(le).expect("k256 scalars are canonical")
}

fn verifying_key_to_affine(vk: &VerifyingKey) -> Secp256k1Affine {
    let point = vk.to_encoded_point(false);
    let coord = |bytes: &[u8]| {
        let mut le: [u8; 32] = bytes.try_into().expect("32-byte coordinate");
        le.reverse();
        Fp::from_repr(le).expect("k256 coordinates are canonical")
    };
    let x = coord(point.x().expect("not the identity"));
    let y = coord(point.y().expect("uncompressed"));
    Secp256k1Affine::from_xy(x, y).expect("k256 public keys are on the curve")
}

fn affine_to_verifying_key(p: &Secp256k1Affine) -> Option<VerifyingKey> {
    let coords: Coordinates<Secp256k1Affine> = Option::from(p.coordinates())?;
    let mut sec1 = [0u8; 65];
    sec1[0] = 0x04;
    for (i, c) in [coords.x(), coords.y()].into_iter().enumerate() {
        let mut be = c.to_repr();
        be.reverse();
        sec1[1 + 32 * i..33 + 32 * i].copy_from_slice(&be);
    }
    VerifyingKey::from_sec1_bytes(&sec1).ok()
}
